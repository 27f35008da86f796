// The services/proxy, pods/proxy and nodes/proxy subresources on a real `kubets server`, with the real kubectl and a
// raw HTTPS client: HTTP servers on loopback addresses stand in for pods behind a Service's Endpoints; every verb and
// the query reach them, bodies stream both ways, the caller's credentials do not; RBAC judges <resource>/proxy; the
// errors are kube-apiserver's (404 for a missing object, 503 without endpoints, 400 for an address not allowed).
import http from 'node:http';
import https from 'node:https';
import type { AddressInfo } from 'node:net';
import t from 'tap';
import { loadKubeconfig } from '../api/client.js';
import { kubectlWith, type Kubectl } from './identities.js';
import { startServer, type TestServer } from './server-fixture.js';
import { until } from './until.js';

let srv: TestServer;
let admin: Kubectl;
const backends: http.Server[] = [];

/** An HTTP server on a loopback address that answers with what it was sent; POST /stream echoes chunks as they come. */
async function backend(host: string, who: string): Promise<number> {
  const s = http.createServer((req, res) => {
    if (req.url?.startsWith('/stream')) {
      res.writeHead(200, { 'content-type': 'text/plain', 'x-backend': who });
      res.write('first\n');
      req.on('data', (c: Buffer) => res.write(`echo:${c.toString()}\n`));
      req.on('end', () => res.end('last\n'));
      return;
    }
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      const body = JSON.stringify({ who, method: req.method, url: req.url, authorization: req.headers.authorization ?? null, forwardedFor: req.headers['x-forwarded-for'] ?? null, body: Buffer.concat(chunks).toString() });
      res.writeHead(200, { 'content-type': 'application/json', 'x-backend': who }).end(body);
    });
  });
  backends.push(s);
  await new Promise<void>((r) => s.listen(0, host, r));
  return (s.address() as AddressInfo).port;
}

let portA = 0;
t.before(async () => {
  srv = await startServer({ args: ['--disable-controllers'] });
  admin = kubectlWith(srv);
  portA = await backend('127.0.0.2', 'a');
  const pods = ['a', 'b', 'moved'].map((name) => `apiVersion: v1\nkind: Pod\nmetadata: {name: ${name}}\nspec: {containers: [{name: c, image: busybox:1.35, ports: [{containerPort: 80}]}]}\n`).join('---\n');
  await admin.ok(['apply', '-f', '-'], pods);
  for (const [name, ip] of [['a', '127.0.0.2'], ['b', '127.0.0.3'], ['moved', '127.0.0.9']])
    await admin.ok(['patch', 'pod', name, '--subresource=status', '--type=merge', '-p', JSON.stringify({ status: { podIP: ip, podIPs: [{ ip }] } })]);
  await admin.ok(['apply', '-f', '-'], `
apiVersion: v1
kind: Service
metadata: {name: web}
spec: {ports: [{name: http, port: 80}, {name: other, port: 81}]}
---
apiVersion: v1
kind: Endpoints
metadata: {name: web}
subsets:
- addresses: [{ip: 127.0.0.2, targetRef: {kind: Pod, namespace: default, name: a}}]
  ports: [{name: http, port: ${portA}}]
- addresses: [{ip: 127.0.0.8, targetRef: {kind: Pod, namespace: default, name: moved}}]
  ports: [{name: other, port: ${portA}}]
---
apiVersion: v1
kind: Service
metadata: {name: lonely}
spec: {ports: [{port: 80}]}
`);
});
t.teardown(async () => {
  for (const s of backends) s.close();
  await srv?.destroy();
});

const base = '/api/v1/namespaces/default/services';

t.test('services/proxy relays every verb with path and query; credentials stay behind', async (t) => {
  const got = JSON.parse(await admin.ok(['get', '--raw', `${base}/web:80/proxy/hello/there?x=1&y=two`]));
  t.same(got, { who: 'a', method: 'GET', url: '/hello/there?x=1&y=two', authorization: null, forwardedFor: '127.0.0.1', body: '' });
  t.equal(JSON.parse(await admin.ok(['get', '--raw', `${base}/http:web:http/proxy/`])).url, '/', 'scheme and port by name');
  const posted = JSON.parse(await admin.ok(['create', '--raw', `${base}/web:http/proxy/items`, '-f', '-'], '{"n":1}'));
  t.same([posted.method, posted.url, posted.body], ['POST', '/items', '{"n":1}']);
  const put = JSON.parse(await admin.ok(['replace', '--raw', `${base}/web:http/proxy/items/1`, '-f', '-'], '{"n":2}'));
  t.same([put.method, put.body], ['PUT', '{"n":2}']);
  const del = JSON.parse(await admin.ok(['delete', '--raw', `${base}/web:http/proxy/items/1`]));
  t.equal(del.method, 'DELETE');
});

t.test('bodies stream both ways', async (t) => {
  const cfg = loadKubeconfig(srv.kubeconfig);
  const u = new URL(cfg.server);
  const req = https.request({ host: u.hostname, port: u.port, method: 'POST', path: `${base}/web:80/proxy/stream`, ca: cfg.ca, cert: cfg.cert, key: cfg.key, headers: { 'content-type': 'text/plain' } });
  let seen = '';
  const response = new Promise<http.IncomingMessage>((resolve) => req.on('response', resolve));
  req.write('one');
  const res = await response;
  t.equal(res.headers['x-backend'], 'a', "the backend's headers come back");
  res.on('data', (c: Buffer) => (seen += c.toString()));
  await until('the first chunk and the echo of the first request chunk, with the request still open', () => seen.includes('echo:one'), 10_000);
  req.end('two');
  await new Promise((r) => res.on('end', r));
  t.equal(seen, 'first\necho:one\necho:two\nlast\n');
});

t.test("errors in kube-apiserver's words", async (t) => {
  t.equal(await admin.fails(['get', '--raw', `${base}/nosuch:80/proxy/`]), 'Error from server (NotFound): services "nosuch" not found');
  t.equal(await admin.fails(['get', '--raw', `${base}/lonely:80/proxy/`]), 'Error from server (ServiceUnavailable): no endpoints available for service "lonely"');
  t.equal(await admin.fails(['get', '--raw', `${base}/web:82/proxy/`]), 'Error from server (ServiceUnavailable): no service port 82 found for service "web"');
  t.equal(await admin.fails(['get', '--raw', `${base}/web:81/proxy/`]), 'Error from server (ServiceUnavailable): no endpoints available for service "web:81"', "an endpoint whose pod has another IP is not used");
  t.equal(await admin.fails(['get', '--raw', `${base}/ftp:web:80/proxy/`]), 'Error from server (BadRequest): invalid service request "ftp:web:80"');
  t.equal(await admin.fails(['get', '--raw', '/api/v1/namespaces/default/pods/a/proxy/']), 'Error from server (BadRequest): address not allowed', 'a loopback pod IP is not proxied to');
  t.equal(await admin.fails(['get', '--raw', '/api/v1/namespaces/default/pods/nosuch/proxy/']), 'Error from server (NotFound): pods "nosuch" not found');
  t.equal(await admin.fails(['get', '--raw', '/api/v1/nodes/nosuch/proxy/stats/summary']), 'Error from server (NotFound): nodes "nosuch" not found');
  await admin.ok(['apply', '-f', '-'], 'apiVersion: v1\nkind: Node\nmetadata: {name: local}\n');
  await admin.ok(['patch', 'node', 'local', '--subresource=status', '--type=merge', '-p', '{"status":{"addresses":[{"type":"InternalIP","address":"127.0.0.1"}]}}']);
  t.equal(await admin.fails(['get', '--raw', '/api/v1/nodes/local/proxy/stats/summary']), 'Error from server (BadRequest): address not allowed', "the node's address must be proxyable");
  await admin.ok(['delete', 'service', 'web']);
  t.equal(await admin.fails(['get', '--raw', `${base}/web:80/proxy/`]), 'Error from server (NotFound): services "web" not found');
  await admin.ok(['apply', '-f', '-'], 'apiVersion: v1\nkind: Service\nmetadata: {name: web}\nspec: {ports: [{name: http, port: 80}, {name: other, port: 81}]}\n');
});

t.test('RBAC judges services/proxy, not services', async (t) => {
  await admin.ok(['create', 'role', 'svc-reader', '--verb=get', '--resource=services']);
  await admin.ok(['create', 'rolebinding', 'svc-reader', '--role=svc-reader', '--user=reader']);
  await until('the binding to apply', async () => (await admin(['auth', 'can-i', 'get', 'services', '--as', 'reader'])).stdout.trim() === 'yes', 10_000, 100);
  t.equal(
    await admin.fails(['get', '--raw', `${base}/web:80/proxy/`, '--as', 'reader']),
    'Error from server (Forbidden): services "web:80" is forbidden: User "reader" cannot get resource "services/proxy" in API group "" in the namespace "default"',
  );
  await admin.ok(['create', 'role', 'svc-proxy', '--verb=get', '--resource=services/proxy']);
  await admin.ok(['create', 'rolebinding', 'svc-proxy', '--role=svc-proxy', '--user=reader']);
  const got = await until('services/proxy get to be allowed', async () => {
    const r = await admin(['get', '--raw', `${base}/web:80/proxy/who`, '--as', 'reader']);
    return r.exitCode === 0 ? JSON.parse(r.stdout) : undefined;
  }, 10_000, 100);
  t.equal(got.url, '/who');
  t.match(await admin.fails(['create', '--raw', `${base}/web:80/proxy/x`, '-f', '-', '--as', 'reader'], '{}'), /cannot create resource "services\/proxy"/, 'POST is create on services/proxy');
});

t.test('discovery lists the proxy subresources', async (t) => {
  const v1 = JSON.parse(await admin.ok(['get', '--raw', '/api/v1']));
  for (const r of ['nodes/proxy', 'pods/proxy', 'services/proxy']) t.same(v1.resources.find((x: { name: string }) => x.name === r)?.verbs, ['create', 'delete', 'get', 'patch', 'update'], r);
});
