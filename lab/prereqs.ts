// What `lab up` needs before it makes anything: root, the host tools, and a free name space and subnet. Every
// missing item is reported at once, with the Debian packages that provide them.
import fs from 'node:fs';
import { findCommand, isExecutable } from '../api/commands.js';
import { cidrsOverlap } from '../api/net.js';
import { LabError, run } from './exec.js';
import { linkExists, netnsExists } from './netns.js';
import { kubetsEntry, labPaths, netnsName, subnetCIDR, vethName, type LabSpec } from './spec.js';

/** Commands looked up on PATH, and the Debian package that provides each. */
const commands: [string, string][] = [
  ['ip', 'iproute2'],
  ['containerd', 'containerd'],
  ['containerd-shim-runc-v2', 'containerd'],
  ['ctr', 'containerd'],
  ['runc', 'runc'],
  ['iptables', 'iptables'],
  ['iptables-restore', 'iptables'],
  // Built into the kubets image for the kube-proxy pods, and etcd into its own image.
  ['nft', 'nftables'],
  ['conntrack', 'conntrack'],
  ['etcd', 'etcd-server'],
  ['gcc', 'gcc'],
];

/** What the booted lab needs besides: the machines run everything else themselves. */
const machineCommands: [string, string][] = [
  ['ip', 'iproute2'],
  ['systemd-nspawn', 'systemd-container'],
  ['debootstrap', 'debootstrap'],
  ['nsenter', 'util-linux'],
  ['gcc', 'gcc'],
];

/** Files that must exist at fixed paths. */
const files: [string, string][] = [
  ['/usr/lib/cni/bridge', 'containernetworking-plugins'],
  ['/usr/lib/cni/host-local', 'containernetworking-plugins'],
  ['/usr/lib/cni/portmap', 'containernetworking-plugins'],
  ['/usr/lib/cni/loopback', 'containernetworking-plugins'],
  ['/bin/busybox', 'busybox-static'],
];


/** Items missing on this host, as "what (package)" strings, and the apt-get line that installs them. */
export function missingPrerequisites(opts: { machines?: boolean } = {}): { missing: string[]; packages: string[] } {
  const missing: string[] = [];
  const packages = new Set<string>();
  for (const [cmd, pkg] of opts.machines ? machineCommands : commands) {
    if (!findCommand(cmd)) {
      missing.push(`command ${cmd} (${pkg})`);
      packages.add(pkg);
    }
  }
  for (const [file, pkg] of opts.machines ? files.filter(([f]) => f === '/bin/busybox') : files) {
    if (!isExecutable(file)) {
      missing.push(`${file} (${pkg})`);
      packages.add(pkg);
    }
  }
  return { missing, packages: [...packages] };
}

interface IpRoute {
  dst?: string;
  dev?: string;
}
interface IpAddr {
  ifname?: string;
  addr_info?: { family?: string; local?: string; prefixlen?: number }[];
}

/** Routes or addresses on the host (main table) that overlap the lab subnet and don't belong to our bridge. */
export async function subnetConflicts(spec: LabSpec): Promise<string[]> {
  const subnet = subnetCIDR(spec);
  const conflicts: string[] = [];
  const routes = JSON.parse((await run('ip', ['-j', '-4', 'route', 'show'])).stdout || '[]') as IpRoute[];
  for (const r of routes) {
    if (!r.dst || r.dst === 'default' || r.dev === spec.bridge) continue;
    if (cidrsOverlap(r.dst, subnet)) conflicts.push(`route ${r.dst} dev ${r.dev ?? '?'}`);
  }
  const addrs = JSON.parse((await run('ip', ['-j', '-4', 'addr', 'show'])).stdout || '[]') as IpAddr[];
  for (const link of addrs) {
    if (link.ifname === spec.bridge) continue;
    for (const a of link.addr_info ?? []) {
      if (a.family === 'inet' && a.local && cidrsOverlap(`${a.local}/${a.prefixlen ?? 32}`, subnet)) conflicts.push(`address ${a.local}/${a.prefixlen} on ${link.ifname}`);
    }
  }
  return conflicts;
}

/** Lab objects that already exist (state file, namespaces, links): any of them means a lab is (partly) up. */
export async function existingLabObjects(spec: LabSpec): Promise<string[]> {
  const found: string[] = [];
  if (fs.existsSync(labPaths(spec).state)) found.push(labPaths(spec).state);
  if (await linkExists(spec.bridge)) found.push(`bridge ${spec.bridge}`);
  for (const n of spec.nodes) {
    if (netnsExists(netnsName(spec, n.name))) found.push(`netns ${netnsName(spec, n.name)}`);
    if (await linkExists(vethName(spec, n.name))) found.push(`link ${vethName(spec, n.name)}`);
  }
  return found;
}

/** Throws a LabError explaining everything that stops `lab up`; returns quietly when all is in place. */
export async function checkPrerequisites(spec: LabSpec, opts: { needKubets?: boolean; machines?: boolean } = {}): Promise<void> {
  if (process.getuid?.() !== 0) throw new LabError('LAB_NOT_ROOT', 'kubets lab needs root (network namespaces, bridges, mounts and cgroups): run it with sudo');
  const { missing, packages } = missingPrerequisites({ machines: opts.machines });
  if (opts.needKubets !== false && !fs.existsSync(kubetsEntry())) missing.push(`${kubetsEntry()} (build kubets first: npx tsc -p .)`);
  if (missing.length) {
    const install = packages.length ? `\ninstall with: apt-get install -y ${packages.join(' ')}` : '';
    throw new LabError('LAB_PREREQS_MISSING', `kubets lab up: missing prerequisites:\n  ${missing.join('\n  ')}${install}`);
  }
  const existing = await existingLabObjects(spec);
  if (existing.length) throw new LabError('LAB_ALREADY_UP', `a lab is already up (found ${existing.join(', ')}): run \`kubets lab down\` first`);
  const conflicts = await subnetConflicts(spec);
  if (conflicts.length) throw new LabError('LAB_SUBNET_IN_USE', `the lab subnet ${subnetCIDR(spec)} is already in use on this host (${conflicts.join('; ')}): remove that first`);
}

/**
 * With br_netfilter loaded and net.bridge.bridge-nf-call-iptables=1, frames bridged between the nodes on the lab
 * bridge pass the host's FORWARD chain (a per-bridge setting cannot opt out of the global one). If that chain drops
 * by default (as on hosts with Docker), node-to-node traffic dies there. We never edit the host's chains, so this
 * only explains what to do.
 */
export async function hostForwardWarning(spec: LabSpec): Promise<string | undefined> {
  let callIptables = '0';
  try {
    callIptables = fs.readFileSync('/proc/sys/net/bridge/bridge-nf-call-iptables', 'utf8').trim();
  } catch {
    return undefined; // br_netfilter not loaded: bridged frames never see iptables
  }
  if (callIptables !== '1') return undefined;
  const policy = await run('iptables', ['-S', 'FORWARD'])
    .then((r) => /^-P FORWARD (\S+)/m.exec(r.stdout)?.[1])
    .catch(() => undefined);
  if (policy !== 'DROP' && policy !== 'REJECT') return undefined;
  return (
    `warning: the host's iptables FORWARD policy is ${policy} and net.bridge.bridge-nf-call-iptables=1, so traffic ` +
    `between lab nodes on ${spec.bridge} may be dropped; allow it with \`iptables -I FORWARD -i ${spec.bridge} -o ${spec.bridge} -j ACCEPT\` ` +
    `or \`sysctl net.bridge.bridge-nf-call-iptables=0\``
  );
}
