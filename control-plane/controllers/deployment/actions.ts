// pkg/controller/deployment (rolling.go, recreate.go, sync.go, progress.go) as pure decisions: which ReplicaSet is
// the new one, the rollout steps that move replicas from the old sets to it within maxSurge / maxUnavailable (or all
// at once for Recreate), the old sets beyond revisionHistoryLimit, and the status `kubectl rollout status` waits on.
import type { Condition, Deployment, DeploymentStatus, Pod, PodTemplateSpec, ReplicaSet } from '../../../api/types.js';
import { controllerOf, controllerRef } from '../controller.js';
import { canonicalJSON, templateHash } from '../podtemplate.js';

export const REVISION = 'deployment.kubernetes.io/revision';
export const DESIRED_REPLICAS = 'deployment.kubernetes.io/desired-replicas';
export const MAX_REPLICAS = 'deployment.kubernetes.io/max-replicas';
export const HASH_LABEL = 'pod-template-hash';

export interface DeploymentObserved {
  deployment: Deployment;
  /** The replica sets the deployment controls. */
  replicaSets: ReplicaSet[];
  /** The pods those replica sets control. */
  pods: Pod[];
}

export type RolloutStep =
  /** Create the new set with its initial replicas. */
  | { type: 'create'; replicaSet: ReplicaSet }
  /** Make an existing set the newest revision (a rollback to its template). */
  | { type: 'revision'; name: string; revision: string }
  /** Scale a set, recording the deployment's size on it. */
  | { type: 'scale'; name: string; from: number; to: number; annotations: Record<string, string> };

export interface DeploymentActions {
  /** The set already running the deployment's template, if there is one. */
  newReplicaSet?: ReplicaSet;
  oldReplicaSets: ReplicaSet[];
  /** Applied in order; a later step may scale the set an earlier one created. */
  steps: RolloutStep[];
  /** Idle old sets beyond revisionHistoryLimit, oldest first. */
  cleanup: ReplicaSet[];
}

export interface DeploymentStatusUpdate {
  status: DeploymentStatus;
  /** The revision annotation the deployment should carry, when it differs. */
  revision?: string;
}

/** maxSurge / maxUnavailable as counts: percentages of replicas, surge rounded up, unavailable down. */
export function resolveFenceposts(d: Deployment): { surge: number; unavailable: number } {
  const replicas = d.spec.replicas ?? 1;
  if (d.spec.strategy?.type === 'Recreate') return { surge: 0, unavailable: replicas };
  const ru = d.spec.strategy?.rollingUpdate ?? {};
  const resolve = (v: number | string | undefined, dflt: string, roundUp: boolean) => {
    const val = v ?? dflt;
    if (typeof val === 'number') return val;
    const pct = Number(val.replace('%', '')) / 100;
    return roundUp ? Math.ceil(pct * replicas) : Math.floor(pct * replicas);
  };
  const surge = resolve(ru.maxSurge, '25%', true);
  let unavailable = resolve(ru.maxUnavailable, '25%', false);
  if (surge === 0 && unavailable === 0) unavailable = 1;
  return { surge, unavailable };
}

/** The template without its pod-template-hash label: what a set's template is compared by. */
function withoutHash(t: PodTemplateSpec): string {
  const labels = { ...(t.metadata?.labels ?? {}) };
  delete labels[HASH_LABEL];
  return canonicalJSON({ ...t, metadata: { ...(t.metadata ?? {}), labels } });
}

export const revisionOf = (rs: ReplicaSet) => Number(rs.metadata.annotations?.[REVISION] ?? 0);
const replicasOf = (rs: ReplicaSet) => rs.spec.replicas ?? 0;
const availableOf = (rs: ReplicaSet) => rs.status?.availableReplicas ?? 0;

/** The set a deployment makes for its current template, named and labelled by the template's hash. */
export function newReplicaSetFor(d: Deployment, revision: number, replicas: number): ReplicaSet {
  const desired = d.spec.replicas ?? 1;
  const hash = templateHash(d.spec.template, d.status?.collisionCount ?? 0);
  const labels = { ...(d.spec.template.metadata?.labels ?? {}), [HASH_LABEL]: hash };
  return {
    apiVersion: 'apps/v1',
    kind: 'ReplicaSet',
    metadata: {
      name: `${d.metadata.name}-${hash}`,
      namespace: d.metadata.namespace,
      labels,
      annotations: { [REVISION]: String(revision), [DESIRED_REPLICAS]: String(desired), [MAX_REPLICAS]: String(desired + resolveFenceposts(d).surge) },
      ownerReferences: [controllerRef(d, 'apps/v1', 'Deployment')],
    },
    spec: {
      replicas,
      minReadySeconds: d.spec.minReadySeconds,
      selector: { ...d.spec.selector, matchLabels: { ...(d.spec.selector.matchLabels ?? {}), [HASH_LABEL]: hash } },
      template: { ...d.spec.template, metadata: { ...(d.spec.template.metadata ?? {}), labels } },
    },
  };
}

export function computeDeploymentActions({ deployment: d, replicaSets, pods }: DeploymentObserved): DeploymentActions {
  const tmpl = withoutHash(d.spec.template);
  const existing = replicaSets.find((rs) => withoutHash(rs.spec.template) === tmpl);
  const olds = replicaSets.filter((rs) => rs !== existing);
  const actions: DeploymentActions = { newReplicaSet: existing, oldReplicaSets: olds, steps: [], cleanup: [] };
  if (d.spec.paused) return actions;

  const desired = d.spec.replicas ?? 1;
  const { surge, unavailable } = resolveFenceposts(d);
  const recreate = d.spec.strategy?.type === 'Recreate';
  const maxRevision = Math.max(0, ...replicaSets.map(revisionOf));
  // Replicas as this sync leaves them: each step plans on what the steps before it did.
  const planned = new Map(replicaSets.map((rs) => [rs.metadata.name!, replicasOf(rs)]));
  const annotations = { [DESIRED_REPLICAS]: String(desired), [MAX_REPLICAS]: String(desired + surge) };
  const scale = (name: string, to: number) => {
    const from = planned.get(name) ?? 0;
    if (from === to) return;
    actions.steps.push({ type: 'scale', name, from, to, annotations });
    planned.set(name, to);
  };

  let newName: string;
  let newAvailable = 0;
  if (!existing) {
    const totalNow = replicaSets.reduce((a, rs) => a + replicasOf(rs), 0);
    const initial = recreate ? (olds.some((rs) => replicasOf(rs) > 0) ? 0 : desired) : olds.length === 0 ? desired : Math.max(0, Math.min(desired, desired + surge - totalNow));
    const created = newReplicaSetFor(d, maxRevision + 1, initial);
    actions.steps.push({ type: 'create', replicaSet: created });
    newName = created.metadata.name!;
    planned.set(newName, initial);
  } else {
    newName = existing.metadata.name!;
    newAvailable = availableOf(existing);
    if (revisionOf(existing) < maxRevision || !existing.metadata.annotations?.[REVISION]) actions.steps.push({ type: 'revision', name: newName, revision: String(maxRevision + 1) });
  }
  const plannedOf = (rs: ReplicaSet) => planned.get(rs.metadata.name!) ?? 0;

  if (recreate) {
    // Recreate: every old pod goes before the new set scales up.
    for (const rs of olds) scale(rs.metadata.name!, 0);
    const oldPodsLeft = pods.some((p) => olds.some((rs) => controllerOf(p)?.uid === rs.metadata.uid));
    if (!oldPodsLeft) scale(newName, desired);
  } else {
    // Scale up the new set within maxSurge…
    const total = () => [...planned.values()].reduce((a, n) => a + n, 0);
    const newReplicas = planned.get(newName)!;
    if (newReplicas > desired) scale(newName, desired);
    else if (newReplicas < desired) {
      const room = desired + surge - total();
      if (room > 0) scale(newName, Math.min(desired, newReplicas + room));
    }
    // …and the old ones down within maxUnavailable: unhealthy pods first, then available ones while enough stay up.
    const oldest = [...olds].sort((a, b) => revisionOf(a) - revisionOf(b));
    const minAvailable = desired - unavailable;
    const newUnavailable = Math.max(0, planned.get(newName)! - newAvailable);
    let budget = total() - minAvailable - newUnavailable;
    for (const rs of oldest) {
      if (budget <= 0) break;
      const unhealthy = Math.min(budget, Math.max(0, plannedOf(rs) - availableOf(rs)));
      if (unhealthy > 0) {
        scale(rs.metadata.name!, plannedOf(rs) - unhealthy);
        budget -= unhealthy;
      }
    }
    let surplus = newAvailable + olds.reduce((a, rs) => a + availableOf(rs), 0) - minAvailable;
    for (const rs of oldest) {
      if (surplus <= 0) break;
      const cut = Math.min(plannedOf(rs), surplus);
      if (cut <= 0) continue;
      scale(rs.metadata.name!, plannedOf(rs) - cut);
      surplus -= cut;
    }
  }

  // History: old sets with no replicas and no pods, beyond the limit, oldest first.
  const limit = d.spec.revisionHistoryLimit ?? 10;
  const idle = olds.filter((rs) => replicasOf(rs) === 0 && (rs.status?.replicas ?? 0) === 0 && !rs.metadata.deletionTimestamp).sort((a, b) => revisionOf(a) - revisionOf(b));
  actions.cleanup = idle.slice(0, Math.max(0, idle.length - limit));
  return actions;
}

/**
 * The deployment's status from its sets as they stand after the rollout steps (a scaled set has a new generation its
 * status has not yet observed), with Available and Progressing conditions; undefined when nothing but times changed.
 */
export function computeDeploymentStatus(d: Deployment, newRS: ReplicaSet | undefined, olds: ReplicaSet[], now: string): DeploymentStatusUpdate | undefined {
  const all = newRS ? [newRS, ...olds] : olds;
  const desired = d.spec.replicas ?? 1;
  const replicas = all.reduce((a, rs) => a + (rs.status?.replicas ?? 0), 0);
  const ready = all.reduce((a, rs) => a + (rs.status?.readyReplicas ?? 0), 0);
  const available = all.reduce((a, rs) => a + availableOf(rs), 0);
  const updated = newRS?.status?.replicas ?? 0;
  const { unavailable } = resolveFenceposts(d);
  const prev = d.status?.conditions ?? [];
  const cond = (type: string, status: 'True' | 'False', reason: string, message: string): Condition => {
    const old = prev.find((c) => c.type === type);
    const transitioned = !old || old.status !== status;
    return { type, status, lastUpdateTime: old && old.reason === reason && !transitioned ? old.lastUpdateTime : now, lastTransitionTime: transitioned ? now : old!.lastTransitionTime, reason, message };
  };
  const complete = newRS && updated === desired && replicas === desired && available === desired && (newRS.status?.observedGeneration ?? 0) >= (newRS.metadata.generation ?? 0);
  const progressing = prev.some((c) => c.type === 'Progressing');
  const conditions = [
    available >= desired - unavailable ? cond('Available', 'True', 'MinimumReplicasAvailable', 'Deployment has minimum availability.') : cond('Available', 'False', 'MinimumReplicasUnavailable', 'Deployment does not have minimum availability.'),
    newRS
      ? complete
        ? cond('Progressing', 'True', 'NewReplicaSetAvailable', `ReplicaSet "${newRS.metadata.name}" has successfully progressed.`)
        : cond('Progressing', 'True', progressing ? 'ReplicaSetUpdated' : 'NewReplicaSetCreated', progressing ? `ReplicaSet "${newRS.metadata.name}" is progressing.` : `Created new replica set "${newRS.metadata.name}"`)
      : cond('Progressing', 'True', 'ReplicaSetUpdated', 'Deployment is progressing.'),
  ];
  const status: DeploymentStatus = {
    observedGeneration: d.metadata.generation,
    replicas,
    updatedReplicas: updated,
    readyReplicas: ready,
    availableReplicas: available,
    unavailableReplicas: Math.max(0, desired - available),
    conditions,
    ...(d.status?.collisionCount ? { collisionCount: d.status.collisionCount } : {}),
  };
  const withoutTimes = (s: unknown) => JSON.stringify(s, (k, v) => (k === 'lastUpdateTime' || k === 'lastTransitionTime' ? undefined : v));
  if (withoutTimes(status) === withoutTimes(d.status ?? {})) return undefined;
  const revision = newRS ? (newRS.metadata.annotations?.[REVISION] ?? '1') : undefined;
  return { status, ...(revision !== undefined && d.metadata.annotations?.[REVISION] !== revision ? { revision } : {}) };
}
