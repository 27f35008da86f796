// StorageClasses in the store (kube: pkg/registry/storage/storageclass/strategy.go, pkg/apis/storage/validation):
// a provisioner is required and, like the parameters, the reclaim policy and the binding mode, fixed once created;
// reclaimPolicy defaults to Delete and volumeBindingMode to Immediate.
import type { KubeObject, StatusCause } from '../../../../api/types.js';
import { strategy, type Strategy } from '../strategy.js';
import { forbidden, invalidValue, notSupported, qualifiedNameErrors, required } from '../validation.js';

type Any = any;

const RECLAIM_POLICIES = ['Delete', 'Retain'];
const BINDING_MODES = ['Immediate', 'WaitForFirstConsumer'];

/** SetDefaults_StorageClass. */
export function defaultStorageClass(obj: KubeObject): void {
  const o = obj as Any;
  o.reclaimPolicy ??= 'Delete';
  o.volumeBindingMode ??= 'Immediate';
}

/** ValidateStorageClass / ValidateStorageClassUpdate. */
export function validateStorageClass(obj: KubeObject, old?: KubeObject): StatusCause[] {
  const o = obj as Any;
  const out: StatusCause[] = [];
  const provisioner = typeof o.provisioner === 'string' ? o.provisioner : '';
  if (!provisioner) out.push(required('provisioner'));
  else out.push(...qualifiedNameErrors('provisioner', provisioner.toLowerCase()).map((c) => ({ ...c, message: (c.message ?? '').replace(JSON.stringify(provisioner.toLowerCase()), JSON.stringify(provisioner)) })));
  if (!RECLAIM_POLICIES.includes(o.reclaimPolicy)) out.push(notSupported('reclaimPolicy', o.reclaimPolicy, RECLAIM_POLICIES));
  if (!BINDING_MODES.includes(o.volumeBindingMode)) out.push(notSupported('volumeBindingMode', o.volumeBindingMode, BINDING_MODES));
  if (o.parameters !== undefined && (typeof o.parameters !== 'object' || Array.isArray(o.parameters))) out.push(invalidValue('parameters', o.parameters, 'must be a map of strings'));
  if (old) {
    const was = old as Any;
    if (JSON.stringify(o.parameters ?? {}) !== JSON.stringify(was.parameters ?? {})) out.push(forbidden('parameters', 'updates to parameters are forbidden.'));
    if (o.provisioner !== was.provisioner) out.push(forbidden('provisioner', 'updates to provisioner are forbidden.'));
    if (o.reclaimPolicy !== was.reclaimPolicy) out.push(forbidden('reclaimPolicy', 'updates to reclaimPolicy are forbidden.'));
    if (o.volumeBindingMode !== was.volumeBindingMode) out.push(forbidden('volumeBindingMode', 'field is immutable'));
  }
  return out;
}

export const storageClassStrategy: Strategy = strategy({ tracksGeneration: false, defaults: defaultStorageClass, validate: validateStorageClass });
