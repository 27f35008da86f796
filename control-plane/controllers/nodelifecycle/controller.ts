// pkg/controller/nodelifecycle Controller: every few seconds (and at once when a node's Ready changes) each node is
// judged by computeNodeActions: conditions, pod readiness, taints and evictions.
import { ignoreNotFound } from '../../../api/errors.js';
import { logger } from '../../../api/log.js';
import { Resources } from '../../../api/resources.js';
import type { Lease, Node, Pod } from '../../../api/types.js';
import { periodic, type Controller, type ControllerContext } from '../controller.js';
import { applyTaints, computeNodeActions } from './actions.js';

const log = logger('node-lifecycle-controller');
const PASS_INTERVAL_MS = 5000;

export function nodeLifecycleController(ctx: ControllerContext): Controller {
  const { client, informers, config, recorder } = ctx;
  const nodes = informers.for<Node>(Resources.nodes);
  const leases = informers.for<Lease>(Resources.leases, { namespace: 'kube-node-lease' });
  const pods = informers.for<Pod>(Resources.pods);
  const startedAt = Date.now();
  const taintedAt = new Map<string, number>();

  async function pass(): Promise<void> {
    if (!nodes.hasSynced() || !leases.hasSynced() || !pods.hasSynced()) return;
    for (const node of nodes.list()) await syncNode(node);
  }

  async function syncNode(node: Node): Promise<void> {
    const name = node.metadata.name!;
    const now = Date.now();
    const onNode = pods.list().filter((p) => p.spec.nodeName === name);
    const actions = computeNodeActions({
      node,
      lease: leases.get(`kube-node-lease/${name}`),
      pods: onNode,
      now,
      gracePeriodMs: config.nodeMonitorGracePeriodSeconds * 1000,
      startedAt,
      taintedAt: taintedAt.get(name),
    });
    if (actions.nodeConditions) {
      await client.patch(Resources.nodes, undefined, name, 'strategic', { status: { conditions: actions.nodeConditions } }, 'status');
      recorder.record({ ...node, kind: 'Node', apiVersion: 'v1' }, 'Normal', 'NodeNotReady', `Node ${name} status is now: NodeNotReady`);
      log.info({ node: name }, 'node stopped posting status');
    }
    for (const { pod, conditions } of actions.podsNotReady) await ignoreNotFound(client.patch(Resources.pods, pod.metadata.namespace, pod.metadata.name!, 'merge', { status: { conditions } }, 'status'));
    if (actions.taintsToAdd.length || actions.taintsToRemove.length) {
      const taints = applyTaints(node.spec?.taints ?? [], actions.taintsToAdd, actions.taintsToRemove);
      if (actions.taintsToAdd.length) taintedAt.set(name, now);
      await client.patch(Resources.nodes, undefined, name, 'merge', { spec: { taints: taints.length ? taints : null } });
    }
    for (const p of actions.evict) {
      log.info({ pod: `${p.metadata.namespace}/${p.metadata.name}`, node: name }, 'evicting pod from tainted node');
      recorder.record(p, 'Normal', 'TaintManagerEviction', `Marking for deletion Pod ${p.metadata.namespace}/${p.metadata.name}`);
      await ignoreNotFound(client.delete(Resources.pods, p.metadata.namespace, p.metadata.name!));
    }
  }

  const loop = periodic('node-lifecycle-controller', PASS_INTERVAL_MS, pass, (e) => log.warn({ err: (e as Error).message }, 'node lifecycle pass failed'));
  // A Ready change should move the taints at once, not at the next pass (pods would pile onto the other nodes).
  const ready = (x: Node) => x.status?.conditions?.find((c) => c.type === 'Ready')?.status;
  nodes.addHandlers({ onUpdate: (o, n) => ready(o) !== ready(n) && loop.kick() });
  return loop;
}
