// metrics-server end to end: a real `kubets server`, a kubelet's pod management and stats on a real containerd
// (test/kubelet-node.ts) behind an HTTPS /metrics/resource on loopback, registered as Node kl-node, and the
// `kubets metrics-server` process running as its service account (the add-on's RBAC) behind the add-on's APIService.
// A busybox pod burning CPU: `kubectl top pod` shows its CPU above 100m, with --containers its container, -A every
// namespace; `kubectl top node` the node; the kubelet is scraped with the service account's token.
import fs from 'node:fs';
import https from 'node:https';
import type { AddressInfo } from 'node:net';
import path from 'node:path';
import t from 'tap';
import { metricsServerManifests } from '../addons/metrics-server/manifests.js';
import { applyObjects } from '../addons/index.js';
import { startStats } from '../agent/kubelet/stats/index.js';
import { ensureCA, issueCert, kubeconfigYaml } from '../api/pki.js';
import { Resources } from '../api/resources.js';
import type { KubeObject, Node, Pod, Service } from '../api/types.js';
import { startKubeletNode } from './kubelet-node.js';
import { reservePorts } from './ports.js';
import { spawnOwned, stopOwned } from './processes.js';
import { cliPath, startServer } from './server-fixture.js';
import { until } from './until.js';

const NODE = 'kl-node';

t.test('kubectl top through metrics-server and the aggregator', { timeout: 300_000 }, async (t) => {
  const srv = await startServer();
  t.teardown(() => srv.destroy());
  const kn = await startKubeletNode(t, { prefix: 'kt-ms', podCIDR: '10.88.41.0/24', nodeName: NODE });
  const stats = startStats({ nodeName: NODE, dataDir: kn.spec.dataDir, cgroupParent: kn.spec.cgroupParent, runtime: kn.cri, intervalMs: 1000 });
  t.teardown(() => stats.close());

  // The kubelet's /metrics/resource, recording who scrapes it.
  const bearers: string[] = [];
  // Its serving certificate from the cluster CA, as the kubelet-serving signer issues it: metrics-server verifies it.
  const cert = await issueCert(await ensureCA(path.join(srv.dir, 'pki')), { commonName: `system:node:${NODE}`, organizations: ['system:nodes'], ips: ['127.0.0.1'], dnsNames: [NODE], server: true });
  const kubelet = https.createServer({ cert: cert.certPem, key: cert.keyPem }, (req, res) => {
    bearers.push(String(req.headers.authorization ?? ''));
    const url = new URL(req.url ?? '/', 'https://x');
    stats.serve(url.pathname, url.searchParams, res).catch((e: Error) => res.writeHead(500).end(e.message));
  });
  await new Promise<void>((r) => kubelet.listen(0, '127.0.0.1', r));
  t.teardown(() => {
    kubelet.close();
    kubelet.closeAllConnections();
  });
  const kubeletPort = (kubelet.address() as AddressInfo).port;
  await srv.client.create(Resources.nodes, undefined, { apiVersion: 'v1', kind: 'Node', metadata: { name: NODE, labels: { 'kubernetes.io/hostname': NODE } } } as KubeObject);
  await srv.client.patch(Resources.nodes, undefined, NODE, 'merge', { status: { addresses: [{ type: 'InternalIP', address: '127.0.0.1' }], daemonEndpoints: { kubeletEndpoint: { Port: kubeletPort } }, capacity: { cpu: '2', memory: '4Gi', pods: '110' }, allocatable: { cpu: '2', memory: '4Gi', pods: '110' } } }, 'status');

  // The add-on's RBAC and APIService; its Service without a selector, as the process runs here rather than in a pod.
  const objects = metricsServerManifests({ image: 'kubets.local/kubets:test' }).filter((o) => o.kind !== 'Deployment');
  const svc = objects.find((o) => o.kind === 'Service') as Service;
  delete svc.spec.selector;
  await applyObjects(srv.client, objects);
  const reserved = await reservePorts(1);
  const port = reserved.ports[0];
  await srv.client.create(Resources.endpoints, 'kube-system', { apiVersion: 'v1', kind: 'Endpoints', metadata: { name: 'metrics-server', namespace: 'kube-system' }, subsets: [{ addresses: [{ ip: '127.0.0.1' }], ports: [{ name: 'https', port }] }] } as KubeObject);

  // The process, as the metrics-server service account.
  const token = (await srv.kubectl(['create', 'token', 'metrics-server', '-n', 'kube-system'])).stdout.trim();
  t.ok(token, 'a token for the service account');
  const kubeconfig = path.join(srv.dir, 'metrics-server.kubeconfig');
  fs.writeFileSync(kubeconfig, kubeconfigYaml({ server: `https://127.0.0.1:${srv.port}`, caPem: fs.readFileSync(path.join(srv.dir, 'pki', 'ca.crt'), 'utf8'), userName: 'metrics-server', token }));
  const log = fs.openSync(path.join(srv.dir, 'metrics-server.log'), 'a');
  await reserved.release();
  const ms = spawnOwned(process.execPath, [cliPath, 'metrics-server', '--kubeconfig', kubeconfig, '--bind-address', '127.0.0.1', '--secure-port', String(port), '--metric-resolution', '1s', '--kubelet-use-node-status-port', '--kubelet-preferred-address-types', 'InternalIP'], { stdio: ['ignore', log, log] });
  fs.closeSync(log);
  t.teardown(() => stopOwned(ms));

  // The burning pod: run by the node, known to the API (where metrics-server finds pods and their labels).
  const burner = kn.pod('burner', { containers: [{ name: 'burn', image: 'busybox:1.35', command: ['sh', '-c', 'while :; do :; done'] }] }, { labels: { app: 'burner' } });
  kn.manager.podUpdated(burner);
  await kn.waitStatus(burner, 'running', (s) => s.phase === 'Running');
  await srv.client.create(Resources.pods, 'default', { apiVersion: 'v1', kind: 'Pod', metadata: { name: 'burner', namespace: 'default', labels: { app: 'burner' } }, spec: { nodeName: NODE, containers: [{ name: 'burn', image: 'busybox:1.35' }] } } as Pod);

  await until('the metrics APIService available', async () => {
    const out = await srv.kubectl(['get', 'apiservice', 'v1beta1.metrics.k8s.io']);
    return /kube-system\/metrics-server\s+True\s/.test(out.stdout) || undefined;
  }, 60_000);

  const cpu = await until('kubectl top pod to show the burner above 100m', async () => {
    const out = await srv.kubectl(['top', 'pod', 'burner']);
    const m = /\nburner\s+(\d+)m\s+(\d+)Mi/.exec(out.stdout);
    return m && Number(m[1]) > 100 ? { cpu: Number(m[1]), out: out.stdout } : undefined;
  }, 90_000, 1000);
  t.match(cpu.out, /^NAME\s+CPU\(cores\)\s+MEMORY\(bytes\)/);
  t.ok(cpu.cpu > 100, `burner uses ${cpu.cpu}m`);

  const containers = await srv.kubectl(['top', 'pod', 'burner', '--containers']);
  t.match(containers.stdout, /^POD\s+NAME\s+CPU\(cores\)\s+MEMORY\(bytes\)/);
  t.match(containers.stdout, /\nburner\s+burn\s+\d+m\s+\d+Mi/);
  const all = await srv.kubectl(['top', 'pods', '-A']);
  t.match(all.stdout, /\ndefault\s+burner\s+\d+m\s+\d+Mi/);
  const bySelector = await srv.kubectl(['top', 'pods', '-l', 'app=burner']);
  t.match(bySelector.stdout, /\nburner\s/);
  const none = await srv.kubectl(['top', 'pods', '-l', 'app=nothing']);
  t.notMatch(none.stdout, /burner/);

  const nodes = await until('kubectl top nodes', async () => {
    const out = await srv.kubectl(['top', 'nodes']);
    return /\nkl-node\s+\d+m\s+\d+%\s+\d+Mi\s+\d+%/.test(out.stdout) ? out.stdout : undefined;
  }, 30_000);
  t.match(nodes, /^NAME\s+CPU\(cores\)\s+CPU(%|\(%\))\s+MEMORY\(bytes\)\s+MEMORY(%|\(%\))/);

  t.ok(bearers.length > 0 && bearers.every((b) => b === `Bearer ${token}`), 'the kubelet is scraped with the service account\'s token');
  const missing = await srv.kubectl(['get', '--raw', '/apis/metrics.k8s.io/v1beta1/namespaces/default/pods/nothere']);
  t.match(missing.stderr, /podmetrics.metrics.k8s.io "default\/nothere" not found|NotFound|not found/);
  // Bad selectors: a 400 with the reason, relayed through the aggregator.
  const badLabels = await srv.kubectl(['get', '--raw', '/apis/metrics.k8s.io/v1beta1/pods?labelSelector=app+in+(burner']);
  t.match(badLabels.stderr, /Error from server \(BadRequest\): unable to parse labelSelector: /);
  const badFields = await srv.kubectl(['get', '--raw', '/apis/metrics.k8s.io/v1beta1/nodes?fieldSelector=spec.unschedulable%3Dtrue']);
  t.match(badFields.stderr, /Error from server \(BadRequest\): field label not supported: spec\.unschedulable/);
  // metrics-server's own OpenAPI v3 document, listed in the API server's index and relayed from it.
  const index = JSON.parse((await srv.kubectl(['get', '--raw', '/openapi/v3'])).stdout) as { paths: Record<string, { serverRelativeURL: string }> };
  const url = index.paths['apis/metrics.k8s.io/v1beta1']?.serverRelativeURL;
  t.match(url, /^\/openapi\/v3\/apis\/metrics\.k8s\.io\/v1beta1\?hash=/, 'the metrics document in /openapi/v3');
  const doc = JSON.parse((await srv.kubectl(['get', '--raw', url!])).stdout) as { components: { schemas: Record<string, unknown> } };
  t.ok(doc.components.schemas['io.k8s.metrics.pkg.apis.metrics.v1beta1.PodMetrics'], 'and the document from metrics-server');

  await kn.deletePod(burner);
});
