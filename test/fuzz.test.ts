// Mutated requests against a real API server: random methods, paths, query parameters, content types, truncated or
// garbled JSON/YAML/protobuf bodies, wrong kinds, huge names, deep nesting, invalid UTF-8 and bad patches. Every answer
// must be a JSON Status with a sensible code (or a valid object/list when the request was acceptable), never a 5xx
// other than 503/504, never a hang, never a crash; afterwards the server still serves. The PRNG is seeded: a failure
// names its seed and request number, and KUBETS_FUZZ_SEED=<seed> replays the same sequence.
import t from 'tap';
import https from 'node:https';
import { prng, type Rng } from './prng.js';
import { ensureServiceAccount, startServer, type TestServer } from './server-fixture.js';

const SEED = Number(process.env.KUBETS_FUZZ_SEED ?? 20261122);
const REQUESTS = Number(process.env.KUBETS_FUZZ_REQUESTS ?? 3000);
const BUDGET_MS = 60_000;
const CONCURRENCY = 8;
const REQUEST_TIMEOUT_MS = 15_000;

const resources = [
  { prefix: '/api/v1', plural: 'pods', kind: 'Pod', apiVersion: 'v1', namespaced: true },
  { prefix: '/api/v1', plural: 'services', kind: 'Service', apiVersion: 'v1', namespaced: true },
  { prefix: '/api/v1', plural: 'configmaps', kind: 'ConfigMap', apiVersion: 'v1', namespaced: true },
  { prefix: '/api/v1', plural: 'secrets', kind: 'Secret', apiVersion: 'v1', namespaced: true },
  { prefix: '/api/v1', plural: 'events', kind: 'Event', apiVersion: 'v1', namespaced: true },
  { prefix: '/api/v1', plural: 'endpoints', kind: 'Endpoints', apiVersion: 'v1', namespaced: true },
  { prefix: '/api/v1', plural: 'serviceaccounts', kind: 'ServiceAccount', apiVersion: 'v1', namespaced: true },
  { prefix: '/api/v1', plural: 'namespaces', kind: 'Namespace', apiVersion: 'v1', namespaced: false },
  { prefix: '/api/v1', plural: 'nodes', kind: 'Node', apiVersion: 'v1', namespaced: false },
  { prefix: '/apis/apps/v1', plural: 'deployments', kind: 'Deployment', apiVersion: 'apps/v1', namespaced: true },
  { prefix: '/apis/apps/v1', plural: 'replicasets', kind: 'ReplicaSet', apiVersion: 'apps/v1', namespaced: true },
  { prefix: '/apis/apps/v1', plural: 'daemonsets', kind: 'DaemonSet', apiVersion: 'apps/v1', namespaced: true },
  { prefix: '/apis/discovery.k8s.io/v1', plural: 'endpointslices', kind: 'EndpointSlice', apiVersion: 'discovery.k8s.io/v1', namespaced: true },
  { prefix: '/apis/coordination.k8s.io/v1', plural: 'leases', kind: 'Lease', apiVersion: 'coordination.k8s.io/v1', namespaced: true },
] as const;
type Res = (typeof resources)[number];

const names = ['f0', 'f1', 'f2', 'fuzz', 'default', 'kubernetes', 'x'.repeat(253), 'y'.repeat(5000), 'UPPER', 'a_b', '-lead', 'a.b.c', '', '%00', '..', '%2F', '%ZZ', 'é', '🙂', 'a b', 'kube-system'];
const namespaces = ['fuzz', 'default', 'kube-system', 'missing', 'UPPER', '', 'x'.repeat(300), '%ZZ', 'a%2Fb'];
const subresources = [undefined, undefined, undefined, 'status', 'scale', 'binding', 'eviction', 'finalize', 'log', 'exec', 'proxy', 'bogus', 'status/extra'];
const methods = ['GET', 'GET', 'GET', 'POST', 'POST', 'PUT', 'PUT', 'PATCH', 'PATCH', 'PATCH', 'DELETE', 'DELETE', 'HEAD', 'OPTIONS', 'TRACE', 'PROPFIND'];
const contentTypes = ['application/json', 'application/json', 'application/yaml', 'application/merge-patch+json', 'application/strategic-merge-patch+json', 'application/json-patch+json', 'application/apply-patch+yaml', 'application/vnd.kubernetes.protobuf', 'text/plain', 'multipart/form-data; boundary=x', '', 'application/json; charset=utf-16', ';;;', 'application/json-patch+json; charset=utf-8'];
const accepts = ['application/json', 'application/json;as=Table;v=v1;g=meta.k8s.io', 'application/json;as=PartialObjectMetadata;v=v1;g=meta.k8s.io', 'application/json;as=PartialObjectMetadataList;v=v1;g=meta.k8s.io', 'application/vnd.kubernetes.protobuf, application/json', 'application/yaml', 'text/html', '*/*', '', ';;,,'];

const queryValues: Record<string, readonly string[]> = {
  labelSelector: ['app=web', 'a in (b', 'a notin (b,c),!d', '!!', '=', 'a=' + 'b'.repeat(300), 'x,y,,', '%ZZ', 'a==b', 'a!=b,c'],
  fieldSelector: ['metadata.name=f0', 'spec.nodeName=', 'status.phase!=Running', 'spec.bogus=1', '=', 'metadata.namespace==fuzz', 'a,b', 'metadata.name=%ZZ'],
  limit: ['1', '0', '-1', 'abc', '1e309', '999999999999', '2.5', ''],
  continue: ['', 'garbage', 'eyJydiI6MSwic3RhcnQiOiIvIn0', Buffer.from('{"rv":"x","start":5}').toString('base64url'), Buffer.from('{"rv":1,"start":"/registry/"}').toString('base64url'), '%ZZ'],
  resourceVersion: ['0', '1', '', '-1', 'abc', '99999999999', '1.5', '00', '9007199254740993'],
  resourceVersionMatch: ['Exact', 'NotOlderThan', 'Bogus', ''],
  watch: ['true', '1', 'false', 'yes'],
  timeoutSeconds: ['1', '0', '-5', 'abc', '1e9'],
  allowWatchBookmarks: ['true', 'false', 'x'],
  dryRun: ['All', 'all', 'None', ''],
  fieldValidation: ['Strict', 'Warn', 'Ignore', 'strict', 'Bogus'],
  propagationPolicy: ['Foreground', 'Background', 'Orphan', 'Bogus'],
  gracePeriodSeconds: ['0', '30', '-1', 'abc', '1e100'],
  includeObject: ['Object', 'None', 'Metadata', 'Bogus'],
  force: ['true', 'x'],
  fieldManager: ['kubectl', 'x'.repeat(200)],
  pretty: ['true'],
  '%ZZ': ['1'],
};

function sampleObject(r: Res, name: string, ns: string): Record<string, unknown> {
  const meta = { name, namespace: r.namespaced ? ns : undefined, labels: { app: 'web' } };
  const base = { apiVersion: r.apiVersion, kind: r.kind, metadata: meta };
  const podSpec = { containers: [{ name: 'c', image: 'busybox:1.35', ports: [{ containerPort: 80 }] }] };
  switch (r.kind) {
    case 'Pod':
      return { ...base, spec: podSpec };
    case 'Service':
      return { ...base, spec: { selector: { app: 'web' }, ports: [{ port: 80 }] } };
    case 'ConfigMap':
      return { ...base, data: { k: 'v' } };
    case 'Secret':
      return { ...base, stringData: { k: 'v' } };
    case 'Event':
      return { ...base, involvedObject: { kind: 'Pod', name: 'f0', namespace: ns }, reason: 'Fuzz', message: 'fuzz', type: 'Normal' };
    case 'Endpoints':
      return { ...base, subsets: [{ addresses: [{ ip: '10.244.1.5' }], ports: [{ port: 80 }] }] };
    case 'Deployment':
    case 'ReplicaSet':
    case 'DaemonSet':
      return { ...base, spec: { replicas: 1, selector: { matchLabels: { app: 'web' } }, template: { metadata: { labels: { app: 'web' } }, spec: podSpec } } };
    case 'EndpointSlice':
      return { ...base, addressType: 'IPv4', endpoints: [{ addresses: ['10.244.1.5'] }], ports: [{ port: 80 }] };
    case 'Lease':
      return { ...base, spec: { holderIdentity: 'x', leaseDurationSeconds: 40 } };
    default:
      return base;
  }
}

/** Replaces a random node of a JSON value with a nasty value. */
function mutate(rng: Rng, v: unknown, depth = 0): unknown {
  const nasty = () =>
    rng.pick<unknown>([null, true, 0, -1, 1e308, -0, 'x', '', 'y'.repeat(10_000), [], {}, [null], { $patch: 'delete' }, { $retainKeys: [1] }, '\u0000', '\ud800', NaN, { __proto__: { polluted: true } }, { constructor: { prototype: { polluted: 1 } } }]);
  if (depth > 6 || v === null || typeof v !== 'object' || rng.chance(0.25)) return nasty();
  if (Array.isArray(v)) {
    const copy = [...v];
    if (copy.length && rng.chance(0.7)) copy[rng.int(copy.length)] = mutate(rng, copy[rng.int(copy.length)], depth + 1);
    else copy.push(nasty());
    return copy;
  }
  const copy: Record<string, unknown> = { ...(v as Record<string, unknown>) };
  const keys = Object.keys(copy);
  if (keys.length && rng.chance(0.8)) {
    const k = rng.pick(keys);
    if (rng.chance(0.15)) delete copy[k];
    else copy[k] = mutate(rng, copy[k], depth + 1);
  } else copy[rng.pick(['spec', 'status', 'metadata', 'kind', 'apiVersion', 'bogus', 'items', 'data', '__proto__', 'constructor'])] = nasty();
  return copy;
}

function deepNesting(rng: Rng): string {
  const depth = rng.pick([100, 1000, 20_000, 200_000]);
  const open = rng.chance(0.5) ? '[' : '{"a":';
  const close = open === '[' ? ']' : '}';
  return `{"apiVersion":"v1","kind":"ConfigMap","metadata":{"name":"deep"},"data":${open.repeat(depth)}1${close.repeat(depth)}}`;
}

function body(rng: Rng, r: Res, name: string, ns: string, method: string, ct: string): Buffer | undefined {
  if (method === 'GET' || method === 'HEAD' || (method === 'DELETE' && rng.chance(0.6))) return rng.chance(0.05) ? Buffer.from('{"junk":true}') : undefined;
  const obj = sampleObject(rng.chance(0.85) ? r : rng.pick(resources), rng.chance(0.8) ? name : rng.pick(names), ns);
  let text: string;
  const kind = rng.int(16);
  if (method === 'DELETE') text = JSON.stringify(rng.pick<unknown>([{ kind: 'DeleteOptions', apiVersion: 'v1', propagationPolicy: rng.pick(['Foreground', 'Orphan', 'Bad']) }, { gracePeriodSeconds: 'x' }, { preconditions: { uid: 'nope' } }, { preconditions: 5 }, [], 'x', { dryRun: ['All'] }, { orphanDependents: true }]));
  else if (method === 'PATCH' && ct.startsWith('application/json-patch')) {
    const ops = [
      [{ op: 'replace', path: '/spec/replicas', value: 3 }],
      [{ op: 'add', path: '/metadata/labels/x', value: 'y' }],
      [{ op: 'remove', path: '/metadata' }],
      [{ op: 'move', from: '/spec', path: '/spec/x' }],
      [{ op: 'copy', from: '/metadata', path: '/metadata/labels/m' }],
      [{ op: 'test', path: '/kind', value: 'Nope' }],
      [{ op: 'bogus', path: '/' }],
      [{ op: 'add', path: '', value: null }],
      [{ op: 'add', path: '/spec/containers/-', value: {} }],
      [{ op: 'replace', path: '/metadata/name', value: 'other' }],
      [{ op: 'add', path: '/a/b/c/d', value: 1 }],
      [{ op: 'add', path: '/metadata/labels/~2', value: 1 }],
      [{ op: 'add', path: '/__proto__/polluted', value: 1 }],
      [{ op: 'replace', path: '/spec/containers/99999999999999999999', value: 1 }],
      { op: 'add' },
      [null],
      [{}],
    ];
    text = JSON.stringify(rng.pick(ops));
  } else if (method === 'PATCH' && kind < 10) {
    const patches: unknown[] = [
      { metadata: { labels: { a: 'b' } } },
      { metadata: null },
      { metadata: { name: 'renamed' } },
      { metadata: { resourceVersion: '1' } },
      { metadata: { uid: 'bad' } },
      { spec: null },
      { spec: { replicas: -3 } },
      { spec: { containers: [{ name: 'c', $patch: 'delete' }] } },
      { spec: { containers: { $patch: 'replace' } } },
      { spec: { $patch: 'delete' } },
      { $patch: 'replace' },
      { spec: { template: { spec: { containers: [{ name: 'side', image: 'x' }] } } }, '$setElementOrder/containers': 5 },
      { spec: { 'x/y': 1, '$deleteFromPrimitiveList/finalizers': ['a'], '$setElementOrder/containers': [{ name: 'c' }] } },
      { kind: 'Other', apiVersion: 'v9' },
      { status: { phase: 'Running' } },
      [1, 2],
      'string',
      42,
      null,
    ];
    text = JSON.stringify(rng.pick(patches));
  } else if (kind < 5) text = JSON.stringify(obj);
  else if (kind < 9) text = JSON.stringify(mutate(rng, obj));
  else if (kind === 9) text = deepNesting(rng);
  else if (kind === 10) text = JSON.stringify(obj).slice(0, rng.int(JSON.stringify(obj).length));
  else if (kind === 11) {
    const raw = Buffer.from(JSON.stringify(obj));
    for (let i = 0; i < 1 + rng.int(8); i++) raw[rng.int(raw.length)] = rng.int(256);
    return raw;
  } else if (kind === 12) {
    // Invalid UTF-8 inside strings, and a raw protobuf-looking prefix.
    return Buffer.concat([Buffer.from('{"apiVersion":"v1","kind":"ConfigMap","metadata":{"name":"u'), Buffer.from([0xff, 0xfe, 0xc3, 0x28, 0xed, 0xa0, 0x80]), Buffer.from('"},"data":{"k":"\xff"}}')]);
  } else if (kind === 13) {
    const yamls = ['apiVersion: v1\nkind: ConfigMap\nmetadata: {name: y1}\ndata: {k: v}\n', 'a: &a [*a]\n', 'x: [' + '&a '.repeat(2) + ']', '- - - - -', ':\n  :\n - ]', 'a: !!binary "@@@"', 'a: 1\na: 2\n', '---\na: 1\n---\nb: 2\n', `a: &a ["x","x"]\nb: &b [*a,*a,*a,*a,*a,*a,*a,*a]\nc: &c [*b,*b,*b,*b,*b,*b,*b,*b]\nd: &d [*c,*c,*c,*c,*c,*c,*c,*c]\ne: [*d,*d,*d,*d,*d,*d,*d,*d]`, 'metadata: !!js/function "x"'];
    text = rng.pick(yamls);
  } else if (kind === 14) {
    // k8s\0 magic followed by random bytes: the protobuf decoder must reject, not throw.
    const junk = Buffer.alloc(rng.int(64));
    for (let i = 0; i < junk.length; i++) junk[i] = rng.int(256);
    return Buffer.concat([rng.chance(0.7) ? Buffer.from([0x6b, 0x38, 0x73, 0x00]) : Buffer.alloc(0), junk]);
  } else text = rng.pick(['', ' ', 'null', '[]', '"x"', '123', 'true', '{}', '{"metadata":[]}', '{"metadata":{"name":{"a":1}}}', '{"kind":5}', '\ufeff{}', '{"metadata":{"name":"n","labels":{"a":{}}}}', '{"metadata":{"name":"n","annotations":[1]}}', '{"metadata":{"name":"n","finalizers":"x"}}', '{"metadata":{"name":"n","ownerReferences":[{}]}}', '{"metadata":{"generateName":"' + 'g'.repeat(300) + '"}}']);
  return Buffer.from(text);
}

interface Req {
  n: number;
  method: string;
  path: string;
  headers: Record<string, string>;
  body?: Buffer;
}

function makeRequest(rng: Rng, n: number): Req {
  const r = rng.pick(resources);
  const method = rng.pick(methods);
  const ns = rng.chance(0.7) ? 'fuzz' : rng.pick(namespaces);
  const name = rng.chance(0.6) ? rng.pick(['f0', 'f1', 'f2']) : rng.pick(names);
  let path: string;
  const shape = rng.int(20);
  if (shape === 0) path = rng.pick(['/', '/api', '/apis', '/api/v1', '/apis/apps', '/apis/apps/v1', '/apis/nope/v1', '/api/v2', '/version', '/openapi/v3', '/openapi/v3/api/v1', '/openapi/v3/apis/apps/v1', '/openapi/v3/nope', '/metrics', '/apis/apps/v1/nope', '//api//v1//pods', '/api/v1/namespaces', '/api/v1/namespaces/fuzz/pods/f0/log', '/apis/apps/v1/namespaces/fuzz/deployments/f0/scale']);
  else if (shape === 1) path = '/' + Array.from({ length: 1 + rng.int(8) }, () => rng.pick(['api', 'apis', 'v1', 'namespaces', 'fuzz', 'pods', '%', '%ZZ', '%E0%A4%A', '..', '.', '', 'x'.repeat(rng.int(3000)), '%00', '\u00e9'])).join('/');
  else {
    const nsPart = r.namespaced && rng.chance(0.85) ? `/namespaces/${ns}` : '';
    const named = method === 'POST' ? rng.chance(0.15) : rng.chance(0.8);
    const sub = named ? rng.pick(subresources) : undefined;
    path = `${r.prefix}${nsPart}/${r.plural}${named ? `/${name}` : ''}${sub ? `/${sub}` : ''}`;
  }
  const q = new URLSearchParams();
  for (let i = rng.int(4); i > 0; i--) {
    const k = rng.pick(Object.keys(queryValues));
    q.set(k, rng.pick(queryValues[k]));
  }
  let qs = q.toString();
  if (rng.chance(0.03)) qs += '&%ZZ=%&&=';
  const ct = rng.pick(contentTypes);
  const headers: Record<string, string> = {};
  if (ct) headers['content-type'] = ct;
  const accept = rng.pick(accepts);
  if (accept) headers.accept = accept;
  const b = body(rng, r, name, ns, method, ct);
  let payload = b;
  if (rng.chance(0.004)) payload = Buffer.alloc(3 * 1024 * 1024 + 100, 0x20); // over the body limit
  // Spaces and non-ASCII go percent-encoded, as any HTTP client sends them.
  path = path.replace(/[^\x21-\x7e]/gu, (c) => encodeURIComponent(c));
  return { n, method, path: path + (qs ? `?${qs}` : ''), headers, body: payload };
}

interface Answer {
  status: number;
  contentType: string;
  text: string;
  watch: boolean;
}

function send(srv: TestServer, agent: https.Agent, r: Req): Promise<Answer> {
  return new Promise((resolve, reject) => {
    // The server's rule: any value but "", "false" and "0" asks for a watch.
    const w = /[?&]watch=([^&]*)/.exec(r.path)?.[1];
    const isWatch = w !== undefined && !['', 'false', '0'].includes(w.toLowerCase());
    const req = https.request({ host: '127.0.0.1', port: srv.port, method: r.method, path: r.path, agent, headers: { ...r.headers, ...(r.body ? { 'content-length': String(r.body.length) } : {}) } }, (res) => {
      const chunks: Buffer[] = [];
      let size = 0;
      res.on('data', (c: Buffer) => {
        if (size < 2 * 1024 * 1024) chunks.push(c);
        size += c.length;
      });
      const done = () => resolve({ status: res.statusCode ?? 0, contentType: String(res.headers['content-type'] ?? ''), text: Buffer.concat(chunks).toString('utf8'), watch: isWatch && res.statusCode === 200 });
      res.on('end', done);
      res.on('error', reject);
      // A watch streams until its timeout: read what arrives for a moment, then hang up (the server must cope).
      if (isWatch && res.statusCode === 200) setTimeout(() => {
        req.destroy();
        done();
      }, 300);
    });
    req.on('error', reject);
    const hang = setTimeout(() => {
      req.destroy();
      reject(new Error(`no answer in ${REQUEST_TIMEOUT_MS} ms (hang)`));
    }, REQUEST_TIMEOUT_MS);
    req.on('close', () => clearTimeout(hang));
    if (r.body) req.write(r.body);
    req.end();
  });
}

/** What is wrong with an answer, or undefined when it is acceptable. */
function judge(r: Req, a: Answer): string | undefined {
  if (a.status >= 500 && a.status !== 503 && a.status !== 504) return `server error ${a.status}: ${a.text.slice(0, 300)}`;
  if (a.status < 200 || a.status >= 600) return `odd status ${a.status}`;
  if (r.method === 'HEAD') return undefined; // no body by definition
  // watch=true where the server does not watch (a named GET, a DELETE) answers with one plain JSON document.
  let whole: any;
  try {
    whole = JSON.parse(a.text);
  } catch {
    /* a stream of events, or not JSON */
  }
  const isEvent = (x: any) => x && typeof x === 'object' && 'type' in x && 'object' in x;
  if (a.watch && (whole === undefined || isEvent(whole))) {
    for (const line of a.text.split('\n').filter(Boolean)) {
      let ev: any;
      try {
        ev = JSON.parse(line);
      } catch {
        // A hang-up may cut the last line short; every complete line must parse.
        if (a.text.endsWith('\n') || line !== a.text.split('\n').filter(Boolean).at(-1)) return `watch line is not JSON: ${line.slice(0, 200)}`;
        continue;
      }
      if (!['ADDED', 'MODIFIED', 'DELETED', 'BOOKMARK', 'ERROR'].includes(ev.type) || typeof ev.object !== 'object') return `bad watch event: ${line.slice(0, 200)}`;
    }
    return undefined;
  }
  if (/^\/(healthz|livez|readyz)/.test(r.path)) return undefined;
  if (/\/log(\?|$)/.test(r.path) && a.status === 200 && a.contentType.startsWith('text/plain')) return undefined; // pods/log is text
  // /metrics is Prometheus text, as kube-apiserver serves it.
  if (/^\/metrics(\?|$)/.test(r.path) && a.status === 200 && a.contentType.startsWith('text/plain; version=0.0.4')) return undefined;
  let body: any;
  try {
    body = JSON.parse(a.text);
  } catch {
    return `body is not JSON (status ${a.status}, ${a.contentType}): ${a.text.slice(0, 200)}`;
  }
  if (!a.contentType.startsWith('application/json')) return `content-type ${a.contentType}`;
  if (a.status >= 300) {
    if (body?.kind !== 'Status' || body.apiVersion !== 'v1' || body.status !== 'Failure') return `error without a Status: ${a.text.slice(0, 200)}`;
    if (body.code !== a.status) return `Status.code ${body.code} differs from HTTP ${a.status}`;
    if (typeof body.message !== 'string' || !body.message) return 'Status without a message';
    if (typeof body.reason !== 'string') return 'Status without a reason';
    return undefined;
  }
  if (!body || typeof body !== 'object' || Array.isArray(body)) return `2xx body is not an object: ${a.text.slice(0, 200)}`;
  if (typeof body.kind !== 'string' && !('paths' in body) && !('major' in body) && !('openapi' in body)) return `2xx body has no kind: ${a.text.slice(0, 200)}`;
  if (typeof body.kind === 'string' && body.kind.endsWith('List') && !['APIGroupList', 'APIResourceList'].includes(body.kind) && !Array.isArray(body.items)) return `list without items: ${a.text.slice(0, 200)}`;
  if (body.kind === 'Table' && (!Array.isArray(body.columnDefinitions) || !Array.isArray(body.rows))) return 'table without columns/rows';
  return undefined;
}

let srv: TestServer;
t.before(async () => {
  srv = await startServer({ args: ['--disable-controllers'] });
  await srv.kubectl(['create', 'namespace', 'fuzz']);
  await ensureServiceAccount(srv.client, 'fuzz');
  const seed = `apiVersion: v1
kind: ConfigMap
metadata: {name: f0, namespace: fuzz}
---
apiVersion: v1
kind: Pod
metadata: {name: f0, namespace: fuzz, labels: {app: web}}
spec: {containers: [{name: c, image: "busybox:1.35"}]}
---
apiVersion: apps/v1
kind: Deployment
metadata: {name: f0, namespace: fuzz}
spec:
  selector: {matchLabels: {app: web}}
  template:
    metadata: {labels: {app: web}}
    spec: {containers: [{name: c, image: "busybox:1.35"}]}
---
apiVersion: v1
kind: Service
metadata: {name: f0, namespace: fuzz}
spec: {selector: {app: web}, ports: [{port: 80}]}
`;
  const r = await srv.kubectl(['apply', '-f', '-'], { input: seed });
  if (r.exitCode !== 0) throw new Error(r.stderr);
});
t.teardown(() => srv?.destroy());

t.test(`${REQUESTS} mutated requests (seed ${SEED}) get sensible answers`, async (t) => {
  const rng = prng(SEED);
  // Generate up front so the sequence doesn't depend on timing.
  const reqs = Array.from({ length: REQUESTS }, (_, i) => makeRequest(rng, i));
  const agent = new https.Agent({ ca: srv.client.config.ca, cert: srv.client.config.cert, key: srv.client.config.key, keepAlive: true, maxSockets: CONCURRENCY });
  t.teardown(() => agent.destroy());
  const failures: string[] = [];
  const codes = new Map<number, number>();
  const start = Date.now();
  let next = 0;
  let sent = 0;
  const worker = async () => {
    while (next < reqs.length && Date.now() - start < BUDGET_MS) {
      const r = reqs[next++];
      let problem: string | undefined;
      try {
        const a = await send(srv, agent, r);
        codes.set(a.status, (codes.get(a.status) ?? 0) + 1);
        problem = judge(r, a);
      } catch (e) {
        problem = `request failed: ${(e as Error).message}`;
      }
      sent++;
      if (problem && failures.length < 20) failures.push(`#${r.n} ${r.method} ${r.path.slice(0, 200)} [${r.headers['content-type'] ?? ''}] body=${r.body ? JSON.stringify(r.body.toString('utf8').slice(0, 160)) : '-'}\n    → ${problem}`);
      if (srv.proc.exitCode !== null || srv.proc.signalCode !== null) break;
    }
  };
  await Promise.all(Array.from({ length: CONCURRENCY }, worker));
  t.comment(`sent ${sent}/${REQUESTS} in ${Date.now() - start} ms; codes ${JSON.stringify(Object.fromEntries([...codes].sort((a, b) => a[0] - b[0])))}`);
  t.equal(srv.proc.exitCode, null, 'server still running');
  t.equal(srv.proc.signalCode, null, 'server not killed');
  t.ok(sent >= Math.min(REQUESTS, 500), `enough requests sent (${sent})`);
  t.same(failures, [], `no bad answers (replay with KUBETS_FUZZ_SEED=${SEED})`);
});

t.test('the server still serves after the fuzzing', async (t) => {
  const ready = await srv.client.raw('GET', '/readyz');
  t.equal(ready.status, 200);
  t.equal(ready.body.toString(), 'ok');
  const pods = await srv.kubectl(['get', 'pods', '-A', '-o', 'name']);
  t.equal(pods.exitCode, 0, pods.stderr);
  t.equal((await srv.kubectl(['create', 'namespace', 'after'])).stdout.trim(), 'namespace/after created');
  const cm = await srv.kubectl(['create', 'configmap', 'after', '-n', 'after', '--from-literal=k=v']);
  t.equal(cm.stdout.trim(), 'configmap/after created');
  t.equal((await srv.kubectl(['get', 'configmap', 'after', '-n', 'after', '-o', 'jsonpath={.data.k}'])).stdout, 'v');
});
