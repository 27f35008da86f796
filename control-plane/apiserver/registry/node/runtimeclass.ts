// RuntimeClasses in the store (kube: pkg/apis/node/validation): a name pods use (spec.runtimeClassName) for a
// container runtime handler configured on the nodes. The handler is a DNS label and can't change.
import type { KubeObject, StatusCause } from '../../../../api/types.js';
import { strategy, type Strategy } from '../strategy.js';
import { invalidValue, labelErrors, required } from '../validation.js';

type Any = any;

export function validateRuntimeClass(obj: KubeObject, old?: KubeObject): StatusCause[] {
  const handler = (obj as Any).handler;
  const out: StatusCause[] = [];
  if (typeof handler !== 'string' || handler === '') out.push(required('handler'));
  else out.push(...labelErrors('handler', handler));
  if (old && handler !== (old as Any).handler) out.push(invalidValue('handler', handler, 'field is immutable'));
  return out;
}

export const runtimeClassStrategy: Strategy = strategy({ tracksGeneration: false, validate: validateRuntimeClass });
