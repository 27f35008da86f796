// Prometheus (Debian's, the real one) against a real `kubets server`: the add-on's RBAC and its prometheus.yml, with
// the service account's token, discover the API server (endpoints), a node (node) and pods (pod) through our API — by
// the add-on's discovery companion over HTTP SD, Debian's Prometheus having no Kubernetes discovery — and scrape the API server's /metrics. A kubelet's /metrics and /metrics/cadvisor are
// scraped through the API server's nodes/proxy, which refuses a loopback node address (as kube-apiserver does), so
// here the node's targets are checked as discovered, not scraped. What it sees is read through Prometheus' HTTP API (/api/v1/targets, /api/v1/query).
import fs from 'node:fs';
import path from 'node:path';
import t from 'tap';
import { applyObjects } from '../addons/index.js';
import { DiscoveryServer } from '../addons/prometheus/discovery.js';
import { prometheusConfig, prometheusDefaults, prometheusManifests } from '../addons/prometheus/manifests.js';
import { ApiClient, loadKubeconfig } from '../api/client.js';
import { Resources } from '../api/resources.js';
import type { KubeObject } from '../api/types.js';
import { PROMETHEUS_BINARY } from '../lab/images/prometheus.js';
import { reservePorts } from './ports.js';
import { spawnOwned, stopOwned } from './processes.js';
import { ensureServiceAccount, startServer } from './server-fixture.js';
import { until } from './until.js';

const NODE = 'prom-node';

interface Target {
  labels: Record<string, string>;
  discoveredLabels: Record<string, string>;
  scrapePool: string;
  health: string;
  lastError: string;
  scrapeUrl: string;
}

t.test('Prometheus discovers through the API and scrapes the API server', { timeout: 120_000 }, async (t) => {
  t.ok(fs.existsSync(PROMETHEUS_BINARY), `${PROMETHEUS_BINARY} is installed (scripts/setup installs Debian's prometheus)`);
  const srv = await startServer();
  t.teardown(() => srv.destroy());
  const { ca, server } = loadKubeconfig(srv.kubeconfig);

  // A node (its kubelet is not run: discovery and the scrape path are what is looked at).
  await srv.client.create(Resources.nodes, undefined, { apiVersion: 'v1', kind: 'Node', metadata: { name: NODE, labels: { 'kubernetes.io/hostname': NODE } } } as KubeObject);
  await srv.client.patch(Resources.nodes, undefined, NODE, 'merge', { status: { addresses: [{ type: 'InternalIP', address: '127.0.0.1' }], daemonEndpoints: { kubeletEndpoint: { Port: 10250 } } } }, 'status');
  // A pod that asks to be scraped (it runs nowhere: discovery is what is looked at).
  await ensureServiceAccount(srv.client, 'default');
  await srv.client.create(Resources.pods, 'default', { apiVersion: 'v1', kind: 'Pod', metadata: { name: 'web', namespace: 'default', annotations: { 'prometheus.io/scrape': 'true', 'prometheus.io/port': '8080' } }, spec: { containers: [{ name: 'web', image: 'busybox:1.35' }] } } as KubeObject);
  await srv.client.patch(Resources.pods, 'default', 'web', 'merge', { status: { podIP: '127.0.0.2', podIPs: [{ ip: '127.0.0.2' }] } }, 'status');

  // The add-on's namespace and RBAC; Prometheus runs here as its service account.
  await applyObjects(srv.client, prometheusManifests({ image: 'kubets.local/prometheus:test', kubetsImage: 'kubets.local/kubets:test' }).filter((o) => !['ConfigMap', 'Deployment', 'Service'].includes(o.kind!)));
  const token = (await srv.kubectl(['create', 'token', prometheusDefaults.name, '-n', prometheusDefaults.namespace])).stdout.trim();
  t.match(token, /^ey/, 'a token for monitoring/prometheus');
  // The discovery companion, as the service account.
  const sdClient = new ApiClient({ server: String(server), ca, token });
  const sd = new DiscoveryServer(sdClient, '127.0.0.1:0');
  await sd.listen();
  t.teardown(async () => {
    await sd.close();
    sdClient.close();
  });
  const dir = path.join(srv.dir, 'prometheus');
  fs.mkdirSync(dir);
  const caFile = path.join(dir, 'ca.crt');
  const tokenFile = path.join(dir, 'token');
  fs.writeFileSync(caFile, String(ca));
  fs.writeFileSync(tokenFile, token);
  fs.writeFileSync(path.join(dir, 'prometheus.yml'), prometheusConfig({ apiServer: { url: String(server), caFile, tokenFile }, discoveryURL: `http://127.0.0.1:${sd.port()}`, scrapeInterval: '1s' }));

  const reserved = await reservePorts(1);
  const webPort = reserved.ports[0];
  await reserved.release();
  const log = fs.openSync(path.join(dir, 'prometheus.log'), 'a');
  const prom = spawnOwned(PROMETHEUS_BINARY, [`--config.file=${path.join(dir, 'prometheus.yml')}`, `--storage.tsdb.path=${path.join(dir, 'data')}`, `--web.listen-address=127.0.0.1:${webPort}`], { stdio: ['ignore', log, log] });
  fs.closeSync(log);
  t.teardown(() => stopOwned(prom, 'SIGTERM'));
  const api = async <T>(p: string): Promise<T> => {
    if (!prom.running()) throw new Error(`prometheus exited: ${fs.readFileSync(path.join(dir, 'prometheus.log'), 'utf8').slice(-2000)}`);
    const r = await fetch(`http://127.0.0.1:${webPort}${p}`);
    const body = (await r.json()) as { status: string; data: T };
    if (body.status !== 'success') throw new Error(`${p}: ${JSON.stringify(body)}`);
    return body.data;
  };
  const targets = () => api<{ activeTargets: Target[] }>('/api/v1/targets').then((d) => d.activeTargets, () => undefined);
  const target = (all: Target[] | undefined, pool: string, pred: (x: Target) => boolean = () => true) => all?.find((x) => x.scrapePool === pool && pred(x));

  const up = await until('the API server target up, the node and the pod discovered', async () => {
    const all = await targets();
    const wanted = ['kubernetes-apiservers', 'kubernetes-nodes', 'kubernetes-cadvisor', 'kubernetes-pods'].map((pool) => target(all, pool));
    return wanted[0]?.health === 'up' && wanted.every(Boolean) && { all: all!, wanted };
  }, 60_000, 250).catch(async (e: Error) => {
    t.fail(`${e.message}: ${JSON.stringify(await targets(), null, 1)?.slice(0, 4000)}`);
    return undefined;
  });
  if (!up) return;
  const [apiserver, node, cadvisor] = up.wanted;
  t.equal(apiserver!.labels.instance, new URL(String(server)).host, 'the API server found as the kubernetes endpoints');
  t.equal(apiserver!.discoveredLabels.__meta_kubernetes_endpoint_port_name, 'https');
  t.equal(node!.labels.instance, NODE, 'the node found by the node role');
  t.equal(node!.labels.kubernetes_io_hostname, NODE, 'with its labels');
  t.equal(node!.discoveredLabels.__metrics_path__, `/api/v1/nodes/${NODE}/proxy/metrics`, 'scraped through nodes/proxy');
  t.equal(cadvisor!.discoveredLabels.__metrics_path__, `/api/v1/nodes/${NODE}/proxy/metrics/cadvisor`);
  const pod = target(up.all, 'kubernetes-pods', (x) => x.labels.pod === 'web');
  t.equal(pod?.labels.namespace, 'default', 'the annotated pod found by the pod role');
  t.equal(pod?.discoveredLabels.__meta_kubernetes_pod_annotation_prometheus_io_port, '8080');
  t.equal(target(up.all, 'kube-proxy')?.scrapeUrl, 'http://127.0.0.1:10249/metrics', 'kube-proxy found on the node\'s address, port 10249');

  // What was scraped, through PromQL.
  const query = (q: string) => api<{ result: { metric: Record<string, string>; value: [number, string] }[] }>(`/api/v1/query?query=${encodeURIComponent(q)}`).then((d) => d.result);
  const lists = await until('apiserver_request_total of the discovery lists', async () => {
    const r = await query('apiserver_request_total{job="kubernetes-apiservers",verb="LIST",resource="nodes",code="200"}');
    return r.length > 0 && r;
  }, 30_000, 250);
  t.equal(lists[0].metric.component, 'apiserver');
  t.equal(lists[0].metric.scope, 'cluster', 'the node role lists every node');
  const buckets = await query('apiserver_request_duration_seconds_bucket{job="kubernetes-apiservers",verb="LIST",resource="nodes",le="0.005"}');
  t.ok(buckets.length > 0, 'the request latency histogram, with kube-apiserver\'s buckets');
  const stored = await query('apiserver_storage_objects{job="kubernetes-apiservers",resource="nodes"}');
  t.equal(stored[0]?.value[1], '1', 'one Node stored');
  t.ok((await query('process_resident_memory_bytes{job="kubernetes-apiservers"}')).length, 'process metrics');

  // /metrics is a non-resource URL for system:monitoring (and cluster-admin), not for anyone.
  const otherClient = new ApiClient({ server: String(server), ca, token: (await srv.kubectl(['create', 'token', 'default'])).stdout.trim() });
  t.teardown(() => otherClient.close());
  await t.rejects(otherClient.request('GET', '/metrics'), { code: 403 }, 'another service account may not read /metrics');
  t.match((await srv.kubectl(['get', '--raw', '/metrics'])).stdout, /^apiserver_request_total\{/m, 'the admin may');
});
