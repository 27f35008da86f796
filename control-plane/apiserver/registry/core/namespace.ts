// Namespaces in the store (kube: pkg/registry/core/namespace/strategy.go and storage.go): the status is written with
// the namespace itself; a delete turns the namespace Terminating and answers 202, and it stays until the namespace
// controller has emptied it and removed its spec.finalizers through /finalize.
import type { KubeObject, Namespace } from '../../../../api/types.js';
import * as defaults from '../defaults.js';
import { strategy, type Strategy } from '../strategy.js';
import { labelErrors } from '../validation.js';

export const namespaceStrategy: Strategy = {
  ...strategy({
    defaults: defaults.namespace,
    validateName: (name) => labelErrors('metadata.name', name),
    fields: (o) => ({ 'status.phase': (o as Namespace).status?.phase ?? '' }),
  }),
  awaitsFinalization: (obj) => ((obj as Namespace).spec?.finalizers ?? []).length > 0,
  prepareForDelete(obj) {
    const ns = obj as Namespace;
    ns.status = { ...(ns.status ?? {}), phase: 'Terminating' };
  },
};

/** Writes through /finalize change only the finalizer list the namespace controller works down. */
export const finalizeStrategy: Strategy = {
  ...namespaceStrategy,
  prepareForUpdate(obj: KubeObject, old: KubeObject): KubeObject {
    const next = structuredClone(old) as Namespace;
    next.spec = { ...(next.spec ?? {}), finalizers: (obj as Namespace).spec?.finalizers ?? [] };
    return next;
  },
};
