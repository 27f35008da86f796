// Taints and tolerations (k8s.io/api/core/v1 toleration.go): the scheduler, the DaemonSet controller and node
// lifecycle's eviction all decide with the same matching rule.
import type { Taint, Toleration } from './types.js';

/** Whether one toleration matches the taint: same effect (or any), and Exists on the key (or all keys) or Equal value. */
export function toleratesTaint(t: Toleration, taint: Pick<Taint, 'key' | 'value' | 'effect'>): boolean {
  if (t.effect && t.effect !== taint.effect) return false;
  if (t.operator === 'Exists') return !t.key || t.key === taint.key;
  return t.key === taint.key && (t.value ?? '') === (taint.value ?? '');
}

/** Whether any of the tolerations matches the taint. */
export function tolerates(tols: Toleration[] | undefined, taint: Pick<Taint, 'key' | 'value' | 'effect'>): boolean {
  return (tols ?? []).some((t) => toleratesTaint(t, taint));
}
