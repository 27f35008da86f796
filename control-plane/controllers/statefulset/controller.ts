// pkg/controller/statefulset StatefulSetController: pods with stable names `<set>-0 … <set>-(N-1)`, created,
// deleted and replaced in the order computeStatefulSetActions decides (OrderedReady or Parallel); each pod's claims
// from the volumeClaimTemplates are created before it and outlive it. Each template the set runs is a ControllerRevision
// in its history (getStatefulSetRevisions, truncateHistory).
import { isAlreadyExists, isNotFound } from '../../../api/errors.js';
import { Resources } from '../../../api/resources.js';
import { objectKey, type ControllerRevision, type OwnerReference, type PersistentVolumeClaim, type Pod, type StatefulSet } from '../../../api/types.js';
import { controllerOf, enqueueController, enqueueObject, queueController, type Controller, type ControllerContext } from '../controller.js';
import { ControllerHistory, templateOf } from '../history/history.js';
import { claimsForOrdinal, computeStatefulSetActions, ordinalOf, REVISION_LABEL } from './actions.js';

export function statefulSetController(ctx: ControllerContext, clock: () => number = Date.now): Controller {
  const { client, informers, recorder } = ctx;
  const sets = informers.for<StatefulSet>(Resources.statefulsets);
  const pods = informers.for<Pod>(Resources.pods);
  const revisions = informers.for<ControllerRevision>(Resources.controllerrevisions);
  const history = new ControllerHistory(client, 'StatefulSet');
  const c = queueController('statefulset-controller', 2, sync);
  sets.addHandlers(enqueueObject(c.queue));
  revisions.addHandlers(enqueueController(c.queue, 'StatefulSet'));
  const onPod = (p: Pod) => {
    const ref = controllerOf(p);
    if (ref?.kind === 'StatefulSet') c.queue.add(`${p.metadata.namespace}/${ref.name}`);
    // An orphan named like a set's pod may be adopted by it.
    else if (!ref) for (const s of sets.list()) if (s.metadata.namespace === p.metadata.namespace && ordinalOf(s.metadata.name!, p.metadata.name!) !== undefined) c.queue.add(objectKey(s));
  };
  pods.addHandlers({ onAdd: onPod, onUpdate: (_o, p) => onPod(p), onDelete: onPod });

  async function sync(key: string): Promise<void> {
    const set = sets.get(key);
    if (!set || set.metadata.deletionTimestamp) return;
    const { update, revisions: kept, collisionCount } = await history.sync(set, revisions.list(), set.status?.collisionCount ?? 0);
    const current = kept.find((r) => r.metadata.name === set.status?.currentRevision);
    const inNamespace = pods.list().filter((p) => p.metadata.namespace === set.metadata.namespace);
    const actions = computeStatefulSetActions({ statefulSet: set, pods: inNamespace, now: clock(), updateRevision: update.metadata.name!, currentTemplate: current && templateOf(current), collisionCount });
    for (const step of actions.steps) {
      if (step.type === 'adopt') await adopt(step.pod, step.ownerReferences);
      else if (step.type === 'create') await createPod(set, step.pod);
      else await deletePod(set, step.pod);
    }
    if (actions.requeueAfterMs !== undefined) c.queue.addAfter(key, actions.requeueAfterMs);
    // The current and update revisions, and those the set's pods run, are kept whatever the limit.
    const live = new Set([update.metadata.name!, actions.status?.currentRevision ?? set.status?.currentRevision ?? '']);
    for (const p of inNamespace) if (controllerOf(p)?.uid === set.metadata.uid && p.metadata.labels?.[REVISION_LABEL]) live.add(p.metadata.labels[REVISION_LABEL]);
    await history.trim(set, kept, live);
    if (actions.status) {
      try {
        await client.updateStatus(Resources.statefulsets, { ...set, status: actions.status });
      } catch (e) {
        if (!isNotFound(e)) throw e;
      }
    }
  }

  async function adopt(p: Pod, ownerReferences: OwnerReference[]): Promise<void> {
    try {
      await client.patch<Pod>(Resources.pods, p.metadata.namespace, p.metadata.name!, 'merge', { metadata: { ownerReferences, resourceVersion: p.metadata.resourceVersion } });
    } catch (e) {
      if (!isNotFound(e)) throw e;
    }
  }

  async function createPod(set: StatefulSet, pod: Pod): Promise<void> {
    const podName = pod.metadata.name!;
    const ordinal = ordinalOf(set.metadata.name!, podName);
    if (ordinal !== undefined) for (const claim of claimsForOrdinal(set, ordinal)) await createClaim(set, podName, claim);
    try {
      await client.create<Pod>(Resources.pods, set.metadata.namespace, pod);
      recorder.record(set, 'Normal', 'SuccessfulCreate', `create Pod ${podName} in StatefulSet ${set.metadata.name} successful`);
    } catch (e) {
      if (isAlreadyExists(e)) return; // the informer has not caught up yet
      recorder.record(set, 'Warning', 'FailedCreate', `create Pod ${podName} in StatefulSet ${set.metadata.name} failed error: ${(e as Error).message}`);
      throw e;
    }
  }

  /** The pod's claim, made before the pod and kept when it already exists (createPersistentVolumeClaims). */
  async function createClaim(set: StatefulSet, podName: string, claim: PersistentVolumeClaim): Promise<void> {
    const claimName = claim.metadata.name!;
    try {
      await client.create<PersistentVolumeClaim>(Resources.persistentvolumeclaims, set.metadata.namespace, claim);
      recorder.record(set, 'Normal', 'SuccessfulCreate', `create Claim ${claimName} Pod ${podName} in StatefulSet ${set.metadata.name} success`);
    } catch (e) {
      if (isAlreadyExists(e)) return;
      recorder.record(set, 'Warning', 'FailedCreate', `create Claim ${claimName} for Pod ${podName} in StatefulSet ${set.metadata.name} failed error: ${(e as Error).message}`);
      throw e;
    }
  }

  async function deletePod(set: StatefulSet, p: Pod): Promise<void> {
    try {
      await client.delete(Resources.pods, p.metadata.namespace, p.metadata.name!, { preconditions: { uid: p.metadata.uid } });
      recorder.record(set, 'Normal', 'SuccessfulDelete', `delete Pod ${p.metadata.name} in StatefulSet ${set.metadata.name} successful`);
    } catch (e) {
      if (!isNotFound(e)) throw e;
    }
  }

  return c;
}
