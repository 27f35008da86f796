// `kubets lab status`: what exists of the lab right now — state file, bridge, namespaces, processes, API, Nodes —
// checked against the host, not taken from state.json on trust.
import fs from 'node:fs';
import path from 'node:path';
import { ApiClient } from '../api/client.js';
import { Resources } from '../api/resources.js';
import type { Node } from '../api/types.js';
import { FLANNEL_ANNOTATIONS } from '../agent/network/vxlan.js';
import { withTimeout } from './exec.js';
import { linkExists, netnsExists } from './netns.js';
import { cgroupDirs, isAlive, netnsPids } from './processes.js';
import { apiServerURL, labPaths, netnsName, vethName, type LabSpec } from './spec.js';
import { readState, type LabProcess } from './state.js';
import { machineCgroup, machineInitPid } from './nspawn/machines.js';

/** Processes in a cgroup and below it (the first hierarchy that has it): what runs in a booted machine. */
function cgroupProcessCount(name: string): number {
  const dir = cgroupDirs(name).find((d) => d.includes('/pids/')) ?? cgroupDirs(name)[0];
  if (!dir) return 0;
  const count = (d: string): number => {
    let n = 0;
    try {
      n = fs.readFileSync(path.join(d, 'cgroup.procs'), 'utf8').split('\n').filter(Boolean).length;
      for (const e of fs.readdirSync(d, { withFileTypes: true })) if (e.isDirectory()) n += count(path.join(d, e.name));
    } catch {
      /* went away */
    }
    return n;
  };
  return count(dir);
}

export interface LabProcessStatus {
  role: LabProcess['role'];
  node: string;
  pid: number;
  alive: boolean;
  log: string;
}

export interface LabNodeStatus {
  name: string;
  ip: string;
  netns: string;
  netnsExists: boolean;
  vethExists: boolean;
  /** Processes running in the node's namespace (agent, containerd, shims, host-network pods). */
  processCount: number;
  /** A booted machine's state (nspawn lab): running, with its PID 1 as the host sees it. */
  machine?: { running: boolean; initPid?: number };
  /** From the API, when it answered. */
  ready?: boolean;
  podCIDR?: string;
  /** The pod network the node's agent runs: vxlan when it has published a VTEP on its Node, else host-gw. */
  podNetwork?: string;
}

export interface LabStatus {
  /** Anything of the lab exists (state file, bridge or a node namespace). */
  exists: boolean;
  /** Every process alive, the API reachable and every Node Ready. */
  healthy: boolean;
  root: string;
  stateFile?: string;
  bridge: { name: string; exists: boolean };
  nodes: LabNodeStatus[];
  processes: LabProcessStatus[];
  api: { url: string; reachable: boolean; error?: string };
  kubeconfig?: string;
  /** The whole status as printable text. */
  summary: string;
}

export async function labStatusFor(spec: LabSpec): Promise<LabStatus> {
  const paths = labPaths(spec);
  const state = readState(paths.state);
  const bridge = { name: spec.bridge, exists: await linkExists(spec.bridge) };
  const nodes: LabNodeStatus[] = [];
  for (const n of spec.nodes) {
    const ns = netnsName(spec, n.name);
    if (state?.kind === 'nspawn') {
      const runner = state.processes.find((p) => p.role === 'machine' && p.node === n.name);
      const initPid = runner && machineInitPid(runner);
      nodes.push({ name: n.name, ip: n.ip, netns: ns, netnsExists: false, vethExists: false, processCount: cgroupProcessCount(machineCgroup(spec, n.name)), machine: { running: !!initPid, initPid } });
      continue;
    }
    const exists = netnsExists(ns);
    nodes.push({ name: n.name, ip: n.ip, netns: ns, netnsExists: exists, vethExists: await linkExists(vethName(spec, n.name)), processCount: exists ? (await netnsPids(ns)).length : 0 });
  }
  const processes: LabProcessStatus[] = (state?.processes ?? []).map((p) => ({ role: p.role, node: p.node, pid: p.pid, alive: isAlive(p.pid, p.startTime), log: p.log }));
  const api: LabStatus['api'] = { url: apiServerURL(spec), reachable: false };
  const kubeconfig = fs.existsSync(paths.adminKubeconfig) ? paths.adminKubeconfig : undefined;
  if (kubeconfig) {
    const client = ApiClient.fromKubeconfig(kubeconfig, 'kubets-lab');
    try {
      const list = await withTimeout(client.list<Node>(Resources.nodes), 5_000);
      api.reachable = true;
      for (const ns of nodes) {
        const node = list.items.find((x) => x.metadata.name === ns.name);
        if (!node) continue;
        ns.ready = node.status?.conditions?.find((c) => c.type === 'Ready')?.status === 'True';
        ns.podCIDR = node.spec?.podCIDR;
        ns.podNetwork = node.metadata.annotations?.[FLANNEL_ANNOTATIONS.backendType] ?? 'host-gw';
      }
    } catch (err) {
      api.error = (err as Error).message;
    } finally {
      client.close();
    }
  } else api.error = 'no admin kubeconfig';

  const exists = !!state || fs.existsSync(paths.state) || bridge.exists || nodes.some((n) => n.netnsExists || n.machine?.running);
  const healthy = exists && processes.length > 0 && processes.every((p) => p.alive) && api.reachable && nodes.every((n) => n.ready);
  const status: LabStatus = { exists, healthy, root: spec.root, stateFile: fs.existsSync(paths.state) ? paths.state : undefined, bridge, nodes, processes, api, kubeconfig, summary: '' };
  status.summary = formatStatus(status, !!state || !fs.existsSync(paths.state));
  // Printing the status prints its summary.
  status.toString = () => status.summary;
  return status;
}

function formatStatus(s: LabStatus, stateReadable: boolean): string {
  if (!s.exists) return 'lab: not up (nothing found)';
  const yes = (b: boolean | undefined) => (b ? 'yes' : 'no');
  const lines = [
    `lab: ${s.healthy ? 'up and healthy' : 'up, NOT healthy'} (${s.root})`,
    `state: ${s.stateFile ? (stateReadable ? s.stateFile : `${s.stateFile} (unreadable)`) : 'missing'}`,
    `bridge ${s.bridge.name}: ${s.bridge.exists ? 'present' : 'missing'}`,
    `api ${s.api.url}: ${s.api.reachable ? 'reachable' : `unreachable (${s.api.error})`}`,
    ...(s.kubeconfig ? [`kubeconfig: ${s.kubeconfig}`] : []),
    'nodes:',
    ...s.nodes.map(
      (n) =>
        `  ${n.name.padEnd(8)} ${n.ip.padEnd(15)} ` +
        (n.machine
          ? `machine ${n.netns} ${n.machine.running ? `running (PID 1 is ${n.machine.initPid} here)` : 'NOT running'}, ${n.processCount} process(es)`
          : `netns ${n.netns} ${n.netnsExists ? 'present' : 'missing'}, veth ${yes(n.vethExists)}, ${n.processCount} process(es)`) +
        (n.ready === undefined ? '' : `, Ready ${yes(n.ready)}${n.podCIDR ? `, podCIDR ${n.podCIDR}` : ''}${n.podNetwork ? `, pod network ${n.podNetwork}` : ''}`),
    ),
    'processes:',
    ...(s.processes.length ? s.processes.map((p) => `  ${p.role.padEnd(6)} ${p.node.padEnd(8)} pid ${String(p.pid).padEnd(7)} ${p.alive ? 'alive' : 'DEAD'}  log ${p.log}`) : ['  none recorded']),
  ];
  return lines.join('\n');
}
