import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import t, { type Test } from 'tap';
import { LogCollector, sourceOf, type LogSource } from './collector.js';
import { collectorDefaults } from './config.js';
import { cutUtf8, escapeInvalidUtf8, type LogRecord } from './record.js';
import { ContainerLogTailer } from './tailer.js';

const stamp = (i: number) => `2026-01-02T03:04:${String(i % 60).padStart(2, '0')}.123456789Z`;
const entry = (text: string, o: { stream?: 'stdout' | 'stderr'; partial?: boolean; i?: number } = {}) => `${stamp(o.i ?? 0)} ${o.stream ?? 'stdout'} ${o.partial ? 'P' : 'F'} ${text}\n`;

function tree(t: Test) {
  const root = fs.mkdtempSync(path.join(os.tmpdir(), 'kubets-logs-'));
  t.teardown(() => fs.rmSync(root, { recursive: true, force: true }));
  const dir = path.join(root, 'pods', 'default_web-1_uid-1', 'web');
  fs.mkdirSync(dir, { recursive: true });
  return { root, pods: path.join(root, 'pods'), file: path.join(dir, '0.log'), positions: path.join(root, 'state', 'positions.json') };
}

/** A collector driven cycle by cycle, its shipped records collected (or refused while `refuse` is set). */
function collector(pods: string, positions: string, o: { maxLineBytes?: number; batchLines?: number } = {}) {
  const shipped: LogRecord[] = [];
  const forgotten: string[] = [];
  const state = { refuse: false, apiDown: false };
  const c = new LogCollector(
    { ...collectorDefaults, nodeName: 'node-a', podLogDir: pods, positionFile: positions, maxLineBytes: o.maxLineBytes ?? collectorDefaults.maxLineBytes, batchLines: o.batchLines ?? collectorDefaults.batchLines },
    {
      labels: async (s: LogSource) => {
        if (state.apiDown) throw new Error('connect ECONNREFUSED');
        return { app: s.pod.split('-')[0] };
      },
      ship: async (records) => {
        if (state.refuse) throw new Error('store unavailable');
        shipped.push(...records);
      },
      forget: (uid) => forgotten.push(uid),
    },
  );
  return { c, shipped, state, forgotten, lines: () => shipped.map((r) => r.line) };
}

t.test('a log file path names its pod and container', async (t) => {
  t.same(sourceOf('/var/log/pods', '/var/log/pods/kube-system_coredns-abc_0f1e/coredns/3.log'), { namespace: 'kube-system', pod: 'coredns-abc', uid: '0f1e', container: 'coredns' });
  t.equal(sourceOf('/var/log/pods', '/var/log/pods/kube-system_coredns-abc_0f1e/coredns/3.log.20260101-000000'), undefined, 'a rotated file is not a live one');
  t.equal(sourceOf('/var/log/pods', '/var/log/pods/nounderscores/c/0.log'), undefined);
});

t.test('lines carry their metadata; partial entries are joined per stream', async (t) => {
  const { pods, file, positions } = tree(t);
  fs.writeFileSync(file, entry('hello ', { partial: true }) + entry('on stderr', { stream: 'stderr', i: 1 }) + entry('world') + 'not a CRI line\n' + entry('unfinished', { partial: true }));
  const { c, shipped, lines } = collector(pods, positions);
  await c.load();
  await c.cycle();
  t.same(lines(), ['on stderr', 'hello world'], 'the P entry waits for its F; a line that is not CRI is skipped');
  t.same(shipped[1], { time: stamp(0), namespace: 'default', pod: 'web-1', uid: 'uid-1', container: 'web', node: 'node-a', labels: { app: 'web' }, stream: 'stdout', line: 'hello world' }, 'stamped with the time of its first entry');
  fs.appendFileSync(file, entry(' and the rest', { i: 2 }));
  await c.cycle();
  t.same(lines().slice(2), ['unfinished and the rest'], 'a partial line completes when its F entry comes');
  await c.close();
});

t.test('rotation: the renamed file is read to its end, then the new one from its start', async (t) => {
  const { pods, file, positions } = tree(t);
  fs.writeFileSync(file, entry('one') + entry('two'));
  const { c, lines } = collector(pods, positions);
  await c.load();
  await c.cycle();
  // The kubelet renames the file; the runtime writes on to it until it reopens the path.
  const rotated = `${file}.20260102-030405`;
  fs.renameSync(file, rotated);
  fs.appendFileSync(rotated, entry('three, after the rename'));
  fs.writeFileSync(file, entry('four, in the new file'));
  await c.cycle();
  fs.appendFileSync(rotated, entry('five, before the reopen'));
  await c.cycle();
  await c.cycle();
  t.same(lines(), ['one', 'two', 'three, after the rename', 'five, before the reopen', 'four, in the new file'], 'nothing lost, nothing twice');
  fs.appendFileSync(file, entry('six'));
  await c.cycle();
  t.same(lines().slice(5), ['six'], 'then the new file is followed');
  await c.close();
});

t.test('positions survive a restart: only new lines, a pending partial line joined once', async (t) => {
  const { pods, file, positions } = tree(t);
  fs.writeFileSync(file, entry('before') + entry('split ', { partial: true }) + entry('other stream', { stream: 'stderr' }));
  const first = collector(pods, positions);
  await first.c.load();
  await first.c.cycle();
  await first.c.close();
  t.same(first.lines(), ['before', 'other stream']);
  t.ok(fs.existsSync(positions), 'the position file is written');

  fs.appendFileSync(file, entry('line', { i: 1 }) + entry('after'));
  const second = collector(pods, positions);
  await second.c.load();
  await second.c.cycle();
  t.same(second.lines(), ['split line', 'after'], 'the partial line read again to be joined; the lines shipped before are not shipped again');
  await second.c.close();
});

t.test('a rotation while the collector was away: the rotated file found by inode, its tail read first', async (t) => {
  const { pods, file, positions } = tree(t);
  fs.writeFileSync(file, entry('a'));
  const first = collector(pods, positions);
  await first.c.load();
  await first.c.cycle();
  await first.c.close();
  fs.appendFileSync(file, entry('b, before the rotation'));
  fs.renameSync(file, `${file}.20260102-030405`);
  fs.writeFileSync(file, entry('c, after'));
  const second = collector(pods, positions);
  await second.c.load();
  await second.c.cycle();
  await second.c.cycle();
  t.same(second.lines(), ['b, before the rotation', 'c, after']);
  await second.c.close();
});

t.test('a batch the store refuses is sent again; positions move only once it is taken', async (t) => {
  const { pods, file, positions } = tree(t);
  fs.writeFileSync(file, entry('x') + entry('y'));
  const { c, lines, state } = collector(pods, positions);
  await c.load();
  state.refuse = true;
  await t.rejects(c.cycle(), /store unavailable/);
  t.notOk(fs.existsSync(positions), 'no position saved for lines not stored');
  fs.appendFileSync(file, entry('z'));
  state.refuse = false;
  await c.cycle();
  t.same(lines(), ['x', 'y'], 'the same batch again, before anything newer');
  await c.cycle();
  t.same(lines(), ['x', 'y', 'z']);
  await c.close();
});

t.test('an API that does not answer costs the lines their labels, not the lines', async (t) => {
  const { pods, file, positions } = tree(t);
  fs.writeFileSync(file, entry('while the API is down'));
  const { c, shipped, state } = collector(pods, positions);
  await c.load();
  state.apiDown = true;
  await c.cycle();
  t.same(shipped.map((r) => [r.line, r.labels]), [['while the API is down', {}]]);
  await c.close();
});

t.test('a 1 MB line is stored cut, invalid UTF-8 escaped; the collector goes on', async (t) => {
  const { pods, file, positions } = tree(t);
  const big = 'é'.repeat(512 * 1024); // 1 MiB of two-byte characters
  // One physical line, and the same split in 16 KiB P entries as containerd writes it.
  const chunks: string[] = [];
  for (let i = 0; i < big.length; i += 8192) chunks.push(entry(big.slice(i, i + 8192), { partial: i + 8192 < big.length }));
  const bad = Buffer.concat([Buffer.from(`${stamp(0)} stdout F bad `), Buffer.from([0xff, 0x41, 0xc3, 0x28, 0xe2, 0x82]), Buffer.from(' end\n')]);
  fs.writeFileSync(file, Buffer.concat([Buffer.from(entry(big) + chunks.join('')), bad, Buffer.from(entry('after'))]));
  const { c, shipped } = collector(pods, positions, { maxLineBytes: 1001 });
  await c.load();
  await c.cycle();
  t.equal(shipped.length, 4);
  for (const r of shipped.slice(0, 2)) {
    t.equal(r.line, 'é'.repeat(500), 'cut at a character boundary');
    t.equal(r.truncated, 1024 * 1024 - 1000, 'the bytes left out are counted');
  }
  t.equal(shipped[2].line, 'bad \\xffA\\xc3(\\xe2\\x82 end');
  t.equal(shipped[2].truncated, undefined);
  t.equal(shipped[3].line, 'after');
  await c.close();
});

t.test('text helpers', async (t) => {
  t.equal(escapeInvalidUtf8(Buffer.from('plain ünïcode ✓ 𝄞')), 'plain ünïcode ✓ 𝄞');
  t.equal(escapeInvalidUtf8(Buffer.from([0xed, 0xa0, 0x80])), '\\xed\\xa0\\x80', 'a surrogate is not UTF-8');
  t.equal(escapeInvalidUtf8(Buffer.from([0xc0, 0xaf])), '\\xc0\\xaf', 'nor an overlong form');
  t.equal(cutUtf8(Buffer.from('a✓b'), 3).toString(), 'a', 'not half a character');
  t.equal(cutUtf8(Buffer.from('a✓b'), 4).toString(), 'a✓');
});

t.test('a deleted file is read to its end and let go', async (t) => {
  const { file } = tree(t);
  fs.writeFileSync(file, entry('last words', { partial: true }));
  const tailer = new ContainerLogTailer(file, undefined, 1000);
  t.same((await tailer.poll(10)).map((l) => l.content.toString()), []);
  fs.rmSync(file);
  await tailer.poll(10);
  const tail = await tailer.poll(10);
  t.same(tail.map((l) => [l.content.toString(), l.complete]), [['last words', false]], 'a partial line at the end is still a line');
  t.ok(tailer.finished());
  await tailer.close();
});

t.test("a pod is forgotten once all its containers' files are gone and read", async (t) => {
  const { pods, file, positions } = tree(t);
  const sidecar = path.join(path.dirname(path.dirname(file)), 'sidecar', '0.log');
  fs.mkdirSync(path.dirname(sidecar));
  fs.writeFileSync(file, entry('from web'));
  fs.writeFileSync(sidecar, entry('from the sidecar'));
  const { c, forgotten, lines } = collector(pods, positions);
  await c.load();
  await c.cycle();
  fs.rmSync(file);
  fs.appendFileSync(sidecar, entry('still here', { i: 1 }));
  for (let i = 0; i < 3; i++) await c.cycle();
  t.same(forgotten, [], 'one container still has its file');
  fs.rmSync(path.dirname(path.dirname(file)), { recursive: true });
  for (let i = 0; i < 3; i++) await c.cycle();
  t.same(forgotten, ['uid-1'], 'forgotten once, when the last file is gone');
  t.same(lines().sort(), ['from the sidecar', 'from web', 'still here'], 'every line was shipped first');
  await c.close();
});
