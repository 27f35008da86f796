import t from 'tap';
import type { PodDisruptionBudget } from '../../api/disruption.js';
import type { Node, Pod, Service } from '../../api/types.js';
import { SchedulerCache } from './cache.js';
import { feasibleNodesToFind, schedule, withNominatedPods } from './index.js';
import { preempt } from './preemption.js';
import { spreadPeers, type NodeInfo } from './plugins.js';

const node = (name: string, extra: Partial<Node['spec']> = {}, cpu = '2', labels: Record<string, string> = {}): Node => ({
  metadata: { name, labels: { 'kubernetes.io/hostname': name, ...labels } },
  spec: { ...extra },
  status: { allocatable: { cpu, memory: '4Gi', pods: '110' }, conditions: [{ type: 'Ready', status: 'True' }] },
});
const pod = (name: string, spec: Partial<Pod['spec']> = {}, owner?: string): Pod => ({
  metadata: { name, namespace: 'default', uid: name, ...(owner ? { ownerReferences: [{ apiVersion: 'apps/v1', kind: 'ReplicaSet', name: owner, uid: owner, controller: true }] } : {}) },
  spec: { containers: [{ name: 'c', image: 'busybox:1.35' }], ...spec },
});
const info = (n: Node, pods: Pod[] = []): NodeInfo => ({ node: n, pods });
const master = node('master', { taints: [{ key: 'node-role.kubernetes.io/control-plane', effect: 'NoSchedule' }] });

t.test('the control-plane taint keeps pods off the master unless tolerated', async (t) => {
  for (let i = 0; i < 20; i++) t.not(schedule(pod('p'), [info(master), info(node('w1'))]).node, 'master');
  const tolerant = pod('p', { tolerations: [{ key: 'node-role.kubernetes.io/control-plane', operator: 'Exists', effect: 'NoSchedule' }], nodeSelector: { 'kubernetes.io/hostname': 'master' } });
  t.equal(schedule(tolerant, [info(master), info(node('w1'))]).node, 'master');
});

t.test('failure explains every node', async (t) => {
  const big = pod('big', { containers: [{ name: 'c', image: 'x', resources: { requests: { cpu: '3' } } }] });
  const r = schedule(big, [info(master), info(node('w1')), info(node('w2')), info(node('w3', { unschedulable: true }))]);
  t.equal(r.node, undefined);
  t.equal(r.message, '0/4 nodes are available: 1 node(s) had untolerated taint {node-role.kubernetes.io/control-plane: }, 1 node(s) were unschedulable, 2 Insufficient cpu. preemption: 0/4 nodes are available: 4 Preemption is not helpful for scheduling.');
});

t.test('nodeSelector and requests against what is already placed', async (t) => {
  const w1 = node('w1', {}, '2', { disk: 'ssd' });
  const w2 = node('w2');
  t.equal(schedule(pod('p', { nodeSelector: { disk: 'ssd' } }), [info(w1), info(w2)]).node, 'w1');
  const half = (n: string) => pod(n, { containers: [{ name: 'c', image: 'x', resources: { requests: { cpu: '1500m' } } }] });
  t.equal(schedule(half('b'), [info(w1, [half('a')]), info(w2)]).node, 'w2');
  t.match(schedule(half('c'), [info(w1, [half('a')])]).message, /1 Insufficient cpu/);
});

t.test('replicas of one owner spread across nodes', async (t) => {
  const nodes = [node('w1'), node('w2'), node('w3')];
  const placed = new Map<string, Pod[]>(nodes.map((n) => [n.metadata.name!, []]));
  for (let i = 0; i < 6; i++) {
    const p = pod(`r${i}`, {}, 'rs1');
    const r = schedule(p, nodes.map((n) => info(n, placed.get(n.metadata.name!))));
    placed.get(r.node!)!.push(p);
  }
  t.same([...placed.values()].map((ps) => ps.length), [2, 2, 2]);
});

t.test('pods without a controller spread by the Services selecting them, and only then', async (t) => {
  // w1 has the most room, so resources alone put every pod there.
  const roomy = node('w1', {}, '64');
  roomy.status!.allocatable!.memory = '256Gi';
  const nodes = [roomy, node('w2'), node('w3')];
  const web = (name: string, namespace = 'default'): Pod => ({ ...pod(name), metadata: { name, namespace, uid: name, labels: { app: 'web', tier: 'front' } } });
  const svc = (name: string, selector: Record<string, string> | undefined, namespace = 'default'): Service => ({ metadata: { name, namespace }, spec: { selector, ports: [{ port: 80 }] } });
  const services = [svc('web', { app: 'web' })];
  const place = (withServices: Service[]) => {
    const placed = new Map<string, Pod[]>(nodes.map((n) => [n.metadata.name!, []]));
    for (let i = 0; i < 6; i++) {
      const p = web(`w${i}`);
      const r = schedule(p, nodes.map((n) => info(n, placed.get(n.metadata.name!))), { services: withServices });
      placed.get(r.node!)!.push(p);
    }
    return [...placed.values()].map((ps) => ps.length);
  };
  t.same(place(services), [2, 2, 2], 'a Service selecting them: replicas spread');
  t.same(place([]), [6, 0, 0], 'no Service: not peers, so the node with the most room takes them all');

  const peers = spreadPeers(web('x'), services)!;
  t.ok(peers(web('y')), 'a pod the Service selects is a peer');
  t.notOk(peers(web('y', 'other')), 'the same labels in another namespace are not');
  t.notOk(peers({ ...web('z'), metadata: { name: 'z', namespace: 'default', labels: { tier: 'front' } } }), 'a pod the Service does not select is not');
  t.equal(spreadPeers(web('x'), []), undefined, 'no Service and no controller: not spread (kube-scheduler has no selector for it)');
  t.equal(spreadPeers(web('x'), [svc('db', { app: 'db' }), svc('manual', undefined), svc('empty', {})]), undefined, 'Services that do not select it, or select nothing, do not count');
  const both = spreadPeers(web('x'), [svc('web', { app: 'web' }), svc('front', { tier: 'front' })])!;
  t.notOk(both({ ...web('y'), metadata: { name: 'y', namespace: 'default', labels: { app: 'web' } } }), 'two Services: their selectors together');
  const owned = spreadPeers(pod('r', {}, 'rs1'), [])!;
  t.ok(owned(pod('s', {}, 'rs1')) && !owned(pod('u', {}, 'rs2')), "a controller's pods are each other's peers");
});

t.test('preemption: the fewest, least important lower-priority pods on one node make room; Never preempts nothing', async (t) => {
  const cpu = (n: string, c: string, priority: number, extra: Partial<Pod['spec']> = {}) => pod(n, { priority, containers: [{ name: 'c', image: 'x', resources: { requests: { cpu: c } } }], ...extra });
  const w1 = node('w1');
  const w2 = node('w2');
  const urgent = cpu('urgent', '1', 1000);
  // w1 holds two priority-10 pods, w2 one priority-100 pod and one priority-5 pod: w1's victims are less important.
  const nodes = [info(w1, [cpu('a', '1', 10), cpu('b', '1', 10)]), info(w2, [cpu('c', '1', 100), cpu('d', '1', 5)])];
  t.equal(schedule(urgent, nodes).node, undefined, 'it fits nowhere as things are');
  const choice = preempt(urgent, nodes);
  t.equal(choice?.node, 'w2', 'the node whose most important victim matters least');
  t.same(choice?.victims.map((p) => p.metadata.name), ['d'], 'only as many as needed');
  const two = preempt(cpu('bigger', '2', 1000), nodes);
  t.equal(two?.node, 'w1', 'evicting both priority-10 pods beats evicting a priority-100 one');
  t.same(two?.victims.map((p) => p.metadata.name).sort(), ['a', 'b']);
  t.equal(preempt(cpu('equal', '1', 5), nodes), undefined, 'no pod of lower priority to preempt');
  t.equal(preempt(cpu('polite', '1', 1000, { preemptionPolicy: 'Never' }), nodes), undefined, 'preemptionPolicy Never');
  t.equal(preempt(urgent, [info(node('w3', { unschedulable: true }), [cpu('e', '1', 1)])]), undefined, 'a node it can not use at all is no candidate');
});

t.test('preemption prefers nodes whose victims no PodDisruptionBudget protects, and reprieves protected pods first', async (t) => {
  const cpu = (n: string, c: string, priority: number, labels: Record<string, string> = {}) => {
    const p = pod(n, { priority, containers: [{ name: 'c', image: 'x', resources: { requests: { cpu: c } } }] });
    return { ...p, metadata: { ...p.metadata, labels } };
  };
  const budget = (allowed: number, disruptedPods: Record<string, string> = {}): PodDisruptionBudget => ({
    metadata: { name: 'guard', namespace: 'default' },
    spec: { selector: { matchLabels: { app: 'guarded' } } },
    status: { disruptionsAllowed: allowed, disruptedPods, currentHealthy: 2, desiredHealthy: 2, expectedPods: 2 },
  });
  const guarded = { app: 'guarded' };
  const nodes = [info(node('w1'), [cpu('g1', '1', 10, guarded), cpu('g2', '1', 10, guarded)]), info(node('w2'), [cpu('f1', '1', 20), cpu('f2', '1', 20)])];
  const urgent = cpu('urgent', '1', 1000);
  t.equal(preempt(urgent, nodes)?.node, 'w1', 'without budgets the lower victims win');
  const choice = preempt(urgent, nodes, [budget(0)]);
  t.equal(choice?.node, 'w2', 'a node without budget violations wins over lower priorities');
  t.equal(choice?.pdbViolations, 0);
  t.equal(preempt(urgent, nodes, [budget(1)])?.node, 'w1', 'a budget that allows the disruption is no violation');
  t.equal(preempt(urgent, nodes, [budget(0, { g1: '2026-01-01T00:00:00Z' })])?.node, 'w1', 'a pod the budget already counts as disrupted uses none of it');
  const only = preempt(urgent, [nodes[0]!], [budget(0)]);
  t.same([only?.node, only?.pdbViolations], ['w1', 1], 'budgets are a preference: with no other node they are violated');
  // One victim is enough on w3: the unprotected pod goes, the protected one is reprieved although less important.
  const mixed = preempt(urgent, [info(node('w3'), [cpu('g3', '1', 5, guarded), cpu('f3', '1', 50)])], [budget(0)]);
  t.same(mixed?.victims.map((p) => p.metadata.name), ['f3']);
});

t.test('pods nominated by preemption count on their node for pods of lower or equal priority only', async (t) => {
  const cpu = (n: string, c: string, priority: number) => pod(n, { priority, containers: [{ name: 'c', image: 'x', resources: { requests: { cpu: c } } }] });
  const urgent = { ...cpu('urgent', '2', 1000), status: { nominatedNodeName: 'w1' } };
  const nodes = [info(node('w1'))];
  t.equal(schedule(cpu('low', '1', 10), withNominatedPods(nodes, cpu('low', '1', 10), [urgent])).node, undefined, 'the room is kept for the nominated pod');
  t.equal(schedule(cpu('higher', '1', 2000), withNominatedPods(nodes, cpu('higher', '1', 2000), [urgent])).node, 'w1', 'a more important pod may take it');
  t.equal(withNominatedPods(nodes, urgent, [urgent]), nodes, 'a pod does not count against itself');
});

t.test('large clusters: filters stop once enough feasible nodes are found, as percentageOfNodesToScore does', async (t) => {
  t.same([50, 150, 1000, 5000, 10_000].map(feasibleNodesToFind), [50, 100, 420, 500, 500]);
  const nodes = Array.from({ length: 1000 }, (_, i) => info(node(`w${i}`)));
  const r = schedule(pod('p'), nodes, { startIndex: 990 });
  t.equal(r.evaluated, 420, 'only as many nodes as it needs');
  const chosen = Number(r.node!.slice(1));
  t.ok(chosen >= 990 || chosen < 410, `the search starts at startIndex and wraps round (${r.node})`);
  const big = pod('big', { containers: [{ name: 'c', image: 'x', resources: { requests: { cpu: '3' } } }] });
  const none = schedule(big, nodes);
  t.equal(none.evaluated, 1000, 'a pod that fits nowhere is checked against every node');
  t.match(none.message, /^0\/1000 nodes are available: 1000 Insufficient cpu\./);
});

t.test('the cache counts bound pods on their node and assumed ones until their binding shows', async (t) => {
  const cache = new SchedulerCache();
  cache.setNode(node('w1'));
  cache.setNode(node('w2'));
  const bound = { ...pod('a'), spec: { ...pod('a').spec, nodeName: 'w1' } };
  cache.setPod(bound);
  const p = pod('b');
  cache.assume(p, 'w2');
  const count = () => cache.nodeInfos().map((n) => n.pods.length);
  t.same(count(), [1, 1]);
  cache.setPod(p);
  t.same(count(), [1, 1], 'an update without nodeName keeps the assumed pod counted');
  cache.setPod({ ...p, spec: { ...p.spec, nodeName: 'w2' } });
  t.notOk(cache.isAssumed('b'), 'bound now');
  t.same(count(), [1, 1]);
  cache.assume(pod('c'), 'w1');
  cache.forget('c');
  t.same(count(), [1, 1], 'a failed binding is forgotten');
  cache.setPod({ ...bound, status: { phase: 'Succeeded' } });
  cache.deletePod(p);
  t.same(count(), [0, 0], 'finished and deleted pods take no room');
});
