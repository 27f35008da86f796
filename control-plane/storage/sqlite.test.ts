// The store conformance suite on the embedded SQLite store, each subtest on a fresh database in a temp dir; plus what
// only SQLite has to show: state and revisions survive reopening the file.
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import t from 'tap';
import { storeConformance, type Tap } from './conformance.js';
import { SqliteStore } from './sqlite.js';

const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'kubets-sqlite-'));
t.teardown(() => fs.rmSync(tmp, { recursive: true, force: true }));
let n = 0;

t.test('conformance', async (t) => {
  storeConformance(t, async () => {
    const dir = path.join(tmp, String(n++));
    const store = new SqliteStore(path.join(dir, 'state.db'));
    return {
      store,
      async cleanup() {
        await store.close();
        fs.rmSync(dir, { recursive: true, force: true });
      },
    };
  });
});

t.test('reopening the file keeps keys, revisions and the compacted revision', async (t) => {
  const file = path.join(tmp, 'reopen', 'state.db');
  const a = new SqliteStore(file);
  const r1 = await a.create('/k/a', '1');
  const r2 = await a.update('/k/a', '2', r1);
  await a.create('/k/b', '1');
  await a.compact(r2);
  const last = await a.currentRevision();
  await a.close();
  const b = new SqliteStore(file);
  t.teardown(() => b.close());
  t.equal(await b.currentRevision(), last);
  t.equal(await b.compactedRevision(), r2);
  t.match(await b.get('/k/a'), { value: '2', modRevision: r2, createRevision: r1 });
  t.ok((await b.create('/k/c', '1')) > last, 'revisions continue after the last one');
});

t.test('a watcher whose handler throws does not fail the write that fed it', async (t) => {
  const store = new SqliteStore(path.join(tmp, 'throwing', 'state.db'));
  t.teardown(() => store.close());
  const errors: Error[] = [];
  store.watch('/k/', await store.currentRevision(), () => {
    throw new Error('handler bug');
  }, (e) => errors.push(e));
  await new Promise((r) => setImmediate(r));
  const r = await store.create('/k/a', '1');
  t.ok(r > 0, 'the write is acknowledged');
  await new Promise((r) => setImmediate(r));
  t.equal(errors[0]?.message, 'handler bug', 'the watcher ends with the error');
  t.equal((await store.get('/k/a'))?.value, '1');
});

t.test('the database and its directory are readable by the owner only', async (t) => {
  const file = path.join(tmp, 'modes', 'state.db');
  const s = new SqliteStore(file);
  t.teardown(() => s.close());
  await s.create('/k/a', 'secret');
  t.equal(fs.statSync(path.dirname(file)).mode & 0o777, 0o700);
  for (const f of [file, `${file}-wal`]) t.equal(fs.statSync(f).mode & 0o777, 0o600, path.basename(f));
});

/** Holds every fdatasync the store asks for until the test lets it run (or fail): the disk's timing, in the test's hands. */
function holdSyncs(t: Tap): { held: { file: string; done: (err: Error | null) => void }[] } {
  const real = fs.fdatasync;
  const state = { held: [] as { file: string; done: (err: Error | null) => void }[] };
  (fs as { fdatasync: unknown }).fdatasync = (fd: number, cb: (err: Error | null) => void) =>
    state.held.push({ file: fs.readlinkSync(`/proc/self/fd/${fd}`), done: (err) => (err ? cb(err) : real(fd, cb)) });
  t.teardown(() => void ((fs as { fdatasync: unknown }).fdatasync = real));
  return state;
}

const turn = () => new Promise((r) => setImmediate(r));

t.test('a write is acknowledged, watched and read only once the WAL is synced; meanwhile the server goes on', async (t) => {
  const file = path.join(tmp, 'sync', 'state.db');
  const store = new SqliteStore(file);
  t.teardown(() => store.close());
  const syncs = holdSyncs(t);
  const before = await store.currentRevision();
  const seen: string[] = [];
  store.watch('/k/', before, (e) => seen.push(e.key), () => undefined);
  let acked = 0;
  const first = store.create('/k/a', '1').then((r) => (acked++, r));
  await turn();
  await turn();
  t.equal(syncs.held.length, 1, 'one fsync asked for');
  t.equal(syncs.held[0]!.file, `${file}-wal`, 'of the write-ahead log');
  t.equal(acked, 0, 'not acknowledged before it is on disk');
  t.same(seen, [], 'not announced to watchers either');
  t.equal(await store.currentRevision(), before, 'the current revision is the durable one');
  t.equal((await store.list('/k/')).items.length, 0, 'a list does not show it');
  let read: string | undefined;
  const reading = store.get('/k/a').then((kv) => (read = kv?.value));
  // Writes made while the fsync runs commit too, and wait for the next one.
  const second = store.create('/k/b', '1').then((r) => (acked++, r));
  await turn();
  await turn();
  t.equal(syncs.held.length, 1, 'one fsync at a time');
  t.equal(read, undefined, 'a get that meets it waits');

  syncs.held.shift()!.done(null);
  const r1 = await first;
  await reading;
  t.equal(read, '1', 'the get answers once it is durable');
  t.same(seen, ['/k/a'], 'the watcher heard of it before its writer did');
  t.equal(await store.currentRevision(), r1);
  t.equal(acked, 1, 'the write made during the fsync still waits');
  await turn();
  t.equal(syncs.held.length, 1, 'the next fsync covers it');
  syncs.held.shift()!.done(null);
  t.ok((await second) > r1);
  t.same(seen, ['/k/a', '/k/b']);
});

t.test('a failed fsync fails the writes it covered, ends the watches and stops the store taking writes', async (t) => {
  const store = new SqliteStore(path.join(tmp, 'syncfail', 'state.db'));
  t.teardown(() => store.close());
  const syncs = holdSyncs(t);
  const errors: Error[] = [];
  store.watch('/k/', await store.currentRevision(), () => undefined, (e) => errors.push(e));
  const write = store.create('/k/a', '1');
  await turn();
  await turn();
  const read = store.get('/k/a');
  syncs.held.shift()!.done(Object.assign(new Error('EIO: i/o error, fdatasync'), { code: 'EIO' }));
  await t.rejects(write, /write-ahead log could not be synced to disk: EIO/);
  await t.rejects(read, /could not be synced/, 'a read waiting for the write gets the error too');
  await turn();
  t.match(errors[0]?.message, /could not be synced/, 'the watch ends with the error');
  await t.rejects(store.create('/k/b', '1'), /could not be synced/, 'later writes are refused');
});
