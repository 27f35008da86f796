// The booted lab's machines: systemd-nspawn containers booting systemd as PID 1 from the cached Debian root, each
// on its own overlay, its own veth on the lab bridge (`host0` inside) and its own cgroups. What makes one a "machine"
// is all on the host side — the overlay, the network file, the bind mounts, the cgroups — so that inside it is a plain
// Debian host, provisioned by the same installer a real one is.
//
// Facts of this host that shape it: PID 1 is not systemd, so nspawn runs with --register=no --keep-unit and needs a
// tmpfs on /run/systemd/nspawn; the cgroup v1 controllers nspawn mounts read-only are bound writable before the
// machine's systemd starts (containerd's runc creates pod cgroups); overlayfs cannot hold containerd's overlay
// snapshots, so /var/lib/containerd is a plain directory of the machine's own; a reboot makes nspawn exit 133, and
// the machine's runner starts it again, as systemd-nspawn@.service does.
import fs from 'node:fs';
import path from 'node:path';
import { sleep } from '../../api/informer.js';
import { LabError, run } from '../exec.js';
import { isAlive, processStartTime, startDetached, stopProcess } from '../processes.js';
import { cgroupParent, labPaths, netnsName, type LabNodeSpec, type LabSpec } from '../spec.js';
import type { LabProcess, StateRecorder } from '../state.js';

/** Where a machine sees the kubets checkout, and the folder all machines share (as a Vagrant synced folder). */
export const SOURCE_MOUNT = '/kubets-src';
export const SHARED_MOUNT = '/kubets-cluster';
export const NSPAWN_RUN = '/run/systemd/nspawn';
const CGROUP_ROOT = '/sys/fs/cgroup';
const EXIT_REBOOT = 133;

export const machineName = (spec: LabSpec, node: string) => netnsName(spec, node);
/** The machine's cgroup, in every hierarchy: named like the netns lab's pod parent, so `down` sweeps it the same way. */
export const machineCgroup = (spec: LabSpec, node: string) => cgroupParent(spec, node).slice(1);

const q = (s: string) => `'${s.replace(/'/g, `'\\''`)}'`;

/** The cgroup hierarchies mounted under /sys/fs/cgroup (v1 controllers, name=systemd, the v2 unified one). */
export function cgroupHierarchies(mountinfo = fs.readFileSync('/proc/self/mountinfo', 'utf8')): string[] {
  const out: string[] = [];
  for (const line of mountinfo.split('\n')) {
    const f = line.split(' ');
    const dash = f.indexOf('-');
    if (dash < 0) continue;
    const fstype = f[dash + 1];
    if ((fstype === 'cgroup' || fstype === 'cgroup2') && (f[4] === CGROUP_ROOT || f[4].startsWith(`${CGROUP_ROOT}/`))) out.push(f[4]);
  }
  return out;
}

/** Creates the machine's cgroup in every hierarchy (cpuset needs its CPUs and memory nodes copied down). */
export function createMachineCgroups(name: string): string[] {
  const dirs: string[] = [];
  for (const h of cgroupHierarchies()) {
    const dir = path.join(h, name);
    fs.mkdirSync(dir, { recursive: true });
    for (const f of ['cpuset.cpus', 'cpuset.mems']) {
      const parent = path.join(h, f);
      if (fs.existsSync(parent) && fs.readFileSync(path.join(dir, f), 'utf8').trim() === '') fs.writeFileSync(path.join(dir, f), fs.readFileSync(parent, 'utf8'));
    }
    dirs.push(dir);
  }
  return dirs;
}

/** systemd-networkd's file for the machine's lab interface: its address and the bridge as gateway. */
export function networkFile(spec: LabSpec, node: LabNodeSpec): string {
  return ['[Match]', 'Name=host0', '', '[Network]', `Address=${node.ip}/${spec.prefixLength}`, `Gateway=${spec.bridgeIP}`, 'LinkLocalAddressing=no', 'IPv6AcceptRA=no', ''].join('\n');
}

export interface MachineMounts {
  /** The kubets checkout to bind read-only at SOURCE_MOUNT. */
  source: string;
  /** A node_modules the checkout links to from elsewhere, bound at the same path so the link resolves. */
  extraReadOnly: string[];
  /** The Node binary bound at /usr/bin/node (a host with NodeSource's nodejs 20). */
  node: string;
}

/** The sources the machines bind: the checkout, the real node_modules behind a link, and Node. */
export function machineMounts(repo: string, node = process.execPath): MachineMounts {
  const nm = path.join(repo, 'node_modules');
  const extra: string[] = [];
  try {
    if (fs.lstatSync(nm).isSymbolicLink()) extra.push(fs.realpathSync(nm));
  } catch {
    /* no node_modules: the provisioning builds one */
  }
  return { source: repo, extraReadOnly: extra, node: fs.realpathSync(node) };
}

/** The systemd-nspawn command line of one machine. */
export function nspawnArgs(spec: LabSpec, node: LabNodeSpec, mounts: MachineMounts): string[] {
  const m = labPaths(spec).machine(node.name);
  return [
    'systemd-nspawn',
    `--directory=${m.root}`,
    `--machine=${machineName(spec, node.name)}`,
    `--hostname=${node.name}`,
    '--register=no',
    '--keep-unit',
    `--network-bridge=${spec.bridge}`,
    '--resolv-conf=off',
    '--timezone=off',
    '--capability=all',
    '--system-call-filter=@mount @keyring @privileged',
    '--console=read-only',
    // SIGTERM to nspawn asks the machine's systemd for a clean power-off.
    '--kill-signal=SIGRTMIN+3',
    `--bind=${m.containerd}:/var/lib/containerd`,
    `--bind-ro=${mounts.source}:${SOURCE_MOUNT}`,
    ...mounts.extraReadOnly.map((p) => `--bind-ro=${p}`),
    `--bind-ro=${mounts.node}:/usr/bin/node`,
    `--bind=${labPaths(spec).shared}:${SHARED_MOUNT}`,
    // PID 1 makes the cgroup controllers writable for runc, then becomes systemd.
    '/bin/sh',
    '-c',
    `for c in ${CGROUP_ROOT}/*; do mount -o remount,bind,rw "$c" 2>/dev/null; done; exec /lib/systemd/systemd`,
  ];
}

/**
 * The machine's runner (what systemd-nspawn@.service is on a systemd host): joins the machine's cgroups, then runs
 * nspawn again each time the machine reboots, and ends when it powers off.
 */
export function runnerScript(spec: LabSpec, node: LabNodeSpec, mounts: MachineMounts, cgroupDirs: string[]): string {
  return [
    ...cgroupDirs.map((d) => `echo $$ > ${q(path.join(d, 'cgroup.procs'))}`),
    `while :; do ${nspawnArgs(spec, node, mounts).map(q).join(' ')}; rc=$?; [ $rc -eq ${EXIT_REBOOT} ] || exit $rc; echo "runner: machine rebooted, starting it again"; done`,
  ].join('\n');
}

/** The overlay root (cached image below, the machine's own changes above) and the files that make it this machine. */
export async function prepareMachine(spec: LabSpec, node: LabNodeSpec, rootfs: string, rec: StateRecorder): Promise<void> {
  const m = labPaths(spec).machine(node.name);
  for (const d of [m.upper, m.work, m.root, m.containerd]) fs.mkdirSync(d, { recursive: true });
  rec.update((s) => s.mounts.push(m.root));
  await run('mount', ['-t', 'overlay', 'overlay', '-o', `lowerdir=${rootfs},upperdir=${m.upper},workdir=${m.work}`, m.root]);
  fs.writeFileSync(path.join(m.root, 'etc/hostname'), `${node.name}\n`);
  fs.writeFileSync(path.join(m.root, 'etc/hosts'), ['127.0.0.1 localhost', `${node.ip} ${node.name}`, ...spec.nodes.filter((n) => n.name !== node.name).map((n) => `${n.ip} ${n.name}`), ''].join('\n'));
  // A host has a resolver configuration (containerd copies it into host-network pods): the host's own, as a machine on
  // this network would be given.
  let resolv = '';
  try {
    resolv = fs.readFileSync('/etc/resolv.conf', 'utf8');
  } catch {
    /* the host has none: an empty one still is a file */
  }
  fs.rmSync(path.join(m.root, 'etc/resolv.conf'), { force: true });
  fs.writeFileSync(path.join(m.root, 'etc/resolv.conf'), resolv);
  fs.mkdirSync(path.join(m.root, 'etc/systemd/network'), { recursive: true });
  fs.writeFileSync(path.join(m.root, 'etc/systemd/network/10-host0.network'), networkFile(spec, node));
  // Mount points for the binds (the overlay has them; the image may not).
  for (const d of [SOURCE_MOUNT, SHARED_MOUNT]) fs.mkdirSync(path.join(m.root, d), { recursive: true });
}

/** A tmpfs on /run/systemd/nspawn, which nspawn needs when the host's PID 1 is not systemd. Returns whether it mounted one. */
export async function ensureNspawnRun(): Promise<boolean> {
  const mounted = fs.readFileSync('/proc/self/mountinfo', 'utf8').split('\n').some((l) => l.split(' ')[4] === NSPAWN_RUN);
  if (mounted) return false;
  fs.mkdirSync(NSPAWN_RUN, { recursive: true });
  await run('mount', ['-t', 'tmpfs', '-o', 'mode=0755', 'kubets-nspawn', NSPAWN_RUN]);
  return true;
}

export async function startMachine(spec: LabSpec, node: LabNodeSpec, mounts: MachineMounts, rec: StateRecorder): Promise<LabProcess> {
  const m = labPaths(spec).machine(node.name);
  rec.update((s) => s.cgroups.push(machineCgroup(spec, node.name)));
  const dirs = createMachineCgroups(machineCgroup(spec, node.name));
  const command = ['sh', '-c', runnerScript(spec, node, mounts, dirs)];
  const started = await startDetached(command, m.console);
  const proc: LabProcess = { role: 'machine', node: node.name, pid: started.pid, startTime: started.startTime, log: m.console, command };
  rec.update((s) => s.processes.push(proc));
  return proc;
}

function children(pid: number): number[] {
  try {
    return fs.readFileSync(`/proc/${pid}/task/${pid}/children`, 'utf8').trim().split(/\s+/).filter(Boolean).map(Number);
  } catch {
    return [];
  }
}

function comm(pid: number): string {
  try {
    return fs.readFileSync(`/proc/${pid}/comm`, 'utf8').trim();
  } catch {
    return '';
  }
}

/** The machine's PID 1 as the host sees it (runner → systemd-nspawn → init), once systemd runs there. */
export function machineInitPid(runner: Pick<LabProcess, 'pid' | 'startTime'>): number | undefined {
  if (!isAlive(runner.pid, runner.startTime)) return undefined;
  const nspawn = children(runner.pid).find((p) => comm(p) === 'systemd-nspawn');
  if (!nspawn) return undefined;
  const init = children(nspawn).find((p) => comm(p) === 'systemd');
  return init;
}

/** Runs a command inside the machine (all its namespaces), with a clean environment as a login shell would have. */
export function machineCommand(initPid: number, argv: string[], cgroups: string[] = []): string[] {
  const enter = ['nsenter', '--target', String(initPid), '--all', '--', '/usr/bin/env', '-i', 'PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin', 'HOME=/root', 'LANG=C.UTF-8', `TERM=${process.env.TERM ?? 'dumb'}`, ...argv];
  if (!cgroups.length) return enter;
  // nsenter leaves the process in our cgroup: it joins the machine's first, so it ends with the machine (a reboot,
  // `lab down`) instead of outliving it in the host.
  return ['sh', '-c', [...cgroups.map((d) => `echo $$ > ${q(path.join(d, 'cgroup.procs'))} 2>/dev/null`), 'exec "$@"'].join('; '), 'sh', ...enter];
}

/** Waits until the machine's systemd reports the system running (or degraded, with the failed units named). */
export async function waitBooted(runner: LabProcess, deadline: number, onDegraded: (units: string) => void = () => {}): Promise<number> {
  let last = 'not started';
  while (Date.now() < deadline) {
    if (!isAlive(runner.pid, runner.startTime)) throw new LabError('LAB_PROCESS_EXITED', `machine ${runner.node} stopped; see ${runner.log}`);
    const pid = machineInitPid(runner);
    if (pid) {
      const state = await run('nsenter', ['--target', String(pid), '--all', '--', 'systemctl', 'is-system-running'], { timeoutMs: 10_000 }).then(
        (r) => r.stdout.trim(),
        (e: Error) => (/(\n|: )(\w+)$/.exec(e.message.trim())?.[2] ?? e.message),
      );
      if (state === 'running') return pid;
      if (state === 'degraded') {
        const failed = await run('nsenter', ['--target', String(pid), '--all', '--', 'systemctl', '--failed', '--no-legend', '--plain']).then((r) => r.stdout.trim(), () => '?');
        onDegraded(failed.replace(/\n/g, '; '));
        return pid;
      }
      last = state;
    }
    await sleep(200);
  }
  throw new LabError('LAB_TIMEOUT', `machine ${runner.node} did not finish booting (${last}); see ${runner.log}`);
}

/** Powers the machine off (SIGTERM to nspawn → the machine's systemd shuts down), ending its runner; SIGKILL after the grace. */
export async function stopMachine(runner: Pick<LabProcess, 'pid' | 'startTime'>, graceMs = 30_000): Promise<void> {
  const nspawn = isAlive(runner.pid, runner.startTime) ? children(runner.pid).find((p) => comm(p) === 'systemd-nspawn') : undefined;
  if (nspawn) await stopProcess(nspawn, processStartTime(nspawn), graceMs);
  await stopProcess(runner.pid, runner.startTime, 5_000);
}
