// PriorityClasses in the store (kube: pkg/apis/scheduling/validation and pkg/registry/scheduling/priorityclass): a
// name for a pod priority value. Values above one billion and names starting "system-" are the system's own: the
// API server makes system-cluster-critical and system-node-critical at start-up, and nobody else may use the prefix.
// The value and the preemption policy can't change once set.
import type { KubeObject, StatusCause } from '../../../../api/types.js';
import { strategy, type Strategy } from '../strategy.js';
import { forbidden, invalidValue, notSupported, required } from '../validation.js';

type Any = any;

/** Highest value a user-defined class may have (scheduling.HighestUserDefinablePriority). */
export const HIGHEST_USER_DEFINABLE_PRIORITY = 1_000_000_000;
export const SYSTEM_PRIORITY_CLASS_PREFIX = 'system-';
export const PREEMPT_LOWER_PRIORITY = 'PreemptLowerPriority';
const PREEMPTION_POLICIES = [PREEMPT_LOWER_PRIORITY, 'Never'];

/** system-node-critical's value (scheduling.SystemCriticalPriority + 1000), which static pods state themselves. */
export const SYSTEM_NODE_CRITICAL_PRIORITY = 2_000_001_000;

/** The classes every cluster has (scheduling.SystemPriorityClasses). */
export const SYSTEM_PRIORITY_CLASSES: readonly KubeObject[] = [
  { metadata: { name: 'system-node-critical' }, value: SYSTEM_NODE_CRITICAL_PRIORITY, description: 'Used for system critical pods that must not be moved from their current node.' } as KubeObject,
  { metadata: { name: 'system-cluster-critical' }, value: 2_000_000_000, description: 'Used for system critical pods that must run in the cluster, but can be moved to another node if necessary.' } as KubeObject,
];

/** IsKnownSystemPriorityClass: a system- name must be one of the system classes, with its value and not a default. */
function systemClassError(name: string, value: unknown, globalDefault: unknown): string | undefined {
  const known = SYSTEM_PRIORITY_CLASSES.find((c) => c.metadata.name === name) as Any;
  if (!known) return `${name} is not a known system priority class`;
  if (known.value !== value) return `value of ${name} PriorityClass must be ${known.value}`;
  if (globalDefault) return `globalDefault of ${name} PriorityClass must be false`;
  return undefined;
}

export function validatePriorityClass(obj: KubeObject, old?: KubeObject): StatusCause[] {
  const pc = obj as Any;
  const out: StatusCause[] = [];
  const name = String(pc.metadata?.name ?? '');
  if (typeof pc.value !== 'number') out.push(required('value'));
  else if (name.startsWith(SYSTEM_PRIORITY_CLASS_PREFIX)) {
    const why = systemClassError(name, pc.value, pc.globalDefault);
    if (why) out.push(forbidden('metadata.name', `priority class names with '${SYSTEM_PRIORITY_CLASS_PREFIX}' prefix are reserved for system use only. error: ${why}`));
  } else if (pc.value > HIGHEST_USER_DEFINABLE_PRIORITY) {
    out.push(forbidden('value', `maximum allowed value of a user defined priority is ${HIGHEST_USER_DEFINABLE_PRIORITY}`));
  }
  if (pc.preemptionPolicy !== undefined && pc.preemptionPolicy !== null && !PREEMPTION_POLICIES.includes(pc.preemptionPolicy)) {
    out.push(notSupported('preemptionPolicy', pc.preemptionPolicy, PREEMPTION_POLICIES));
  }
  if (old) {
    const was = old as Any;
    if (pc.value !== was.value) out.push(forbidden('value', 'may not be changed in an update.'));
    if ((pc.preemptionPolicy ?? PREEMPT_LOWER_PRIORITY) !== (was.preemptionPolicy ?? PREEMPT_LOWER_PRIORITY)) out.push(invalidValue('preemptionPolicy', pc.preemptionPolicy, 'field is immutable'));
  }
  return out;
}

export const priorityClassStrategy: Strategy = strategy({
  tracksGeneration: false,
  defaults: (o) => {
    (o as Any).preemptionPolicy ??= PREEMPT_LOWER_PRIORITY;
  },
  validate: validatePriorityClass,
});
