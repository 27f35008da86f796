// kube-proxy's nftables layout (pkg/proxy/nftables/proxier.go): everything lives in one `ip kube-proxy` table, so no
// name needs a kube- prefix. Base chains are `<type>-<hook>`; the top-level regular chains they jump to dispatch
// through verdict maps keyed by destination; per-service chains are `<prefix><HASH>-<ns>/<svc>/<proto>/<port>` and
// per-endpoint ones add `__<ip>/<port>`, HASH being the first 8 characters of base32(sha256(name)).
// (kube-proxy's LoadBalancerSourceRanges firewall — firewall-check, firewall-ips and the two pre-DNAT filter chains
// that only serve it — is not programmed: the iptables mode has no KUBE-FW either.)
import { sha256Base32 } from '../hash.js';

export const kubeProxyTable = 'kube-proxy';
export const family = 'ip';

// Service dispatch.
export const servicesChain = 'services';
export const serviceIPsMap = 'service-ips';
export const serviceNodePortsMap = 'service-nodeports';
/** The node addresses NodePorts answer on (absent when they answer on every local address). */
export const nodePortIPsSet = 'nodeport-ips';
/** Every ClusterIP in use: traffic to one of them on a port no service has is rejected. */
export const clusterIPsSet = 'cluster-ips';
export const clusterIPsCheckChain = 'cluster-ips-check';

// Services without (usable) endpoints: REJECT or DROP before DNAT would have happened.
export const serviceEndpointsCheckChain = 'service-endpoints-check';
export const nodePortEndpointsCheckChain = 'nodeport-endpoints-check';
export const noEndpointServicesMap = 'no-endpoint-services';
export const noEndpointNodePortsMap = 'no-endpoint-nodeports';
export const rejectChain = 'reject-chain';

// Masquerading.
export const markMasqChain = 'mark-for-masquerade';
export const masqueradingChain = 'masquerading';

export interface BaseChain {
  name: string;
  type: 'filter' | 'nat';
  hook: 'prerouting' | 'input' | 'forward' | 'output' | 'postrouting';
  /** Numeric, as knftables writes it: older nft rejects named priorities in some hooks. dstnat = -100, srcnat = 100. */
  priority: number;
}

export const baseChains: BaseChain[] = [
  { name: 'filter-forward', type: 'filter', hook: 'forward', priority: 0 },
  { name: 'filter-input', type: 'filter', hook: 'input', priority: 0 },
  { name: 'filter-output', type: 'filter', hook: 'output', priority: 0 },
  { name: 'nat-output', type: 'nat', hook: 'output', priority: -100 },
  { name: 'nat-postrouting', type: 'nat', hook: 'postrouting', priority: 100 },
  { name: 'nat-prerouting', type: 'nat', hook: 'prerouting', priority: -100 },
];

export interface JumpChain {
  /** Regular chain jumped to. */
  to: string;
  /** Base chain the jump lives in. */
  from: string;
  /** Match before the jump. */
  match?: string;
}

/** The jumps from base chains, in kube-proxy's order. */
export const jumpChains: JumpChain[] = [
  // REJECT is only valid in input, forward and output hooks (before kernel 5.9), hence no prerouting jump.
  { to: nodePortEndpointsCheckChain, from: 'filter-input', match: 'ct state new' },
  { to: serviceEndpointsCheckChain, from: 'filter-input', match: 'ct state new' },
  { to: serviceEndpointsCheckChain, from: 'filter-forward', match: 'ct state new' },
  { to: serviceEndpointsCheckChain, from: 'filter-output', match: 'ct state new' },
  { to: servicesChain, from: 'nat-output' },
  { to: servicesChain, from: 'nat-prerouting' },
  { to: masqueradingChain, from: 'nat-postrouting' },
  // After DNAT: only traffic that was not DNATed still has a ClusterIP as its destination.
  { to: clusterIPsCheckChain, from: 'filter-forward', match: 'ct state new' },
  { to: clusterIPsCheckChain, from: 'filter-output', match: 'ct state new' },
];

export const clusterPolicyChainPrefix = 'service-';
export const localPolicyChainPrefix = 'local-';
export const externalChainPrefix = 'external-';
export const endpointChainPrefix = 'endpoint-';
export const affinitySetPrefix = 'affinity-';

/** nft's limit on names (256) less the longest prefix kube-proxy allows for (16). */
const nameBaseLengthMax = 256 - 16;

/** HASH-name, truncated with "..." if too long; the hash keeps truncated names unique and similar names distinct. */
export function hashAndTruncate(name: string): string {
  const out = `${sha256Base32(name, 8)}-${name}`;
  return out.length > nameBaseLengthMax ? `${out.slice(0, nameBaseLengthMax - 3)}...` : out;
}

/** Identifies one service port: kube-proxy's ServicePortName parts. */
export interface PortName {
  namespace: string;
  name: string;
  /** The port's name ("" when unnamed). */
  port: string;
  /** Lower case: tcp, udp, sctp. */
  protocol: string;
}

/** `HASH-ns/svc/proto/port`: names, protocols and port names can't contain "/", so the parts stay apart. */
export function servicePortChainNameBase(p: PortName): string {
  return hashAndTruncate(`${p.namespace}/${p.name}/${p.protocol}/${p.port}`);
}

/** `HASH-ns/svc/proto/port__ip/port`; `endpoint` is ip:port. */
export function servicePortEndpointChainNameBase(p: PortName, endpoint: string): string {
  const i = endpoint.lastIndexOf(':');
  // An IPv6 address's colons aren't allowed in a chain name.
  const ip = endpoint.slice(0, i).replace(/^\[|\]$/g, '').replaceAll(':', '.');
  return hashAndTruncate(`${p.namespace}/${p.name}/${p.protocol}/${p.port}__${ip}/${endpoint.slice(i + 1)}`);
}

/** Per-service and per-endpoint chains always contain a "/", which no fixed chain name does. */
export function isServiceChainName(chain: string): boolean {
  return chain.includes('/');
}

export function isAffinitySetName(set: string): boolean {
  return set.startsWith(affinitySetPrefix);
}
