// pkg/controller/cronjob (cronjob_controllerv2.go syncCronJob, utils.go), as a pure decision: which scheduled run
// to start now, what concurrencyPolicy makes of runs still active (Allow: run anyway; Forbid: skip; Replace: delete
// them first), which finished jobs fall beyond the history limits, and when the next run is due.
//
// A run's Job is named `<cronjob>-<scheduled minutes since the epoch>`, so a retried sync can never start the same run
// twice; startingDeadlineSeconds drops runs that are too late.
import { CronError, parseSchedule, type Schedule } from '../../../api/cron.js';
import { formatTime } from '../../../api/time.js';
import type { CronJob, Job, ObjectReference } from '../../../api/types.js';
import { controllerRef } from '../controller.js';
import { jobFinished } from '../job/actions.js';

export const SCHEDULED_TIMESTAMP = 'batch.kubernetes.io/cronjob-scheduled-timestamp';
/** Timers hold at most a day; a later run is found by the sync they trigger. */
const MAX_WAIT_MS = 24 * 3600_000;

export type CronJobStatus = NonNullable<CronJob['status']>;

export interface CronJobObserved {
  cronJob: CronJob;
  /** The jobs the cron job controls. */
  jobs: Job[];
  /** The jobs its status lists as active that still exist (from the cache, or read when the cache has not caught up). */
  listedActive: Job[];
  now: number;
  /** The controller's zone, for cron jobs without spec.timeZone. */
  timeZone: string;
}

export interface CronJobEvent {
  type: 'Normal' | 'Warning';
  reason: string;
  message: string;
}

export interface CronJobActions {
  /** Finished jobs beyond the history limits, then (Replace) the runs still active; deleted in the background. */
  delete: Job[];
  /** The run to start now. */
  start?: Job;
  /** The runs still active once the deletions are done (the started one not included). */
  active: Job[];
  /** Status without `active` (see withActive). */
  status: CronJobStatus;
  events: CronJobEvent[];
  /** The next scheduled time is this far away: sync again then. */
  requeueAfterMs?: number;
}

const succeededJob = (j: Job) => (j.status?.conditions ?? []).some((c) => c.type === 'Complete' && c.status === 'True');

/** The job a CronJob starts for a scheduled time (also what `kubectl create job --from=cronjob/x` copies). */
export function jobFor(cj: CronJob, scheduled: number): Job {
  const tmpl = cj.spec.jobTemplate;
  return {
    apiVersion: 'batch/v1',
    kind: 'Job',
    metadata: {
      name: `${cj.metadata.name}-${Math.floor(scheduled / 60_000)}`,
      namespace: cj.metadata.namespace,
      labels: tmpl.metadata?.labels ? { ...tmpl.metadata.labels } : undefined,
      annotations: { ...(tmpl.metadata?.annotations ?? {}), [SCHEDULED_TIMESTAMP]: formatTime(scheduled) },
      ownerReferences: [controllerRef(cj, 'batch/v1', 'CronJob')],
    },
    spec: structuredClone(tmpl.spec),
  };
}

/**
 * The latest scheduled time in (since, now], and how many earlier ones were missed. After 100 missed runs it stops
 * counting (kube-controller-manager then only warns) and finds the latest one from a window just before now.
 */
export function mostRecentSchedule(schedule: Schedule, since: number, now: number): { time?: number; missed: number } {
  let time: number | undefined;
  let missed = 0;
  for (let t = schedule.next(new Date(since)); t && t.getTime() <= now; t = schedule.next(t)) {
    if (time !== undefined) missed++;
    time = t.getTime();
    if (missed > 100) break;
  }
  if (missed <= 100) return { time, missed };
  for (const window of [3600_000, 86400_000, 32 * 86400_000, 366 * 86400_000]) {
    let last: number | undefined;
    for (let t = schedule.next(new Date(Math.max(since, now - window))); t && t.getTime() <= now; t = schedule.next(t)) last = t.getTime();
    if (last !== undefined) return { time: last, missed };
  }
  return { time, missed };
}

/** The status with these runs as `active` (omitted when none). */
export function withActive(status: CronJobStatus, active: Job[]): CronJobStatus {
  const out: CronJobStatus = { ...status, active: active.map(jobRef) };
  if (!out.active?.length) delete out.active;
  return out;
}

/** Whether two statuses say the same: the same active runs (by uid) and the same times. */
export function sameStatus(a: CronJobStatus, b: CronJobStatus): boolean {
  const key = (s: CronJobStatus) => JSON.stringify([(s.active ?? []).map((r) => r.uid).sort(), s.lastScheduleTime, s.lastSuccessfulTime]);
  return key(a) === key(b);
}

const jobRef = (j: Job): ObjectReference => ({ apiVersion: 'batch/v1', kind: 'Job', name: j.metadata.name!, namespace: j.metadata.namespace, uid: j.metadata.uid!, resourceVersion: j.metadata.resourceVersion });

export function computeCronJobActions({ cronJob: cj, jobs, listedActive, now, timeZone }: CronJobObserved): CronJobActions {
  const status: CronJobStatus = { ...(cj.status ?? {}) };
  const actions: CronJobActions = { delete: [], active: [], status, events: [] };

  // As in Kubernetes, a job the controller did not start itself (`kubectl create job --from=cronjob/…`) is never
  // active: only the runs status lists are, while they exist and have not finished.
  for (const j of listedActive) {
    if (j.metadata.deletionTimestamp) continue;
    if (jobFinished(j)) actions.events.push({ type: 'Normal', reason: 'SawCompletedJob', message: `Saw completed job: ${j.metadata.name}, condition: ${succeededJob(j) ? 'Complete' : 'Failed'}` });
    else actions.active.push(j);
  }
  for (const j of jobs) {
    const doneAt = j.status?.completionTime;
    if (succeededJob(j) && doneAt && (!status.lastSuccessfulTime || doneAt > status.lastSuccessfulTime)) status.lastSuccessfulTime = doneAt;
  }

  // History: finished jobs beyond the limits go, oldest first.
  const started = (j: Job) => Date.parse(j.status?.startTime ?? j.metadata.creationTimestamp ?? '') || 0;
  const finished = jobs.filter((j) => jobFinished(j) && !j.metadata.deletionTimestamp).sort((a, b) => started(a) - started(b));
  const ok = finished.filter(succeededJob);
  const failed = finished.filter((j) => !succeededJob(j));
  actions.delete.push(...ok.slice(0, Math.max(0, ok.length - (cj.spec.successfulJobsHistoryLimit ?? 3))), ...failed.slice(0, Math.max(0, failed.length - (cj.spec.failedJobsHistoryLimit ?? 1))));

  let schedule: Schedule;
  try {
    schedule = parseSchedule(cj.spec.schedule, cj.spec.timeZone ?? timeZone);
  } catch (e) {
    if (!(e instanceof CronError)) throw e;
    actions.events.push({ type: 'Warning', reason: 'UnparseableSchedule', message: `unparseable schedule: ${JSON.stringify(cj.spec.schedule)} : ${e.message}` });
    return actions;
  }
  const next = schedule.next(new Date(now));
  if (next) actions.requeueAfterMs = Math.min(next.getTime() - now + 200, MAX_WAIT_MS);
  if (cj.spec.suspend) return actions;

  const since = Date.parse(status.lastScheduleTime ?? cj.metadata.creationTimestamp ?? formatTime(now));
  const deadline = cj.spec.startingDeadlineSeconds;
  const from = deadline !== undefined && deadline !== null ? Math.max(since, now - deadline * 1000) : since;
  const { time, missed } = mostRecentSchedule(schedule, from, now);
  if (missed > 100) actions.events.push({ type: 'Warning', reason: 'TooManyMissedTimes', message: 'too many missed start times. Set or decrease .spec.startingDeadlineSeconds or check clock skew' });
  if (time === undefined) return actions;
  const policy = cj.spec.concurrencyPolicy ?? 'Allow';
  if (policy === 'Forbid' && actions.active.length) {
    actions.events.push({ type: 'Normal', reason: 'JobAlreadyActive', message: 'Not starting job because prior execution is running and concurrency policy is Forbid' });
    return actions;
  }
  if (policy === 'Replace') {
    actions.delete.push(...actions.active);
    actions.active = [];
  }
  actions.start = jobFor(cj, time);
  status.lastScheduleTime = formatTime(time);
  return actions;
}
