// A server bad clients cannot take down, as kube-apiserver protects itself: mutating requests past the in-flight
// limit are answered 429 with Retry-After; watchers that never read are dropped once their unsent events pass a bound,
// so the server's memory stays bounded while thousands of objects stream past them; oversized objects are 413 and
// oversized or malformed metadata and data 422 naming the fields; the named health checks answer.
import fs from 'node:fs';
import https from 'node:https';
import path from 'node:path';
import tls from 'node:tls';
import t from 'tap';
import type * as Tap from 'tap';
import { loadKubeconfig } from '../api/client.js';
import { Resources } from '../api/resources.js';
import type { KubeObject } from '../api/types.js';
import { kubectlWith, type Kubectl } from './identities.js';
import { startServer, type TestServer } from './server-fixture.js';
import { until } from './until.js';

let srv: TestServer;
let admin: Kubectl;
let creds: { ca: Buffer | string; cert?: Buffer | string; key?: Buffer | string };
t.before(async () => {
  // One mutating request at a time; no controllers, so the test's own requests are the only ones in flight.
  srv = await startServer({ args: ['--max-mutating-requests-inflight', '1', '--disable-controllers'] });
  admin = kubectlWith(srv);
  creds = loadKubeconfig(srv.kubeconfig);
});
t.teardown(() => srv?.destroy());

const configMap = (name: string, data: Record<string, string> = {}, meta: Record<string, unknown> = {}) => ({ apiVersion: 'v1', kind: 'ConfigMap', metadata: { name, ...meta }, data });

t.test('past the mutating in-flight limit a request is answered 429 with Retry-After; reads still pass', async (t) => {
  const agent = new https.Agent({ ...creds, keepAlive: false });
  t.teardown(() => agent.destroy());
  // The gauge is the most in flight over the last two seconds: it reads 0 once the set-up's writes are over.
  const mutatingInFlight = async () => Number(/^apiserver_current_inflight_requests\{request_kind="mutating"\} (\d+)$/m.exec((await srv.client.raw('GET', '/metrics')).body.toString())?.[1]);
  await until('no mutating request in flight', async () => (await mutatingInFlight()) === 0, 10_000, 200);
  // A create whose body arrives slowly holds the one mutating slot until its body is complete.
  const body = Buffer.from(JSON.stringify(configMap('slow', { k: 'v' })));
  let slowRest = () => {};
  const held = new Promise<number>((resolve, reject) => {
    const req = https.request({ host: '127.0.0.1', port: srv.port, method: 'POST', path: '/api/v1/namespaces/default/configmaps', agent, headers: { 'content-type': 'application/json', 'content-length': body.length } }, (res) => {
      res.resume();
      res.on('end', () => resolve(res.statusCode ?? 0));
    });
    req.on('error', reject);
    req.write(body.subarray(0, 10));
    slowRest = () => req.end(body.subarray(10));
  });
  // The slow create must hold the slot before the others come: one sent first would take the slot and refuse it.
  await until('the slow create is in flight', async () => (await mutatingInFlight()) === 1);
  let n = 0;
  const refused = await until('a second create is refused', async () => {
    const r = await srv.client.raw('POST', '/api/v1/namespaces/default/configmaps', JSON.stringify(configMap(`second-${n++}`)));
    return r.status === 429 && r;
  });
  t.equal(refused.headers['retry-after'], '1');
  t.match(JSON.parse(refused.body.toString()), { kind: 'Status', code: 429, reason: 'TooManyRequests', message: 'Too many requests, please try again later.', details: { retryAfterSeconds: 1 } });
  t.equal((await srv.client.raw('GET', '/api/v1/namespaces/default/configmaps')).status, 200, 'read-only requests have their own limit');
  t.equal((await srv.client.raw('DELETE', '/api/v1/namespaces/default/configmaps/nope')).status, 429, 'deletes are mutating too');
  t.equal((await srv.client.raw('GET', '/api/v1/namespaces/default/configmaps?watch=1&timeoutSeconds=1')).status, 200, 'watches are not counted');

  slowRest();
  t.equal(await held, 201, 'the held request completes');
  const after = await srv.client.raw('POST', '/api/v1/namespaces/default/configmaps', JSON.stringify(configMap('after')));
  t.equal(after.status, 201, 'the slot is free again');
});

/** Bytes of the server process's resident memory (VmRSS). */
function rss(pid: number): number {
  const m = /^VmRSS:\s+(\d+) kB$/m.exec(fs.readFileSync(`/proc/${pid}/status`, 'utf8'));
  return Number(m![1]) * 1024;
}

/** A watch whose client reads the response headers and then nothing more. */
function stalledWatch(urlPath: string): Promise<tls.TLSSocket> {
  return new Promise((resolve, reject) => {
    const sock = tls.connect({ host: '127.0.0.1', port: srv.port, ca: creds.ca, cert: creds.cert, key: creds.key }, () => {
      sock.write(`GET ${urlPath} HTTP/1.1\r\nHost: 127.0.0.1\r\nAccept: application/json\r\n\r\n`);
    });
    let head = '';
    const onData = (b: Buffer) => {
      head += b.toString('latin1');
      if (!head.includes('\r\n\r\n')) return;
      sock.off('data', onData);
      sock.pause();
      if (head.startsWith('HTTP/1.1 200')) resolve(sock);
      else reject(new Error(head));
    };
    sock.on('data', onData);
    sock.on('error', () => {});
    sock.once('error', reject);
  });
}

const MB = 1024 * 1024;
const WATCHERS = 10;
const OBJECTS = 4000;

t.test('watchers that never read are dropped and the server\'s memory stays bounded', async (t) => {
  const pid = srv.proc.pid!;
  const logFile = path.join(srv.dir, 'server.log');
  const dropped = () => (fs.readFileSync(logFile, 'utf8').match(/dropping a watcher that does not read/g) ?? []).length;
  const droppedBefore = dropped();
  await srv.client.create(Resources.namespaces, undefined, { apiVersion: 'v1', kind: 'Namespace', metadata: { name: 'flood' } });
  const rv = (await srv.client.list(Resources.configmaps, 'flood')).metadata.resourceVersion;
  const sockets = await Promise.all(Array.from({ length: WATCHERS }, () => stalledWatch(`/api/v1/namespaces/flood/configmaps?watch=1&resourceVersion=${rv}`)));
  t.teardown(() => sockets.forEach((s) => s.destroy()));
  const before = rss(pid);

  // ~10 KB each: every watcher is sent ~40 MB it never reads (without the bound the server would hold ~400 MB more).
  const value = 'x'.repeat(10 * 1024);
  let peak = before;
  // One create at a time: this server admits one mutating request at once, and answers a second 429.
  for (let i = 0; i < OBJECTS; i++) {
    await srv.client.create(Resources.configmaps, 'flood', configMap(`cm-${i}`, { v: value }) as KubeObject);
    if (i % 100 === 0) peak = Math.max(peak, rss(pid));
  }
  peak = Math.max(peak, rss(pid));
  t.comment(`server RSS: ${(before / MB).toFixed(0)} MB before, ${(peak / MB).toFixed(0)} MB at most while ${OBJECTS} objects of 10 KB streamed to ${WATCHERS} stalled watchers`);
  t.ok(peak < 400 * MB, `RSS stays under 400 MB (peak ${(peak / MB).toFixed(0)} MB)`);
  await until('every stalled watcher is dropped', () => dropped() - droppedBefore >= WATCHERS, 10_000);
  t.equal(dropped() - droppedBefore, WATCHERS, 'each dropped once');

  // The server still serves, watches included.
  t.equal((await srv.client.raw('GET', '/healthz')).status, 200);
  const list = await srv.client.list(Resources.configmaps, 'flood', { limit: 10 });
  t.equal(list.items.length, 10);
  const seen: string[] = [];
  const abort = new AbortController();
  const watching = srv.client.watch(Resources.configmaps, 'flood', { resourceVersion: list.metadata.resourceVersion }, (e) => {
    seen.push((e.object as KubeObject).metadata.name!);
    if (seen.includes('last')) abort.abort();
  }, abort.signal);
  await srv.client.create(Resources.configmaps, 'flood', configMap('last') as KubeObject);
  await watching;
  t.ok(seen.includes('last'), 'a reading watcher gets its events');
});

t.test('a watch\'s initial events are sent whole, past the bound that drops watchers that do not read', async (t) => {
  await srv.client.create(Resources.namespaces, undefined, { apiVersion: 'v1', kind: 'Namespace', metadata: { name: 'large' } });
  // 8 objects of 900 KiB: 7 MiB of initial events, past the 4 MiB a watcher may leave unsent.
  const value = 'x'.repeat(900 * 1024);
  for (let i = 0; i < 8; i++) await srv.client.create(Resources.configmaps, 'large', configMap(`cm-${i}`, { v: value }) as KubeObject);
  const seen: string[] = [];
  const abort = new AbortController();
  t.teardown(() => abort.abort());
  const watching = srv.client.watch(Resources.configmaps, 'large', {}, (e) => {
    seen.push(`${e.type} ${(e.object as KubeObject).metadata.name}`);
    if (seen.length === 9) abort.abort();
  }, abort.signal);
  await until('the initial events', () => seen.length === 8, 20_000);
  await srv.client.create(Resources.configmaps, 'large', configMap('after') as KubeObject);
  await watching;
  t.same(seen, [...Array.from({ length: 8 }, (_, i) => `ADDED cm-${i}`), 'ADDED after'], 'every initial event, then what follows, on one watch');
});

t.test('objects too large for the store are 413; a request body past 3 MiB too', async (t) => {
  // A pod of 2 MiB: no field of its own is limited, the store's 1.5 MiB is.
  const pod = { apiVersion: 'v1', kind: 'Pod', metadata: { name: 'huge' }, spec: { containers: [{ name: 'c', image: 'busybox:1.35', env: [{ name: 'BIG', value: 'x'.repeat(2 * MB) }] }] } };
  const r = await srv.client.raw('POST', '/api/v1/namespaces/default/pods', JSON.stringify(pod));
  t.equal(r.status, 413);
  t.match(JSON.parse(r.body.toString()), { kind: 'Status', code: 413, reason: 'RequestEntityTooLarge', message: /^Request entity too large: the object is \d+ bytes, the limit is 1572864$/ });
  t.equal((await srv.client.raw('GET', '/api/v1/namespaces/default/pods/huge')).status, 404, 'nothing stored');
  // The same through kubectl.
  const stderr = await admin.fails(['create', '-f', '-'], JSON.stringify({ ...pod, metadata: { name: 'huge2' } }));
  t.match(stderr, /^Error from server \(RequestEntityTooLarge\): error when creating "STDIN": Request entity too large: the object is \d+ bytes, the limit is 1572864$/);

  const tooBig = await srv.client.raw('POST', '/api/v1/namespaces/default/configmaps', JSON.stringify(configMap('body', { v: 'x'.repeat(4 * MB) })));
  t.equal(tooBig.status, 413);
  t.match(JSON.parse(tooBig.body.toString()), { code: 413, reason: 'RequestEntityTooLarge', message: 'Request entity too large: limit is 3145728' });
  t.equal((await srv.client.raw('GET', '/healthz')).status, 200, 'and the server is fine');
});

/** A 422's causes, from creating `obj` in default. */
async function invalid(t: Tap.Test, plural: string, obj: unknown): Promise<{ message: string; causes: { field: string; reason: string; message: string }[] }> {
  const r = await srv.client.raw('POST', `/api/v1/namespaces/default/${plural}`, JSON.stringify(obj));
  t.equal(r.status, 422);
  const s = JSON.parse(r.body.toString());
  t.equal(s.reason, 'Invalid');
  return { message: s.message, causes: s.details?.causes ?? [] };
}

t.test('metadata and data past their limits, and malformed metadata, are 422 naming the fields', async (t) => {
  const annotations = await invalid(t, 'configmaps', configMap('annotated', {}, { annotations: { big: 'x'.repeat(256 * 1024) } }));
  t.same(annotations.causes, [{ reason: 'FieldValueTooLong', field: 'metadata.annotations', message: 'Too long: may not be more than 262144 bytes' }]);
  t.equal(annotations.message, 'ConfigMap "annotated" is invalid: metadata.annotations: Too long: may not be more than 262144 bytes');

  const data = await invalid(t, 'configmaps', configMap('big-data', { a: 'x'.repeat(600 * 1024), b: 'x'.repeat(600 * 1024) }));
  t.same(data.causes, [{ reason: 'FieldValueTooLong', field: 'data', message: 'Too long: may not be more than 1048576 bytes' }]);
  const secret = await invalid(t, 'secrets', { apiVersion: 'v1', kind: 'Secret', metadata: { name: 'big-secret' }, data: { a: Buffer.alloc(1100 * 1024).toString('base64') } });
  t.same(secret.causes.map((c) => c.field), ['data']);

  const bad = await invalid(t, 'configmaps', configMap('bad-meta', {}, {
    labels: { '-bad-key': 'ok', good: 'bad value!' },
    finalizers: ['no spaces allowed'],
    ownerReferences: [{ apiVersion: 'v1', kind: 'ConfigMap', name: 'owner' }],
  }));
  const fields = bad.causes.map((c) => c.field);
  t.ok(fields.includes('metadata.labels'), 'a bad label key');
  t.ok(bad.causes.some((c) => c.field === 'metadata.labels' && /bad value!/.test(c.message)), 'a bad label value');
  t.ok(fields.includes('metadata.finalizers[0]'), 'a bad finalizer');
  t.ok(fields.includes('metadata.ownerReferences[0].uid'), 'an owner reference without uid');
  // kubectl prints the same causes.
  const stderr = await admin.fails(['create', '-f', '-'], JSON.stringify(configMap('bad-meta', {}, { finalizers: ['no spaces allowed'] })));
  t.match(stderr, /^The ConfigMap "bad-meta" is invalid: metadata\.finalizers\[0\]: Invalid value: "no spaces allowed": /);
  t.equal((await srv.client.raw('GET', '/api/v1/namespaces/default/configmaps/bad-meta')).status, 404);
});

t.test('named health checks: /healthz/<check>, /readyz?verbose, and 404 for a check that does not exist', async (t) => {
  t.equal(await admin.ok(['get', '--raw', '/healthz/etcd']), 'ok');
  t.equal(await admin.ok(['get', '--raw', '/livez/ping']), 'ok');
  const ready = await admin.ok(['get', '--raw', '/readyz?verbose']);
  const lines = ready.split('\n');
  t.same(lines.filter((l) => l.startsWith('[')), ['[+]ping ok', '[+]etcd ok', '[+]informer-sync ok', '[+]poststarthook/rbac/bootstrap-roles ok']);
  t.equal(lines.at(-1), 'readyz check passed');
  const live = await admin.ok(['get', '--raw', '/livez?verbose&exclude=etcd']);
  t.match(live, /^\[\+\]ping ok\n\[\+\]etcd excluded: ok\nlivez check passed$/);
  t.equal(await admin.ok(['get', '--raw', '/healthz']), 'ok');
  const nope = await srv.client.raw('GET', '/healthz/nope');
  t.equal(nope.status, 404);
  t.equal(nope.body.toString(), '404 page not found\n');
  // Anonymous clients see the top-level checks only, as kube's system:public-info-viewer allows.
  const anonymous = new https.Agent({ ca: creds.ca });
  const status = (p: string) => new Promise<number>((resolve, reject) => https.get({ host: '127.0.0.1', port: srv.port, path: p, agent: anonymous }, (res) => (res.resume(), resolve(res.statusCode ?? 0))).on('error', reject));
  t.equal(await status('/readyz'), 200);
  t.equal(await status('/healthz/etcd'), 403);
  anonymous.destroy();
});
