// pkg/controller/job Controller: runs each Job's pods as computeJobActions decides, remembering the pods it created
// until the informer shows them (expectations) and when the failure count last changed (back-off).
import { isAlreadyExists, isNotFound, ignoreNotFound } from '../../../api/errors.js';
import { Resources } from '../../../api/resources.js';
import type { Job, Pod } from '../../../api/types.js';
import { controlledBy, controllerKey, enqueueObject, queueController, type Controller, type ControllerContext } from '../controller.js';
import { computeJobActions } from './actions.js';

/** How long pods created but not yet seen hold off the next batch. */
const EXPECTATIONS_TIMEOUT_MS = 30_000;

export function jobController(ctx: ControllerContext, clock: () => number = Date.now): Controller {
  const { client, informers, recorder } = ctx;
  const jobs = informers.for<Job>(Resources.jobs);
  const pods = informers.for<Pod>(Resources.pods);
  const c = queueController('job-controller', 2, sync);
  // Pods created but not yet seen by the informer, per job: no second batch until they show up.
  const expected = new Map<string, { names: Set<string>; at: number }>();
  const lastFailure = new Map<string, { failed: number; at: number }>();

  jobs.addHandlers(enqueueObject(c.queue));
  const onPod = (p: Pod) => {
    const k = controllerKey(p, 'Job');
    if (!k) return;
    expected.get(k)?.names.delete(p.metadata.name!);
    c.queue.add(k);
  };
  pods.addHandlers({ onAdd: onPod, onUpdate: (_o, p) => onPod(p), onDelete: onPod });

  async function sync(key: string): Promise<void> {
    const job = jobs.get(key);
    if (!job) {
      expected.delete(key);
      lastFailure.delete(key);
      return;
    }
    const now = clock();
    const e = expected.get(key);
    const expectationsSatisfied = !e || e.names.size === 0 || now - e.at >= EXPECTATIONS_TIMEOUT_MS;
    const actions = computeJobActions({ job, pods: controlledBy(pods.list(), job), now, expectationsSatisfied, lastFailure: lastFailure.get(key) });
    if (expectationsSatisfied) expected.delete(key);
    if (actions.lastFailure) lastFailure.set(key, actions.lastFailure);
    if (actions.requeueAfterMs !== undefined) c.queue.addAfter(key, actions.requeueAfterMs);

    await deletePods(job, actions.delete);
    if (actions.create.length) await createPods(job, key, actions.create, now);
    for (const ev of actions.events) recorder.record(job, ev.type, ev.reason, ev.message);
    if (actions.status) {
      try {
        await client.updateStatus(Resources.jobs, { ...job, status: actions.status });
      } catch (err) {
        if (!isNotFound(err)) throw err;
      }
    }
  }

  async function createPods(job: Job, key: string, wanted: Pod[], now: number): Promise<void> {
    const names = new Set<string>();
    expected.set(key, { names, at: now });
    const results = await Promise.allSettled(wanted.map((p) => client.create<Pod>(Resources.pods, job.metadata.namespace, p)));
    let failures = 0;
    for (const r of results) {
      if (r.status === 'fulfilled') {
        names.add(r.value.metadata.name!);
        recorder.record(job, 'Normal', 'SuccessfulCreate', `Created pod: ${r.value.metadata.name}`);
      } else {
        failures++;
        if (!isAlreadyExists(r.reason)) recorder.record(job, 'Warning', 'FailedCreate', `Error creating: ${(r.reason as Error).message}`);
      }
    }
    // Pods the informer already delivered need not be waited for.
    for (const n of [...names]) if (pods.get(`${job.metadata.namespace}/${n}`)) names.delete(n);
    if (failures) throw new Error(`${failures} of ${wanted.length} pod creations failed`);
  }

  async function deletePods(job: Job, victims: Pod[]): Promise<void> {
    await Promise.all(
      victims.map(async (p) => {
        try {
          await client.delete(Resources.pods, p.metadata.namespace, p.metadata.name!);
          recorder.record(job, 'Normal', 'SuccessfulDelete', `Deleted pod: ${p.metadata.name}`);
        } catch (e) {
          if (!isNotFound(e)) throw e;
        }
      }),
    );
  }

  return c;
}
