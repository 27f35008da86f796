import t from 'tap';
import { desiredLease } from './lease.js';
import { nodeLabels, nodeStatus, type NodeStatusInputs } from './node.js';

const machine = { cpuCores: 2, memoryBytes: 4 * 1024 ** 3, ephemeralStorageBytes: 100 * 1024 ** 3, osImage: 'Debian GNU/Linux 12 (bookworm)', kernelVersion: '6.1.0', architecture: 'amd64', machineID: 'm', systemUUID: 's', bootID: 'b' };
const inputs = (over: Partial<NodeStatusInputs> = {}): NodeStatusInputs => ({
  now: '2024-05-01T10:00:00Z',
  machine,
  nodeIP: '192.168.56.11',
  nodeName: 'worker1',
  runtimeVersion: 'containerd://1.6.20',
  runtimeConditions: [{ type: 'RuntimeReady', status: true, reason: '', message: '' }, { type: 'NetworkReady', status: true, reason: '', message: '' }],
  images: [],
  ...over,
});

t.test('node status: capacity, addresses, node info, conditions', async (t) => {
  const s = nodeStatus(undefined, inputs());
  t.same(s.capacity, { cpu: '2', 'ephemeral-storage': `${100 * 1024 ** 2}Ki`, 'hugepages-2Mi': '0', memory: `${4 * 1024 ** 2}Ki`, pods: '110' });
  t.equal(s.allocatable!.memory, `${4 * 1024 ** 2 - 100 * 1024}Ki`);
  t.same(s.addresses, [{ type: 'InternalIP', address: '192.168.56.11' }, { type: 'Hostname', address: 'worker1' }]);
  t.same(s.daemonEndpoints, { kubeletEndpoint: { Port: 10250 } });
  t.equal(s.nodeInfo!.containerRuntimeVersion, 'containerd://1.6.20');
  t.equal(s.nodeInfo!.kubeletVersion, 'v1.32.0-kubets');
  t.same(s.conditions!.map((c) => [c.type, c.status, c.reason]), [
    ['MemoryPressure', 'False', 'KubeletHasSufficientMemory'],
    ['DiskPressure', 'False', 'KubeletHasNoDiskPressure'],
    ['PIDPressure', 'False', 'KubeletHasSufficientPID'],
    ['Ready', 'True', 'KubeletReady'],
  ]);
  t.equal(s.conditions![3].message, 'kubelet is posting ready status');

  // Heartbeats move every time; transitions only on a change.
  const later = nodeStatus(s, inputs({ now: '2024-05-01T10:00:10Z', runtimeConditions: [{ type: 'NetworkReady', status: false, reason: 'NetworkPluginNotReady', message: 'Network plugin returns error: cni plugin not initialized' }] }));
  const ready = later.conditions!.find((c) => c.type === 'Ready')!;
  t.equal(ready.status, 'False');
  t.equal(ready.reason, 'KubeletNotReady');
  t.match(ready.message, /^container runtime network not ready: NetworkReady=false reason:NetworkPluginNotReady/);
  t.equal(ready.lastTransitionTime, '2024-05-01T10:00:10Z');
  const mem = later.conditions!.find((c) => c.type === 'MemoryPressure')!;
  t.same([mem.lastHeartbeatTime, mem.lastTransitionTime], ['2024-05-01T10:00:10Z', '2024-05-01T10:00:00Z']);
  t.equal(nodeStatus(s, inputs({ runtimeVersion: undefined })).conditions![3].message, 'container runtime is down');
});

t.test('node labels: the defaults plus --node-labels', async (t) => {
  const l = nodeLabels({ nodeName: 'master', nodeIP: '', dataDir: '', registerWithTaints: [], nodeLabels: { 'node-role.kubernetes.io/control-plane': '' } }, 'amd64');
  t.equal(l['kubernetes.io/hostname'], 'master');
  t.equal(l['kubernetes.io/os'], 'linux');
  t.equal(l['kubernetes.io/arch'], 'amd64');
  t.equal(l['node-role.kubernetes.io/control-plane'], '');
});

t.test('lease: MicroTime, holder, duration, owner', async (t) => {
  const node = { metadata: { name: 'worker1', uid: 'u-1' } };
  const fresh = desiredLease(undefined, node, Date.parse('2024-05-01T10:00:00Z'));
  t.same(fresh.metadata, { name: 'worker1', namespace: 'kube-node-lease', ownerReferences: [{ apiVersion: 'v1', kind: 'Node', name: 'worker1', uid: 'u-1' }] });
  t.same(fresh.spec, { holderIdentity: 'worker1', leaseDurationSeconds: 40, renewTime: '2024-05-01T10:00:00.000000Z' });
  const renewed = desiredLease({ ...fresh, metadata: { ...fresh.metadata, resourceVersion: '7' } }, node, Date.parse('2024-05-01T10:00:10Z'));
  t.equal(renewed.metadata.resourceVersion, '7', 'an update carries the resourceVersion it read');
  t.equal(renewed.spec.renewTime, '2024-05-01T10:00:10.000000Z');
});
