// The binder's decisions as table tests: what a claim and a volume lead to, for each state the binder meets.
import t from 'tap';
import type { PersistentVolume, PersistentVolumeClaim, StorageClass } from '../../../api/types.js';
import { computeClaimSync, computeVolumeSync, type BinderStep } from './actions.js';

const claim = (name: string, spec: Partial<PersistentVolumeClaim['spec']> = {}, extra: Partial<PersistentVolumeClaim> = {}): PersistentVolumeClaim => ({
  metadata: { name, namespace: 'default', uid: `uid-${name}`, ...(extra.metadata ?? {}) },
  spec: { accessModes: ['ReadWriteOnce'], resources: { requests: { storage: '1Gi' } }, storageClassName: 'manual', ...spec },
  status: extra.status ?? { phase: 'Pending' },
});
const volume = (name: string, size: string, extra: Partial<PersistentVolume['spec']> = {}, phase: NonNullable<PersistentVolume['status']>['phase'] = 'Available', labels?: Record<string, string>): PersistentVolume => ({
  metadata: { name, ...(labels ? { labels } : {}) },
  spec: { capacity: { storage: size }, accessModes: ['ReadWriteOnce', 'ReadOnlyMany'], storageClassName: 'manual', persistentVolumeReclaimPolicy: 'Retain', hostPath: { path: `/tmp/${name}` }, ...extra },
  status: { phase },
});
const sc = (name: string, volumeBindingMode: StorageClass['volumeBindingMode'], provisioner = 'kubets.io/local-path'): [string, StorageClass] => [name, { metadata: { name }, provisioner, volumeBindingMode, reclaimPolicy: 'Delete' }];
const summary = (steps: BinderStep[]) =>
  steps.map((s) => {
    switch (s.type) {
      case 'bindVolume':
      case 'bindClaim':
        return `${s.type} ${s.volume.metadata.name}`;
      case 'volumePhase':
        return `volume ${s.phase}`;
      case 'claimPhase':
        return `claim ${s.phase}`;
      case 'annotateClaim':
        return `annotate ${JSON.stringify(s.annotations)}`;
      case 'event':
        return `${s.eventType} ${s.reason}: ${s.message}`;
    }
  });

t.test('claim sync', async (t) => {
  const classes = new Map([sc('standard', 'WaitForFirstConsumer'), sc('fast', 'Immediate'), sc('static', 'Immediate', 'kubernetes.io/no-provisioner')]);
  const volumes = [volume('big', '10Gi'), volume('small', '2Gi'), volume('tiny', '500Mi'), volume('taken', '1Gi', { claimRef: { namespace: 'default', name: 'other', uid: 'uid-other' } }, 'Bound'), volume('rwx', '1Gi', { accessModes: ['ReadWriteMany'] })];
  const cases: [string, PersistentVolumeClaim, string[]][] = [
    ['the smallest volume that fits', claim('a'), ['bindVolume small', 'bindClaim small']],
    ['a selector nothing matches, of a class that does not exist', claim('a', { selector: { matchLabels: { disk: 'ssd' } } }), ['Warning ProvisioningFailed: storageclass.storage.k8s.io "manual" not found']],
    ['no class and nothing fits', claim('a', { storageClassName: '', resources: { requests: { storage: '1Ti' } } }), ['Normal FailedBinding: no persistent volumes available for this claim and no storage class is set']],
    ['WaitForFirstConsumer without a node', claim('a', { storageClassName: 'standard' }), ['Normal WaitForFirstConsumer: waiting for first consumer to be created before binding']],
    [
      'WaitForFirstConsumer with its node: the provisioner is asked',
      claim('a', { storageClassName: 'standard' }, { metadata: { name: 'a', annotations: { 'volume.kubernetes.io/selected-node': 'n1' } } }),
      ['annotate {"volume.kubernetes.io/storage-provisioner":"kubets.io/local-path","volume.beta.kubernetes.io/storage-provisioner":"kubets.io/local-path"}', "Normal ExternalProvisioning: Waiting for a volume to be created either by the external provisioner 'kubets.io/local-path' or manually by the system administrator. If volume creation is delayed, please verify that the provisioner is running and correctly registered."],
    ],
    ['an Immediate class with nothing free: provisioning', claim('a', { storageClassName: 'fast' }), ['annotate {"volume.kubernetes.io/storage-provisioner":"kubets.io/local-path","volume.beta.kubernetes.io/storage-provisioner":"kubets.io/local-path"}', "Normal ExternalProvisioning: Waiting for a volume to be created either by the external provisioner 'kubets.io/local-path' or manually by the system administrator. If volume creation is delayed, please verify that the provisioner is running and correctly registered."]],
    ['a class without a provisioner', claim('a', { storageClassName: 'static' }), ['Normal FailedBinding: no persistent volumes available for this claim and storage class "static" has no provisioner']],
    ['asked for a volume by name, not there yet', claim('a', { volumeName: 'later' }), []],
    ['asked for a volume bound to another claim', claim('a', { volumeName: 'taken' }), ['Warning FailedBinding: volume "taken" already bound to a different claim.']],
    ['bound claim whose volume went', claim('a', { volumeName: 'gone' }, { status: { phase: 'Bound' } }), ['claim Lost', 'Warning ClaimLost: Bound claim has lost reference to PersistentVolume. Data on the volume is lost!']],
    ['a claim being deleted', claim('a', {}, { metadata: { name: 'a', deletionTimestamp: '2026-01-01T00:00:00Z' } }), []],
  ];
  for (const [what, c, want] of cases) t.same(summary(computeClaimSync({ claim: c, volumes, classes })), want, what);

  const reserved = volume('mine', '1Gi', { claimRef: { namespace: 'default', name: 'a', uid: 'uid-a' }, storageClassName: 'standard' });
  t.same(summary(computeClaimSync({ claim: claim('a', { storageClassName: 'standard' }), volumes: [...volumes, reserved], classes })), ['bindVolume mine', 'bindClaim mine'], 'a delayed claim binds the volume reserved for it');
  const done = claim('a', { volumeName: 'mine', storageClassName: 'standard' }, { metadata: { name: 'a', annotations: { 'pv.kubernetes.io/bind-completed': 'yes' } }, status: { phase: 'Bound' } });
  t.same(summary(computeClaimSync({ claim: done, volumes: [{ ...reserved, status: { phase: 'Bound' } }], classes })), [], 'a bound claim needs nothing');
});

t.test('volume sync', async (t) => {
  const bound = (policy: 'Retain' | 'Delete', annotations?: Record<string, string>): PersistentVolume => ({ ...volume('v', '1Gi', { claimRef: { namespace: 'default', name: 'a', uid: 'uid-a' }, persistentVolumeReclaimPolicy: policy }, 'Bound'), metadata: { name: 'v', ...(annotations ? { annotations } : {}) } });
  t.same(summary(computeVolumeSync({ volume: volume('new', '1Gi', {}, 'Pending'), claim: undefined })), ['volume Available'], 'a new volume becomes Available');
  t.same(summary(computeVolumeSync({ volume: bound('Retain'), claim: claim('a', { volumeName: 'v' }, { status: { phase: 'Bound' } }) })), [], 'bound to a live claim');
  t.same(summary(computeVolumeSync({ volume: bound('Retain'), claim: undefined })), ['volume Released'], 'Retain: Released and kept');
  t.same(summary(computeVolumeSync({ volume: bound('Retain'), claim: claim('a', {}, { metadata: { name: 'a', uid: 'another' } }) })), ['volume Released'], 'a new claim of the same name is not the old one');
  t.same(summary(computeVolumeSync({ volume: bound('Delete', { 'pv.kubernetes.io/provisioned-by': 'kubets.io/local-path' }), claim: undefined })), ['volume Released'], 'Delete of a provisioned volume: left to its provisioner');
  t.same(summary(computeVolumeSync({ volume: bound('Delete'), claim: undefined })), ['volume Released', 'volume Failed', 'Warning VolumeFailedDelete: error getting deleter volume plugin for volume "v": no deletable volume plugin matched'], 'Delete with no deleter: Failed');
});
