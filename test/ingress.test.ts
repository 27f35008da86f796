// Ingress end to end on one machine, with the real kubectl and a real API server: the kinds as kubectl shows them
// (columns, short names, the default class filled in, 422s in kube-apiserver's words), then the controller running
// in-process as its own service account (the add-on's RBAC), proxying to backends that are real HTTP servers on
// 127.0.0.x loopback addresses named by EndpointSlices. Requests go to the controller on loopback with Host headers
// and TLS server names: routing by host and path, round robin, 404 and 503, forwarded headers, certificates by SNI
// with a self-signed fallback, live changes, and status.loadBalancer from the controller's own pods.
import fs from 'node:fs';
import http from 'node:http';
import os from 'node:os';
import path from 'node:path';
import tls from 'node:tls';
import t from 'tap';
import { ingressManifests } from '../addons/ingress/manifests.js';
import { ingressDefaults, startIngressController, type RunningIngressController } from '../addons/ingress/index.js';
import { ApiClient } from '../api/client.js';
import { isAlreadyExists, StatusError } from '../api/errors.js';
import { createCA, issueCert } from '../api/pki.js';
import { Resources, type ResourceRef } from '../api/resources.js';
import type { EndpointSlice, Ingress, KubeObject, Pod, Service } from '../api/types.js';
import { kubectlWith } from './identities.js';
import { ensureServiceAccount, startServer, type TestServer } from './server-fixture.js';
import { until } from './until.js';

const NS = 'shop';
let srv: TestServer;

async function ensure(client: ApiClient, ref: ResourceRef, obj: KubeObject): Promise<void> {
  await client.create(ref, ref.namespaced ? obj.metadata.namespace : undefined, obj).catch((e) => (isAlreadyExists(e) ? undefined : Promise.reject(e)));
}
const refOf = (obj: KubeObject) => Object.values(Resources).find((r) => r.kind === obj.kind && `${r.group ? `${r.group}/` : ''}${r.version}` === obj.apiVersion)!;

t.before(async () => {
  srv = await startServer({ args: ['--disable-controllers'] });
  // The add-on's identity and its default IngressClass, as `kubets init` applies them.
  for (const obj of ingressManifests({ image: 'kubets.local/kubets:test' }).filter((o) => o.kind !== 'DaemonSet')) await ensure(srv.client, refOf(obj), obj);
  await ensure(srv.client, Resources.namespaces, { apiVersion: 'v1', kind: 'Namespace', metadata: { name: NS } });
});
t.teardown(() => srv?.destroy());

const ingressYaml = (name: string, extra = '') => `apiVersion: networking.k8s.io/v1
kind: Ingress
metadata:
  name: ${name}
  namespace: ${NS}
spec:
${extra}  rules:
  - host: ${name}.local
    http:
      paths:
      - path: /
        pathType: Prefix
        backend:
          service:
            name: web
            port:
              number: 80
`;

t.test('kubectl: the kinds, the default class filled in, columns, 422s', async (t) => {
  const kubectl = kubectlWith(srv);
  const resources = await kubectl.ok(['api-resources', '--api-group', 'networking.k8s.io']);
  t.match(resources, /^ingressclasses\s+networking\.k8s\.io\/v1\s+false\s+IngressClass$/m);
  t.match(resources, /^ingresses\s+ing\s+networking\.k8s\.io\/v1\s+true\s+Ingress$/m);
  t.match(await kubectl.ok(['explain', 'ingress.spec.rules.http.paths.pathType']), /ENUM:\s+Exact\s+ImplementationSpecific\s+Prefix/, 'kubectl explain from the OpenAPI');
  t.match(await kubectl.ok(['get', 'ingressclass']), /^NAME\s+CONTROLLER\s+PARAMETERS\s+AGE\nkubets\s+kubets\.io\/ingress-controller\s+<none>\s+\d+s$/);

  t.equal(await kubectl.ok(['apply', '-f', '-'], ingressYaml('plain')), 'ingress.networking.k8s.io/plain created');
  const stored = JSON.parse(await kubectl.ok(['get', 'ingress', 'plain', '-n', NS, '-o', 'json'])) as Ingress;
  t.equal(stored.spec.ingressClassName, 'kubets', 'no class given: the default class');
  t.match(await kubectl.ok(['get', 'ing', '-n', NS]), /^NAME\s+CLASS\s+HOSTS\s+ADDRESS\s+PORTS\s+AGE\nplain\s+kubets\s+plain\.local\s+80\s+\d+s$/);
  // `kubectl create ingress` sends protobuf; the rule's "*" path means Prefix on "/", as kubectl builds it.
  t.equal(await kubectl.ok(['create', 'ingress', 'made', '-n', NS, '--class=other', '--rule=a.local/*=web:80,tls=a-tls', '--rule=b.local/api=api:http', '--rule=c.local/x=web:80', '--rule=d.local/y=web:80']), 'ingress.networking.k8s.io/made created');
  t.match(await kubectl.ok(['get', 'ing', 'made', '-n', NS]), /^made\s+other\s+a\.local,b\.local,c\.local \+ 1 more\.\.\.\s+80, 443\s+\d+s$/m, 'another class kept; hosts cut at three; TLS adds 443');
  const made = JSON.parse(await kubectl.ok(['get', 'ing', 'made', '-n', NS, '-o', 'json'])) as Ingress;
  t.same(made.spec.rules?.[1], { host: 'b.local', http: { paths: [{ path: '/api', pathType: 'Exact', backend: { service: { name: 'api', port: { name: 'http' } } } }] } });
  t.match(await kubectl.ok(['describe', 'ing', 'plain', '-n', NS]), /plain\.local\s+\/\s+web:80 \(<error: services "web" not found>\)/);

  const noType = ingressYaml('bad').replace('        pathType: Prefix\n', '');
  t.match(await kubectl.fails(['apply', '-f', '-'], noType), 'The Ingress "bad" is invalid: spec.rules[0].http.paths[0].pathType: Required value: pathType must be specified');
  const e = await srv.client
    .create(Resources.ingresses, NS, { apiVersion: 'networking.k8s.io/v1', kind: 'Ingress', metadata: { name: 'bad' }, spec: { rules: [{ host: '10.0.0.1', http: { paths: [{ path: '/', pathType: 'Prefix', backend: { service: { name: 'web', port: {} } } }] } }] } } as Ingress)
    .catch((x: unknown) => x);
  t.equal((e as StatusError).code, 422);
  t.same((e as StatusError).details?.causes?.map((c) => `${c.field}: ${c.message}`), [
    'spec.rules[0].host: Invalid value: "10.0.0.1": must be a DNS name, not an IP address',
    'spec.rules[0].http.paths[0].backend: Required value: port name or number is required',
  ]);
  t.equal(await kubectl.ok(['delete', 'ing', 'plain', 'made', '-n', NS]), 'ingress.networking.k8s.io "plain" deleted\ningress.networking.k8s.io "made" deleted');
});

// ---- the controller ----

interface Backend {
  name: string;
  ip: string;
  port: number;
  server: http.Server;
}

/** An HTTP server on a loopback address that answers with its name, the path and the headers it got. */
async function backend(name: string, ip: string): Promise<Backend> {
  const server = http.createServer((req, res) => res.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify({ name, url: req.url, headers: req.headers })));
  // A WebSocket upgrade: the connection then echoes what it gets (unframed: the proxy only relays bytes), prefixed
  // with the backend's name.
  server.on('upgrade', (_req, socket) => {
    socket.write('HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n\r\n');
    socket.on('data', (d: Buffer) => socket.write(`${name}:${d}`));
    socket.on('end', () => socket.end());
  });
  await new Promise<void>((resolve, reject) => server.once('error', reject).listen(0, ip, () => resolve()));
  return { name, ip, port: (server.address() as { port: number }).port, server };
}

interface Answer {
  status: number;
  body: string;
  json?: { name: string; url: string; headers: Record<string, string> };
}

function get(port: number, host: string, urlPath: string, headers: Record<string, string> = {}): Promise<Answer> {
  return new Promise((resolve, reject) => {
    const req = http.request({ host: '127.0.0.1', port, path: urlPath, headers: { host, ...headers }, agent: false }, (res) => {
      let body = '';
      res.on('data', (c) => (body += c));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, body, json: res.headers['content-type'] === 'application/json' ? JSON.parse(body) : undefined }));
    });
    req.on('error', reject);
    req.end();
  });
}

/** A WebSocket upgrade through the controller: what one message comes back as, or the refusal's status. */
function upgrade(port: number, host: string, urlPath: string): Promise<string> {
  return new Promise((resolve, reject) => {
    const req = http.request({ host: '127.0.0.1', port, path: urlPath, headers: { host, connection: 'Upgrade', upgrade: 'websocket' }, agent: false });
    req.on('upgrade', (_res, socket) => {
      socket.once('data', (d: Buffer) => {
        resolve(d.toString());
        socket.destroy();
      });
      socket.write('ping');
    });
    req.on('response', (res) => {
      res.resume();
      resolve(`refused ${res.statusCode}`);
    });
    req.on('error', reject);
    req.end();
  });
}

/** A request over TLS with a server name: the certificate presented and the answer. */
function getTLS(port: number, servername: string | undefined, host: string, urlPath: string): Promise<Answer & { subject: string; altNames: string }> {
  return new Promise((resolve, reject) => {
    // Without a servername, no SNI is sent (the host is an IP address).
    const socket = tls.connect({ host: '127.0.0.1', port, ...(servername ? { servername } : {}), rejectUnauthorized: false }, () => {
      const cert = socket.getPeerCertificate();
      const req = http.request({ createConnection: () => socket, path: urlPath, headers: { host } }, (res) => {
        let body = '';
        res.on('data', (c) => (body += c));
        res.on('end', () => resolve({ status: res.statusCode ?? 0, body, json: res.headers['content-type'] === 'application/json' ? JSON.parse(body) : undefined, subject: String(cert.subject?.CN ?? ''), altNames: cert.subjectaltname ?? '' }));
      });
      req.on('error', reject);
      req.end();
    });
    socket.on('error', reject);
  });
}

const svc = (name: string, ports: Service['spec']['ports']): Service => ({ apiVersion: 'v1', kind: 'Service', metadata: { name, namespace: NS }, spec: { type: 'ClusterIP', ports } });
function slice(svcName: string, name: string, b: Backend[], portName = 'http', ready = true): EndpointSlice {
  return {
    apiVersion: 'discovery.k8s.io/v1',
    kind: 'EndpointSlice',
    metadata: { name, namespace: NS, labels: { 'kubernetes.io/service-name': svcName } },
    addressType: 'IPv4',
    endpoints: b.map((x) => ({ addresses: [x.ip], conditions: { ready } })),
    ports: [{ name: portName, port: b[0]!.port, protocol: 'TCP' }],
  };
}

t.test('the controller: routes, round robin, 404/503, forwarded headers, TLS by SNI, live changes, status', async (t) => {
  // Backends: web on two addresses (one slice each: their ports differ), api on a third.
  const web1 = await backend('web-1', '127.0.0.2');
  const web2 = await backend('web-2', '127.0.0.3');
  const api = await backend('api', '127.0.0.4');
  t.teardown(() => Promise.all([web1, web2, api].map((b) => new Promise((r) => b.server.close(r)))));
  for (const [ref, obj] of [
    [Resources.services, svc('web', [{ name: 'http', port: 80, protocol: 'TCP', targetPort: 8080 }])],
    [Resources.services, svc('api', [{ name: 'http', port: 8080, protocol: 'TCP', targetPort: 8080 }])],
    [Resources.endpointslices, slice('web', 'web-a', [web1])],
    [Resources.endpointslices, slice('web', 'web-b', [web2])],
    [Resources.endpointslices, slice('api', 'api-a', [api])],
  ] as const) await ensure(srv.client, ref, obj as KubeObject);

  // A certificate for secure.local, in a kubernetes.io/tls Secret.
  const ca = await createCA('test-ingress-ca');
  const cert = await issueCert(ca, { commonName: 'secure.local', dnsNames: ['secure.local'], server: true });
  await ensure(srv.client, Resources.secrets, { apiVersion: 'v1', kind: 'Secret', metadata: { name: 'secure-tls', namespace: NS }, type: 'kubernetes.io/tls', data: { 'tls.crt': Buffer.from(cert.certPem).toString('base64'), 'tls.key': Buffer.from(cert.keyPem).toString('base64') } } as KubeObject);

  // The controller's own pods, as the DaemonSet's would be: Running on two workers.
  await ensureServiceAccount(srv.client, 'kube-system');
  for (const [name, hostIP] of [['ingress-controller-a', '192.168.56.12'], ['ingress-controller-b', '192.168.56.11']] as const) {
    const pod = await srv.client.create<Pod>(Resources.pods, 'kube-system', { metadata: { name, labels: { 'app.kubernetes.io/name': 'ingress-controller' } }, spec: { nodeName: hostIP.endsWith('11') ? 'worker1' : 'worker2', containers: [{ name: 'controller', image: 'kubets.local/kubets:test' }] } } as Pod);
    await srv.client.updateStatus(Resources.pods, { ...pod, status: { phase: 'Running', hostIP, podIP: `10.244.${hostIP.slice(-1)}.5` } } as Pod);
  }

  // The controller as its service account, the way a pod has it mounted.
  const tr = await srv.client.createSubresource<{ status: { token: string } }>(Resources.serviceaccounts, 'kube-system', 'ingress-controller', 'token', { apiVersion: 'authentication.k8s.io/v1', kind: 'TokenRequest', metadata: { name: 'ingress-controller' }, spec: { expirationSeconds: 3600 } });
  const saDir = fs.mkdtempSync(path.join(os.tmpdir(), 'kubets-ingress-sa-'));
  t.teardown(() => fs.rmSync(saDir, { recursive: true, force: true }));
  fs.writeFileSync(path.join(saDir, 'token'), tr.status.token);
  fs.writeFileSync(path.join(saDir, 'ca.crt'), srv.client.config.ca!);
  const client = ApiClient.inCluster({ dir: saDir, env: { KUBERNETES_SERVICE_HOST: '127.0.0.1', KUBERNETES_SERVICE_PORT: String(srv.port) }, userAgent: 'kubets-ingress-test' });
  t.teardown(() => client.close());
  const ctl: RunningIngressController = await startIngressController(
    { ...ingressDefaults, bindAddress: '127.0.0.1', httpPort: 0, httpsPort: 0, healthzPort: 0, statusPods: { namespace: 'kube-system', selector: 'app.kubernetes.io/name=ingress-controller' } },
    { client },
  );
  t.teardown(() => ctl.close());
  const { http: port, https: tlsPort, healthz } = ctl.ports();
  await until('the controller to sync', () => ctl.synced());
  t.equal((await get(healthz, 'x', '/healthz')).body, 'ok', '/healthz once synced');

  const shop = `apiVersion: networking.k8s.io/v1
kind: Ingress
metadata: {name: shop, namespace: ${NS}}
spec:
  tls:
  - hosts: [secure.local]
    secretName: secure-tls
  rules:
  - host: web.local
    http:
      paths:
      - {path: /, pathType: Prefix, backend: {service: {name: web, port: {number: 80}}}}
      - {path: /api, pathType: Prefix, backend: {service: {name: api, port: {name: http}}}}
      - {path: /api/exact, pathType: Exact, backend: {service: {name: web, port: {name: http}}}}
      - {path: /gone, pathType: Prefix, backend: {service: {name: missing, port: {number: 80}}}}
  - host: "*.apps.local"
    http:
      paths:
      - {path: /, pathType: Prefix, backend: {service: {name: api, port: {number: 8080}}}}
  - host: secure.local
    http:
      paths:
      - {path: /, pathType: Prefix, backend: {service: {name: web, port: {number: 80}}}}
`;
  const kubectl = kubectlWith(srv);
  await kubectl.ok(['apply', '-f', '-'], shop);
  // Another controller's Ingress: not served here.
  await kubectl.ok(['apply', '-f', '-'], `apiVersion: networking.k8s.io/v1
kind: IngressClass
metadata: {name: nginx}
spec: {controller: k8s.io/ingress-nginx}
---
${ingressYaml('theirs', '  ingressClassName: nginx\n')}`);
  await until('the shop Ingress served', async () => (await get(port, 'web.local', '/')).status === 200);

  const seen = new Set<string>();
  for (let i = 0; i < 4; i++) seen.add((await get(port, 'web.local', '/index.html')).json!.name);
  t.same([...seen].sort(), ['web-1', 'web-2'], 'round robin over both ready endpoints of web');
  t.equal((await get(port, 'web.local', '/api/v1/items?x=1')).json?.name, 'api', 'the longer prefix');
  t.equal((await get(port, 'web.local', '/api/v1/items?x=1')).json?.url, '/api/v1/items?x=1', 'the path goes through unchanged');
  t.match((await get(port, 'web.local', '/api/exact')).json?.name, /^web-/, 'Exact beats Prefix');
  t.equal((await get(port, 'web.local', '/apis')).json?.name?.startsWith('web-'), true, 'element-wise: /apis is not under /api');
  t.equal((await get(port, 'shop.apps.local', '/')).json?.name, 'api', 'a wildcard host');
  const nothing = await get(port, 'nowhere.local', '/');
  t.equal(nothing.status, 404, 'no rule for the host: 404');
  t.match(nothing.body, /^404 Not Found/);
  t.equal((await get(port, 'theirs.local', '/')).status, 404, 'an Ingress of another class is not served');
  const gone = await get(port, 'web.local', '/gone/x');
  t.equal(gone.status, 503, 'a route to a missing Service: 503');
  t.match(gone.body, /service shop\/missing not found/);
  t.equal((await get(port, 'web.local', '/')).status, 200, 'while the other routes keep working');

  t.match(await upgrade(port, 'web.local', '/socket'), /^web-[12]:ping$/, 'a WebSocket upgrade follows the route');
  t.equal(await upgrade(port, 'nowhere.local', '/socket'), 'refused 404', 'and is refused where there is none');

  const echoed = (await get(port, 'web.local', '/h', { 'x-forwarded-for': '6.6.6.6', 'x-forwarded-proto': 'https' })).json!.headers;
  t.equal(echoed['x-forwarded-for'], '127.0.0.1', 'X-Forwarded-For is the client, not what it claimed');
  t.equal(echoed['x-forwarded-proto'], 'http');
  t.equal(echoed['x-forwarded-host'], 'web.local');
  t.equal(echoed['x-real-ip'], '127.0.0.1');
  t.equal(echoed.host, 'web.local', 'the Host header reaches the backend as sent');

  const secure = await getTLS(tlsPort, 'secure.local', 'secure.local', '/');
  t.equal(secure.subject, 'secure.local', 'SNI secure.local: the certificate of the Secret');
  t.match(secure.json?.name, /^web-/);
  t.equal(secure.json?.headers['x-forwarded-proto'], 'https');
  const fallback = await getTLS(tlsPort, 'web.local', 'web.local', '/api');
  t.equal(fallback.subject, 'Kubernetes Ingress Controller Fake Certificate', 'a name no Secret covers: the self-signed fallback');
  t.equal(fallback.json?.name, 'api', 'and the route by Host header all the same');
  t.equal((await getTLS(tlsPort, undefined, 'secure.local', '/')).subject, 'Kubernetes Ingress Controller Fake Certificate', 'no server name at all: the fallback too');

  // status.loadBalancer: the nodes running the controller's pods, written once.
  const withStatus = await until('status.loadBalancer filled', async () => {
    const ing = await srv.client.get<Ingress>(Resources.ingresses, NS, 'shop');
    return ing.status?.loadBalancer?.ingress?.length ? ing : undefined;
  });
  t.same(withStatus.status?.loadBalancer?.ingress, [{ ip: '192.168.56.11' }, { ip: '192.168.56.12' }]);
  t.match(await kubectl.ok(['get', 'ing', 'shop', '-n', NS]), /^shop\s+kubets\s+web\.local,\*\.apps\.local,secure\.local\s+192\.168\.56\.11,192\.168\.56\.12\s+80, 443\s+\d+s$/m);
  t.notOk((await srv.client.get<Ingress>(Resources.ingresses, NS, 'theirs')).status?.loadBalancer?.ingress, 'another class\'s Ingress keeps its status');

  // Live changes: the Ingress changes, the route follows; a Service loses its endpoints, its route answers 503.
  await kubectl.ok(['apply', '-f', '-'], shop.replace('{path: /, pathType: Prefix, backend: {service: {name: web, port: {number: 80}}}}', '{path: /, pathType: Prefix, backend: {service: {name: api, port: {number: 8080}}}}'));
  await until('web.local/ moved to api', async () => (await get(port, 'web.local', '/')).json?.name === 'api');
  t.pass('an updated Ingress changes the route');
  const rv = (await srv.client.get<Ingress>(Resources.ingresses, NS, 'shop')).metadata.resourceVersion;
  await srv.client.update(Resources.endpointslices, slice('api', 'api-a', [api], 'http', false));
  await until('api without ready endpoints', async () => (await get(port, 'web.local', '/api')).status === 503);
  t.match((await get(port, 'web.local', '/api')).body, /service shop\/api has no ready endpoints/);
  t.match((await get(port, 'web.local', '/api/exact')).json?.name, /^web-/, 'web still answers');
  t.equal((await srv.client.get<Ingress>(Resources.ingresses, NS, 'shop')).metadata.resourceVersion, rv, 'the status is not written again when the addresses did not change');

  // A controller pod that stops: its node leaves the status.
  const b = await srv.client.get<Pod>(Resources.pods, 'kube-system', 'ingress-controller-b');
  await srv.client.updateStatus(Resources.pods, { ...b, status: { ...b.status, phase: 'Failed' } } as Pod);
  await until('status down to one node', async () => (await srv.client.get<Ingress>(Resources.ingresses, NS, 'shop')).status?.loadBalancer?.ingress?.length === 1);
  t.same((await srv.client.get<Ingress>(Resources.ingresses, NS, 'shop')).status?.loadBalancer?.ingress, [{ ip: '192.168.56.12' }]);

  await kubectl.ok(['delete', 'ing', 'shop', '-n', NS]);
  await until('the deleted Ingress no longer served', async () => (await get(port, 'web.local', '/')).status === 404);
  t.pass('a deleted Ingress stops being served');
});
