// kube-proxy's iptables chain names and the jump rules that hook them into the built-in chains. Per-service chain
// names are kube-proxy's: a prefix plus the first 16 characters of base32(sha256(servicePortName + protocol)), so
// `iptables-save` on a kubets node reads like one on a Kubernetes node.
import { sha256Base32 } from '../hash.js';
import type { Table } from './iptables.js';

export const kubeServicesChain = 'KUBE-SERVICES';
export const kubeExternalServicesChain = 'KUBE-EXTERNAL-SERVICES';
export const kubeNodePortsChain = 'KUBE-NODEPORTS';
export const kubePostroutingChain = 'KUBE-POSTROUTING';
export const kubeMarkMasqChain = 'KUBE-MARK-MASQ';
export const kubeForwardChain = 'KUBE-FORWARD';
/** Holds the guard that makes route_localnet (localhost NodePorts) safe. */
export const kubeFirewallChain = 'KUBE-FIREWALL';

export const clusterPolicyChainPrefix = 'KUBE-SVC-';
export const localPolicyChainPrefix = 'KUBE-SVL-';
export const externalChainPrefix = 'KUBE-EXT-';
export const endpointChainPrefix = 'KUBE-SEP-';
const firewallChainPrefix = 'KUBE-FW-';

function hash16(s: string): string {
  return sha256Base32(s, 16);
}

/** `protocol` is lower case ("tcp"), as kube-proxy hashes it. */
export function portProtoHash(servicePortName: string, protocol: string): string {
  return hash16(servicePortName + protocol);
}
export function servicePortPolicyClusterChain(servicePortName: string, protocol: string): string {
  return clusterPolicyChainPrefix + portProtoHash(servicePortName, protocol);
}
export function servicePortPolicyLocalChain(servicePortName: string, protocol: string): string {
  return localPolicyChainPrefix + portProtoHash(servicePortName, protocol);
}
export function serviceExternalChain(servicePortName: string, protocol: string): string {
  return externalChainPrefix + portProtoHash(servicePortName, protocol);
}
/** `endpoint` is `ip:port`. */
export function servicePortEndpointChain(servicePortName: string, protocol: string, endpoint: string): string {
  return endpointChainPrefix + hash16(servicePortName + protocol + endpoint);
}

/** Per-service chains kube-proxy owns (and deletes when stale). */
export function isServiceChainName(chain: string): boolean {
  return [clusterPolicyChainPrefix, localPolicyChainPrefix, externalChainPrefix, endpointChainPrefix, firewallChainPrefix].some((p) => chain.startsWith(p));
}

export interface JumpRule {
  table: Table;
  /** Built-in chain the jump lives in. */
  from: string;
  /** kube-proxy chain jumped to. */
  to: string;
  comment?: string;
  extraArgs?: string[];
}

const ctNew = ['-m', 'conntrack', '--ctstate', 'NEW'];

/** The jumps from built-in chains, as kube-proxy's iptablesJumpChains (minus the load-balancer firewall). */
export const jumpRules: JumpRule[] = [
  { table: 'filter', from: 'INPUT', to: kubeExternalServicesChain, comment: 'kubernetes externally-visible service portals', extraArgs: ctNew },
  { table: 'filter', from: 'FORWARD', to: kubeExternalServicesChain, comment: 'kubernetes externally-visible service portals', extraArgs: ctNew },
  { table: 'filter', from: 'INPUT', to: kubeNodePortsChain, comment: 'kubernetes health check service ports' },
  { table: 'filter', from: 'FORWARD', to: kubeServicesChain, comment: 'kubernetes service portals', extraArgs: ctNew },
  { table: 'filter', from: 'OUTPUT', to: kubeServicesChain, comment: 'kubernetes service portals', extraArgs: ctNew },
  { table: 'filter', from: 'FORWARD', to: kubeForwardChain, comment: 'kubernetes forwarding rules' },
  { table: 'nat', from: 'OUTPUT', to: kubeServicesChain, comment: 'kubernetes service portals' },
  { table: 'nat', from: 'PREROUTING', to: kubeServicesChain, comment: 'kubernetes service portals' },
  { table: 'nat', from: 'POSTROUTING', to: kubePostroutingChain, comment: 'kubernetes postrouting rules' },
];

/** The localnet guard's jumps (kube-proxy shares these with kubelet); only installed with localhost NodePorts. */
export const firewallJumpRules: JumpRule[] = [
  { table: 'filter', from: 'INPUT', to: kubeFirewallChain },
  { table: 'filter', from: 'OUTPUT', to: kubeFirewallChain },
];

export function jumpArgs(j: JumpRule): string[] {
  return [...(j.extraArgs ?? []), ...(j.comment ? ['-m', 'comment', '--comment', j.comment] : []), '-j', j.to];
}
