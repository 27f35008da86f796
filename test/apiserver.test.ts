// The API server as kubectl 1.32 and raw HTTPS clients see it: discovery, tables, apply/delete, selectors, paging,
// watch, and errors as Kubernetes Status objects. The server runs without controllers so the store holds exactly
// what each test writes.
import t from 'tap';
import https from 'node:https';
import fs from 'node:fs';
import { Resources } from '../api/resources.js';
import type { KubeObject, WatchEvent } from '../api/types.js';
import { StatusError } from '../api/errors.js';
import { startServer, type TestServer } from './server-fixture.js';
import { deploymentYaml } from './manifests.js';

const deployment = (replicas: number, image = 'busybox:1.35') => deploymentYaml({ replicas, image, ports: [{ containerPort: 80 }] });

let srv: TestServer;
t.before(async () => {
  srv = await startServer({ args: ['--disable-controllers'] });
});
t.teardown(() => srv?.destroy());


t.test('kubectl version and api-resources', async (t) => {
  const v = await srv.kubectl(['version', '-o', 'json']);
  t.equal(v.exitCode, 0, v.stderr);
  t.equal(JSON.parse(v.stdout).serverVersion.minor, '32');
  const r = await srv.kubectl(['api-resources']);
  t.match(r.stdout, /^NAME\s+SHORTNAMES\s+APIVERSION\s+NAMESPACED\s+KIND/m);
  t.match(r.stdout, /^pods\s+po\s+v1\s+true\s+Pod$/m);
  t.match(r.stdout, /^deployments\s+deploy\s+apps\/v1\s+true\s+Deployment$/m);
  t.match(r.stdout, /^endpointslices\s+discovery\.k8s\.io\/v1\s+true\s+EndpointSlice$/m);
});

t.test('bootstrap: system namespaces and the kubernetes service', async (t) => {
  const ns = await srv.kubectl(['get', 'ns', '-o', 'name']);
  t.same(ns.stdout.trim().split('\n').sort(), ['namespace/default', 'namespace/kube-node-lease', 'namespace/kube-public', 'namespace/kube-system']);
  const svc = await srv.kubectl(['get', 'svc', 'kubernetes']);
  t.match(svc.stdout, /^kubernetes\s+ClusterIP\s+10\.96\.0\.1\s+<none>\s+443\/TCP\s+\d+s$/m);
});

t.test('apply creates, re-apply is unchanged, a change is configured, delete removes', async (t) => {
  let r = await srv.kubectl(['apply', '-f', '-'], { input: deployment(3) });
  t.equal(r.exitCode, 0, r.stderr);
  t.equal(r.stdout.trim(), 'deployment.apps/web created');
  r = await srv.kubectl(['apply', '-f', '-'], { input: deployment(3) });
  t.equal(r.stdout.trim(), 'deployment.apps/web unchanged');
  r = await srv.kubectl(['apply', '-f', '-'], { input: deployment(5, 'busybox:1.36') });
  t.equal(r.stdout.trim(), 'deployment.apps/web configured');
  const d = (await srv.client.get(Resources.deployments, 'default', 'web')) as any;
  t.equal(d.spec.replicas, 5);
  t.equal(d.spec.template.spec.containers[0].image, 'busybox:1.36');
  t.equal(d.metadata.generation, 2, 'spec change bumps generation');
  t.equal(d.spec.strategy.rollingUpdate.maxSurge, '25%', 'defaults filled');
  const table = await srv.kubectl(['get', 'deploy', '-o', 'wide']);
  t.match(table.stdout, /^NAME\s+READY\s+UP-TO-DATE\s+AVAILABLE\s+AGE\s+CONTAINERS\s+IMAGES\s+SELECTOR$/m);
  t.match(table.stdout, /^web\s+0\/5\s+0\s+0\s+\d+s\s+httpd\s+busybox:1\.36\s+app=web$/m);
  r = await srv.kubectl(['delete', '-f', '-'], { input: deployment(5) });
  t.equal(r.stdout.trim(), 'deployment.apps "web" deleted');
  r = await srv.kubectl(['get', 'deploy', 'web']);
  t.equal(r.exitCode, 1);
  t.equal(r.stderr.trim(), 'Error from server (NotFound): deployments.apps "web" not found');
});

t.test('errors print as kubectl prints them for kube-apiserver', async (t) => {
  const pod = '{"apiVersion":"v1","kind":"Pod","metadata":{"name":"p1"},"spec":{"containers":[{"name":"c","image":"busybox:1.35"}]}}';
  t.equal((await srv.kubectl(['create', '-f', '-'], { input: pod })).exitCode, 0);
  const again = await srv.kubectl(['create', '-f', '-'], { input: pod });
  t.match(again.stderr, /Error from server \(AlreadyExists\): error when creating "STDIN": pods "p1" already exists/);
  const bad = await srv.kubectl(['create', '-f', '-'], { input: '{"apiVersion":"v1","kind":"Pod","metadata":{"name":"Bad_Name"},"spec":{"containers":[{"name":"c"}]}}' });
  t.match(bad.stderr, /The Pod "Bad_Name" is invalid: \n\* metadata\.name: Invalid value: "Bad_Name": a lowercase RFC 1123 subdomain/);
  t.match(bad.stderr, /\* spec\.containers\[0\]\.image: Required value/);
  const svc = await srv.kubectl(['create', '-f', '-'], { input: '{"apiVersion":"v1","kind":"Service","metadata":{"name":"s"},"spec":{"type":"Bogus","ports":[{"port":99999}]}}' });
  t.match(svc.stderr, /spec\.type: Unsupported value: "Bogus": supported values: "ClusterIP", "ExternalName", "LoadBalancer", "NodePort"/);
  t.match(svc.stderr, /spec\.ports\[0\]\.port: Invalid value: 99999: must be between 1 and 65535, inclusive/);
  await srv.kubectl(['delete', 'pod', 'p1', '--wait=false']);
});

function rawRequest(method: string, path: string, body?: string, headers: Record<string, string> = {}, withCert = true): Promise<{ status: number; body: any }> {
  const cfg = srv.client.config;
  return new Promise((resolve, reject) => {
    const req = https.request({ host: '127.0.0.1', port: srv.port, method, path, ca: cfg.ca, ...(withCert ? { cert: cfg.cert, key: cfg.key } : {}), headers: { 'content-type': 'application/json', ...headers } }, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (c) => chunks.push(c));
      res.on('end', () => {
        const text = Buffer.concat(chunks).toString();
        let parsed: unknown = text;
        try {
          parsed = JSON.parse(text);
        } catch {
          /* keep text */
        }
        resolve({ status: res.statusCode ?? 0, body: parsed });
      });
    });
    req.on('error', reject);
    if (body !== undefined) req.write(body);
    req.end();
  });
}

t.test('bad requests get a Status with the right code and reason', async (t) => {
  let r = await rawRequest('GET', '/api/v1/pods', undefined, {}, false);
  t.equal(r.status, 401);
  t.match(r.body, { kind: 'Status', reason: 'Unauthorized', code: 401 });
  r = await rawRequest('POST', '/api/v1/namespaces/default/configmaps', '{"metadata": {"name": ');
  t.equal(r.status, 400);
  t.match(r.body, { kind: 'Status', reason: 'BadRequest', code: 400 });
  r = await rawRequest('POST', '/api/v1/namespaces/default/configmaps', JSON.stringify({ apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: 'big' }, data: { x: 'y'.repeat(3 * 1024 * 1024 + 10) } }));
  t.equal(r.status, 413);
  t.match(r.body, { kind: 'Status', reason: 'RequestEntityTooLarge' });
  r = await rawRequest('POST', '/apis/apps/v1/namespaces/default/deployments', JSON.stringify({ apiVersion: 'v1', kind: 'Pod', metadata: { name: 'x' } }));
  t.equal(r.status, 400);
  t.match(r.body, { kind: 'Status', reason: 'BadRequest' });
  r = await rawRequest('GET', '/api/v1/namespaces/nope/pods/x');
  t.equal(r.status, 404);
  r = await rawRequest('POST', '/api/v1/namespaces/nope/configmaps', JSON.stringify({ metadata: { name: 'a' } }));
  t.equal(r.status, 404);
  t.match(r.body, { reason: 'NotFound', message: 'namespaces "nope" not found' });
  r = await rawRequest('GET', '/api/v1/pods?labelSelector=' + encodeURIComponent('a in (b'));
  t.equal(r.status, 400);
  t.equal(fs.existsSync(srv.dir), true);
});

t.test('optimistic concurrency, generateName, selectors and paging', async (t) => {
  const cm = await srv.client.create(Resources.configmaps, 'default', { apiVersion: 'v1', kind: 'ConfigMap', metadata: { generateName: 'cm-', labels: { tier: 'a' } } } as KubeObject);
  t.match(cm.metadata.name, /^cm-[a-z0-9]{5}$/);
  const stale = structuredClone(cm);
  await srv.client.update(Resources.configmaps, { ...cm, data: { k: '1' } } as KubeObject);
  await t.rejects(srv.client.update(Resources.configmaps, { ...stale, data: { k: '2' } } as KubeObject), { code: 409, reason: 'Conflict' });
  for (let i = 0; i < 5; i++) await srv.client.create(Resources.configmaps, 'default', { metadata: { name: `page-${i}`, labels: { tier: i % 2 ? 'a' : 'b' } } } as KubeObject);
  const a = await srv.client.list(Resources.configmaps, 'default', { labelSelector: 'tier=a' });
  t.same(a.items.map((i) => i.metadata.name).sort(), [cm.metadata.name, 'page-1', 'page-3'].sort());
  const notA = await srv.client.list(Resources.configmaps, 'default', { labelSelector: 'tier!=a,tier' });
  t.same(notA.items.map((i) => i.metadata.name).sort(), ['page-0', 'page-2', 'page-4']);
  const byName = await srv.client.list(Resources.configmaps, 'default', { fieldSelector: 'metadata.name=page-2' });
  t.same(byName.items.map((i) => i.metadata.name), ['page-2']);
  const seen: string[] = [];
  let cont: string | undefined;
  let pages = 0;
  do {
    const page = await srv.client.list(Resources.configmaps, 'default', { limit: 2, continue: cont });
    seen.push(...page.items.map((i) => i.metadata.name!));
    cont = page.metadata.continue;
    pages++;
  } while (cont);
  t.equal(pages, 3);
  t.same(seen.filter((n) => n.startsWith('page-')), ['page-0', 'page-1', 'page-2', 'page-3', 'page-4']);
  await t.rejects(srv.client.list(Resources.pods, undefined, { fieldSelector: 'spec.bogus=1' }), { code: 400 });
});

t.test('watch from a resourceVersion sees later changes in order, filtered by selector', async (t) => {
  const list = await srv.client.list(Resources.configmaps, 'default');
  const events: WatchEvent[] = [];
  const abort = new AbortController();
  const done = srv.client.watch(Resources.configmaps, 'default', { resourceVersion: list.metadata.resourceVersion, labelSelector: 'w=1' }, (e) => {
    events.push(e);
    if (events.length === 3) abort.abort();
  }, abort.signal);
  await srv.client.create(Resources.configmaps, 'default', { metadata: { name: 'w1', labels: { w: '1' } } } as KubeObject);
  await srv.client.create(Resources.configmaps, 'default', { metadata: { name: 'other' } } as KubeObject);
  await srv.client.patch(Resources.configmaps, 'default', 'w1', 'merge', { data: { a: 'b' } });
  await srv.client.delete(Resources.configmaps, 'default', 'w1');
  await done;
  t.same(events.map((e) => `${e.type} ${e.object.metadata.name}`), ['ADDED w1', 'MODIFIED w1', 'DELETED w1']);
  const rvs = events.map((e) => Number(e.object.metadata.resourceVersion));
  t.ok(rvs[0] < rvs[1] && rvs[1] < rvs[2], 'resourceVersions increase');
});

t.test('patch types: merge, json, strategic', async (t) => {
  await srv.kubectl(['apply', '-f', '-'], { input: deployment(1) });
  let r = await srv.kubectl(['patch', 'deploy', 'web', '--type', 'merge', '-p', '{"spec":{"replicas":2}}']);
  t.equal(r.stdout.trim(), 'deployment.apps/web patched');
  r = await srv.kubectl(['patch', 'deploy', 'web', '--type', 'json', '-p', '[{"op":"replace","path":"/spec/replicas","value":4}]']);
  t.equal(r.exitCode, 0, r.stderr);
  r = await srv.kubectl(['patch', 'deploy', 'web', '-p', '{"spec":{"template":{"spec":{"containers":[{"name":"side","image":"busybox:1.35"}]}}}}']);
  t.equal(r.exitCode, 0, r.stderr);
  const d = (await srv.client.get(Resources.deployments, 'default', 'web')) as any;
  t.equal(d.spec.replicas, 4);
  t.same(d.spec.template.spec.containers.map((c: any) => c.name).sort(), ['httpd', 'side'], 'strategic patch merged containers by name');
  r = await srv.kubectl(['scale', 'deploy', 'web', '--replicas=0']);
  t.equal(r.stdout.trim(), 'deployment.apps/web scaled');
  t.equal(((await srv.client.get(Resources.deployments, 'default', 'web')) as any).spec.replicas, 0);
  await srv.kubectl(['delete', 'deploy', 'web']);
});

t.test('get -o wide -A and label columns come from the server table', async (t) => {
  await srv.client.create(Resources.pods, 'kube-system', { metadata: { name: 'sys', labels: { k8s: 'app' } }, spec: { containers: [{ name: 'c', image: 'busybox:1.35' }] } } as KubeObject);
  const r = await srv.kubectl(['get', 'pods', '-o', 'wide', '-A', '--show-labels']);
  t.match(r.stdout, /^NAMESPACE\s+NAME\s+READY\s+STATUS\s+RESTARTS\s+AGE\s+IP\s+NODE\s+NOMINATED NODE\s+READINESS GATES\s+LABELS$/m);
  t.match(r.stdout, /^kube-system\s+sys\s+0\/1\s+Pending\s+0\s+\d+s\s+<none>\s+<none>\s+<none>\s+<none>\s+k8s=app$/m);
  const err = await srv.client.get(Resources.pods, 'kube-system', 'missing').catch((e) => e);
  t.ok(err instanceof StatusError && err.code === 404);
});

t.test('strict field validation names the unknown field; --validate=false accepts it', async (t) => {
  const typo = '{"apiVersion":"v1","kind":"Pod","metadata":{"name":"typo"},"spec":{"containers":[{"name":"c","image":"busybox:1.35","imagePullPolicyy":"Never"}]}}';
  const strict = await srv.kubectl(['apply', '-f', '-'], { input: typo });
  t.equal(strict.exitCode, 1);
  t.match(strict.stderr, /Error from server \(BadRequest\): error when creating "STDIN": Pod in version "v1" cannot be handled as a Pod: strict decoding error: unknown field "spec\.containers\[0\]\.imagePullPolicyy"/);
  const warn = await srv.kubectl(['apply', '--validate=warn', '-f', '-'], { input: typo });
  t.equal(warn.exitCode, 0, warn.stderr);
  t.match(warn.stderr, /Warning: unknown field "spec\.containers\[0\]\.imagePullPolicyy"/);
  await srv.kubectl(['delete', 'pod', 'typo', '--wait=false']);
});

t.test('kubectl create subcommands (protobuf bodies) work', async (t) => {
  for (const [args, out] of [
    [['create', 'namespace', 'made'], 'namespace/made created'],
    [['create', 'configmap', 'cfg', '--from-literal=a=b'], 'configmap/cfg created'],
    [['create', 'secret', 'generic', 'sec', '--from-literal=p=q'], 'secret/sec created'],
    [['create', 'deployment', 'made', '--image=busybox:1.35', '--replicas=2'], 'deployment.apps/made created'],
  ] as const) {
    const r = await srv.kubectl([...args]);
    t.equal(r.stdout.trim(), out, r.stderr);
  }
  const sec = (await srv.client.get(Resources.secrets, 'default', 'sec')) as any;
  t.equal(Buffer.from(sec.data.p, 'base64').toString(), 'q');
  const d = (await srv.client.get(Resources.deployments, 'default', 'made')) as any;
  t.equal(d.spec.replicas, 2);
  t.equal(d.spec.template.spec.containers[0].image, 'busybox:1.35');
});

t.test('aggregated discovery: kubectl learns every group from /api and /apis alone', async (t) => {
  const cache = fs.mkdtempSync('/tmp/kubets-kcache-');
  t.teardown(() => fs.rmSync(cache, { recursive: true, force: true }));
  const r = await srv.kubectl(['get', 'deploy,po,leases', '-A', '-v=6', `--cache-dir=${cache}`]);
  t.equal(r.exitCode, 0, r.stderr);
  const gets = r.stderr.split('\n').filter((l) => /GET https/.test(l)).map((l) => new URL(l.replace(/.*GET (\S+).*/, '$1')).pathname);
  t.ok(gets.includes('/api') && gets.includes('/apis'), 'fetched /api and /apis');
  t.notOk(gets.some((p) => /^\/(api\/v1|apis\/[^/]+\/[^/]+)$/.test(p)), `no per-group-version documents fetched (${gets.join(' ')})`);
  const raw = await srv.client.raw('GET', '/apis', undefined, { accept: 'application/json;g=apidiscovery.k8s.io;v=v2;as=APIGroupDiscoveryList,application/json' });
  t.match(String(raw.headers['content-type']), /as=APIGroupDiscoveryList/);
  const doc = JSON.parse(raw.body.toString());
  const apps = doc.items.find((g: any) => g.metadata.name === 'apps');
  t.match(apps.versions[0].resources.find((r: any) => r.resource === 'deployments'), { scope: 'Namespaced', shortNames: ['deploy'], responseKind: { kind: 'Deployment' } });
});

t.test('a watch on one named object streams that object only', async (t) => {
  await srv.client.create(Resources.configmaps, 'default', { metadata: { name: 'solo' } } as KubeObject);
  await srv.client.create(Resources.configmaps, 'default', { metadata: { name: 'other-solo' } } as KubeObject);
  const r = await srv.client.raw('GET', '/api/v1/namespaces/default/configmaps/solo?watch=1&timeoutSeconds=1');
  t.equal(r.status, 200);
  const events = r.body.toString().trim().split('\n').map((l) => JSON.parse(l));
  t.same(events.map((e) => `${e.type} ${e.object.metadata.name}`), ['ADDED solo']);
});

t.test('streaming list: initial events end with an annotated bookmark', async (t) => {
  // A namespace of its own: kube-public holds cluster-info, and the list must be exactly what this test made.
  await srv.client.create(Resources.namespaces, undefined, { metadata: { name: 'streaming' } } as KubeObject);
  await srv.client.create(Resources.configmaps, 'streaming', { metadata: { name: 'initial' } } as KubeObject);
  const r = await srv.client.raw('GET', '/api/v1/namespaces/streaming/configmaps?watch=1&sendInitialEvents=true&allowWatchBookmarks=true&resourceVersionMatch=NotOlderThan&timeoutSeconds=1');
  const events = r.body.toString().trim().split('\n').map((l) => JSON.parse(l));
  t.same(events.map((e) => e.type), ['ADDED', 'BOOKMARK']);
  t.equal(events[1].object.metadata.annotations['k8s.io/initial-events-end'], 'true');
  t.ok(Number(events[1].object.metadata.resourceVersion) >= Number(events[0].object.metadata.resourceVersion));
});
