// What the disruption controller and the eviction subresource read the same way (k8s.io/api/policy/v1 and
// pkg/apis/policy/helper): a budget's shape, its DisruptionAllowed condition and int-or-percent values.
import type { Condition, KubeObject, LabelSelector } from './types.js';

export interface PodDisruptionBudget extends KubeObject {
  spec: {
    minAvailable?: number | string;
    maxUnavailable?: number | string;
    selector?: LabelSelector | null;
    unhealthyPodEvictionPolicy?: 'IfHealthyBudget' | 'AlwaysAllow';
  };
  status?: PodDisruptionBudgetStatus;
}

export interface PodDisruptionBudgetStatus {
  observedGeneration?: number;
  /** Pods whose eviction the API server allowed and the controller has not yet seen go: name → time. */
  disruptedPods?: Record<string, string>;
  disruptionsAllowed: number;
  currentHealthy: number;
  desiredHealthy: number;
  expectedPods: number;
  conditions?: Condition[];
}

export const DISRUPTION_ALLOWED = 'DisruptionAllowed';
/** The StatusCause type an eviction refused by a budget carries (policyv1.DisruptionBudgetCause). */
export const DISRUPTION_BUDGET_CAUSE = 'DisruptionBudget';
/** The message of the 429 an eviction gets when a budget forbids it (kube-apiserver's wording). */
export const EVICTION_REFUSED = "Cannot evict pod as it would violate the pod's disruption budget.";

/** The DisruptionAllowed condition for this many allowed disruptions, keeping its transition time when unchanged. */
export function disruptionAllowedCondition(allowed: number, previous: Condition[] | undefined, now: string): Condition {
  const status = allowed > 0 ? 'True' : 'False';
  const reason = allowed > 0 ? 'SufficientPods' : 'InsufficientPods';
  const old = previous?.find((c) => c.type === DISRUPTION_ALLOWED);
  return { type: DISRUPTION_ALLOWED, status, reason, message: '', lastTransitionTime: old?.status === status ? old.lastTransitionTime : now } as Condition;
}

/** An int-or-percent of `total` (intstr.GetScaledValueFromIntOrPercent), rounded up or down. */
export function scaledValue(v: number | string, total: number, roundUp: boolean): number {
  if (typeof v === 'number') return v;
  const pct = Number(v.slice(0, -1));
  return roundUp ? Math.ceil((pct * total) / 100) : Math.floor((pct * total) / 100);
}
