// pkg/controller/job (job_controller.go syncJob, manageJob, indexed_job_utils.go), as a pure decision: pods to create
// (with their completion index) or delete, the counts and conditions to write, and when to look again.
//
// Runs pods until `completions` of them succeed (or, without completions, until one succeeds and the rest finish), at
// most `parallelism` at a time; failed pods are replaced after an exponential back-off until `backoffLimit` is passed.
// Finishing goes through the 1.32 interim conditions (SuccessCriteriaMet / FailureTarget) to Complete / Failed once
// no pod is still running.
//
// Counts: kube-controller-manager keeps a tracking finalizer on every job pod so a deleted pod is never lost from the
// counts. Here succeeded/failed are the terminated pods that exist, never decreasing below what status already says;
// pods deleted by hand while the job runs are therefore not counted as failures.
import { isPodReady } from '../../../api/pods.js';
import { formatTime } from '../../../api/time.js';
import type { Condition, Job, JobStatus, Pod } from '../../../api/types.js';
import { controllerRef } from '../controller.js';
import { podFromTemplate } from '../podtemplate.js';

export const COMPLETION_INDEX = 'batch.kubernetes.io/job-completion-index';
const BACKOFF_BASE_MS = 10_000;
const BACKOFF_MAX_MS = 6 * 60_000;
/** Timers hold at most a day; a later deadline is found by the sync they trigger. */
const MAX_WAIT_MS = 24 * 3600_000;

export interface JobObserved {
  job: Job;
  /** The pods the job controls. */
  pods: Pod[];
  now: number;
  /** Every creation of the previous sync has been seen (or waited on long enough). */
  expectationsSatisfied: boolean;
  /** The failure count the controller last saw change, and when: replacements back off from then. */
  lastFailure?: { failed: number; at: number };
}

export interface JobEvent {
  type: 'Normal' | 'Warning';
  reason: string;
  message: string;
}

export interface JobActions {
  create: Pod[];
  delete: Pod[];
  /** The status to write, when it differs from the job's. */
  status?: JobStatus;
  events: JobEvent[];
  /** Sync again after this long (a deadline, a back-off or the TTL runs out). */
  requeueAfterMs?: number;
  /** The failure count and its time for the controller to remember (see lastFailure). */
  lastFailure?: { failed: number; at: number };
}

const terminal = (p: Pod) => p.status?.phase === 'Succeeded' || p.status?.phase === 'Failed';
const hasCondition = (j: Job, type: string) => (j.status?.conditions ?? []).some((c) => c.type === type && c.status === 'True');
export const jobFinished = (j: Job) => hasCondition(j, 'Complete') || hasCondition(j, 'Failed');

/** "1,3-5" ↔ [1, 3, 4, 5]: how status.completedIndexes spells a set of indexes. */
export function parseIndexes(text: string | undefined): Set<number> {
  const out = new Set<number>();
  for (const part of (text ?? '').split(',').filter(Boolean)) {
    const [a, b] = part.split('-').map(Number);
    for (let i = a; i <= (b ?? a); i++) out.add(i);
  }
  return out;
}
export function formatIndexes(set: Iterable<number>): string {
  const sorted = [...new Set(set)].sort((a, b) => a - b);
  const parts: string[] = [];
  for (let i = 0; i < sorted.length; ) {
    let j = i;
    while (j + 1 < sorted.length && sorted[j + 1] === sorted[j] + 1) j++;
    parts.push(i === j ? String(sorted[i]) : `${sorted[i]}-${sorted[j]}`);
    i = j + 1;
  }
  return parts.join(',');
}

export const indexOf = (p: Pod) => {
  const v = p.metadata.annotations?.[COMPLETION_INDEX] ?? p.metadata.labels?.[COMPLETION_INDEX];
  return v === undefined ? undefined : Number(v);
};

/** Sets (or replaces) a condition, keeping lastTransitionTime when the status does not change. */
function setCondition(conditions: Condition[], type: string, status: 'True' | 'False', reason: string, message: string, now: string): Condition[] {
  const old = conditions.find((c) => c.type === type);
  if (old && old.status === status && old.reason === reason) return conditions;
  const c: Condition = { type, status, reason, message, lastProbeTime: now, lastTransitionTime: old?.status === status ? old.lastTransitionTime : now };
  return [...conditions.filter((x) => x.type !== type), c];
}

/** A pod of the job; an Indexed job's pod carries its index (label, annotation, env, hostname). */
export function podForJob(job: Job, index: number | undefined): Pod {
  const name = job.metadata.name!;
  const pod = podFromTemplate(job.spec.template, job.metadata.namespace, controllerRef(job, 'batch/v1', 'Job'), { generateName: index !== undefined ? `${name}-${index}-` : `${name}-` });
  if (index !== undefined) {
    pod.metadata.labels![COMPLETION_INDEX] = String(index);
    pod.metadata.annotations = { ...(pod.metadata.annotations ?? {}), [COMPLETION_INDEX]: String(index) };
    pod.spec.hostname ??= `${name}-${index}`;
    for (const ct of [...pod.spec.containers, ...(pod.spec.initContainers ?? [])]) ct.env = [...(ct.env ?? []).filter((v) => v.name !== 'JOB_COMPLETION_INDEX'), { name: 'JOB_COMPLETION_INDEX', value: String(index) }];
  }
  return pod;
}

export function computeJobActions(o: JobObserved): JobActions {
  const { job, pods: owned, now: clock } = o;
  const actions: JobActions = { create: [], delete: [], events: [] };
  if (job.metadata.deletionTimestamp) return actions;
  if (jobFinished(job)) return finished(job, owned, actions);
  if (!o.expectationsSatisfied) return actions;

  const now = formatTime(clock);
  const spec = job.spec;
  const indexed = spec.completionMode === 'Indexed';
  const requeue = (ms: number) => (actions.requeueAfterMs = Math.min(actions.requeueAfterMs ?? Infinity, ms));
  let active = owned.filter((p) => !terminal(p) && !p.metadata.deletionTimestamp);
  const terminating = owned.filter((p) => !terminal(p) && p.metadata.deletionTimestamp);
  const succeededPods = owned.filter((p) => p.status?.phase === 'Succeeded');
  const failedPods = owned.filter((p) => p.status?.phase === 'Failed');
  const st: JobStatus = job.status ?? {};
  const completed = parseIndexes(st.completedIndexes);
  if (indexed) for (const p of succeededPods) if (indexOf(p) !== undefined && indexOf(p)! < (spec.completions ?? 0)) completed.add(indexOf(p)!);
  const succeeded = indexed ? completed.size : Math.max(st.succeeded ?? 0, succeededPods.length);
  const failed = Math.max(st.failed ?? 0, failedPods.length);
  let conditions = [...(st.conditions ?? [])];
  let startTime = st.startTime;
  let completionTime = st.completionTime;
  const stopAll = () => {
    actions.delete.push(...active);
    active = [];
  };

  if (spec.suspend) {
    stopAll();
    if (!hasCondition(job, 'Suspended')) actions.events.push({ type: 'Normal', reason: 'Suspended', message: 'Job suspended' });
    conditions = setCondition(conditions, 'Suspended', 'True', 'JobSuspended', 'Job suspended', now);
  } else {
    if (hasCondition(job, 'Suspended')) {
      conditions = setCondition(conditions, 'Suspended', 'False', 'JobResumed', 'Job resumed', now);
      actions.events.push({ type: 'Normal', reason: 'Resumed', message: 'Job resumed' });
      startTime = now;
    }
    startTime ??= now;

    const restarts = spec.template.spec.restartPolicy === 'OnFailure' ? active.reduce((n, p) => n + (p.status?.containerStatuses ?? []).reduce((m, s) => m + (s.restartCount ?? 0), 0), 0) : 0;
    let failure: [string, string] | undefined;
    if (failed + restarts > (spec.backoffLimit ?? 6)) failure = ['BackoffLimitExceeded', 'Job has reached the specified backoff limit'];
    else if (spec.activeDeadlineSeconds) {
      const deadline = Date.parse(startTime) + spec.activeDeadlineSeconds * 1000;
      if (clock >= deadline) failure = ['DeadlineExceeded', 'Job was active longer than specified deadline'];
      else requeue(Math.min(deadline - clock + 100, MAX_WAIT_MS));
    }
    const done = indexed ? completed.size >= (spec.completions ?? 0) : spec.completions !== undefined && spec.completions !== null ? succeeded >= spec.completions : succeeded > 0 && active.length === 0;

    // The final condition waits until no pod of the job is still running or shutting down.
    const settled = active.length === 0 && terminating.length === 0;
    if (failure) {
      conditions = setCondition(conditions, 'FailureTarget', 'True', failure[0], failure[1], now);
      stopAll();
      if (settled) {
        conditions = setCondition(conditions, 'Failed', 'True', failure[0], failure[1], now);
        actions.events.push({ type: 'Warning', reason: failure[0], message: failure[1] });
      }
    } else if (done) {
      conditions = setCondition(conditions, 'SuccessCriteriaMet', 'True', 'CompletionsReached', 'Reached expected number of succeeded pods', now);
      stopAll();
      if (settled) {
        conditions = setCondition(conditions, 'Complete', 'True', 'CompletionsReached', 'Reached expected number of succeeded pods', now);
        completionTime = now;
        actions.events.push({ type: 'Normal', reason: 'Completed', message: 'Job completed' });
      }
    } else {
      active = scale(o, actions, active, succeeded, failed, completed, requeue);
    }
  }

  const status: JobStatus = {
    ...st,
    active: active.length,
    ready: active.filter(isPodReady).length,
    terminating: terminating.length,
    succeeded,
    failed,
    startTime,
    completionTime,
    conditions: conditions.length ? conditions : undefined,
    uncountedTerminatedPods: st.uncountedTerminatedPods ?? {},
  };
  if (indexed) status.completedIndexes = formatIndexes(completed);
  for (const k of Object.keys(status) as (keyof JobStatus)[]) if (status[k] === undefined) delete status[k];
  if (JSON.stringify(status) !== JSON.stringify(st)) actions.status = status;
  return actions;
}

/**
 * Pods to create or delete so `parallelism` (bounded by what is left to do) are running; returns the active pods as
 * they will be. Replacements for failed pods wait 10 s, 20 s, 40 s … (at most 6 min) after the latest failure.
 */
function scale({ job, now: clock, lastFailure }: JobObserved, actions: JobActions, active: Pod[], succeeded: number, failed: number, completed: Set<number>, requeue: (ms: number) => void): Pod[] {
  const spec = job.spec;
  const parallelism = spec.parallelism ?? 1;
  const indexed = spec.completionMode === 'Indexed';
  let want: number;
  if (indexed) want = Math.min(parallelism, (spec.completions ?? 0) - completed.size);
  else if (spec.completions !== undefined && spec.completions !== null) want = Math.min(parallelism, spec.completions - succeeded);
  else want = succeeded > 0 ? 0 : parallelism;
  want = Math.max(0, want);
  if (active.length > want) {
    const extra = [...active].sort((a, b) => Date.parse(b.metadata.creationTimestamp ?? '') - Date.parse(a.metadata.creationTimestamp ?? '')).slice(0, active.length - want);
    actions.delete.push(...extra);
    return active.filter((p) => !extra.includes(p));
  }
  if (active.length === want) return active;
  if (failed > 0) {
    const since = !lastFailure || lastFailure.failed !== failed ? { failed, at: clock } : lastFailure;
    if (since !== lastFailure) actions.lastFailure = since;
    const readyAt = since.at + Math.min(BACKOFF_BASE_MS * 2 ** (failed - 1), BACKOFF_MAX_MS);
    if (clock < readyAt) {
      requeue(readyAt - clock + 50);
      return active;
    }
  }
  let indexes: (number | undefined)[];
  if (indexed) {
    const busy = new Set(active.map(indexOf));
    indexes = [];
    for (let i = 0; i < (spec.completions ?? 0) && indexes.length < want - active.length; i++) if (!completed.has(i) && !busy.has(i)) indexes.push(i);
  } else indexes = Array.from({ length: want - active.length }, () => undefined);
  actions.create = indexes.map((i) => podForJob(job, i));
  return [...active, ...actions.create];
}

/** A finished job: no pod keeps running (its deletion after a TTL is the ttl-after-finished controller's). */
function finished(job: Job, owned: Pod[], actions: JobActions): JobActions {
  if (hasCondition(job, 'Failed')) actions.delete = owned.filter((p) => !terminal(p) && !p.metadata.deletionTimestamp);
  return actions;
}
