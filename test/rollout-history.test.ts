// ControllerRevisions for DaemonSets and StatefulSets against a real `kubets server`, driven with the real kubectl:
// `kubectl rollout history|undo|status` on both kinds, revision numbering, CHANGE-CAUSE, the history limit, OnDelete
// and a StatefulSet partition. No containers run: the test plays the kubelet by writing pod status.
import t from 'tap';
import { Resources } from '../api/resources.js';
import { formatTime } from '../api/time.js';
import type { ControllerRevision, DaemonSet, Node, Pod, StatefulSet } from '../api/types.js';
import { kubectlExpecting, startServer, type TestServer } from './server-fixture.js';
import { until } from './until.js';

let srv: TestServer;
t.before(async () => {
  // Nodes here have no lease: a long grace period keeps them Ready for the whole file.
  srv = await startServer({ args: ['--node-monitor-grace-period', '3600'] });
  for (const name of ['n1', 'n2']) {
    const node = await srv.client.create<Node>(Resources.nodes, undefined, { apiVersion: 'v1', kind: 'Node', metadata: { name, labels: { 'kubernetes.io/hostname': name } }, spec: {} });
    const now = formatTime();
    const status = { capacity: { cpu: '2', memory: '4Gi', pods: '110' }, allocatable: { cpu: '2', memory: '4Gi', pods: '110' }, conditions: [{ type: 'Ready', status: 'True', reason: 'KubeletReady', message: 'kubelet is posting ready status', lastHeartbeatTime: now, lastTransitionTime: now }] };
    await srv.client.updateStatus(Resources.nodes, { ...node, status } as Node);
  }
});
t.teardown(() => srv?.destroy());

const kubectl = kubectlExpecting(() => srv);
const podsOf = async (app: string) => (await srv.client.list<Pod>(Resources.pods, 'default', { labelSelector: `app=${app}` })).items;
const revisionsOf = async (app: string) => (await srv.client.list<ControllerRevision>(Resources.controllerrevisions, 'default', { labelSelector: `app=${app}` })).items.sort((a, b) => a.revision - b.revision);
const hashOf = (o: { metadata: { labels?: Record<string, string> } }) => o.metadata.labels?.['controller-revision-hash'];

/** What kubelets would do: confirm graceful deletions, and report every other pod Running and Ready. */
async function playKubelet(app: string): Promise<Pod[]> {
  const live: Pod[] = [];
  for (const p of await podsOf(app)) {
    if (p.metadata.deletionTimestamp) {
      await srv.client.delete(Resources.pods, 'default', p.metadata.name!, { gracePeriodSeconds: 0 }).catch(() => {});
      continue;
    }
    live.push(p);
    if (p.status?.phase === 'Running') continue;
    const now = formatTime();
    await srv.client.patch(Resources.pods, 'default', p.metadata.name!, 'merge', {
      status: { phase: 'Running', conditions: [{ type: 'Ready', status: 'True', lastTransitionTime: now }], containerStatuses: [{ name: 'c', ready: true, restartCount: 0, image: p.spec.containers[0].image, imageID: '', state: { running: { startedAt: now } } }] },
    }, 'status').catch(() => {});
  }
  return live;
}

const daemonSet = (image: string, cause: string) => `apiVersion: apps/v1
kind: DaemonSet
metadata: {name: agent, annotations: {kubernetes.io/change-cause: "${cause}"}}
spec:
  selector: {matchLabels: {app: agent}}
  updateStrategy: {type: RollingUpdate, rollingUpdate: {maxUnavailable: 2}}
  template:
    metadata: {labels: {app: agent}}
    spec:
      containers: [{name: c, image: "${image}"}]
`;

/** Plays the kubelet until the daemon set's pods all run the image, and its status says so. */
async function dsRolledTo(image: string): Promise<Pod[]> {
  return until(`agent at ${image}`, async () => {
    const pods = await playKubelet('agent');
    const ds = await srv.client.get<DaemonSet>(Resources.daemonsets, 'default', 'agent');
    const s = ds.status;
    const done = s !== undefined && s.observedGeneration === ds.metadata.generation && s.updatedNumberScheduled === 2 && s.numberAvailable === 2 && pods.length === 2;
    return done && pods.every((p) => p.spec.containers[0].image === image) && pods;
  }, 30_000, 100);
}

t.test('DaemonSet: a revision per template; pods carry its hash; rollout history, status and undo', async (t) => {
  await kubectl.ok(['apply', '-f', '-'], daemonSet('busybox:1.35', 'first'));
  const first = await dsRolledTo('busybox:1.35');
  const [r1] = await until('revision 1', async () => {
    const revs = await revisionsOf('agent');
    return revs.length === 1 && revs;
  });
  const ds = await srv.client.get<DaemonSet>(Resources.daemonsets, 'default', 'agent');
  t.equal(r1.revision, 1);
  t.equal(r1.metadata.name, `agent-${hashOf(r1)}`);
  t.same(r1.metadata.ownerReferences, [{ apiVersion: 'apps/v1', kind: 'DaemonSet', name: 'agent', uid: ds.metadata.uid, controller: true, blockOwnerDeletion: true }]);
  t.same((r1.data as { spec: { template: Record<string, unknown> } }).spec.template.$patch, 'replace', 'data is the patch that restores the template');
  t.same(first.map(hashOf), [hashOf(r1), hashOf(r1)], 'pods carry the revision hash');

  await kubectl.ok(['apply', '-f', '-'], daemonSet('busybox:1.36', 'second'));
  const rollout = kubectl.ok(['rollout', 'status', 'ds/agent', '--timeout=30s']);
  const second = await dsRolledTo('busybox:1.36');
  t.match(await rollout, /daemon set "agent" successfully rolled out/);
  const revs = await revisionsOf('agent');
  t.same(revs.map((r) => r.revision), [1, 2]);
  t.same(second.map(hashOf), [hashOf(revs[1]), hashOf(revs[1])]);

  const table = await kubectl.ok(['get', 'controllerrevisions', '-l', 'app=agent']);
  t.match(table, new RegExp(`^${revs[1].metadata.name}\\s+daemonset\\.apps/agent\\s+2\\s+\\d+s$`, 'm'));
  const history = await kubectl.ok(['rollout', 'history', 'daemonset/agent']);
  t.match(history, /^REVISION\s+CHANGE-CAUSE\n1\s+first\n2\s+second\n/m);
  const one = await kubectl.ok(['rollout', 'history', 'daemonset/agent', '--revision=1']);
  t.match(one, /with revision #1\nPod Template:\n\s+Labels:\s+app=agent\n[\s\S]*Image:\s+busybox:1\.35/);

  // undo: kubectl patches the daemon set with revision 1's data; that revision becomes number 3.
  t.match(await kubectl.ok(['rollout', 'undo', 'ds/agent']), /daemonset.apps\/agent rolled back/);
  const back = await dsRolledTo('busybox:1.35');
  t.same(back.map(hashOf), [hashOf(r1), hashOf(r1)], 'the old revision’s hash again');
  t.same((await revisionsOf('agent')).map((r) => [r.metadata.name, r.revision]), [[revs[1].metadata.name, 2], [r1.metadata.name, 3]]);
  t.match(await kubectl.ok(['rollout', 'history', 'ds/agent']), /^2\s+second\n3\s+first\n/m);
  t.match(await kubectl.ok(['rollout', 'status', 'ds/agent', '--timeout=30s']), /successfully rolled out/);
  t.match(await kubectl.ok(['rollout', 'undo', 'ds/agent', '--to-revision=3']), /skipped rollback \(current template already matches revision 3\)/);
  t.match(await kubectl.fails(['rollout', 'undo', 'ds/agent', '--to-revision=9']), /unable to find specified revision 9 in history/);
});

t.test('DaemonSet: revisionHistoryLimit trims old revisions no pod runs; OnDelete leaves old pods until deleted; deletion collects them', async (t) => {
  await kubectl.ok(['patch', 'ds', 'agent', '-p', '{"spec":{"revisionHistoryLimit":0}}']);
  const left = await until('trimmed', async () => {
    const revs = await revisionsOf('agent');
    return revs.length === 1 && revs;
  });
  t.equal(left[0].revision, 3, 'only the revision the pods run');

  await kubectl.ok(['patch', 'ds', 'agent', '-p', '{"spec":{"updateStrategy":{"type":"OnDelete","rollingUpdate":null}}}']);
  await kubectl.ok(['set', 'image', 'ds/agent', 'c=busybox:1.37']);
  const ds = await until('observed', async () => {
    const d = await srv.client.get<DaemonSet>(Resources.daemonsets, 'default', 'agent');
    return d.status?.observedGeneration === d.metadata.generation && (await revisionsOf('agent')).length === 2 && d;
  });
  t.equal(ds.status?.updatedNumberScheduled, 0, 'no pod of the new revision');
  const pods = await playKubelet('agent');
  t.same(pods.map((p) => p.spec.containers[0].image), ['busybox:1.35', 'busybox:1.35'], 'old pods stay');
  const [, next] = await revisionsOf('agent');
  await srv.client.delete(Resources.pods, 'default', pods[0].metadata.name!, { gracePeriodSeconds: 0 });
  const replaced = await until('replacement', async () => {
    const l = await playKubelet('agent');
    const d = await srv.client.get<DaemonSet>(Resources.daemonsets, 'default', 'agent');
    return l.length === 2 && d.status?.updatedNumberScheduled === 1 && l;
  });
  t.same(replaced.map((p) => p.spec.containers[0].image).sort(), ['busybox:1.35', 'busybox:1.37']);
  t.equal(hashOf(replaced.find((p) => p.spec.containers[0].image === 'busybox:1.37')!), hashOf(next));

  await kubectl.ok(['delete', 'ds', 'agent', '--wait=false']);
  await until('revisions collected with their owner', async () => (await revisionsOf('agent')).length === 0);
  t.pass('the garbage collector removes the revisions');
});

const statefulSet = (image: string, cause: string) => `apiVersion: apps/v1
kind: StatefulSet
metadata: {name: web, annotations: {kubernetes.io/change-cause: "${cause}"}}
spec:
  serviceName: web
  replicas: 2
  selector: {matchLabels: {app: web}}
  template:
    metadata: {labels: {app: web}}
    spec:
      containers: [{name: c, image: "${image}"}]
`;

/** Plays the kubelet until the set's status reports `updated` pods at its update revision, all ready. */
async function stsSettled(updated: number): Promise<StatefulSet> {
  return until(`web settled`, async () => {
    await playKubelet('web');
    const s = await srv.client.get<StatefulSet>(Resources.statefulsets, 'default', 'web');
    const st = s.status;
    return st !== undefined && st.observedGeneration === s.metadata.generation && st.readyReplicas === 2 && st.updatedReplicas === updated && st.replicas === 2 && s;
  }, 30_000, 100);
}
const imagesOf = async () => Object.fromEntries((await podsOf('web')).map((p) => [p.metadata.name, p.spec.containers[0].image]));

t.test('StatefulSet: revisions named in status and on pods; rollout history, undo and a partition', async (t) => {
  await kubectl.ok(['apply', '-f', '-'], statefulSet('busybox:1.35', 'first'));
  const s1 = await stsSettled(2);
  const [r1] = await revisionsOf('web');
  t.equal(s1.status?.currentRevision, r1.metadata.name);
  t.equal(s1.status?.updateRevision, r1.metadata.name);
  t.equal(r1.metadata.name, `web-${hashOf(r1)}`);
  t.same((await podsOf('web')).map(hashOf), [r1.metadata.name, r1.metadata.name], 'pods carry the revision’s name');

  await kubectl.ok(['apply', '-f', '-'], statefulSet('busybox:1.36', 'second'));
  const rollout = kubectl.ok(['rollout', 'status', 'sts/web', '--timeout=30s']);
  const s2 = await until('rolled', async () => {
    const s = await stsSettled(2);
    return s.status?.currentRevision === s.status?.updateRevision && s.status?.updateRevision !== r1.metadata.name && s;
  }, 30_000);
  t.match(await rollout, /partitioned roll out complete: 2 new pods have been updated/);
  t.same(await imagesOf(), { 'web-0': 'busybox:1.36', 'web-1': 'busybox:1.36' });
  t.same((await revisionsOf('web')).map((r) => [r.metadata.name, r.revision]), [[r1.metadata.name, 1], [s2.status?.updateRevision, 2]]);
  t.match(await kubectl.ok(['rollout', 'history', 'statefulset/web']), /^REVISION\s+CHANGE-CAUSE\n1\s+first\n2\s+second\n/m);
  t.match(await kubectl.ok(['rollout', 'history', 'sts/web', '--revision=2']), /with revision #2\nPod Template:[\s\S]*Image:\s+busybox:1\.36/);

  // With partition 1 the undo reaches web-1 only; web-0, deleted, comes back at the current revision.
  await kubectl.ok(['patch', 'sts', 'web', '-p', '{"spec":{"updateStrategy":{"rollingUpdate":{"partition":1}}}}']);
  t.match(await kubectl.ok(['rollout', 'undo', 'sts/web', '--to-revision=1']), /statefulset.apps\/web rolled back/);
  const partial = await stsSettled(1);
  t.same([partial.status?.currentRevision, partial.status?.updateRevision], [s2.status?.updateRevision, r1.metadata.name]);
  t.same(await imagesOf(), { 'web-0': 'busybox:1.36', 'web-1': 'busybox:1.35' });
  t.same((await revisionsOf('web')).map((r) => r.revision), [2, 3], 'revision 1 is now 3');
  await srv.client.delete(Resources.pods, 'default', 'web-0', { gracePeriodSeconds: 0 });
  await until('web-0 back', async () => (await podsOf('web')).some((p) => p.metadata.name === 'web-0' && p.metadata.uid !== undefined && p.status?.phase !== 'Running'));
  const recreated = (await podsOf('web')).find((p) => p.metadata.name === 'web-0')!;
  t.equal(recreated.spec.containers[0].image, 'busybox:1.36', 'below the partition: the current revision’s template');
  t.equal(hashOf(recreated), s2.status?.updateRevision);

  await kubectl.ok(['patch', 'sts', 'web', '-p', '{"spec":{"updateStrategy":{"rollingUpdate":{"partition":0}}}}']);
  const done = await until('undo complete', async () => {
    const s = await stsSettled(2);
    return s.status?.currentRevision === r1.metadata.name && s;
  }, 30_000);
  t.equal(done.status?.currentReplicas, 2);
  t.same(await imagesOf(), { 'web-0': 'busybox:1.35', 'web-1': 'busybox:1.35' });
  t.match(await kubectl.ok(['rollout', 'status', 'sts/web', '--timeout=30s']), /roll out complete/);
});
