// The control plane as separate processes, as on a kubeadm-shaped master: `kubets server --disable-controllers` serves
// the API alone; two `kubets controller-manager` and two `kubets scheduler` processes run beside it with their own
// certificates. Exactly one of each pair holds its Lease and acts; killing the leader (its lease left to expire) or
// stopping it (its lease given up) hands the work to the other, and the cluster keeps reconciling. Each serves its
// secure port: /metrics for a token the API vouches for and authorizes (system:monitoring), /healthz for anyone.
import https from 'node:https';
import fs from 'node:fs';
import path from 'node:path';
import t from 'tap';
import { execa } from 'execa';
import { Resources } from '../api/resources.js';
import { writeClientKubeconfig } from '../api/pki.js';
import type { Lease, Pod } from '../api/types.js';
import { reservePorts } from './ports.js';
import { logSince, spawnOwned, stopOwned, type OwnedProcess } from './processes.js';
import { cliPath, startServer } from './server-fixture.js';
import { until } from './until.js';

const ELECTION = ['--leader-elect-lease-duration', '3s', '--leader-elect-renew-deadline', '2s', '--leader-elect-retry-period', '500ms'];

interface Candidate {
  proc: OwnedProcess;
  identity: string;
  log: string;
  port: number;
}

/** A GET of the component's secure port (its certificate is self-signed). */
function scrape(port: number, path: string, token?: string): Promise<{ status: number; body: string }> {
  return new Promise((resolve, reject) => {
    const req = https.get({ host: '127.0.0.1', port, path, rejectUnauthorized: false, agent: false, headers: token ? { authorization: `Bearer ${token}` } : {} }, (res) => {
      let body = '';
      res.on('data', (c) => (body += c));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, body }));
    });
    req.on('error', reject);
  });
}

t.test('two controller managers and two schedulers: one leads each, the other takes over', async (t) => {
  const server = await startServer({ args: ['--disable-controllers'] });
  t.teardown(() => server.destroy());
  const { client } = server;
  const pki = path.join(server.dir, 'pki');
  const ca = { certPem: fs.readFileSync(path.join(pki, 'ca.crt'), 'utf8'), keyPem: fs.readFileSync(path.join(pki, 'ca.key'), 'utf8') };
  const url = `https://127.0.0.1:${server.port}`;
  const cmKubeconfig = path.join(server.dir, 'cm.kubeconfig');
  const schedKubeconfig = path.join(server.dir, 'sched.kubeconfig');
  await writeClientKubeconfig(cmKubeconfig, ca, url, 'system:kube-controller-manager', []);
  await writeClientKubeconfig(schedKubeconfig, ca, url, 'system:kube-scheduler', []);

  const reserved = await reservePorts(4);
  await reserved.release();
  const ports = [...reserved.ports];
  const start = async (name: string, args: string[]): Promise<Candidate> => {
    const log = path.join(server.dir, `${name}.log`);
    const fd = fs.openSync(log, 'w');
    const port = ports.shift()!;
    const proc = spawnOwned(process.execPath, [cliPath, ...args, ...ELECTION, '--secure-port', String(port), '--bind-address', '127.0.0.1'], { stdio: ['ignore', fd, fd], env: { ...process.env, KUBETS_LOG_LEVEL: 'warn' } });
    fs.closeSync(fd);
    t.teardown(() => stopOwned(proc, 'SIGKILL'));
    const identity = await until(`${name}'s candidate identity`, () => {
      if (!proc.running()) throw new Error(`${name} exited: ${logSince(log, 0)}`);
      return /candidate (\S+) for the lease/.exec(logSince(log, 0))?.[1];
    }, 30_000, 50);
    return { proc, identity, log, port };
  };
  const cmArgs = ['controller-manager', '--kubeconfig', cmKubeconfig, '--cluster-signing-cert-file', path.join(pki, 'ca.crt'), '--cluster-signing-key-file', path.join(pki, 'ca.key'), '--node-monitor-grace-period', '10m'];
  const managers = [await start('cm1', cmArgs), await start('cm2', cmArgs)];
  const schedulers = [await start('sched1', ['scheduler', '--kubeconfig', schedKubeconfig]), await start('sched2', ['scheduler', '--kubeconfig', schedKubeconfig])];

  const lease = (name: string) => client.get<Lease>(Resources.leases, 'kube-system', name).catch(() => undefined);
  const leader = async (name: string, among: Candidate[]): Promise<Candidate> =>
    until(`a holder of ${name}`, async () => {
      const holder = (await lease(name))?.spec?.holderIdentity;
      return among.find((c) => c.identity === holder);
    }, 30_000, 100);

  // A node to schedule onto (no kubelet: pods are bound and stay Pending, which is all this needs).
  await client.create(Resources.nodes, undefined, { apiVersion: 'v1', kind: 'Node', metadata: { name: 'node-a', labels: { 'kubernetes.io/hostname': 'node-a' } } });
  await client.patch(Resources.nodes, undefined, 'node-a', 'merge', {
    status: { conditions: [{ type: 'Ready', status: 'True', reason: 'KubeletReady', lastHeartbeatTime: new Date().toISOString(), lastTransitionTime: new Date().toISOString() }], allocatable: { cpu: '8', memory: '16Gi', pods: '110' }, capacity: { cpu: '8', memory: '16Gi', pods: '110' } },
  }, 'status');

  const deployment = (replicas: number) => ({
    apiVersion: 'apps/v1',
    kind: 'Deployment',
    metadata: { name: 'web', namespace: 'default' },
    spec: { replicas, selector: { matchLabels: { app: 'web' } }, template: { metadata: { labels: { app: 'web' } }, spec: { containers: [{ name: 'c', image: 'kubets.local/busybox:1.36' }] } } },
  });
  const boundPods = async () => (await client.list<Pod>(Resources.pods, 'default', { labelSelector: 'app=web' })).items.filter((p) => p.spec.nodeName === 'node-a' && !p.metadata.deletionTimestamp).length;

  const cmLeader = await leader('kube-controller-manager', managers);
  const schedLeader = await leader('kube-scheduler', schedulers);
  await client.create(Resources.deployments, 'default', deployment(2));
  await until('2 pods made by the controllers and bound by the scheduler', async () => (await boundPods()) === 2, 60_000, 200);
  t.pass('the leaders reconcile: Deployment → ReplicaSet → pods → bound to node-a');
  const cmLease = (await lease('kube-controller-manager'))!;
  t.equal(cmLease.spec?.leaseDurationSeconds, 3, 'the lease records its duration');
  for (const c of [...managers, ...schedulers]) t.ok(c.proc.running(), `${c.identity} keeps running`, { output: c.proc.running() ? '' : logSince(c.log, 0) });

  // The leaders' metrics, as a monitoring service account reads them.
  await client.create(Resources.serviceaccounts, 'default', { apiVersion: 'v1', kind: 'ServiceAccount', metadata: { name: 'monitor', namespace: 'default' } });
  await client.create(Resources.clusterrolebindings, undefined, { apiVersion: 'rbac.authorization.k8s.io/v1', kind: 'ClusterRoleBinding', metadata: { name: 'monitor' }, roleRef: { apiGroup: 'rbac.authorization.k8s.io', kind: 'ClusterRole', name: 'system:monitoring' }, subjects: [{ kind: 'ServiceAccount', name: 'monitor', namespace: 'default' }] });
  const token = (await server.kubectl(['create', 'token', 'monitor'])).stdout.trim();
  t.equal((await scrape(schedLeader.port, '/healthz')).body, 'ok', '/healthz for anyone');
  t.equal((await scrape(schedLeader.port, '/metrics')).status, 401, '/metrics without a token: 401');
  const denied = await server.kubectl(['create', 'token', 'default']);
  t.equal((await scrape(schedLeader.port, '/metrics', denied.stdout.trim())).status, 403, 'a token without system:monitoring: 403');
  const sched = await scrape(schedLeader.port, '/metrics', token);
  t.equal(sched.status, 200);
  t.match(sched.body, /^scheduler_schedule_attempts_total\{result="scheduled",profile="default-scheduler"\} 2$/m, 'the leader scheduled both pods');
  t.match(sched.body, /^scheduler_pending_pods\{queue="active"\} 0$/m);
  t.match(sched.body, /^scheduler_scheduling_attempt_duration_seconds_count\{result="scheduled",profile="default-scheduler"\} 2$/m);
  const cm = await scrape((managers.find((m) => m.identity === cmLease.spec?.holderIdentity) ?? cmLeader).port, '/metrics', token);
  t.match(cm.body, /^workqueue_adds_total\{name="deployment-controller"\} [1-9]/m, 'the deployment controller\'s queue');
  t.match(cm.body, /^workqueue_depth\{name="replicaset-controller"\} \d+$/m);

  // Killed: the lease is not given up, so the other waits out its duration, then takes it. The holder is read again
  // right before: on a loaded machine (a 3 s lease) the lease may already have changed hands once.
  const cmHolder = managers.find((m) => m.identity === cmLease.spec?.holderIdentity) ?? cmLeader;
  await stopOwned(cmHolder.proc, 'SIGKILL');
  const cmNext = await leader('kube-controller-manager', managers.filter((m) => m !== cmHolder));
  t.not(cmNext.identity, cmHolder.identity, 'the other controller manager took the lease');
  t.equal((await lease('kube-controller-manager'))!.spec?.leaseTransitions, (cmLease.spec?.leaseTransitions ?? 0) + 1, 'one more lease transition');

  // Stopped: the leader gives the lease up on the way out, and the other takes it on its next try.
  await stopOwned(schedLeader.proc, 'SIGTERM');
  t.equal(schedLeader.proc.proc.exitCode, 0, 'a stopped scheduler exits cleanly');
  await leader('kube-scheduler', schedulers.filter((s) => s !== schedLeader));
  t.pass('the other scheduler took the released lease');

  await client.patch(Resources.deployments, 'default', 'web', 'merge', { spec: { replicas: 3 } });
  await until('the third pod, made and bound by the new leaders', async () => (await boundPods()) === 3, 60_000, 200);
  t.pass('the new leaders reconcile');
});

t.test('bad flags are refused with the flag named', async (t) => {
  const run = (args: string[]) => execa(process.execPath, [cliPath, ...args], { reject: false, timeout: 30_000 });
  let r = await run(['controller-manager']);
  t.equal(r.exitCode, 2);
  t.match(r.stderr, '--kubeconfig is required');
  r = await run(['scheduler', '--kubeconfig', cliPath, '--leader-elect', 'maybe']);
  t.equal(r.exitCode, 2);
  t.match(r.stderr, '--leader-elect "maybe": want true or false');
  r = await run(['scheduler', '--kubeconfig', cliPath, '--leader-elect-lease-duration', '1s']);
  t.equal(r.exitCode, 2);
  t.match(r.stderr, 'lease duration > renew deadline > retry period');
  r = await run(['scheduler', '--kubeconfig', cliPath, '--leader-elect-retry-period', '2 s']);
  t.equal(r.exitCode, 2);
  t.match(r.stderr, '--leader-elect-retry-period: invalid duration "2 s"');
  r = await run(['proxy', '--proxy-mode', 'userspace']);
  t.equal(r.exitCode, 2);
  t.match(r.stderr, '--proxy-mode "userspace": want one of iptables, nftables, ipvs');
  // This machine's kernel has no IPVS: the mode stops with one line, and nothing falls back to another mode.
  r = await run(['proxy', '--proxy-mode', 'ipvs', '--hostname-override', 'n1']);
  t.equal(r.exitCode, 1);
  t.equal(r.stderr.trim().split('\n').length, 1, r.stderr);
  t.match(r.stderr, /^kubets proxy: proxy mode "ipvs" needs kernel module ip_vs, which this kernel \(.+\) does not have and cannot load; modes that work here: iptables, nftables$/m);
});
