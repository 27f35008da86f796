// pkg/controller/ttlafterfinished Controller: deletes finished Jobs whose ttlSecondsAfterFinished has passed, in the
// foreground so their pods go first, under its own identity (ttl-after-finished-controller).
import { ignoreNotFound } from '../../../api/errors.js';
import { Resources } from '../../../api/resources.js';
import { objectKey, type Job } from '../../../api/types.js';
import { queueController, type Controller, type ControllerContext } from '../controller.js';
import { computeTTLAction } from './actions.js';

export function ttlAfterFinishedController(ctx: ControllerContext): Controller {
  const { client, informers } = ctx;
  const jobs = informers.for<Job>(Resources.jobs);
  const c = queueController('ttl-after-finished-controller', 1, sync);
  const enqueue = (j: Job) => j.spec?.ttlSecondsAfterFinished !== undefined && c.queue.add(objectKey(j));
  jobs.addHandlers({ onAdd: enqueue, onUpdate: (_o, j) => enqueue(j) });

  async function sync(key: string): Promise<void> {
    const job = jobs.get(key);
    if (!job) return;
    const action = computeTTLAction(job, Date.now());
    if (action.type === 'wait') c.queue.addAfter(key, action.ms);
    if (action.type === 'delete') await ignoreNotFound(client.delete(Resources.jobs, job.metadata.namespace, job.metadata.name!, { propagationPolicy: 'Foreground', preconditions: { uid: job.metadata.uid } }));
  }
  return c;
}
