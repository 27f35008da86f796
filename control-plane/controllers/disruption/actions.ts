// pkg/controller/disruption DisruptionController.trySync, as a pure decision: how many pods a budget expects (its
// pods' controllers' scale, or the pods themselves for an integer minAvailable), how many are healthy, which allowed
// evictions are still on their way, and so how many disruptions are allowed now.
import { DISRUPTION_ALLOWED, disruptionAllowedCondition, scaledValue, type PodDisruptionBudget, type PodDisruptionBudgetStatus } from '../../../api/disruption.js';
import { isPodReady } from '../../../api/pods.js';
import type { OwnerReference, Pod } from '../../../api/types.js';
import { controllerOf } from '../controller.js';

/** How long an eviction the API server allowed may take to show as the pod's deletion (DeletionTimeout). */
export const DELETION_TIMEOUT_MS = 2 * 60_000;

export interface DisruptionObserved {
  pdb: PodDisruptionBudget;
  /** The pods in the budget's namespace its selector matches. */
  pods: Pod[];
  /** The scale of a pod's controller (its wanted replicas), or undefined when it is of no kind with a scale. */
  scaleOf(ref: OwnerReference, namespace: string): number | undefined;
  now: number;
}

export interface DisruptionDecision {
  status: PodDisruptionBudgetStatus;
  /** Why the expected count could not be found (the status then allows nothing); an event's reason and message. */
  failure?: { reason: string; message: string };
  /** When a disrupted pod's entry expires and the budget should be looked at again. */
  recheckAt?: number;
}

/** The wanted replicas of the controllers of the pods, each controller counted once (getExpectedScale). */
function expectedScale(o: DisruptionObserved): number | { reason: string; message: string } {
  const seen = new Map<string, number>();
  for (const p of o.pods) {
    const ref = controllerOf(p);
    if (!ref) return { reason: 'NoControllers', message: `found no controller ref for pod "${p.metadata.name}"` };
    if (seen.has(ref.uid)) continue;
    const scale = o.scaleOf(ref, p.metadata.namespace!);
    if (scale === undefined) return { reason: 'NoControllers', message: `found no controllers for pod "${p.metadata.name}"` };
    seen.set(ref.uid, scale);
  }
  return [...seen.values()].reduce((a, b) => a + b, 0);
}

export function computeDisruptionStatus(o: DisruptionObserved): DisruptionDecision {
  const { pdb, pods, now } = o;
  const at = new Date(now).toISOString().replace(/\.\d+Z$/, 'Z');
  // Evictions allowed and not yet seen: kept while their pod is there, not being deleted, and the entry is fresh.
  const byName = new Map(pods.map((p) => [p.metadata.name!, p] as const));
  const disruptedPods: Record<string, string> = {};
  let recheckAt: number | undefined;
  for (const [name, when] of Object.entries(pdb.status?.disruptedPods ?? {})) {
    const pod = byName.get(name);
    if (!pod || pod.metadata.deletionTimestamp) continue;
    const expires = Date.parse(when) + DELETION_TIMEOUT_MS;
    if (expires <= now) continue;
    disruptedPods[name] = when;
    recheckAt = Math.min(recheckAt ?? Infinity, expires);
  }
  const currentHealthy = pods.filter((p) => !p.metadata.deletionTimestamp && !(p.metadata.name! in disruptedPods) && isPodReady(p)).length;

  let expectedPods = 0;
  let desiredHealthy = 0;
  let failure: DisruptionDecision['failure'];
  const { minAvailable, maxUnavailable } = pdb.spec;
  if (maxUnavailable != null || typeof minAvailable === 'string') {
    const scale = expectedScale(o);
    if (typeof scale === 'number') {
      expectedPods = scale;
      desiredHealthy = maxUnavailable != null ? Math.max(0, scale - scaledValue(maxUnavailable, scale, true)) : scaledValue(minAvailable!, scale, true);
    } else failure = { reason: 'CalculateExpectedPodCountFailed', message: `Failed to calculate the number of expected pods: ${scale.message}` };
  } else if (typeof minAvailable === 'number') {
    expectedPods = pods.length;
    desiredHealthy = minAvailable;
  }

  // A budget whose expected count is unknown allows nothing (failSafe), as kube's controller does.
  const allowed = failure || expectedPods <= 0 ? 0 : Math.max(0, currentHealthy - desiredHealthy);
  const conditions = [...(pdb.status?.conditions ?? []).filter((c) => c.type !== DISRUPTION_ALLOWED), disruptionAllowedCondition(allowed, pdb.status?.conditions, at)];
  if (failure) Object.assign(conditions.at(-1)!, { reason: 'SyncFailed', message: failure.message });
  const status: PodDisruptionBudgetStatus = {
    observedGeneration: pdb.metadata.generation,
    ...(Object.keys(disruptedPods).length ? { disruptedPods } : {}),
    disruptionsAllowed: allowed,
    currentHealthy,
    desiredHealthy,
    expectedPods,
    conditions,
  };
  return { status, ...(failure ? { failure } : {}), ...(recheckAt !== undefined ? { recheckAt } : {}) };
}
