// computeNodeActions on plain objects: Ready → not-ready / unreachable taints, a silent node, NoExecute eviction.
import t from 'tap';
import type { Condition, Lease, Node, Pod, Taint, Toleration } from '../../../api/types.js';
import { applyTaints, computeNodeActions, NOT_READY, UNREACHABLE, type NodeObserved } from './actions.js';

const T0 = Date.parse('2024-01-01T00:00:00Z');
const iso = (ms: number) => new Date(ms).toISOString().replace(/\.\d{3}Z$/, 'Z');
const GRACE = 40_000;
const node = (ready: Condition['status'] | undefined, taints: Taint[] = [], heartbeat = T0): Node => ({
  metadata: { name: 'w1', creationTimestamp: iso(T0 - 3600_000) },
  spec: { taints },
  status: { conditions: ready ? [{ type: 'Ready', status: ready, lastHeartbeatTime: iso(heartbeat) }] : [] },
});
const lease = (renew: number): Lease => ({ metadata: { name: 'w1', namespace: 'kube-node-lease' }, spec: { holderIdentity: 'w1', renewTime: iso(renew) } }) as Lease;
const pod = (name: string, tolerations?: Toleration[], ready = true): Pod => ({
  metadata: { name, namespace: 'default' },
  spec: { nodeName: 'w1', containers: [], tolerations },
  status: { phase: 'Running', conditions: [{ type: 'Ready', status: ready ? 'True' : 'False' }, { type: 'ContainersReady', status: ready ? 'True' : 'False' }] },
});
const observe = (o: Partial<NodeObserved> & { node: Node }): NodeObserved => ({ pods: [], now: T0, gracePeriodMs: GRACE, startedAt: T0 - 3600_000, ...o });
const keys = (ts: Taint[]) => ts.map((x) => `${x.key}:${x.effect}`);
const tainted = (key: string, since: number): Taint[] => [
  { key, effect: 'NoSchedule', timeAdded: iso(since) },
  { key, effect: 'NoExecute', timeAdded: iso(since) },
];

t.test('the Ready condition decides the taints', async (t) => {
  const cases: { name: string; node: Node; add: string[]; remove: string[] }[] = [
    { name: 'Ready: no taints', node: node('True'), add: [], remove: [] },
    { name: 'NotReady: not-ready taints', node: node('False'), add: [`${NOT_READY}:NoSchedule`, `${NOT_READY}:NoExecute`], remove: [] },
    { name: 'Unknown: unreachable taints', node: node('Unknown'), add: [`${UNREACHABLE}:NoSchedule`, `${UNREACHABLE}:NoExecute`], remove: [] },
    { name: 'Ready again: the taints go', node: node('True', tainted(UNREACHABLE, T0)), add: [], remove: [`${UNREACHABLE}:NoSchedule`, `${UNREACHABLE}:NoExecute`] },
    { name: 'Unknown → NotReady: one set for the other', node: node('False', tainted(UNREACHABLE, T0)), add: [`${NOT_READY}:NoSchedule`, `${NOT_READY}:NoExecute`], remove: [`${UNREACHABLE}:NoSchedule`, `${UNREACHABLE}:NoExecute`] },
    { name: 'taints that are not the controller’s stay', node: node('True', [{ key: 'node-role.kubernetes.io/control-plane', effect: 'NoSchedule' }]), add: [], remove: [] },
  ];
  for (const c of cases) {
    const a = computeNodeActions(observe({ node: c.node }));
    t.same([keys(a.taintsToAdd), keys(a.taintsToRemove)], [c.add, c.remove], c.name);
  }
  const a = computeNodeActions(observe({ node: node('False') }));
  t.equal(a.taintsToAdd[0].timeAdded, iso(T0), 'added taints carry the time they were added');
  t.same(keys(applyTaints([{ key: 'mine', effect: 'NoSchedule' }, ...tainted(UNREACHABLE, T0)], a.taintsToAdd, tainted(UNREACHABLE, T0))), ['mine:NoSchedule', `${NOT_READY}:NoSchedule`, `${NOT_READY}:NoExecute`]);
});

t.test('a node silent past the grace period turns Unknown, is tainted unreachable, and its ready pods turn not ready', async (t) => {
  const n = node('True', [], T0 - 60_000);
  const quiet = computeNodeActions(observe({ node: n, lease: lease(T0 - 10_000), pods: [pod('a')] }));
  t.same([quiet.nodeConditions, quiet.podsNotReady, quiet.taintsToAdd], [undefined, [], []], 'the lease was renewed 10 s ago: alive');

  const silent = computeNodeActions(observe({ node: n, lease: lease(T0 - 50_000), pods: [pod('a'), pod('b', undefined, false)] }));
  t.same(
    silent.nodeConditions?.map((c) => [c.type, c.status, c.reason, c.message]),
    [['Ready', 'Unknown', 'NodeStatusUnknown', 'Kubelet stopped posting node status.']],
  );
  t.same(keys(silent.taintsToAdd), [`${UNREACHABLE}:NoSchedule`, `${UNREACHABLE}:NoExecute`]);
  t.same(
    silent.podsNotReady.map((p) => [p.pod.metadata.name, p.conditions.map((c) => `${c.type}=${c.status}`)]),
    [['a', ['Ready=False', 'ContainersReady=False']]],
    'only the pod that was ready',
  );

  t.equal(computeNodeActions(observe({ node: n, startedAt: T0 - 10_000 })).nodeConditions, undefined, 'a freshly started controller gives every node a full grace period');
  const never = computeNodeActions(observe({ node: node(undefined, [], T0 - 60_000) }));
  t.same(never.nodeConditions?.map((c) => [c.type, c.status, c.reason]), [['Ready', 'Unknown', 'NodeStatusNeverUpdated']]);
  t.equal(computeNodeActions(observe({ node: node('Unknown', tainted(UNREACHABLE, T0), T0 - 60_000) })).nodeConditions, undefined, 'already Unknown: left alone');
});

t.test('NoExecute taints evict pods that do not tolerate them, at once or after tolerationSeconds', async (t) => {
  const since = T0 - 60_000;
  const n = node('Unknown', tainted(UNREACHABLE, since), T0 - 120_000);
  const tolerate = (seconds?: number): Toleration[] => [{ key: UNREACHABLE, operator: 'Exists', effect: 'NoExecute', ...(seconds !== undefined ? { tolerationSeconds: seconds } : {}) }];
  const pods = [pod('plain'), pod('short', tolerate(30)), pod('long', tolerate(300)), pod('forever', tolerate()), pod('any', [{ operator: 'Exists' }]), { ...pod('going'), metadata: { name: 'going', namespace: 'default', deletionTimestamp: iso(T0) } }];
  const a = computeNodeActions(observe({ node: n, pods }));
  t.same(a.evict.map((p) => p.metadata.name), ['plain', 'short'], 'untolerated at once; 30 s of 60 s passed; not the 300 s, forever or wildcard ones, nor one already going');

  const fresh = computeNodeActions(observe({ node: node('Unknown', [], T0 - 120_000), pods }));
  t.same(fresh.evict, [], 'taints added in this pass evict from the next one');
  const untimed = node('Unknown', [{ key: UNREACHABLE, effect: 'NoExecute' }], T0 - 120_000);
  t.same(computeNodeActions(observe({ node: untimed, pods: [pod('short', tolerate(30))], taintedAt: T0 - 40_000 })).evict.map((p) => p.metadata.name), ['short'], 'a taint without timeAdded counts from when the controller added it');
  t.same(computeNodeActions(observe({ node: node('False', tainted(NOT_READY, since)), pods: [pod('plain')] })).evict.map((p) => p.metadata.name), ['plain'], 'not-ready evicts as unreachable does');
});
