// The PV binder's decisions (kube: pkg/controller/volume/persistentvolume/pv_controller.go, syncClaim and
// syncVolume), pure functions of the observed claims, volumes and classes. A claim is bound to a matching free volume
// (Immediate classes, or claims with no class), waits for its first pod's node (WaitForFirstConsumer), or waits for
// its class's provisioner; a volume whose claim is gone is Released and then kept (Retain) or deleted (Delete, by the
// provisioner that made it).
import { findMatchingVolume, reservedFor } from '../../../api/persistentvolumes.js';
import {
  BIND_COMPLETED_ANNOTATION,
  BOUND_BY_CONTROLLER_ANNOTATION,
  claimClass,
  PROVISIONED_BY_ANNOTATION,
  SELECTED_NODE_ANNOTATION,
  STORAGE_PROVISIONER_ANNOTATION,
  type KubeObject,
  type PersistentVolume,
  type PersistentVolumeClaim,
  type StorageClass,
} from '../../../api/types.js';

export type BinderStep =
  /** Reserve the volume for the claim: spec.claimRef (with the claim's uid), then status Bound. */
  | { type: 'bindVolume'; volume: PersistentVolume; claim: PersistentVolumeClaim }
  /** Point the claim at the volume: spec.volumeName and the bind annotations, then status Bound with its size. */
  | { type: 'bindClaim'; claim: PersistentVolumeClaim; volume: PersistentVolume }
  | { type: 'volumePhase'; volume: PersistentVolume; phase: NonNullable<PersistentVolume['status']>['phase']; message?: string }
  | { type: 'claimPhase'; claim: PersistentVolumeClaim; phase: NonNullable<PersistentVolumeClaim['status']>['phase'] }
  /** Ask the class's provisioner for a volume (volume.kubernetes.io/storage-provisioner). */
  | { type: 'annotateClaim'; claim: PersistentVolumeClaim; annotations: Record<string, string> }
  | { type: 'event'; object: KubeObject; eventType: 'Normal' | 'Warning'; reason: string; message: string };

export interface ClaimObserved {
  claim: PersistentVolumeClaim;
  volumes: readonly PersistentVolume[];
  classes: ReadonlyMap<string, StorageClass>;
}

const NO_CLASS_MESSAGE = 'no persistent volumes available for this claim and no storage class is set';
const WAIT_MESSAGE = 'waiting for first consumer to be created before binding';

/** The provisioner a claim waits for, and the steps that tell the claim (and the user) so. */
function provision(claim: PersistentVolumeClaim, cls: StorageClass): BinderStep[] {
  const steps: BinderStep[] = [];
  if (claim.metadata.annotations?.[STORAGE_PROVISIONER_ANNOTATION] !== cls.provisioner)
    steps.push({ type: 'annotateClaim', claim, annotations: { [STORAGE_PROVISIONER_ANNOTATION]: cls.provisioner, 'volume.beta.kubernetes.io/storage-provisioner': cls.provisioner } });
  steps.push({ type: 'event', object: claim, eventType: 'Normal', reason: 'ExternalProvisioning', message: `Waiting for a volume to be created either by the external provisioner '${cls.provisioner}' or manually by the system administrator. If volume creation is delayed, please verify that the provisioner is running and correctly registered.` });
  return steps;
}

/** syncClaim: what to do for one claim. */
export function computeClaimSync({ claim, volumes, classes }: ClaimObserved): BinderStep[] {
  if (claim.metadata.deletionTimestamp) return [];
  const pending: BinderStep[] = claim.status?.phase === 'Pending' ? [] : [{ type: 'claimPhase', claim, phase: 'Pending' }];
  const name = claim.spec?.volumeName;
  if (!name) {
    const className = claimClass(claim);
    const cls = className ? classes.get(className) : undefined;
    const delayed = cls?.volumeBindingMode === 'WaitForFirstConsumer';
    // A delayed claim binds only to the volume the scheduler reserved for it, on the node its pod went to.
    const volume = delayed ? volumes.find((v) => reservedFor(v, claim) && !v.metadata.deletionTimestamp) : findMatchingVolume(claim, volumes);
    if (volume) return [{ type: 'bindVolume', volume, claim }, { type: 'bindClaim', claim, volume }];
    if (!className) return [...pending, { type: 'event', object: claim, eventType: 'Normal', reason: 'FailedBinding', message: NO_CLASS_MESSAGE }];
    if (!cls) return [...pending, { type: 'event', object: claim, eventType: 'Warning', reason: 'ProvisioningFailed', message: `storageclass.storage.k8s.io "${className}" not found` }];
    if (delayed && !claim.metadata.annotations?.[SELECTED_NODE_ANNOTATION]) return [...pending, { type: 'event', object: claim, eventType: 'Normal', reason: 'WaitForFirstConsumer', message: WAIT_MESSAGE }];
    if (cls.provisioner === 'kubernetes.io/no-provisioner') return [...pending, { type: 'event', object: claim, eventType: 'Normal', reason: 'FailedBinding', message: `no persistent volumes available for this claim and storage class "${className}" has no provisioner` }];
    return [...pending, ...provision(claim, cls)];
  }
  const volume = volumes.find((v) => v.metadata.name === name);
  if (!volume) {
    if (claim.status?.phase === 'Bound') return [{ type: 'claimPhase', claim, phase: 'Lost' }, { type: 'event', object: claim, eventType: 'Warning', reason: 'ClaimLost', message: 'Bound claim has lost reference to PersistentVolume. Data on the volume is lost!' }];
    return pending; // asked for by name: wait for it to be created
  }
  if (!volume.spec?.claimRef) return [{ type: 'bindVolume', volume, claim }, { type: 'bindClaim', claim, volume }];
  if (!reservedFor(volume, claim)) {
    if (claim.status?.phase === 'Bound') return [{ type: 'claimPhase', claim, phase: 'Lost' }, { type: 'event', object: claim, eventType: 'Warning', reason: 'ClaimMisbound', message: 'Two claims are bound to the same volume, this one is bound incorrectly' }];
    return [...pending, { type: 'event', object: claim, eventType: 'Warning', reason: 'FailedBinding', message: `volume "${name}" already bound to a different claim.` }];
  }
  const steps: BinderStep[] = [];
  if (!volume.spec.claimRef.uid || volume.status?.phase !== 'Bound') steps.push({ type: 'bindVolume', volume, claim });
  if (claim.status?.phase !== 'Bound' || claim.metadata.annotations?.[BIND_COMPLETED_ANNOTATION] !== 'yes') steps.push({ type: 'bindClaim', claim, volume });
  return steps;
}

export interface VolumeObserved {
  volume: PersistentVolume;
  /** The claim its claimRef names, as the cache has it (the controller checks the API before releasing). */
  claim: PersistentVolumeClaim | undefined;
}

/** syncVolume: what to do for one volume. */
export function computeVolumeSync({ volume, claim }: VolumeObserved): BinderStep[] {
  if (volume.metadata.deletionTimestamp) return [];
  const phase = volume.status?.phase;
  const ref = volume.spec?.claimRef;
  if (!ref || !ref.uid) return phase === 'Available' || phase === 'Failed' ? [] : [{ type: 'volumePhase', volume, phase: 'Available' }];
  if (claim && claim.metadata.uid === ref.uid) {
    // Bound, or reserved for a claim that does not know yet (its sync binds it).
    if (claim.spec?.volumeName === volume.metadata.name && phase !== 'Bound') return [{ type: 'volumePhase', volume, phase: 'Bound' }];
    return [];
  }
  // The claim is gone: the volume is released, then reclaimed by its policy.
  const steps: BinderStep[] = [];
  if (phase !== 'Released' && phase !== 'Failed') steps.push({ type: 'volumePhase', volume, phase: 'Released' });
  if (phase === 'Failed') return steps;
  const policy = volume.spec.persistentVolumeReclaimPolicy ?? 'Retain';
  if (policy === 'Retain') return steps;
  // A provisioned volume is deleted by its provisioner, which removes the data first.
  if (policy === 'Delete' && volume.metadata.annotations?.[PROVISIONED_BY_ANNOTATION]) return steps;
  const message = policy === 'Delete' ? `error getting deleter volume plugin for volume "${volume.metadata.name}": no deletable volume plugin matched` : 'No recycler plugin found for the volume!';
  steps.push({ type: 'volumePhase', volume, phase: 'Failed', message }, { type: 'event', object: volume, eventType: 'Warning', reason: policy === 'Delete' ? 'VolumeFailedDelete' : 'VolumeFailedRecycle', message });
  return steps;
}

/** The claim after binding to the volume (bind annotations, volumeName). */
export function boundClaim(claim: PersistentVolumeClaim, volume: PersistentVolume): PersistentVolumeClaim {
  const c = structuredClone(claim);
  c.spec.volumeName = volume.metadata.name;
  c.metadata.annotations = { ...c.metadata.annotations, [BIND_COMPLETED_ANNOTATION]: 'yes' };
  if (claim.spec?.volumeName !== volume.metadata.name) c.metadata.annotations[BOUND_BY_CONTROLLER_ANNOTATION] = 'yes';
  return c;
}

/** The volume reserved for the claim (claimRef with its uid and resourceVersion). */
export function boundVolume(volume: PersistentVolume, claim: PersistentVolumeClaim): PersistentVolume {
  const v = structuredClone(volume);
  if (!v.spec.claimRef?.uid) v.metadata.annotations = { ...v.metadata.annotations, [BOUND_BY_CONTROLLER_ANNOTATION]: 'yes' };
  v.spec.claimRef = { kind: 'PersistentVolumeClaim', namespace: claim.metadata.namespace, name: claim.metadata.name, uid: claim.metadata.uid, apiVersion: 'v1', resourceVersion: claim.metadata.resourceVersion };
  return v;
}
