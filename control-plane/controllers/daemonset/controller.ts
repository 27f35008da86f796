// pkg/controller/daemon DaemonSetsController: one pod per eligible node, as computeDaemonSetActions decides, of the
// revision the set's template has in its history (update.go constructHistory, cleanupHistory); node changes resync
// every daemon set.
import { ignoreNotFound } from '../../../api/errors.js';
import { isPodActive } from '../../../api/pods.js';
import { Resources } from '../../../api/resources.js';
import { objectKey, type ControllerRevision, type DaemonSet, type Node, type Pod } from '../../../api/types.js';
import { controlledBy, enqueueController, queueController, type Controller, type ControllerContext } from '../controller.js';
import { ControllerHistory, REVISION_HASH_LABEL } from '../history/history.js';
import { computeDaemonSetActions, HASH_LABEL, nodeOf } from './actions.js';

/** How long a creation the cache has not shown yet keeps a node from getting another pod. */
const CREATE_EXPECTATION_MS = 30_000;

export function daemonSetController(ctx: ControllerContext): Controller {
  const { client, informers, recorder } = ctx;
  const sets = informers.for<DaemonSet>(Resources.daemonsets);
  const nodes = informers.for<Node>(Resources.nodes);
  const pods = informers.for<Pod>(Resources.pods);
  const revisions = informers.for<ControllerRevision>(Resources.controllerrevisions);
  const history = new ControllerHistory(client, 'DaemonSet');
  const c = queueController('daemonset-controller', 1, sync);
  const all = () => sets.list().forEach((d) => c.queue.add(objectKey(d)));
  sets.addHandlers({ onAdd: (d) => c.queue.add(objectKey(d)), onUpdate: (_o, d) => c.queue.add(objectKey(d)) });
  nodes.addHandlers({ onAdd: all, onUpdate: (o, n) => JSON.stringify([o.metadata.labels, o.spec]) !== JSON.stringify([n.metadata.labels, n.spec]) && all(), onDelete: all });
  pods.addHandlers(enqueueController(c.queue, 'DaemonSet'));
  revisions.addHandlers(enqueueController(c.queue, 'DaemonSet'));
  // Per "set@node": until when a creation not yet seen by the informer holds off another one.
  const creating = new Map<string, number>();

  async function sync(key: string): Promise<void> {
    const ds = sets.get(key);
    if (!ds || ds.metadata.deletionTimestamp) return;
    const { update, revisions: kept, collisionCount } = await history.sync(ds, revisions.list(), ds.status?.collisionCount ?? 0);
    const hash = update.metadata.labels![REVISION_HASH_LABEL];
    const owned = controlledBy(pods.list(), ds);
    for (const p of owned.filter(isPodActive)) creating.delete(`${key}@${nodeOf(p)}`);
    const now = Date.now();
    const inFlight = new Set(nodes.list().map((n) => n.metadata.name!).filter((n) => (creating.get(`${key}@${n}`) ?? 0) > now));
    const actions = computeDaemonSetActions({ daemonSet: ds, nodes: nodes.list(), pods: owned, creating: inFlight, hash, collisionCount });
    for (const { node, pod } of actions.create) {
      creating.set(`${key}@${node}`, now + CREATE_EXPECTATION_MS);
      const created = await client.create<Pod>(Resources.pods, ds.metadata.namespace, pod);
      recorder.record(ds, 'Normal', 'SuccessfulCreate', `Created pod: ${created.metadata.name}`);
    }
    for (const p of actions.delete) {
      await ignoreNotFound(client.delete(Resources.pods, p.metadata.namespace, p.metadata.name!));
      recorder.record(ds, 'Normal', 'SuccessfulDelete', `Deleted pod: ${p.metadata.name}`);
    }
    // Revisions a pod still runs are kept, whatever the limit.
    const running = new Set(owned.map((p) => p.metadata.labels?.[HASH_LABEL]));
    const live = kept.filter((r) => r === update || running.has(r.metadata.labels?.[REVISION_HASH_LABEL]));
    await history.trim(ds, kept, new Set(live.map((r) => r.metadata.name!)));
    // Update, not patch: the controller's role grants update on daemonsets/status.
    if (actions.status) await ignoreNotFound(client.updateStatus(Resources.daemonsets, { ...ds, status: { ...ds.status, ...actions.status } }));
  }

  return c;
}
