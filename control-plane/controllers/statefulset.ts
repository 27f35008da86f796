// StatefulSet controller: pods with stable names `<set>-0 … <set>-(N-1)`, a stable hostname under the governing
// service (`hostname` + `subdomain`), created in order with OrderedReady (the next only once the previous is Running
// and Ready) or all at once with Parallel; scaled down from the highest ordinal; and a RollingUpdate that replaces
// pods from the highest ordinal down to the partition, one at a time, each only when every other pod is ready.
//
// Revisions are the template hash (`<set>-<hash>`, the controller-revision-hash label). kube-controller-manager also
// stores each revision as a ControllerRevision object (for `kubectl rollout undo`); kubets does not serve that kind,
// so pods recreated below the partition get the newest template.
import { isAlreadyExists, isNotFound } from '../../api/errors.js';
import { selectorMatches } from '../../api/labels.js';
import { Resources } from '../../api/resources.js';
import { type KubeObject, type LabelSelector, objectKey, type Pod, type PodSpec, type PodTemplateSpec, type StatefulSet } from '../../api/types.js';
import { controllerOf, queueController, type Controller, type ControllerContext } from './controller.js';
import { templateHash } from './deployment.js';
import { isPodReady } from '../../api/pods.js';

export const REVISION_LABEL = 'controller-revision-hash';
export const POD_NAME_LABEL = 'statefulset.kubernetes.io/pod-name';
export const POD_INDEX_LABEL = 'apps.kubernetes.io/pod-index';

const terminal = (p: Pod) => p.status?.phase === 'Succeeded' || p.status?.phase === 'Failed';
const runningAndReady = (p: Pod) => p.status?.phase === 'Running' && isPodReady(p);

/** The ordinal in `<set>-<ordinal>`, or undefined for a pod not named like one of the set's. */
export function ordinalOf(setName: string, podName: string): number | undefined {
  if (!podName.startsWith(`${setName}-`)) return undefined;
  const rest = podName.slice(setName.length + 1);
  return /^(0|[1-9]\d*)$/.test(rest) ? Number(rest) : undefined;
}

export function statefulSetController(ctx: ControllerContext, clock: () => number = Date.now): Controller {
  const { client, informers, recorder } = ctx;
  const sets = informers.for<StatefulSet>(Resources.statefulsets);
  const pods = informers.for<Pod>(Resources.pods);
  const c = queueController('statefulset-controller', 2, sync);
  sets.addHandlers({ onAdd: (s) => c.queue.add(objectKey(s)), onUpdate: (_o, s) => c.queue.add(objectKey(s)), onDelete: (s) => c.queue.add(objectKey(s)) });
  const onPod = (p: Pod) => {
    const ref = controllerOf(p);
    if (ref?.kind === 'StatefulSet') c.queue.add(`${p.metadata.namespace}/${ref.name}`);
    else if (!ref) for (const s of sets.list()) if (s.metadata.namespace === p.metadata.namespace && ordinalOf(s.metadata.name!, p.metadata.name!) !== undefined) c.queue.add(objectKey(s));
  };
  pods.addHandlers({ onAdd: onPod, onUpdate: (_o, p) => onPod(p), onDelete: onPod });

  async function sync(key: string): Promise<void> {
    const set = sets.get(key);
    if (!set || set.metadata.deletionTimestamp) return;
    const name = set.metadata.name!;
    const replicas = set.spec.replicas ?? 1;
    const updateRevision = `${name}-${templateHash(set.spec.template)}`;
    const currentRevision = set.status?.currentRevision ?? updateRevision;
    const parallel = set.spec.podManagementPolicy === 'Parallel';
    const inNamespace = pods.list().filter((p) => p.metadata.namespace === set.metadata.namespace);
    await adoptOrphans(set, inNamespace);
    const owned = inNamespace.filter((p) => controllerOf(p)?.uid === set.metadata.uid && ordinalOf(name, p.metadata.name!) !== undefined);
    const byOrdinal = new Map(owned.map((p) => [ordinalOf(name, p.metadata.name!)!, p]));

    let blocked = false;
    // Pods that should exist, lowest ordinal first: create what is missing, replace what failed, wait on the rest.
    for (let i = 0; i < replicas && !blocked; i++) {
      const p = byOrdinal.get(i);
      if (!p) {
        await createPod(set, i, updateRevision);
        blocked = !parallel;
      } else if (p.metadata.deletionTimestamp) blocked = !parallel;
      else if (terminal(p)) {
        await deletePod(set, p);
        blocked = !parallel;
      } else if (!runningAndReady(p)) blocked = !parallel;
    }
    // Pods beyond the wanted count, highest ordinal first; OrderedReady removes one at a time from a healthy set.
    const condemned = [...byOrdinal.entries()].filter(([i]) => i >= replicas).sort(([a], [b]) => b - a);
    if (!blocked && condemned.length) {
      if (parallel) {
        for (const [, p] of condemned) if (!p.metadata.deletionTimestamp) await deletePod(set, p);
      } else {
        const [, highest] = condemned[0];
        if (!highest.metadata.deletionTimestamp && owned.every((p) => !p.metadata.deletionTimestamp && (terminal(p) || runningAndReady(p)))) await deletePod(set, highest);
        blocked = true;
      }
    }
    // RollingUpdate: the highest pod not at the update revision goes, once every pod is ready and none is going.
    const rolling = (set.spec.updateStrategy?.type ?? 'RollingUpdate') === 'RollingUpdate';
    if (!blocked && rolling && !condemned.length) {
      const partition = set.spec.updateStrategy?.rollingUpdate?.partition ?? 0;
      const healthy = [...byOrdinal.values()].every((p) => !p.metadata.deletionTimestamp && runningAndReady(p));
      if (healthy) {
        for (let i = replicas - 1; i >= partition; i--) {
          const p = byOrdinal.get(i);
          if (p && p.metadata.labels?.[REVISION_LABEL] !== updateRevision) {
            await deletePod(set, p);
            break;
          }
        }
      }
    }
    await updateStatus(set, owned, currentRevision, updateRevision, key);
  }

  /** Pods named like the set's, matching its selector, with no controller: the set takes them (as after orphaning). */
  async function adoptOrphans(set: StatefulSet, candidates: Pod[]): Promise<void> {
    for (const p of candidates) {
      if (controllerOf(p) || p.metadata.deletionTimestamp || ordinalOf(set.metadata.name!, p.metadata.name!) === undefined) continue;
      if (!selectorMatches(set.spec.selector, p.metadata.labels)) continue;
      const refs = [...(p.metadata.ownerReferences ?? []), { apiVersion: 'apps/v1', kind: 'StatefulSet', name: set.metadata.name!, uid: set.metadata.uid!, controller: true, blockOwnerDeletion: true }];
      const adopted = await client.patch<Pod>(Resources.pods, p.metadata.namespace, p.metadata.name!, 'merge', { metadata: { ownerReferences: refs, resourceVersion: p.metadata.resourceVersion } }).catch((e) => (isNotFound(e) ? undefined : Promise.reject(e)));
      if (adopted) p.metadata.ownerReferences = adopted.metadata.ownerReferences;
    }
  }

  async function createPod(set: StatefulSet, ordinal: number, revision: string): Promise<void> {
    const tmpl = set.spec.template;
    const podName = `${set.metadata.name}-${ordinal}`;
    const spec: PodSpec = { ...structuredClone(tmpl.spec), hostname: podName };
    if (set.spec.serviceName) spec.subdomain = set.spec.serviceName;
    try {
      await client.create<Pod>(Resources.pods, set.metadata.namespace, {
        apiVersion: 'v1',
        kind: 'Pod',
        metadata: {
          name: podName,
          namespace: set.metadata.namespace,
          labels: { ...(tmpl.metadata?.labels ?? {}), [REVISION_LABEL]: revision, [POD_NAME_LABEL]: podName, [POD_INDEX_LABEL]: String(ordinal) },
          annotations: tmpl.metadata?.annotations ? { ...tmpl.metadata.annotations } : undefined,
          ownerReferences: [{ apiVersion: 'apps/v1', kind: 'StatefulSet', name: set.metadata.name!, uid: set.metadata.uid!, controller: true, blockOwnerDeletion: true }],
        },
        spec,
      });
      recorder.record(set, 'Normal', 'SuccessfulCreate', `create Pod ${podName} in StatefulSet ${set.metadata.name} successful`);
    } catch (e) {
      if (isAlreadyExists(e)) return; // the informer has not caught up yet
      recorder.record(set, 'Warning', 'FailedCreate', `create Pod ${podName} in StatefulSet ${set.metadata.name} failed error: ${(e as Error).message}`);
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

  async function updateStatus(set: StatefulSet, owned: Pod[], currentRevision: string, updateRevision: string, key: string): Promise<void> {
    const live = owned.filter((p) => !p.metadata.deletionTimestamp);
    const ready = live.filter(runningAndReady);
    const minReady = (set.spec.minReadySeconds ?? 0) * 1000;
    const available = ready.filter((p) => {
      if (!minReady) return true;
      const since = Date.parse(p.status?.conditions?.find((x) => x.type === 'Ready')?.lastTransitionTime ?? '');
      const at = (Number.isNaN(since) ? clock() : since) + minReady;
      if (at > clock()) c.queue.addAfter(key, at - clock() + 100);
      return at <= clock();
    });
    const replicas = set.spec.replicas ?? 1;
    const revisionOf = (p: Pod) => p.metadata.labels?.[REVISION_LABEL];
    let updated = live.filter((p) => revisionOf(p) === updateRevision).length;
    let current = live.filter((p) => revisionOf(p) === currentRevision).length;
    // The update is complete once every wanted pod runs the new revision and is ready.
    if (updated === replicas && ready.length === replicas && live.length === replicas) {
      currentRevision = updateRevision;
      current = updated;
    }
    if (currentRevision === updateRevision) updated = current;
    const status: NonNullable<StatefulSet['status']> = {
      observedGeneration: set.metadata.generation,
      replicas: live.length,
      readyReplicas: ready.length,
      currentReplicas: current,
      updatedReplicas: updated,
      availableReplicas: available.length,
      currentRevision,
      updateRevision,
      collisionCount: set.status?.collisionCount ?? 0,
    };
    if (JSON.stringify(status) === JSON.stringify(set.status ?? {})) return;
    try {
      await client.updateStatus(Resources.statefulsets, { ...set, status });
    } catch (e) {
      if (!isNotFound(e)) throw e;
    }
  }

  return c;
}
