// computeStatefulSetActions on plain objects: ordered creation and deletion, rolling update by revision, adoption.
import t from 'tap';
import type { Pod, StatefulSet } from '../../../api/types.js';
import { templateHash } from '../podtemplate.js';
import { computeStatefulSetActions, ordinalOf, REVISION_LABEL, type StatefulSetActions } from './actions.js';

const NOW = Date.parse('2024-01-01T00:10:00Z');
const statefulSet = (spec: Partial<StatefulSet['spec']> = {}): StatefulSet => ({
  apiVersion: 'apps/v1',
  kind: 'StatefulSet',
  metadata: { name: 'web', namespace: 'default', uid: 'sts-uid', generation: 1 },
  spec: { replicas: 3, serviceName: 'nginx', selector: { matchLabels: { app: 'web' } }, template: { metadata: { labels: { app: 'web' } }, spec: { containers: [{ name: 'c', image: 'web:1' }] } }, ...spec },
});
const revision = (set: StatefulSet) => `web-${templateHash(set.spec.template)}`;
const pod = (set: StatefulSet, i: number, s: { ready?: boolean; revision?: string; deleting?: boolean; phase?: 'Running' | 'Failed'; orphan?: boolean; readySince?: string } = {}): Pod => ({
  metadata: {
    name: `web-${i}`,
    namespace: 'default',
    uid: `uid-${i}`,
    labels: { app: 'web', [REVISION_LABEL]: s.revision ?? revision(set) },
    ownerReferences: s.orphan ? undefined : [{ apiVersion: 'apps/v1', kind: 'StatefulSet', name: 'web', uid: 'sts-uid', controller: true }],
    ...(s.deleting ? { deletionTimestamp: '2024-01-01T00:00:00Z' } : {}),
  },
  spec: { containers: [] },
  status: { phase: s.phase ?? 'Running', conditions: [{ type: 'Ready', status: s.ready === false ? 'False' : 'True', lastTransitionTime: s.readySince ?? '2024-01-01T00:00:00Z' }] },
});
const steps = (a: StatefulSetActions) => a.steps.map((s) => `${s.type} ${s.pod.metadata.name}`);
const act = (set: StatefulSet, pods: Pod[]) => computeStatefulSetActions({ statefulSet: set, pods, now: NOW });

t.test('ordinals come from names', async (t) => {
  t.same(['web-0', 'web-12', 'web-01', 'web-x', 'webby-1', 'web-'].map((n) => ordinalOf('web', n)), [0, 12, undefined, undefined, undefined, undefined]);
});

t.test('OrderedReady: one pod at a time, lowest ordinal first, each after the previous is ready', async (t) => {
  const set = statefulSet();
  t.same(steps(act(set, [])), ['create web-0']);
  t.same(steps(act(set, [pod(set, 0, { ready: false })])), [], 'web-0 is not ready: wait');
  t.same(steps(act(set, [pod(set, 0)])), ['create web-1']);
  t.same(steps(act(set, [pod(set, 0), pod(set, 1)])), ['create web-2']);
  t.same(steps(act(set, [pod(set, 0), pod(set, 1), pod(set, 2)])), []);
  t.same(steps(act(set, [pod(set, 0), pod(set, 1, { phase: 'Failed', ready: false })])), ['delete web-1'], 'a failed pod is replaced');

  const created = act(set, [pod(set, 0)]).steps[0].pod;
  t.same(created.metadata.labels, { app: 'web', [REVISION_LABEL]: revision(set), 'statefulset.kubernetes.io/pod-name': 'web-1', 'apps.kubernetes.io/pod-index': '1' });
  t.same([created.spec.hostname, created.spec.subdomain], ['web-1', 'nginx']);
  t.same(created.metadata.ownerReferences, [{ apiVersion: 'apps/v1', kind: 'StatefulSet', name: 'web', uid: 'sts-uid', controller: true, blockOwnerDeletion: true }]);
});

t.test('Parallel: every missing pod at once', async (t) => {
  const set = statefulSet({ podManagementPolicy: 'Parallel' });
  t.same(steps(act(set, [pod(set, 1, { ready: false })])), ['create web-0', 'create web-2']);
});

t.test('scale down: highest ordinal first, one at a time while the rest are healthy', async (t) => {
  const set = statefulSet({ replicas: 1 });
  const all = [pod(set, 0), pod(set, 1), pod(set, 2)];
  t.same(steps(act(set, all)), ['delete web-2']);
  t.same(steps(act(set, [pod(set, 0), pod(set, 1), pod(set, 2, { deleting: true })])), [], 'wait for web-2 to go');
  t.same(steps(act(set, [pod(set, 0), pod(set, 1, { ready: false }), pod(set, 2)])), [], 'an unhealthy pod holds the scale-down');
  t.same(steps(act(statefulSet({ replicas: 1, podManagementPolicy: 'Parallel' }), all)), ['delete web-2', 'delete web-1'], 'Parallel deletes them together');
});

t.test('rolling update: highest ordinal first, one at a time, down to the partition', async (t) => {
  const old = statefulSet();
  const set = statefulSet({ template: { metadata: { labels: { app: 'web' } }, spec: { containers: [{ name: 'c', image: 'web:2' }] } } });
  const outdated = [0, 1, 2].map((i) => pod(old, i));
  t.same(steps(act(set, outdated)), ['delete web-2']);
  t.same(steps(act(set, [pod(old, 0), pod(old, 1), pod(set, 2, { ready: false })])), [], 'the new web-2 is not ready yet');
  t.same(steps(act(set, [pod(old, 0), pod(old, 1), pod(set, 2)])), ['delete web-1']);
  const partitioned = { ...set, spec: { ...set.spec, updateStrategy: { type: 'RollingUpdate' as const, rollingUpdate: { partition: 2 } } } };
  t.same(steps(act(partitioned, [pod(old, 0), pod(old, 1), pod(set, 2)])), [], 'ordinals below the partition keep the old revision');
  t.same(steps(act({ ...set, spec: { ...set.spec, updateStrategy: { type: 'OnDelete' } } }, outdated)), [], 'OnDelete waits for the user');
});

t.test('orphans named like the set’s pods are adopted and count as its pods', async (t) => {
  const set = statefulSet({ replicas: 2 });
  const a = act(set, [pod(set, 0, { orphan: true }), { ...pod(set, 1, { orphan: true }), metadata: { ...pod(set, 1).metadata, ownerReferences: undefined, labels: { app: 'other' } } }]);
  t.same(
    a.steps.map((s) => [s.type, s.pod.metadata.name]),
    [
      ['adopt', 'web-0'],
      ['create', 'web-1'],
    ],
    'web-0 matches the selector; the other web-1 does not, so the set makes its own (which the server refuses while it exists)',
  );
  const adopt = a.steps[0];
  t.same(adopt.type === 'adopt' && adopt.ownerReferences, [{ apiVersion: 'apps/v1', kind: 'StatefulSet', name: 'web', uid: 'sts-uid', controller: true, blockOwnerDeletion: true }]);
});

t.test('status: counts and revisions; the update completes when every pod runs it and is ready', async (t) => {
  const old = statefulSet();
  const set = { ...statefulSet({ template: { metadata: { labels: { app: 'web' } }, spec: { containers: [{ name: 'c', image: 'web:2' }] } } }), status: { replicas: 3, currentRevision: revision(old) } };
  const midway = act(set, [pod(old, 0), pod(old, 1), pod(set, 2)]).status!;
  t.same([midway.currentRevision, midway.updateRevision, midway.currentReplicas, midway.updatedReplicas], [revision(old), revision(set), 2, 1]);
  const done = act(set, [pod(set, 0), pod(set, 1), pod(set, 2)]).status!;
  t.same([done.currentRevision, done.currentReplicas, done.updatedReplicas, done.readyReplicas, done.availableReplicas], [revision(set), 3, 3, 3, 3]);
  t.equal(act({ ...set, status: done }, [pod(set, 0), pod(set, 1), pod(set, 2)]).status, undefined, 'unchanged: nothing to write');
});

t.test('minReadySeconds: a ready pod is available once it has been ready long enough; sync again then', async (t) => {
  const set = statefulSet({ replicas: 2, minReadySeconds: 60 });
  const a = act(set, [pod(set, 0, { readySince: '2024-01-01T00:00:00Z' }), pod(set, 1, { readySince: '2024-01-01T00:09:30Z' })]);
  t.equal(a.status?.availableReplicas, 1);
  t.equal(a.requeueAfterMs, 30_000 + 100);
});

t.test('a pod recreated below the partition gets the current revision’s template; at or above it, the update’s', async (t) => {
  const old = statefulSet();
  const set = {
    ...statefulSet({ template: { metadata: { labels: { app: 'web' } }, spec: { containers: [{ name: 'c', image: 'web:2' }] } }, updateStrategy: { type: 'RollingUpdate', rollingUpdate: { partition: 2 } } }),
    status: { replicas: 3, currentRevision: revision(old) },
  };
  const observed = { statefulSet: set, now: NOW, updateRevision: revision(set), currentTemplate: old.spec.template };
  const below = computeStatefulSetActions({ ...observed, pods: [pod(old, 1), pod(set, 2)] }).steps[0].pod;
  t.same([below.metadata.name, below.spec.containers[0].image, below.metadata.labels?.[REVISION_LABEL]], ['web-0', 'web:1', revision(old)]);
  const above = computeStatefulSetActions({ ...observed, pods: [pod(old, 0), pod(old, 1)] }).steps[0].pod;
  t.same([above.metadata.name, above.spec.containers[0].image, above.metadata.labels?.[REVISION_LABEL]], ['web-2', 'web:2', revision(set)]);
  const onDelete = computeStatefulSetActions({ ...observed, statefulSet: { ...set, spec: { ...set.spec, updateStrategy: { type: 'OnDelete' } } }, pods: [pod(old, 1), pod(set, 2)] }).steps[0].pod;
  t.equal(onDelete.spec.containers[0].image, 'web:2', 'OnDelete: a recreated pod is of the update revision');
});
