// The collector's loop (fluentd's in_tail over /var/log/pods/*/*/*.log with the kubernetes_metadata filter and a
// buffered output): find the container log files, read what is new in each, stamp every line with its pod,
// namespace, container, node and labels, and ship the batch; positions are saved only once the store has taken it,
// and a batch the store refused is sent again (backing off) before anything more is read — at-least-once, in order.
import fs from 'node:fs/promises';
import path from 'node:path';
import { logger } from '../../api/log.js';
import type { CollectorConfig } from './config.js';
import { loadPositions, savePositions, type Positions } from './positions.js';
import { lineText, type LogRecord } from './record.js';
import { ContainerLogTailer } from './tailer.js';

const log = logger('log-collector');

/** Who wrote a log file, from its path: <root>/<ns>_<pod>_<uid>/<container>/<n>.log. */
export interface LogSource {
  namespace: string;
  pod: string;
  uid: string;
  container: string;
}

export function sourceOf(root: string, file: string): LogSource | undefined {
  const parts = path.relative(root, file).split(path.sep);
  if (parts.length !== 3 || !/^\d+\.log$/.test(parts[2])) return undefined;
  const id = parts[0].split('_');
  if (id.length !== 3 || id.some((s) => !s)) return undefined;
  return { namespace: id[0], pod: id[1], uid: id[2], container: parts[1] };
}

/** The container log files under the root now. */
export async function listLogFiles(root: string): Promise<string[]> {
  const out: string[] = [];
  const dirs = async (d: string) => (await fs.readdir(d, { withFileTypes: true }).catch(() => [])).filter((e) => e.isDirectory() || e.isSymbolicLink());
  for (const pod of await dirs(root)) {
    for (const container of await dirs(path.join(root, pod.name))) {
      const dir = path.join(root, pod.name, container.name);
      for (const f of await fs.readdir(dir).catch(() => [] as string[])) if (/^\d+\.log$/.test(f)) out.push(path.join(dir, f));
    }
  }
  return out;
}

export interface CollectorDeps {
  /** The pod's labels ({} when it cannot be found). */
  labels(source: LogSource): Promise<Record<string, string>>;
  /** Sends a batch; resolves once the store has it, rejects when it does not. */
  ship(records: LogRecord[]): Promise<void>;
  /** The pod's files are all gone and read: what is kept for it may go. */
  forget?(uid: string): void;
}

type Config = Pick<CollectorConfig, 'nodeName' | 'podLogDir' | 'positionFile' | 'pollMs' | 'batchLines' | 'maxLineBytes' | 'maxBackoffMs'>;

export class LogCollector {
  private readonly tailers = new Map<string, { tailer: ContainerLogTailer; source: LogSource }>();
  private saved: Positions = {};
  private savedText = '';
  private pending?: LogRecord[];
  private backoff = 0;
  private timer?: NodeJS.Timeout;
  private running?: Promise<void>;
  private closed = false;
  /** Lines the store has taken (for the bench and the tests). */
  shippedLines = 0;

  constructor(
    private readonly config: Config,
    private readonly deps: CollectorDeps,
  ) {}

  /** Reads the saved positions (start() does; a test may then drive cycle() itself). */
  async load(): Promise<this> {
    this.saved = await loadPositions(this.config.positionFile);
    return this;
  }

  async start(): Promise<this> {
    await this.load();
    this.schedule(0);
    return this;
  }

  private schedule(ms: number): void {
    if (this.closed) return;
    this.timer = setTimeout(() => {
      this.running = this.cycle()
        .then((more) => {
          this.backoff = 0;
          return more ? 0 : this.config.pollMs;
        })
        .catch((e: Error) => {
          this.backoff = Math.min(this.config.maxBackoffMs, this.backoff ? this.backoff * 2 : 1000);
          log.warn({ err: e.message, retryMs: this.backoff }, 'shipping log lines failed');
          return this.backoff;
        })
        .then((next) => this.schedule(next));
    }, ms);
  }

  /** One round: ship the batch in hand or read a new one; true when more lines are waiting. */
  async cycle(): Promise<boolean> {
    if (!this.pending) {
      const files = await listLogFiles(this.config.podLogDir);
      for (const file of files) {
        if (this.tailers.has(file)) continue;
        const source = sourceOf(this.config.podLogDir, file);
        if (source) this.tailers.set(file, { tailer: new ContainerLogTailer(file, this.saved[file], this.config.maxLineBytes + 4), source });
      }
      const batch: LogRecord[] = [];
      for (const [file, { tailer, source }] of this.tailers) {
        const room = this.config.batchLines - batch.length;
        if (room <= 0) break;
        // One file that cannot be read holds up no other.
        const lines = await tailer.poll(room).catch((e: Error) => {
          log.warn({ file, err: e.message }, 'reading a log file failed');
          return [];
        });
        if (!lines.length && tailer.finished()) {
          await tailer.close();
          this.tailers.delete(file);
          if (![...this.tailers.values()].some((x) => x.source.uid === source.uid)) this.deps.forget?.(source.uid);
          continue;
        }
        if (!lines.length) continue;
        // The lines are read: labels are best-effort, and an API that does not answer loses no line.
        const labels = await this.deps.labels(source).catch((e: Error) => {
          log.warn({ pod: `${source.namespace}/${source.pod}`, err: e.message }, 'looking up the pod\'s labels failed');
          return {};
        });
        for (const l of lines) {
          const { line, truncated } = lineText(l.content, this.config.maxLineBytes, l.dropped ?? 0);
          batch.push({ time: l.time, ...source, node: this.config.nodeName, labels, stream: l.stream, line, ...(truncated ? { truncated } : {}) });
        }
      }
      if (batch.length) this.pending = batch;
    }
    if (this.pending) {
      await this.deps.ship(this.pending);
      this.shippedLines += this.pending.length;
      const full = this.pending.length >= this.config.batchLines;
      this.pending = undefined;
      await this.savePositions();
      return full;
    }
    await this.savePositions();
    return false;
  }

  private async savePositions(): Promise<void> {
    const positions: Positions = {};
    for (const [file, { tailer }] of this.tailers) {
      const p = tailer.position();
      if (p) positions[file] = p;
    }
    const text = JSON.stringify(positions);
    if (text === this.savedText) return;
    await savePositions(this.config.positionFile, positions);
    this.savedText = text;
  }

  async close(): Promise<void> {
    this.closed = true;
    clearTimeout(this.timer);
    await this.running;
    for (const { tailer } of this.tailers.values()) await tailer.close();
    this.tailers.clear();
  }
}
