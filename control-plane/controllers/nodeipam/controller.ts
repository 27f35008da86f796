// pkg/controller/nodeipam Controller: gives every node a podCIDR (a /24 by default) from the cluster CIDR, as
// kube-controller-manager does with --allocate-node-cidrs. Allocations are derived from the nodes themselves, so a
// restart loses nothing.
import { Resources } from '../../../api/resources.js';
import { objectKey, type Node } from '../../../api/types.js';
import { queueController, type Controller, type ControllerContext } from '../controller.js';
import { computeNodeCIDR } from './actions.js';

export function nodeIpamController(ctx: ControllerContext): Controller {
  const { client, informers, config, recorder } = ctx;
  const nodes = informers.for<Node>(Resources.nodes);
  const c = queueController('node-ipam-controller', 1, sync);
  nodes.addHandlers({ onAdd: (n) => !n.spec?.podCIDR && c.queue.add(objectKey(n)), onUpdate: (_o, n) => !n.spec?.podCIDR && c.queue.add(objectKey(n)) });
  // Allocated in this process but maybe not yet in the cache.
  const assigned = new Map<string, string>();

  async function sync(name: string): Promise<void> {
    const node = nodes.get(name);
    if (!node) return;
    const action = computeNodeCIDR({ node, nodes: nodes.list(), assigned, clusterCIDR: config.clusterCIDR, maskSize: config.nodeCIDRMaskSize });
    if (action.type === 'none') return;
    if (action.type === 'exhausted') {
      recorder.record(node, 'Warning', 'CIDRNotAvailable', `Node ${name} status is now: CIDRNotAvailable`);
      throw new Error(`no podCIDR left in ${config.clusterCIDR}`);
    }
    assigned.set(name, action.cidr);
    await client.patch(Resources.nodes, undefined, name, 'merge', { spec: { podCIDR: action.cidr, podCIDRs: [action.cidr] } });
    recorder.record(node, 'Normal', 'CIDRAssignmentSucceeded', `Node ${name} got podCIDR ${action.cidr}`);
  }
  return c;
}
