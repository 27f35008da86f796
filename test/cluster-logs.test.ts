// Cluster logging end to end on a real `kubets server`: `kubets cluster-logs` and `kubets log-collector` as processes
// (the collector as its own ServiceAccount, with the add-on's RBAC), a /var/log/pods tree written by the test, and
// search through the API server's services proxy with the real kubectl — as a user would ask it.
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import t from 'tap';
import { applyObjects } from '../addons/index.js';
import { loggingManifests } from '../addons/logging/manifests.js';
import { Resources } from '../api/resources.js';
import type { Endpoints, Pod } from '../api/types.js';
import { kubeconfigFor, kubectlWith, type Kubectl } from './identities.js';
import { spawnOwned, stopOwned, type OwnedProcess } from './processes.js';
import { cliPath, startServer, type TestServer } from './server-fixture.js';
import { until } from './until.js';

const STORE_IP = '127.0.0.7';
const NODE = 'node-a';
let srv: TestServer;
let admin: Kubectl;
let dir: string;
const procs: OwnedProcess[] = [];
const uids: Record<string, string> = {};

function run(name: string, args: string[]): { proc: OwnedProcess; log: string } {
  const log = path.join(dir, `${name}.log`);
  const fd = fs.openSync(log, 'a');
  const proc = spawnOwned(process.execPath, [cliPath, ...args], { stdio: ['ignore', fd, fd], env: { ...process.env, KUBETS_LOG_LEVEL: 'warn' } });
  fs.closeSync(fd);
  procs.push(proc);
  return { proc, log };
}

const podLogs = () => path.join(dir, 'pods');
const logFile = (name: string) => path.join(podLogs(), `default_${name}_${uids[name]}`, 'app', '0.log');
const write = (name: string, text: string, stream = 'stdout') => fs.appendFileSync(logFile(name), `${new Date().toISOString()} ${stream} F ${text}\n`);
const searchPath = (query: string) => `/api/v1/namespaces/kube-system/services/cluster-logs:80/proxy/search?${query}`;
const lines = (out: string) => out.split('\n').filter(Boolean).map((l) => JSON.parse(l));
/** A search with the real kubectl, as a user asks it. */
const search = async (query: string) => lines(await admin.ok(['get', '--raw', searchPath(query)]));
/** The same through the same proxy with the test's client: cheap enough to poll. */
const found = (query: string) => async () => {
  const res = await srv.client.raw('GET', searchPath(query));
  const r = res.status === 200 ? lines(res.body.toString()) : [];
  return r.length ? r : undefined;
};

t.before(async () => {
  srv = await startServer({ args: ['--disable-controllers'] });
  admin = kubectlWith(srv);
  dir = fs.mkdtempSync(path.join(os.tmpdir(), 'kubets-cluster-logs-'));

  // The collector's identity as the add-on deploys it: its ServiceAccount, ClusterRole and binding, and a token.
  const manifests = loggingManifests({ image: 'kubets.local/kubets:test' });
  await applyObjects(srv.client, manifests.filter((o) => ['ServiceAccount', 'ClusterRole', 'ClusterRoleBinding'].includes(o.kind!)));
  const tr = await srv.client.createSubresource<{ status: { token: string } }>(Resources.serviceaccounts, 'kube-system', 'log-collector', 'token', {
    apiVersion: 'authentication.k8s.io/v1',
    kind: 'TokenRequest',
    spec: { expirationSeconds: 3600 },
  });
  const collectorKubeconfig = kubeconfigFor(srv, 'log-collector', { token: tr.status.token });

  for (const [name, app] of [['web-1', 'web'], ['gone-1', 'gone']]) {
    const pod = await srv.client.create<Pod>(Resources.pods, 'default', { apiVersion: 'v1', kind: 'Pod', metadata: { name, labels: { app } }, spec: { nodeName: NODE, containers: [{ name: 'app', image: 'busybox:1.35' }] } } as Pod);
    uids[name] = pod.metadata.uid!;
    fs.mkdirSync(path.dirname(logFile(name)), { recursive: true });
    write(name, `${name} starting`);
  }

  const store = run('cluster-logs', ['cluster-logs', '--listen', `${STORE_IP}:0`, '--data-dir', path.join(dir, 'store')]);
  const port = await until('the store to serve', () => {
    if (!store.proc.running()) throw new Error(`cluster-logs exited: ${fs.readFileSync(store.log, 'utf8')}`);
    return Number(/\(port (\d+)\)/.exec(fs.readFileSync(store.log, 'utf8'))?.[1]) || undefined;
  });
  // The store's pod, Service and Endpoints, as the Deployment and the endpoints controller would make them.
  await srv.client.create<Pod>(Resources.pods, 'kube-system', { apiVersion: 'v1', kind: 'Pod', metadata: { name: 'cluster-logs-0', labels: { 'k8s-app': 'cluster-logs' } }, spec: { containers: [{ name: 'cluster-logs', image: 'kubets.local/kubets:test' }] } } as Pod);
  await srv.client.patch(Resources.pods, 'kube-system', 'cluster-logs-0', 'merge', { status: { podIP: STORE_IP, podIPs: [{ ip: STORE_IP }] } }, 'status');
  await applyObjects(srv.client, manifests.filter((o) => o.kind === 'Service'));
  await srv.client.create<Endpoints>(Resources.endpoints, 'kube-system', {
    apiVersion: 'v1',
    kind: 'Endpoints',
    metadata: { name: 'cluster-logs' },
    subsets: [{ addresses: [{ ip: STORE_IP, targetRef: { kind: 'Pod', namespace: 'kube-system', name: 'cluster-logs-0' } }], ports: [{ name: 'http', port }] }],
  } as Endpoints);

  run('log-collector', ['log-collector', '--kubeconfig', collectorKubeconfig, '--node-name', NODE, '--store-url', `http://${STORE_IP}:${port}`, '--pod-log-dir', podLogs(), '--position-file', path.join(dir, 'state', 'positions.json'), '--poll-interval', '100ms']);
});

t.teardown(async () => {
  for (const p of procs.reverse()) await stopOwned(p);
  await srv?.destroy();
  if (dir) fs.rmSync(dir, { recursive: true, force: true });
});

t.test("a line a pod writes is found through the services proxy, with the pod's metadata", async (t) => {
  write('web-1', 'GET /lab-probe-5d2 HTTP/1.1 200');
  await until('the line to be searchable', found('q=lab-probe-5d2'));
  const [line, ...more] = await search('q=lab-probe-5d2');
  t.same(more, []);
  t.match(line, { namespace: 'default', pod: 'web-1', container: 'app', node: NODE, labels: { app: 'web' }, stream: 'stdout', line: 'GET /lab-probe-5d2 HTTP/1.1 200' });
  t.ok(Date.parse(line.time) > 0, 'with its time');
  t.same((await search('q=starting&pod=web-1')).map((l) => l.line), ['web-1 starting'], 'the lines already in the file too');
});

t.test('lines of a deleted pod are still found', async (t) => {
  await srv.client.delete(Resources.pods, 'default', 'gone-1', { gracePeriodSeconds: 0 });
  write('gone-1', 'last words of gone-1', 'stderr');
  const [last] = await until("the deleted pod's line", found('q=last+words&namespace=default'));
  t.match(last, { pod: 'gone-1', labels: { app: 'gone' }, stream: 'stderr' }, 'its labels remembered from before the deletion');
  fs.rmSync(path.dirname(path.dirname(logFile('gone-1'))), { recursive: true });
  t.same((await search('q=gone-1')).map((l) => l.line), ['gone-1 starting', 'last words of gone-1'], 'its log files removed too: the store keeps the lines');
});

t.test('bad parameters: 400 with the reason, through kubectl', async (t) => {
  const r = await admin(['get', '--raw', '/api/v1/namespaces/kube-system/services/cluster-logs:80/proxy/search?q=x&since=yesterday']);
  t.not(r.exitCode, 0);
  t.match(r.stderr, /Error from server \(BadRequest\): since: Invalid value: "yesterday": must be an RFC3339 time/);
});
