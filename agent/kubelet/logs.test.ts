import t from 'tap';
import type * as Tap from 'tap';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { LineAssembler, parseCriLogLine, parseLogOptions, PhysicalLines, readContainerLog, type LogOptions } from './logs.js';

const plain: LogOptions = { follow: false, previous: false, timestamps: false };

function tmpLog(t: Tap.Test, text: string): string {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'kubets-logs-'));
  t.teardown(() => fs.rmSync(dir, { recursive: true, force: true }));
  const file = path.join(dir, '0.log');
  fs.writeFileSync(file, text);
  return file;
}

async function read(file: string, opts: Partial<LogOptions>): Promise<string> {
  const chunks: Buffer[] = [];
  await readContainerLog(file, { ...plain, ...opts }, { write: (c) => (chunks.push(c), true) });
  return Buffer.concat(chunks).toString();
}

const sample = [
  '2024-05-01T10:00:00.000000001Z stdout F first line',
  '2024-05-01T10:00:01.5Z stderr F an error',
  '2024-05-01T10:00:02.000000000Z stdout P part one, ',
  '2024-05-01T10:00:02.100000000Z stderr F interleaved',
  '2024-05-01T10:00:02.200000000Z stdout P part two, ',
  '2024-05-01T10:00:02.300000000Z stdout F the end',
  '2024-05-01T10:00:03.000000000Z stdout F ',
  '2024-05-01T10:00:04.000000000Z stdout F last line',
].join('\n') + '\n';

t.test('parseCriLogLine reads time, stream, tag and content', async (t) => {
  const e = parseCriLogLine(Buffer.from('2016-10-06T00:17:09.669794202Z stdout F log content 1'))!;
  t.equal(e.time, '2016-10-06T00:17:09.669794202Z');
  t.equal(e.stream, 'stdout');
  t.equal(e.partial, false);
  t.equal(e.content.toString(), 'log content 1');
  const p = parseCriLogLine(Buffer.from('2016-10-06T00:17:09.669794203Z stderr P  two  spaces '))!;
  t.equal(p.stream, 'stderr');
  t.equal(p.partial, true);
  t.equal(p.content.toString(), ' two  spaces ', 'content kept byte for byte after the single separator');
  t.equal(parseCriLogLine(Buffer.from('2016-10-06T00:17:09Z stdout F'))!.content.length, 0, 'empty line');
  t.equal(parseCriLogLine(Buffer.from('not a cri line')), undefined);
  t.equal(parseCriLogLine(Buffer.from('2016-10-06T00:17:09Z stdin F x')), undefined, 'unknown stream');
  t.equal(parseCriLogLine(Buffer.from('2016-10-06T00:17:09Z stdout X x')), undefined, 'unknown tag');
});

t.test('LineAssembler joins partial entries per stream', async (t) => {
  const a = new LineAssembler();
  const lines = sample
    .trim()
    .split('\n')
    .map((l) => a.push(parseCriLogLine(Buffer.from(l))!))
    .filter((l) => l !== undefined);
  t.same(
    lines.map((l) => [l.stream, l.content.toString(), l.time]),
    [
      ['stdout', 'first line', '2024-05-01T10:00:00.000000001Z'],
      ['stderr', 'an error', '2024-05-01T10:00:01.5Z'],
      ['stderr', 'interleaved', '2024-05-01T10:00:02.100000000Z'],
      ['stdout', 'part one, part two, the end', '2024-05-01T10:00:02.000000000Z'],
      ['stdout', '', '2024-05-01T10:00:03.000000000Z'],
      ['stdout', 'last line', '2024-05-01T10:00:04.000000000Z'],
    ],
  );
  a.push(parseCriLogLine(Buffer.from('2024-05-01T10:00:05Z stdout P unfinished'))!);
  t.same(a.flush().map((l) => [l.content.toString(), l.complete]), [['unfinished', false]]);
  t.same(a.flush(), [], 'flush empties');
});

t.test('PhysicalLines keeps an unterminated tail for the next chunk', async (t) => {
  const p = new PhysicalLines();
  t.same(p.push(Buffer.from('ab\ncd')).map(String), ['ab']);
  t.same(p.push(Buffer.from('ef\n\ngh')).map(String), ['cdef', '']);
  t.same(p.push(Buffer.from('\n')).map(String), ['gh']);
});

t.test('readContainerLog: whole log, timestamps, tail, limitBytes, since', async (t) => {
  const file = tmpLog(t, sample);
  t.equal(await read(file, {}), 'first line\nan error\ninterleaved\npart one, part two, the end\n\nlast line\n');
  t.equal(
    await read(file, { timestamps: true, tailLines: 2 }),
    '2024-05-01T10:00:03.000000000Z \n2024-05-01T10:00:04.000000000Z last line\n',
    'timestamps prefix each line with the runtime time',
  );
  t.equal(await read(file, { tailLines: 0 }), '');
  t.equal(await read(file, { tailLines: 100 }), await read(file, {}), 'tail longer than the log is the whole log');
  t.equal(await read(file, { limitBytes: 14 }), 'first line\nan ', 'cut at exactly limitBytes');
  t.equal(await read(file, { sinceMs: Date.parse('2024-05-01T10:00:02.1Z') }), 'interleaved\n\nlast line\n', 'a joined line counts from its first part');
  t.equal(await read(file, { tailLines: 1, sinceMs: Date.parse('2024-05-01T10:00:05Z') }), '');
});

t.test('readContainerLog ignores a torn last line and outputs a trailing partial line', async (t) => {
  t.equal(await read(tmpLog(t, '2024-05-01T10:00:00Z stdout F done\n2024-05-01T10:00:01Z stdout F half-writ'), {}), 'done\n');
  t.equal(await read(tmpLog(t, '2024-05-01T10:00:00Z stdout P no newline yet\n'), {}), 'no newline yet');
});

t.test('readContainerLog follows new lines until the container stops', async (t) => {
  const file = tmpLog(t, '2024-05-01T10:00:00Z stdout F one\n');
  const seen: string[] = [];
  let running = true;
  let appended = false;
  const done = readContainerLog(
    file,
    { ...plain, follow: true },
    {
      write: (c) => {
        seen.push(c.toString());
        if (seen.length === 2) {
          // Then the container exits with one more line.
          fs.appendFileSync(file, '2024-05-01T10:00:02Z stdout F three\n');
          running = false;
        }
        return true;
      },
    },
    {
      isRunning: async () => {
        // Asked at the end of the file while following: a line written now is one written while following.
        if (!appended) {
          appended = true;
          fs.appendFileSync(file, '2024-05-01T10:00:01Z stdout F two\n');
        }
        return running;
      },
      pollMs: 10,
      runningCheckEvery: 1,
    },
  );
  await done;
  t.same(seen, ['one\n', 'two\n', 'three\n']);
});

t.test('readContainerLog stops following when the client goes away', async (t) => {
  const file = tmpLog(t, '2024-05-01T10:00:00Z stdout F one\n');
  const abort = new AbortController();
  const seen: string[] = [];
  // The client goes away while the reader follows the file (asked at its end whether the container still runs).
  const isRunning = async () => (abort.abort(), true);
  await readContainerLog(file, { ...plain, follow: true }, { write: (c) => (seen.push(c.toString()), true) }, { isRunning, signal: abort.signal, pollMs: 10, runningCheckEvery: 1 });
  t.same(seen, ['one\n']);
});

t.test('readContainerLog follows across a rotation: the rest of the old file, then the new one', async (t) => {
  const file = tmpLog(t, '2024-05-01T10:00:00Z stdout F one\n');
  const seen: string[] = [];
  let checks = 0;
  await readContainerLog(
    file,
    { ...plain, follow: true },
    { write: (c) => (seen.push(c.toString()), true) },
    {
      isRunning: async () => {
        checks++;
        if (checks === 1) {
          // The runtime writes its last line to the file, the log manager renames it, the runtime reopens the path.
          fs.appendFileSync(file, '2024-05-01T10:00:01Z stdout F two\n');
          fs.renameSync(file, `${file}.20240501-100001`);
          fs.writeFileSync(file, '2024-05-01T10:00:02Z stdout F three\n');
        }
        return checks < 3;
      },
      pollMs: 10,
      runningCheckEvery: 1,
    },
  );
  t.same(seen, ['one\n', 'two\n', 'three\n']);
});

t.test('parseLogOptions validates like kube-apiserver', async (t) => {
  const now = Date.parse('2024-05-01T12:00:00Z');
  t.same(parseLogOptions(new URLSearchParams('follow=true&timestamps=true&tailLines=5&limitBytes=10&sinceSeconds=60'), now), {
    follow: true,
    previous: false,
    timestamps: true,
    tailLines: 5,
    limitBytes: 10,
    sinceMs: now - 60_000,
  });
  t.equal(parseLogOptions(new URLSearchParams('sinceTime=2024-05-01T11:00:00Z')).sinceMs, Date.parse('2024-05-01T11:00:00Z'));
  t.throws(() => parseLogOptions(new URLSearchParams('tailLines=-1')), { code: 400 });
  t.throws(() => parseLogOptions(new URLSearchParams('limitBytes=0')), { code: 400 });
  t.throws(() => parseLogOptions(new URLSearchParams('sinceSeconds=5&sinceTime=2024-05-01T11:00:00Z')), { code: 400 });
});
