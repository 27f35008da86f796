// The watch cache answers exactly as the store does: the same sequence of writes, then lists (selectors, namespaces,
// limits and their continue tokens, resourceVersions old, current, too large, exact), gets at resourceVersion 0 and
// watches (replayed from a revision, live, with objects moving in and out of a selector, older than the window, too
// old for the store) read both ways from one SQLite store and compared; what the cache serves it serves without
// the store; and each object is JSON-encoded once for every watcher, list and get.
import t from 'tap';
import { StatusError } from '../../../api/errors.js';
import type { KubeObject } from '../../../api/types.js';
import type { Tap } from '../../storage/conformance.js';
import { SqliteStore } from '../../storage/sqlite.js';
import type { Store } from '../../storage/store.js';
import { encodeJSON, wireOrder } from '../http.js';
import { encodedListResponse, listResponse } from '../handlers/response.js';
import type { RequestScope } from '../handlers/scope.js';
import { findByPlural, type ResourceDef } from './kinds.js';
import { GenericStore, type ListQuery, type Reads, type WatchEventOut, type WatchQuery } from './store.js';
import { Cacher, encodeCount, EVENT_WINDOW, PAGE_BUDGET } from './watchcache.js';
import { until } from '../../../test/until.js';

type Any = any;

const pods = findByPlural('', 'v1', 'pods')!;
const nodes = findByPlural('', 'v1', 'nodes')!;

/** The store, with its lists and watches counted: what the cache serves, it serves without them. */
async function fixture(t: Tap) {
  const storage = new SqliteStore(':memory:');
  const calls = { list: 0, watch: 0 };
  // Every other call goes to the store itself (its methods keep their own `this`: the store has state of its own).
  const counted = new Proxy(storage, {
    get(target, prop) {
      if (prop === 'list') return (...a: Parameters<Store['list']>) => (calls.list++, target.list(...a));
      if (prop === 'watch') return (...a: Parameters<Store['watch']>) => (calls.watch++, target.watch(...a));
      const v = Reflect.get(target, prop, target);
      return typeof v === 'function' ? v.bind(target) : v;
    },
  }) as Store;
  const registry = new GenericStore(counted);
  const cacher = new Cacher(counted, registry);
  t.teardown(async () => {
    cacher.close();
    await storage.close();
  });
  cacher.prime([pods, nodes]);
  await until('the caches to load', () => cacher.synced(pods) && cacher.synced(nodes), 10_000, 10);
  return { storage, registry, cacher, calls };
}

const pod = (ns: string, name: string, labels: Record<string, string>, nodeName?: string): KubeObject =>
  ({ metadata: { name, namespace: ns, labels }, spec: { containers: [{ name: 'c', image: 'busybox:1.35' }], ...(nodeName ? { nodeName } : {}) } }) as Any;

const relabel = (labels: Record<string, string>) => (live: KubeObject) => ({ ...live, metadata: { ...live.metadata, labels } }) as KubeObject;

/** A read's answer as data: what a client sees of it (the body, or the Status error). */
async function answer(p: Promise<unknown>): Promise<unknown> {
  try {
    return { ok: JSON.parse(JSON.stringify(await p)) };
  } catch (e) {
    if (e instanceof StatusError) return { error: e.toStatus() };
    throw e;
  }
}

/** Writes that leave pods in two namespaces, labelled, bound and not, some relabelled and some deleted; their revisions. */
async function writes(registry: GenericStore): Promise<number[]> {
  const revs: number[] = [];
  const rv = (o: KubeObject) => revs.push(Number(o.metadata.resourceVersion));
  for (let i = 0; i < 12; i++) rv(await registry.create(pods, i % 2 ? 'a' : 'b', pod(i % 2 ? 'a' : 'b', `p${i}`, { app: i % 3 ? 'x' : 'y', tier: i % 4 ? 'web' : 'db' }, i % 5 ? 'n1' : undefined)));
  for (let i = 0; i < 3; i++) rv(await registry.create(nodes, undefined, { metadata: { name: `n${i}`, labels: { zone: `z${i % 2}` } } } as Any));
  rv(await registry.update(pods, 'a', 'p1', relabel({ app: 'y', tier: 'web' })));
  rv(await registry.update(pods, 'b', 'p2', relabel({ app: 'x', tier: 'db' })));
  rv((await registry.delete(pods, 'a', 'p3', { gracePeriodSeconds: 0 })).object);
  rv(await registry.update(pods, 'b', 'p4', relabel({ app: 'z' })));
  rv((await registry.delete(nodes, undefined, 'n1')).object);
  rv(await registry.create(pods, 'a', pod('a', 'p3', { app: 'x' })));
  return revs;
}

const selectors: ListQuery[] = [
  {},
  { labelSelector: 'app=x' },
  { labelSelector: 'app in (x,y),tier!=db' },
  { labelSelector: '!tier' },
  { fieldSelector: 'metadata.name=p3' },
  { fieldSelector: 'spec.nodeName=n1' },
  { fieldSelector: 'spec.nodeName=n1', labelSelector: 'app=x' },
];

t.test('lists: selectors, namespaces, limits and continues, resourceVersions, errors — the same both ways', async (t) => {
  const { registry, cacher, calls } = await fixture(t);
  const revs = await writes(registry);
  const current = revs[revs.length - 1];
  const queries: ListQuery[] = [
    ...selectors,
    { fieldSelector: 'spec.unknown=1' },
    { resourceVersion: '0' },
    { resourceVersion: '0', labelSelector: 'app=y' },
    { resourceVersion: String(revs[3]) },
    { resourceVersion: String(current) },
    { resourceVersion: String(current + 100) },
    { resourceVersion: 'x1' },
    { resourceVersion: String(revs[3]), resourceVersionMatch: 'Exact' },
    { resourceVersion: String(revs[3]), resourceVersionMatch: 'NotOlderThan' },
    { resourceVersion: String(current + 5), resourceVersionMatch: 'NotOlderThan' },
    ...[1, 2, 3, 5, 50].flatMap((limit) => [...selectors.map((q) => ({ ...q, limit })), { limit, resourceVersion: '0' }, { limit, resourceVersion: String(revs[5]) }]),
  ];
  for (const ns of [undefined, 'a', 'b', 'none'])
    for (const q of queries) {
      const what = `pods in ${ns ?? 'all namespaces'} ${JSON.stringify(q)}`;
      const cached = (await answer(cacher.list(pods, ns, q))) as Any;
      t.same(cached, await answer(registry.list(pods, ns, q)), what);
      // The next pages, each continue token followed both ways.
      for (let next = cached.ok?.continue, page = 2; next; page++) {
        const c = (await answer(cacher.list(pods, ns, { ...q, continue: next }))) as Any;
        t.same(c, await answer(registry.list(pods, ns, { ...q, continue: next })), `${what}, page ${page}`);
        next = c.ok?.continue;
      }
    }
  for (const q of [...selectors.slice(0, 1), { labelSelector: 'zone=z0' }, { fieldSelector: 'metadata.name=n2' }, { limit: 1 }, { resourceVersion: '0' }])
    t.same(await answer(cacher.list(nodes, undefined, q)), await answer(registry.list(nodes, undefined, q)), `nodes ${JSON.stringify(q)}`);
  t.same((await registry.list(pods, undefined, {})).items.length, 12, 'the writes left 12 pods');

  const before = calls.list;
  const listed = await cacher.list(pods, 'a', { labelSelector: 'app=x', limit: 2 });
  t.equal(calls.list, before, 'a consistent list (with a limit) is served from the cache, not the store');
  const scope = { def: pods, want: { table: false, partial: false }, query: new URLSearchParams() } as RequestScope;
  const meta = { resourceVersion: listed.resourceVersion, continue: listed.continue };
  t.equal(Buffer.concat(encodedListResponse(scope, meta, listed.encodedItems!)!).toString(), encodeJSON(listResponse(scope, listed.items, meta)), 'the list body put together from items encoded once is the one encoding the list gives');
  t.ok(Object.isFrozen(listed.items[0]) && Object.isFrozen(listed.items[0].metadata), 'cached objects are frozen: a reader cannot change them for the others');
});

t.test('gets at resourceVersion 0 come from the cache and answer as the store does', async (t) => {
  const { registry, cacher, calls } = await fixture(t);
  await writes(registry);
  for (const [ns, name] of [['a', 'p1'], ['b', 'p4'], ['a', 'p3'], ['a', 'gone'], ['b', 'p1']] as const) {
    t.same(await answer(cacher.get(pods, ns, name, '0')), await answer(registry.get(pods, ns, name)), `${ns}/${name}`);
  }
  t.same(await answer(cacher.get(nodes, undefined, 'n1', '0')), await answer(registry.get(nodes, undefined, 'n1')), 'a deleted node');
  t.equal(calls.list, 2, 'only the caches\' own first lists reached the store');
});

/** A watch's events, both ways at once, collected until closed. */
async function watchBoth(reads: { cacher: Reads; registry: Reads }, def: ResourceDef, ns: string | undefined, q: WatchQuery) {
  const out = { cached: [] as unknown[], stored: [] as unknown[], lines: [] as [string, string][], ended: { cached: false, stored: false } };
  const record = (to: unknown[], wire?: boolean) => (e: WatchEventOut) => {
    to.push(JSON.parse(JSON.stringify(e)));
    if (wire && e.wire) out.lines.push([e.wire().toString(), encodeJSON({ type: e.type, object: wireOrder(e.object) })]);
  };
  const a = await reads.cacher.watch(def, ns, q, record(out.cached, true), () => (out.ended.cached = true));
  const b = await reads.registry.watch(def, ns, q, record(out.stored), () => (out.ended.stored = true));
  return { out, close: () => (a.close(), b.close()) };
}

/** Lets the store's replay (queued in a microtask) and anything it queued run. */
const settle = () => new Promise((r) => setImmediate(r));

t.test('watches from every revision, with selectors and namespaces, replayed and live — the same both ways', async (t) => {
  const { registry, cacher } = await fixture(t);
  const revs = await writes(registry);
  const watches: { what: string; w: Awaited<ReturnType<typeof watchBoth>> }[] = [];
  const froms = ['', '0', ...[0, 2, 7, 12, 15, 19].map((i) => String(revs[i]))];
  for (const ns of [undefined, 'a'])
    for (const resourceVersion of froms)
      for (const sel of selectors.slice(0, 6)) {
        const q: WatchQuery = { ...sel, resourceVersion };
        watches.push({ what: `pods in ${ns ?? 'all namespaces'} ${JSON.stringify(q)}`, w: await watchBoth({ cacher, registry }, pods, ns, q) });
      }
  watches.push({ what: 'streaming list', w: await watchBoth({ cacher, registry }, pods, 'b', { sendInitialEvents: true, allowWatchBookmarks: true, resourceVersion: String(revs[4]), resourceVersionMatch: 'NotOlderThan' }) });
  watches.push({ what: 'nodes from the first', w: await watchBoth({ cacher, registry }, nodes, undefined, { resourceVersion: String(revs[0]) }) });
  await settle();
  // Live writes: pods moving into and out of the selectors, a deletion, a node.
  await registry.update(pods, 'a', 'p5', relabel({ app: 'y', tier: 'db' }));
  await registry.update(pods, 'b', 'p0', relabel({ app: 'x', tier: 'web' }));
  await registry.delete(pods, 'a', 'p7', { gracePeriodSeconds: 0 });
  await registry.create(pods, 'b', pod('b', 'p20', { app: 'x' }, 'n1'));
  await registry.create(nodes, undefined, { metadata: { name: 'n9' } } as Any);
  await settle();
  for (const { what, w } of watches) {
    t.same(w.out.cached, w.out.stored, what);
    w.close();
  }
  const all = watches.find((x) => x.what === `pods in all namespaces {"resourceVersion":"${revs[0]}"}`)!.w.out;
  t.equal(all.stored.length, 20, 'the watch from the first write saw every later pod write');
  t.ok(all.lines.length && all.lines.every(([wire, encoded]) => wire === encoded), 'an event encoded once is what encoding it for the watcher gives');
});

t.test('an event is encoded once for every watcher, and lists and gets reuse that encoding', async (t) => {
  const { registry, cacher } = await fixture(t);
  const WATCHERS = 24;
  const lines: Buffer[][] = Array.from({ length: WATCHERS }, () => []);
  const queries: WatchQuery[] = [{}, { labelSelector: 'app=x' }, { fieldSelector: 'metadata.namespace=a' }];
  const watches = await Promise.all(lines.map((got, i) => cacher.watch(pods, i % 2 ? 'a' : undefined, queries[i % 3], (e) => got.push(e.wire!()), () => {})));
  t.teardown(() => watches.forEach((w) => w.close()));

  const before = encodeCount();
  await registry.create(pods, 'a', pod('a', 'p0', { app: 'x' }));
  await settle();
  t.same(lines.map((l) => l.length), Array(WATCHERS).fill(1), 'every watcher got the event');
  t.ok(lines.every((l) => l[0] === lines[0][0]), 'every watcher was handed the same bytes');
  t.equal(encodeCount() - before, 1, `one JSON encoding of the object for ${WATCHERS} watchers`);

  for (let i = 0; i < 3; i++) {
    const listed = await cacher.list(pods, i % 2 ? 'a' : undefined, {});
    t.ok(listed.encodedItems!().equals(lines[0][0].subarray(lines[0][0].indexOf('{"kind"'), -2)), 'the list body holds the same encoding');
  }
  const got = await cacher.get(pods, 'a', 'p0', '0');
  t.equal(cacher.encoding(got), cacher.encoding((await cacher.list(pods, 'a', {})).items[0]), 'a get at resourceVersion 0 answers with the same bytes');
  t.equal(encodeCount() - before, 1, 'lists and gets encoded nothing again');
  const body = (await cacher.list(pods, undefined, {})).encodedItems!();
  t.ok((await cacher.list(pods, undefined, {})).encodedItems!() === body, 'the same list between events reuses its body');

  await registry.update(pods, 'a', 'p0', relabel({ app: 'y' }));
  await settle();
  t.same(lines.map((l) => l.length), Array(WATCHERS).fill(2), 'every watcher got the change (MODIFIED, or DELETED for those that select app=x)');
  t.equal(encodeCount() - before, 2, 'one more encoding for the changed object, whatever the event\'s type for each watcher');
  const changed = (await cacher.list(pods, undefined, {})).encodedItems!();
  t.ok(changed !== body && changed.toString().includes('"app":"y"'), 'after an event the list\'s body is made again, with the change');
});

t.test('list bodies kept within the budget: those that do not fit are made again, and every one is right', async (t) => {
  const { registry, cacher } = await fixture(t);
  await writes(registry);
  const budget = { ...PAGE_BUDGET };
  t.teardown(() => Object.assign(PAGE_BUDGET, budget));
  // Room for a namespace's pods but not for all of them, nor for every selection.
  Object.assign(PAGE_BUDGET, { bytes: 4000, pages: 3 });
  for (let round = 0; round < 2; round++)
    for (const ns of [undefined, 'a', 'b'])
      for (const q of selectors.slice(0, 4)) {
        const stored = await registry.list(pods, ns, q);
        const body = (await cacher.list(pods, ns, q)).encodedItems!().toString();
        t.equal(body, stored.items.map((o) => JSON.stringify(wireOrder(o))).join(','), `round ${round + 1}: pods in ${ns ?? 'all namespaces'} ${JSON.stringify(q)}`);
      }
});

t.test('a watch from before the window, or from a compacted revision, is answered by the store: the same events, the same 410', async (t) => {
  const { storage, registry, cacher, calls } = await fixture(t);
  const revs = await writes(registry);
  // More pod events than the window keeps.
  const inB = ['p0', 'p2', 'p4', 'p6', 'p8', 'p10'];
  for (let round = 0; round * inB.length < EVENT_WINDOW + 40; round++)
    await Promise.all(inB.map((name) => registry.update(pods, 'b', name, (live) => ({ ...live, metadata: { ...live.metadata, annotations: { n: String(round) } } }) as KubeObject)));
  const last = await storage.currentRevision();

  let watches = calls.watch;
  const recent = await watchBoth({ cacher, registry }, pods, 'b', { resourceVersion: String(last - 20) });
  await settle();
  t.equal(calls.watch - watches, 1, 'a watch from inside the window is served by the cache (only the comparison watched the store)');
  t.same(recent.out.cached, recent.out.stored, 'from inside the window');
  recent.close();

  watches = calls.watch;
  const old = await watchBoth({ cacher, registry }, pods, undefined, { resourceVersion: String(revs[2]), labelSelector: 'app=x' });
  await settle();
  t.equal(calls.watch - watches, 2, 'a watch from before the window goes to the store');
  t.same(old.out.cached, old.out.stored, 'from before the window');
  t.ok(old.out.stored.length > EVENT_WINDOW / 2, 'and it replayed the history');
  old.close();

  await storage.compact(revs[10]);
  const expired = await watchBoth({ cacher, registry }, pods, undefined, { resourceVersion: String(revs[2]) });
  await settle();
  t.same(expired.out.cached, expired.out.stored, 'from a compacted revision');
  t.match(expired.out.cached, [{ type: 'ERROR', object: { code: 410, reason: 'Expired' } }]);
  t.ok(expired.out.ended.cached && expired.out.ended.stored, 'both watches ended');
  t.same(await answer(cacher.list(pods, undefined, { resourceVersion: String(revs[2]), resourceVersionMatch: 'Exact' })), await answer(registry.list(pods, undefined, { resourceVersion: String(revs[2]), resourceVersionMatch: 'Exact' })), 'an exact list at a compacted revision');
});
