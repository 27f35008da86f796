// pkg/controller/nodeipam/ipam range_allocator, as a pure decision: the podCIDR a node without one gets — the first
// block of the cluster CIDR that no node has and this controller has not handed out.
import { nextFreeSubnet } from '../../../api/net.js';
import type { Node } from '../../../api/types.js';

export interface NodeCIDRObserved {
  node: Node;
  nodes: Node[];
  /** podCIDRs this controller handed out that the cache may not show yet, by node name. */
  assigned: Map<string, string>;
  clusterCIDR: string;
  maskSize: number;
}

/** Nothing to do (the node has a podCIDR), the CIDR to give it, or none left. */
export type NodeCIDRAction = { type: 'none' } | { type: 'assign'; cidr: string } | { type: 'exhausted' };

export function computeNodeCIDR({ node, nodes, assigned, clusterCIDR, maskSize }: NodeCIDRObserved): NodeCIDRAction {
  if (node.spec?.podCIDR) return { type: 'none' };
  const name = node.metadata.name!;
  const used = new Set(nodes.map((n) => n.spec?.podCIDR).filter((x): x is string => !!x));
  for (const [n, cidr] of assigned) if (n !== name) used.add(cidr);
  // A retry for the same node keeps what it was given.
  const cidr = assigned.get(name) ?? nextFreeSubnet(clusterCIDR, maskSize, used);
  return cidr ? { type: 'assign', cidr } : { type: 'exhausted' };
}
