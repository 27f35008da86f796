// The stats endpoints on the kubelet's HTTPS server, with an in-memory runtime and fixed cgroup readings: routes,
// authorization as nodes/stats and nodes/metrics, content types, and a bad parameter's 400.
import fs from 'node:fs';
import https from 'node:https';
import os from 'node:os';
import path from 'node:path';
import t from 'tap';
import { createCA, issueCert, type KeyPair } from '../../../api/pki.js';
import { parseText } from '../../../api/prometheus.js';
import type { Container, PodSandbox } from '../cri/client.js';
import { startKubeletServer } from '../server.js';
import { startStats, type KubeletStats } from './index.js';
import type { CgroupSample } from './cgroups.js';
import type { StatsRuntime } from './provider.js';

const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'kubets-kubelet-stats-'));
t.teardown(() => fs.rmSync(dir, { recursive: true, force: true }));

const sandbox: PodSandbox = { id: 'sb1', metadata: { name: 'web', namespace: 'default', uid: 'u1', attempt: 0 }, state: 'SANDBOX_READY', created_at: 1_700_000_000_000_000_000, labels: {}, annotations: {}, runtime_handler: '' };
const ctr: Container = { id: 'c1', pod_sandbox_id: 'sb1', metadata: { name: 'app', attempt: 0 }, image: { image: 'sha256:abc' }, image_ref: 'sha256:abc', state: 'CONTAINER_RUNNING', created_at: 1_700_000_001_000_000_000, labels: {}, annotations: {} };
const runtime: StatsRuntime = {
  listPodSandbox: async () => ({ items: [sandbox] }),
  listContainers: async () => ({ containers: [ctr] }),
  containerStatus: async () => ({ status: { image: { image: 'docker.io/library/busybox:1.35' } } as never, info: {} }),
  listContainerStats: async () => ({ stats: [] }),
  imageFsInfo: async () => ({ image_filesystems: [], container_filesystems: [] }),
};
// Each housekeeping pass is a second later (the node's cgroup is read first) and every cgroup has used a second more
// CPU: a rate of one core however many passes have run.
let clock = 1_700_000_099_000;
const readings: Record<string, number> = {};
const readCgroup = (rel: string): CgroupSample | undefined => {
  if (!['/', '/kubepods', '/kubepods/podu1', '/kubepods/podu1/c1'].includes(rel)) return undefined;
  if (rel === '/') clock += 1000;
  readings[rel] = (readings[rel] ?? 0) + 1e9;
  return { time: clock, cpuUsageNs: readings[rel], memory: { usageBytes: 4096, workingSetBytes: 2048, rssBytes: 1024, pageFaults: 1, majorPageFaults: 0 } };
};

let ca: KeyPair;
let admin: KeyPair;
let other: KeyPair;
let port = 0;
let stats: KubeletStats;

t.before(async () => {
  ca = await createCA('test-ca');
  admin = await issueCert(ca, { commonName: 'kube-apiserver-kubelet-client', organizations: ['system:masters'], client: true });
  other = await issueCert(ca, { commonName: 'someone', organizations: ['devs'], client: true });
  stats = startStats({ nodeName: 'n1', dataDir: dir, cgroupParent: '/kubepods', runtime, intervalMs: 3_600_000, readCgroup, now: () => clock });
  await stats.provider.housekeep();
  await stats.provider.housekeep();
  const server = await startKubeletServer({ nodeName: 'n1', nodeIP: '127.0.0.1', dataDir: dir, clientCA: ca.certPem, runtime: { listContainers: runtime.listContainers, containerStatus: runtime.containerStatus as never, exec: async () => ({ url: '' }), attach: async () => ({ url: '' }), listPodSandbox: async () => ({ items: [] }), portForward: async () => ({ url: '' }) }, bindAddress: '127.0.0.1', port: 0, stats });
  port = server.port;
  t.teardown(async () => {
    stats.close();
    await server.close();
  });
});

function get(p: string, who: KeyPair, method = 'GET'): Promise<{ status: number; type: string; body: string }> {
  return new Promise((resolve, reject) => {
    const req = https.request({ host: '127.0.0.1', port, path: p, method, cert: who.certPem, key: who.keyPem, rejectUnauthorized: false, agent: false }, (res) => {
      let body = '';
      res.on('data', (c) => (body += c));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, type: String(res.headers['content-type']), body }));
    });
    req.on('error', reject);
    req.end();
  });
}

t.test('/stats/summary', async (t) => {
  const r = await get('/stats/summary', admin);
  t.equal(r.status, 200);
  t.equal(r.type, 'application/json');
  const s = JSON.parse(r.body);
  t.equal(s.node.nodeName, 'n1');
  t.equal(s.node.cpu.usageNanoCores, 1e9, 'a rate from the last two readings');
  t.equal(s.node.cpu.usageCoreNanoSeconds % 1e9, 0);
  t.ok(s.node.cpu.usageCoreNanoSeconds >= 2e9);
  t.match(s.node.cpu.time, /^2023-11-14T22:1\d:\d\dZ$/);
  t.same(s.pods[0].podRef, { name: 'web', namespace: 'default', uid: 'u1' });
  t.same(s.pods[0].containers[0].cpu.usageNanoCores, 1e9);
  t.equal(s.pods[0].containers[0].startTime, '2023-11-14T22:13:21Z');
  const only = JSON.parse((await get('/stats/summary?only_cpu_and_memory=true', admin)).body);
  t.notOk(only.node.fs, 'only CPU and memory');
  const bad = await get('/stats/summary?only_cpu_and_memory=maybe', admin);
  t.equal(bad.status, 400);
  t.equal(JSON.parse(bad.body).message, 'invalid only_cpu_and_memory value: maybe');
});

t.test('/metrics/resource, /metrics/cadvisor and /metrics', async (t) => {
  const resource = await get('/metrics/resource', admin);
  t.equal(resource.type, 'text/plain; version=0.0.4; charset=utf-8');
  const samples = parseText(resource.body);
  const cpu = samples.find((s) => s.name === 'container_cpu_usage_seconds_total')!;
  t.same(cpu.labels, { container: 'app', namespace: 'default', pod: 'web' });
  t.ok(cpu.value >= 2 && Number.isInteger(cpu.value), `${cpu.value} core-seconds`);
  t.ok(cpu.timestampMs! > 1_700_000_099_000 && cpu.timestampMs! <= clock, 'stamped with the time of the reading');
  const cadvisor = parseText((await get('/metrics/cadvisor', admin)).body);
  t.equal(cadvisor.find((s) => s.name === 'container_memory_working_set_bytes' && s.labels.container === 'app')?.labels.image, 'docker.io/library/busybox:1.35');
  const own = await get('/metrics', admin);
  t.match(own.body, /^kubelet_running_pods 1$/m);
  t.match(own.body, /^kubelet_running_containers\{container_state="running"\} 1$/m);
  t.match(own.body, /^kubelet_node_name\{node="n1"\} 1$/m);
  t.match(own.body, /^# TYPE kubelet_pod_start_duration_seconds histogram$/m);
  t.match(own.body, /^process_cpu_user_seconds_total /m);
  t.equal((await get('/metrics/resource', admin, 'POST')).status, 405);
});

t.test('authorized as nodes/stats and nodes/metrics', async (t) => {
  t.equal(JSON.parse((await get('/stats/summary', other)).body).message, 'Forbidden (user=someone, verb=get, resource=nodes, subresource=stats)');
  t.equal(JSON.parse((await get('/metrics/cadvisor', other)).body).message, 'Forbidden (user=someone, verb=get, resource=nodes, subresource=metrics)');
});
