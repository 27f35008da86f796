import t from 'tap';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { nodeCommand } from '../nodeexec.js';
import { processStartTime } from '../processes.js';
import { labPaths, type LabSpec } from '../spec.js';
import { newState, StateRecorder } from '../state.js';
import { cgroupHierarchies, machineCommand, machineMounts, networkFile, nspawnArgs, runnerScript } from './machines.js';

const root = fs.mkdtempSync(path.join(os.tmpdir(), 'ktm-'));
t.teardown(() => fs.rmSync(root, { recursive: true, force: true }));
const spec: LabSpec = {
  root,
  bridge: 'ktm0',
  bridgeIP: '192.168.77.1',
  prefixLength: 24,
  netnsPrefix: 'ktm-',
  vethPrefix: 'ktm-',
  apiPort: 6443,
  nodes: [
    { name: 'master', ip: '192.168.77.10', controlPlane: true },
    { name: 'worker1', ip: '192.168.77.11', controlPlane: false },
  ],
};
const worker = spec.nodes[1];
const mounts = { source: '/src/kubets', extraReadOnly: ['/src/main/node_modules'], node: '/usr/bin/node' };

t.test('a machine boots systemd from its overlay on the lab bridge, with the binds a real host would not need named', async (t) => {
  const args = nspawnArgs(spec, worker, mounts);
  const m = labPaths(spec).machine('worker1');
  t.equal(args[0], 'systemd-nspawn');
  for (const want of [
    `--directory=${m.root}`,
    '--machine=ktm-worker1',
    '--hostname=worker1',
    '--register=no',
    '--keep-unit',
    '--network-bridge=ktm0',
    '--capability=all',
    '--system-call-filter=@mount @keyring @privileged',
    '--kill-signal=SIGRTMIN+3',
    `--bind=${m.containerd}:/var/lib/containerd`,
    '--bind-ro=/src/kubets:/kubets-src',
    '--bind-ro=/src/main/node_modules',
    '--bind-ro=/usr/bin/node:/usr/bin/node',
    `--bind=${root}/cluster:/kubets-cluster`,
  ])
    t.ok(args.includes(want), want);
  t.same(args.slice(-3), ['/bin/sh', '-c', 'for c in /sys/fs/cgroup/*; do mount -o remount,bind,rw "$c" 2>/dev/null; done; exec /lib/systemd/systemd'], 'PID 1 becomes systemd once the cgroup controllers are writable');
});

t.test('the runner joins the machine cgroups and starts the machine again after a reboot (exit 133)', async (t) => {
  const script = runnerScript(spec, worker, mounts, ['/sys/fs/cgroup/memory/ktm-worker1', '/sys/fs/cgroup/systemd/ktm-worker1']);
  const lines = script.split('\n');
  t.same(lines.slice(0, 2), ["echo $$ > '/sys/fs/cgroup/memory/ktm-worker1/cgroup.procs'", "echo $$ > '/sys/fs/cgroup/systemd/ktm-worker1/cgroup.procs'"]);
  t.match(lines[2], /^while :; do 'systemd-nspawn' .*; rc=\$\?; \[ \$rc -eq 133 \] \|\| exit \$rc; echo "runner: machine rebooted, starting it again"; done$/);
});

t.test('networkd gives host0 the node address and the bridge as gateway', async (t) => {
  t.equal(networkFile(spec, worker), '[Match]\nName=host0\n\n[Network]\nAddress=192.168.77.11/24\nGateway=192.168.77.1\nLinkLocalAddressing=no\nIPv6AcceptRA=no\n');
});

t.test('cgroup hierarchies come from mountinfo: v1 controllers, name=systemd, the unified one', async (t) => {
  const mountinfo = [
    '30 24 0:26 / /sys/fs/cgroup ro,nosuid - tmpfs tmpfs rw,mode=755',
    '31 30 0:27 / /sys/fs/cgroup/memory rw - cgroup cgroup rw,memory',
    '32 30 0:28 / /sys/fs/cgroup/systemd rw - cgroup cgroup rw,name=systemd',
    '33 30 0:29 / /sys/fs/cgroup/unified rw - cgroup2 cgroup2 rw',
    '34 24 0:30 / /proc rw - proc proc rw',
  ].join('\n');
  t.same(cgroupHierarchies(mountinfo), ['/sys/fs/cgroup/memory', '/sys/fs/cgroup/systemd', '/sys/fs/cgroup/unified']);
});

t.test('a checkout whose node_modules is a link has the link target bound too', async (t) => {
  const repo = path.join(root, 'repo');
  fs.mkdirSync(path.join(root, 'shared-modules'), { recursive: true });
  fs.mkdirSync(repo, { recursive: true });
  fs.symlinkSync(path.join(root, 'shared-modules'), path.join(repo, 'node_modules'));
  t.same(machineMounts(repo, process.execPath), { source: repo, extraReadOnly: [path.join(root, 'shared-modules')], node: fs.realpathSync(process.execPath) });
});

t.test('lab exec: into a machine, or a netns node\'s namespaces (its agent\'s), or just its network', async (t) => {
  t.throws(() => nodeCommand(spec, 'worker1', ['true']), /no lab is up/);
  const rec = new StateRecorder(labPaths(spec).state, newState(spec, 'netns'));
  const me = { pid: process.pid, startTime: processStartTime(process.pid)!, log: '/dev/null', command: [] };
  rec.update((s) => s.processes.push({ ...me, role: 'agent', node: 'worker1' }));
  t.same(nodeCommand(spec, 'worker1', ['curl', '-s', '127.0.0.1:10249/proxyMode']), ['nsenter', '--target', String(process.pid), '--net', '--mount', '--', '/usr/bin/env', 'PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin', 'curl', '-s', '127.0.0.1:10249/proxyMode']);
  t.same(nodeCommand(spec, 'master', ['ip', 'addr']).slice(0, 4), ['ip', 'netns', 'exec', 'ktm-master'], 'no agent running: the node\'s network namespace');
  t.throws(() => nodeCommand(spec, 'worker9', ['true']), /no node "worker9" in this lab \(nodes: master, worker1\)/);
  t.throws(() => nodeCommand(spec, 'worker1', []), /needs a command/);

  const booted = new StateRecorder(labPaths(spec).state, newState(spec, 'nspawn'));
  booted.update((s) => s.processes.push({ ...me, startTime: me.startTime + 1, role: 'machine', node: 'worker1' }));
  t.throws(() => nodeCommand(spec, 'worker1', ['true']), /machine worker1 is not running/);
  t.same(machineCommand(4242, ['systemctl', 'status', 'kubets-agent']).slice(0, 6), ['nsenter', '--target', '4242', '--all', '--', '/usr/bin/env']);
  t.same(machineCommand(4242, ['true'], ['/sys/fs/cgroup/pids/ktm-worker1']).slice(0, 8), ['sh', '-c', `echo $$ > '/sys/fs/cgroup/pids/ktm-worker1/cgroup.procs' 2>/dev/null; exec "$@"`, 'sh', 'nsenter', '--target', '4242', '--all'], 'joins the machine\'s cgroups first, so it ends with the machine');
});
