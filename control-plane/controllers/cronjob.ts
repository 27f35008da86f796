// CronJob controller: at each scheduled time (five-field cron, in spec.timeZone or the controller's zone) it creates
// a Job from the template, named `<cronjob>-<scheduled minutes since the epoch>` so a retried sync can never start the
// same run twice. concurrencyPolicy decides what happens while an earlier run is still active (Allow: run anyway;
// Forbid: skip; Replace: delete the running one first); startingDeadlineSeconds drops runs that are too late; finished
// jobs beyond the history limits are deleted, oldest first.
import { isAlreadyExists, isNotFound } from '../../api/errors.js';
import { Resources } from '../../api/resources.js';
import { type CronJob, type Job, type KubeObject, objectKey, type ObjectMeta, type ObjectReference } from '../../api/types.js';
import { controllerOf, queueController, type Controller, type ControllerContext } from './controller.js';
import { CronError, localTimeZone, parseSchedule, type Schedule } from '../../api/cron.js';
import { jobFinished } from './job.js';
import { formatTime } from '../../api/time.js';

const MAX_WAIT_MS = 24 * 3600_000;
export const SCHEDULED_TIMESTAMP = 'batch.kubernetes.io/cronjob-scheduled-timestamp';
const iso = (ms: number) => formatTime(ms);
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
      annotations: { ...(tmpl.metadata?.annotations ?? {}), [SCHEDULED_TIMESTAMP]: iso(scheduled) },
      ownerReferences: [{ apiVersion: 'batch/v1', kind: 'CronJob', name: cj.metadata.name!, uid: cj.metadata.uid!, controller: true, blockOwnerDeletion: true }],
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

export function cronJobController(ctx: ControllerContext, clock: () => number = Date.now): Controller {
  const { client, informers, recorder } = ctx;
  const cronJobs = informers.for<CronJob>(Resources.cronjobs);
  const jobs = informers.for<Job>(Resources.jobs);
  const c = queueController('cronjob-controller', 1, sync);
  cronJobs.addHandlers({ onAdd: (j) => c.queue.add(objectKey(j)), onUpdate: (_o, j) => c.queue.add(objectKey(j)), onDelete: (j) => c.queue.add(objectKey(j)) });
  const onJob = (j: Job) => {
    const ref = controllerOf(j);
    if (ref?.kind === 'CronJob') c.queue.add(`${j.metadata.namespace}/${ref.name}`);
  };
  jobs.addHandlers({ onAdd: onJob, onUpdate: (_o, j) => onJob(j), onDelete: onJob });

  async function sync(key: string): Promise<void> {
    const cj = cronJobs.get(key);
    if (!cj || cj.metadata.deletionTimestamp) return;
    const owned = jobs.list().filter((j) => j.metadata.namespace === cj.metadata.namespace && controllerOf(j)?.uid === cj.metadata.uid);
    const status = { ...(cj.status ?? {}) };
    let active = await activeJobs(cj, owned);
    for (const j of owned) {
      const doneAt = j.status?.completionTime;
      if (succeededJob(j) && doneAt && (!status.lastSuccessfulTime || doneAt > status.lastSuccessfulTime)) status.lastSuccessfulTime = doneAt;
    }
    await pruneHistory(cj, owned);

    const now = clock();
    let schedule: Schedule;
    try {
      schedule = parseSchedule(cj.spec.schedule, cj.spec.timeZone ?? localTimeZone());
    } catch (e) {
      if (!(e instanceof CronError)) throw e;
      recorder.record(cj, 'Warning', 'UnparseableSchedule', `unparseable schedule: ${JSON.stringify(cj.spec.schedule)} : ${e.message}`);
      return writeStatus(cj, { ...status, active: refs(active) });
    }
    const next = schedule.next(new Date(now));
    // Timers hold at most a day; a later run is found by the sync they trigger.
    if (next) c.queue.addAfter(key, Math.min(next.getTime() - now + 200, MAX_WAIT_MS));

    if (!cj.spec.suspend) {
      const since = Date.parse(status.lastScheduleTime ?? cj.metadata.creationTimestamp ?? iso(now));
      const deadline = cj.spec.startingDeadlineSeconds;
      const from = deadline !== undefined && deadline !== null ? Math.max(since, now - deadline * 1000) : since;
      const { time, missed } = mostRecentSchedule(schedule, from, now);
      if (missed > 100) recorder.record(cj, 'Warning', 'TooManyMissedTimes', 'too many missed start times. Set or decrease .spec.startingDeadlineSeconds or check clock skew');
      if (time !== undefined) {
        const policy = cj.spec.concurrencyPolicy ?? 'Allow';
        if (policy === 'Forbid' && active.length) {
          recorder.record(cj, 'Normal', 'JobAlreadyActive', 'Not starting job because prior execution is running and concurrency policy is Forbid');
        } else {
          if (policy === 'Replace') {
            for (const j of active) {
              await client.delete(Resources.jobs, j.metadata.namespace, j.metadata.name!, { propagationPolicy: 'Background' }).catch((e) => (isNotFound(e) ? undefined : Promise.reject(e)));
              recorder.record(cj, 'Normal', 'SuccessfulDelete', `Deleted job ${j.metadata.name}`);
            }
            active = [];
          }
          const job = await startJob(cj, time);
          if (job) active = [...active.filter((j) => j.metadata.uid !== job.metadata.uid), job];
          status.lastScheduleTime = iso(time);
        }
      }
    }
    await writeStatus(cj, { ...status, active: refs(active) });
  }

  /**
   * The runs status lists that are still going (from the cache, or a live read for ones it has not seen yet). As in
   * Kubernetes, a job the controller did not start itself (`kubectl create job --from=cronjob/…`) is not one of them.
   */
  async function activeJobs(cj: CronJob, owned: Job[]): Promise<Job[]> {
    const out: Job[] = [];
    for (const r of cj.status?.active ?? []) {
      let j = owned.find((x) => x.metadata.uid === r.uid);
      if (!j) {
        try {
          const live = await client.get<Job>(Resources.jobs, cj.metadata.namespace, r.name);
          if (live.metadata.uid === r.uid) j = live;
        } catch (e) {
          if (!isNotFound(e)) throw e;
        }
      }
      if (!j || j.metadata.deletionTimestamp) continue;
      if (jobFinished(j)) recorder.record(cj, 'Normal', 'SawCompletedJob', `Saw completed job: ${j.metadata.name}, condition: ${succeededJob(j) ? 'Complete' : 'Failed'}`);
      else out.push(j);
    }
    return out;
  }

  async function startJob(cj: CronJob, scheduled: number): Promise<Job | undefined> {
    const wanted = jobFor(cj, scheduled);
    try {
      const job = await client.create<Job>(Resources.jobs, cj.metadata.namespace, wanted);
      recorder.record(cj, 'Normal', 'SuccessfulCreate', `Created job ${job.metadata.name}`);
      return job;
    } catch (e) {
      if (!isAlreadyExists(e)) {
        recorder.record(cj, 'Warning', 'FailedCreate', `Error creating job: ${(e as Error).message}`);
        throw e;
      }
      // This run was started before (by an earlier sync): it is active if it is ours and unfinished.
      const existing = await client.get<Job>(Resources.jobs, cj.metadata.namespace, wanted.metadata.name!);
      return controllerOf(existing)?.uid === cj.metadata.uid && !jobFinished(existing) ? existing : undefined;
    }
  }

  async function pruneHistory(cj: CronJob, owned: Job[]): Promise<void> {
    const started = (j: Job) => Date.parse(j.status?.startTime ?? j.metadata.creationTimestamp ?? '') || 0;
    const finished = owned.filter((j) => jobFinished(j) && !j.metadata.deletionTimestamp).sort((a, b) => started(a) - started(b));
    const ok = finished.filter(succeededJob);
    const failed = finished.filter((j) => !succeededJob(j));
    const extra = [...ok.slice(0, Math.max(0, ok.length - (cj.spec.successfulJobsHistoryLimit ?? 3))), ...failed.slice(0, Math.max(0, failed.length - (cj.spec.failedJobsHistoryLimit ?? 1)))];
    for (const j of extra) {
      await client.delete(Resources.jobs, j.metadata.namespace, j.metadata.name!, { propagationPolicy: 'Background' }).catch((e) => (isNotFound(e) ? undefined : Promise.reject(e)));
      recorder.record(cj, 'Normal', 'SuccessfulDelete', `Deleted job ${j.metadata.name}`);
    }
  }

  const refs = (list: Job[]): ObjectReference[] => list.map((j) => ({ apiVersion: 'batch/v1', kind: 'Job', name: j.metadata.name!, namespace: j.metadata.namespace, uid: j.metadata.uid!, resourceVersion: j.metadata.resourceVersion }));

  async function writeStatus(cj: CronJob, status: NonNullable<CronJob['status']>): Promise<void> {
    const out = { ...status };
    if (!out.active?.length) delete out.active;
    const same = (a: NonNullable<CronJob['status']>, b: NonNullable<CronJob['status']>) =>
      JSON.stringify([(a.active ?? []).map((r) => r.uid).sort(), a.lastScheduleTime, a.lastSuccessfulTime]) === JSON.stringify([(b.active ?? []).map((r) => r.uid).sort(), b.lastScheduleTime, b.lastSuccessfulTime]);
    if (same(out, cj.status ?? {})) return;
    try {
      await client.updateStatus(Resources.cronjobs, { ...cj, status: out });
    } catch (e) {
      if (!isNotFound(e)) throw e;
    }
  }

  return c;
}
