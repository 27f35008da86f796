// PersistentVolumes and PersistentVolumeClaims in the store (kube: pkg/registry/core/persistentvolume and
// persistentvolumeclaim, strategy.go; pkg/apis/core/validation's ValidatePersistentVolume*, with its wording):
// access modes and capacity or a storage request are required, a volume has exactly one source, a claim's spec is
// immutable once created except for its storage request growing while bound; both have a /status endpoint.
import { parseQuantity } from '../../../../api/quantity.js';
import { ACCESS_MODES, type KubeObject, type StatusCause } from '../../../../api/types.js';
import { strategy, type Strategy } from '../strategy.js';
import { forbidden, invalidValue, labelSelectorErrors, notSupported, required, subdomainErrors } from '../validation.js';

type Any = any;

const isObject = (v: unknown): v is Any => !!v && typeof v === 'object' && !Array.isArray(v);
const RECLAIM_POLICIES = ['Delete', 'Recycle', 'Retain'];
const VOLUME_MODES = ['Block', 'Filesystem'];
/** The volume sources a PersistentVolume may have (core.PersistentVolumeSource's fields). */
const PV_SOURCES = ['gcePersistentDisk', 'awsElasticBlockStore', 'hostPath', 'glusterfs', 'nfs', 'rbd', 'iscsi', 'cinder', 'cephfs', 'fc', 'flocker', 'flexVolume', 'azureFile', 'vsphereVolume', 'quobyte', 'azureDisk', 'photonPersistentDisk', 'portworxVolume', 'scaleIO', 'local', 'storageos', 'csi'];

function accessModeErrors(modes: unknown, field: string, emptyDetail?: string): StatusCause[] {
  if (!Array.isArray(modes) || !modes.length) return [required(field, emptyDetail)];
  const out: StatusCause[] = [];
  for (const m of modes) if (!ACCESS_MODES.includes(m)) out.push(notSupported(field, m, ACCESS_MODES));
  if (modes.includes('ReadWriteOncePod') && modes.length > 1) out.push(forbidden(field, 'may not use ReadWriteOncePod with other access modes'));
  return out;
}

/** ValidatePersistentVolumeSpec (the parts kubets can check). */
function pvSpecErrors(spec: Any): StatusCause[] {
  const out = accessModeErrors(spec.accessModes, 'spec.accessModes');
  const capacity = isObject(spec.capacity) ? spec.capacity : {};
  if (!Object.keys(capacity).length) out.push(required('spec.capacity'));
  for (const k of Object.keys(capacity)) if (k !== 'storage') out.push(notSupported('spec.capacity', k, ['storage']));
  if (capacity.storage !== undefined && !(parseQuantity(capacity.storage) > 0)) out.push(invalidValue('spec.capacity.storage', capacity.storage, 'must be greater than zero'));
  const policy = spec.persistentVolumeReclaimPolicy;
  if (policy !== undefined && !RECLAIM_POLICIES.includes(policy)) out.push(notSupported('spec.persistentVolumeReclaimPolicy', policy, RECLAIM_POLICIES));
  if (typeof spec.storageClassName === 'string' && spec.storageClassName) out.push(...subdomainErrors('spec.storageClassName', spec.storageClassName));
  if (spec.volumeMode !== undefined && !VOLUME_MODES.includes(spec.volumeMode)) out.push(notSupported('spec.volumeMode', spec.volumeMode, VOLUME_MODES));
  const sources = PV_SOURCES.filter((s) => spec[s] !== undefined && spec[s] !== null);
  if (!sources.length) out.push(required('spec', 'must specify a volume type'));
  for (const extra of sources.slice(1)) out.push(forbidden(`spec.${extra}`, 'may not specify more than 1 volume type'));
  if (isObject(spec.hostPath) && !spec.hostPath.path) out.push(required('spec.hostPath.path'));
  if (isObject(spec.local)) {
    if (!spec.local.path) out.push(required('spec.local.path'));
    if (!isObject(spec.nodeAffinity)) out.push(required('spec.nodeAffinity', 'Local volume requires node affinity'));
  }
  if (isObject(spec.nodeAffinity) && !isObject(spec.nodeAffinity.required)) out.push(required('spec.nodeAffinity.required'));
  return out;
}

/** ValidatePersistentVolume / ValidatePersistentVolumeUpdate: the source and volume mode are fixed at creation. */
export function validatePersistentVolume(obj: KubeObject, old?: KubeObject): StatusCause[] {
  const spec = (obj as Any).spec ?? {};
  const out = pvSpecErrors(spec);
  if (old) {
    const was = (old as Any).spec ?? {};
    const source = (s: Any) => JSON.stringify(PV_SOURCES.map((k) => s[k] ?? null));
    if (source(spec) !== source(was)) out.push(forbidden('spec.persistentvolumesource', 'spec.persistentvolumesource is immutable after creation'));
    if ((spec.volumeMode ?? '') !== (was.volumeMode ?? '')) out.push(invalidValue('spec.volumeMode', spec.volumeMode, 'field is immutable'));
    if (was.nodeAffinity && JSON.stringify(spec.nodeAffinity) !== JSON.stringify(was.nodeAffinity)) out.push(invalidValue('spec.nodeAffinity', spec.nodeAffinity, 'field is immutable'));
  }
  return out;
}

/** SetDefaults_PersistentVolume. */
export function defaultPersistentVolume(obj: KubeObject): void {
  const o = obj as Any;
  o.spec ??= {};
  o.spec.persistentVolumeReclaimPolicy ??= 'Retain';
  o.spec.volumeMode ??= 'Filesystem';
  o.status ??= {};
  o.status.phase ??= 'Pending';
}

/** ValidatePersistentVolumeClaimSpec. */
function pvcSpecErrors(spec: Any): StatusCause[] {
  const out = accessModeErrors(spec.accessModes, 'spec.accessModes', 'at least 1 access mode is required');
  if (spec.selector !== undefined && spec.selector !== null) out.push(...labelSelectorErrors('spec.selector', spec.selector));
  const storage = spec.resources?.requests?.storage;
  if (storage === undefined || storage === null) out.push(required('spec.resources[storage]'));
  else if (!(parseQuantity(storage) > 0)) out.push(invalidValue('spec.resources[storage]', storage, 'must be greater than zero'));
  if (typeof spec.storageClassName === 'string' && spec.storageClassName) out.push(...subdomainErrors('spec.storageClassName', spec.storageClassName));
  if (spec.volumeMode !== undefined && !VOLUME_MODES.includes(spec.volumeMode)) out.push(notSupported('spec.volumeMode', spec.volumeMode, VOLUME_MODES));
  return out;
}

/**
 * ValidatePersistentVolumeClaim / ValidatePersistentVolumeClaimUpdate: after creation only the binder's volumeName
 * (once), a class for a claim that had none, and a bound claim's storage request (never smaller) may change.
 */
export function validatePersistentVolumeClaim(obj: KubeObject, old?: KubeObject): StatusCause[] {
  const o = obj as Any;
  const spec = o.spec ?? {};
  const out = pvcSpecErrors(spec);
  if (!old) return out;
  const was = (old as Any).spec ?? {};
  const c = structuredClone(spec);
  if (!was.volumeName) c.volumeName = was.volumeName;
  if (was.storageClassName === undefined || was.storageClassName === null) c.storageClassName = was.storageClassName;
  if ((old as Any).status?.phase === 'Bound' && c.resources?.requests) c.resources.requests.storage = was.resources?.requests?.storage;
  if (JSON.stringify(sorted(c)) !== JSON.stringify(sorted(was)))
    out.push(forbidden('spec', 'spec is immutable after creation except resources.requests and volumeAttributesClassName for bound claims'));
  const before = parseQuantity(was.resources?.requests?.storage);
  const after = parseQuantity(spec.resources?.requests?.storage);
  if (after < before) out.push(forbidden('spec.resources.requests.storage', 'field can not be less than previous value'));
  return out;
}

/** JSON with keys in order, so that two specs compare by content. */
function sorted(v: unknown): unknown {
  if (Array.isArray(v)) return v.map(sorted);
  if (!isObject(v)) return v;
  return Object.fromEntries(Object.keys(v).sort().filter((k) => v[k] !== undefined).map((k) => [k, sorted(v[k])]));
}

/** SetDefaults_PersistentVolumeClaim. */
export function defaultPersistentVolumeClaim(obj: KubeObject): void {
  const o = obj as Any;
  o.spec ??= {};
  o.spec.volumeMode ??= 'Filesystem';
  o.status ??= {};
  o.status.phase ??= 'Pending';
}

export const persistentVolumeStrategy: Strategy = strategy({ statusSubresource: true, defaults: defaultPersistentVolume, validate: validatePersistentVolume });
export const persistentVolumeClaimStrategy: Strategy = strategy({ statusSubresource: true, defaults: defaultPersistentVolumeClaim, validate: validatePersistentVolumeClaim });
