// Storage kinds (k8s.io/api/core/v1 PersistentVolume and PersistentVolumeClaim, k8s.io/api/storage/v1 StorageClass)
// and the annotations the binder, the scheduler and provisioners exchange through them. Only the fields kubets uses
// are typed; objects travel as plain JSON, so unknown fields pass through untouched.
import type { KubeObject, LabelSelector } from './meta.js';

export type PersistentVolumeAccessMode = 'ReadWriteOnce' | 'ReadOnlyMany' | 'ReadWriteMany' | 'ReadWriteOncePod';
export const ACCESS_MODES: PersistentVolumeAccessMode[] = ['ReadWriteOnce', 'ReadOnlyMany', 'ReadWriteMany', 'ReadWriteOncePod'];

export interface NodeSelectorRequirement {
  key: string;
  operator: string;
  values?: string[];
}

export interface NodeSelectorTerm {
  matchExpressions?: NodeSelectorRequirement[];
  matchFields?: NodeSelectorRequirement[];
}

export interface VolumeReference {
  apiVersion?: string;
  kind?: string;
  namespace?: string;
  name?: string;
  uid?: string;
  resourceVersion?: string;
}

export interface PersistentVolume extends KubeObject {
  spec: {
    capacity?: Record<string, string>;
    accessModes?: PersistentVolumeAccessMode[];
    claimRef?: VolumeReference;
    persistentVolumeReclaimPolicy?: 'Retain' | 'Delete' | 'Recycle';
    storageClassName?: string;
    volumeMode?: string;
    nodeAffinity?: { required?: { nodeSelectorTerms: NodeSelectorTerm[] } };
    hostPath?: { path: string; type?: string };
    local?: { path: string; fsType?: string };
    [source: string]: unknown;
  };
  status?: { phase?: 'Pending' | 'Available' | 'Bound' | 'Released' | 'Failed'; message?: string; reason?: string; lastPhaseTransitionTime?: string };
}

export interface PersistentVolumeClaim extends KubeObject {
  spec: {
    accessModes?: PersistentVolumeAccessMode[];
    resources?: { requests?: Record<string, string>; limits?: Record<string, string> };
    selector?: LabelSelector;
    storageClassName?: string | null;
    volumeName?: string;
    volumeMode?: string;
  };
  status?: { phase?: 'Pending' | 'Bound' | 'Lost'; accessModes?: PersistentVolumeAccessMode[]; capacity?: Record<string, string> };
}

export interface StorageClass extends KubeObject {
  provisioner: string;
  parameters?: Record<string, string>;
  reclaimPolicy?: 'Retain' | 'Delete';
  volumeBindingMode?: 'Immediate' | 'WaitForFirstConsumer';
  allowVolumeExpansion?: boolean;
  mountOptions?: string[];
}

/** The class PVCs without storageClassName get (the DefaultStorageClass admission plugin). */
export const DEFAULT_STORAGE_CLASS_ANNOTATION = 'storageclass.kubernetes.io/is-default-class';
/** The older spelling of the same, still honoured. */
export const BETA_DEFAULT_STORAGE_CLASS_ANNOTATION = 'storageclass.beta.kubernetes.io/is-default-class';
/** Set by the scheduler on a WaitForFirstConsumer claim: the node its first pod went to, where it is provisioned. */
export const SELECTED_NODE_ANNOTATION = 'volume.kubernetes.io/selected-node';
/** Set by the binder on a claim waiting for a provisioner: which one is asked to provision it. */
export const STORAGE_PROVISIONER_ANNOTATION = 'volume.kubernetes.io/storage-provisioner';
/** Set by a provisioner on the volumes it creates. */
export const PROVISIONED_BY_ANNOTATION = 'pv.kubernetes.io/provisioned-by';
/** Set by the binder on a claim once bound, and on a volume it bound. */
export const BIND_COMPLETED_ANNOTATION = 'pv.kubernetes.io/bind-completed';
export const BOUND_BY_CONTROLLER_ANNOTATION = 'pv.kubernetes.io/bound-by-controller';
/** The provisioner kubets nodes run. */
export const LOCAL_PATH_PROVISIONER = 'kubets.io/local-path';

/** Whether a StorageClass is marked as the default (storageutil.IsDefaultAnnotation). */
export const isDefaultClass = (c: KubeObject) => c.metadata.annotations?.[DEFAULT_STORAGE_CLASS_ANNOTATION] === 'true' || c.metadata.annotations?.[BETA_DEFAULT_STORAGE_CLASS_ANNOTATION] === 'true';

/** The class a claim asks for ("" for none): spec.storageClassName, else the old beta annotation. */
export function claimClass(c: PersistentVolumeClaim): string {
  if (typeof c.spec?.storageClassName === 'string') return c.spec.storageClassName;
  return c.metadata.annotations?.['volume.beta.kubernetes.io/storage-class'] ?? '';
}
