// The lab as booted machines (`kubets lab up --machines nspawn`): master + three workers booting systemd from a Debian 12
// root, each provisioned by the installer as a real host — `kubets init`, then the printed `kubets join` — under a
// test-only bridge, subnet and names so it never meets a running lab. Then the checks every lab kind passes
// (test/lab-e2e.ts), and the life of an installed node: the agent restarted (containers untouched), stopped (NotReady,
// pods move) and started again, the machine rebooted, bad join input refused, and `kubets uninstall` leaving nothing.
import t from 'tap';
import { execa } from 'execa';
import { spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { teardownLab } from '../lab/down.js';
import { nodeCommand } from '../lab/nodeexec.js';
import { cgroupDirs, isAlive, processStartTime } from '../lab/processes.js';
import { labPaths } from '../lab/spec.js';
import { readState } from '../lab/state.js';
import { labStatusFor } from '../lab/status.js';
import { upLab } from '../lab/up.js';
import { checkNodesReady, get, labClient, until, workloadChecks, type LabUnderTest } from './lab-e2e.js';
import { kubeSystemChecks } from './lab-kube-system.js';
import { podNetworkChecks } from './lab-podnetwork.js';
import { repoRoot } from './server-fixture.js';
import { testLabSpec } from './test-lab-spec.js';

const id = randomBytes(2).toString('hex');
const base = { root: `/var/lib/ktn-lab-${id}`, bridge: `ktn${id}`, prefixLength: 24, netnsPrefix: `ktn${id}-`, vethPrefix: `ktn${id}-`, apiPort: 6443 };

const { spec, ip } = await testLabSpec(base, 150);
const nodes = Object.fromEntries(spec.nodes.map((n) => [n.name, n.ip]));

/** A command on a node, exactly as `kubets lab exec NODE -- CMD` runs it. */
async function onNode(node: string, argv: string[]) {
  const cmd = nodeCommand(spec, node, argv);
  const r = await execa(cmd[0], cmd.slice(1), { reject: false, timeout: 180_000 });
  return { exitCode: r.exitCode ?? -1, stdout: String(r.stdout), stderr: String(r.stderr) };
}

const lab: LabUnderTest = { kubeconfig: labPaths(spec).adminKubeconfig, nodes, onNode, nodeBinary: '/usr/bin/node', repoRoot, proxyMode: 'iptables', podNetwork: 'host-gw' };
const { kubectl, json } = labClient(lab);
const progress: string[] = [];

// A lab whose test and guard are both gone (the host restarted under them) is removed by the next run, from the lab's
// state file. The lab's owners are recorded beside it, a "pid start-time" line each.
const OWNERS = 'test-owners';
for (const dir of fs.readdirSync('/var/lib').filter((d) => d.startsWith('ktn-lab-')).map((d) => path.join('/var/lib', d))) {
  const owners = fs.existsSync(path.join(dir, OWNERS)) ? fs.readFileSync(path.join(dir, OWNERS), 'utf8').trim().split('\n') : [];
  if (owners.some((l) => isAlive(...(l.split(' ').map(Number) as [number, number])))) continue;
  const left = readState(path.join(dir, 'state.json'));
  if (left) {
    const r = await teardownLab(left.spec);
    console.error(`removed the test lab ${dir} of an earlier run${r.left.length ? `; left: ${r.left.join('; ')}` : ''}`);
  } else if (fs.readdirSync(dir).every((f) => f === OWNERS)) fs.rmSync(dir, { recursive: true }); // stopped before the lab began
}

// Killed or interrupted, the test cannot tear its lab down itself: a detached guard does when this process is gone.
const guard = spawn(process.execPath, [fileURLToPath(new URL('./lab-guard.js', import.meta.url))], { detached: true, stdio: ['pipe', 'ignore', 'ignore'], env: { ...process.env, KT_LAB_SPEC: JSON.stringify(spec) } });
guard.unref();
(guard.stdin as unknown as { unref(): void }).unref();
fs.mkdirSync(spec.root, { recursive: true });
fs.writeFileSync(path.join(spec.root, OWNERS), [process.pid, guard.pid!].map((pid) => `${pid} ${processStartTime(pid)}\n`).join(''));
t.teardown(async () => {
  const r = await teardownLab(spec);
  if (r.left.length) console.error(`test lab teardown left: ${r.left.join('; ')}`);
});

t.test('lab up --machines nspawn: booted machines, provisioned with kubets init and kubets join', async (t) => {
  const started = Date.now();
  await upLab(spec, { machines: 'nspawn', timeoutSeconds: 900, onProgress: (m) => progress.push(`${((Date.now() - started) / 1000).toFixed(1)}s ${m}`) });
  t.comment(progress.join('\n'));
  t.ok(progress.some((l) => /master: initialized in/.test(l)) && progress.some((l) => /worker3: joined in/.test(l)), 'the master was initialized and the workers joined');
  await checkNodesReady(t, lab);
  for (const n of spec.nodes) {
    t.equal((await onNode(n.name, ['systemctl', 'is-system-running'])).stdout, 'running', `${n.name}: systemd is PID 1 and the system is running`);
    // The master's control plane runs as static pods of its agent (kubets init), not as a unit of its own.
    const units = ['containerd', 'kubets-agent', 'kubets-node-shutdown'];
    t.equal((await onNode(n.name, ['systemctl', 'is-active', ...units])).stdout, units.map(() => 'active').join('\n'), `${n.name}: ${units.join(', ')} active`);
    t.equal((await onNode(n.name, ['systemctl', 'is-enabled', ...units.filter((u) => u !== 'containerd')])).exitCode, 0, `${n.name}: kubets units enabled (they come back after a reboot)`);
  }
  const status = await labStatusFor(spec);
  t.ok(status.healthy, status.summary);
  t.match(status.summary, /worker1 +\S+ +machine \S+worker1 running \(PID 1 is \d+ here\)/);
});

t.test('lab exec runs on the node as a user types it there; node-local paths are the node\'s own', async (t) => {
  t.equal((await onNode('worker1', ['curl', '-s', '127.0.0.1:10249/proxyMode'])).stdout, 'iptables');
  const status = await onNode('worker1', ['systemctl', 'status', 'kubets-agent', '--no-pager']);
  t.equal(status.exitCode, 0);
  t.match(status.stdout, /Active: active \(running\)/);
  t.match(status.stdout, /Status: "node worker1 \(\S+\) running"/, 'the agent reports its status to systemd');
  const journal = await onNode('worker1', ['journalctl', '-u', 'kubets-agent', '--no-pager', '-o', 'cat']);
  t.match(journal.stdout, /"component":"agent".*"msg":"agent running"/, 'journalctl -u kubets-agent shows the component logs');
  t.match((await onNode('worker1', ['cat', '/etc/kubets/agent.yaml'])).stdout, /^node-name: worker1$/m);
  t.match((await onNode('master', ['cat', '/etc/kubets/agent.yaml'])).stdout, /^node-name: master$/m, 'each node has its own /etc/kubets');
  t.equal((await onNode('worker1', ['readlink', '/var/log/pods'])).stdout, '/var/lib/kubets/agent/pods');
  const verify = await onNode('master', ['systemd-analyze', 'verify', 'kubets-agent.service', 'kubets-node-shutdown.service', 'containerd.service']);
  t.equal(verify.exitCode, 0, `systemd-analyze verify on the installed units: ${verify.stderr}`);
});

kubeSystemChecks(t, () => lab);
podNetworkChecks(t, () => lab);
workloadChecks(t, () => lab);

/** Pods of app=web, by node. */
async function webPods() {
  return (await json(['get', 'pods', '-l', 'app=web'])).items.filter((p: any) => !p.metadata.deletionTimestamp);
}
/**
 * Three web pods, one on each worker, each passing `ok`. The scheduler spreads replicas but promises nothing: once the
 * add-ons fill the workers unevenly, resource scores can outweigh spreading. A pod doubled up on a worker is replaced
 * while the workers that already run one are cordoned, so its replacement can only land on the empty worker.
 */
async function oneWebPodPerWorker(ok: (p: any) => boolean): Promise<any[]> {
  await kubectl(['scale', 'deployment/web', '--replicas=3']);
  return until('one web pod per worker', async () => {
    const pods = await webPods();
    if (pods.length !== 3 || !pods.every((p: any) => p.spec.nodeName)) return false;
    const nodes = pods.map((p: any) => p.spec.nodeName);
    if (new Set(nodes).size === 3) return pods.every(ok) && pods;
    const doubled = pods.find((p: any, i: number) => nodes.indexOf(p.spec.nodeName) !== i);
    const used = [...new Set<string>(nodes)];
    for (const w of used) await kubectl(['cordon', w]);
    try {
      await kubectl(['delete', 'pod', doubled.metadata.name, '--wait=false']);
      await until('its replacement scheduled', async () => (await webPods()).some((p: any) => !pods.some((q: any) => q.metadata.name === p.metadata.name) && p.spec.nodeName));
    } finally {
      for (const w of used) await kubectl(['uncordon', w]);
    }
    return false;
  }, 240_000);
}
const containerOf = (p: any) => ({ pod: p.metadata.name, id: p.status.containerStatuses?.[0]?.containerID, restarts: p.status.containerStatuses?.[0]?.restartCount });
const ready = (n: any) => n.status.conditions.find((c: any) => c.type === 'Ready')?.status;

t.test('systemctl restart kubets-agent: the node stays Ready, the same containers run, none restarted', async (t) => {
  await oneWebPodPerWorker((p) => p.status.conditions?.some((c: any) => c.type === 'Ready' && c.status === 'True'));
  const before = (await webPods()).filter((p: any) => p.spec.nodeName === 'worker1').map(containerOf);
  t.equal(before.length, 1);
  const readiness: string[] = [];
  let watching = true;
  const watcher = (async () => {
    while (watching) readiness.push(ready(await json(['get', 'node', 'worker1'])));
  })();
  const r = await onNode('worker1', ['systemctl', 'restart', 'kubets-agent']);
  t.equal(r.exitCode, 0, r.stderr);
  t.equal((await onNode('worker1', ['systemctl', 'is-active', 'kubets-agent'])).stdout, 'active', 'ready again (systemctl restart waits for READY=1)');
  // A few heartbeats after the restart.
  const lease = await json(['-n', 'kube-node-lease', 'get', 'lease', 'worker1']);
  await until('a lease renewal from the new agent', async () => (await json(['-n', 'kube-node-lease', 'get', 'lease', 'worker1'])).spec.renewTime !== lease.spec.renewTime);
  watching = false;
  await watcher;
  t.ok(readiness.length > 0 && readiness.every((s) => s === 'True'), `Ready the whole time (${readiness.length} samples)`);
  const after = (await webPods()).filter((p: any) => p.spec.nodeName === 'worker1').map(containerOf);
  t.same(after, before, 'same pod, same container ID, 0 restarts');
  t.equal(after[0].restarts, 0);
});

t.test('systemctl stop kubets-agent: NotReady after the grace period, pods move; start: Ready again, stale pods cleaned', async (t) => {
  // A pod that tolerates a NotReady node for 2 s (it moves), and one that tolerates it for good (it stays).
  const tolerant = (name: string, seconds?: number) => `apiVersion: apps/v1
kind: Deployment
metadata: {name: ${name}}
spec:
  replicas: 1
  selector: {matchLabels: {app: ${name}}}
  template:
    metadata: {labels: {app: ${name}}}
    spec:
      tolerations:
      - {key: node.kubernetes.io/not-ready, operator: Exists, effect: NoExecute${seconds === undefined ? '' : `, tolerationSeconds: ${seconds}`}}
      - {key: node.kubernetes.io/unreachable, operator: Exists, effect: NoExecute${seconds === undefined ? '' : `, tolerationSeconds: ${seconds}`}}
      containers:
      - {name: sleep, image: busybox:1.35, command: ["sleep", "3600"]}
`;
  await kubectl(['cordon', 'worker1']);
  await kubectl(['cordon', 'worker3']);
  for (const [name, s] of [['brief', 2], ['steadfast', undefined]] as const) t.equal((await kubectl(['apply', '-f', '-'], tolerant(name, s))).exitCode, 0);
  const onWorker2 = await until('both on worker2, running', async () => {
    const pods = (await json(['get', 'pods', '-l', 'app in (brief,steadfast)'])).items;
    return pods.length === 2 && pods.every((p: any) => p.spec.nodeName === 'worker2' && p.status.phase === 'Running') && pods;
  });
  await kubectl(['uncordon', 'worker1']);
  await kubectl(['uncordon', 'worker3']);
  const web2 = (await webPods()).find((p: any) => p.spec.nodeName === 'worker2');
  const gone = [onWorker2.find((p: any) => p.metadata.labels.app === 'brief')].map((p: any) => ({ name: p.metadata.name, id: p.status.containerStatuses[0].containerID.replace('containerd://', '') }));

  t.equal((await onNode('worker2', ['systemctl', 'stop', 'kubets-agent'])).exitCode, 0);
  const bound = (await json(['get', 'pods', '-A', '--field-selector', 'spec.nodeName=worker2'])).items.length;
  t.equal((await onNode('worker2', ['ctr', '-n', 'k8s.io', 'tasks', 'ls'])).stdout.match(/RUNNING/g)?.length, 2 * bound, `the ${bound} pods keep running without their agent (a sandbox and a container each)`);
  await until('worker2 NotReady', async () => ready(await json(['get', 'node', 'worker2'])) !== 'True', 120_000);
  const moved = await until('brief replaced on another worker', async () => {
    const brief = (await json(['get', 'pods', '-l', 'app=brief'])).items.filter((p: any) => !p.metadata.deletionTimestamp);
    return brief.length === 1 && brief[0].spec.nodeName !== 'worker2' && brief[0].spec.nodeName;
  }, 120_000);
  t.ok(moved, `the pod tolerating a NotReady node for 2 s moved to ${moved}`);
  const stayed = (await json(['get', 'pods', '-l', 'app in (steadfast,web)'])).items.filter((p: any) => p.spec.nodeName === 'worker2');
  t.same(stayed.map((p: any) => [p.metadata.name, !!p.metadata.deletionTimestamp]).sort(), [[web2.metadata.name, false], [onWorker2.find((p: any) => p.metadata.labels.app === 'steadfast').metadata.name, false]].sort(), 'pods tolerating it for good, or for the default 300 s, stay');

  t.equal((await onNode('worker2', ['systemctl', 'start', 'kubets-agent'])).exitCode, 0);
  await until('worker2 Ready', async () => ready(await json(['get', 'node', 'worker2'])) === 'True', 120_000);
  await until('the evicted pods are gone from the API', async () => {
    const names = (await json(['get', 'pods', '-A'])).items.map((p: any) => p.metadata.name);
    return gone.every((g) => !names.includes(g.name));
  });
  const tasks = await until('their containers are gone from worker2', async () => {
    const out = (await onNode('worker2', ['ctr', '-n', 'k8s.io', 'tasks', 'ls'])).stdout;
    return gone.every((g) => !out.includes(g.id)) && out;
  });
  t.ok(tasks, 'stale pods cleaned from the node');
  await kubectl(['delete', 'deployment', 'brief', 'steadfast']);
});

t.test('a rebooted worker machine comes back Ready by itself and runs its pods again', async (t) => {
  await kubectl(['scale', 'deployment/web', '--replicas=0']);
  await until('web scaled down', async () => (await json(['get', 'pods', '-l', 'app=web'])).items.length === 0);
  const before = await oneWebPodPerWorker((p) => p.status.phase === 'Running');
  const old = containerOf(before.find((p: any) => p.spec.nodeName === 'worker3'));
  const boots = (await onNode('worker3', ['journalctl', '--list-boots', '--no-pager'])).stdout.trim().split('\n').length;
  await onNode('worker3', ['systemctl', 'reboot']);
  const pod = await until('the web pod on worker3 runs again in a new container', async () => {
    const p = (await webPods()).find((x: any) => x.metadata.name === old.pod);
    const c = p && containerOf(p);
    return c && c.id && c.id !== old.id && p.status.conditions?.some((x: any) => x.type === 'Ready' && x.status === 'True') && c;
  }, 300_000);
  t.equal(pod.pod, old.pod, 'the same pod');
  t.equal(ready(await json(['get', 'node', 'worker3'])), 'True', 'worker3 Ready');
  t.equal((await onNode('worker3', ['journalctl', '--list-boots', '--no-pager'])).stdout.trim().split('\n').length, boots + 1, 'the machine booted again');
  t.equal((await onNode('worker3', ['systemctl', 'is-active', 'kubets-agent', 'containerd'])).stdout, 'active\nactive', 'the units came back by themselves');
  // kube-proxy is a pod of the DaemonSet too: its NodePort rules come back once that pod runs again and syncs.
  const port = (await json(['get', 'svc', 'web'])).spec.ports[0].nodePort;
  const answer = await until('the NodePort on worker3 answers again', async () => {
    const body = await get(`http://${nodes.worker3}:${port}/`).catch(() => '');
    return /hello from web-/.test(body) && body;
  });
  t.match(answer, /hello from web-/);
});

t.test('kubets uninstall on a worker: the node drains and goes away, nothing of kubets is left in the machine', async (t) => {
  const drain = await kubectl(['drain', 'worker3', '--ignore-daemonsets', '--delete-emptydir-data', '--force', '--timeout=120s']);
  t.equal(drain.exitCode, 0, drain.stderr);
  const un = await onNode('worker3', ['kubets', 'uninstall']);
  t.equal(un.exitCode, 0, un.stderr);
  t.match(un.stdout, /kubets is uninstalled$/);
  t.match(un.stdout, /remove it there with `kubectl delete node worker3`/);
  t.equal((await onNode('worker3', ['systemctl', 'list-unit-files', '--no-legend', 'kubets*'])).stdout, '', 'no kubets units');
  t.equal((await onNode('worker3', ['systemctl', 'is-active', 'containerd'])).stdout, 'inactive', 'containerd (which the install brought) stopped');
  for (const p of ['/opt/kubets', '/etc/kubets', '/var/lib/kubets', '/usr/local/bin/kubets', '/var/log/pods', '/etc/cni/net.d/10-kubets.conflist', '/etc/systemd/system/containerd.service.d/kubets.conf'])
    t.not((await onNode('worker3', ['test', '-e', p])).exitCode, 0, `${p} removed`);
  const rules = (await onNode('worker3', ['iptables-save'])).stdout;
  t.notMatch(rules, /KUBE-|CNI-|KUBETS-/, 'no KUBE-, CNI- or KUBETS- chains');
  t.not((await onNode('worker3', ['ip', 'link', 'show', 'cni0'])).exitCode, 0, 'no cni0 bridge');
  t.equal((await onNode('worker3', ['ip', 'route', 'show', 'proto', '117'])).stdout, '', 'no routes to other nodes\' pods');
  t.same((await onNode('worker3', ['ps', '-eo', 'comm='])).stdout.split('\n').filter((c) => /node|containerd|pause|httpd|sleep/.test(c)), [], 'no kubets, containerd or container process');
  t.same((await onNode('worker3', ['findmnt', '-rn', '-o', 'TARGET'])).stdout.split('\n').filter((m) => /^\/var\/lib\/kubets|^\/run\/containerd|^\/run\/netns/.test(m)), [], 'no mounts of ours');
  t.equal((await kubectl(['delete', 'node', 'worker3'])).exitCode, 0);
  t.same((await json(['get', 'nodes'])).items.map((n: any) => n.metadata.name).sort(), ['master', 'worker1', 'worker2'], 'the node is gone');
  t.match(await get(`http://${nodes.worker1}:${(await json(['get', 'svc', 'web'])).spec.ports[0].nodePort}/`), /hello from web-/, 'the service still answers');
});

t.test('joining with bad input stops with one line and installs nothing; the good command joins again', async (t) => {
  const join = fs.readFileSync(path.join(labPaths(spec).shared, 'join-command'), 'utf8').trim().split(/\s+/).slice(2);
  const [url, , token, , hash] = join;
  const installSh = '/kubets-src/scripts/install.sh';
  const cases: [string, string[], RegExp][] = [
    ['a wrong CA hash', [url, '--token', token, '--discovery-token-ca-cert-hash', `sha256:${'0'.repeat(64)}`], /the cluster CA's public key hash is sha256:\w+, which is not the --discovery-token-ca-cert-hash given/],
    ['an unknown token', [url, '--token', 'zzzzzz.zzzzzzzzzzzzzzzz', '--discovery-token-ca-cert-hash', hash], /token id "zzzzzz" is invalid for this cluster or has expired/],
    ['an unreachable server', [url.replace(/:6443$/, ':6449'), '--token', token, '--discovery-token-ca-cert-hash', hash], /could not read cluster-info from https:\/\/\S+:6449: ECONNREFUSED — is the control plane running and reachable from this host\?/],
  ];
  for (const [what, args, message] of cases) {
    const r = await onNode('worker3', [installSh, 'join', ...args, '--node-name', 'worker3']);
    t.equal(r.exitCode, 1, `${what}: exit 1`);
    t.equal(r.stderr.trim().split('\n').length, 1, `${what}: one line`);
    t.match(r.stderr, message, what);
    t.not((await onNode('worker3', ['test', '-e', '/etc/kubets'])).exitCode, 0, `${what}: nothing installed`);
  }
  const ok = await onNode('worker3', [installSh, 'join', ...join, '--node-name', 'worker3', '--node-ip', nodes.worker3]);
  t.equal(ok.exitCode, 0, ok.stderr);
  await until('worker3 Ready again', async () => ready(await json(['get', 'node', 'worker3'])) === 'True');
  const conflict = await onNode('worker3', ['kubets', 'join', ...join, '--node-name', 'worker3', '--node-ip', ip(99)]);
  t.equal(conflict.exitCode, 1);
  t.match(conflict.stderr.trim(), new RegExp(`^kubets join: kubets agent is already installed on this host with other settings \\(node-ip ${nodes.worker3.replace(/\./g, '\\.')} → ${ip(99).replace(/\./g, '\\.')}\\): run \`kubets uninstall\` first`));
  t.equal(conflict.stderr.trim().split('\n').length, 1, 'one line');
});

t.test('lab down powers the machines off and leaves no trace', async (t) => {
  const r = await teardownLab(spec);
  t.same(r.left, []);
  t.notOk(fs.existsSync(spec.root), 'no lab files');
  t.not((await execa('ip', ['link', 'show', spec.bridge], { reject: false })).exitCode, 0, 'no bridge');
  for (const n of spec.nodes) t.same(cgroupDirs(`${spec.netnsPrefix}${n.name}`), [], `no cgroups of ${n.name}`);
  const ps = await execa('ps', ['-eo', 'args'], { reject: false });
  t.same(String(ps.stdout).split('\n').filter((l) => l.includes(spec.root) || l.includes(spec.netnsPrefix)), [], 'no machine processes');
  const mounts = fs.readFileSync('/proc/self/mountinfo', 'utf8');
  t.notMatch(mounts, new RegExp(spec.root), 'no overlays mounted');
});
