// Whether a remote APIService can be reached (kube: kube-aggregator pkg/controller/status/available_controller.go,
// and the endpoint resolution of pkg/apiserver/resolvers.go): the Service exists and has the port, its Endpoints have
// an address with that port's name, and the group-version's discovery answers. Pure decisions; the controller fetches.
import type { APIService, APIServiceCondition, Endpoints, Service } from '../../../api/types.js';

/** A ready endpoint of the APIService's Service, or why there is none (an Available=False condition). */
export type Resolution = { ok: true; host: string; port: number } | { ok: false; condition: APIServiceCondition };

const unavailable = (reason: string, message: string): Resolution => ({ ok: false, condition: { type: 'Available', status: 'False', reason, message } });

export const LOCAL_CONDITION: APIServiceCondition = { type: 'Available', status: 'True', reason: 'Local', message: 'Local APIServices are always available' };
export const PASSED_CONDITION: APIServiceCondition = { type: 'Available', status: 'True', reason: 'Passed', message: 'all checks passed' };

export function failedDiscovery(url: string, err: string): APIServiceCondition {
  return { type: 'Available', status: 'False', reason: 'FailedDiscoveryCheck', message: `failing or missing response from ${url}: ${err}` };
}

/**
 * The endpoint an APIService is proxied to: the Service's port numbered spec.service.port (443 by default), then an
 * address of the Endpoints subset that has a port of the same name, from a random start to spread requests.
 */
export function resolveEndpoint(api: APIService, svc: Service | undefined, eps: Endpoints | undefined, random = Math.random): Resolution {
  const ref = api.spec.service!;
  const port = ref.port ?? 443;
  const where = `service/${ref.name} in "${ref.namespace}"`;
  if (!svc) return unavailable('ServiceNotFound', `${where} is not present`);
  if (svc.spec.type === 'ExternalName') return { ok: true, host: svc.spec.externalName ?? '', port };
  const sp = (svc.spec.ports ?? []).find((p) => p.port === port);
  if (!sp) return unavailable('ServicePortError', `${where} is not listening on port ${port}`);
  if (!eps) return unavailable('EndpointsNotFound', `cannot find endpoints for ${where}`);
  const name = sp.name ?? '';
  for (const ss of eps.subsets ?? []) {
    const p = (ss.ports ?? []).find((x) => (x.name ?? '') === name);
    const addrs = ss.addresses ?? [];
    if (!p || !addrs.length) continue;
    return { ok: true, host: addrs[Math.floor(random() * addrs.length)].ip, port: p.port };
  }
  return unavailable('MissingEndpoints', `endpoints for ${where} have no addresses with port name "${name}"`);
}

/** The condition with lastTransitionTime kept while the status does not change. */
export function nextCondition(old: APIServiceCondition | undefined, next: APIServiceCondition, now: string): APIServiceCondition {
  return { ...next, lastTransitionTime: old && old.status === next.status ? (old.lastTransitionTime ?? now) : now };
}
