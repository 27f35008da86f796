// The control plane's loops end to end, without containers: this test plays the kubelets (node status, leases, pod
// status) through the API and checks what the scheduler and controllers do in response.
import t from 'tap';
import { Resources } from '../api/resources.js';
import type { Deployment, EndpointSlice, Endpoints, KubeObject, Lease, Node, Pod, ReplicaSet, Service } from '../api/types.js';
import { startServer, type TestServer } from './server-fixture.js';
import { until } from './until.js';
import { deploymentYaml as manifest, nodePortServiceYaml as serviceYaml } from './manifests.js';
import { formatTime } from '../api/time.js';

const deploymentYaml = (name: string, replicas: number) => manifest({ name, replicas, container: 'busybox', ports: [{ containerPort: 80 }] });

let srv: TestServer;
t.before(async () => {
  // Short enough for the NotReady test, long enough that a healthy node's 1 s lease renewals never miss it on a busy
  // machine.
  srv = await startServer({ args: ['--node-monitor-grace-period', '10'] });
});
t.teardown(() => srv?.destroy());


const now = () => formatTime();
const leaseTimers: NodeJS.Timeout[] = [];
t.teardown(() => leaseTimers.forEach(clearInterval));

/** Registers a node the way the agent does and keeps its lease fresh until stopped. */
async function fakeNode(name: string, ip: string, taints: Node['spec']['taints'] = []): Promise<() => void> {
  const node = await srv.client.create<Node>(Resources.nodes, undefined, { apiVersion: 'v1', kind: 'Node', metadata: { name, labels: { 'kubernetes.io/hostname': name } }, spec: { taints } });
  const status = { capacity: { cpu: '2', memory: '4Gi', pods: '110' }, allocatable: { cpu: '2', memory: '4Gi', pods: '110' }, addresses: [{ type: 'InternalIP', address: ip }], conditions: [{ type: 'Ready', status: 'True', reason: 'KubeletReady', message: 'kubelet is posting ready status', lastHeartbeatTime: now(), lastTransitionTime: now() }] };
  await srv.client.updateStatus(Resources.nodes, { ...node, status } as Node);
  await srv.client.create<Lease>(Resources.leases, 'kube-node-lease', { metadata: { name }, spec: { holderIdentity: name, leaseDurationSeconds: 40, renewTime: new Date().toISOString() } } as Lease);
  const timer = setInterval(() => {
    srv.client.patch(Resources.leases, 'kube-node-lease', name, 'merge', { spec: { renewTime: new Date().toISOString() } }).catch(() => {});
  }, 1000);
  leaseTimers.push(timer);
  return () => clearInterval(timer);
}

let lastHost = 9;
/** Plays the kubelet for pods bound to our fake nodes: Running and Ready with an IP of its own from the node's podCIDR. */
async function runPods(): Promise<void> {
  const pods = await srv.client.list<Pod>(Resources.pods, 'default');
  for (const p of pods.items) {
    if (!p.spec.nodeName || p.status?.phase === 'Running') continue;
    const node = await srv.client.get<Node>(Resources.nodes, undefined, p.spec.nodeName);
    if (!node.spec.podCIDR) continue;
    const ip = node.spec.podCIDR.replace(/0\/24$/, String(++lastHost));
    await srv.client.patch(Resources.pods, 'default', p.metadata.name!, 'merge', {
      status: { phase: 'Running', podIP: ip, podIPs: [{ ip }], conditions: [{ type: 'Ready', status: 'True' }, { type: 'ContainersReady', status: 'True' }, { type: 'PodScheduled', status: 'True' }], containerStatuses: [{ name: 'web', ready: true, restartCount: 0, image: 'busybox:1.35', imageID: '', state: { running: { startedAt: now() } } }] },
    }, 'status');
  }
}

/** Finishes graceful deletions the way a kubelet confirms them: delete with grace period 0. */
async function reapPods(): Promise<void> {
  const pods = await srv.client.list<Pod>(Resources.pods, 'default');
  for (const p of pods.items) if (p.metadata.deletionTimestamp) await srv.client.delete(Resources.pods, 'default', p.metadata.name!, { gracePeriodSeconds: 0 }).catch(() => {});
}

const stopLease = new Map<string, () => void>();
let notReadyNode = '';


t.test('nodes get podCIDRs; the scheduler spreads a deployment over the workers only', async (t) => {
  await fakeNode('master', '10.0.0.10', [{ key: 'node-role.kubernetes.io/control-plane', effect: 'NoSchedule' }]);
  for (const [i, n] of ['w1', 'w2', 'w3'].entries()) stopLease.set(n, await fakeNode(n, `10.0.0.${11 + i}`));
  const cidrs = await until('podCIDRs', async () => {
    const nodes = await srv.client.list<Node>(Resources.nodes);
    const c = nodes.items.map((n) => n.spec.podCIDR);
    return c.every(Boolean) && c;
  });
  t.equal(new Set(cidrs).size, 4, 'distinct podCIDRs');
  for (const c of cidrs) t.match(c, /^10\.244\.\d+\.0\/24$/);

  const r = await srv.kubectl(['apply', '-f', '-'], { input: deploymentYaml('web', 3) + '---\n' + serviceYaml('web') });
  t.equal(r.exitCode, 0, r.stderr);
  const pods = await until('3 scheduled pods', async () => {
    const l = await srv.client.list<Pod>(Resources.pods, 'default');
    return l.items.length === 3 && l.items.every((p) => p.spec.nodeName) && l.items;
  });
  t.same(pods.map((p) => p.spec.nodeName).sort(), ['w1', 'w2', 'w3']);
  const ev = await srv.kubectl(['get', 'events', '--field-selector', 'reason=Scheduled', '-o', 'jsonpath={.items[*].message}']);
  t.match(ev.stdout, /Successfully assigned default\/web-[a-z0-9]+-[a-z0-9]{5} to w[123]/);
});

t.test('ready pods become Endpoints and EndpointSlice addresses; deployment reports available', async (t) => {
  await runPods();
  const ep = await until('endpoints', async () => {
    const e = await srv.client.get<Endpoints>(Resources.endpoints, 'default', 'web');
    return (e.subsets?.[0]?.addresses?.length ?? 0) === 3 && e;
  });
  t.same(ep.subsets![0].ports, [{ port: 80, protocol: 'TCP' }]);
  const slices = await until('slice', async () => {
    const l = await srv.client.list<EndpointSlice>(Resources.endpointslices, 'default', { labelSelector: 'kubernetes.io/service-name=web' });
    return l.items.length === 1 && (l.items[0].endpoints ?? []).length === 3 && l.items;
  });
  t.ok(slices[0].endpoints!.every((e) => e.conditions?.ready && e.nodeName && e.targetRef?.kind === 'Pod'));
  const d = await until('deployment available', async () => {
    const d = await srv.client.get<Deployment>(Resources.deployments, 'default', 'web');
    return d.status?.availableReplicas === 3 && d;
  });
  t.equal(d.status?.conditions?.find((c) => c.type === 'Available')?.status, 'True');
  const rollout = await srv.kubectl(['rollout', 'status', 'deployment/web', '--timeout=20s']);
  t.match(rollout.stdout, /deployment "web" successfully rolled out/);
  const svc = await srv.client.get<Service>(Resources.services, 'default', 'web');
  t.ok(svc.spec.ports![0].nodePort! >= 30000 && svc.spec.ports![0].nodePort! <= 32767, 'nodePort allocated');
  t.match(svc.spec.clusterIP, /^10\.(9[6-9]|10[0-9]|11[01])\./, 'clusterIP from 10.96.0.0/12');
});

t.test('a rolling update replaces every pod within the surge budget', async (t) => {
  await srv.kubectl(['set', 'image', 'deployment/web', 'busybox=busybox:1.36']);
  const done = until('rolled out', async () => {
    await runPods();
    await reapPods();
    const d = await srv.client.get<Deployment>(Resources.deployments, 'default', 'web');
    const total = (await srv.client.list<Pod>(Resources.pods, 'default')).items.filter((p) => !p.metadata.deletionTimestamp).length;
    t.ok(total <= 4, `never more than replicas + maxSurge pods (${total})`);
    const sets = await srv.client.list<ReplicaSet>(Resources.replicasets, 'default');
    const done = JSON.stringify(sets.items.map((r) => r.spec.replicas).sort()) === '[0,3]';
    return done && d.status?.updatedReplicas === 3 && d.status.availableReplicas === 3 && d.status.replicas === 3 && d;
  }, 60_000);
  await done;
  const rs = await srv.client.list<ReplicaSet>(Resources.replicasets, 'default');
  t.equal(rs.items.length, 2);
  t.same(rs.items.map((r) => r.spec.replicas).sort(), [0, 3]);
  const hist = await srv.kubectl(['rollout', 'history', 'deployment/web']);
  t.match(hist.stdout, /REVISION\s+CHANGE-CAUSE\n1\s+<none>\n2\s+<none>/);
});

t.test('a node whose lease stops turns NotReady, is tainted, and its pods are replaced elsewhere', async (t) => {
  const live = (await srv.client.list<Pod>(Resources.pods, 'default')).items.filter((p) => !p.metadata.deletionTimestamp);
  const victim = live[0].spec.nodeName!;
  const onVictim = live.filter((p) => p.spec.nodeName === victim);
  // Pods tolerate unreachable for 300 s by default; shorten it for this check.
  for (const p of onVictim)
    await srv.client.patch(Resources.pods, 'default', p.metadata.name!, 'json', [{ op: 'replace', path: '/spec/tolerations', value: [{ key: 'node.kubernetes.io/unreachable', operator: 'Exists', effect: 'NoExecute', tolerationSeconds: 1 }] }]);
  stopLease.get(victim)!();
  const node = await until(`${victim} NotReady`, async () => {
    const n = await srv.client.get<Node>(Resources.nodes, undefined, victim);
    return n.status?.conditions?.find((c) => c.type === 'Ready')?.status === 'Unknown' && (n.spec.taints ?? []).some((x) => x.key === 'node.kubernetes.io/unreachable' && x.effect === 'NoExecute') && n;
  }, 60_000);
  t.ok(node);
  const table = await srv.kubectl(['get', 'node', victim]);
  t.match(table.stdout, new RegExp(`^${victim}\\s+NotReady\\s+`, 'm'));
  const moved = await until('replacements on other nodes', async () => {
    await runPods();
    const l = (await srv.client.list<Pod>(Resources.pods, 'default')).items.filter((p) => !p.metadata.deletionTimestamp);
    return l.length === 3 && l.every((p) => p.spec.nodeName && p.spec.nodeName !== victim) && l;
  }, 60_000);
  t.notOk(moved.some((p) => p.spec.nodeName === victim), 'no live pod left on the lost node');
  notReadyNode = victim;
});

t.test('a daemon set runs one pod on every node it tolerates', async (t) => {
  const ds = `apiVersion: apps/v1
kind: DaemonSet
metadata: {name: proxy, namespace: kube-system}
spec:
  selector: {matchLabels: {k8s-app: proxy}}
  template:
    metadata: {labels: {k8s-app: proxy}}
    spec:
      tolerations: [{key: node-role.kubernetes.io/control-plane, operator: Exists, effect: NoSchedule}]
      containers: [{name: proxy, image: "busybox:1.35"}]
`;
  const r = await srv.kubectl(['apply', '-f', '-'], { input: ds });
  t.equal(r.exitCode, 0, r.stderr);
  // One worker is unreachable now (previous test): its NoSchedule taint keeps new daemon pods off it.
  const pods = await until('daemon pods scheduled', async () => {
    const l = (await srv.client.list<Pod>(Resources.pods, 'kube-system', { labelSelector: 'k8s-app=proxy' })).items;
    return l.length === 3 && l.every((p) => p.spec.nodeName) && l;
  });
  t.same(pods.map((p) => p.spec.nodeName).sort(), ['master', 'w1', 'w2', 'w3'].filter((n) => n !== notReadyNode));
  const get = await until('ds status', async () => {
    const g = await srv.kubectl(['get', 'ds', '-n', 'kube-system']);
    return /^proxy\s+3\s+3\s+0\s+3\s+0\s+<none>\s+\d+s$/m.test(g.stdout) && g.stdout;
  });
  t.match(get, /^NAME\s+DESIRED\s+CURRENT\s+READY\s+UP-TO-DATE\s+AVAILABLE\s+NODE SELECTOR\s+AGE$/m);
  await srv.kubectl(['delete', 'ds', 'proxy', '-n', 'kube-system', '--wait=false']);
});

t.test('deleting a deployment collects its replica sets and pods', async (t) => {
  const r = await srv.kubectl(['delete', 'deployment', 'web']);
  t.equal(r.exitCode, 0, r.stderr);
  await until('dependents gone', async () => {
    await reapPods();
    const rs = await srv.client.list<ReplicaSet>(Resources.replicasets, 'default');
    const pods = await srv.client.list<Pod>(Resources.pods, 'default');
    return rs.items.length === 0 && pods.items.length === 0;
  });
  t.pass('replica sets and pods collected');
});

t.test('foreground deletion waits for dependents; orphan keeps them', async (t) => {
  await srv.kubectl(['apply', '-f', '-'], { input: deploymentYaml('fg', 1) });
  await until('rs', async () => (await srv.client.list<ReplicaSet>(Resources.replicasets, 'default')).items.length === 1);
  const r = await srv.kubectl(['delete', 'deployment', 'fg', '--cascade=orphan']);
  t.equal(r.exitCode, 0, r.stderr);
  const rs = await until('orphaned rs', async () => {
    const l = await srv.client.list<ReplicaSet>(Resources.replicasets, 'default');
    return l.items.length === 1 && !(l.items[0].metadata.ownerReferences ?? []).length && l.items[0];
  });
  t.ok(rs, 'replica set kept without owner');
  const fg = await srv.kubectl(['delete', 'rs', rs.metadata.name!, '--cascade=foreground', '--wait=false']);
  t.equal(fg.exitCode, 0, fg.stderr);
  await until('foreground done', async () => {
    await reapPods();
    return (await srv.client.list<ReplicaSet>(Resources.replicasets, 'default')).items.length === 0 && (await srv.client.list<Pod>(Resources.pods, 'default')).items.length === 0;
  });
  t.pass('foreground deletion completed');
});

t.test('deleting a namespace removes its content, then the namespace', async (t) => {
  await srv.kubectl(['apply', '-f', '-'], { input: 'apiVersion: v1\nkind: Namespace\nmetadata: {name: scratch}\n' });
  await srv.client.create(Resources.configmaps, 'scratch', { metadata: { name: 'c' } } as KubeObject);
  await srv.kubectl(['delete', 'namespace', 'scratch', '--wait=false']);
  await until('namespace gone', async () => {
    const r = await srv.kubectl(['get', 'ns', 'scratch']);
    return r.exitCode === 1 && /NotFound/.test(r.stderr);
  });
  t.pass('namespace finalized');
});
