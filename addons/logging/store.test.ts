import fs from 'node:fs';
import type { AddressInfo } from 'node:net';
import os from 'node:os';
import path from 'node:path';
import t, { type Test } from 'tap';
import { createStoreServer } from './http.js';
import type { LogRecord } from './record.js';
import { LogStore, parseSearch } from './store.js';
import { closeServer } from '../../api/listen.js';

const T0 = Date.parse('2026-01-02T03:00:00Z');
const rec = (line: string, o: Partial<LogRecord> & { at?: number } = {}): LogRecord => {
  const { at, ...rest } = o;
  return { time: new Date(at ?? T0).toISOString(), namespace: 'default', pod: 'web-1', uid: 'u1', container: 'web', node: 'worker1', labels: { app: 'web' }, stream: 'stdout', line, ...rest };
};
const q = (s: string, now = T0) => parseSearch(new URLSearchParams(s), now);
const open = (t: Test, o: { maxAgeMs?: number; maxBytes?: number; clock?: () => number; dir?: string } = {}) => {
  const store = new LogStore(o.dir ?? ':memory:', { maxAgeMs: o.maxAgeMs ?? 3_600_000, maxBytes: o.maxBytes ?? 1 << 30 }, o.clock ?? (() => T0));
  t.teardown(() => store.close());
  return store;
};

t.test('FTS5 is compiled into this SQLite', async (t) => {
  const store = open(t);
  store.add([rec('x')]);
  t.equal(store.search(q('q=x')).length, 1);
});

t.test('search: words anywhere in the line, filters, newest matches first up to the limit, answered in order', async (t) => {
  const store = open(t);
  store.add([
    rec('GET /index.html 200', { at: T0 - 3000 }),
    rec('connection refused to db:5432', { stream: 'stderr', at: T0 - 2000 }),
    rec('GET /healthz 200', { pod: 'web-2', node: 'worker2', at: T0 - 1000 }),
    rec('GET /index.html 404', { namespace: 'shop', pod: 'front', container: 'nginx', labels: {}, at: T0 }),
    rec('"quoted" AND OR NOT * ( )', { at: T0 }),
  ]);
  t.same(store.search(q('q=index.html')).map((l) => l.line), ['GET /index.html 200', 'GET /index.html 404']);
  t.same(store.search(q('q=GET+200')).map((l) => l.line), ['GET /index.html 200', 'GET /healthz 200'], 'every word must be there');
  t.same(store.search(q('q=refused')), [{ time: new Date(T0 - 2000).toISOString(), namespace: 'default', pod: 'web-1', container: 'web', node: 'worker1', labels: { app: 'web' }, stream: 'stderr', line: 'connection refused to db:5432' }]);
  t.same(store.search(q('q=GET&namespace=shop')).map((l) => l.pod), ['front']);
  t.same(store.search(q('q=GET&pod=web-2')).map((l) => l.node), ['worker2']);
  t.same(store.search(q('container=nginx')).map((l) => l.line), ['GET /index.html 404'], 'no q: the filters alone');
  t.same(store.search(q('q=GET&since=1500ms')).map((l) => l.line), ['GET /healthz 200', 'GET /index.html 404'], 'since as a duration');
  t.same(store.search(q(`q=GET&since=${new Date(T0).toISOString()}`)).map((l) => l.pod), ['front'], 'since as RFC3339');
  t.same(store.search(q('q=GET&limit=2')).map((l) => l.line), ['GET /healthz 200', 'GET /index.html 404'], 'the newest two');
  t.same(store.search(q('q="quoted"+AND+(')).length, 1, 'query syntax in the text is searched for, not obeyed');
});

t.test('bad parameters: 400 with the reason', async (t) => {
  const bad = (s: string, why: RegExp) => t.throws(() => q(s), { code: 400, reason: 'BadRequest', message: why }, s);
  bad('q=%20-%20', /^q: Invalid value: " - ": must contain a word to search for$/);
  bad('limit=0', /^limit: Invalid value: "0": must be an integer from 1 to 10000$/);
  bad('limit=ten', /^limit: Invalid value: "ten"/);
  bad('since=yesterday', /^since: Invalid value: "yesterday": must be an RFC3339 time/);
  bad('since=2026-13-45T00:00:00Z', /^since: Invalid value/);
  bad('since=2026-02-30T00:00:00Z', /^since: Invalid value: "2026-02-30T00:00:00Z": must be an RFC3339 time/);
  bad('namespace=Kube_System', /^namespace: Invalid value: "Kube_System": must be a lowercase RFC 1123 name$/);
  bad('grep=x', /^unknown parameter "grep"/);
  bad('q=a&q=b', /^q: given more than once$/);
});

t.test('retention: lines past the age limit go; the oldest go once the size limit is passed', async (t) => {
  let now = T0;
  const store = open(t, { maxAgeMs: 60_000, maxBytes: 20_000, clock: () => now });
  store.add([rec('old one', { at: T0 - 120_000 }), rec('recent one', { at: T0 - 1000 })]);
  t.equal(store.applyAgeLimit(), 1);
  t.same(store.search(q('q=one')).map((l) => l.line), ['recent one']);
  now += 120_000;
  t.equal(store.applyAgeLimit(), 1, 'in time every line ages out');
  t.equal(store.size(), 0);

  const batch = (from: number) => Array.from({ length: 100 }, (_, i) => rec(`line ${from + i} ${'x'.repeat(100)}`, { at: now }));
  for (let i = 0; i < 10; i++) store.add(batch(i * 100));
  t.ok(store.size() <= 20_000, `kept within the limit (${store.size()} bytes)`);
  const kept = store.search(q('q=line&limit=10000'));
  t.equal(kept.length, store.count());
  t.ok(kept.length > 50 && kept.length < 1000, `some lines went (${kept.length} kept)`);
  t.equal(kept[kept.length - 1].line.split(' ')[1], '999', 'the newest stays');
  t.not(kept[0].line.split(' ')[1], '0', 'the oldest went');
  t.same(store.search(q('q=0')), [], 'and is gone from the index too');
});

t.test('the database outlives the process: lines are found after a reopen', async (t) => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'kubets-logstore-'));
  t.teardown(() => fs.rmSync(dir, { recursive: true, force: true }));
  const a = new LogStore(dir, { maxAgeMs: 3_600_000, maxBytes: 1 << 30 }, () => T0);
  a.add([rec('persisted line', { pod: 'deleted-pod' })]);
  a.close();
  const b = open(t, { dir });
  t.same(b.search(q('q=persisted')).map((l) => l.pod), ['deleted-pod']);
  t.ok(b.size() > 0, 'its size counted again');
});

t.test('HTTP: ingest JSON lines, search answers JSON lines, errors are Status objects', async (t) => {
  const store = open(t);
  const server = createStoreServer(store, () => T0);
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  t.teardown(() => closeServer(server));
  const base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  const ingest = (body: string) => fetch(`${base}/ingest`, { method: 'POST', body });
  const ok = await ingest(`${JSON.stringify(rec('hello over http'))}\n${JSON.stringify(rec('second', { truncated: 5 }))}\n`);
  t.same([ok.status, await ok.json()], [200, { stored: 2 }]);
  const found = await fetch(`${base}/search?q=http`);
  t.equal(found.headers.get('content-type'), 'application/x-ndjson');
  t.same((await found.text()).trim().split('\n').map((l) => JSON.parse(l).line), ['hello over http']);
  t.equal(JSON.parse(await (await fetch(`${base}/search?q=second`)).text()).truncated, 5);

  const bad = await fetch(`${base}/search?limit=-1`);
  t.equal(bad.status, 400);
  t.match(await bad.json(), { kind: 'Status', code: 400, reason: 'BadRequest', message: /^limit: Invalid value: "-1"/ });
  const badIngest = await ingest(`${JSON.stringify(rec('fine'))}\n{"time": 1}\n`);
  t.equal(badIngest.status, 400);
  t.match((await badIngest.json()).message, /^line 2: time: must be a string$/);
  t.equal(store.search(q('q=fine')).length, 0, 'a bad batch is stored not at all');
  t.equal((await fetch(`${base}/search`, { method: 'DELETE' })).status, 405);
  t.equal((await fetch(`${base}/nothing`)).status, 404);
  t.equal(await (await fetch(`${base}/healthz`)).text(), 'ok');
});
