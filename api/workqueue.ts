// A de-duplicating work queue with per-key exponential back-off, as client-go's rate-limited queue: a key being
// processed is never handed to a second worker; re-adds while processing run once more afterwards. A named queue
// reports client-go's workqueue metrics to the process's provider, when one is set (workqueue.SetProvider).
import { Counter, Gauge, Histogram, type Registry } from 'prom-client';
import { logger } from './log.js';

// client-go's buckets for queue and work durations: 10 ns to 10 s by tens.
const DURATION_BUCKETS = Array.from({ length: 10 }, (_, i) => 10e-9 * 10 ** i);

/** client-go's workqueue metrics (k8s.io/component-base/metrics/prometheus/workqueue), one series per queue name. */
export class WorkQueueMetrics {
  readonly adds: Counter<'name'>;
  readonly depth: Gauge<'name'>;
  readonly queueDuration: Histogram<'name'>;
  readonly workDuration: Histogram<'name'>;
  readonly retries: Counter<'name'>;

  constructor(registry: Registry) {
    const registers = [registry];
    this.adds = new Counter({ name: 'workqueue_adds_total', help: '[ALPHA] Total number of adds handled by workqueue', labelNames: ['name'], registers });
    this.depth = new Gauge({ name: 'workqueue_depth', help: '[ALPHA] Current depth of workqueue', labelNames: ['name'], registers });
    this.queueDuration = new Histogram({ name: 'workqueue_queue_duration_seconds', help: '[ALPHA] How long in seconds an item stays in workqueue before being requested.', labelNames: ['name'], buckets: DURATION_BUCKETS, registers });
    this.workDuration = new Histogram({ name: 'workqueue_work_duration_seconds', help: '[ALPHA] How long in seconds processing an item from workqueue takes.', labelNames: ['name'], buckets: DURATION_BUCKETS, registers });
    this.retries = new Counter({ name: 'workqueue_retries_total', help: '[ALPHA] Total number of retries handled by workqueue', labelNames: ['name'], registers });
  }
}

let provider: WorkQueueMetrics | undefined;

/** Named queues made from now on report to these metrics (a component sets them once, at start). */
export function setWorkQueueMetricsProvider(metrics: WorkQueueMetrics | undefined): void {
  provider = metrics;
}

export class WorkQueue {
  private readonly queue: string[] = [];
  private readonly queued = new Set<string>();
  private readonly processing = new Set<string>();
  private readonly dirtyWhileProcessing = new Set<string>();
  private readonly failures = new Map<string, number>();
  private readonly timers = new Set<NodeJS.Timeout>();
  private waiters: (() => void)[] = [];
  private closed = false;
  private readonly metrics?: { m: WorkQueueMetrics; labels: { name: string }; added: Map<string, number>; started: Map<string, number> };

  constructor(
    private readonly baseDelayMs = 5,
    private readonly maxDelayMs = 60_000,
    name?: string,
  ) {
    if (name && provider) {
      this.metrics = { m: provider, labels: { name }, added: new Map(), started: new Map() };
      provider.depth.set(this.metrics.labels, 0);
    }
  }

  add(key: string): void {
    if (this.closed) return;
    if (this.processing.has(key)) {
      this.dirtyWhileProcessing.add(key);
      return;
    }
    if (this.queued.has(key)) return;
    this.queued.add(key);
    this.queue.push(key);
    if (this.metrics) {
      this.metrics.m.adds.inc(this.metrics.labels);
      this.metrics.m.depth.set(this.metrics.labels, this.queue.length);
      this.metrics.added.set(key, performance.now());
    }
    this.waiters.shift()?.();
  }

  addAfter(key: string, ms: number): void {
    if (this.closed) return;
    const t = setTimeout(() => {
      this.timers.delete(t);
      this.add(key);
    }, ms);
    this.timers.add(t);
  }

  /** Requeue after a failure, waiting longer each consecutive time. */
  addRateLimited(key: string): void {
    const n = this.failures.get(key) ?? 0;
    this.failures.set(key, n + 1);
    if (this.metrics) this.metrics.m.retries.inc(this.metrics.labels);
    this.addAfter(key, Math.min(this.baseDelayMs * 2 ** n, this.maxDelayMs));
  }

  forget(key: string): void {
    this.failures.delete(key);
  }

  /** Next key to process, or undefined once the queue is closed. */
  async get(): Promise<string | undefined> {
    while (this.queue.length === 0) {
      if (this.closed) return undefined;
      await new Promise<void>((r) => this.waiters.push(r));
    }
    const key = this.queue.shift()!;
    this.queued.delete(key);
    this.processing.add(key);
    if (this.metrics) {
      const now = performance.now();
      this.metrics.m.depth.set(this.metrics.labels, this.queue.length);
      this.metrics.m.queueDuration.observe(this.metrics.labels, (now - (this.metrics.added.get(key) ?? now)) / 1000);
      this.metrics.added.delete(key);
      this.metrics.started.set(key, now);
    }
    return key;
  }

  done(key: string): void {
    this.processing.delete(key);
    if (this.metrics) {
      const started = this.metrics.started.get(key);
      if (started !== undefined) this.metrics.m.workDuration.observe(this.metrics.labels, (performance.now() - started) / 1000);
      this.metrics.started.delete(key);
    }
    if (this.dirtyWhileProcessing.delete(key)) this.add(key);
  }

  get length(): number {
    return this.queue.length;
  }

  close(): void {
    this.closed = true;
    for (const t of this.timers) clearTimeout(t);
    this.timers.clear();
    for (const w of this.waiters.splice(0)) w();
  }
}

/**
 * Runs `workers` loops that take keys and call sync(key): success forgets the key's failures, an error requeues it
 * with back-off. Resolves when the queue closes.
 */
export async function runWorkers(name: string, queue: WorkQueue, workers: number, sync: (key: string) => Promise<void>): Promise<void> {
  const log = logger(name);
  const loop = async () => {
    for (;;) {
      const key = await queue.get();
      if (key === undefined) return;
      try {
        await sync(key);
        queue.forget(key);
      } catch (e) {
        log.warn({ key, err: (e as Error).message }, 'sync failed; requeued');
        queue.addRateLimited(key);
      } finally {
        queue.done(key);
      }
    }
  };
  await Promise.all(Array.from({ length: workers }, loop));
}
