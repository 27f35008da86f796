// Container logs as the kubelet serves them: containerd's CRI log files, one entry per line
// (`<RFC3339Nano time> <stdout|stderr> <F|P> <text>`, P marking a partial line continued by the next entry), turned
// back into the container's own lines, filtered by time, cut to the last N lines or N bytes, and optionally followed
// until the container exits — across rotations: when the file is renamed away and the runtime reopens a new one
// at its path, the rest of the old file is read and following goes on in the new one.
import { open, stat, type FileHandle } from 'node:fs/promises';
import { badRequest } from '../../api/errors.js';

export interface CriLogEntry {
  /** The timestamp exactly as the runtime wrote it (RFC3339Nano). */
  time: string;
  stream: 'stdout' | 'stderr';
  /** A P entry: the line goes on in the next entry of the same stream. */
  partial: boolean;
  content: Buffer;
}

/** One physical line of a CRI log file (without its newline); undefined when it is not in the CRI format. */
export function parseCriLogLine(line: Buffer): CriLogEntry | undefined {
  const s1 = line.indexOf(0x20);
  if (s1 <= 0) return undefined;
  const s2 = line.indexOf(0x20, s1 + 1);
  if (s2 < 0) return undefined;
  const stream = line.subarray(s1 + 1, s2).toString();
  if (stream !== 'stdout' && stream !== 'stderr') return undefined;
  // The tag field: "F" or "P" (possibly more ':'-separated tags in future runtimes); older runtimes omit it.
  const s3 = line.indexOf(0x20, s2 + 1);
  const tagEnd = s3 < 0 ? line.length : s3;
  const tags = line.subarray(s2 + 1, tagEnd).toString().split(':');
  if (tags[0] !== 'F' && tags[0] !== 'P') return undefined;
  return { time: line.subarray(0, s1).toString(), stream, partial: tags[0] === 'P', content: s3 < 0 ? Buffer.alloc(0) : line.subarray(s3 + 1) };
}

/** A whole line of container output: its partial entries joined, stamped with the time of its first entry. */
export interface LogLine {
  time: string;
  stream: 'stdout' | 'stderr';
  content: Buffer;
  /** False only for a partial line flushed at the end of a log that will not grow any more. */
  complete: boolean;
  /** Bytes of the line left out beyond the assembler's maxBytes (absent when none were). */
  dropped?: number;
}

/**
 * Joins P entries with the entries that continue them, per stream (stdout and stderr interleave in one file). With
 * maxBytes, a line keeps only its first maxBytes (a log shipper's bound on memory) and counts the rest as dropped.
 */
export class LineAssembler {
  private readonly pending = new Map<string, { time: string; parts: Buffer[]; size: number; dropped: number }>();

  constructor(private readonly maxBytes = Infinity) {}

  /** Whether a partial line waits for its continuation. */
  hasPending(): boolean {
    return this.pending.size > 0;
  }

  push(e: CriLogEntry): LogLine | undefined {
    let p = this.pending.get(e.stream);
    if (!p && !e.partial) return this.line(e.time, e.stream, [e.content], e.content.length, 0, true);
    if (!p) this.pending.set(e.stream, (p = { time: e.time, parts: [], size: 0, dropped: 0 }));
    const room = Math.max(0, this.maxBytes - p.size);
    if (room >= e.content.length) p.parts.push(e.content);
    else {
      if (room > 0) p.parts.push(e.content.subarray(0, room));
      p.dropped += e.content.length - room;
    }
    p.size += Math.min(room, e.content.length);
    if (e.partial) return undefined;
    this.pending.delete(e.stream);
    return this.line(p.time, e.stream, p.parts, p.size, p.dropped, true);
  }

  private line(time: string, stream: LogLine['stream'], parts: Buffer[], size: number, dropped: number, complete: boolean): LogLine {
    let content = parts.length === 1 ? parts[0] : Buffer.concat(parts);
    if (size > this.maxBytes) {
      dropped += size - this.maxBytes;
      content = content.subarray(0, this.maxBytes);
    }
    return dropped ? { time, stream, content, complete, dropped } : { time, stream, content, complete };
  }

  /** Whatever partial lines remain, oldest first (the log ended inside them). */
  flush(): LogLine[] {
    const out = [...this.pending.entries()].map(([stream, p]) => this.line(p.time, stream as LogLine['stream'], p.parts, p.size, p.dropped, false));
    this.pending.clear();
    return out.sort((a, b) => timeMs(a.time) - timeMs(b.time));
  }
}

/** Splits a byte stream into physical lines; an unterminated tail waits for the rest of its line. */
export class PhysicalLines {
  private rest: Buffer = Buffer.alloc(0);

  push(chunk: Buffer): Buffer[] {
    const buf = this.rest.length ? Buffer.concat([this.rest, chunk]) : chunk;
    const out: Buffer[] = [];
    let start = 0;
    for (let nl = buf.indexOf(0x0a, start); nl >= 0; nl = buf.indexOf(0x0a, start)) {
      out.push(buf.subarray(start, nl));
      start = nl + 1;
    }
    this.rest = Buffer.from(buf.subarray(start));
    return out;
  }
}

export interface LogOptions {
  follow: boolean;
  previous: boolean;
  timestamps: boolean;
  tailLines?: number;
  limitBytes?: number;
  /** Only lines at or after this instant (ms since the epoch), from sinceSeconds or sinceTime. */
  sinceMs?: number;
}

const timeMs = (t: string): number => Date.parse(t);
const isTrue = (v: string | null): boolean => v === 'true' || v === '1';

/** The query of `GET /containerLogs/...` (the same parameters as pods/log), validated like kube-apiserver does. */
export function parseLogOptions(q: URLSearchParams, now = Date.now()): LogOptions {
  const opts: LogOptions = { follow: isTrue(q.get('follow')), previous: isTrue(q.get('previous')), timestamps: isTrue(q.get('timestamps')) };
  const int = (name: string, min: number): number | undefined => {
    const v = q.get(name);
    if (v === null || v === '') return undefined;
    const n = Number(v);
    if (!Number.isInteger(n) || n < min) throw badRequest(`${name}: Invalid value: ${JSON.stringify(v)}: must be ${min === 0 ? 'greater than or equal to 0' : 'greater than 0'}`);
    return n;
  };
  opts.tailLines = int('tailLines', 0);
  opts.limitBytes = int('limitBytes', 1);
  const sinceSeconds = int('sinceSeconds', 1);
  const sinceTime = q.get('sinceTime');
  if (sinceSeconds !== undefined && sinceTime) throw badRequest('at most one of sinceTime or sinceSeconds may be specified');
  if (sinceSeconds !== undefined) opts.sinceMs = now - sinceSeconds * 1000;
  if (sinceTime) {
    const ms = timeMs(sinceTime);
    if (Number.isNaN(ms)) throw badRequest(`sinceTime: Invalid value: ${JSON.stringify(sinceTime)}: must be an RFC3339 time`);
    opts.sinceMs = ms;
  }
  return opts;
}

/** Where formatted lines go; write() returns false once limitBytes is reached (the reader then stops). */
export interface LogSink {
  write(chunk: Buffer): boolean | Promise<boolean>;
}

/** Renders lines with the options' timestamp prefix, time filter and byte limit. */
export class LineWriter {
  private written = 0;

  constructor(
    private readonly opts: LogOptions,
    private readonly sink: LogSink,
  ) {}

  /** Whether the byte limit has been reached. */
  get full(): boolean {
    return this.opts.limitBytes !== undefined && this.written >= this.opts.limitBytes;
  }

  accepts(line: LogLine): boolean {
    return this.opts.sinceMs === undefined || timeMs(line.time) >= this.opts.sinceMs;
  }

  async write(line: LogLine): Promise<boolean> {
    if (this.full) return false;
    const parts = [line.content];
    if (this.opts.timestamps) parts.unshift(Buffer.from(`${line.time} `));
    if (line.complete) parts.push(Buffer.from('\n'));
    let out = Buffer.concat(parts);
    if (this.opts.limitBytes !== undefined && this.written + out.length > this.opts.limitBytes) out = out.subarray(0, this.opts.limitBytes - this.written);
    this.written += out.length;
    const more = await this.sink.write(out);
    return more !== false && !this.full;
  }
}

export interface FollowControl {
  /** Whether the container may still write to the file; following ends once it says no (and the rest is read). */
  isRunning(): Promise<boolean>;
  /** Aborted when the client goes away. */
  signal?: AbortSignal;
  /** How often to look for new bytes; default 200 ms. */
  pollMs?: number;
  /** How many polls between isRunning() checks; default 5. */
  runningCheckEvery?: number;
}

const delay = (ms: number, signal?: AbortSignal) =>
  new Promise<void>((resolve) => {
    if (signal?.aborted) return resolve();
    const timer = setTimeout(done, ms);
    function done() {
      clearTimeout(timer);
      signal?.removeEventListener('abort', done);
      resolve();
    }
    signal?.addEventListener('abort', done, { once: true });
  });

/**
 * Writes the log file's lines to `sink` as the options ask: the whole file (or its last tailLines lines), then, with
 * follow, each new line as the container writes it until `follow.isRunning()` reports the container gone.
 */
export async function readContainerLog(file: string, opts: LogOptions, sink: LogSink, follow?: FollowControl): Promise<void> {
  let fh = await open(file, 'r');
  let inode = (await fh.stat()).ino;
  try {
    const writer = new LineWriter(opts, sink);
    const lines = new PhysicalLines();
    const assembler = new LineAssembler();
    let position = 0;
    const buf = Buffer.alloc(64 * 1024);
    const readMore = async (handle: (l: LogLine) => Promise<boolean>): Promise<boolean> => {
      for (;;) {
        const { bytesRead } = await fh.read(buf, 0, buf.length, position);
        if (bytesRead === 0) return true;
        position += bytesRead;
        for (const physical of lines.push(Buffer.from(buf.subarray(0, bytesRead)))) {
          const entry = parseCriLogLine(physical);
          const line = entry && assembler.push(entry);
          if (line && writer.accepts(line) && !(await handle(line))) return false;
        }
      }
    };

    // What is in the file now; with tailLines only its last lines are kept (a ring of at most tailLines).
    const tail = opts.tailLines;
    if (tail === undefined) {
      if (!(await readMore((l) => writer.write(l)))) return;
    } else {
      const ring: LogLine[] = [];
      await readMore(async (l) => {
        if (tail === 0) return true;
        ring.push(l);
        if (ring.length > tail) ring.shift();
        return true;
      });
      for (const l of ring) if (!(await writer.write(l))) return;
    }

    if (opts.follow && follow) {
      const every = follow.runningCheckEvery ?? 5;
      /** Whether the path now holds another file than the one being read. */
      const rotated = async () => {
        const current = await stat(file).catch(() => undefined);
        return !!current && current.ino !== inode;
      };
      /** Reads the old file to its end and goes on with the new one. */
      const reopen = async (): Promise<boolean> => {
        if (!(await readMore((l) => writer.write(l)))) return false;
        await fh.close();
        fh = await open(file, 'r');
        inode = (await fh.stat()).ino;
        position = 0;
        return true;
      };
      let rotationSeen = false;
      for (let poll = 0; !follow.signal?.aborted; poll++) {
        if (!(await readMore((l) => writer.write(l)))) return;
        // Rotated: a new file is at the path. The runtime switches to it just after creating it, so the old file is
        // read to its end one poll later, then following goes on in the new one.
        if (await rotated()) {
          if (rotationSeen) {
            if (!(await reopen())) return;
            rotationSeen = false;
            continue;
          }
          rotationSeen = true;
        }
        if (poll % every === 0 && !(await follow.isRunning())) {
          // One last read: whatever the container wrote before it exited, in a file rotated last too.
          if (!(await readMore((l) => writer.write(l)))) return;
          if ((await rotated()) && !((await reopen()) && (await readMore((l) => writer.write(l))))) return;
          break;
        }
        await delay(follow.pollMs ?? 200, follow.signal);
      }
    }
    // The log will not grow (or we stop reading it): a partial line at its end is still output.
    if (!follow?.signal?.aborted) for (const l of assembler.flush()) if (writer.accepts(l) && !(await writer.write(l))) return;
  } finally {
    await (fh as FileHandle).close().catch(() => undefined);
  }
}
