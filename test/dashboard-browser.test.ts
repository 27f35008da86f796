// The Dashboard in a real browser (chromium via puppeteer-core, test/dashboard-browser.ts) against a real `kubets
// server` and the dashboard server, screenshots saved into the directory the test prints. Covered: login and the
// user shown; the overview's nodes and the message when Prometheus is unreachable; a Deployment scaled in the page
// reaching the API object, and a `kubectl scale` showing up in the open page (how long it took is printed); a YAML
// edit round trip, then a stale edit's 409 and a missing object's 404 shown as messages; a pod's log line appearing
// live (a kubelet stand-in on loopback serves the follow, so the line travels kubelet → API server → dashboard →
// page); the log search page's error; a view-only user's delete refused with the 403 message.
import https from 'node:https';
import type { ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import path from 'node:path';
import t from 'tap';
import { parse as parseYaml, stringify as toYaml } from 'yaml';
import { ensureCA, issueCert } from '../api/pki.js';
import { Resources } from '../api/resources.js';
import type { Deployment, KubeObject, Pod } from '../api/types.js';
import { openDashboard } from './dashboard-browser.js';
import { startTestDashboard } from './dashboard-client.js';
import { tokenFileDir, type TokenUser } from './identities.js';
import { startServer } from './server-fixture.js';
import { until } from './until.js';

const admin: TokenUser = { token: 'browser-admin-token', name: 'erin', uid: 'u-erin', groups: ['dashboard-users'] };
const viewer: TokenUser = { token: 'browser-viewer-token', name: 'victor', uid: 'u-victor', groups: ['dashboard-users'] };
const NODE = 'dash-node';

t.test('the dashboard in a browser', { timeout: 180_000 }, async (t) => {
  const { dir, args } = tokenFileDir([admin, viewer]);
  const srv = await startServer({ dir, args });
  t.teardown(() => srv.destroy());
  const kubectl = (a: string[]) => srv.kubectl(a).then((r) => (r.exitCode === 0 ? r.stdout : Promise.reject(new Error(`kubectl ${a.join(' ')}: ${r.stderr}`))));
  await kubectl(['create', 'clusterrolebinding', 'erin-admin', '--clusterrole=cluster-admin', '--user=erin']);
  await kubectl(['create', 'clusterrolebinding', 'victor-view', '--clusterrole=view', '--user=victor']);

  // A kubelet stand-in for pods/log: the follow stays open and gets the lines the test writes.
  const ca = await ensureCA(path.join(srv.dir, 'pki'));
  const serving = await issueCert(ca, { commonName: NODE, ips: ['127.0.0.1'], server: true });
  const followers = new Set<ServerResponse>();
  const kubelet = https.createServer({ cert: serving.certPem, key: serving.keyPem }, (req, res) => {
    const url = new URL(req.url ?? '/', 'https://kubelet');
    if (url.pathname !== '/containerLogs/default/logger/app') return void res.writeHead(404).end();
    res.writeHead(200, { 'content-type': 'text/plain' });
    res.write('logger started\n');
    if (url.searchParams.get('follow') !== 'true') return void res.end();
    followers.add(res);
    res.on('close', () => followers.delete(res));
  });
  await new Promise<void>((r) => kubelet.listen(0, '127.0.0.1', r));
  t.teardown(() => {
    kubelet.close();
    kubelet.closeAllConnections();
  });
  await srv.client.create(Resources.nodes, undefined, { apiVersion: 'v1', kind: 'Node', metadata: { name: NODE, labels: { 'kubernetes.io/hostname': NODE } } } as KubeObject);
  await srv.client.patch(Resources.nodes, undefined, NODE, 'merge', {
    status: {
      addresses: [{ type: 'InternalIP', address: '127.0.0.1' }],
      daemonEndpoints: { kubeletEndpoint: { Port: (kubelet.address() as AddressInfo).port } },
      capacity: { cpu: '2', memory: '4Gi', pods: '110' },
      allocatable: { cpu: '2', memory: '4Gi', pods: '110' },
      conditions: [{ type: 'Ready', status: 'True', reason: 'KubeletReady', message: 'kubelet is posting ready status', lastHeartbeatTime: new Date().toISOString(), lastTransitionTime: new Date().toISOString() }],
    },
  }, 'status');
  await srv.client.create(Resources.pods, 'default', { apiVersion: 'v1', kind: 'Pod', metadata: { name: 'logger', namespace: 'default' }, spec: { nodeName: NODE, containers: [{ name: 'app', image: 'busybox:1.35' }] } } as Pod);
  await kubectl(['create', 'deployment', 'web', '--image=busybox:1.35', '--replicas=1', '-n', 'default']);

  const dash = await startTestDashboard(srv);
  t.teardown(() => dash.close());
  const b = await openDashboard(dash.url);
  t.teardown(() => b.close());
  t.comment(`screenshots in ${b.shotsDir}`);

  // Login.
  await b.page.goto(dash.url, { waitUntil: 'domcontentloaded' });
  await b.page.waitForSelector('[data-testid="token"]');
  await b.shot('login');
  await b.login(admin.token, 'erin');
  t.pass('logged in as erin');

  // Overview: the node, Ready; no Prometheus here, and the page says why.
  t.equal(await b.waitForText(`node-status-${NODE}`, /Ready/), 'Ready', 'the node and its Ready condition');
  t.match(await b.waitForText('metrics-unavailable', /not found|unavailable|refused/i), /prometheus/, 'the charts\' absence explained');
  await b.shot('overview');

  // Workloads, then scale in the page: the API object follows.
  await b.goto('workloads');
  await b.waitForText('ready-web', /\/1$/);
  await b.shot('workloads');
  await b.goto('object/apps/deployments/default/web');
  await b.waitForText('summary-replicas', /^1 desired/);
  await b.scale(3);
  await until('the scale from the page in the API object', async () => (await srv.client.get<Deployment>(Resources.deployments, 'default', 'web')).spec.replicas === 3, 15_000);
  t.pass('scaled to 3 in the page: the Deployment has 3 replicas');
  await b.waitForText('summary-replicas', /^3 desired/);
  await b.shot('scaled-in-page');

  // Scale through the API: the open page shows it through its watch.
  const start = Date.now();
  await kubectl(['scale', 'deployment', 'web', '--replicas=5', '-n', 'default']);
  await b.waitForText('summary-replicas', /^5 desired/, 30_000);
  t.comment(`kubectl scale seen in the open page after ${Date.now() - start} ms`);
  t.pass('kubectl scale shown in the page');
  await b.shot('scaled-by-kubectl');

  // YAML: edit and save; the API object has the change. The controllers write the Deployment's status until its
  // ReplicaSet has the 5 pods: an edit of an object they are still writing would rightly be a 409.
  await until('the Deployment settled at 5 replicas', async () => {
    const d = await srv.client.get<Deployment>(Resources.deployments, 'default', 'web');
    return d.status?.observedGeneration === d.metadata.generation && d.status?.replicas === 5 && d.status?.updatedReplicas === 5;
  }, 30_000);
  await b.click('tab-yaml');
  const text = await b.waitForText('yaml', /name: web/);
  const doc = parseYaml(text) as Deployment;
  t.notOk(doc.metadata.managedFields, 'managedFields left out of the editor');
  doc.metadata.labels = { ...doc.metadata.labels, tier: 'frontend' };
  await b.setValue('yaml', toYaml(doc));
  await b.click('yaml-save');
  await b.waitForText('yaml-saved', /Saved/);
  t.equal((await srv.client.get<Deployment>(Resources.deployments, 'default', 'web')).metadata.labels?.tier, 'frontend', 'the YAML edit reached the API');
  await b.shot('yaml-saved');

  // A stale edit: changed through the API meanwhile, the save is a 409 shown with its message.
  await kubectl(['label', 'deployment', 'web', 'touched=yes', '-n', 'default']);
  await b.setValue('yaml', toYaml({ ...doc, metadata: { ...doc.metadata, labels: { ...doc.metadata.labels, tier: 'backend' } } }));
  await b.click('yaml-save');
  t.match(await b.waitForError(/the object has been modified/, 409), /Conflict/, 'the 409 shown as a message');
  await b.shot('yaml-conflict');

  // A missing object: the API's 404 as a message.
  await b.goto('object/apps/deployments/default/nothere');
  await b.click('tab-yaml');
  t.match(await b.waitForError(/deployments\.apps "nothere" not found/, 404), /Not found/, 'the 404 shown as a message');
  await b.shot('not-found');

  // Pods of every namespace: the list gains a Namespace column.
  await b.goto('pods');
  await b.waitForText('row-pods-logger', /^logger0\/1/);
  await b.selectNamespace('');
  t.match(await b.waitForText('row-pods-logger', /^loggerdefault/), /dash-node/, 'all namespaces: the pod with its namespace and node');
  await b.shot('pods-all-namespaces');

  // Live logs: a line the kubelet writes now appears in the open page.
  await b.goto('object/core/pods/default/logger');
  await b.click('tab-logs');
  await b.waitForText('logs', /logger started/);
  await until('the log follow to reach the kubelet', () => followers.size > 0, 15_000);
  const line = `a line written at ${new Date().toISOString()}`;
  const written = Date.now();
  for (const f of followers) f.write(`${line}\n`);
  await b.waitForText('logs', new RegExp(line.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')));
  t.comment(`log line shown ${Date.now() - written} ms after the kubelet wrote it`);
  t.pass('the log line appeared live');
  await b.shot('logs-live');

  // Log search without cluster-logs in this cluster: the error as a message.
  await b.goto('logs');
  await b.setValue('search-q', 'hello');
  await b.click('search');
  t.match(await b.waitForError(/cluster-logs/, 404), /not found/, 'the search page shows why it found nothing');
  await b.shot('log-search-error');

  // A view-only user: reads, but the delete is refused with the 403 message.
  await b.logout();
  await b.login(viewer.token, 'victor');
  await b.goto('object/apps/deployments/default/web');
  await b.waitForText('summary-replicas', /^5 desired/);
  await b.deleteObject();
  t.match(await b.waitForError(/User "victor" cannot delete resource "deployments"/, 403), /Forbidden/, 'the 403 shown as a Forbidden message');
  await b.shot('forbidden-delete');
  t.ok(await srv.client.get(Resources.deployments, 'default', 'web'), 'the Deployment is still there');
});
