// pkg/controller/deployment DeploymentController: one ReplicaSet per pod template (named by its pod-template-hash),
// rolled from old to new as computeDeploymentActions plans, with the revision annotations `kubectl rollout` reads.
import { ignoreNotFound, isAlreadyExists } from '../../../api/errors.js';
import { formatTime } from '../../../api/time.js';
import { Resources } from '../../../api/resources.js';
import type { Deployment, Pod, ReplicaSet } from '../../../api/types.js';
import { controlledBy, controllerOf, enqueueController, enqueueObject, queueController, type Controller, type ControllerContext } from '../controller.js';
import { computeDeploymentActions, computeDeploymentStatus, REVISION, type DeploymentStatusUpdate } from './actions.js';

export function deploymentController(ctx: ControllerContext): Controller {
  const { client, informers, recorder } = ctx;
  const deployments = informers.for<Deployment>(Resources.deployments);
  const sets = informers.for<ReplicaSet>(Resources.replicasets);
  const pods = informers.for<Pod>(Resources.pods);
  const c = queueController('deployment-controller', 2, sync);
  deployments.addHandlers(enqueueObject(c.queue));
  sets.addHandlers(enqueueController(c.queue, 'Deployment'));

  async function sync(key: string): Promise<void> {
    const d = deployments.get(key);
    if (!d || d.metadata.deletionTimestamp) return;
    const owned = controlledBy(sets.list(), d);
    const setUIDs = new Set(owned.map((rs) => rs.metadata.uid));
    const ownedPods = pods.list().filter((p) => setUIDs.has(controllerOf(p)?.uid));
    const actions = computeDeploymentActions({ deployment: d, replicaSets: owned, pods: ownedPods });
    // The new set as the API server last returned it: its status is computed from that.
    let newRS = actions.newReplicaSet;
    for (const step of actions.steps) {
      if (step.type === 'create') {
        try {
          newRS = await client.create<ReplicaSet>(Resources.replicasets, d.metadata.namespace, step.replicaSet);
        } catch (e) {
          if (!isAlreadyExists(e)) throw e;
          // A set with this name but another template: a hash collision. Count it; the next sync tries another name.
          await client.updateStatus(Resources.deployments, { ...d, status: { ...d.status, collisionCount: (d.status?.collisionCount ?? 0) + 1 } });
          return;
        }
        recorder.record(d, 'Normal', 'ScalingReplicaSet', `Scaled up replica set ${newRS.metadata.name} from 0 to ${step.replicaSet.spec.replicas}`);
      } else if (step.type === 'revision') {
        newRS = await client.patch<ReplicaSet>(Resources.replicasets, d.metadata.namespace, step.name, 'merge', { metadata: { annotations: { [REVISION]: step.revision } } });
      } else {
        const scaled = await client.patch<ReplicaSet>(Resources.replicasets, d.metadata.namespace, step.name, 'merge', { metadata: { annotations: step.annotations }, spec: { replicas: step.to } });
        recorder.record(d, 'Normal', 'ScalingReplicaSet', `Scaled ${step.to > step.from ? 'up' : 'down'} replica set ${step.name} from ${step.from} to ${step.to}`);
        if (scaled.metadata.name === newRS?.metadata.name) newRS = scaled;
      }
    }
    for (const rs of actions.cleanup) await ignoreNotFound(client.delete(Resources.replicasets, rs.metadata.namespace, rs.metadata.name!));
    const update = computeDeploymentStatus(d, newRS, actions.oldReplicaSets, formatTime());
    if (update) await writeStatus(d, update);
  }

  /**
   * Writes with update, not patch, as kube's controller does (its role grants update on deployments and their
   * status); a concurrent change is a conflict, and the next sync works from the newer object.
   */
  async function writeStatus(d: Deployment, { status, revision }: DeploymentStatusUpdate): Promise<void> {
    let current = d;
    if (revision !== undefined) current = await client.update<Deployment>(Resources.deployments, { ...d, metadata: { ...d.metadata, annotations: { ...(d.metadata.annotations ?? {}), [REVISION]: revision } } });
    await ignoreNotFound(client.updateStatus(Resources.deployments, { ...current, status: { ...current.status, ...status } }));
  }

  return c;
}
