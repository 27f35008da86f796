// Facts about a pod that controllers, the scheduler, admission and the kubelet all read the same way
// (k8s.io/kubernetes/pkg/api/v1/pod and pkg/apis/core/v1/helper/qos).
import { parseQuantity } from './quantity.js';
import type { Condition, Pod, PodSpec } from './types.js';

/** The Ready condition is True. */
export function isPodReady(p: Pod): boolean {
  return !!p.status?.conditions?.some((c) => c.type === 'Ready' && c.status === 'True');
}

/**
 * The pod condition that marks a pod about to be disrupted (kube's v1.DisruptionTarget), with the reasons the
 * eviction API and scheduler preemption give it.
 */
export const DISRUPTION_TARGET = 'DisruptionTarget';
export const EVICTION_BY_EVICTION_API = 'EvictionByEvictionAPI';
export const PREEMPTION_BY_SCHEDULER = 'PreemptionByScheduler';

/**
 * Sets a condition in the pod's status as kube's podutil.UpdatePodCondition does: added when absent, else replaced,
 * its transition time kept while the status stays the same. Returns whether anything changed.
 */
export function setPodCondition(pod: Pod, c: { type: string; status: Condition['status']; reason?: string; message?: string }, now: string): boolean {
  pod.status ??= {};
  const conditions = (pod.status.conditions ??= []);
  const i = conditions.findIndex((x) => x.type === c.type);
  const old = i >= 0 ? conditions[i] : undefined;
  const next: Condition = { type: c.type, status: c.status, lastProbeTime: old?.lastProbeTime ?? null, lastTransitionTime: old?.status === c.status ? old.lastTransitionTime : now, reason: c.reason, message: c.message };
  if (!old) {
    conditions.push(next);
    return true;
  }
  conditions[i] = next;
  return old.status !== next.status || old.reason !== next.reason || old.message !== next.message || old.lastTransitionTime !== next.lastTransitionTime;
}

/** Not being deleted and not finished: a pod a controller counts toward its replicas. */
export function isPodActive(p: Pod): boolean {
  return !p.metadata.deletionTimestamp && p.status?.phase !== 'Succeeded' && p.status?.phase !== 'Failed';
}

/** Requests or limits of a pod, by resource name: the sum over containers, or the largest init container if more. */
export function podResources(spec: Partial<PodSpec> | undefined, which: 'requests' | 'limits'): Record<string, number> {
  const sum: Record<string, number> = {};
  for (const c of spec?.containers ?? []) for (const [r, q] of Object.entries(c?.resources?.[which] ?? {})) sum[r] = (sum[r] ?? 0) + parseQuantity(q as string);
  for (const c of spec?.initContainers ?? []) for (const [r, q] of Object.entries(c?.resources?.[which] ?? {})) sum[r] = Math.max(sum[r] ?? 0, parseQuantity(q as string));
  return sum;
}

/** Kubernetes' QoS class: no cpu/memory requests or limits anywhere → BestEffort; limits = requests for both → Guaranteed. */
export function qosClass(spec: Partial<PodSpec> | undefined): 'BestEffort' | 'Burstable' | 'Guaranteed' {
  const all = [...(Array.isArray(spec?.containers) ? spec.containers : []), ...(Array.isArray(spec?.initContainers) ? spec.initContainers : [])];
  let any = false;
  let guaranteed = all.length > 0;
  for (const c of all) {
    const limits: Record<string, unknown> = c?.resources?.limits ?? {};
    const requests: Record<string, unknown> = c?.resources?.requests ?? {};
    for (const r of ['cpu', 'memory']) {
      if (limits[r] !== undefined || requests[r] !== undefined) any = true;
      if (limits[r] === undefined || (requests[r] !== undefined && parseQuantity(String(requests[r])) !== parseQuantity(String(limits[r])))) guaranteed = false;
    }
  }
  return !any ? 'BestEffort' : guaranteed ? 'Guaranteed' : 'Burstable';
}
