// Discovery (kube: k8s.io/apiserver/pkg/endpoints/discovery): /api, /apis, group-version resource lists, and the
// OpenAPI v3 documents, built from the served kinds. kubectl reads discovery to map kinds and short names to URLs, and
// the OpenAPI v3 PATCH operations to learn that the server validates fields itself (the `fieldValidation` parameter),
// as kube-apiserver advertises.
import { groupVersions, kinds as builtin, verbsFor, type ResourceDef } from './registry/kinds.js';
import { openapiDocument as buildDocument, openapiIndex as buildIndex } from './openapi/index.js';

/** Subresources whose request and response kind is of another group (kubectl drain looks for pods/eviction's). */
const SUBRESOURCE_GROUPS: Record<string, { group: string; version: string }> = {
  scale: { group: 'autoscaling', version: 'v1' },
  token: { group: 'authentication.k8s.io', version: 'v1' },
  eviction: { group: 'policy', version: 'v1' },
};

function subresourceInfo(d: { kind: string }, sub: string): { kind: string; verbs: string[] } {
  const responseKinds: Record<string, string> = { scale: 'Scale', binding: 'Binding', eviction: 'Eviction', log: 'Pod', exec: 'PodExecOptions', proxy: `${d.kind}ProxyOptions` };
  const verbs = sub === 'status' || sub === 'scale' ? ['get', 'patch', 'update'] : sub === 'binding' || sub === 'eviction' || sub === 'token' ? ['create'] : sub === 'finalize' ? ['update'] : sub === 'approval' ? ['get', 'update'] : sub === 'log' ? ['get'] : sub === 'proxy' ? ['create', 'delete', 'get', 'patch', 'update'] : ['create', 'get'];
  return { kind: responseKinds[sub] ?? d.kind, verbs };
}

export const AGGREGATED_DISCOVERY = 'application/json;g=apidiscovery.k8s.io;v=v2;as=APIGroupDiscoveryList';

/** Whether the client asked for aggregated discovery (kubectl 1.32 does, and falls back to the legacy documents). */
export function wantsAggregated(accept: string | undefined): boolean {
  const first = (accept ?? '').split(',').map((m) => m.replace(/\s+/g, ''))[0] ?? '';
  return first.includes('g=apidiscovery.k8s.io') && first.includes('v=v2') && first.includes('as=APIGroupDiscoveryList');
}

/** /api or /apis as one APIGroupDiscoveryList: every group, version and resource in a single response. */
export function aggregatedDiscovery(path: '/api' | '/apis', kinds: readonly ResourceDef[] = builtin) {
  const groups = [...new Set(groupVersions(kinds).map((gv) => gv.group))].filter((g) => (path === '/api' ? g === '' : g !== ''));
  return {
    kind: 'APIGroupDiscoveryList',
    apiVersion: 'apidiscovery.k8s.io/v2',
    metadata: {},
    items: groups.map((group) => ({
      metadata: group ? { name: group } : {},
      versions: groupVersions(kinds)
        .filter((gv) => gv.group === group)
        .map(({ version }) => ({
          version,
          freshness: 'Current',
          resources: kinds
            .filter((d) => d.group === group && d.version === version)
            .map((d) => ({
              resource: d.plural,
              responseKind: { group: d.group, version: d.version, kind: d.kind },
              scope: d.namespaced ? 'Namespaced' : 'Cluster',
              singularResource: d.singular,
              verbs: verbsFor(d),
              ...(d.shortNames ? { shortNames: d.shortNames } : {}),
              ...(d.categories ? { categories: d.categories } : {}),
              ...(d.subresources.length
                ? {
                    subresources: d.subresources.map((sub) => {
                      const { kind, verbs } = subresourceInfo(d, sub);
                      const responseKind = { ...(SUBRESOURCE_GROUPS[sub] ?? { group: d.group, version: d.version }), kind: sub === 'token' ? 'TokenRequest' : kind };
                      return { subresource: sub, responseKind, verbs };
                    }),
                  }
                : {}),
            })),
        })),
    })),
  };
}

function resourceList(kinds: readonly ResourceDef[], group: string, version: string) {
  const resources: Record<string, unknown>[] = [];
  for (const d of kinds.filter((r) => r.group === group && r.version === version)) {
    resources.push({
      name: d.plural,
      singularName: d.singular,
      namespaced: d.namespaced,
      kind: d.kind,
      verbs: verbsFor(d),
      ...(d.shortNames ? { shortNames: d.shortNames } : {}),
      ...(d.categories ? { categories: d.categories } : {}),
    });
    for (const sub of d.subresources) {
      const { kind, verbs } = subresourceInfo(d, sub);
      resources.push({ name: `${d.plural}/${sub}`, singularName: '', namespaced: d.namespaced, kind: sub === 'token' ? 'TokenRequest' : kind, verbs, ...(SUBRESOURCE_GROUPS[sub] ?? {}) });
    }
  }
  return { kind: 'APIResourceList', apiVersion: 'v1', groupVersion: group ? `${group}/${version}` : version, resources };
}

function groupInfo(kinds: readonly ResourceDef[], group: string) {
  const versions = groupVersions(kinds)
    .filter((gv) => gv.group === group)
    .map((gv) => ({ groupVersion: `${group}/${gv.version}`, version: gv.version }));
  return { kind: 'APIGroup', apiVersion: 'v1', name: group, versions, preferredVersion: versions[0] };
}

export function discoveryFor(path: string, advertise: string, port: number, kinds: readonly ResourceDef[] = builtin): unknown {
  if (path === '/api') return { kind: 'APIVersions', versions: ['v1'], serverAddressByClientCIDRs: [{ clientCIDR: '0.0.0.0/0', serverAddress: `${advertise}:${port}` }] };
  if (path === '/apis') {
    const groups = [...new Set(groupVersions(kinds).map((gv) => gv.group).filter(Boolean))];
    return { kind: 'APIGroupList', apiVersion: 'v1', groups: groups.map((g) => groupInfo(kinds, g)) };
  }
  if (path === '/api/v1') return resourceList(kinds, '', 'v1');
  const m = /^\/apis\/([^/]+)(?:\/([^/]+))?$/.exec(path);
  if (!m) return undefined;
  const [, group, version] = m;
  if (!groupVersions(kinds).some((gv) => gv.group === group && (!version || gv.version === version))) return undefined;
  return version ? resourceList(kinds, group, version) : groupInfo(kinds, group);
}

// The OpenAPI v3 index and documents are built from the schemas in ./openapi.
export function openapiIndex(kinds: readonly ResourceDef[] = builtin) {
  return buildIndex(kinds);
}

export function openapiDocument(path: string, kinds: readonly ResourceDef[] = builtin): unknown {
  return buildDocument(path, kinds);
}
