// PodDisruptionBudgets, the eviction API, `kubectl cordon|drain|uncordon` and ReplicationControllers with kubectl 1.32 against a kubets
// server with its controllers. There is no kubelet: the test plays its part by marking the pods it makes Running and
// Ready, and the pods have no termination grace, so an allowed eviction deletes them at once.
import t from 'tap';
import { StatusError } from '../api/errors.js';
import { Informer } from '../api/informer.js';
import { Resources } from '../api/resources.js';
import type { Pod } from '../api/types.js';
import { startServer, type TestServer } from './server-fixture.js';
import { until } from './until.js';

type Any = any;

let srv: TestServer;
const root = t;
let pdbPods: ReturnType<typeof runPods>;
t.before(async () => {
  // The nodes here have no kubelet to renew their leases: the node controller must not mark their pods not ready.
  srv = await startServer({ args: ['--node-monitor-grace-period', '3600'] });
});
t.teardown(() => srv?.destroy());

const ok = async (args: string[], input?: string) => {
  const r = await srv.kubectl(args, input === undefined ? undefined : { input });
  if (r.exitCode !== 0) throw new Error(`kubectl ${args.join(' ')}: ${r.stderr}`);
  return r.stdout;
};
const node = (name: string) => JSON.stringify({ apiVersion: 'v1', kind: 'Node', metadata: { name, labels: { 'kubernetes.io/hostname': name } } });

/** A ReplicaSet whose pods go straight to `nodeName` (no scheduler) and end at once when deleted. */
const replicaSet = (ns: string, name: string, replicas: number, nodeName: string) =>
  JSON.stringify({
    apiVersion: 'apps/v1',
    kind: 'ReplicaSet',
    metadata: { name, namespace: ns },
    spec: { replicas, selector: { matchLabels: { app: name } }, template: { metadata: { labels: { app: name } }, spec: { nodeName, terminationGracePeriodSeconds: 0, containers: [{ name: 'c', image: 'busybox:1.35' }] } } },
  });

/**
 * Plays the kubelet for a namespace: every pod that appears there is reported Running and Ready — unless held, when
 * new pods stay Pending (replacements that have not started yet) until released.
 */
function runPods(ns: string): { close(): Promise<void>; hold(): void; release(): void } {
  const pods = new Informer<Pod>(srv.client, Resources.pods, { namespace: ns });
  let held = false;
  const start = (p: Pod) => {
    if (held || p.status?.phase !== 'Pending' || p.metadata.deletionTimestamp) return;
    const now = new Date().toISOString().replace(/\.\d+Z$/, 'Z');
    void srv.client
      .patch(Resources.pods, ns, p.metadata.name!, 'merge', { status: { phase: 'Running', conditions: [{ type: 'Ready', status: 'True', lastTransitionTime: now }] } }, 'status')
      .catch(() => undefined);
  };
  pods.addHandlers({ onAdd: start, onUpdate: (_o, p) => start(p) });
  pods.start();
  return {
    close: () => pods.close(),
    hold: () => (held = true),
    release: () => {
      held = false;
      for (const p of pods.list()) start(p);
    },
  };
}

const pdbStatus = async (ns: string, name: string) => JSON.parse(await ok(['get', 'pdb', name, '-n', ns, '-o', 'json'])).status;
const evict = (ns: string, name: string) =>
  srv.client.createSubresource(Resources.pods, ns, name, 'eviction', { apiVersion: 'policy/v1', kind: 'Eviction', metadata: { name, namespace: ns } });
const readyPods = async (ns: string) => (await srv.client.list<Pod>(Resources.pods, ns)).items.filter((p) => !p.metadata.deletionTimestamp && p.status?.conditions?.some((c) => c.type === 'Ready' && c.status === 'True'));

t.test('a PodDisruptionBudget: validation, kubectl columns and the status the disruption controller keeps', async (t) => {
  await ok(['create', 'namespace', 'pdb']);
  const both = await srv.kubectl(['apply', '-f', '-'], { input: JSON.stringify({ apiVersion: 'policy/v1', kind: 'PodDisruptionBudget', metadata: { name: 'bad', namespace: 'pdb' }, spec: { minAvailable: 1, maxUnavailable: '150%', selector: { matchLabels: { app: 'x' } } } }) });
  t.equal(both.exitCode, 1);
  t.match(both.stderr, 'minAvailable and maxUnavailable cannot be both set');
  t.match(both.stderr, 'spec.maxUnavailable: Invalid value: "150%": must not be greater than 100%');

  await ok(['apply', '-f', '-'], node('pdb-node'));
  // The pods of this namespace are run for this test and the next two.
  pdbPods = runPods('pdb');
  root.teardown(() => pdbPods.close());
  await ok(['apply', '-f', '-'], replicaSet('pdb', 'web', 3, 'pdb-node'));
  await ok(['create', 'pdb', 'web', '-n', 'pdb', '--selector=app=web', '--min-available=2']);
  await ok(['create', 'pdb', 'web-pct', '-n', 'pdb', '--selector=app=nothing', '--max-unavailable=50%']);
  await until('the budget counts three healthy pods', async () => (await pdbStatus('pdb', 'web'))?.currentHealthy === 3, 30_000);
  const st = await pdbStatus('pdb', 'web');
  t.match(st, { currentHealthy: 3, desiredHealthy: 2, expectedPods: 3, disruptionsAllowed: 1, observedGeneration: 1 });
  t.match(st.conditions, [{ type: 'DisruptionAllowed', status: 'True', reason: 'SufficientPods' }]);
  const table = await ok(['get', 'pdb', '-n', 'pdb']);
  t.match(table, /^NAME\s+MIN AVAILABLE\s+MAX UNAVAILABLE\s+ALLOWED DISRUPTIONS\s+AGE$/m);
  t.match(table, /^web\s+2\s+N\/A\s+1\s+\S+$/m);
  t.match(table, /^web-pct\s+N\/A\s+50%\s+0\s+\S+$/m);
  t.match(await ok(['get', 'poddisruptionbudgets.policy', '-n', 'pdb', '-o', 'name']), 'poddisruptionbudget.policy/web');
});

t.test('the eviction API honours the budget: one eviction passes, the next gets 429 with the budget as its cause', async (t) => {
  const [first, second] = await readyPods('pdb');
  pdbPods.hold();
  await evict('pdb', first.metadata.name!);
  t.equal((await srv.kubectl(['get', 'pod', first.metadata.name!, '-n', 'pdb'])).exitCode, 1, 'the evicted pod is gone');
  const refused = await evict('pdb', second.metadata.name!).then(
    () => undefined,
    (e: StatusError) => e,
  );
  t.ok(refused instanceof StatusError, 'the second eviction is refused');
  t.equal(refused!.code, 429);
  t.equal(refused!.reason, 'TooManyRequests');
  t.equal(refused!.message, "Cannot evict pod as it would violate the pod's disruption budget.");
  t.match(refused!.details?.causes, [{ reason: 'DisruptionBudget', message: /^The disruption budget web needs 2 healthy pods and has [12] currently$/ }]);
  // The replacement starts, and the budget allows one disruption again.
  pdbPods.release();
  await until('the budget allows a disruption again', async () => (await pdbStatus('pdb', 'web')).disruptionsAllowed === 1, 30_000);
});

t.test('an evicted pod first gets the DisruptionTarget condition, as kube-apiserver gives it (not on a dry run)', async (t) => {
  // A pod on a node with a grace period outlives its deletion until its kubelet confirms: the condition is visible.
  const pod = { apiVersion: 'v1', kind: 'Pod', metadata: { name: 'graceful', namespace: 'pdb' }, spec: { nodeName: 'pdb-node', terminationGracePeriodSeconds: 30, containers: [{ name: 'c', image: 'busybox:1.35' }] } };
  await srv.client.create(Resources.pods, 'pdb', pod);
  // This namespace's stand-in kubelet reports it running first (its status write would replace the conditions).
  await until('the pod runs', async () => (await srv.client.get<Pod>(Resources.pods, 'pdb', 'graceful')).status?.phase === 'Running');
  await srv.client.createSubresource(Resources.pods, 'pdb', 'graceful', 'eviction', { apiVersion: 'policy/v1', kind: 'Eviction', metadata: { name: 'graceful', namespace: 'pdb' }, deleteOptions: { dryRun: ['All'] } });
  const untouched = await srv.client.get<Pod>(Resources.pods, 'pdb', 'graceful');
  t.notOk(untouched.status?.conditions?.some((c) => c.type === 'DisruptionTarget'), 'a dry run marks nothing');
  t.notOk(untouched.metadata.deletionTimestamp, 'a dry run deletes nothing');
  await evict('pdb', 'graceful');
  const evicted = await srv.client.get<Pod>(Resources.pods, 'pdb', 'graceful');
  t.ok(evicted.metadata.deletionTimestamp, 'the pod is terminating');
  const target = evicted.status?.conditions?.find((c) => c.type === 'DisruptionTarget');
  t.same(target && Object.keys(target), ['type', 'status', 'lastProbeTime', 'lastTransitionTime', 'reason', 'message'], "kube's field order");
  t.match(target, { type: 'DisruptionTarget', status: 'True', lastProbeTime: null, lastTransitionTime: /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ$/, reason: 'EvictionByEvictionAPI', message: 'Eviction API: evicting' });
  await srv.client.delete(Resources.pods, 'pdb', 'graceful', { gracePeriodSeconds: 0 });
});

t.test('two evictions racing for the last allowed disruption: exactly one passes', async (t) => {
  const [a, b] = await readyPods('pdb');
  pdbPods.hold();
  const results = await Promise.allSettled([evict('pdb', a.metadata.name!), evict('pdb', b.metadata.name!)]);
  t.equal(results.filter((r) => r.status === 'fulfilled').length, 1, 'one eviction allowed');
  const rejected = results.find((r) => r.status === 'rejected') as PromiseRejectedResult;
  t.equal((rejected.reason as StatusError).code, 429);
  pdbPods.release();
  await until('the budget allows a disruption again', async () => (await pdbStatus('pdb', 'web')).disruptionsAllowed === 1, 30_000);
});

t.test('kubectl cordon, drain (waiting on the budget) and uncordon', async (t) => {
  await ok(['create', 'namespace', 'drain']);
  await ok(['apply', '-f', '-'], node('drain-node'));
  const pods = runPods('drain');
  t.teardown(() => pods.close());
  await ok(['apply', '-f', '-'], replicaSet('drain', 'api', 2, 'drain-node'));
  await ok(['create', 'pdb', 'api', '-n', 'drain', '--selector=app=api', '--max-unavailable=1']);
  await until('the budget counts two healthy pods', async () => (await pdbStatus('drain', 'api'))?.currentHealthy === 2, 30_000);
  const before = (await srv.client.list<Pod>(Resources.pods, 'drain')).items.map((p) => p.metadata.name!);

  t.match(await ok(['cordon', 'drain-node']), 'node/drain-node cordoned');
  t.match(await ok(['get', 'node', 'drain-node']), /drain-node\s+\S+,SchedulingDisabled/);
  // Both pods are evicted at once: the budget lets one go, the other is retried until its replacement is ready.
  const drain = await srv.kubectl(['drain', 'drain-node', '--ignore-daemonsets', '--delete-emptydir-data', '--timeout=90s']);
  t.equal(drain.exitCode, 0, drain.stderr);
  t.match(drain.stdout, 'node/drain-node drained');
  for (const name of before) t.match(drain.stdout, `pod/${name} evicted`);
  t.match(drain.stderr, "Cannot evict pod as it would violate the pod's disruption budget.");
  const left = (await srv.client.list<Pod>(Resources.pods, 'drain')).items.map((p) => p.metadata.name!);
  t.notOk(left.some((n) => before.includes(n)), 'every pod that was on the node is gone');

  t.match(await ok(['uncordon', 'drain-node']), 'node/drain-node uncordoned');
  const spec = JSON.parse(await ok(['get', 'node', 'drain-node', '-o', 'json'])).spec as Any;
  t.notOk(spec.unschedulable, 'schedulable again');
});

t.test('a ReplicationController keeps its replicas, scales with kubectl, and counts as its pods\' controller for a budget', async (t) => {
  await ok(['create', 'namespace', 'rc']);
  await ok(['apply', '-f', '-'], node('rc-node'));
  const pods = runPods('rc');
  t.teardown(() => pods.close());
  const rc = { apiVersion: 'v1', kind: 'ReplicationController', metadata: { name: 'old', namespace: 'rc' }, spec: { replicas: 2, template: { metadata: { labels: { app: 'old' } }, spec: { nodeName: 'rc-node', terminationGracePeriodSeconds: 0, containers: [{ name: 'c', image: 'busybox:1.35' }] } } } };
  await ok(['apply', '-f', '-'], JSON.stringify(rc));
  t.same(JSON.parse(await ok(['get', 'rc', 'old', '-n', 'rc', '-o', 'json'])).spec.selector, { app: 'old' }, 'the selector defaults to the template labels');
  await until('two ready replicas', async () => /^old\s+2\s+2\s+2\s+\S+$/m.test(await ok(['get', 'rc', '-n', 'rc'])), 30_000);
  t.match(await ok(['get', 'rc', '-n', 'rc']), /^NAME\s+DESIRED\s+CURRENT\s+READY\s+AGE$/m);
  const owners = (await srv.client.list<Pod>(Resources.pods, 'rc')).items.map((p) => p.metadata.ownerReferences?.[0]);
  t.match(owners, [{ apiVersion: 'v1', kind: 'ReplicationController', name: 'old', controller: true }, { kind: 'ReplicationController' }]);

  t.match(await ok(['scale', 'rc', 'old', '-n', 'rc', '--replicas=3']), 'replicationcontroller/old scaled');
  await until('three ready replicas', async () => /^old\s+3\s+3\s+3\s+/m.test(await ok(['get', 'rc', '-n', 'rc'])), 30_000);
  await ok(['create', 'pdb', 'old', '-n', 'rc', '--selector=app=old', '--max-unavailable=1']);
  await until('the budget expects the controller\'s three', async () => (await pdbStatus('rc', 'old'))?.expectedPods === 3, 30_000);
  t.match(await pdbStatus('rc', 'old'), { expectedPods: 3, desiredHealthy: 2, currentHealthy: 3, disruptionsAllowed: 1 });

  const bad = await srv.kubectl(['apply', '-f', '-'], { input: JSON.stringify({ ...rc, metadata: { name: 'bad', namespace: 'rc' }, spec: { ...rc.spec, selector: { app: 'other' } } }) });
  t.match(bad.stderr, 'spec.template.metadata.labels: Invalid value');
});
