// Behaviour kubectl users rely on, each as kube-apiserver has it: the system namespaces can't be deleted, a Secret's
// stringData is merged into data on create and update, a YAML body is read wherever JSON is, and a refusal in a
// terminating namespace names the object. The server runs without controllers, so a deleted namespace stays
// Terminating and the test sees exactly what the API did.
import t from 'tap';
import { startServer, type TestServer } from './server-fixture.js';

let srv: TestServer;
t.before(async () => {
  srv = await startServer({ args: ['--disable-controllers'] });
});
t.teardown(() => srv?.destroy());

const phases = async () => {
  const r = await srv.kubectl(['get', 'namespaces', '-o', 'jsonpath={range .items[*]}{.metadata.name}={.status.phase} {end}']);
  return Object.fromEntries(r.stdout.trim().split(' ').map((p) => p.split('=')));
};

t.test('the system namespaces may not be deleted; `kubectl delete namespace --all` deletes only the others', async (t) => {
  t.equal((await srv.kubectl(['create', 'namespace', 'scratch'])).exitCode, 0);
  for (const ns of ['default', 'kube-system', 'kube-public', 'kube-node-lease']) {
    const r = await srv.kubectl(['delete', 'namespace', ns, '--wait=false']);
    t.equal(r.exitCode, 1, `${ns}: refused`);
    t.match(r.stderr, `Error from server (Forbidden): namespaces "${ns}" is forbidden: this namespace may not be deleted`);
  }
  const all = await srv.kubectl(['delete', 'namespace', '--all', '--wait=false']);
  t.equal(all.exitCode, 1, 'kubectl reports the refusals');
  t.match(all.stdout, 'namespace "scratch" deleted');
  t.same(await phases(), { default: 'Active', 'kube-node-lease': 'Active', 'kube-public': 'Active', 'kube-system': 'Active', scratch: 'Terminating' });

  const secret = JSON.stringify({ apiVersion: 'v1', kind: 'Secret', metadata: { name: 'late', namespace: 'scratch' }, stringData: { a: 'b' } });
  const late = await srv.kubectl(['create', '-f', '-'], { input: secret });
  t.equal(late.exitCode, 1);
  t.match(late.stderr, 'secrets "late" is forbidden: unable to create new content in namespace scratch because it is being terminated');
});

t.test('a Secret\'s stringData is merged into data, taking precedence, on create and on update', async (t) => {
  const secret = (data: Record<string, string>, stringData: Record<string, string>) =>
    JSON.stringify({ apiVersion: 'v1', kind: 'Secret', metadata: { name: 'merged' }, data, stringData });
  const created = await srv.kubectl(['create', '-f', '-', '-o', 'json'], { input: secret({ k1: Buffer.from('v1').toString('base64'), k2: '' }, { k2: 'v2' }) });
  t.equal(created.exitCode, 0, created.stderr);
  const c = JSON.parse(created.stdout);
  t.same(c.data, { k1: 'djE=', k2: 'djI=' }, 'k2 from stringData, k1 kept');
  t.notOk('stringData' in c, 'stringData is never stored or returned');

  const replaced = await srv.kubectl(['replace', '-f', '-', '-o', 'json'], { input: secret({ k1: '' }, { k1: 'new', k3: 'three' }) });
  t.equal(replaced.exitCode, 0, replaced.stderr);
  t.same(JSON.parse(replaced.stdout).data, { k1: Buffer.from('new').toString('base64'), k3: Buffer.from('three').toString('base64') });
});

t.test('a Secret\'s stringData is merged into data by kubectl apply too, client-side and server-side', async (t) => {
  const secret = (stringData: Record<string, string>) => JSON.stringify({ apiVersion: 'v1', kind: 'Secret', metadata: { name: 'applied', namespace: 'default' }, stringData });
  const data = async () => JSON.parse((await srv.kubectl(['get', 'secret', 'applied', '-o', 'json'])).stdout).data;
  const first = await srv.kubectl(['apply', '-f', '-'], { input: secret({ user: 'admin' }) });
  t.equal(first.exitCode, 0, first.stderr);
  t.same(await data(), { user: Buffer.from('admin').toString('base64') }, 'on create');
  const second = await srv.kubectl(['apply', '-f', '-'], { input: secret({ user: 'root', pass: 'x' }) });
  t.equal(second.exitCode, 0, second.stderr);
  t.same(await data(), { user: Buffer.from('root').toString('base64'), pass: Buffer.from('x').toString('base64') }, 'on a patch');
  const ssa = await srv.kubectl(['apply', '--server-side', '--force-conflicts', '-f', '-'], { input: secret({ user: 'ssa' }) });
  t.equal(ssa.exitCode, 0, ssa.stderr);
  t.match(await data(), { user: Buffer.from('ssa').toString('base64') }, 'on a server-side apply');
});

t.test('kubectl get resolves the kinds real manifests use, by their short and plural names', async (t) => {
  for (const kind of ['pdb', 'rc', 'podtemplates', 'hpa', 'priorityclasses', 'pv', 'pvc', 'storageclasses', 'csr', 'clusterroles']) {
    const r = await srv.kubectl(['get', kind, '-A']);
    t.equal(r.exitCode, 0, `kubectl get ${kind}: ${r.stderr}`);
    t.notMatch(r.stderr, /doesn't have a resource type|the server could not find/, `${kind} resolves`);
  }
});

t.test('a YAML body is read wherever JSON is: the kind decides, not the format', async (t) => {
  const ns = await srv.kubectl(['create', '--raw', '/api/v1/namespaces', '-f', '-'], { input: 'apiVersion: v1\nkind: Namespace\nmetadata:\n  name: from-yaml\n' });
  t.equal(ns.exitCode, 0, ns.stderr);
  t.equal(JSON.parse(ns.stdout).metadata.name, 'from-yaml');
  const pod = await srv.kubectl(['create', '--raw', '/api/v1/namespaces', '-f', '-'], { input: 'apiVersion: v1\nkind: Pod\nmetadata:\n  name: x\n' });
  t.equal(pod.exitCode, 1);
  t.match(pod.stderr, /BadRequest.*Pod in version "v1" cannot be handled as a Namespace: the object provided is unrecognized \(must be of type Namespace\)/);
  const junk = await srv.kubectl(['create', '--raw', '/api/v1/namespaces', '-f', '-'], { input: '- just\n- a list\n' });
  t.equal(junk.exitCode, 1);
  t.match(junk.stderr, /BadRequest.*the object provided is unrecognized \(must be of type JSON\)/);
});

t.test('the `timeout` parameter does not end a watch: only timeoutSeconds bounds it', async (t) => {
  // kubectl sends timeout= with --request-timeout; kube-apiserver bounds a watch by timeoutSeconds alone.
  const watch = srv.client.raw('GET', '/api/v1/namespaces/default/configmaps?watch=1&timeout=1s&timeoutSeconds=4');
  await new Promise((resolve) => setTimeout(resolve, 2000));
  await srv.kubectl(['create', 'configmap', 'after-the-timeout']);
  const r = await watch;
  t.equal(r.status, 200);
  t.match(r.body.toString(), /"type":"ADDED","object":\{.*"kind":"ConfigMap".*"name":"after-the-timeout"/, 'an event two seconds in still arrives');
});

t.test('JSON bodies in Go\'s field order with a trailing newline, as kube-apiserver encodes them', async (t) => {
  const missing = await srv.client.raw('GET', '/api/v1/namespaces/default/pods/nope');
  t.equal(missing.status, 404);
  t.equal(missing.body.toString(), '{"kind":"Status","apiVersion":"v1","metadata":{},"status":"Failure","message":"pods \\"nope\\" not found","reason":"NotFound","details":{"name":"nope","kind":"pods"},"code":404}\n');
  // A writer that puts apiVersion first still reads back kind first, metadata next.
  await srv.client.raw('POST', '/api/v1/namespaces/default/configmaps', JSON.stringify({ data: { a: 'b' }, metadata: { name: 'ordered' }, apiVersion: 'v1', kind: 'ConfigMap' }), { 'content-type': 'application/json' });
  const got = (await srv.client.raw('GET', '/api/v1/namespaces/default/configmaps/ordered')).body.toString();
  t.match(got, /^\{"kind":"ConfigMap","apiVersion":"v1","metadata":\{"name":"ordered",.*\},"data":\{"a":"b"\}\}\n$/);
  const list = (await srv.client.raw('GET', '/api/v1/namespaces/default/configmaps?fieldSelector=metadata.name%3Dordered')).body.toString();
  t.match(list, /^\{"kind":"ConfigMapList","apiVersion":"v1","metadata":\{"resourceVersion":"\d+"\},"items":\[\{"kind":"ConfigMap","apiVersion":"v1","metadata":/);
});
