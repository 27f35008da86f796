// `kubets lab down`: removes everything `lab up` made, in the order that lets each step succeed — processes, then
// whatever still runs in the node namespaces and pod cgroups, then mounts, links, namespaces and files. Works from
// state.json when it is there and from the spec's fixed names when it is not; safe to run any number of times.
import fs from 'node:fs';
import { LabError, runIgnoringAbsent } from './exec.js';
import { NSPAWN_RUN, stopMachine } from './nspawn/machines.js';
import { unmountAllUnder, mountPointsUnder } from './mounts.js';
import { networkNames, removeNetwork } from './netns.js';
import { cgroupDirs, isAlive, killNetnsProcesses, removeCgroups, stopProcess } from './processes.js';
import { cgroupParent, labPaths, type LabSpec } from './spec.js';
import { readState } from './state.js';

/** The host directory the agents bind their own CNI cache over (it must exist to be a mount point). */
export const VAR_LIB_CNI = '/var/lib/cni';

export interface TeardownReport {
  /** One line per thing that was found and removed. */
  removed: string[];
  /** One line per thing that could not be removed. Empty means the host is clean. */
  left: string[];
}

export async function teardownLab(spec: LabSpec, onProgress: (msg: string) => void = () => {}): Promise<TeardownReport> {
  const paths = labPaths(spec);
  const state = readState(paths.state);
  const removed: string[] = [];
  const left: string[] = [];
  const nodeNames = [...new Set([...spec.nodes.map((n) => n.name), ...(state?.spec.nodes.map((n) => n.name) ?? [])])];

  // 1. Our own processes, by PID (start time guards against recycled PIDs): booted machines are powered off through
  //    their systemd; then agents, the API server last.
  const procs = state?.processes ?? [];
  await Promise.all(
    procs
      .filter((p) => p.role === 'machine' && isAlive(p.pid, p.startTime))
      .map(async (p) => {
        await stopMachine(p);
        if (isAlive(p.pid, p.startTime)) left.push(`machine ${p.node} (runner pid ${p.pid}) did not stop`);
        else removed.push(`machine ${p.node} powered off`);
      }),
  );
  const stopGroup = async (role: 'agent' | 'server') => {
    await Promise.all(
      procs
        .filter((p) => p.role === role && isAlive(p.pid, p.startTime))
        .map(async (p) => {
          await stopProcess(p.pid, p.startTime);
          if (isAlive(p.pid, p.startTime)) left.push(`${p.role} on ${p.node} (pid ${p.pid}) did not stop`);
          else removed.push(`${p.role} on ${p.node} (pid ${p.pid}) stopped`);
        }),
    );
  };
  await stopGroup('agent');
  await stopGroup('server');

  // 2. Whatever else lives in a node namespace: containerd, shims, host-network pods, processes of an unrecorded run.
  const names = networkNames(spec, state);
  for (const ns of names.netns) {
    const survivors = await killNetnsProcesses(ns);
    if (survivors.length) left.push(`netns ${ns}: processes ${survivors.join(' ')} survived SIGKILL`);
  }

  // 3. Pods' own processes: in their own network namespaces, but under the node's cgroup parent (a booted machine
  //    and everything in it live in the cgroup of the same name).
  for (const name of new Set([...nodeNames.map((node) => cgroupParent(spec, node).slice(1)), ...(state?.cgroups ?? [])])) {
    const had = cgroupDirs(name).length > 0;
    const stuck = await removeCgroups(name);
    left.push(...stuck);
    if (had && !stuck.length) removed.push(`cgroups ${name}`);
  }

  // 4. Mounts under the lab directory (the node mount namespaces are gone with their processes; this catches the rest).
  const mounted = mountPointsUnder(spec.root);
  const stillMounted = await unmountAllUnder(spec.root);
  if (mounted.length) removed.push(`${mounted.length - stillMounted.length} mount(s) under ${spec.root}`);
  left.push(...stillMounted.map((m) => `mount ${m}`));

  // 5. Network: namespaces (and with them the node ends of the veths), host veth ends, bridge.
  const net = await removeNetwork(names);
  removed.push(...net.removed);
  left.push(...net.left);

  // 6. The tmpfs nspawn needed, once no machine of any lab runs.
  if (state?.mountedNspawnRun && !(await nspawnRunning())) {
    await runIgnoringAbsent('umount', [NSPAWN_RUN]).then(
      () => removed.push(`tmpfs ${NSPAWN_RUN}`),
      (err) => left.push(`${NSPAWN_RUN}: ${(err as Error).message}`),
    );
  }

  // 7. Files. Never recurse into a directory that still has something mounted below it.
  if (state?.createdVarLibCni) {
    try {
      if (fs.readdirSync(VAR_LIB_CNI).length === 0) {
        fs.rmdirSync(VAR_LIB_CNI);
        removed.push(`${VAR_LIB_CNI} (created by lab up)`);
      }
    } catch {
      /* already gone, or not empty: someone else uses it now */
    }
  }
  if (fs.existsSync(spec.root)) {
    if (mountPointsUnder(spec.root).length) left.push(`${spec.root} kept: something is still mounted below it`);
    else {
      try {
        fs.rmSync(spec.root, { recursive: true, force: true });
        removed.push(spec.root);
      } catch (err) {
        left.push(`${spec.root}: ${(err as Error).message}`);
      }
    }
  }
  if (fs.existsSync(spec.root) && !left.some((l) => l.startsWith(spec.root))) left.push(`${spec.root} still exists`);

  for (const r of removed) onProgress(`removed ${r}`);
  return { removed, left: [...new Set(left)] };
}

/** Whether any systemd-nspawn runs on this host (another lab's machines still need /run/systemd/nspawn). */
async function nspawnRunning(): Promise<boolean> {
  for (const entry of fs.readdirSync('/proc')) {
    if (!/^\d+$/.test(entry)) continue;
    try {
      if (fs.readFileSync(`/proc/${entry}/comm`, 'utf8').trim() === 'systemd-nspawn') return true;
    } catch {
      /* exited */
    }
  }
  return false;
}

/** teardownLab, throwing one LabError that lists whatever is left. */
export async function downLab(spec: LabSpec, onProgress?: (msg: string) => void): Promise<TeardownReport> {
  const report = await teardownLab(spec, onProgress);
  if (report.left.length) throw new LabError('LAB_CLEANUP_INCOMPLETE', `kubets lab down could not remove everything:\n  ${report.left.join('\n  ')}`);
  return report;
}
