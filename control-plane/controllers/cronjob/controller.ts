// pkg/controller/cronjob ControllerV2: starts each CronJob's runs as computeCronJobActions decides, at each
// scheduled time (five-field cron, in spec.timeZone or the controller's zone).
import { localTimeZone } from '../../../api/cron.js';
import { ignoreNotFound, isAlreadyExists, isNotFound } from '../../../api/errors.js';
import { Resources } from '../../../api/resources.js';
import type { CronJob, Job } from '../../../api/types.js';
import { controlledBy, controllerOf, enqueueController, enqueueObject, queueController, type Controller, type ControllerContext } from '../controller.js';
import { jobFinished } from '../job/actions.js';
import { computeCronJobActions, sameStatus, withActive } from './actions.js';

export function cronJobController(ctx: ControllerContext, clock: () => number = Date.now): Controller {
  const { client, informers, recorder } = ctx;
  const cronJobs = informers.for<CronJob>(Resources.cronjobs);
  const jobs = informers.for<Job>(Resources.jobs);
  const c = queueController('cronjob-controller', 1, sync);
  cronJobs.addHandlers(enqueueObject(c.queue));
  jobs.addHandlers(enqueueController(c.queue, 'CronJob'));

  async function sync(key: string): Promise<void> {
    const cj = cronJobs.get(key);
    if (!cj || cj.metadata.deletionTimestamp) return;
    const owned = controlledBy(jobs.list(), cj);
    const actions = computeCronJobActions({ cronJob: cj, jobs: owned, listedActive: await listedActive(cj, owned), now: clock(), timeZone: localTimeZone() });
    for (const ev of actions.events) recorder.record(cj, ev.type, ev.reason, ev.message);
    if (actions.requeueAfterMs !== undefined) c.queue.addAfter(key, actions.requeueAfterMs);
    for (const j of actions.delete) {
      await ignoreNotFound(client.delete(Resources.jobs, j.metadata.namespace, j.metadata.name!, { propagationPolicy: 'Background' }));
      recorder.record(cj, 'Normal', 'SuccessfulDelete', `Deleted job ${j.metadata.name}`);
    }
    let active = actions.active;
    if (actions.start) {
      const job = await startJob(cj, actions.start);
      if (job) active = [...active.filter((j) => j.metadata.uid !== job.metadata.uid), job];
    }
    const status = withActive(actions.status, active);
    if (sameStatus(status, cj.status ?? {})) return;
    try {
      await client.updateStatus(Resources.cronjobs, { ...cj, status });
    } catch (e) {
      if (!isNotFound(e)) throw e;
    }
  }

  /** The runs status lists, from the cache, or read from the server for ones the cache has not seen yet. */
  async function listedActive(cj: CronJob, owned: Job[]): Promise<Job[]> {
    const out: Job[] = [];
    for (const r of cj.status?.active ?? []) {
      let j = owned.find((x) => x.metadata.uid === r.uid);
      if (!j) {
        const live = await ignoreNotFound(client.get<Job>(Resources.jobs, cj.metadata.namespace, r.name));
        if (live?.metadata.uid === r.uid) j = live;
      }
      if (j) out.push(j);
    }
    return out;
  }

  /** Creates the run's job; if an earlier sync did already, that job is the run while it is ours and unfinished. */
  async function startJob(cj: CronJob, wanted: Job): Promise<Job | undefined> {
    try {
      const job = await client.create<Job>(Resources.jobs, cj.metadata.namespace, wanted);
      recorder.record(cj, 'Normal', 'SuccessfulCreate', `Created job ${job.metadata.name}`);
      return job;
    } catch (e) {
      if (!isAlreadyExists(e)) {
        recorder.record(cj, 'Warning', 'FailedCreate', `Error creating job: ${(e as Error).message}`);
        throw e;
      }
      const existing = await client.get<Job>(Resources.jobs, cj.metadata.namespace, wanted.metadata.name!);
      return controllerOf(existing)?.uid === cj.metadata.uid && !jobFinished(existing) ? existing : undefined;
    }
  }

  return c;
}
