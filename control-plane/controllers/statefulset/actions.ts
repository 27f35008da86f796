// pkg/controller/statefulset (stateful_set_control.go updateStatefulSet), as a pure decision: the ordered steps —
// adopt orphans, create `<set>-<i>` lowest first, delete from the highest ordinal down, replace outdated pods from the
// highest ordinal down to the partition — and the status to write.
//
// Pods carry their revision's name (`<set>-<hash>`) in the controller-revision-hash label; the revisions themselves
// are ControllerRevisions (../history), and a pod recreated below the partition gets the current revision's template.
import { selectorMatches } from '../../../api/labels.js';
import { isPodReady } from '../../../api/pods.js';
import type { OwnerReference, PersistentVolumeClaim, Pod, PodTemplateSpec, StatefulSet } from '../../../api/types.js';
import { controllerOf, controllerRef } from '../controller.js';
import { REVISION_HASH_LABEL, revisionName } from '../history/history.js';
import { podFromTemplate, templateHash } from '../podtemplate.js';

export const REVISION_LABEL = REVISION_HASH_LABEL;
export const POD_NAME_LABEL = 'statefulset.kubernetes.io/pod-name';
export const POD_INDEX_LABEL = 'apps.kubernetes.io/pod-index';

export interface StatefulSetObserved {
  statefulSet: StatefulSet;
  /** The pods in the set's namespace: its own, and orphans named like its pods that it takes over. */
  pods: Pod[];
  now: number;
  /** The update revision's name; the name the set's template gets in its history when not given. */
  updateRevision?: string;
  /** The template of status.currentRevision, for pods recreated below the partition; the set's own when not given. */
  currentTemplate?: PodTemplateSpec;
  /** The collision count the status carries. */
  collisionCount?: number;
}

export type StatefulSetStep =
  /** Take over an orphan named like one of the set's pods and matching its selector. */
  | { type: 'adopt'; pod: Pod; ownerReferences: OwnerReference[] }
  | { type: 'create'; pod: Pod }
  | { type: 'delete'; pod: Pod };

export interface StatefulSetActions {
  /** Applied in order: the order is the point of a stateful set. */
  steps: StatefulSetStep[];
  /** The status to write, when it differs from the set's. */
  status?: NonNullable<StatefulSet['status']>;
  /** A ready pod becomes available (minReadySeconds) this many ms from now: sync again then. */
  requeueAfterMs?: number;
}

const terminal = (p: Pod) => p.status?.phase === 'Succeeded' || p.status?.phase === 'Failed';
const runningAndReady = (p: Pod) => p.status?.phase === 'Running' && isPodReady(p);
const revisionOf = (p: Pod) => p.metadata.labels?.[REVISION_LABEL];

/** The ordinal in `<set>-<ordinal>`, or undefined for a pod not named like one of the set's. */
export function ordinalOf(setName: string, podName: string): number | undefined {
  if (!podName.startsWith(`${setName}-`)) return undefined;
  const rest = podName.slice(setName.length + 1);
  return /^(0|[1-9]\d*)$/.test(rest) ? Number(rest) : undefined;
}

/** The pod with this ordinal: a stable name, and a stable hostname under the governing service. */
export function podForOrdinal(set: StatefulSet, ordinal: number, revision: string): Pod {
  const podName = `${set.metadata.name}-${ordinal}`;
  const pod = podFromTemplate(set.spec.template, set.metadata.namespace, controllerRef(set, 'apps/v1', 'StatefulSet'), { name: podName });
  Object.assign(pod.metadata.labels!, { [REVISION_LABEL]: revision, [POD_NAME_LABEL]: podName, [POD_INDEX_LABEL]: String(ordinal) });
  pod.spec.hostname = podName;
  if (set.spec.serviceName) pod.spec.subdomain = set.spec.serviceName;
  // Each claim template becomes the pod's volume of that name, backed by the pod's own claim (updateStorage).
  const claims = claimsForOrdinal(set, ordinal);
  if (claims.length) {
    const byTemplate = new Set((set.spec.volumeClaimTemplates ?? []).map((t) => t.metadata.name));
    pod.spec.volumes = [
      ...(pod.spec.volumes ?? []).filter((v) => !byTemplate.has(v.name)),
      ...(set.spec.volumeClaimTemplates ?? []).map((t, i) => ({ name: t.metadata.name!, persistentVolumeClaim: { claimName: claims[i].metadata.name! } })),
    ];
  }
  return pod;
}

/**
 * The claims of the pod with this ordinal, one per volumeClaimTemplate, named <template>-<set>-<ordinal> and labelled
 * with the set's selector (getPersistentVolumeClaims). Under the default retention policy (Retain) they have no
 * owner: they outlive the pod and the set.
 */
export function claimsForOrdinal(set: StatefulSet, ordinal: number): PersistentVolumeClaim[] {
  return (set.spec.volumeClaimTemplates ?? []).map((t) => ({
    apiVersion: 'v1',
    kind: 'PersistentVolumeClaim',
    metadata: {
      name: `${t.metadata.name}-${set.metadata.name}-${ordinal}`,
      namespace: set.metadata.namespace,
      labels: { ...(t.metadata.labels ?? {}), ...(set.spec.selector?.matchLabels ?? {}) },
      ...(t.metadata.annotations ? { annotations: { ...t.metadata.annotations } } : {}),
    },
    spec: structuredClone(t.spec),
  }));
}

export function computeStatefulSetActions(observed: StatefulSetObserved): StatefulSetActions {
  const { statefulSet: set, pods, now, currentTemplate } = observed;
  const actions: StatefulSetActions = { steps: [] };
  if (set.metadata.deletionTimestamp) return actions;
  const name = set.metadata.name!;
  const replicas = set.spec.replicas ?? 1;
  const collisionCount = observed.collisionCount ?? set.status?.collisionCount ?? 0;
  const updateRevision = observed.updateRevision ?? revisionName(name, templateHash(set.spec.template, collisionCount));
  const currentRevision = set.status?.currentRevision ?? updateRevision;
  const parallel = set.spec.podManagementPolicy === 'Parallel';

  // Orphans named like the set's pods and matching its selector are the set's from here on (as after orphaning).
  const owned: Pod[] = [];
  for (const p of pods) {
    if (ordinalOf(name, p.metadata.name!) === undefined) continue;
    const ref = controllerOf(p);
    if (ref?.uid === set.metadata.uid) owned.push(p);
    else if (!ref && !p.metadata.deletionTimestamp && selectorMatches(set.spec.selector, p.metadata.labels)) {
      const ownerReferences = [...(p.metadata.ownerReferences ?? []), controllerRef(set, 'apps/v1', 'StatefulSet')];
      actions.steps.push({ type: 'adopt', pod: p, ownerReferences });
      owned.push({ ...p, metadata: { ...p.metadata, ownerReferences } });
    }
  }
  const byOrdinal = new Map(owned.map((p) => [ordinalOf(name, p.metadata.name!)!, p]));
  // Below a rolling update's partition a pod is made at the current revision (newVersionedStatefulSetPod).
  const partition = set.spec.updateStrategy?.rollingUpdate?.partition ?? 0;
  const rolling = (set.spec.updateStrategy?.type ?? 'RollingUpdate') === 'RollingUpdate';
  const create = (i: number) => {
    const current = rolling && i < partition && currentRevision !== updateRevision && currentTemplate;
    const pod = current ? podForOrdinal({ ...set, spec: { ...set.spec, template: current } }, i, currentRevision) : podForOrdinal(set, i, updateRevision);
    actions.steps.push({ type: 'create', pod });
  };
  const remove = (pod: Pod) => actions.steps.push({ type: 'delete', pod });

  let blocked = false;
  // Pods that should exist, lowest ordinal first: create what is missing, replace what failed, wait on the rest.
  for (let i = 0; i < replicas && !blocked; i++) {
    const p = byOrdinal.get(i);
    if (!p) {
      create(i);
      blocked = !parallel;
    } else if (p.metadata.deletionTimestamp) blocked = !parallel;
    else if (terminal(p)) {
      remove(p);
      blocked = !parallel;
    } else if (!runningAndReady(p)) blocked = !parallel;
  }
  // Pods beyond the wanted count, highest ordinal first; OrderedReady removes one at a time from a healthy set.
  const condemned = [...byOrdinal.entries()].filter(([i]) => i >= replicas).sort(([a], [b]) => b - a);
  if (!blocked && condemned.length) {
    if (parallel) {
      for (const [, p] of condemned) if (!p.metadata.deletionTimestamp) remove(p);
    } else {
      const [, highest] = condemned[0];
      if (!highest.metadata.deletionTimestamp && owned.every((p) => !p.metadata.deletionTimestamp && (terminal(p) || runningAndReady(p)))) remove(highest);
      blocked = true;
    }
  }
  // RollingUpdate: the highest pod not at the update revision goes, once every pod is ready and none is going.
  if (!blocked && rolling && !condemned.length) {
    const healthy = [...byOrdinal.values()].every((p) => !p.metadata.deletionTimestamp && runningAndReady(p));
    if (healthy) {
      for (let i = replicas - 1; i >= partition; i--) {
        const p = byOrdinal.get(i);
        if (p && revisionOf(p) !== updateRevision) {
          remove(p);
          break;
        }
      }
    }
  }
  return { ...actions, ...statefulSetStatus(set, owned, updateRevision, collisionCount, now) };
}

/** Counts and revisions from the pods as they are; the update is complete once every wanted pod runs the new one. */
function statefulSetStatus(set: StatefulSet, owned: Pod[], updateRevision: string, collisionCount: number, now: number): Pick<StatefulSetActions, 'status' | 'requeueAfterMs'> {
  const live = owned.filter((p) => !p.metadata.deletionTimestamp);
  const ready = live.filter(runningAndReady);
  const minReady = (set.spec.minReadySeconds ?? 0) * 1000;
  let requeueAfterMs: number | undefined;
  const available = ready.filter((p) => {
    if (!minReady) return true;
    const since = Date.parse(p.status?.conditions?.find((x) => x.type === 'Ready')?.lastTransitionTime ?? '');
    const at = (Number.isNaN(since) ? now : since) + minReady;
    if (at > now) requeueAfterMs = Math.min(requeueAfterMs ?? Infinity, at - now + 100);
    return at <= now;
  });
  const replicas = set.spec.replicas ?? 1;
  let currentRevision = set.status?.currentRevision ?? updateRevision;
  let updated = live.filter((p) => revisionOf(p) === updateRevision).length;
  let current = live.filter((p) => revisionOf(p) === currentRevision).length;
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
    collisionCount,
  };
  return { ...(JSON.stringify(status) === JSON.stringify(set.status ?? {}) ? {} : { status }), ...(requeueAfterMs !== undefined ? { requeueAfterMs } : {}) };
}
