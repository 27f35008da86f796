// kubectl 1.32 against kubets, command by command, asserting what kubectl prints for kube-apiserver: output formats,
// watch, describe (typed clients that ask for protobuf and must get JSON), replace, edit, label/annotate, delete with
// wait and cascade, wait, rollout, and the error messages. The scheduler and controllers run (there are no nodes
// that take pods, so pods stay Pending and deletions are immediate).
import t from 'tap';
import { execa } from 'execa';
import fs from 'node:fs';
import path from 'node:path';
import { parse as parseYaml } from 'yaml';
import { Resources } from '../api/resources.js';
import type { Deployment, KubeObject, Node, Pod, ReplicaSet } from '../api/types.js';
import { kubectlExpecting, startServer, type TestServer } from './server-fixture.js';
import { until } from './until.js';
import { deploymentYaml as manifest } from './manifests.js';
import { formatTime } from '../api/time.js';

const deploymentYaml = (name: string, ns: string, image = 'busybox:1.35') => manifest({ name, namespace: ns, image, container: 'main' });

let srv: TestServer;
t.before(async () => {
  srv = await startServer();
});
t.teardown(() => srv?.destroy());


const { ok } = kubectlExpecting(() => srv);

async function namespace(name: string): Promise<void> {
  await ok(['create', 'namespace', name]);
}

/** A kubectl that keeps running (a watch), its output so far, and a wait until it has opened its watch. */
function streaming(args: string[]) {
  // -v=6 logs each request on stderr once it is answered; stdout stays what the user sees.
  const proc = execa('kubectl', [...args, '-v=6'], { env: { KUBECONFIG: srv.kubeconfig }, reject: false, timeout: 60_000 });
  const out = { stdout: '', stderr: '' };
  proc.stdout!.on('data', (c: Buffer) => (out.stdout += c));
  proc.stderr!.on('data', (c: Buffer) => (out.stderr += c));
  // kubectl lists, then watches from the list's resourceVersion: from then on it sees every change.
  const watchOpen = () => until(`kubectl ${args.join(' ')} watching`, () => /\] GET \S+[?&]watch=true\S* 200 OK/.test(out.stderr));
  return { proc, out, watchOpen };
}


t.test('api-versions lists every served group version', async (t) => {
  const groups = await srv.client.request<{ groups: { versions: { groupVersion: string }[] }[] }>('GET', '/apis');
  const expected = ['v1', ...groups.groups.flatMap((g) => g.versions.map((v) => v.groupVersion))].sort();
  const printed = (await ok(['api-versions'])).split('\n');
  t.same(printed, expected);
  t.ok(['apps/v1', 'coordination.k8s.io/v1', 'discovery.k8s.io/v1', 'v1'].every((gv) => printed.includes(gv)));
});

t.test('get -o yaml|json|name|jsonpath and --sort-by', async (t) => {
  await namespace('out');
  // Only what this test made: every namespace also holds kube-root-ca.crt.
  const made = ['--field-selector', 'metadata.name!=kube-root-ca.crt'];
  for (const [name, k] of [['zeta', '1'], ['alpha', '3'], ['mid', '2']]) await ok(['create', 'configmap', name, '-n', 'out', `--from-literal=k=${k}`]);
  t.equal(await ok(['get', 'cm', '-n', 'out', ...made, '-o', 'name', '--sort-by=.metadata.name']), 'configmap/alpha\nconfigmap/mid\nconfigmap/zeta');
  t.equal(await ok(['get', 'cm', '-n', 'out', ...made, '-o', 'name', '--sort-by=.data.k']), 'configmap/zeta\nconfigmap/mid\nconfigmap/alpha');
  const table = await ok(['get', 'cm', '-n', 'out', ...made, '--sort-by=.metadata.name']);
  t.match(table, /^NAME\s+DATA\s+AGE\nalpha\s+1\s+\d+s\nmid\s+1\s+\d+s\nzeta\s+1\s+\d+s$/);
  t.equal(await ok(['get', 'cm', '-n', 'out', ...made, '-o', 'jsonpath={.items[*].metadata.name}']), 'alpha mid zeta');
  t.equal(await ok(['get', 'cm', '-n', 'out', ...made, '-o', 'jsonpath={range .items[*]}{.metadata.name}={.data.k}{"\\n"}{end}']), 'alpha=3\nmid=2\nzeta=1');
  t.equal(await ok(['get', 'cm', 'mid', '-n', 'out', '-o', 'jsonpath={.metadata.namespace}/{.kind}']), 'out/ConfigMap');

  const list = parseYaml(await ok(['get', 'cm', '-n', 'out', ...made, '-o', 'yaml']));
  t.equal(list.kind, 'List');
  t.equal(list.apiVersion, 'v1');
  t.same(list.items.map((i: KubeObject) => `${i.apiVersion} ${i.kind} ${i.metadata.name}`), ['v1 ConfigMap alpha', 'v1 ConfigMap mid', 'v1 ConfigMap zeta']);
  const one = JSON.parse(await ok(['get', 'cm', 'zeta', '-n', 'out', '-o', 'json']));
  const stored = await srv.client.get(Resources.configmaps, 'out', 'zeta');
  delete stored.metadata.managedFields; // kubectl hides them unless --show-managed-fields
  t.same(one, stored, 'kubectl -o json prints the stored object unchanged');
  t.match(one.metadata, { name: 'zeta', namespace: 'out', uid: /^[0-9a-f-]{36}$/, resourceVersion: /^\d+$/, creationTimestamp: /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ$/ });
  const cols = await ok(['get', 'cm', '-n', 'out', ...made, '-o', 'custom-columns=NAME:.metadata.name,K:.data.k', '--sort-by=.data.k']);
  t.match(cols, /^NAME\s+K\nzeta\s+1\nmid\s+2\nalpha\s+3$/);
});

t.test('get -w prints the header once, then a line per change', async (t) => {
  await namespace('watch');
  await ok(['create', 'configmap', 'anchor', '-n', 'watch']);
  const plain = streaming(['get', 'pods', '-n', 'watch', '-w']);
  const events = streaming(['get', 'pods', '-n', 'watch', '-w', '--output-watch-events']);
  t.teardown(() => {
    plain.proc.kill();
    events.proc.kill();
  });
  await plain.watchOpen();
  await events.watchOpen();
  await ok(['run', 'w1', '-n', 'watch', '--image=busybox:1.35', '--labels=app=w']);
  await ok(['label', 'pod', 'w1', '-n', 'watch', 'stage=two']);
  await ok(['delete', 'pod', 'w1', '-n', 'watch']);
  await until('DELETED line', async () => /^DELETED\s+w1\s/m.test(events.out.stdout));
  await until('plain lines', async () => plain.out.stdout.split('\n').filter((l) => l.startsWith('w1')).length >= 3);
  plain.proc.kill();
  events.proc.kill();
  await Promise.all([plain.proc, events.proc]);
  const [plainOut, eventsOut] = [plain.out.stdout, events.out.stdout];

  const elines = eventsOut.trim().split('\n');
  t.match(elines[0], /^EVENT\s+NAME\s+READY\s+STATUS\s+RESTARTS\s+AGE$/);
  t.equal(elines.filter((l) => l.startsWith('EVENT')).length, 1, 'header printed once');
  const rows = elines.slice(1);
  t.match(rows[0], /^ADDED\s+w1\s+0\/1\s+Pending\s+0\s+\d+s$/);
  t.match(rows.at(-1), /^DELETED\s+w1\s+0\/1\s+Pending\s+0\s+\d+s$/);
  const middle = rows.slice(1, -1);
  t.ok(middle.length >= 1, 'the label change (and the scheduler\'s condition) arrive as MODIFIED');
  for (const l of middle) t.match(l, /^MODIFIED\s+w1\s+0\/1\s+Pending\s+0\s+\d+s$/);

  const plines = plainOut.trim().split('\n');
  t.match(plines[0], /^NAME\s+READY\s+STATUS\s+RESTARTS\s+AGE$/);
  t.equal(plines.filter((l) => l.startsWith('NAME')).length, 1, 'header printed once');
  t.equal(plines.length - 1, rows.length, 'one line per event');
  for (const l of plines.slice(1)) t.match(l, /^w1\s+0\/1\s+Pending\s+0\s+\d+s$/);
});

t.test('get all shows pods, services, deployments and replica sets by category', async (t) => {
  await namespace('every');
  await ok(['apply', '-f', '-'], deploymentYaml('web', 'every'));
  await ok(['expose', 'deployment', 'web', '-n', 'every', '--port=80']);
  await until('pod created', async () => (await srv.client.list(Resources.pods, 'every')).items.length === 1);
  const out = await ok(['get', 'all', '-n', 'every']);
  t.match(out, /^NAME\s+READY\s+STATUS\s+RESTARTS\s+AGE\npod\/web-[a-z0-9]{8,10}-[a-z0-9]{5}\s+0\/1\s+Pending\s+0\s+\d+s$/m);
  t.match(out, /^NAME\s+TYPE\s+CLUSTER-IP\s+EXTERNAL-IP\s+PORT\(S\)\s+AGE\nservice\/web\s+ClusterIP\s+10\.\d+\.\d+\.\d+\s+<none>\s+80\/TCP\s+\d+s$/m);
  t.match(out, /^NAME\s+READY\s+UP-TO-DATE\s+AVAILABLE\s+AGE\ndeployment\.apps\/web\s+0\/1\s+1\s+0\s+\d+s$/m);
  t.match(out, /^NAME\s+DESIRED\s+CURRENT\s+READY\s+AGE\nreplicaset\.apps\/web-[a-z0-9]{8,10}\s+1\s+1\s+0\s+\d+s$/m);
  t.notMatch(out, /configmap|endpoints|event/i, 'only the "all" category');
});

t.test('describe pod, node, deployment and service, with their events', async (t) => {
  await namespace('desc');
  // Typed clients (describe) ask for protobuf first; the server answers JSON and says so.
  const raw = await srv.client.raw('GET', '/api/v1/namespaces/desc', undefined, { accept: 'application/vnd.kubernetes.protobuf, application/json' });
  t.equal(raw.status, 200);
  t.match(String(raw.headers['content-type']), /^application\/json/);

  await ok(['run', 'lonely', '-n', 'desc', '--image=busybox:1.35', '--labels=app=lonely']);
  await until('FailedScheduling', async () => (await srv.client.list(Resources.events, 'desc', { fieldSelector: 'reason=FailedScheduling' })).items.length > 0);
  const pod = await ok(['describe', 'pod', 'lonely', '-n', 'desc']);
  t.match(pod, /^Name:\s+lonely$/m);
  t.match(pod, /^Namespace:\s+desc$/m);
  t.match(pod, /^Status:\s+Pending$/m);
  t.match(pod, /^QoS Class:\s+BestEffort$/m);
  t.match(pod, /^Labels:\s+app=lonely$/m);
  t.match(pod, /^Containers:\n\s+lonely:\n\s+Image:\s+busybox:1\.35$/m);
  t.match(pod, /^Events:\n\s+Type\s+Reason\s+Age\s+From\s+Message\n\s+----\s+------\s+----\s+----\s+-------\n\s+Warning\s+FailedScheduling\s+\d+s( \(x\d+ over \d+s\))?\s+default-scheduler\s+0\/\d+ nodes are available/m);

  // A node that takes no pods (NoSchedule), with the status a kubelet reports.
  const node = await srv.client.create<Node>(Resources.nodes, undefined, { apiVersion: 'v1', kind: 'Node', metadata: { name: 'desc-node', labels: { 'kubernetes.io/hostname': 'desc-node', 'node-role.kubernetes.io/control-plane': '' } }, spec: { taints: [{ key: 'dedicated', value: 'none', effect: 'NoSchedule' }] } });
  const now = formatTime();
  // A merge patch of status, as the node controller may write the node meanwhile (podCIDR).
  await srv.client.patch(Resources.nodes, undefined, node.metadata.name!, 'merge', {
    status: {
      capacity: { cpu: '2', memory: '4Gi', pods: '110' },
      allocatable: { cpu: '2', memory: '4Gi', pods: '110' },
      addresses: [{ type: 'InternalIP', address: '192.0.2.7' }, { type: 'Hostname', address: 'desc-node' }],
      conditions: [{ type: 'Ready', status: 'True', reason: 'KubeletReady', message: 'kubelet is posting ready status', lastHeartbeatTime: now, lastTransitionTime: now }],
      nodeInfo: { machineID: 'm', systemUUID: 's', bootID: 'b', kernelVersion: '6.1.0', osImage: 'Debian GNU/Linux 12 (bookworm)', containerRuntimeVersion: 'containerd://1.6.20', kubeletVersion: 'v1.32.0-kubets', kubeProxyVersion: 'v1.32.0-kubets', operatingSystem: 'linux', architecture: 'amd64' },
    },
  }, 'status');
  await until('node event', async () => (await srv.client.list(Resources.events, undefined, { fieldSelector: 'involvedObject.name=desc-node' })).items.length > 0);
  const nd = await ok(['describe', 'node', 'desc-node']);
  t.match(nd, /^Name:\s+desc-node$/m);
  t.match(nd, /^Roles:\s+control-plane$/m);
  t.match(nd, /^Taints:\s+dedicated=none:NoSchedule$/m);
  t.match(nd, /^\s+Ready\s+True\s+.*KubeletReady\s+kubelet is posting ready status$/m);
  t.match(nd, /^Addresses:\n\s+InternalIP:\s+192\.0\.2\.7\n\s+Hostname:\s+desc-node$/m);
  t.match(nd, /^\s+Kernel Version:\s+6\.1\.0$/m);
  t.match(nd, /^\s+Container Runtime Version:\s+containerd:\/\/1\.6\.20$/m);
  t.match(nd, /^PodCIDR:\s+10\.244\.\d+\.0\/24$/m);
  t.match(nd, /^Capacity:\n\s+cpu:\s+2\n\s+memory:\s+4Gi\n\s+pods:\s+110$/m);
  t.match(nd, /^Events:\n\s+Type\s+Reason\s+Age\s+From\s+Message\n.*\n\s+Normal\s+CIDRAssignmentSucceeded\s+\d+s( \(x\d+ over \d+s\))?\s+node-controller\s+Node desc-node got podCIDR 10\.244\.\d+\.0\/24$/m);

  await ok(['apply', '-f', '-'], deploymentYaml('site', 'desc'));
  await until('ScalingReplicaSet', async () => (await srv.client.list(Resources.events, 'desc', { fieldSelector: 'reason=ScalingReplicaSet' })).items.length > 0);
  const dep = await ok(['describe', 'deployment', 'site', '-n', 'desc']);
  t.match(dep, /^Selector:\s+app=site$/m);
  t.match(dep, /^Replicas:\s+1 desired \| 1 updated \| 1 total \| 0 available \| 1 unavailable$/m);
  t.match(dep, /^StrategyType:\s+RollingUpdate$/m);
  t.match(dep, /^RollingUpdateStrategy:\s+25% max unavailable, 25% max surge$/m);
  t.match(dep, /^NewReplicaSet:\s+site-[a-z0-9]+ \(1\/1 replicas created\)$/m);
  t.match(dep, /^\s+Normal\s+ScalingReplicaSet\s+\d+s( \(x\d+ over \d+s\))?\s+deployment-controller\s+Scaled up replica set site-[a-z0-9]+ from 0 to 1$/m);

  await ok(['expose', 'deployment', 'site', '-n', 'desc', '--port=8080', '--target-port=80']);
  const svc = await srv.client.get(Resources.services, 'desc', 'site');
  await srv.client.create(Resources.events, 'desc', { apiVersion: 'v1', kind: 'Event', metadata: { name: 'site.1' }, involvedObject: { kind: 'Service', namespace: 'desc', name: 'site', uid: svc.metadata.uid, apiVersion: 'v1' }, reason: 'Probed', message: 'checked by the test', type: 'Normal', source: { component: 'kubectl-test' }, count: 1, firstTimestamp: now, lastTimestamp: now } as KubeObject);
  const sd = await ok(['describe', 'service', 'site', '-n', 'desc']);
  t.match(sd, /^Type:\s+ClusterIP$/m);
  t.match(sd, /^IP:\s+10\.\d+\.\d+\.\d+$/m);
  t.match(sd, /^Port:\s+<unset>\s+8080\/TCP$/m);
  t.match(sd, /^TargetPort:\s+80\/TCP$/m);
  t.match(sd, /^Selector:\s+app=site$/m);
  t.match(sd, /^Events:\n\s+Type\s+Reason\s+Age\s+From\s+Message\n.*\n\s+Normal\s+Probed\s+\d+s\s+kubectl-test\s+checked by the test$/m);
});

t.test('replace -f, and the errors replace meets', async (t) => {
  await namespace('repl');
  await ok(['create', 'configmap', 'r1', '-n', 'repl', '--from-literal=k=1']);
  const stale = await ok(['get', 'cm', 'r1', '-n', 'repl', '-o', 'yaml']);
  t.equal((await ok(['replace', '-f', '-'], stale.replace('k: "1"', 'k: "2"'))).trim(), 'configmap/r1 replaced');
  t.equal(await ok(['get', 'cm', 'r1', '-n', 'repl', '-o', 'jsonpath={.data.k}']), '2');
  // The same file again carries a resourceVersion that is no longer current.
  const conflict = await srv.kubectl(['replace', '-f', '-'], { input: stale.replace('k: "1"', 'k: "3"') });
  t.equal(conflict.exitCode, 1);
  t.equal(conflict.stderr.trim(), 'Error from server (Conflict): error when replacing "STDIN": Operation cannot be fulfilled on configmaps "r1": the object has been modified; please apply your changes to the latest version and try again');
  const ghost = await srv.kubectl(['replace', '-f', '-'], { input: 'apiVersion: v1\nkind: ConfigMap\nmetadata: {name: ghost, namespace: repl}\n' });
  t.equal(ghost.stderr.trim(), 'Error from server (NotFound): error when replacing "STDIN": configmaps "ghost" not found');

  await ok(['apply', '-f', '-'], deploymentYaml('rd', 'repl'));
  const current = await ok(['get', 'deploy', 'rd', '-n', 'repl', '-o', 'yaml']);
  // Without its resourceVersion the replace is unconditional: the controller's status writes can't turn it into a
  // Conflict before validation speaks.
  const unconditional = current.replace(/^  resourceVersion: .*\n/m, '');
  const invalid = await srv.kubectl(['replace', '-f', '-'], { input: unconditional.replace(/^  replicas: 1$/m, '  replicas: -1').replace('name: main', 'name: Bad_Name') });
  t.equal(invalid.exitCode, 1);
  t.match(invalid.stderr, /^The Deployment "rd" is invalid: \n\* /);
  t.match(invalid.stderr, /^\* spec\.replicas: Invalid value: -1: must be greater than or equal to 0$/m);
  t.match(invalid.stderr, /^\* spec\.template\.spec\.containers\[0\]\.name: Invalid value: "Bad_Name": a lowercase RFC 1123 label must consist of lower case alphanumeric characters or '-', and must start and end with an alphanumeric character/m);
  const patch = await srv.kubectl(['patch', 'deploy', 'rd', '-n', 'repl', '-p', '{"spec":{"replicas":-1}}']);
  t.equal(patch.stderr.trim(), 'The Deployment "rd" is invalid: spec.replicas: Invalid value: -1: must be greater than or equal to 0');
  t.equal((await srv.kubectl(['get', 'pod', 'nope', '-n', 'repl'])).stderr.trim(), 'Error from server (NotFound): pods "nope" not found');
  t.equal((await srv.kubectl(['delete', 'deploy', 'nope', '-n', 'repl'])).stderr.trim(), 'Error from server (NotFound): deployments.apps "nope" not found');
});

t.test('edit runs $EDITOR on the object and patches the difference', async (t) => {
  await namespace('edit');
  await ok(['apply', '-f', '-'], deploymentYaml('ed', 'edit'));
  const dir = fs.mkdtempSync(path.join(srv.dir, 'editor-'));
  const editor = path.join(dir, 'editor.sh');
  fs.writeFileSync(editor, '#!/bin/sh\nsed -i -e \'s/image: busybox:1.35/image: busybox:1.36/\' -e \'s/^  replicas: 1$/  replicas: 2/\' "$1"\n', { mode: 0o755 });
  const before = await srv.client.get<Deployment>(Resources.deployments, 'edit', 'ed');
  t.equal((await ok(['edit', 'deployment', 'ed', '-n', 'edit'], undefined, { EDITOR: editor })).trim(), 'deployment.apps/ed edited');
  const after = await srv.client.get<Deployment>(Resources.deployments, 'edit', 'ed');
  t.equal(after.spec.template.spec.containers[0].image, 'busybox:1.36');
  t.equal(after.spec.replicas, 2);
  t.equal(after.metadata.generation, (before.metadata.generation ?? 1) + 1);
  const unchanged = await srv.kubectl(['edit', 'deployment', 'ed', '-n', 'edit'], { env: { EDITOR: 'true' } });
  t.equal(unchanged.exitCode, 0);
  t.equal(unchanged.stderr.trim(), 'Edit cancelled, no changes made.');
});

t.test('label and annotate: add, refuse without --overwrite, overwrite, remove', async (t) => {
  await namespace('lab');
  await ok(['create', 'configmap', 'l1', '-n', 'lab']);
  t.equal((await ok(['label', 'cm', 'l1', '-n', 'lab', 'tier=a'])).trim(), 'configmap/l1 labeled');
  const refused = await srv.kubectl(['label', 'cm', 'l1', '-n', 'lab', 'tier=b']);
  t.equal(refused.exitCode, 1);
  t.equal(refused.stderr.trim(), "error: 'tier' already has a value (a), and --overwrite is false");
  t.equal((await ok(['label', 'cm', 'l1', '-n', 'lab', 'tier=b', '--overwrite'])).trim(), 'configmap/l1 labeled');
  t.equal(await ok(['get', 'cm', '-n', 'lab', '-l', 'tier=b', '-o', 'name']), 'configmap/l1');
  t.equal((await ok(['label', 'cm', 'l1', '-n', 'lab', 'tier-'])).trim(), 'configmap/l1 unlabeled');
  t.equal(await ok(['get', 'cm', 'l1', '-n', 'lab', '-o', 'jsonpath={.metadata.labels}']), '', 'the emptied labels map is gone');

  t.equal((await ok(['annotate', 'cm', 'l1', '-n', 'lab', 'note=first'])).trim(), 'configmap/l1 annotated');
  const again = await srv.kubectl(['annotate', 'cm', 'l1', '-n', 'lab', 'note=second']);
  t.equal(again.stderr.trim(), "error: --overwrite is false but found the following declared annotation(s): 'note' already has a value (first)");
  t.equal((await ok(['annotate', 'cm', 'l1', '-n', 'lab', 'note=second', '--overwrite'])).trim(), 'configmap/l1 annotated');
  t.equal(await ok(['get', 'cm', 'l1', '-n', 'lab', '-o', 'jsonpath={.metadata.annotations.note}']), 'second');
  t.equal((await ok(['annotate', 'cm', 'l1', '-n', 'lab', 'note-'])).trim(), 'configmap/l1 annotated');
  t.equal(await ok(['get', 'cm', 'l1', '-n', 'lab', '-o', 'jsonpath={.metadata.annotations}']), '');
});

t.test('delete --wait and --cascade=foreground|background|orphan', async (t) => {
  await namespace('del');
  await ok(['create', 'configmap', 'gone', '-n', 'del']);
  t.equal((await ok(['delete', 'configmap', 'gone', '-n', 'del', '--wait'])).trim(), 'configmap "gone" deleted');
  t.equal((await srv.kubectl(['get', 'cm', 'gone', '-n', 'del'])).exitCode, 1);

  const owned = async (uid: string) => (await srv.client.list<ReplicaSet>(Resources.replicasets, 'del')).items.filter((rs) => rs.metadata.ownerReferences?.some((o) => o.uid === uid));
  const setup = async (name: string) => {
    await ok(['apply', '-f', '-'], deploymentYaml(name, 'del'));
    const d = await srv.client.get<Deployment>(Resources.deployments, 'del', name);
    await until(`${name} replica set and pod`, async () => (await owned(d.metadata.uid!)).length === 1 && (await srv.client.list<Pod>(Resources.pods, 'del', { labelSelector: `app=${name}` })).items.length === 1);
    return d;
  };

  const fg = await setup('fg');
  // Foreground: kubectl waits for the deployment, which goes only after its dependents.
  t.equal((await ok(['delete', 'deployment', 'fg', '-n', 'del', '--cascade=foreground'])).trim(), 'deployment.apps "fg" deleted');
  t.same(await owned(fg.metadata.uid!), [], 'replica set gone before the deployment');
  t.same((await srv.client.list(Resources.pods, 'del', { labelSelector: 'app=fg' })).items, [], 'pods gone before the deployment');

  const bg = await setup('bg');
  t.equal((await ok(['delete', 'deployment', 'bg', '-n', 'del', '--cascade=background'])).trim(), 'deployment.apps "bg" deleted');
  await until('background collection', async () => (await owned(bg.metadata.uid!)).length === 0 && (await srv.client.list(Resources.pods, 'del', { labelSelector: 'app=bg' })).items.length === 0);
  t.pass('dependents collected after the deployment went');

  await setup('or');
  t.equal((await ok(['delete', 'deployment', 'or', '-n', 'del', '--cascade=orphan'])).trim(), 'deployment.apps "or" deleted');
  const orphan = await until('orphaned replica set', async () => {
    const l = (await srv.client.list<ReplicaSet>(Resources.replicasets, 'del', { labelSelector: 'app=or' })).items;
    return l.length === 1 && !(l[0].metadata.ownerReferences ?? []).length && l[0];
  });
  t.equal(orphan.spec.replicas, 1, 'orphaned replica set keeps running');
  t.equal((await srv.client.list(Resources.pods, 'del', { labelSelector: 'app=or' })).items.length, 1, 'and keeps its pod');
  t.equal((await srv.kubectl(['get', 'deploy', 'or', '-n', 'del'])).stderr.trim(), 'Error from server (NotFound): deployments.apps "or" not found');
});

t.test('wait --for=condition, --for=jsonpath and --for=delete', async (t) => {
  await namespace('wait');
  await ok(['run', 'pw', '-n', 'wait', '--image=busybox:1.35']);
  t.equal((await ok(['wait', '--for=condition=PodScheduled=False', 'pod/pw', '-n', 'wait', '--timeout=30s'])).trim(), 'pod/pw condition met');
  t.equal((await ok(['wait', '--for=jsonpath={.status.phase}=Pending', 'pod/pw', '-n', 'wait', '--timeout=30s'])).trim(), 'pod/pw condition met');
  await ok(['apply', '-f', '-'], deploymentYaml('wd', 'wait'));
  t.equal((await ok(['wait', '--for=condition=Progressing', 'deployment/wd', '-n', 'wait', '--timeout=30s'])).trim(), 'deployment.apps/wd condition met');
  const timeout = await srv.kubectl(['wait', '--for=condition=Available', 'deployment/wd', '-n', 'wait', '--timeout=1s']);
  t.equal(timeout.exitCode, 1);
  t.equal(timeout.stderr.trim(), 'error: timed out waiting for the condition on deployments/wd');

  const waiter = streaming(['wait', '--for=delete', 'pod/pw', '-n', 'wait', '--timeout=30s']);
  t.teardown(() => waiter.proc.kill());
  // The deletion comes while kubectl waits on its watch.
  await waiter.watchOpen();
  await ok(['delete', 'pod', 'pw', '-n', 'wait', '--wait=false']);
  const w = await waiter.proc;
  t.equal(w.exitCode, 0, waiter.out.stderr);
  t.equal(waiter.out.stdout.trim(), 'pod/pw condition met');
});

t.test('rollout restart, history --revision and undo --to-revision', async (t) => {
  await namespace('roll');
  await ok(['apply', '-f', '-'], deploymentYaml('ro', 'roll'));
  const revisions = async () => {
    const sets = (await srv.client.list<ReplicaSet>(Resources.replicasets, 'roll')).items;
    return sets.map((rs) => Number(rs.metadata.annotations?.['deployment.kubernetes.io/revision'])).sort((a, b) => a - b);
  };
  await until('revision 1', async () => (await revisions()).join() === '1');
  await ok(['set', 'image', 'deployment/ro', '-n', 'roll', 'main=busybox:1.36']);
  await until('revision 2', async () => (await revisions()).join() === '1,2');
  t.equal((await ok(['rollout', 'restart', 'deployment/ro', '-n', 'roll'])).trim(), 'deployment.apps/ro restarted');
  await until('revision 3', async () => (await revisions()).join() === '1,2,3');
  const restarted = await srv.client.get<Deployment>(Resources.deployments, 'roll', 'ro');
  t.match(restarted.spec.template.metadata?.annotations?.['kubectl.kubernetes.io/restartedAt'], /^\d{4}-\d\d-\d\dT/);

  t.match(await ok(['rollout', 'history', 'deployment/ro', '-n', 'roll']), /^deployment\.apps\/ro \nREVISION\s+CHANGE-CAUSE\n1\s+<none>\n2\s+<none>\n3\s+<none>\n$/);
  const rev2 = await ok(['rollout', 'history', 'deployment/ro', '-n', 'roll', '--revision=2']);
  t.match(rev2, /^deployment\.apps\/ro with revision #2\nPod Template:\n/);
  t.match(rev2, /^\s+Image:\s+busybox:1\.36$/m);
  t.notMatch(rev2, /restartedAt/);
  const rev3 = await ok(['rollout', 'history', 'deployment/ro', '-n', 'roll', '--revision=3']);
  t.match(rev3, /^\s+Annotations:\s+kubectl\.kubernetes\.io\/restartedAt: /m);
  const missing = await srv.kubectl(['rollout', 'history', 'deployment/ro', '-n', 'roll', '--revision=9']);
  t.equal(missing.stderr.trim(), 'error: unable to find the specified revision');

  t.equal((await ok(['rollout', 'undo', 'deployment/ro', '-n', 'roll', '--to-revision=1'])).trim(), 'deployment.apps/ro rolled back');
  const back = await srv.client.get<Deployment>(Resources.deployments, 'roll', 'ro');
  t.equal(back.spec.template.spec.containers[0].image, 'busybox:1.35');
  t.notOk(back.spec.template.metadata?.annotations?.['kubectl.kubernetes.io/restartedAt'], 'template of revision 1 restored');
  // Revision 1's replica set is adopted again as revision 4: no new set, and history moves on.
  await until('revision 4', async () => (await revisions()).join() === '2,3,4');
  t.equal((await srv.client.list(Resources.replicasets, 'roll')).items.length, 3, 'no new replica set for an old template');
  t.match(await ok(['rollout', 'history', 'deployment/ro', '-n', 'roll']), /^REVISION\s+CHANGE-CAUSE\n2\s+<none>\n3\s+<none>\n4\s+<none>\n$/m);
  t.equal((await ok(['rollout', 'undo', 'deployment/ro', '-n', 'roll'])).trim(), 'deployment.apps/ro rolled back');
  await until('back to revision 3 as 5', async () => (await revisions()).join() === '2,4,5');
  t.match((await srv.client.get<Deployment>(Resources.deployments, 'roll', 'ro')).spec.template.metadata?.annotations?.['kubectl.kubernetes.io/restartedAt'], /^\d{4}-/, 'undo without a revision goes to the previous one');
});
