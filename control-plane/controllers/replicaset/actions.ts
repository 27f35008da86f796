// pkg/controller/replicaset manageReplicas + calculateStatus, as a pure decision: how many pods to create from the
// template, which pods to delete (in deletion order), and the status to write.
import { selectorMatches } from '../../../api/labels.js';
import { isPodActive, isPodReady } from '../../../api/pods.js';
import type { Pod, ReplicaSet, ReplicaSetStatus } from '../../../api/types.js';
import { controllerRef } from '../controller.js';
import { podFromTemplate } from '../podtemplate.js';

/** At most this many pods are created by one sync. */
export const BURST = 500;

export interface ReplicaSetObserved {
  replicaSet: ReplicaSet;
  /** The pods the set controls, in any state. */
  pods: Pod[];
  /** Every creation and deletion of the previous sync has been seen (or waited on long enough). */
  expectationsSatisfied: boolean;
  /** The kind that owns the pods: a ReplicaSet, unless a ReplicationController (same behaviour, older API). */
  owner?: OwnerKind;
}

export interface OwnerKind {
  apiVersion: string;
  kind: string;
}

export const REPLICA_SET: OwnerKind = { apiVersion: 'apps/v1', kind: 'ReplicaSet' };

export interface ReplicaSetActions {
  create: Pod[];
  delete: Pod[];
  /** The status to write, when it differs from the set's. */
  status?: ReplicaSetStatus;
}

/** Which pods to delete first when scaling down: unscheduled, then pending, then not ready, then the newest. */
export function deletionOrder(pods: Pod[]): Pod[] {
  const rank = (p: Pod) => [p.spec.nodeName ? 1 : 0, p.status?.phase === 'Pending' ? 0 : 1, isPodReady(p) ? 1 : 0];
  return [...pods].sort((a, b) => {
    const ra = rank(a);
    const rb = rank(b);
    for (let i = 0; i < ra.length; i++) if (ra[i] !== rb[i]) return ra[i] - rb[i];
    return Date.parse(b.metadata.creationTimestamp ?? '') - Date.parse(a.metadata.creationTimestamp ?? '');
  });
}

/** A pod of the set, as the set creates it. */
export function podForReplicaSet(rs: ReplicaSet, owner: OwnerKind = REPLICA_SET): Pod {
  return podFromTemplate(rs.spec.template, rs.metadata.namespace, controllerRef(rs, owner.apiVersion, owner.kind), { generateName: `${rs.metadata.name}-` });
}

export function computeReplicaSetActions({ replicaSet: rs, pods, expectationsSatisfied, owner = REPLICA_SET }: ReplicaSetObserved): ReplicaSetActions {
  const active = pods.filter(isPodActive);
  const actions: ReplicaSetActions = { create: [], delete: [], status: replicaSetStatus(rs, active) };
  // A set being deleted, or one whose last changes are still on their way to the cache, only reports.
  if (rs.metadata.deletionTimestamp || !expectationsSatisfied) return actions;
  const diff = (rs.spec.replicas ?? 1) - active.length;
  if (diff > 0) actions.create = Array.from({ length: Math.min(diff, BURST) }, () => podForReplicaSet(rs, owner));
  else if (diff < 0) actions.delete = deletionOrder(active).slice(0, -diff);
  return actions;
}

/** The counts of the active pods, or undefined when the set already says so. */
function replicaSetStatus(rs: ReplicaSet, active: Pod[]): ReplicaSetStatus | undefined {
  const ready = active.filter(isPodReady);
  const counts = {
    replicas: active.length,
    fullyLabeledReplicas: active.filter((p) => selectorMatches({ matchLabels: rs.spec.template.metadata?.labels ?? {} }, p.metadata.labels)).length,
    readyReplicas: ready.length,
    availableReplicas: ready.length,
    observedGeneration: rs.metadata.generation,
  };
  const cur = rs.status ?? { replicas: 0 };
  if (
    cur.replicas === counts.replicas &&
    (cur.fullyLabeledReplicas ?? 0) === counts.fullyLabeledReplicas &&
    (cur.readyReplicas ?? 0) === counts.readyReplicas &&
    (cur.availableReplicas ?? 0) === counts.availableReplicas &&
    cur.observedGeneration === counts.observedGeneration
  )
    return undefined;
  return { ...cur, ...counts };
}
