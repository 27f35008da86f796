// The VolumeBinding plugin's parts as table tests: PreFilter's refusals, Filter's node affinity and delayed-binding
// checks, and what binding the pod asks of its claims.
import t from 'tap';
import type { Node, PersistentVolume, PersistentVolumeClaim, Pod, StorageClass } from '../../api/types.js';
import { schedule } from './index.js';
import { volumeAssumptions, type VolumeState } from './volumebinding.js';

const node = (name: string): Node => ({ metadata: { name, labels: { 'kubernetes.io/hostname': name } }, spec: {}, status: { allocatable: { cpu: '2', memory: '4Gi', pods: '110' }, conditions: [{ type: 'Ready', status: 'True' }] } });
const nodes = ['n1', 'n2', 'n3'].map((n) => ({ node: node(n), pods: [] }));
const pod = (...claims: string[]): Pod => ({ metadata: { name: 'p', namespace: 'default', uid: 'p' }, spec: { containers: [{ name: 'c', image: 'busybox:1.35' }], volumes: claims.map((c) => ({ name: c, persistentVolumeClaim: { claimName: c } })) } });
const claim = (name: string, storageClassName: string, volumeName?: string, extra: Partial<PersistentVolumeClaim['metadata']> = {}): PersistentVolumeClaim => ({ metadata: { name, namespace: 'default', uid: `uid-${name}`, ...extra }, spec: { accessModes: ['ReadWriteOnce'], resources: { requests: { storage: '1Gi' } }, storageClassName, ...(volumeName ? { volumeName } : {}) }, status: { phase: volumeName ? 'Bound' : 'Pending' } });
const onNode = (name: string, nodeName: string, storageClassName: string, claimRef?: string): PersistentVolume => ({
  metadata: { name },
  spec: { capacity: { storage: '1Gi' }, accessModes: ['ReadWriteOnce'], storageClassName, local: { path: '/mnt/x' }, nodeAffinity: { required: { nodeSelectorTerms: [{ matchExpressions: [{ key: 'kubernetes.io/hostname', operator: 'In', values: [nodeName] }] }] } }, ...(claimRef ? { claimRef: { namespace: 'default', name: claimRef, uid: `uid-${claimRef}` } } : {}) },
  status: { phase: claimRef ? 'Bound' : 'Available' },
});
const classes = new Map<string, StorageClass>([
  ['standard', { metadata: { name: 'standard' }, provisioner: 'kubets.io/local-path', volumeBindingMode: 'WaitForFirstConsumer' }],
  ['local', { metadata: { name: 'local' }, provisioner: 'kubernetes.io/no-provisioner', volumeBindingMode: 'WaitForFirstConsumer' }],
  ['fast', { metadata: { name: 'fast' }, provisioner: 'kubets.io/local-path', volumeBindingMode: 'Immediate' }],
]);
const state = (claims: PersistentVolumeClaim[], volumes: PersistentVolume[] = []): VolumeState => ({ claim: (ns, n) => claims.find((c) => c.metadata.namespace === ns && c.metadata.name === n), volumes, classes });
const tail = 'preemption: 0/3 nodes are available: 3 Preemption is not helpful for scheduling.';

t.test('PreFilter: missing, deleted and unbound immediate claims refuse every node', async (t) => {
  t.equal(schedule(pod('data'), nodes, { volumes: state([]) }).message, `0/3 nodes are available: persistentvolumeclaim "data" not found. ${tail}`);
  t.equal(schedule(pod('data'), nodes, { volumes: state([claim('data', 'standard', undefined, { deletionTimestamp: '2026-01-01T00:00:00Z' })]) }).message, `0/3 nodes are available: persistentvolumeclaim "data" is being deleted. ${tail}`);
  t.equal(schedule(pod('data'), nodes, { volumes: state([claim('data', 'fast')]) }).message, `0/3 nodes are available: pod has unbound immediate PersistentVolumeClaims. ${tail}`);
});

t.test('Filter: a bound volume\'s node affinity, and where a delayed claim can get a volume', async (t) => {
  const bound = state([claim('data', 'local', 'pv2')], [onNode('pv2', 'n2', 'local', 'data')]);
  for (let i = 0; i < 10; i++) t.equal(schedule(pod('data'), nodes, { volumes: bound }).node, 'n2', 'only where its volume is');
  t.equal(schedule(pod('data'), nodes, { volumes: state([claim('data', 'local', 'gone')]) }).message, `0/3 nodes are available: 3 node(s) unavailable due to one or more pvc(s) bound to non-existent pv(s). ${tail}`);
  const staticOnly = state([claim('data', 'local')], [onNode('pv3', 'n3', 'local')]);
  t.equal(schedule(pod('data'), nodes, { volumes: staticOnly }).node, 'n3', 'a class without a provisioner: only a node with a free volume');
  t.equal(schedule(pod('data'), nodes, { volumes: state([claim('data', 'local')]) }).message, `0/3 nodes are available: 3 node(s) didn't find available persistent volumes to bind. ${tail}`);
  t.ok(schedule(pod('data'), nodes, { volumes: state([claim('data', 'standard')]) }).node, 'a provisioner: any node');
  const conflict = state([claim('a', 'local', 'pv1'), claim('b', 'local', 'pv2')], [onNode('pv1', 'n1', 'local', 'a'), onNode('pv2', 'n2', 'local', 'b')]);
  t.equal(schedule(pod('a', 'b'), nodes, { volumes: conflict }).message, `0/3 nodes are available: 3 node(s) had volume node affinity conflict. ${tail}`);
});

t.test('binding the pod: a free volume on the node is reserved, else the node is selected for provisioning', async (t) => {
  const s = state([claim('a', 'local'), claim('b', 'standard'), claim('c', 'standard', 'pvc'), claim('d', 'fast')], [onNode('pv1', 'n1', 'local')]);
  const out = volumeAssumptions(pod('a', 'b', 'c', 'd'), node('n1'), s).map((a) => (a.type === 'reserve' ? `reserve ${a.volume.metadata.name} for ${a.claim.metadata.name}` : `select ${a.node} for ${a.claim.metadata.name}`));
  t.same(out, ['reserve pv1 for a', 'select n1 for b']);
  const selected = state([claim('b', 'standard', undefined, { annotations: { 'volume.kubernetes.io/selected-node': 'n1' } })]);
  t.same(volumeAssumptions(pod('b'), node('n1'), selected), [], 'already selected to this node');
});
