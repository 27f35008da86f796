// pkg/controller/namespace/deletion (namespaced_resources_deleter.go), as a pure decision: a namespace being deleted
// has everything in it deleted; once nothing is left, its "kubernetes" finalizer goes (namespaces/finalize) and the
// API server deletes it.
import type { ResourceRef } from '../../../api/resources.js';
import type { KubeObject, Namespace } from '../../../api/types.js';

export const FINALIZER = 'kubernetes';

export interface NamespaceObserved {
  namespace: Namespace;
  /** What is left in the namespace, per namespaced resource. */
  contents: { resource: ResourceRef; items: KubeObject[] }[];
}

export interface NamespaceActions {
  /** Objects to delete (those not already being deleted). */
  delete: { resource: ResourceRef; name: string }[];
  /** Objects still in the namespace: while any remain, look again later. */
  remaining: number;
  /** The namespace is empty: the namespace with its finalizer removed, for namespaces/finalize. */
  finalize?: Namespace;
}

export function computeNamespaceActions({ namespace: ns, contents }: NamespaceObserved): NamespaceActions {
  const actions: NamespaceActions = { delete: [], remaining: 0 };
  if (!ns.metadata.deletionTimestamp) return actions;
  for (const { resource, items } of contents) {
    actions.remaining += items.length;
    for (const obj of items) if (!obj.metadata.deletionTimestamp) actions.delete.push({ resource, name: obj.metadata.name! });
  }
  if (!actions.remaining) actions.finalize = { ...ns, spec: { ...ns.spec, finalizers: (ns.spec?.finalizers ?? []).filter((f) => f !== FINALIZER) } };
  return actions;
}
