// PodDisruptionBudgets in the store (kube: pkg/apis/policy/validation ValidatePodDisruptionBudget and
// pkg/registry/policy/poddisruptionbudget): minAvailable or maxUnavailable (never both) as a count or a percentage,
// a pod selector; the status is the disruption controller's (and the eviction subresource's) to write.
import type { KubeObject, StatusCause } from '../../../../api/types.js';
import { strategy, type Strategy } from '../strategy.js';
import { invalidGo, invalidValue, labelSelectorErrors, notSupported } from '../validation.js';

type Any = any;

const UNHEALTHY_POD_EVICTION_POLICIES = ['AlwaysAllow', 'IfHealthyBudget'];

/** ValidatePositiveIntOrPercent and IsNotMoreThan100Percent. */
function intOrPercentErrors(field: string, v: unknown): StatusCause[] {
  if (v === undefined || v === null) return [];
  if (typeof v === 'string') {
    if (!/^[0-9]+%$/.test(v)) return [invalidValue(field, v, "a valid percent string must be a numeric string followed by an ending '%' (e.g. '1%',  or '93%', regex used for validation is '[0-9]+%')")];
    return Number(v.slice(0, -1)) > 100 ? [invalidValue(field, v, 'must not be greater than 100%')] : [];
  }
  if (!Number.isInteger(v) || (v as number) < 0) return [invalidValue(field, v, 'must be greater than or equal to 0')];
  return [];
}

export function validatePodDisruptionBudget(obj: KubeObject): StatusCause[] {
  const spec = (obj as Any).spec ?? {};
  const out: StatusCause[] = [];
  if (spec.minAvailable != null && spec.maxUnavailable != null) out.push(invalidGo('spec', '{"minAvailable":…,"maxUnavailable":…}', 'minAvailable and maxUnavailable cannot be both set'));
  out.push(...intOrPercentErrors('spec.minAvailable', spec.minAvailable), ...intOrPercentErrors('spec.maxUnavailable', spec.maxUnavailable));
  out.push(...labelSelectorErrors('spec.selector', spec.selector));
  if (spec.unhealthyPodEvictionPolicy !== undefined && !UNHEALTHY_POD_EVICTION_POLICIES.includes(spec.unhealthyPodEvictionPolicy))
    out.push(notSupported('spec.unhealthyPodEvictionPolicy', spec.unhealthyPodEvictionPolicy, UNHEALTHY_POD_EVICTION_POLICIES));
  return out;
}

/** A new budget starts with nothing allowed until the controller has looked (status zeroed, as PrepareForCreate does). */
function zeroStatus(obj: KubeObject): void {
  (obj as Any).status = { disruptionsAllowed: 0, currentHealthy: 0, desiredHealthy: 0, expectedPods: 0 };
}

const base = strategy({ statusSubresource: true, validate: validatePodDisruptionBudget });
export const podDisruptionBudgetStrategy: Strategy = {
  ...base,
  prepareForCreate(obj, o) {
    base.prepareForCreate(obj, o);
    zeroStatus(obj);
  },
};
