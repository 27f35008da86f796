// computeReplicaSetActions on plain objects: the create/delete diff, deletion order, pending expectations, status.
import t from 'tap';
import type { Pod, ReplicaSet } from '../../../api/types.js';
import { BURST, computeReplicaSetActions, deletionOrder } from './actions.js';

const rs = (replicas: number, over: Partial<ReplicaSet['metadata']> = {}, status?: ReplicaSet['status']): ReplicaSet => ({
  apiVersion: 'apps/v1',
  kind: 'ReplicaSet',
  metadata: { name: 'web-abc', namespace: 'default', uid: 'rs-uid', generation: 1, ...over },
  spec: { replicas, selector: { matchLabels: { app: 'web' } }, template: { metadata: { labels: { app: 'web' }, annotations: { note: 'x' } }, spec: { containers: [{ name: 'app', image: 'busybox:1.35' }] } } },
  status,
});

interface PodShape {
  node?: string;
  phase?: 'Pending' | 'Running' | 'Succeeded' | 'Failed';
  ready?: boolean;
  created?: string;
  deleting?: boolean;
  labels?: Record<string, string>;
}
const pod = (name: string, s: PodShape = {}): Pod => ({
  metadata: { name, namespace: 'default', uid: `uid-${name}`, labels: s.labels ?? { app: 'web' }, creationTimestamp: s.created ?? '2024-01-01T00:00:00Z', ...(s.deleting ? { deletionTimestamp: '2024-01-01T00:01:00Z' } : {}) },
  spec: { containers: [], nodeName: s.node },
  status: { phase: s.phase ?? 'Running', conditions: [{ type: 'Ready', status: s.ready === false ? 'False' : 'True' }] },
});
const running = (n: number) => Array.from({ length: n }, (_, i) => pod(`p${i}`, { node: 'n1' }));
const names = (ps: Pod[]) => ps.map((p) => p.metadata.name);

t.test('the diff: pods to create or delete to reach replicas', async (t) => {
  const cases: { name: string; replicas: number; pods: Pod[]; create: number; del: number }[] = [
    { name: 'a new set creates all its pods', replicas: 3, pods: [], create: 3, del: 0 },
    { name: 'a set at its count does nothing', replicas: 2, pods: running(2), create: 0, del: 0 },
    { name: 'scale up creates the difference', replicas: 5, pods: running(2), create: 3, del: 0 },
    { name: 'scale down deletes the surplus', replicas: 1, pods: running(3), create: 0, del: 2 },
    { name: 'finished and deleting pods do not count', replicas: 2, pods: [pod('a', { node: 'n1' }), pod('b', { phase: 'Failed' }), pod('c', { phase: 'Succeeded' }), pod('d', { deleting: true })], create: 1, del: 0 },
    { name: 'one sync creates at most a burst', replicas: BURST + 20, pods: [], create: BURST, del: 0 },
  ];
  for (const c of cases) {
    const a = computeReplicaSetActions({ replicaSet: rs(c.replicas), pods: c.pods, expectationsSatisfied: true });
    t.same([a.create.length, a.delete.length], [c.create, c.del], c.name);
  }
});

t.test('created pods come from the template, controlled by the set', async (t) => {
  const [p] = computeReplicaSetActions({ replicaSet: rs(1), pods: [], expectationsSatisfied: true }).create;
  t.equal(p.metadata.generateName, 'web-abc-');
  t.equal(p.metadata.namespace, 'default');
  t.same(p.metadata.labels, { app: 'web' });
  t.same(p.metadata.annotations, { note: 'x' });
  t.same(p.metadata.ownerReferences, [{ apiVersion: 'apps/v1', kind: 'ReplicaSet', name: 'web-abc', uid: 'rs-uid', controller: true, blockOwnerDeletion: true }]);
  t.same(p.spec.containers, [{ name: 'app', image: 'busybox:1.35' }]);
});

t.test('deletion order: unscheduled, pending, not ready, then the newest', async (t) => {
  const pods = [
    pod('old-ready', { node: 'n1', created: '2024-01-01T00:00:00Z' }),
    pod('new-ready', { node: 'n1', created: '2024-01-02T00:00:00Z' }),
    pod('not-ready', { node: 'n1', ready: false }),
    pod('pending', { node: 'n1', phase: 'Pending', ready: false }),
    pod('unscheduled', { phase: 'Pending', ready: false }),
  ];
  t.same(names(deletionOrder(pods)), ['unscheduled', 'pending', 'not-ready', 'new-ready', 'old-ready']);
  const a = computeReplicaSetActions({ replicaSet: rs(2), pods, expectationsSatisfied: true });
  t.same(names(a.delete), ['unscheduled', 'pending', 'not-ready'], 'scale 5 → 2 takes the first three');
});

t.test('while expectations are pending, or the set is being deleted, only status is written', async (t) => {
  const pending = computeReplicaSetActions({ replicaSet: rs(3), pods: running(1), expectationsSatisfied: false });
  t.same([pending.create, pending.delete], [[], []]);
  t.equal(pending.status?.replicas, 1);
  const deleting = computeReplicaSetActions({ replicaSet: rs(0, { deletionTimestamp: '2024-01-01T00:00:00Z' }), pods: running(2), expectationsSatisfied: true });
  t.same(deleting.delete, []);
});

t.test('status counts active, fully labeled and ready pods, and is left alone when it says so already', async (t) => {
  const pods = [pod('a', { node: 'n1' }), pod('b', { node: 'n1', ready: false }), pod('c', { node: 'n1', labels: { other: 'x' } }), pod('d', { phase: 'Succeeded' })];
  const a = computeReplicaSetActions({ replicaSet: rs(3), pods, expectationsSatisfied: true });
  t.same(a.status, { replicas: 3, fullyLabeledReplicas: 2, readyReplicas: 2, availableReplicas: 2, observedGeneration: 1 });
  const same = computeReplicaSetActions({ replicaSet: rs(3, {}, a.status), pods, expectationsSatisfied: true });
  t.equal(same.status, undefined);
});
