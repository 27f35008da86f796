// kube-scheduler's metrics (pkg/scheduler/metrics/metrics.go) under its names, in a registry of their own served on
// the secure port (:10259/metrics): scheduling attempts by result and profile, their duration, and the pods waiting in
// each queue.
import { Counter, Gauge, Histogram, Registry, collectDefaultMetrics } from 'prom-client';

export type AttemptResult = 'scheduled' | 'unschedulable' | 'error';

/** What the scheduler's queues hold, read at scrape time. */
export interface PendingPods {
  active(): number;
  unschedulable(): number;
}

export class SchedulerMetrics {
  readonly registry = new Registry();
  private pending?: PendingPods;

  readonly attempts = new Counter({
    name: 'scheduler_schedule_attempts_total',
    help: '[STABLE] Number of attempts to schedule pods, by the result. \'unschedulable\' means a pod could not be scheduled, while \'error\' means an internal scheduler problem.',
    labelNames: ['result', 'profile'] as const,
    registers: [this.registry],
  });
  readonly attemptDuration = new Histogram({
    name: 'scheduler_scheduling_attempt_duration_seconds',
    help: '[STABLE] Scheduling attempt latency in seconds (scheduling algorithm + binding)',
    labelNames: ['result', 'profile'] as const,
    buckets: Array.from({ length: 15 }, (_, i) => 0.001 * 2 ** i),
    registers: [this.registry],
  });

  constructor() {
    const self = this;
    new Gauge({
      name: 'scheduler_pending_pods',
      help: "[STABLE] Number of pending pods, by the queue type. 'active' means number of pods in activeQ; 'backoff' means number of pods in backoffQ; 'unschedulable' means number of pods in unschedulablePods that the scheduler attempted to schedule and failed; 'gated' is the number of unschedulable pods that the scheduler never attempted to schedule because they are gated.",
      labelNames: ['queue'] as const,
      registers: [this.registry],
      collect() {
        this.set({ queue: 'active' }, self.pending?.active() ?? 0);
        this.set({ queue: 'backoff' }, 0);
        this.set({ queue: 'unschedulable' }, self.pending?.unschedulable() ?? 0);
        this.set({ queue: 'gated' }, 0);
      },
    });
    collectDefaultMetrics({ register: this.registry });
  }

  /** The queues pending pods are counted from (the leader's, once it runs). */
  setPending(pending: PendingPods | undefined): void {
    this.pending = pending;
  }

  attempt(result: AttemptResult, profile: string, seconds: number): void {
    this.attempts.inc({ result, profile });
    this.attemptDuration.observe({ result, profile }, seconds);
  }
}
