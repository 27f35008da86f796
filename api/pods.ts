// Facts about a pod that controllers, the scheduler, admission and the kubelet all read the same way
// (k8s.io/kubernetes/pkg/api/v1/pod and pkg/apis/core/v1/helper/qos).
import { parseQuantity } from './quantity.js';
import type { Pod, PodSpec } from './types.js';

/** The Ready condition is True. */
export function isPodReady(p: Pod): boolean {
  return !!p.status?.conditions?.some((c) => c.type === 'Ready' && c.status === 'True');
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
