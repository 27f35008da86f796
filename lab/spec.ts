// What a lab is made of: names, addresses and paths. The real lab uses `defaultLabSpec`; tests build their own spec
// with other names and another subnet so they never collide with a running lab.
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { formatIPv4, parseCIDR } from '../api/net.js';

export interface LabNodeSpec {
  /** Node name in the API (master, worker1…). */
  name: string;
  /** The node's address on the lab bridge. */
  ip: string;
  /** Runs the control plane and carries the control-plane taint. */
  controlPlane: boolean;
}

export interface LabSpec {
  /** Everything the lab writes lives under this directory. */
  root: string;
  /** Host bridge the nodes hang off, and its address (the nodes' default gateway). */
  bridge: string;
  bridgeIP: string;
  prefixLength: number;
  /** Network namespace of node N is `${netnsPrefix}N`; its pods' cgroup parent is `/${netnsPrefix}N`. */
  netnsPrefix: string;
  /** Host end of node N's veth is `${vethPrefix}N` (at most 15 characters). */
  vethPrefix: string;
  nodes: LabNodeSpec[];
  apiPort: number;
}

export const defaultLabSpec: LabSpec = {
  root: '/var/lib/kubets-lab',
  bridge: 'kubets0',
  bridgeIP: '192.168.56.1',
  prefixLength: 24,
  netnsPrefix: 'kubets-',
  vethPrefix: 'kt-',
  nodes: [
    { name: 'master', ip: '192.168.56.10', controlPlane: true },
    { name: 'worker1', ip: '192.168.56.11', controlPlane: false },
    { name: 'worker2', ip: '192.168.56.12', controlPlane: false },
    { name: 'worker3', ip: '192.168.56.13', controlPlane: false },
  ],
  apiPort: 6443,
};

const IFNAMSIZ = 15;

/** Every name and path derived from a spec, in one place so `up`, `down` and `status` agree. */
export function netnsName(spec: LabSpec, node: string): string {
  return `${spec.netnsPrefix}${node}`;
}

export function vethName(spec: LabSpec, node: string): string {
  return `${spec.vethPrefix}${node}`;
}

export function cgroupParent(spec: LabSpec, node: string): string {
  return `/${spec.netnsPrefix}${node}`;
}

/** The network address of `ip` in a /prefix, or undefined for a malformed address. */
function networkAddress(ip: string, prefix: number): string | undefined {
  const c = parseCIDR(`${ip}/${prefix}`);
  return c && formatIPv4(c.base);
}

export function subnetCIDR(spec: LabSpec): string {
  return `${networkAddress(spec.bridgeIP, spec.prefixLength)}/${spec.prefixLength}`;
}

export function controlPlaneNode(spec: LabSpec): LabNodeSpec {
  const cp = spec.nodes.find((n) => n.controlPlane);
  if (!cp) throw new Error('lab spec has no control-plane node');
  return cp;
}

export function apiServerURL(spec: LabSpec): string {
  return `https://${controlPlaneNode(spec).ip}:${spec.apiPort}`;
}

export const labPaths = (spec: LabSpec) => ({
  state: path.join(spec.root, 'state.json'),
  images: path.join(spec.root, 'images'),
  adminKubeconfig: path.join(spec.root, 'admin.kubeconfig'),
  /** Booted machines: the folder every machine shares (the join command travels through it, as in Vagrant). */
  shared: path.join(spec.root, 'cluster'),
  machine: (name: string) => {
    const dir = path.join(spec.root, 'machines', name);
    return {
      dir,
      /** The overlay: the machine's own changes, overlayfs' work dir, and the merged root it boots from. */
      upper: path.join(dir, 'upper'),
      work: path.join(dir, 'work'),
      root: path.join(dir, 'rootfs'),
      /** /var/lib/containerd inside: a plain directory, since overlayfs cannot hold containerd's overlay snapshots. */
      containerd: path.join(dir, 'containerd'),
      console: path.join(dir, 'console.log'),
      provisionLog: path.join(dir, 'provision.log'),
    };
  },
  node: (name: string) => {
    const dir = path.join(spec.root, 'nodes', name);
    return {
      dir,
      kubeconfig: path.join(dir, 'kubelet.kubeconfig'),
      containerdSocket: path.join(dir, 'containerd', 'containerd.sock'),
      cniConfDir: path.join(dir, 'cni', 'net.d'),
      cniCache: path.join(dir, 'cni-cache'),
      agentLog: path.join(dir, 'agent.log'),
      containerdLog: path.join(dir, 'containerd.log'),
    };
  },
});

/** The repository root, found from this module's own location (dist/lab/spec.js → repo). */
export function repoRoot(): string {
  return path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..', '..');
}

export function kubetsEntry(): string {
  return path.join(repoRoot(), 'dist', 'cli', 'kubets.js');
}

/** Throws on a spec whose names the kernel would refuse or whose addresses don't fit the subnet. */
export function validateSpec(spec: LabSpec): void {
  const problems: string[] = [];
  if (!path.isAbsolute(spec.root) || path.resolve(spec.root) === '/') problems.push(`root ${spec.root} must be an absolute directory other than /`);
  if (spec.bridge.length > IFNAMSIZ) problems.push(`bridge name ${spec.bridge} is longer than ${IFNAMSIZ} characters`);
  const subnet = networkAddress(spec.bridgeIP, spec.prefixLength);
  const seen = new Set<string>([spec.bridgeIP]);
  for (const n of spec.nodes) {
    if (!/^[a-z0-9]([-a-z0-9]*[a-z0-9])?$/.test(n.name)) problems.push(`node name ${n.name} is not a DNS label`);
    if (vethName(spec, n.name).length > IFNAMSIZ) problems.push(`veth name ${vethName(spec, n.name)} is longer than ${IFNAMSIZ} characters`);
    if (networkAddress(n.ip, spec.prefixLength) !== subnet) problems.push(`node ${n.name}: ${n.ip} is not in ${subnet}/${spec.prefixLength}`);
    if (seen.has(n.ip)) problems.push(`node ${n.name}: address ${n.ip} is used twice`);
    seen.add(n.ip);
  }
  if (spec.nodes.filter((n) => n.controlPlane).length !== 1) problems.push('exactly one node must be the control plane');
  if (problems.length) throw new Error(`invalid lab spec: ${problems.join('; ')}`);
}
