// Pod workers: one serial worker per pod UID, as kubelet's podWorkers. Updates coalesce — a worker that is busy
// remembers only the newest pod object and syncs once more when it finishes. A failed sync retries with back-off
// (1 s doubling to 30 s); a sync may ask to run again at a given time (back-off expiry) and every pod is resynced
// periodically anyway, because syncing is level-triggered and cheap when nothing changed.
import type { Pod } from '../../api/types.js';
import { logger } from '../../api/log.js';
import { systemClock, type Clock } from './backoff.js';

const log = logger('kubelet.podworkers');

export interface WorkerSyncResult {
  /** Sync again at this time (ms) even if nothing else happens. */
  nextSyncAt?: number;
  /** The pod is finished with for good: drop the worker. */
  done?: boolean;
}

/** Syncs one pod; `pod` is undefined once the pod is gone from the API. */
export type PodSyncFn = (uid: string, pod: Pod | undefined) => Promise<WorkerSyncResult>;

interface Worker {
  pod: Pod | undefined;
  dirty: boolean;
  running?: Promise<void>;
  timer?: NodeJS.Timeout;
  failures: number;
}

export class PodWorkers {
  private readonly workers = new Map<string, Worker>();
  private closed = false;

  constructor(
    private readonly sync: PodSyncFn,
    private readonly clock: Clock = systemClock,
    private readonly resyncPeriodMs = 60_000,
  ) {}

  /** The newest pod object for its UID (undefined: deleted from the API); syncs as soon as the worker is free. */
  update(uid: string, pod: Pod | undefined): void {
    if (this.closed) return;
    let w = this.workers.get(uid);
    if (!w) this.workers.set(uid, (w = { pod, dirty: false, failures: 0 }));
    w.pod = pod;
    this.trigger(uid, w);
  }

  /** Sync a known pod again with its newest object (runtime or probe change). */
  kick(uid: string): void {
    const w = this.workers.get(uid);
    if (w && !this.closed) this.trigger(uid, w);
  }

  has(uid: string): boolean {
    return this.workers.has(uid);
  }

  uids(): string[] {
    return [...this.workers.keys()];
  }

  private trigger(uid: string, w: Worker): void {
    w.dirty = true;
    w.running ??= this.run(uid, w);
  }

  private schedule(uid: string, w: Worker, delayMs: number): void {
    clearTimeout(w.timer);
    // A sync that ends after close() schedules nothing: a timer left behind would keep the process up.
    if (this.closed) return;
    w.timer = setTimeout(() => {
      w.timer = undefined;
      if (this.workers.get(uid) === w) this.trigger(uid, w);
    }, Math.max(0, delayMs));
  }

  private async run(uid: string, w: Worker): Promise<void> {
    try {
      while (w.dirty && !this.closed) {
        w.dirty = false;
        clearTimeout(w.timer);
        w.timer = undefined;
        try {
          const r = await this.sync(uid, w.pod);
          w.failures = 0;
          if (r.done && !w.dirty) {
            this.workers.delete(uid);
            return;
          }
          const next = r.nextSyncAt !== undefined ? Math.min(r.nextSyncAt - this.clock.now(), this.resyncPeriodMs) : this.resyncPeriodMs;
          this.schedule(uid, w, next);
        } catch (e) {
          w.failures++;
          const delay = Math.min(1000 * 2 ** (w.failures - 1), 30_000);
          log.warn({ uid, pod: w.pod && `${w.pod.metadata.namespace}/${w.pod.metadata.name}`, err: (e as Error).message, retryInMs: delay }, 'pod sync failed');
          this.schedule(uid, w, delay);
        }
      }
    } finally {
      w.running = undefined;
    }
  }

  /** Stops scheduling and waits for syncs in flight. Pods keep running in the runtime. */
  async close(): Promise<void> {
    this.closed = true;
    const running: Promise<void>[] = [];
    for (const w of this.workers.values()) {
      clearTimeout(w.timer);
      if (w.running) running.push(w.running);
    }
    await Promise.allSettled(running);
  }
}
