// The local-path provisioner's decisions (the shape of rancher/local-path-provisioner, as a node-local part of the
// agent): which claims this node provisions — unbound, of a class whose provisioner is kubets.io/local-path, and
// selected to this node by the scheduler — the volume it creates for each (a directory of the node, reachable only
// from it), and which of its volumes to delete (Released, reclaim policy Delete).
import {
  LOCAL_PATH_PROVISIONER,
  PROVISIONED_BY_ANNOTATION,
  SELECTED_NODE_ANNOTATION,
  claimClass,
  type PersistentVolume,
  type PersistentVolumeClaim,
  type StorageClass,
} from '../../api/types.js';

/** The hostname label every node carries (kubelet's), which provisioned volumes' node affinity names. */
const HOSTNAME_LABEL = 'kubernetes.io/hostname';

/** The name of the volume provisioned for a claim, as external provisioners name it. */
export const volumeNameFor = (claim: PersistentVolumeClaim) => `pvc-${claim.metadata.uid}`;

/** The class whose provisioner this node runs for the claim, when the claim is this node's to provision. */
export function classToProvision(claim: PersistentVolumeClaim, classes: ReadonlyMap<string, StorageClass>, nodeName: string): StorageClass | undefined {
  if (claim.metadata.deletionTimestamp || claim.spec?.volumeName) return undefined;
  if (claim.metadata.annotations?.[SELECTED_NODE_ANNOTATION] !== nodeName) return undefined;
  const cls = classes.get(claimClass(claim));
  return cls?.provisioner === LOCAL_PATH_PROVISIONER ? cls : undefined;
}

/** The volume for a claim: its requested size and modes, a directory of this node, pre-bound to the claim. */
export function provisionedVolume(claim: PersistentVolumeClaim, cls: StorageClass, nodeName: string, dir: string): PersistentVolume {
  return {
    apiVersion: 'v1',
    kind: 'PersistentVolume',
    metadata: { name: volumeNameFor(claim), annotations: { [PROVISIONED_BY_ANNOTATION]: LOCAL_PATH_PROVISIONER } },
    spec: {
      capacity: { storage: claim.spec.resources?.requests?.storage ?? '0' },
      accessModes: claim.spec.accessModes,
      persistentVolumeReclaimPolicy: cls.reclaimPolicy ?? 'Delete',
      storageClassName: cls.metadata.name,
      volumeMode: claim.spec.volumeMode ?? 'Filesystem',
      ...(cls.mountOptions ? { mountOptions: cls.mountOptions } : {}),
      claimRef: { kind: 'PersistentVolumeClaim', apiVersion: 'v1', namespace: claim.metadata.namespace, name: claim.metadata.name, uid: claim.metadata.uid, resourceVersion: claim.metadata.resourceVersion },
      hostPath: { path: dir, type: 'DirectoryOrCreate' },
      nodeAffinity: { required: { nodeSelectorTerms: [{ matchExpressions: [{ key: HOSTNAME_LABEL, operator: 'In', values: [nodeName] }] }] } },
    },
  };
}

/** Whether the volume is one this node provisioned (its data lives here). */
export function provisionedHere(pv: PersistentVolume, nodeName: string): boolean {
  if (pv.metadata.annotations?.[PROVISIONED_BY_ANNOTATION] !== LOCAL_PATH_PROVISIONER) return false;
  const terms = pv.spec?.nodeAffinity?.required?.nodeSelectorTerms ?? [];
  return terms.some((t) => (t.matchExpressions ?? []).some((e) => e.key === HOSTNAME_LABEL && e.operator === 'In' && (e.values ?? []).includes(nodeName)));
}

/** Whether this node should remove the volume's data and then the volume. */
export function shouldDelete(pv: PersistentVolume, nodeName: string): boolean {
  return provisionedHere(pv, nodeName) && !pv.metadata.deletionTimestamp && pv.status?.phase === 'Released' && (pv.spec?.persistentVolumeReclaimPolicy ?? 'Delete') === 'Delete';
}
