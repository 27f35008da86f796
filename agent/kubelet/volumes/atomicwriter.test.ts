import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import t from 'tap';
import { cleanPath, DATA_DIR, pathsToRemove, payloadChanged, validatePath, validatePayload, versionDirPrefix, writeAtomically, type Payload } from './atomicwriter.js';

const payload = (files: Record<string, string | [string, number]>): Payload =>
  new Map(Object.entries(files).map(([p, v]) => [p, typeof v === 'string' ? { data: Buffer.from(v), mode: 0o644 } : { data: Buffer.from(v[0]), mode: v[1] }]));

t.test('payload paths: relative, no .. element, not starting with ..; cleaned', async (t) => {
  for (const ok of ['a', 'a/b/c', '.a', 'a..b', 'dir/..hidden']) t.doesNotThrow(() => validatePath(ok), ok);
  t.throws(() => validatePath(''), { message: 'invalid path: must not be empty: ""' });
  t.throws(() => validatePath('/etc/passwd'), { message: 'invalid path: must be relative path: /etc/passwd' });
  t.throws(() => validatePath('a/../../b'), { message: "invalid path: must not contain '..': a/../../b" });
  t.throws(() => validatePath('..'), { message: "invalid path: must not contain '..': .." });
  t.throws(() => validatePath('..data/x'), { message: "invalid path: must not start with '..': ..data/x" });
  t.throws(() => validatePath(`${'x'.repeat(256)}`), { message: 'invalid path: filenames must be less than or equal to 255 characters' });
  t.throws(() => validatePath('a/'.repeat(2049)), { message: 'invalid path: must be less than or equal to 4096 characters' });
  t.same([...validatePayload(payload({ './a//b/': 'x', 'c/./d': 'y' })).keys()], ['a/b', 'c/d']);
  t.equal(cleanPath('a/b/../c'), 'a/c');
});

t.test('what changed and what goes', async (t) => {
  const current = payload({ a: 'one', 'dir/b': 'two' });
  t.equal(payloadChanged(current, payload({ a: 'one', 'dir/b': 'two' })), false);
  t.equal(payloadChanged(current, payload({ a: 'one' })), false, 'a smaller payload changes nothing written (removal is separate)');
  t.equal(payloadChanged(current, payload({ a: 'uno' })), true, 'content');
  t.equal(payloadChanged(current, payload({ a: ['one', 0o400] })), true, 'mode');
  t.equal(payloadChanged(current, payload({ c: 'new' })), true, 'a new file');
  t.same(pathsToRemove(['a', 'dir', 'dir/b', 'old', 'old/x'], payload({ a: '1', 'dir/c': '2' })), ['dir/b', 'old', 'old/x']);
  t.equal(versionDirPrefix(new Date(Date.UTC(2024, 0, 2, 15, 4, 5))), '..2024_01_02_15_04_05.');
});

t.test('writing versions: ..data swaps to a new timestamped directory, visible names are links through it', async (t) => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'kt-atomic-'));
  t.teardown(() => fs.rmSync(dir, { recursive: true, force: true }));
  const read = (p: string) => fs.readFileSync(path.join(dir, p), 'utf8');

  t.equal(await writeAtomically(dir, payload({ greeting: 'hello', 'conf/app.ini': ['debug=1', 0o600] }), new Date(Date.UTC(2024, 0, 2, 15, 4, 5))), true);
  const v1 = fs.readlinkSync(path.join(dir, DATA_DIR));
  t.match(v1, /^\.\.2024_01_02_15_04_05\..+$/);
  t.equal(fs.readlinkSync(path.join(dir, 'greeting')), '..data/greeting');
  t.equal(fs.readlinkSync(path.join(dir, 'conf')), '..data/conf');
  t.equal(read('greeting'), 'hello');
  t.equal(read('conf/app.ini'), 'debug=1');
  t.equal(fs.statSync(path.join(dir, v1, 'conf/app.ini')).mode & 0o777, 0o600);
  t.equal(fs.statSync(path.join(dir, v1)).mode & 0o777, 0o755);

  t.equal(await writeAtomically(dir, payload({ greeting: 'hello', 'conf/app.ini': ['debug=1', 0o600] })), false, 'the same payload: nothing written');
  t.equal(fs.readlinkSync(path.join(dir, DATA_DIR)), v1);

  t.equal(await writeAtomically(dir, payload({ greeting: 'bye', extra: 'new' })), true);
  const v2 = fs.readlinkSync(path.join(dir, DATA_DIR));
  t.not(v2, v1);
  t.same(fs.readdirSync(dir).sort(), [DATA_DIR, v2, 'extra', 'greeting'].sort(), 'the old version and the vanished name are gone');
  t.equal(read('greeting'), 'bye');
  t.equal(read('extra'), 'new');

  t.equal(await writeAtomically(dir, payload({ extra: 'new' })), true, 'a removal alone is a new version');
  t.same(fs.readdirSync(dir).filter((n) => !n.startsWith('..')), ['extra']);

  await t.rejects(writeAtomically(dir, payload({ '../escape': 'x' })), { message: "invalid path: must not contain '..': ../escape" });
  t.notOk(fs.existsSync(path.join(path.dirname(dir), 'escape')));
});
