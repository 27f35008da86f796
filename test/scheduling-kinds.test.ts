// The smaller kinds real manifests use, as kubectl 1.32 sees them: PriorityClass (the two system classes made at
// start-up, user classes, one global default, pods given their class's value by the Priority admission plugin),
// RuntimeClass, PodTemplate and ControllerRevision — with kube-apiserver's validation messages. The server runs
// without controllers, so the store holds exactly what each test writes.
import t from 'tap';
import { startServer, type TestServer } from './server-fixture.js';

let srv: TestServer;
t.before(async () => {
  srv = await startServer({ args: ['--disable-controllers'] });
});
t.teardown(() => srv?.destroy());

const apply = (manifest: object) => srv.kubectl(['apply', '-f', '-'], { input: JSON.stringify(manifest) });
const podWith = (name: string, spec: object = {}) => ({ apiVersion: 'v1', kind: 'Pod', metadata: { name }, spec: { containers: [{ name: 'c', image: 'busybox:1.35' }], ...spec } });
const specOf = async (pod: string) => JSON.parse((await srv.kubectl(['get', 'pod', pod, '-o', 'json'])).stdout).spec;

t.test('PriorityClass: the system classes exist, user classes are validated, one global default', async (t) => {
  const list = await srv.kubectl(['get', 'priorityclasses']);
  t.match(list.stdout, /^NAME\s+VALUE\s+GLOBAL-DEFAULT\s+AGE\s+PREEMPTIONPOLICY$/m);
  t.match(list.stdout, /^system-cluster-critical\s+2000000000\s+false\s+\S+\s+PreemptLowerPriority$/m);
  t.match(list.stdout, /^system-node-critical\s+2000001000\s+false\s+\S+\s+PreemptLowerPriority$/m);
  t.equal((await srv.kubectl(['get', 'pc', 'system-node-critical', '-o', 'name'])).stdout.trim(), 'priorityclass.scheduling.k8s.io/system-node-critical', 'short name pc');

  const high = await srv.kubectl(['create', 'priorityclass', 'high', '--value=1000', '--description=important']);
  t.equal(high.exitCode, 0, high.stderr);
  const low = await srv.kubectl(['create', 'priorityclass', 'low', '--value=10', '--global-default']);
  t.equal(low.exitCode, 0, low.stderr);
  const second = await srv.kubectl(['create', 'priorityclass', 'other-default', '--value=20', '--global-default']);
  t.equal(second.exitCode, 1);
  t.match(second.stderr, 'priorityclasses.scheduling.k8s.io "other-default" is forbidden: PriorityClass low is already marked as default. Only one default can exist');

  const tooHigh = await srv.kubectl(['create', 'priorityclass', 'huge', '--value=1000000001']);
  t.match(tooHigh.stderr, 'PriorityClass.scheduling.k8s.io "huge" is invalid: value: Forbidden: maximum allowed value of a user defined priority is 1000000000');
  const reserved = await srv.kubectl(['create', 'priorityclass', 'system-mine', '--value=5']);
  t.match(reserved.stderr, "metadata.name: Forbidden: priority class names with 'system-' prefix are reserved for system use only. error: system-mine is not a known system priority class");
  const changed = await apply({ apiVersion: 'scheduling.k8s.io/v1', kind: 'PriorityClass', metadata: { name: 'high' }, value: 2000 });
  t.equal(changed.exitCode, 1);
  t.match(changed.stderr, 'value: Forbidden: may not be changed in an update.');
});

t.test('pods get the priority of their class, or of the global default; an unknown class is refused', async (t) => {
  const created = await apply(podWith('important', { priorityClassName: 'high' }));
  t.equal(created.exitCode, 0, created.stderr);
  t.match(await specOf('important'), { priorityClassName: 'high', priority: 1000, preemptionPolicy: 'PreemptLowerPriority' });
  t.equal((await apply(podWith('plain'))).exitCode, 0);
  t.match(await specOf('plain'), { priorityClassName: 'low', priority: 10 }, 'the global default class');
  t.equal((await apply(podWith('critical', { priorityClassName: 'system-node-critical' }))).exitCode, 0);
  t.equal((await specOf('critical')).priority, 2000001000);

  const unknown = await apply(podWith('lost', { priorityClassName: 'nope' }));
  t.equal(unknown.exitCode, 1);
  t.match(unknown.stderr, 'pods "lost" is forbidden: no PriorityClass with name nope was found');
  const stated = await apply(podWith('stated', { priorityClassName: 'high', priority: 5 }));
  t.match(stated.stderr, 'the integer value of priority (5) must not be provided in pod spec; priority admission controller computed 1000 from the given PriorityClass name');
});

t.test('RuntimeClass: a handler that is a DNS label, immutable', async (t) => {
  const rc = { apiVersion: 'node.k8s.io/v1', kind: 'RuntimeClass', metadata: { name: 'runc' }, handler: 'runc' };
  t.equal((await apply(rc)).exitCode, 0);
  t.match((await srv.kubectl(['get', 'runtimeclasses'])).stdout, /^runc\s+runc\s+\S+$/m);
  const changed = await apply({ ...rc, handler: 'kata' });
  t.match(changed.stderr, 'handler: Invalid value: "kata": field is immutable');
  const missing = await apply({ ...rc, metadata: { name: 'none' }, handler: '' });
  t.match(missing.stderr, 'handler: Required value');
});

t.test('PodTemplate and ControllerRevision', async (t) => {
  const tpl = { apiVersion: 'v1', kind: 'PodTemplate', metadata: { name: 'tpl' }, template: { metadata: { labels: { a: 'b' } }, spec: { containers: [{ name: 'c', image: 'busybox:1.35' }] } } };
  t.equal((await apply(tpl)).exitCode, 0);
  t.equal((await srv.kubectl(['get', 'podtemplates', '-o', 'name'])).stdout.trim(), 'podtemplate/tpl');
  const empty = await apply({ ...tpl, metadata: { name: 'empty' }, template: { spec: { containers: [] } } });
  t.match(empty.stderr, 'template.spec.containers: Required value');

  const rev = { apiVersion: 'apps/v1', kind: 'ControllerRevision', metadata: { name: 'ds-1' }, revision: 1, data: { spec: { template: { spec: {} } } } };
  t.equal((await apply(rev)).exitCode, 0);
  t.match((await srv.kubectl(['get', 'controllerrevisions'])).stdout, /^ds-1\s+<none>\s+1\s+\S+$/m);
  // A replace: apply can't compute a patch inside RawExtension data.
  const edited = await srv.kubectl(['replace', '-f', '-'], { input: JSON.stringify({ ...rev, data: { spec: { other: true } } }) });
  t.equal(edited.exitCode, 1);
  t.match(edited.stderr, 'data: Invalid value');
  t.match(edited.stderr, 'field is immutable');
});
