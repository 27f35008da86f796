// The iptables side of kube-proxy's IPVS mode (pkg/proxy/ipvs/proxier.go): its chains, the jumps into them from the
// built-in chains, and which ipset each rule matches. IPVS does the load balancing; these few rules only mark traffic
// for masquerading, accept what IPVS serves and keep VIPs from exposing the node's own ports.
import { kubeForwardChain, kubeMarkMasqChain, kubePostroutingChain, kubeServicesChain, type JumpRule } from '../iptables/chains.js';
import type { Table } from '../iptables/iptables.js';
import {
  kubeLoadBalancerFWSet,
  kubeLoadBalancerLocalSet,
  kubeLoadBalancerSet,
  kubeLoadBalancerSourceCIDRSet,
  kubeLoadBalancerSourceIPSet,
  kubeLoopBackIPSet,
  kubeNodePortLocalSetSCTP,
  kubeNodePortLocalSetTCP,
  kubeNodePortLocalSetUDP,
  kubeNodePortSetSCTP,
  kubeNodePortSetTCP,
  kubeNodePortSetUDP,
} from './ipset.js';

// The chains both modes name alike are the iptables mode's.
export { kubeForwardChain, kubeMarkMasqChain, kubePostroutingChain, kubeServicesChain };
export const kubeProxyFirewallChain = 'KUBE-PROXY-FIREWALL';
export const kubeSourceRangesFirewallChain = 'KUBE-SOURCE-RANGES-FIREWALL';
export const kubeNodePortChain = 'KUBE-NODE-PORT';
export const kubeLoadBalancerChain = 'KUBE-LOAD-BALANCER';
export const kubeIPVSFilterChain = 'KUBE-IPVS-FILTER';
export const kubeIPVSOutFilterChain = 'KUBE-IPVS-OUT-FILTER';

/** The chains IPVS mode owns, per table (created, rewritten on every sync, deleted by its cleanup). */
export const ipvsChains: Record<Table, string[]> = {
  nat: [kubeServicesChain, kubePostroutingChain, kubeNodePortChain, kubeLoadBalancerChain, kubeMarkMasqChain],
  filter: [kubeForwardChain, kubeNodePortChain, kubeProxyFirewallChain, kubeSourceRangesFirewallChain, kubeIPVSFilterChain, kubeIPVSOutFilterChain],
};

/** kube-proxy's iptablesJumpChain for IPVS mode. */
export const ipvsJumpRules: JumpRule[] = [
  { table: 'nat', from: 'OUTPUT', to: kubeServicesChain, comment: 'kubernetes service portals' },
  { table: 'nat', from: 'PREROUTING', to: kubeServicesChain, comment: 'kubernetes service portals' },
  { table: 'nat', from: 'POSTROUTING', to: kubePostroutingChain, comment: 'kubernetes postrouting rules' },
  { table: 'filter', from: 'FORWARD', to: kubeForwardChain, comment: 'kubernetes forwarding rules' },
  { table: 'filter', from: 'INPUT', to: kubeNodePortChain, comment: 'kubernetes health check rules' },
  { table: 'filter', from: 'INPUT', to: kubeProxyFirewallChain, comment: 'kube-proxy firewall rules' },
  { table: 'filter', from: 'FORWARD', to: kubeProxyFirewallChain, comment: 'kube-proxy firewall rules' },
  { table: 'filter', from: 'INPUT', to: kubeIPVSFilterChain, comment: 'kubernetes ipvs access filter' },
  { table: 'filter', from: 'OUTPUT', to: kubeIPVSOutFilterChain, comment: 'kubernetes ipvs access filter' },
];

/**
 * kube-proxy's ipsetWithIptablesChain: a set matched from a chain, jumping to a target when the set is not empty.
 * The Local node-port sets come before the plain ones, so Local traffic RETURNs before it would be marked.
 */
export const ipsetJumps: { set: string; table: Table; from: string; to: string; match: string; protocol?: string }[] = [
  { set: kubeLoopBackIPSet, table: 'nat', from: kubePostroutingChain, to: 'MASQUERADE', match: 'dst,dst,src' },
  { set: kubeLoadBalancerSet, table: 'nat', from: kubeServicesChain, to: kubeLoadBalancerChain, match: 'dst,dst' },
  { set: kubeLoadBalancerLocalSet, table: 'nat', from: kubeLoadBalancerChain, to: 'RETURN', match: 'dst,dst' },
  { set: kubeNodePortLocalSetTCP, table: 'nat', from: kubeNodePortChain, to: 'RETURN', match: 'dst', protocol: 'tcp' },
  { set: kubeNodePortSetTCP, table: 'nat', from: kubeNodePortChain, to: kubeMarkMasqChain, match: 'dst', protocol: 'tcp' },
  { set: kubeNodePortLocalSetUDP, table: 'nat', from: kubeNodePortChain, to: 'RETURN', match: 'dst', protocol: 'udp' },
  { set: kubeNodePortSetUDP, table: 'nat', from: kubeNodePortChain, to: kubeMarkMasqChain, match: 'dst', protocol: 'udp' },
  { set: kubeNodePortLocalSetSCTP, table: 'nat', from: kubeNodePortChain, to: 'RETURN', match: 'dst,dst', protocol: 'sctp' },
  { set: kubeNodePortSetSCTP, table: 'nat', from: kubeNodePortChain, to: kubeMarkMasqChain, match: 'dst,dst', protocol: 'sctp' },
  { set: kubeLoadBalancerFWSet, table: 'filter', from: kubeProxyFirewallChain, to: kubeSourceRangesFirewallChain, match: 'dst,dst' },
  { set: kubeLoadBalancerSourceCIDRSet, table: 'filter', from: kubeSourceRangesFirewallChain, to: 'RETURN', match: 'dst,dst,src' },
  { set: kubeLoadBalancerSourceIPSet, table: 'filter', from: kubeSourceRangesFirewallChain, to: 'RETURN', match: 'dst,dst,src' },
];
