// The timing decorator: every call timed under its operation and key, and the backend's watch guarantee passed on
// (the watch cache trusts `synchronousWatch` to answer consistent reads from memory).
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import t from 'tap';
import { InstrumentedStore } from './instrumented.js';
import { SqliteStore } from './sqlite.js';

t.test('times each call by operation and key; passes on synchronousWatch', async (t) => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'kubets-instrumented-'));
  const inner = new SqliteStore(path.join(dir, 'state.db'));
  const seen: string[] = [];
  const store = new InstrumentedStore(inner, (operation, key, seconds) => seen.push(`${operation} ${key} ${seconds >= 0}`));
  t.teardown(async () => {
    await store.close();
    fs.rmSync(dir, { recursive: true, force: true });
  });
  t.equal(store.synchronousWatch, inner.synchronousWatch, "the backend's guarantee");
  t.equal(store.synchronousWatch, true);
  const rev = await store.create('/registry/pods/default/a', '{}');
  await store.update('/registry/pods/default/a', '{"x":1}', rev);
  t.equal((await store.get('/registry/pods/default/a'))?.value, '{"x":1}');
  await store.list('/registry/pods/');
  await store.delete('/registry/pods/default/a');
  t.same(seen, ['create', 'update', 'get', 'list', 'delete'].map((op) => `${op} /registry/pods/${op === 'list' ? '' : 'default/a'} true`));
});
