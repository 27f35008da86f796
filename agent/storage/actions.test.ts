// The local-path provisioner's decisions: which claims this node provisions, the volume it makes, which it deletes.
import t from 'tap';
import type { PersistentVolume, PersistentVolumeClaim, StorageClass } from '../../api/types.js';
import { classToProvision, provisionedVolume, shouldDelete } from './actions.js';

const classes = new Map<string, StorageClass>([
  ['standard', { metadata: { name: 'standard' }, provisioner: 'kubets.io/local-path', reclaimPolicy: 'Delete', volumeBindingMode: 'WaitForFirstConsumer' }],
  ['other', { metadata: { name: 'other' }, provisioner: 'example.com/nfs', reclaimPolicy: 'Delete', volumeBindingMode: 'Immediate' }],
]);
const claim = (storageClassName: string, node?: string, volumeName?: string): PersistentVolumeClaim => ({
  metadata: { name: 'data', namespace: 'apps', uid: 'u1', resourceVersion: '7', ...(node ? { annotations: { 'volume.kubernetes.io/selected-node': node } } : {}) },
  spec: { accessModes: ['ReadWriteOnce'], resources: { requests: { storage: '2Gi' } }, storageClassName, ...(volumeName ? { volumeName } : {}) },
});

t.test('which claims this node provisions', async (t) => {
  t.equal(classToProvision(claim('standard', 'n1'), classes, 'n1')?.metadata.name, 'standard');
  t.notOk(classToProvision(claim('standard', 'n2'), classes, 'n1'), 'selected to another node');
  t.notOk(classToProvision(claim('standard'), classes, 'n1'), 'no node selected yet');
  t.notOk(classToProvision(claim('other', 'n1'), classes, 'n1'), 'another provisioner\'s class');
  t.notOk(classToProvision(claim('standard', 'n1', 'pv'), classes, 'n1'), 'already bound');
});

t.test('the volume made for a claim, and when it is deleted', async (t) => {
  const pv = provisionedVolume(claim('standard', 'n1'), classes.get('standard')!, 'n1', '/var/lib/kubets/storage/pvc-u1');
  t.same(pv, {
    apiVersion: 'v1',
    kind: 'PersistentVolume',
    metadata: { name: 'pvc-u1', annotations: { 'pv.kubernetes.io/provisioned-by': 'kubets.io/local-path' } },
    spec: {
      capacity: { storage: '2Gi' },
      accessModes: ['ReadWriteOnce'],
      persistentVolumeReclaimPolicy: 'Delete',
      storageClassName: 'standard',
      volumeMode: 'Filesystem',
      claimRef: { kind: 'PersistentVolumeClaim', apiVersion: 'v1', namespace: 'apps', name: 'data', uid: 'u1', resourceVersion: '7' },
      hostPath: { path: '/var/lib/kubets/storage/pvc-u1', type: 'DirectoryOrCreate' },
      nodeAffinity: { required: { nodeSelectorTerms: [{ matchExpressions: [{ key: 'kubernetes.io/hostname', operator: 'In', values: ['n1'] }] }] } },
    },
  });
  const phase = (p: NonNullable<PersistentVolume['status']>['phase'], policy: 'Delete' | 'Retain' = 'Delete'): PersistentVolume => ({ ...pv, spec: { ...pv.spec, persistentVolumeReclaimPolicy: policy }, status: { phase: p } });
  t.ok(shouldDelete(phase('Released'), 'n1'), 'Released with Delete, on its node');
  t.notOk(shouldDelete(phase('Released'), 'n2'), 'another node\'s data');
  t.notOk(shouldDelete(phase('Bound'), 'n1'), 'still bound');
  t.notOk(shouldDelete(phase('Released', 'Retain'), 'n1'), 'Retain keeps it');
  t.notOk(shouldDelete({ ...phase('Released'), metadata: { name: 'manual' } }, 'n1'), 'not one it provisioned');
});
