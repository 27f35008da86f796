// Matching claims to volumes (kube: pkg/controller/volume/persistentvolume/util's FindMatchingVolume and
// CheckVolumeModeMismatches), shared by the PV binder and the scheduler's volume binding: a volume fits a claim when
// it is free (or already reserved for it), of the claim's class and volume mode, offers every access mode asked for,
// is at least as large, and carries the labels the claim's selector asks for; the smallest such volume wins.
import { selectorMatches } from './labels.js';
import { parseQuantity } from './quantity.js';
import { claimClass, type PersistentVolume, type PersistentVolumeClaim } from './types.js';

/** Whether the volume's claimRef names this claim (by namespace and name, and uid when it has one). */
export function reservedFor(pv: PersistentVolume, claim: PersistentVolumeClaim): boolean {
  const ref = pv.spec?.claimRef;
  if (!ref) return false;
  return ref.namespace === claim.metadata.namespace && ref.name === claim.metadata.name && (!ref.uid || ref.uid === claim.metadata.uid);
}

/** Why the volume can't serve the claim, or undefined when it can (besides node affinity, which the caller judges). */
export function volumeMismatch(pv: PersistentVolume, claim: PersistentVolumeClaim): string | undefined {
  if (pv.metadata.deletionTimestamp) return 'volume is being deleted';
  if (pv.spec?.claimRef && !reservedFor(pv, claim)) return 'volume is reserved for another claim';
  if (!pv.spec?.claimRef && pv.status?.phase !== 'Available' && pv.status?.phase !== 'Pending' && pv.status?.phase !== undefined) return `volume is ${pv.status.phase}`;
  if ((pv.spec?.storageClassName ?? '') !== claimClass(claim)) return 'storage class does not match';
  if ((pv.spec?.volumeMode ?? 'Filesystem') !== (claim.spec?.volumeMode ?? 'Filesystem')) return 'volume mode does not match';
  const offered = new Set(pv.spec?.accessModes ?? []);
  if (!(claim.spec?.accessModes ?? []).every((m) => offered.has(m))) return 'access modes do not match';
  if (parseQuantity(pv.spec?.capacity?.storage) < parseQuantity(claim.spec?.resources?.requests?.storage)) return 'capacity is too small';
  if (claim.spec?.selector && !selectorMatches(claim.spec.selector, pv.metadata.labels)) return 'labels do not match the claim\'s selector';
  return undefined;
}

/**
 * The volume to bind the claim to among `volumes`: one already reserved for it, else the smallest that fits (ties by
 * name); `accept` narrows the candidates further (the scheduler's node affinity check).
 */
export function findMatchingVolume(claim: PersistentVolumeClaim, volumes: readonly PersistentVolume[], accept: (pv: PersistentVolume) => boolean = () => true): PersistentVolume | undefined {
  const fits = volumes.filter((pv) => !volumeMismatch(pv, claim) && accept(pv));
  const reserved = fits.find((pv) => reservedFor(pv, claim));
  if (reserved) return reserved;
  const size = (pv: PersistentVolume) => parseQuantity(pv.spec?.capacity?.storage);
  return fits.sort((a, b) => size(a) - size(b) || (a.metadata.name! < b.metadata.name! ? -1 : 1))[0];
}
