// Container log rotation (kubelet's pkg/kubelet/logs container_log_manager.go): every few seconds each running
// container's log file is measured; one over containerLogMaxSize (10Mi) is renamed to `<n>.log.<YYYYMMDD-hhmmss>` and
// the runtime is asked to reopen the original path (CRI ReopenContainerLog), so the container goes on writing to a
// fresh `<n>.log` — the file `kubectl logs` reads. Rotated files beyond containerLogMaxFiles (5, the live one
// included) are removed oldest first, and older rotated files are gzipped: only the newest stays plain.
import { createReadStream, createWriteStream } from 'node:fs';
import fs from 'node:fs/promises';
import path from 'node:path';
import { pipeline } from 'node:stream/promises';
import { createGzip } from 'node:zlib';
import { logger } from '../../api/log.js';
import { systemClock, type Clock } from './backoff.js';
import type { RuntimeService } from './runtime.js';

const log = logger('kubelet.logrotation');

export interface LogRotationPolicy {
  /** A live log file larger than this is rotated (containerLogMaxSize). */
  maxSizeBytes: number;
  /** Log files kept per container, the live one included (containerLogMaxFiles, at least 2). */
  maxFiles: number;
  /** How often the files are measured. */
  periodMs: number;
}

export const defaultLogRotation: LogRotationPolicy = { maxSizeBytes: 10 * 1024 * 1024, maxFiles: 5, periodMs: 10_000 };

const compressSuffix = '.gz';
const tmpSuffix = '.tmp';

/** Go's "20060102-150405" layout, in local time as kubelet's clock formats it. */
export function rotationTimestamp(ms: number): string {
  const d = new Date(ms);
  const p = (n: number) => String(n).padStart(2, '0');
  return `${d.getFullYear()}${p(d.getMonth() + 1)}${p(d.getDate())}-${p(d.getHours())}${p(d.getMinutes())}${p(d.getSeconds())}`;
}

/**
 * What to do with a container's rotated files (the names beside `<n>.log`, as `<n>.log.<stamp>[.gz]`) before the
 * next rotation: remove the oldest so that, with the live file and the one about to be rotated, at most maxFiles
 * remain; compress the others (the file rotated next is then the only plain one). Names sort by their timestamps.
 */
export function planRotatedLogs(rotated: string[], maxFiles: number): { remove: string[]; compress: string[] } {
  const sorted = [...rotated].sort();
  const keep = Math.max(0, maxFiles - 2);
  const remove = sorted.slice(0, Math.max(0, sorted.length - keep));
  const compress = sorted.slice(remove.length).filter((f) => !f.endsWith(compressSuffix));
  return { remove, compress };
}

async function gzipFile(file: string): Promise<void> {
  const tmp = `${file}${compressSuffix}${tmpSuffix}`;
  await pipeline(createReadStream(file), createGzip(), createWriteStream(tmp));
  await fs.rename(tmp, `${file}${compressSuffix}`);
  await fs.rm(file, { force: true });
}

export class ContainerLogManager {
  private timer?: NodeJS.Timeout;
  private running?: Promise<void>;
  private closed = false;
  /** Each running container's log path: fixed when the container is created, so asked of the runtime once. */
  private readonly logPaths = new Map<string, string>();

  constructor(
    private readonly runtime: RuntimeService,
    readonly policy: LogRotationPolicy = defaultLogRotation,
    private readonly clock: Clock = systemClock,
  ) {}

  start(): this {
    if (!this.closed && !this.timer && !this.running) this.schedule();
    return this;
  }

  private schedule(): void {
    this.timer = setTimeout(() => {
      this.timer = undefined;
      this.running = this.rotateAll().finally(() => {
        this.running = undefined;
        if (!this.closed) this.schedule();
      });
    }, this.policy.periodMs);
  }

  /** One pass over every running container; a container whose rotation fails is tried again next time. */
  async rotateAll(): Promise<void> {
    const { containers = [] } = await this.runtime.listContainers({ filter: { state: { state: 'CONTAINER_RUNNING' } } }).catch((e) => {
      log.warn({ err: (e as Error).message }, 'listing containers for log rotation failed');
      return { containers: [] };
    });
    const running = new Set(containers.map((c) => c.id));
    for (const id of this.logPaths.keys()) if (!running.has(id)) this.logPaths.delete(id);
    for (const c of containers) {
      if (this.closed) return;
      try {
        let file = this.logPaths.get(c.id);
        if (file === undefined) {
          file = (await this.runtime.containerStatus({ container_id: c.id })).status?.log_path ?? '';
          this.logPaths.set(c.id, file);
        }
        if (file) await this.rotateIfNeeded(c.id, file);
      } catch (e) {
        log.warn({ container: c.id, err: (e as Error).message }, 'log rotation failed');
      }
    }
  }

  private async rotateIfNeeded(id: string, file: string): Promise<void> {
    const size = (await fs.stat(file).catch(() => undefined))?.size ?? 0;
    if (size < this.policy.maxSizeBytes) return;
    const dir = path.dirname(file);
    const base = path.basename(file);
    const siblings = (await fs.readdir(dir)).filter((f) => f.startsWith(`${base}.`));
    // Leftovers of an interrupted compression go first.
    for (const f of siblings.filter((f) => f.endsWith(tmpSuffix))) await fs.rm(path.join(dir, f), { force: true });
    const rotated = siblings.filter((f) => !f.endsWith(tmpSuffix));
    const plan = planRotatedLogs(rotated, this.policy.maxFiles);
    for (const f of plan.remove) await fs.rm(path.join(dir, f), { force: true });
    for (const f of plan.compress) await gzipFile(path.join(dir, f));
    const target = `${file}.${rotationTimestamp(this.clock.now())}`;
    // Two rotations within one second would share a name: wait for the next pass.
    if (await fs.stat(target).then(() => true, () => false)) return;
    await fs.rename(file, target);
    try {
      await this.runtime.reopenContainerLog({ container_id: id });
    } catch (e) {
      // The container still writes to the renamed file: give it its name back.
      await fs.rename(target, file).catch(() => undefined);
      throw e;
    }
    log.info({ container: id, file, rotated: target }, 'container log rotated');
  }

  async close(): Promise<void> {
    this.closed = true;
    clearTimeout(this.timer);
    await this.running;
  }
}
