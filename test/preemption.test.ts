// kube-scheduler's preemption (DefaultPreemption) end to end against a kubets server with its scheduler and
// controllers: PriorityClasses made with kubectl, Node objects with little room, low-priority pods the scheduler binds,
// then a pod that fits nowhere. There is no kubelet: the test finishes a victim's graceful deletion as a kubelet would,
// with a grace-period-0 delete. Each case uses nodes of its own group (a node label its pods select), so the cases'
// pods never compete for the same nodes.
import t from 'tap';
import type { PodDisruptionBudget } from '../api/disruption.js';
import { Resources } from '../api/resources.js';
import type { Event, Node, Pod } from '../api/types.js';
import { ensureServiceAccount, kubectlExpecting, startServer, type TestServer } from './server-fixture.js';
import { until } from './until.js';

const NS = 'preempt';
const GROUP = 'kubets.test/preempt-group';

let srv: TestServer;
const kubectl = kubectlExpecting(() => srv);
t.before(async () => {
  // The nodes here have no kubelet to renew their leases: the node controller must not mark them not ready.
  srv = await startServer({ args: ['--node-monitor-grace-period', '3600'] });
  // One kubectl run for the namespace, the classes and the budget the second case needs (each run costs seconds).
  const classes = Object.entries({ low: 10, medium: 20, high: 1000, top: 2000 }).map(([name, value]) => ({ apiVersion: 'scheduling.k8s.io/v1', kind: 'PriorityClass', metadata: { name }, value }));
  const polite = { apiVersion: 'scheduling.k8s.io/v1', kind: 'PriorityClass', metadata: { name: 'polite' }, value: 1000, preemptionPolicy: 'Never' };
  const budget = { apiVersion: 'policy/v1', kind: 'PodDisruptionBudget', metadata: { name: 'guarded', namespace: NS }, spec: { minAvailable: 2, selector: { matchLabels: { app: 'guarded' } } } };
  const objects = [{ apiVersion: 'v1', kind: 'Namespace', metadata: { name: NS } }, ...classes, polite, budget];
  await kubectl.ok(['apply', '-f', '-'], JSON.stringify({ apiVersion: 'v1', kind: 'List', items: objects }));
  await ensureServiceAccount(srv.client, NS);
});
t.teardown(() => srv?.destroy());

/** A Node with one CPU and room for ten pods, Ready, in a group of nodes. */
async function node(name: string, group: string): Promise<void> {
  await srv.client.create<Node>(Resources.nodes, undefined, { apiVersion: 'v1', kind: 'Node', metadata: { name, labels: { 'kubernetes.io/hostname': name, [GROUP]: group } }, spec: {} } as Node);
  const room = { cpu: '1', memory: '4Gi', pods: '10' };
  const now = new Date().toISOString().replace(/\.\d+Z$/, 'Z');
  await srv.client.patch(Resources.nodes, undefined, name, 'merge', { status: { capacity: room, allocatable: room, conditions: [{ type: 'Ready', status: 'True', reason: 'KubeletReady', lastHeartbeatTime: now, lastTransitionTime: now }] } }, 'status');
}

/** A pod of a priority class asking for some CPU, on the nodes the selector picks. */
async function pod(name: string, priorityClassName: string, cpu: string, nodeSelector: Record<string, string>, labels: Record<string, string> = {}): Promise<Pod> {
  return srv.client.create<Pod>(Resources.pods, NS, {
    apiVersion: 'v1',
    kind: 'Pod',
    metadata: { name, namespace: NS, labels },
    spec: { priorityClassName, nodeSelector, containers: [{ name: 'c', image: 'busybox:1.35', resources: { requests: { cpu } } }] },
  } as Pod);
}

const get = (name: string) => srv.client.get<Pod>(Resources.pods, NS, name);
const boundTo = (name: string, node: string) => until(`${name} bound to ${node}`, async () => (await get(name)).spec.nodeName === node);
const nominated = (name: string) => until(`${name} nominated`, async () => (await get(name)).status?.nominatedNodeName);
/** Finishes a graceful deletion as the kubelet confirms it. */
const reap = (name: string) => srv.client.delete(Resources.pods, NS, name, { gracePeriodSeconds: 0 });
const deleting = async (names: string[]) => (await Promise.all(names.map(get))).filter((p) => p.metadata.deletionTimestamp).map((p) => p.metadata.name);
/** The scheduler's verdict on a pod that fits nowhere, written after any preemption it tried. */
const unschedulable = (name: string) => until(`${name} unschedulable`, async () => (await get(name)).status?.conditions?.find((c) => c.type === 'PodScheduled' && c.reason === 'Unschedulable'));
const eventsOf = async (name: string) => (await srv.client.list<Event>(Resources.events, NS)).items.filter((e) => e.involvedObject.name === name);

/** Pods pinned to one node each (still placed by the scheduler), all bound before the test goes on. */
async function fill(pods: [name: string, cls: string, cpu: string, node: string, labels?: Record<string, string>][]): Promise<void> {
  for (const [name, cls, cpu, n, labels] of pods) await pod(name, cls, cpu, { 'kubernetes.io/hostname': n }, labels);
  for (const [name, , , n] of pods) await boundTo(name, n);
}

t.test('the least important pods on the best node are preempted, marked and told; the preemptor binds there once they are gone', async (t) => {
  await node('a1', 'a');
  await node('a2', 'a');
  await fill([
    ['a-low', 'low', '400m', 'a1'],
    ['a-medium', 'medium', '400m', 'a1'],
    ['a-peer', 'high', '200m', 'a1'],
    ['a2-medium-1', 'medium', '400m', 'a2'],
    ['a2-medium-2', 'medium', '400m', 'a2'],
  ]);
  const urgent = await pod('a-urgent', 'high', '400m', { [GROUP]: 'a' });
  t.equal(urgent.spec.priority, 1000, 'the priority of its class');

  t.equal(await nominated('a-urgent'), 'a1', "a1's victim (priority 10) matters less than a2's (priority 20)");
  t.same(await deleting(['a-low', 'a-medium', 'a-peer', 'a2-medium-1', 'a2-medium-2']), ['a-low'], 'one victim is enough: the lowest priority; the equal-priority pod is never one');
  const victim = await get('a-low');
  t.match(victim.status?.conditions?.find((c) => c.type === 'DisruptionTarget'), { status: 'True', reason: 'PreemptionByScheduler', message: 'default-scheduler: preempting to accommodate a higher priority pod' });
  t.equal(victim.metadata.deletionGracePeriodSeconds, 30, 'deleted gracefully, with its own grace period');
  const preempted = await until('a Preempted event', async () => (await eventsOf('a-low')).find((e) => e.reason === 'Preempted'));
  t.match(preempted, { type: 'Normal', message: `Preempted by pod ${urgent.metadata.uid} on node a1`, source: { component: 'default-scheduler' } });
  const wide = await kubectl.ok(['get', 'pod', 'a-urgent', '-n', NS, '-o', 'wide']);
  t.match(wide, /^a-urgent\s+0\/1\s+Pending\s+0\s+\S+\s+<none>\s+<none>\s+a1\s+<none>$/m, 'kubectl shows the nominated node');
  t.notOk((await get('a-urgent')).spec.nodeName, 'not bound while its victim is still terminating');

  await reap('a-low');
  await boundTo('a-urgent', 'a1');
  t.same(await deleting(['a-medium', 'a-peer', 'a2-medium-1', 'a2-medium-2']), [], 'nothing more was preempted');
});

t.test('a node whose victims a PodDisruptionBudget protects is passed over for one whose victims none does', async (t) => {
  await node('b1', 'b');
  await node('b2', 'b');
  await fill([
    ['b-guarded-1', 'low', '500m', 'b1', { app: 'guarded' }],
    ['b-guarded-2', 'low', '500m', 'b1', { app: 'guarded' }],
    ['b-free-1', 'medium', '500m', 'b2'],
    ['b-free-2', 'medium', '500m', 'b2'],
  ]);
  // No kubelet makes these pods Ready: the budget allows no disruption.
  const status = await until('the budget counted', async () => {
    const pdb = await srv.client.get<PodDisruptionBudget>(Resources.poddisruptionbudgets, NS, 'guarded');
    return pdb.status?.expectedPods === 2 && pdb.status;
  });
  t.equal(status.disruptionsAllowed, 0);

  await pod('b-urgent', 'high', '500m', { [GROUP]: 'b' });
  t.equal(await nominated('b-urgent'), 'b2', 'b1 would have the lower victims, but preempting there violates the budget');
  const gone = await deleting(['b-free-1', 'b-free-2']);
  t.equal(gone.length, 1, 'one of the unprotected pods makes room');
  t.same(await deleting(['b-guarded-1', 'b-guarded-2']), [], 'the protected pods stay');
  await reap(gone[0]!);
  await boundTo('b-urgent', 'b2');
});

t.test('no pod of equal or higher priority is preempted, and a pod with preemptionPolicy Never preempts nobody', async (t) => {
  await node('c1', 'c');
  await node('d1', 'd');
  await fill([
    ['c-peer', 'high', '600m', 'c1'],
    ['c-top', 'top', '400m', 'c1'],
    ['d-low', 'low', '1', 'd1'],
  ]);
  await pod('c-urgent', 'high', '500m', { [GROUP]: 'c' });
  const polite = await pod('d-polite', 'polite', '500m', { [GROUP]: 'd' });
  t.equal(polite.spec.preemptionPolicy, 'Never', 'the policy of its class');

  t.match((await unschedulable('c-urgent')).message, /^0\/\d+ nodes are available: .*Insufficient cpu/);
  await unschedulable('d-polite');
  t.notOk((await get('c-urgent')).status?.nominatedNodeName, 'nothing to preempt for c-urgent');
  t.notOk((await get('d-polite')).status?.nominatedNodeName, 'd-polite preempts nothing');
  t.same(await deleting(['c-peer', 'c-top', 'd-low']), [], 'no pod was preempted');
  t.notOk((await eventsOf('d-low')).some((e) => e.reason === 'Preempted'));
});
