// The store conformance suite on the embedded SQLite store, each subtest on a fresh database in a temp dir; plus what
// only SQLite has to show: state and revisions survive reopening the file.
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import t from 'tap';
import { storeConformance } from './conformance.js';
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
