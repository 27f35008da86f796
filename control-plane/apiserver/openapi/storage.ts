// Storage: core/v1 PersistentVolume (a piece of storage in the cluster, bound to one claim) and storage.k8s.io/v1
// StorageClass (how volumes of a class are provisioned). PersistentVolumeClaim lives with the core kinds, where a
// StatefulSet's volumeClaimTemplates found it first.
import { bool, list, map, obj, pkg, ref, str, strings, strMap, typeMeta, type Definition } from './dsl.js';
import { core } from './core-pod.js';
import { meta, quantity, time } from './meta.js';

const storage = pkg('io.k8s.api.storage.v1');
const objectMeta = meta('ObjectMeta');

export const storageDefinitions: Definition[] = [
  obj(core('PersistentVolume'), 'A piece of storage in the cluster, provisioned by an administrator or by a StorageClass\'s provisioner, bound to at most one claim.', {
    ...typeMeta(objectMeta),
    spec: ref(core('PersistentVolumeSpec'), 'The volume\'s capacity, access modes, source and reclaim policy.', { default: {} }),
    status: ref(core('PersistentVolumeStatus'), 'The observed phase of the volume.', { default: {} }),
  }, { gvk: [{ group: '', version: 'v1', kind: 'PersistentVolume' }] }),
  obj(core('PersistentVolumeSpec'), 'What a volume is and where its data lives; set exactly one source.', {
    accessModes: strings('Ways the volume can be mounted: ReadWriteOnce, ReadOnlyMany, ReadWriteMany, ReadWriteOncePod.', { listType: 'atomic' }),
    capacity: map(quantity, 'The volume\'s size: storage.'),
    claimRef: ref(core('ObjectReference'), 'The claim bound to this volume (or reserved for it, before binding).'),
    hostPath: ref(core('HostPathVolumeSource'), 'A directory of a node (single-node test clusters).'),
    local: ref(core('LocalVolumeSource'), 'A directory or disk of one node; requires nodeAffinity.'),
    mountOptions: strings('Mount options for the volume\'s mounts.', { listType: 'atomic' }),
    nfs: ref(core('NFSVolumeSource'), 'An NFS export.'),
    nodeAffinity: ref(core('VolumeNodeAffinity'), 'The nodes the volume can be reached from; pods using it are scheduled there.'),
    persistentVolumeReclaimPolicy: str('What happens to the volume when its claim is deleted: Retain (default for manual volumes), Delete (default for provisioned ones) or Recycle.', { enum: ['Delete', 'Recycle', 'Retain'] }),
    storageClassName: str('The StorageClass the volume belongs to; empty for none.'),
    volumeAttributesClassName: str('The VolumeAttributesClass of the volume.'),
    volumeMode: str('Filesystem (default) or Block.', { enum: ['Block', 'Filesystem'] }),
  }),
  obj(core('PersistentVolumeStatus'), 'The observed phase of a volume.', {
    lastPhaseTransitionTime: time('When the phase last changed.'),
    message: str('Why the volume is in this phase, for people.'),
    phase: str('Pending, Available (free), Bound, Released (its claim was deleted) or Failed.', { enum: ['Available', 'Bound', 'Failed', 'Pending', 'Released'] }),
    reason: str('Why the volume is in this phase, for machines.'),
  }),
  obj(core('LocalVolumeSource'), 'A directory or disk of one node.', {
    fsType: str('Filesystem type of a block device; ignored for directories.'),
    path: str('Full path on the node.'),
  }, { required: ['path'] }),
  obj(core('VolumeNodeAffinity'), 'The nodes a volume is reachable from.', {
    required: ref(core('NodeSelector'), 'Nodes that must match for a pod using the volume to be scheduled there.'),
  }),
  obj(core('TopologySelectorTerm'), 'Topology requirements, ANDed.', {
    matchLabelExpressions: list(core('TopologySelectorLabelRequirement'), 'Label requirements.', { listType: 'atomic' }),
  }, { mapType: 'atomic' }),
  obj(core('TopologySelectorLabelRequirement'), 'A topology label and the values it may have.', {
    key: str('The label key.'),
    values: strings('Accepted values.', { listType: 'atomic' }),
  }, { required: ['key', 'values'] }),
  obj(storage('StorageClass'), 'A class of storage: the provisioner that creates volumes of the class and the parameters it is given. The annotation storageclass.kubernetes.io/is-default-class: "true" makes it the class of claims created without one.', {
    allowVolumeExpansion: bool('Whether claims of the class may grow.'),
    allowedTopologies: list(core('TopologySelectorTerm'), 'Where volumes of the class may be provisioned; empty for anywhere.', { listType: 'atomic' }),
    apiVersion: str('The versioned schema of this object (group/version), so that clients and servers agree on how to read it.'),
    kind: str('The REST resource this object represents, in CamelCase. Servers may infer it from the endpoint the request was sent to.'),
    metadata: ref(objectMeta, 'Standard object metadata: name, namespace, labels, annotations and the fields the server maintains.', { default: {} }),
    mountOptions: strings('Mount options for the volumes the class provisions.', { listType: 'atomic' }),
    parameters: strMap('Settings for the provisioner.'),
    provisioner: str('The provisioner that creates volumes of the class (kubets.io/local-path on kubets nodes).', { default: '' }),
    reclaimPolicy: str('Reclaim policy of provisioned volumes: Delete (default) or Retain.', { enum: ['Delete', 'Recycle', 'Retain'] }),
    volumeBindingMode: str('When claims are bound and provisioned: Immediate (default) or WaitForFirstConsumer (once a pod using the claim is scheduled, on its node).', { enum: ['Immediate', 'WaitForFirstConsumer'] }),
  }, { required: ['provisioner'], gvk: [{ group: 'storage.k8s.io', version: 'v1', kind: 'StorageClass' }] }),
];
