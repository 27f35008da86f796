// Admission (kube: k8s.io/apiserver/pkg/admission, interfaces.go and chain.go): an ordered list of plugins, each
// mutating (Admit), validating (Validate) or both. A write passes every mutating plugin in order, is validated, then
// passes every validating one; the first to refuse ends it. Plugins may look at the kind they admit.
import { StatusError } from '../../../api/errors.js';
import type { KubeObject } from '../../../api/types.js';
import type { ResourceDef } from '../registry/kinds.js';
import type { Admission, WriteAttributes } from '../registry/store.js';

export interface AdmissionPlugin {
  readonly name: string;
  /** Changes the object about to be stored (kube's MutationInterface). */
  admit?(a: WriteAttributes): Promise<void>;
  /** Accepts or refuses the final object, by throwing (kube's ValidationInterface). */
  validate?(a: WriteAttributes): Promise<void>;
}

/** The store runs the mutating phase before it validates an object, the validating phase after. */
export function admissionChain(plugins: readonly AdmissionPlugin[]): Admission {
  return {
    async admit(a) {
      for (const p of plugins) await p.admit?.(a);
    },
    async validate(a) {
      for (const p of plugins) await p.validate?.(a);
    },
  };
}

/** A plugin's refusal: 403 Forbidden naming the object (kube's admission.NewForbidden). */
export function forbidden(def: ResourceDef, obj: KubeObject, message: string): StatusError {
  const name = obj.metadata.name ?? '';
  const qualified = def.group ? `${def.plural}.${def.group}` : def.plural;
  return new StatusError(403, 'Forbidden', `${qualified} "${name}" is forbidden: ${message}`, { name, group: def.group || undefined, kind: def.plural });
}
