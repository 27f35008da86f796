// One container log file followed as fluentd's in_tail follows it: read from a saved position, lines reassembled
// from the runtime's CRI entries (P entries joined), and rotation-safe — the file is followed by inode, so when the
// kubelet renames `<n>.log` to `<n>.log.<stamp>` and the runtime reopens a new `<n>.log`, the old file is read to its
// end (one poll later: the runtime writes on until it reopens) before the new one is read from its start. The
// position (inode, offset where no partial line is pending, end of the last line handed out) survives restarts;
// after a restart a rotated file is found again among `<n>.log.*` by its inode and its tail is read first.
import { open, readdir, stat, type FileHandle } from 'node:fs/promises';
import path from 'node:path';
import { LineAssembler, parseCriLogLine, PhysicalLines, type LogLine } from '../../agent/kubelet/logs.js';

export interface TailPosition {
  inode: number;
  /** Where reading resumes: a line boundary with no partial line pending. */
  offset: number;
  /** End of the last line handed out: lines ending at or before it are not handed out again. */
  shipped: number;
}

export type TailedLine = LogLine;

const CHUNK = 256 * 1024;

export class ContainerLogTailer {
  private fh?: FileHandle;
  private inode = 0;
  /** Bytes of the current file read into `lines` so far. */
  private readAt = 0;
  /** Start of the next physical line in the current file. */
  private consumed = 0;
  private safeOffset = 0;
  private shipped = 0;
  private skipUntil = 0;
  private lines = new PhysicalLines();
  private readonly assembler: LineAssembler;
  /** A new file was seen at the path: switch to it after one more read of the old one. */
  private rotationSeen = false;
  private gone = false;
  private readonly buf = Buffer.alloc(CHUNK);

  constructor(
    readonly file: string,
    private readonly start: TailPosition | undefined,
    maxLineBytes: number,
  ) {
    this.assembler = new LineAssembler(maxLineBytes);
  }

  /** The position to save once every line handed out so far is stored. */
  position(): TailPosition | undefined {
    return this.inode ? { inode: this.inode, offset: this.safeOffset, shipped: Math.max(this.shipped, this.skipUntil) } : undefined;
  }

  /** True once the file is gone and everything it held was read. */
  finished(): boolean {
    return this.gone;
  }

  private async openAt(file: string, offset: number, skipUntil: number): Promise<boolean> {
    const fh = await open(file, 'r').catch(() => undefined);
    if (!fh) return false;
    await this.fh?.close().catch(() => undefined);
    this.fh = fh;
    this.inode = (await fh.stat()).ino;
    this.readAt = this.consumed = this.safeOffset = offset;
    this.shipped = 0;
    this.skipUntil = skipUntil;
    this.lines = new PhysicalLines();
    return true;
  }

  /** After a restart: the saved file by its inode, at the path or renamed beside it (a rotation while we were away). */
  private async reopen(p: TailPosition): Promise<void> {
    const live = await stat(this.file).catch(() => undefined);
    if (live?.ino === p.inode && live.size >= p.offset && (await this.openAt(this.file, p.offset, p.shipped))) return;
    const dir = path.dirname(this.file);
    const base = path.basename(this.file);
    for (const name of await readdir(dir).catch(() => [] as string[])) {
      if (!name.startsWith(`${base}.`) || name.endsWith('.gz') || name.endsWith('.tmp')) continue;
      const s = await stat(path.join(dir, name)).catch(() => undefined);
      if (s?.ino === p.inode && (await this.openAt(path.join(dir, name), p.offset, p.shipped))) {
        // Read to its end, then go on with the live file.
        this.rotationSeen = true;
        return;
      }
    }
    // The saved file is gone (compressed or removed): the live one from its start.
    await this.openAt(this.file, 0, 0);
  }

  /** New lines since the last call, at most `max` (the rest stay for the next call). */
  async poll(max: number): Promise<TailedLine[]> {
    const out: TailedLine[] = [];
    if (this.gone) return out;
    if (!this.fh) {
      if (this.start) await this.reopen(this.start);
      else await this.openAt(this.file, 0, 0);
      if (!this.fh) {
        this.gone = !(await stat(this.file).catch(() => undefined));
        return out;
      }
    }
    if (!(await this.read(out, max))) return out;
    // Rotated (or removed): the path holds another file, or none.
    const current = await stat(this.file).catch(() => undefined);
    if (current?.ino === this.inode) return out;
    if (!this.rotationSeen) {
      this.rotationSeen = true;
      return out;
    }
    if (!(await this.read(out, max))) return out;
    this.rotationSeen = false;
    if (!current) {
      // Removed: what is left of a partial line is the line's end.
      for (const l of this.assembler.flush()) out.push(l);
      await this.fh.close().catch(() => undefined);
      this.fh = undefined;
      this.gone = true;
      return out;
    }
    // The partial lines pending go on in the new file; its offsets start over.
    if (await this.openAt(this.file, 0, 0)) await this.read(out, max);
    return out;
  }

  /** Reads to the end of the current file or until `max` lines; false when it stopped at `max`. */
  private async read(out: TailedLine[], max: number): Promise<boolean> {
    const fh = this.fh!;
    for (;;) {
      if (out.length >= max) return false;
      const { bytesRead } = await fh.read(this.buf, 0, this.buf.length, this.readAt);
      if (bytesRead === 0) return true;
      this.readAt += bytesRead;
      for (const physical of this.lines.push(Buffer.from(this.buf.subarray(0, bytesRead)))) {
        this.consumed += physical.length + 1;
        const entry = parseCriLogLine(physical);
        const line = entry && this.assembler.push(entry);
        if (line && this.consumed > this.skipUntil) {
          out.push(line);
          this.shipped = this.consumed;
        }
        if (!this.assembler.hasPending()) this.safeOffset = this.consumed;
      }
    }
  }

  async close(): Promise<void> {
    await this.fh?.close().catch(() => undefined);
    this.fh = undefined;
  }
}
