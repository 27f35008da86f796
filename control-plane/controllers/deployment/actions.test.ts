// computeDeploymentActions and computeDeploymentStatus on plain objects: a rollout step by step, Recreate, history.
import t from 'tap';
import type { Deployment, Pod, ReplicaSet } from '../../../api/types.js';
import { computeDeploymentActions, computeDeploymentStatus, resolveFenceposts, REVISION, type DeploymentActions } from './actions.js';

const template = (image: string) => ({ metadata: { labels: { app: 'web' } }, spec: { containers: [{ name: 'app', image }] } });
const deployment = (spec: Partial<Deployment['spec']> = {}, image = 'web:2'): Deployment => ({
  apiVersion: 'apps/v1',
  kind: 'Deployment',
  metadata: { name: 'web', namespace: 'default', uid: 'd-uid', generation: 2 },
  spec: { replicas: 4, selector: { matchLabels: { app: 'web' } }, template: template(image), ...spec },
});
const replicaSet = (name: string, image: string, revision: number, replicas: number, available = replicas): ReplicaSet => ({
  apiVersion: 'apps/v1',
  kind: 'ReplicaSet',
  metadata: { name, namespace: 'default', uid: `${name}-uid`, generation: 1, annotations: { [REVISION]: String(revision) }, ownerReferences: [{ apiVersion: 'apps/v1', kind: 'Deployment', name: 'web', uid: 'd-uid', controller: true }] },
  spec: { replicas, selector: { matchLabels: { app: 'web' } }, template: { ...template(image), metadata: { labels: { app: 'web', 'pod-template-hash': name.slice(4) } } } },
  status: { replicas, readyReplicas: available, availableReplicas: available, observedGeneration: 1 },
});
const podOf = (rs: ReplicaSet): Pod => ({ metadata: { name: `${rs.metadata.name}-p`, namespace: 'default', ownerReferences: [{ apiVersion: 'apps/v1', kind: 'ReplicaSet', name: rs.metadata.name!, uid: rs.metadata.uid!, controller: true }] }, spec: { containers: [] } });

/** What the API server and the ReplicaSet controller make of the steps: sets created and scaled. */
function apply(sets: ReplicaSet[], actions: DeploymentActions): ReplicaSet[] {
  let out = sets.filter((rs) => !actions.cleanup.includes(rs));
  for (const step of actions.steps) {
    if (step.type === 'create') out = [...out, { ...step.replicaSet, metadata: { ...step.replicaSet.metadata, uid: 'new-uid', generation: 1 }, status: { replicas: 0 } }];
    else if (step.type === 'revision') out = out.map((rs) => (rs.metadata.name === step.name ? { ...rs, metadata: { ...rs.metadata, annotations: { ...rs.metadata.annotations, [REVISION]: step.revision } } } : rs));
    else out = out.map((rs) => (rs.metadata.name === step.name ? { ...rs, spec: { ...rs.spec, replicas: step.to } } : rs));
  }
  return out;
}
/** Every set's pods exist and, when healthy, are available. */
const settle = (sets: ReplicaSet[], newPodsHealthy = true) =>
  sets.map((rs) => {
    const n = rs.spec.replicas ?? 0;
    const healthy = newPodsHealthy || rs.metadata.uid !== 'new-uid';
    return { ...rs, status: { replicas: n, readyReplicas: healthy ? n : 0, availableReplicas: healthy ? n : 0, observedGeneration: 1 } };
  });
const counts = (sets: ReplicaSet[]) => {
  const fresh = sets.find((rs) => rs.metadata.uid === 'new-uid');
  return [fresh?.spec.replicas ?? 0, sets.filter((rs) => rs !== fresh).reduce((a, rs) => a + (rs.spec.replicas ?? 0), 0)];
};

t.test('maxSurge and maxUnavailable resolve from counts and percentages', async (t) => {
  const cases: [Partial<Deployment['spec']>, { surge: number; unavailable: number }][] = [
    [{ replicas: 4 }, { surge: 1, unavailable: 1 }],
    [{ replicas: 10 }, { surge: 3, unavailable: 2 }],
    [{ replicas: 10, strategy: { rollingUpdate: { maxSurge: '50%', maxUnavailable: '0%' } } }, { surge: 5, unavailable: 0 }],
    [{ replicas: 3, strategy: { rollingUpdate: { maxSurge: 0, maxUnavailable: 0 } } }, { surge: 0, unavailable: 1 }],
    [{ replicas: 3, strategy: { type: 'Recreate' } }, { surge: 0, unavailable: 3 }],
  ];
  for (const [spec, want] of cases) t.same(resolveFenceposts(deployment(spec)), want, JSON.stringify(spec));
});

t.test('a new deployment gets one set with every replica', async (t) => {
  const a = computeDeploymentActions({ deployment: deployment({ replicas: 3 }), replicaSets: [], pods: [] });
  t.equal(a.steps.length, 1);
  const step = a.steps[0];
  if (step.type !== 'create') return t.fail('expected a create');
  const rs = step.replicaSet;
  t.match(rs.metadata.name, /^web-[bcdfghjklmnpqrstvwxz2456789]+$/);
  const hash = rs.metadata.labels!['pod-template-hash'];
  t.equal(rs.metadata.name, `web-${hash}`);
  t.same(rs.spec.selector.matchLabels, { app: 'web', 'pod-template-hash': hash });
  t.same(rs.spec.template.metadata?.labels, { app: 'web', 'pod-template-hash': hash });
  t.equal(rs.spec.replicas, 3);
  t.same(rs.metadata.annotations, { [REVISION]: '1', 'deployment.kubernetes.io/desired-replicas': '3', 'deployment.kubernetes.io/max-replicas': '4' });
  t.same(rs.metadata.ownerReferences, [{ apiVersion: 'apps/v1', kind: 'Deployment', name: 'web', uid: 'd-uid', controller: true, blockOwnerDeletion: true }]);
});

t.test('a rolling update, step by step, from the old set to the new within maxSurge 1 / maxUnavailable 1', async (t) => {
  const d = deployment({ replicas: 4, strategy: { rollingUpdate: { maxSurge: 1, maxUnavailable: 1 } } });
  let sets = [replicaSet('web-old', 'web:1', 1, 4)];
  const seen: number[][] = [];
  for (let i = 0; i < 6; i++) {
    const a = computeDeploymentActions({ deployment: d, replicaSets: sets, pods: [] });
    sets = settle(apply(sets, a));
    seen.push(counts(sets));
    const total = sets.reduce((n, rs) => n + (rs.spec.replicas ?? 0), 0);
    t.ok(total <= 5, `step ${i}: never more than replicas + maxSurge (${total})`);
  }
  t.same(seen, [[1, 3], [2, 2], [3, 1], [4, 0], [4, 0], [4, 0]], 'new up and old down one pod at a time, then settled');
  const created = sets.find((rs) => rs.metadata.uid === 'new-uid')!;
  t.equal(created.metadata.annotations?.[REVISION], '2', 'the new set is the next revision');
  t.same(computeDeploymentActions({ deployment: d, replicaSets: sets, pods: [] }).steps, [], 'nothing left to do');
});

t.test('new pods that never become available stop the rollout at maxUnavailable', async (t) => {
  const d = deployment({ replicas: 4, strategy: { rollingUpdate: { maxSurge: 1, maxUnavailable: 1 } } });
  let sets = [replicaSet('web-old', 'web:1', 1, 4)];
  for (let i = 0; i < 4; i++) sets = settle(apply(sets, computeDeploymentActions({ deployment: d, replicaSets: sets, pods: [] })), false);
  t.same(counts(sets), [2, 3], 'three old pods stay: 4 - maxUnavailable');
});

t.test('old sets lose their unavailable pods first, then available ones down to the minimum', async (t) => {
  const d = deployment({ replicas: 4, strategy: { rollingUpdate: { maxSurge: 0, maxUnavailable: 2 } } });
  const sets = [replicaSet('web-old', 'web:1', 1, 4, 3), replicaSet('web-new', 'web:2', 2, 0)];
  const a = computeDeploymentActions({ deployment: d, replicaSets: sets, pods: [] });
  t.same(
    a.steps.map((s) => s.type === 'scale' && [s.name, s.from, s.to]),
    [
      ['web-old', 4, 3],
      ['web-old', 3, 2],
    ],
    'the unavailable pod, then one available pod: two stay available',
  );
  t.same(a.steps[0].type === 'scale' && a.steps[0].annotations, { 'deployment.kubernetes.io/desired-replicas': '4', 'deployment.kubernetes.io/max-replicas': '4' });
});

t.test('Recreate: the old sets go to zero, the new set scales up once their pods are gone', async (t) => {
  const d = deployment({ replicas: 3, strategy: { type: 'Recreate' } });
  const old = replicaSet('web-old', 'web:1', 1, 3);
  const first = computeDeploymentActions({ deployment: d, replicaSets: [old], pods: [podOf(old)] });
  t.same(
    first.steps.map((s) => (s.type === 'create' ? ['create', s.replicaSet.spec.replicas] : s.type === 'scale' ? ['scale', s.name, s.to] : [s.type])),
    [['create', 0], ['scale', 'web-old', 0]],
  );
  let sets = apply([old], first);
  const waiting = computeDeploymentActions({ deployment: d, replicaSets: sets, pods: [podOf(old)] });
  t.same(waiting.steps, [], 'an old pod is still there: wait');
  const gone = computeDeploymentActions({ deployment: d, replicaSets: settle(sets), pods: [] });
  t.same(gone.steps.map((s) => s.type === 'scale' && [s.name, s.from, s.to]), [[sets[1].metadata.name, 0, 3]]);
  sets = apply(settle(sets), gone);
  t.same(counts(sets), [3, 0]);
});

t.test('rolling back to an old template makes its set the newest revision again', async (t) => {
  const d = deployment({ replicas: 2 }, 'web:1');
  const sets = [replicaSet('web-one', 'web:1', 1, 0), replicaSet('web-two', 'web:2', 2, 2)];
  const a = computeDeploymentActions({ deployment: d, replicaSets: sets, pods: [] });
  t.equal(a.newReplicaSet?.metadata.name, 'web-one');
  t.same(a.steps[0], { type: 'revision', name: 'web-one', revision: '3' });
  t.same(a.steps.filter((s) => s.type === 'scale').map((s) => s.type === 'scale' && s.name), ['web-one']);
});

t.test('old sets beyond revisionHistoryLimit are deleted, oldest first, only when idle', async (t) => {
  const d = deployment({ replicas: 1, revisionHistoryLimit: 2 });
  const idle = [1, 2, 3, 4].map((r) => replicaSet(`web-r${r}`, `web:r${r}`, r, 0));
  const busy = replicaSet('web-busy', 'web:busy', 5, 0);
  busy.status = { replicas: 1 };
  const current = replicaSet('web-cur', 'web:2', 6, 1);
  const a = computeDeploymentActions({ deployment: d, replicaSets: [current, busy, ...idle], pods: [] });
  t.same(a.cleanup.map((rs) => rs.metadata.name), ['web-r1', 'web-r2'], 'four idle, two kept; the one with pods is not idle');
  t.same(computeDeploymentActions({ deployment: { ...d, spec: { ...d.spec, revisionHistoryLimit: undefined } }, replicaSets: [current, ...idle], pods: [] }).cleanup, [], 'the default keeps ten');
});

t.test('a paused deployment takes no steps', async (t) => {
  const a = computeDeploymentActions({ deployment: deployment({ paused: true }), replicaSets: [replicaSet('web-old', 'web:1', 1, 4)], pods: [] });
  t.same([a.steps, a.cleanup], [[], []]);
});

t.test('status: counts, Available and Progressing, and nothing to write when only times would change', async (t) => {
  const d = deployment({ replicas: 2 });
  const fresh = replicaSet('web-new', 'web:2', 2, 2);
  const old = replicaSet('web-old', 'web:1', 1, 0);
  const u = computeDeploymentStatus(d, fresh, [old], '2024-01-01T00:00:00Z')!;
  t.same(
    { ...u.status, conditions: u.status.conditions?.map((c) => [c.type, c.status, c.reason]) },
    {
      observedGeneration: 2,
      replicas: 2,
      updatedReplicas: 2,
      readyReplicas: 2,
      availableReplicas: 2,
      unavailableReplicas: 0,
      conditions: [
        ['Available', 'True', 'MinimumReplicasAvailable'],
        ['Progressing', 'True', 'NewReplicaSetAvailable'],
      ],
    },
  );
  t.equal(u.revision, '2', 'the deployment takes the new set’s revision');
  const again = computeDeploymentStatus({ ...d, metadata: { ...d.metadata, annotations: { [REVISION]: '2' } }, status: u.status }, fresh, [old], '2024-01-01T00:05:00Z');
  t.equal(again, undefined);

  const scaled = { ...fresh, metadata: { ...fresh.metadata, generation: 2 } };
  const progressing = computeDeploymentStatus({ ...d, status: u.status }, scaled, [old], '2024-01-01T00:05:00Z')!;
  t.same(progressing.status.conditions?.[1].reason, 'ReplicaSetUpdated', 'a set scaled in this sync has not yet observed it');

  const down = computeDeploymentStatus(d, replicaSet('web-new', 'web:2', 2, 2, 0), [], '2024-01-01T00:00:00Z')!;
  t.same(down.status.conditions?.map((c) => [c.type, c.status, c.reason]), [
    ['Available', 'False', 'MinimumReplicasUnavailable'],
    ['Progressing', 'True', 'NewReplicaSetCreated'],
  ]);
});
