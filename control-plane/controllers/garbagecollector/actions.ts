// pkg/controller/garbagecollector (attemptToDeleteItem, processDeletingDependentsItem, orphanDependents), as a pure
// decision over the object graph: dependents whose owners are all gone are deleted (background propagation); an owner
// deleted in the foreground has its dependents deleted and keeps its finalizer while a dependent blocks it
// (blockOwnerDeletion); an owner deleted with "orphan" releases its dependents, then loses its finalizer.
import type { ResourceRef } from '../../../api/resources.js';
import type { KubeObject, OwnerReference } from '../../../api/types.js';

export const FOREGROUND = 'foregroundDeletion';
export const ORPHAN = 'orphan';

export interface GraphObject {
  resource: ResourceRef;
  object: KubeObject;
}

export interface GarbageObserved {
  /** Every object of the kinds the collector tracks. */
  objects: GraphObject[];
  /** Owners confirmed gone (no object with that uid where the dependent looks), by absentOwnerKey. */
  absentOwners: Set<string>;
}

export interface GarbageActions {
  /** Dependents whose owners are all gone: deleted, their own dependents in the background. */
  deleteOrphaned: GraphObject[];
  /** Dependents of owners deleted in the foreground: deleted in the foreground too. */
  deleteForeground: GraphObject[];
  /** Dependents of owners deleted with orphan propagation: the owner's reference is dropped. */
  release: { dependent: GraphObject; ownerReferences: OwnerReference[] }[];
  /** Owners whose dependents are dealt with: the finalizer that held them goes, so the deletion completes. */
  removeFinalizer: { owner: GraphObject; finalizer: string }[];
}

/** How a dependent in this namespace names its owner for absentOwners. */
export const absentOwnerKey = (dependentNamespace: string | undefined, owner: OwnerReference) => `${dependentNamespace ?? ''}/${owner.uid}`;

export function computeGarbageCollection({ objects, absentOwners }: GarbageObserved): GarbageActions {
  const actions: GarbageActions = { deleteOrphaned: [], deleteForeground: [], release: [], removeFinalizer: [] };
  const dependentsOf = (owner: KubeObject) => objects.filter((d) => d.object.metadata.ownerReferences?.some((o) => o.uid === owner.metadata.uid));
  for (const node of objects) {
    const { metadata } = node.object;
    const refs = metadata.ownerReferences ?? [];
    if (!metadata.deletionTimestamp) {
      if (refs.length && refs.every((o) => absentOwners.has(absentOwnerKey(metadata.namespace, o)))) actions.deleteOrphaned.push(node);
      continue;
    }
    const finalizers = metadata.finalizers ?? [];
    if (finalizers.includes(FOREGROUND)) {
      const deps = dependentsOf(node.object);
      actions.deleteForeground.push(...deps.filter((d) => !d.object.metadata.deletionTimestamp));
      // Dependents being deleted still block until they are gone.
      const blocking = deps.some((d) => d.object.metadata.ownerReferences?.some((o) => o.uid === metadata.uid && o.blockOwnerDeletion));
      if (!blocking) actions.removeFinalizer.push({ owner: node, finalizer: FOREGROUND });
    } else if (finalizers.includes(ORPHAN)) {
      for (const d of dependentsOf(node.object)) actions.release.push({ dependent: d, ownerReferences: (d.object.metadata.ownerReferences ?? []).filter((o) => o.uid !== metadata.uid) });
      actions.removeFinalizer.push({ owner: node, finalizer: ORPHAN });
    }
  }
  return actions;
}
