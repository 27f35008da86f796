// The metrics API (kube: metrics-server pkg/api — node.go, pod.go — and pkg/server's requestheader authentication):
// metrics.k8s.io/v1beta1 NodeMetrics and PodMetrics, list and get, label selectors, namespaced pods, and their OpenAPI
// v3 document (openapi.ts), over HTTPS. A request is accepted from the front proxy only: a client certificate from the
// requestheader CA with an allowed name, the user in the requestheader username header (the API server has
// authenticated and authorized it).
import https from 'node:https';
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { TLSSocket } from 'node:tls';
import { fieldMatches, matches, parseFieldSelector, parseSelector, type FieldRequirement, type Selector } from '../../api/labels.js';
import type { KubeObject, Node, Pod } from '../../api/types.js';
import { cpuQuantity, memoryQuantity, type MetricsStorage } from './storage.js';
import { GROUP, VERSION } from './config.js';

export { GROUP, VERSION };
const GV = `${GROUP}/${VERSION}`;

/** What the `extension-apiserver-authentication` ConfigMap says about the front proxy. */
export interface RequestHeaderConfig {
  clientCA: string;
  allowedNames: string[];
  usernameHeaders: string[];
  groupHeaders: string[];
}

export function requestHeaderConfig(data: Record<string, string>): RequestHeaderConfig {
  const list = (k: string) => (data[k] ? (JSON.parse(data[k]) as string[]) : []);
  if (!data['requestheader-client-ca-file']) throw new Error('extension-apiserver-authentication has no requestheader-client-ca-file');
  return { clientCA: data['requestheader-client-ca-file'], allowedNames: list('requestheader-allowed-names'), usernameHeaders: list('requestheader-username-headers'), groupHeaders: list('requestheader-group-headers') };
}

export interface MetricsSources {
  storage: MetricsStorage;
  nodes(): Node[];
  pods(): Pod[];
  ready(): boolean;
}

const status = (code: number, reason: string, message: string, details?: Record<string, string>) => ({ kind: 'Status', apiVersion: 'v1', metadata: {}, status: 'Failure', message, reason, ...(details ? { details } : {}), code });

class HttpError extends Error {
  constructor(
    readonly body: ReturnType<typeof status>,
  ) {
    super(body.message);
  }
}

const send = (res: ServerResponse, code: number, body: unknown) => void res.writeHead(code, { 'content-type': 'application/json' }).end(JSON.stringify(body));

export const discovery = {
  kind: 'APIResourceList',
  apiVersion: 'v1',
  groupVersion: GV,
  resources: [
    { name: 'nodes', singularName: '', namespaced: false, kind: 'NodeMetrics', verbs: ['get', 'list'] },
    { name: 'pods', singularName: '', namespaced: true, kind: 'PodMetrics', verbs: ['get', 'list'] },
  ],
};

const window = (ms: number) => `${+(ms / 1000).toFixed(3)}s`;

function nodeMetrics(n: Node, s: MetricsStorage): KubeObject | undefined {
  const p = s.node(n.metadata.name!);
  if (!p) return undefined;
  return { kind: 'NodeMetrics', apiVersion: GV, metadata: { name: n.metadata.name, creationTimestamp: new Date().toISOString(), ...(n.metadata.labels ? { labels: n.metadata.labels } : {}) }, timestamp: new Date(p.timestampMs).toISOString(), window: window(p.windowMs), usage: { cpu: cpuQuantity(p.usage.cpu), memory: memoryQuantity(p.usage.memory) } } as KubeObject;
}

function podMetrics(pod: Pod, s: MetricsStorage): KubeObject | undefined {
  const p = s.pod(pod.metadata.namespace!, pod.metadata.name!);
  if (!p) return undefined;
  return {
    kind: 'PodMetrics',
    apiVersion: GV,
    metadata: { name: pod.metadata.name, namespace: pod.metadata.namespace, creationTimestamp: new Date().toISOString(), ...(pod.metadata.labels ? { labels: pod.metadata.labels } : {}) },
    timestamp: new Date(p.timestampMs).toISOString(),
    window: window(p.windowMs),
    containers: p.containers.map((c) => ({ name: c.name, usage: { cpu: cpuQuantity(c.usage.cpu), memory: memoryQuantity(c.usage.memory) } })),
  } as KubeObject;
}

function selectorOf(q: URLSearchParams): Selector | undefined {
  const text = q.get('labelSelector');
  if (!text) return undefined;
  try {
    return parseSelector(text);
  } catch (e) {
    throw new HttpError(status(400, 'BadRequest', `unable to parse labelSelector: ${(e as Error).message}`));
  }
}

/** The fields a metrics list selects by: the object's name, and a pod's namespace. */
const SELECTABLE_FIELDS = ['metadata.name', 'metadata.namespace'];

function fieldSelectorOf(q: URLSearchParams): FieldRequirement[] {
  let reqs: FieldRequirement[];
  try {
    reqs = parseFieldSelector(q.get('fieldSelector'));
  } catch (e) {
    throw new HttpError(status(400, 'BadRequest', `unable to parse fieldSelector: ${(e as Error).message}`));
  }
  const unsupported = reqs.find((r) => !SELECTABLE_FIELDS.includes(r.field));
  if (unsupported) throw new HttpError(status(400, 'BadRequest', `field label not supported: ${unsupported.field}`));
  return reqs;
}

/** The answer to a GET under /apis/metrics.k8s.io/v1beta1 (path relative to it). */
export function serveMetrics(path: string, q: URLSearchParams, src: MetricsSources): { code: number; body: unknown } {
  const sel = selectorOf(q);
  const fields = fieldSelectorOf(q);
  const keep = (o: KubeObject) => (!sel || matches(sel, o.metadata.labels)) && fieldMatches(fields, { 'metadata.name': o.metadata.name ?? '', 'metadata.namespace': o.metadata.namespace ?? '' });
  let m: RegExpExecArray | null;
  if (path === '' || path === '/') return { code: 200, body: discovery };
  if (path === '/nodes') return { code: 200, body: { kind: 'NodeMetricsList', apiVersion: GV, metadata: {}, items: src.nodes().filter(keep).map((n) => nodeMetrics(n, src.storage)).filter(Boolean) } };
  if ((m = /^\/nodes\/([^/]+)$/.exec(path))) {
    const name = decodeURIComponent(m[1]);
    const n = src.nodes().find((x) => x.metadata.name === name);
    const out = n && nodeMetrics(n, src.storage);
    if (!out) throw new HttpError(status(404, 'NotFound', `nodemetrics.metrics.k8s.io "${name}" not found`, { name, group: GROUP, kind: 'nodes' }));
    return { code: 200, body: out };
  }
  if ((m = /^(?:\/namespaces\/([^/]+))?\/pods$/.exec(path))) {
    const ns = m[1] && decodeURIComponent(m[1]);
    const pods = src.pods().filter((p) => (!ns || p.metadata.namespace === ns) && keep(p));
    return { code: 200, body: { kind: 'PodMetricsList', apiVersion: GV, metadata: {}, items: pods.map((p) => podMetrics(p, src.storage)).filter(Boolean) } };
  }
  if ((m = /^\/namespaces\/([^/]+)\/pods\/([^/]+)$/.exec(path))) {
    const [ns, name] = [decodeURIComponent(m[1]), decodeURIComponent(m[2])];
    const pod = src.pods().find((p) => p.metadata.namespace === ns && p.metadata.name === name);
    const out = pod && podMetrics(pod, src.storage);
    if (!out) throw new HttpError(status(404, 'NotFound', `podmetrics.metrics.k8s.io "${ns}/${name}" not found`, { name, group: GROUP, kind: 'pods' }));
    return { code: 200, body: out };
  }
  throw new HttpError(status(404, 'NotFound', 'the server could not find the requested resource'));
}

/** The front proxy's user, or undefined when the request did not come from it. */
export function frontProxyUser(req: IncomingMessage, rh: RequestHeaderConfig): string | undefined {
  const sock = req.socket as TLSSocket;
  if (!sock.authorized) return undefined;
  const cn = sock.getPeerCertificate()?.subject?.CN;
  if (rh.allowedNames.length && !rh.allowedNames.includes(String(cn))) return undefined;
  for (const h of rh.usernameHeaders) {
    const v = req.headersDistinct[h.toLowerCase()]?.[0];
    if (v) return v;
  }
  return undefined;
}

export function createMetricsApiServer(tls: { certPem: string; keyPem: string }, rh: () => RequestHeaderConfig, src: MetricsSources): https.Server {
  const server = https.createServer({ cert: tls.certPem, key: tls.keyPem, requestCert: true, rejectUnauthorized: false, ca: rh().clientCA }, (req, res) => {
    const url = new URL(req.url ?? '/', 'https://metrics-server');
    const p = url.pathname;
    if (p === '/healthz' || p === '/livez') return void res.writeHead(200, { 'content-type': 'text/plain' }).end('ok');
    if (p === '/readyz') return void res.writeHead(src.ready() ? 200 : 500, { 'content-type': 'text/plain' }).end(src.ready() ? 'ok' : 'metric-storage-ready check failed');
    if (!frontProxyUser(req, rh())) return send(res, 401, status(401, 'Unauthorized', 'Unauthorized'));
    if (req.method !== 'GET') return send(res, 405, status(405, 'MethodNotAllowed', `the server does not allow this method on the requested resource`));
    if (p === '/openapi/v3' || p.startsWith('/openapi/v3/')) {
      import('./openapi.js').then(
        ({ serveOpenAPI }) => {
          const openapi = serveOpenAPI(p);
          if (!openapi) return send(res, 404, status(404, 'NotFound', 'the server could not find the requested resource'));
          res.writeHead(200, { 'content-type': 'application/json', ...(openapi.etag ? { etag: openapi.etag } : {}) }).end(openapi.json);
        },
        (e: Error) => send(res, 500, status(500, 'InternalError', e.message)),
      );
      return;
    }
    try {
      if (p === `/apis/${GROUP}`) return send(res, 200, { kind: 'APIGroup', apiVersion: 'v1', name: GROUP, versions: [{ groupVersion: GV, version: VERSION }], preferredVersion: { groupVersion: GV, version: VERSION } });
      if (p !== `/apis/${GV}` && !p.startsWith(`/apis/${GV}/`)) throw new HttpError(status(404, 'NotFound', 'the server could not find the requested resource'));
      const r = serveMetrics(p.slice(`/apis/${GV}`.length), url.searchParams, src);
      send(res, r.code, r.body);
    } catch (e) {
      if (e instanceof HttpError) return send(res, e.body.code, e.body);
      send(res, 500, status(500, 'InternalError', (e as Error).message));
    }
  });
  return server;
}
