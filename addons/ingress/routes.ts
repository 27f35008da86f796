// The routing table of an ingress controller (ingress-nginx's internal/ingress/controller: createServers, createUpstreams),
// computed from the API objects alone, and the match of one request against it. Pure: the proxy and the tests share it.
//
// Hosts: an exact host beats a wildcard ("*.example.com" covers one more label, as the Ingress spec says); a request
// whose host has no rule falls to the rules without a host. Paths within the chosen host: the longest match wins, and at
// equal length Exact beats Prefix; Prefix matches element by element ("/foo" matches "/foo" and "/foo/bar", not
// "/foobar"); ImplementationSpecific is treated as Prefix. A host whose paths all miss goes to the default backend of
// the Ingress that brought the host, then to the catch-all (the first Ingress with a default backend and no rules).
// Ingresses are read oldest first, so the oldest wins a conflict. Backends resolve to ready endpoint addresses
// (pod IP:targetPort, from EndpointSlices), the way ingress-nginx bypasses the Service's ClusterIP.
import type { EndpointSlice, Ingress, IngressBackend, IngressClass, Pod, Service } from '../../api/types.js';
import { INGRESS_CLASS_ANNOTATION } from '../../api/types.js';
import { serviceNameLabel } from '../../agent/proxy/endpointschange.js';

export interface Endpoint {
  ip: string;
  port: number;
}

/** Where a route sends requests: a Service port's ready endpoints, or why there are none (answered with 503). */
export interface Backend {
  /** namespace/service:port, as logged and as the round robin keys it. */
  key: string;
  endpoints: Endpoint[];
  /** Set when the backend cannot serve: a missing Service or port, no ready endpoint, an unsupported kind. */
  problem?: string;
}

export interface PathRoute {
  type: 'Exact' | 'Prefix';
  /** As written for Exact; for Prefix without its trailing slashes ("" for "/"). */
  path: string;
  backend: Backend;
  /** namespace/name of the Ingress it came from. */
  ingress: string;
}

export interface HostRoutes {
  /** By precedence: the first that matches wins. */
  paths: PathRoute[];
  /** The default backend of the Ingress that brought the host. */
  fallback?: Backend;
}

/** A certificate to serve for some hosts: a kubernetes.io/tls Secret, namespace/name. */
export interface TLSHost {
  host: string;
  secret: string;
}

export interface RouteTable {
  exact: Map<string, HostRoutes>;
  /** Keyed by the suffix after "*." ("example.com" for "*.example.com"). */
  wildcard: Map<string, HostRoutes>;
  /** Rules without a host. */
  anyHost: HostRoutes;
  /** The catch-all default backend. */
  defaultBackend?: Backend;
  /** Certificates by host, in the order Ingresses were read (the first for a host wins). */
  tls: TLSHost[];
  /** namespace/name of the Ingresses served, oldest first. */
  ingresses: string[];
}

export interface ClassFilter {
  /** spec.controller of the classes this controller serves ("kubets.io/ingress-controller"). */
  controller: string;
  /** The class name the old kubernetes.io/ingress.class annotation may carry instead of spec.ingressClassName. */
  annotationClass: string;
}

/** Whether this controller serves `ing`: its class is one of ours, or (with no class field) the annotation names ours. */
export function serves(ing: Ingress, classes: IngressClass[], f: ClassFilter): boolean {
  const name = ing.spec?.ingressClassName;
  if (name) return classes.some((c) => c.metadata.name === name && c.spec?.controller === f.controller);
  return ing.metadata.annotations?.[INGRESS_CLASS_ANNOTATION] === f.annotationClass;
}

export interface RouteSources {
  ingresses: Ingress[];
  classes: IngressClass[];
  services: Service[];
  slices: EndpointSlice[];
}

const byAge = (a: Ingress, b: Ingress) => {
  const t = (x: Ingress) => Date.parse(x.metadata.creationTimestamp ?? '') || 0;
  const ka = `${a.metadata.namespace}/${a.metadata.name}`;
  const kb = `${b.metadata.namespace}/${b.metadata.name}`;
  return t(a) - t(b) || (ka < kb ? -1 : ka > kb ? 1 : 0);
};

/** Precedence of paths within a host: longer first; at equal length Exact first; then the older Ingress (stable sort). */
const byPrecedence = (a: PathRoute, b: PathRoute) => b.path.length - a.path.length || (a.type === b.type ? 0 : a.type === 'Exact' ? -1 : 1);

export function computeRoutes(src: RouteSources, f: ClassFilter): RouteTable {
  const services = new Map(src.services.map((s) => [`${s.metadata.namespace}/${s.metadata.name}`, s] as const));
  const slices = new Map<string, EndpointSlice[]>();
  for (const s of src.slices) {
    const svc = s.metadata.labels?.[serviceNameLabel];
    if (!svc) continue;
    const key = `${s.metadata.namespace}/${svc}`;
    const group = slices.get(key);
    if (group) group.push(s);
    else slices.set(key, [s]);
  }
  const resolve = (ns: string, b: IngressBackend | undefined) => resolveBackend(ns, b, services, slices);

  const table: RouteTable = { exact: new Map(), wildcard: new Map(), anyHost: { paths: [] }, tls: [], ingresses: [] };
  const served = src.ingresses.filter((i) => serves(i, src.classes, f)).sort(byAge);
  for (const ing of served) {
    const ns = ing.metadata.namespace ?? 'default';
    const id = `${ns}/${ing.metadata.name}`;
    table.ingresses.push(id);
    const rules = ing.spec?.rules ?? [];
    const fallback = ing.spec?.defaultBackend ? resolve(ns, ing.spec.defaultBackend) : undefined;
    if (fallback && !rules.length) table.defaultBackend ??= fallback;
    for (const rule of rules) {
      const host = (rule.host ?? '').toLowerCase();
      const group = host ? hostGroup(table, host) : table.anyHost;
      if (host && fallback) group.fallback ??= fallback;
      for (const p of rule.http?.paths ?? []) {
        const type = p.pathType === 'Exact' ? 'Exact' : 'Prefix';
        const path = type === 'Exact' ? p.path ?? '' : (p.path ?? '').replace(/\/+$/, '');
        group.paths.push({ type, path, backend: resolve(ns, p.backend), ingress: id });
      }
    }
    for (const tls of ing.spec?.tls ?? []) {
      if (!tls.secretName) continue;
      const hosts = tls.hosts?.length ? tls.hosts : rules.map((r) => r.host).filter((h): h is string => !!h);
      for (const host of hosts) table.tls.push({ host: host.toLowerCase(), secret: `${ns}/${tls.secretName}` });
    }
  }
  for (const g of [...table.exact.values(), ...table.wildcard.values(), table.anyHost]) g.paths.sort(byPrecedence);
  return table;
}

function hostGroup(table: RouteTable, host: string): HostRoutes {
  const [map, key] = host.startsWith('*.') ? [table.wildcard, host.slice(2)] : [table.exact, host];
  let g = map.get(key);
  if (!g) map.set(key, (g = { paths: [] }));
  return g;
}

function resolveBackend(ns: string, b: IngressBackend | undefined, services: Map<string, Service>, slices: Map<string, EndpointSlice[]>): Backend {
  if (!b?.service) {
    const what = b?.resource ? `${b.resource.kind} ${ns}/${b.resource.name}` : 'nothing';
    return { key: `${ns}/<resource>`, endpoints: [], problem: `the backend names ${what}: only Service backends are served` };
  }
  const port = b.service.port?.name || String(b.service.port?.number ?? '');
  const key = `${ns}/${b.service.name}:${port}`;
  const svc = services.get(`${ns}/${b.service.name}`);
  if (!svc) return { key, endpoints: [], problem: `service ${ns}/${b.service.name} not found` };
  if (svc.spec?.type === 'ExternalName') return { key, endpoints: [], problem: `service ${ns}/${b.service.name} is of type ExternalName, which is not served` };
  const sp = (svc.spec?.ports ?? []).find((p) => (b.service!.port?.name ? p.name === b.service!.port.name : p.port === b.service!.port?.number));
  if (!sp) return { key, endpoints: [], problem: `service ${ns}/${b.service.name} has no port ${port}` };
  const endpoints: Endpoint[] = [];
  const seen = new Set<string>();
  const slicesOf = [...(slices.get(`${ns}/${b.service.name}`) ?? [])].sort((x, y) => (x.metadata.name! < y.metadata.name! ? -1 : 1));
  for (const slice of slicesOf) {
    if (slice.addressType === 'FQDN') continue;
    const target = (slice.ports ?? []).find((p) => (p.name ?? '') === (sp.name ?? '') && (p.protocol ?? 'TCP') === 'TCP');
    if (typeof target?.port !== 'number') continue;
    for (const e of slice.endpoints ?? []) {
      const ip = e.addresses?.[0];
      // Unknown readiness counts as ready (EndpointConditions).
      if (!ip || e.conditions?.ready === false) continue;
      const id = `${ip}:${target.port}`;
      if (!seen.has(id)) endpoints.push({ ip, port: target.port });
      seen.add(id);
    }
  }
  return endpoints.length ? { key, endpoints } : { key, endpoints, problem: `service ${ns}/${b.service.name} has no ready endpoints` };
}

/** The host of a Host header: lower case, without its port or a trailing dot. */
export function normalizeHost(header: string | undefined): string {
  let h = (header ?? '').trim().toLowerCase();
  if (h.startsWith('[')) h = h.slice(0, h.indexOf(']') + 1);
  else if (h.includes(':')) h = h.slice(0, h.indexOf(':'));
  return h.replace(/\.$/, '');
}

/** The path of a request target, without the query. */
const requestPath = (url: string | undefined) => {
  const raw = (url ?? '/').split('?')[0]!.split('#')[0]!;
  // An absolute-form target ("http://host/path") carries its path after the authority.
  const m = /^[a-z][a-z0-9+.-]*:\/\/[^/]*(\/.*)?$/i.exec(raw);
  return m ? m[1] ?? '/' : raw || '/';
};

function pathMatches(r: PathRoute, path: string): boolean {
  if (r.type === 'Exact') return path === r.path;
  return r.path === '' || path === r.path || path.startsWith(`${r.path}/`);
}

export interface Match {
  backend: Backend;
  /** What matched, for logs: "web.local/api (Prefix)", "default backend". */
  via: string;
}

/** Where a request for `host` and `url` goes; undefined: nowhere (404). */
export function matchRoute(table: RouteTable, hostHeader: string | undefined, url: string | undefined): Match | undefined {
  const host = normalizeHost(hostHeader);
  const path = requestPath(url);
  const dot = host.indexOf('.');
  const [group, name] = table.exact.has(host)
    ? [table.exact.get(host)!, host]
    : dot > 0 && table.wildcard.has(host.slice(dot + 1))
      ? [table.wildcard.get(host.slice(dot + 1))!, `*.${host.slice(dot + 1)}`]
      : [table.anyHost, '*'];
  const hit = group.paths.find((r) => pathMatches(r, path));
  if (hit) return { backend: hit.backend, via: `${name}${hit.type === 'Prefix' && hit.path === '' ? '/' : hit.path} (${hit.type}, ${hit.ingress})` };
  if (group.fallback) return { backend: group.fallback, via: `${name} default backend` };
  if (table.defaultBackend) return { backend: table.defaultBackend, via: 'default backend' };
  return undefined;
}

/** The certificate for a TLS server name: an exact host, else a wildcard of one label. */
export function tlsSecretFor(table: RouteTable, serverName: string): string | undefined {
  const name = normalizeHost(serverName);
  const exact = table.tls.find((t) => t.host === name);
  if (exact) return exact.secret;
  const dot = name.indexOf('.');
  return dot > 0 ? table.tls.find((t) => t.host === `*.${name.slice(dot + 1)}`)?.secret : undefined;
}

/** The addresses the Ingresses are reachable on: the nodes running the controller's pods (status.hostIP), sorted. */
export function controllerAddresses(pods: Pod[]): string[] {
  const ips = new Set<string>();
  for (const p of pods) if (p.status?.phase === 'Running' && !p.metadata.deletionTimestamp && p.status.hostIP) ips.add(p.status.hostIP);
  return [...ips].sort();
}

/** Whether an Ingress's status.loadBalancer already lists exactly these addresses. */
export function statusUpToDate(ing: Ingress, ips: string[]): boolean {
  const have = (ing.status?.loadBalancer?.ingress ?? []).map((i) => i.ip ?? i.hostname ?? '');
  return have.length === ips.length && have.every((ip, i) => ip === ips[i]);
}
