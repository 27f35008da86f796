// API aggregation on a real `kubets server`: an APIService pointing at a Service whose Endpoints are a tiny HTTPS
// server on loopback. The server receives requests over TLS verified with the APIService's caBundle, with the
// front-proxy client certificate (checked against the CA the `extension-apiserver-authentication` ConfigMap
// publishes) and the authenticated user in X-Remote-User / X-Remote-Group — never the caller's own credentials or
// forged X-Remote headers; discovery lists its resources and /openapi/v3 its OpenAPI document (proxied, which
// `kubectl explain` reads); an APIService without a Service or endpoints is Available=False with kube-aggregator's
// reason and requests to it get 503.
import https from 'node:https';
import type { AddressInfo } from 'node:net';
import type { TLSSocket } from 'node:tls';
import t from 'tap';
import { discovery as metricsDiscovery } from '../addons/metrics-server/api.js';
import { metricsOpenAPIIndex, serveOpenAPI } from '../addons/metrics-server/openapi.js';
import { createCA, issueCert } from '../api/pki.js';
import { Resources } from '../api/resources.js';
import type { APIService, KubeObject } from '../api/types.js';
import { startServer, type TestServer } from './server-fixture.js';
import { until } from './until.js';

let srv: TestServer;
let backend: https.Server;
let port = 0;
interface Seen { url: string; user?: string | string[]; groups?: string | string[]; authorization?: string | string[]; peerCN?: string | string[]; authorized: boolean }
const seen: Seen[] = [];

const GROUP = 'widgets.example.com';
const GROUP_METRICS = 'metrics.k8s.io';
const METRICS = `${GROUP_METRICS}/v1beta1`;
const discovery = { kind: 'APIResourceList', apiVersion: 'v1', groupVersion: `${GROUP}/v1`, resources: [{ name: 'widgets', singularName: 'widget', namespaced: true, kind: 'Widget', verbs: ['get', 'list'], shortNames: ['wdg'] }] };
// The backend's OpenAPI v3: an index naming its group-versions' documents by a hash (and one entry no APIService
// claims), and the documents; it serves metrics-server's metrics.k8s.io as well, with metrics-server's document.
const openapiURL = `/openapi/v3/apis/${GROUP}/v1?hash=ABC123`;
const openapiIndex = { paths: { [`apis/${GROUP}/v1`]: { serverRelativeURL: openapiURL }, ...metricsOpenAPIIndex.paths, apis: { serverRelativeURL: '/openapi/v3/apis?hash=0' } } };
const openapiDoc = { openapi: '3.0.0', info: { title: 'widgets', version: 'v1' }, paths: {}, components: { schemas: {} } };

t.before(async () => {
  srv = await startServer();
  const auth = await srv.client.get<KubeObject & { data?: Record<string, string> }>(Resources.configmaps, 'kube-system', 'extension-apiserver-authentication');
  const frontProxyCA = auth.data!['requestheader-client-ca-file'];
  const ca = await createCA('widgets-ca');
  const serving = await issueCert(ca, { commonName: 'widgets', dnsNames: ['widgets.kube-system.svc'], server: true });
  backend = https.createServer({ cert: serving.certPem, key: serving.keyPem, ca: frontProxyCA, requestCert: true, rejectUnauthorized: false }, (req, res) => {
    const sock = req.socket as TLSSocket;
    seen.push({ url: req.url ?? '', user: req.headers['x-remote-user'], groups: req.headersDistinct['x-remote-group'], authorization: req.headers.authorization, peerCN: sock.getPeerCertificate()?.subject?.CN, authorized: sock.authorized });
    if (req.url === `/apis/${GROUP}/v1`) return res.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify(discovery));
    if (req.url === `/apis/${METRICS}`) return res.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify(metricsDiscovery));
    const metricsDoc = serveOpenAPI(new URL(req.url ?? '/', 'https://x').pathname);
    if (req.url !== '/openapi/v3' && metricsDoc) return res.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify(metricsDoc.body));
    if (req.url === '/openapi/v3') return res.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify(openapiIndex));
    if (req.url?.startsWith(`/openapi/v3/apis/${GROUP}/v1`)) return res.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify(openapiDoc));
    if (req.url?.startsWith(`/apis/${GROUP}/v1/namespaces/default/widgets`)) return res.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify({ kind: 'WidgetList', apiVersion: `${GROUP}/v1`, metadata: {}, items: [{ kind: 'Widget', apiVersion: `${GROUP}/v1`, metadata: { name: 'w1', namespace: 'default' } }] }));
    res.writeHead(404).end();
  });
  await new Promise<void>((r) => backend.listen(0, '127.0.0.1', r));
  port = (backend.address() as AddressInfo).port;
  await srv.client.create(Resources.services, 'kube-system', { apiVersion: 'v1', kind: 'Service', metadata: { name: 'widgets', namespace: 'kube-system' }, spec: { ports: [{ name: 'https', port: 443, targetPort: port }] } } as KubeObject);
  await srv.client.create(Resources.endpoints, 'kube-system', { apiVersion: 'v1', kind: 'Endpoints', metadata: { name: 'widgets', namespace: 'kube-system' }, subsets: [{ addresses: [{ ip: '127.0.0.1' }], ports: [{ name: 'https', port }] }] } as KubeObject);
  // Both group-versions served by the one backend behind the widgets Service.
  for (const [group, version] of [[GROUP, 'v1'], [GROUP_METRICS, 'v1beta1']] as const) {
    await srv.client.create(Resources.apiservices, undefined, {
      apiVersion: 'apiregistration.k8s.io/v1',
      kind: 'APIService',
      metadata: { name: `${version}.${group}` },
      spec: { group, version, service: { namespace: 'kube-system', name: 'widgets', port: 443 }, caBundle: Buffer.from(ca.certPem).toString('base64'), groupPriorityMinimum: 100, versionPriority: 100 },
    } as APIService);
  }
});

t.teardown(async () => {
  backend?.close();
  backend?.closeAllConnections();
  await srv?.destroy();
});

const available = (name: string) => async () => {
  const a = await srv.client.get<APIService>(Resources.apiservices, undefined, name);
  return a.status?.conditions?.find((c) => c.type === 'Available');
};

t.test('the built-in groups are Local APIServices; the remote one becomes Available', async (t) => {
  const cond = await until('APIService available', async () => {
    const c = await available(`v1.${GROUP}`)();
    return c?.status === 'True' ? c : undefined;
  });
  t.equal(cond.reason, 'Passed');
  const out = await srv.kubectl(['get', 'apiservices']);
  t.match(out.stdout, /^NAME\s+SERVICE\s+AVAILABLE\s+AGE/);
  t.match(out.stdout, /\nv1\.apps\s+Local\s+True\s/);
  t.match(out.stdout, /\nv2\.autoscaling\s+Local\s+True\s/);
  t.match(out.stdout, new RegExp(`\\nv1\\.${GROUP.replace(/\./g, '\\.')}\\s+kube-system/widgets\\s+True\\s`));
});

t.test('requests are relayed with the front-proxy certificate and the user in X-Remote headers', async (t) => {
  seen.length = 0;
  // Controllers (the garbage collector) list the group too: this request is told apart by its query.
  const out = await srv.kubectl(['get', '--raw', `/apis/${GROUP}/v1/namespaces/default/widgets?limit=7`]);
  t.equal(out.exitCode, 0, out.stderr);
  t.equal(JSON.parse(out.stdout).items[0].metadata.name, 'w1');
  const req = seen.find((s) => s.url.endsWith('/widgets?limit=7'))!;
  t.ok(req, 'the backend was asked');
  t.equal(req.peerCN, 'front-proxy-client');
  t.ok(req.authorized, 'the client certificate verifies against the published front-proxy CA');
  t.equal(req.user, 'kubernetes-admin');
  t.same([req.groups].flat().sort(), ['system:authenticated', 'system:masters']);
  t.equal(req.authorization, undefined, 'the caller\'s credentials stay here');

  // A client cannot forge the identity headers: they are replaced by the authenticated user's.
  seen.length = 0;
  const forged = await srv.client.raw('GET', `/apis/${GROUP}/v1/namespaces/default/widgets?limit=8`, undefined, { 'X-Remote-User': 'mallory', 'X-Remote-Group': 'system:masters' });
  t.equal(forged.status, 200);
  t.equal(seen.find((s) => s.url.endsWith('?limit=8'))?.user, 'kubernetes-admin');
});

t.test('discovery lists the aggregated group', async (t) => {
  const out = await srv.kubectl(['api-resources', '--api-group', GROUP]);
  t.equal(out.exitCode, 0, out.stderr);
  t.match(out.stdout, /widgets\s+wdg\s+widgets\.example\.com\/v1\s+true\s+Widget/);
  const groups = await srv.client.request<{ groups: { name: string }[] }>('GET', '/apis');
  t.ok(groups.groups.some((g) => g.name === GROUP), '/apis lists the group');
  const group = await srv.client.request<{ preferredVersion: { groupVersion: string } }>('GET', `/apis/${GROUP}`);
  t.equal(group.preferredVersion.groupVersion, `${GROUP}/v1`);
});

t.test('/openapi/v3 lists the aggregated group-versions; their documents are proxied; kubectl explain reads metrics-server\'s', async (t) => {
  const index = await until('the aggregated document in /openapi/v3', async () => {
    const i = await srv.client.request<{ paths: Record<string, { serverRelativeURL: string }> }>('GET', '/openapi/v3');
    return i.paths[`apis/${GROUP}/v1`] && i;
  });
  t.equal(index.paths[`apis/${GROUP}/v1`].serverRelativeURL, openapiURL, "the backend's own URL, with its hash");
  t.notOk(index.paths.apis, "the backend's entries no APIService claims are left out");
  t.match(index.paths['apis/apps/v1']?.serverRelativeURL, /^\/openapi\/v3\/apis\/apps\/v1\?hash=[0-9A-F]{128}$/, 'beside the built-in group-versions');

  seen.length = 0;
  const doc = await srv.client.request<typeof openapiDoc>('GET', openapiURL);
  t.same(doc, openapiDoc, 'the document, from the backend');
  const req = seen.find((s) => s.url === openapiURL);
  t.equal(req?.user, 'kubernetes-admin', 'asked as the caller, through the front proxy');
  t.equal(req?.peerCN, 'front-proxy-client');
  t.equal((await srv.client.raw('GET', '/openapi/v3/apis/nothere.example.com/v1')).status, 404, 'a group-version nobody serves is 404');

  // metrics-server's own document: listed, and explained.
  await until('the metrics.k8s.io document in /openapi/v3', async () => (await srv.client.request<typeof index>('GET', '/openapi/v3')).paths[`apis/${METRICS}`]);
  const metrics = await srv.kubectl(['explain', 'podmetrics.containers']);
  t.equal(metrics.exitCode, 0, metrics.stderr);
  t.match(metrics.stdout, /GROUP:\s+metrics\.k8s\.io/);
  t.match(metrics.stdout, /KIND:\s+PodMetrics/);
  t.match(metrics.stdout, /usage\s+<map\[string\]Quantity> -required-/);
});

t.test('an APIService without its Service, or without endpoints, is unavailable and answers 503', async (t) => {
  await srv.client.create(Resources.apiservices, undefined, { apiVersion: 'apiregistration.k8s.io/v1', kind: 'APIService', metadata: { name: 'v1beta1.gone.example.com' }, spec: { group: 'gone.example.com', version: 'v1beta1', service: { namespace: 'kube-system', name: 'nothere' }, insecureSkipTLSVerify: true, groupPriorityMinimum: 100, versionPriority: 100 } } as APIService);
  const gone = await until('ServiceNotFound', async () => {
    const c = await available('v1beta1.gone.example.com')();
    return c?.status === 'False' ? c : undefined;
  });
  t.equal(gone.reason, 'ServiceNotFound');
  t.equal(gone.message, 'service/nothere in "kube-system" is not present');
  const r = await srv.client.raw('GET', '/apis/gone.example.com/v1beta1/things');
  t.equal(r.status, 503);
  t.match(r.body.toString(), /service unavailable/);
  const out = await srv.kubectl(['get', 'apiservice', 'v1beta1.gone.example.com']);
  t.match(out.stdout, /kube-system\/nothere\s+False \(ServiceNotFound\)/);

  await srv.client.patch(Resources.endpoints, 'kube-system', 'widgets', 'merge', { subsets: [] });
  const missing = await until('MissingEndpoints', async () => {
    const c = await available(`v1.${GROUP}`)();
    return c?.status === 'False' ? c : undefined;
  });
  t.equal(missing.reason, 'MissingEndpoints');
  t.equal(missing.message, 'endpoints for service/widgets in "kube-system" have no addresses with port name "https"');
  t.equal((await srv.client.raw('GET', `/apis/${GROUP}/v1/namespaces/default/widgets`)).status, 503);
});
