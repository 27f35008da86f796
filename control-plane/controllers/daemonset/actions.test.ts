// computeDaemonSetActions on plain objects: placement by taints and node selector, extras, the rolling update limit.
import t from 'tap';
import type { DaemonSet, Node, Pod, Taint } from '../../../api/types.js';
import { templateHash } from '../podtemplate.js';
import { computeDaemonSetActions, HASH_LABEL, nodeOf, shouldRun } from './actions.js';

const daemonSet = (spec: { nodeSelector?: Record<string, string>; affinity?: Pod['spec']['affinity']; tolerations?: Pod['spec']['tolerations']; maxUnavailable?: number; onDelete?: boolean } = {}): DaemonSet => ({
  apiVersion: 'apps/v1',
  kind: 'DaemonSet',
  metadata: { name: 'agent', namespace: 'kube-system', uid: 'ds-uid', generation: 1 },
  spec: {
    selector: { matchLabels: { app: 'agent' } },
    template: { metadata: { labels: { app: 'agent' } }, spec: { containers: [{ name: 'a', image: 'busybox:1.35' }], nodeSelector: spec.nodeSelector, affinity: spec.affinity, tolerations: spec.tolerations } },
    updateStrategy: spec.onDelete ? { type: 'OnDelete' } : { type: 'RollingUpdate', rollingUpdate: { maxUnavailable: spec.maxUnavailable ?? 1 } },
  },
});
const node = (name: string, taints: Taint[] = [], labels: Record<string, string> = {}): Node => ({ metadata: { name, labels }, spec: { taints } });
const pod = (name: string, nodeName: string, hash: string, ready = true): Pod => ({
  metadata: { name, namespace: 'kube-system', uid: `uid-${name}`, labels: { app: 'agent', [HASH_LABEL]: hash } },
  spec: { nodeName, containers: [] },
  status: { phase: 'Running', conditions: [{ type: 'Ready', status: ready ? 'True' : 'False' }] },
});
const creates = (a: { create: { node: string }[] }) => a.create.map((c) => c.node);
const deletes = (a: { delete: Pod[] }) => a.delete.map((p) => p.metadata.name);

const notIn = { nodeAffinity: { requiredDuringSchedulingIgnoredDuringExecution: { nodeSelectorTerms: [{ matchExpressions: [{ key: 'disk', operator: 'NotIn', values: ['hdd'] }] }] } } };

t.test('placement: node selector, required node affinity, and taints the daemon pods do not tolerate', async (t) => {
  const cases: { name: string; ds: DaemonSet; node: Node; run: boolean }[] = [
    { name: 'an untainted node', ds: daemonSet(), node: node('n'), run: true },
    { name: 'a NoSchedule taint not tolerated', ds: daemonSet(), node: node('n', [{ key: 'node-role.kubernetes.io/control-plane', effect: 'NoSchedule' }]), run: false },
    { name: 'the same taint tolerated', ds: daemonSet({ tolerations: [{ key: 'node-role.kubernetes.io/control-plane', operator: 'Exists', effect: 'NoSchedule' }] }), node: node('n', [{ key: 'node-role.kubernetes.io/control-plane', effect: 'NoSchedule' }]), run: true },
    { name: 'PreferNoSchedule never keeps a daemon away', ds: daemonSet(), node: node('n', [{ key: 'x', effect: 'PreferNoSchedule' }]), run: true },
    { name: 'node trouble is tolerated by every daemon', ds: daemonSet(), node: node('n', [{ key: 'node.kubernetes.io/unreachable', effect: 'NoExecute' }, { key: 'node.kubernetes.io/unschedulable', effect: 'NoSchedule' }]), run: true },
    { name: 'a node selector that matches', ds: daemonSet({ nodeSelector: { disk: 'ssd' } }), node: node('n', [], { disk: 'ssd' }), run: true },
    { name: 'a node selector that does not', ds: daemonSet({ nodeSelector: { disk: 'ssd' } }), node: node('n', [], { disk: 'hdd' }), run: false },
    { name: 'required node affinity that matches (NotIn, label absent)', ds: daemonSet({ affinity: notIn }), node: node('n'), run: true },
    { name: 'required node affinity that does not', ds: daemonSet({ affinity: notIn }), node: node('n', [], { disk: 'hdd' }), run: false },
    { name: 'any one of the terms is enough', ds: daemonSet({ affinity: { nodeAffinity: { requiredDuringSchedulingIgnoredDuringExecution: { nodeSelectorTerms: [notIn.nodeAffinity.requiredDuringSchedulingIgnoredDuringExecution.nodeSelectorTerms[0], { matchExpressions: [{ key: 'disk', operator: 'In', values: ['hdd'] }] }] } } } }), node: node('n', [], { disk: 'hdd' }), run: true },
  ];
  for (const c of cases) t.equal(shouldRun(c.ds, c.node), c.run, c.name);
});

t.test('one pod per eligible node, pinned to it by node affinity, with the daemon tolerations', async (t) => {
  const ds = daemonSet();
  const nodes = [node('w1'), node('w2'), node('master', [{ key: 'node-role.kubernetes.io/control-plane', effect: 'NoSchedule' }])];
  const a = computeDaemonSetActions({ daemonSet: ds, nodes, pods: [], creating: new Set() });
  t.same(creates(a), ['w1', 'w2']);
  const p = a.create[0].pod;
  t.equal(nodeOf(p), 'w1');
  t.equal(p.spec.nodeName, undefined, 'the scheduler binds it');
  t.equal(p.metadata.labels?.[HASH_LABEL], templateHash(ds.spec.template));
  t.same(p.metadata.ownerReferences?.[0], { apiVersion: 'apps/v1', kind: 'DaemonSet', name: 'agent', uid: 'ds-uid', controller: true, blockOwnerDeletion: true });
  t.ok(p.spec.tolerations?.some((x) => x.key === 'node.kubernetes.io/not-ready' && x.effect === 'NoExecute'));
  t.same(a.status, { desiredNumberScheduled: 2, currentNumberScheduled: 0, numberMisscheduled: 0, numberReady: 0, numberAvailable: 0, numberUnavailable: 2, updatedNumberScheduled: 0, observedGeneration: 1 });

  t.same(creates(computeDaemonSetActions({ daemonSet: ds, nodes, pods: [], creating: new Set(['w1']) })), ['w2'], 'a creation on its way is not repeated');
});

t.test('extra pods on a node and pods on nodes that no longer qualify are deleted', async (t) => {
  const ds = daemonSet();
  const hash = templateHash(ds.spec.template);
  const nodes = [node('w1'), node('w2', [{ key: 'dedicated', value: 'db', effect: 'NoExecute' }])];
  const a = computeDaemonSetActions({ daemonSet: ds, nodes, pods: [pod('a', 'w1', hash), pod('b', 'w1', hash), pod('c', 'w2', hash), pod('d', 'gone', hash)], creating: new Set() });
  t.same(creates(a), []);
  t.same(deletes(a), ['b', 'c', 'd']);
  t.equal(a.status?.numberMisscheduled, 2);
});

t.test('rolling update: outdated pods go within maxUnavailable; not-ready outdated pods go regardless', async (t) => {
  const nodes = ['w1', 'w2', 'w3', 'w4'].map((n) => node(n));
  const outdated = nodes.map((n, i) => pod(`p${i}`, n.metadata.name!, 'old'));
  t.same(deletes(computeDaemonSetActions({ daemonSet: daemonSet(), nodes, pods: outdated, creating: new Set() })), ['p0'], 'maxUnavailable 1: one node at a time');
  t.same(deletes(computeDaemonSetActions({ daemonSet: daemonSet({ maxUnavailable: 2 }), nodes, pods: outdated, creating: new Set() })), ['p0', 'p1']);

  const ds = daemonSet();
  const hash = templateHash(ds.spec.template);
  // w1's new pod is not ready yet and w3's old one is not ready: no ready pod may go, the not-ready one may.
  const midway = [pod('n0', 'w1', hash, false), pod('p1', 'w2', 'old'), pod('p2', 'w3', 'old', false), pod('p3', 'w4', 'old')];
  t.same(deletes(computeDaemonSetActions({ daemonSet: ds, nodes, pods: midway, creating: new Set() })), ['p2'], 'only the not-ready outdated pod');
  t.same(deletes(computeDaemonSetActions({ daemonSet: daemonSet({ onDelete: true }), nodes, pods: outdated, creating: new Set() })), [], 'OnDelete waits for the user');
});

t.test('status is left alone when it already says so; a set being deleted does nothing', async (t) => {
  const ds = daemonSet();
  const hash = templateHash(ds.spec.template);
  const nodes = [node('w1')];
  const pods = [pod('a', 'w1', hash)];
  const first = computeDaemonSetActions({ daemonSet: ds, nodes, pods, creating: new Set() });
  t.same(first.status, { desiredNumberScheduled: 1, currentNumberScheduled: 1, numberMisscheduled: 0, numberReady: 1, numberAvailable: 1, numberUnavailable: 0, updatedNumberScheduled: 1, observedGeneration: 1 });
  t.equal(computeDaemonSetActions({ daemonSet: { ...ds, status: first.status }, nodes, pods, creating: new Set() }).status, undefined);
  t.same(computeDaemonSetActions({ daemonSet: { ...ds, metadata: { ...ds.metadata, deletionTimestamp: '2024-01-01T00:00:00Z' } }, nodes, pods: [], creating: new Set() }), { create: [], delete: [] });
});

t.test('the update revision’s hash decides which pods are outdated; the status counts its pods and any collision', async (t) => {
  const nodes = [node('w1'), node('w2')];
  const a = computeDaemonSetActions({ daemonSet: daemonSet(), nodes, pods: [pod('a', 'w1', 'rev-a'), pod('b', 'w2', 'rev-b')], creating: new Set(), hash: 'rev-b', collisionCount: 1 });
  t.same(deletes(a), ['a']);
  t.same([a.status?.updatedNumberScheduled, a.status?.collisionCount], [1, 1]);
  t.equal(computeDaemonSetActions({ daemonSet: daemonSet(), nodes, pods: [], creating: new Set(), hash: 'rev-b' }).create[0].pod.metadata.labels?.[HASH_LABEL], 'rev-b');
});
