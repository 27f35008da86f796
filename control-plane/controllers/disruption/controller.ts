// pkg/controller/disruption DisruptionController: keeps each PodDisruptionBudget's status (healthy pods, expected pods,
// disruptions allowed) current as its pods and their controllers change; the eviction subresource reads it.
import type { PodDisruptionBudget } from '../../../api/disruption.js';
import { ignoreNotFound } from '../../../api/errors.js';
import { selectorMatches } from '../../../api/labels.js';
import { Resources } from '../../../api/resources.js';
import { objectKey, type Deployment, type KubeObject, type OwnerReference, type Pod, type ReplicaSet, type StatefulSet } from '../../../api/types.js';
import { controllerOf, enqueueObject, queueController, type Controller, type ControllerContext } from '../controller.js';
import { computeDisruptionStatus } from './actions.js';

type Any = any;

export function disruptionController(ctx: ControllerContext): Controller {
  const { client, informers, recorder } = ctx;
  const budgets = informers.for<PodDisruptionBudget>(Resources.poddisruptionbudgets);
  const pods = informers.for<Pod>(Resources.pods);
  const replicaSets = informers.for<ReplicaSet>(Resources.replicasets);
  const deployments = informers.for<Deployment>(Resources.deployments);
  const statefulSets = informers.for<StatefulSet>(Resources.statefulsets);
  const rcs = informers.for<KubeObject>(Resources.replicationcontrollers);

  const c = queueController('disruption-controller', 1, sync);
  budgets.addHandlers(enqueueObject(c.queue));
  /** A pod's budgets: the ones in its namespace whose selector matches it. */
  const enqueueBudgetsOf = (p: Pod) => {
    for (const b of budgets.list()) if (b.metadata.namespace === p.metadata.namespace && selectorMatches(b.spec?.selector, p.metadata.labels)) c.queue.add(objectKey(b));
  };
  pods.addHandlers({ onAdd: enqueueBudgetsOf, onUpdate: (_o, p) => enqueueBudgetsOf(p), onDelete: enqueueBudgetsOf });
  // A controller's scale is the expected count: a change re-counts every budget of its namespace.
  const enqueueNamespace = (o: KubeObject) => {
    for (const b of budgets.list()) if (b.metadata.namespace === o.metadata.namespace) c.queue.add(objectKey(b));
  };
  for (const inf of [replicaSets, deployments, statefulSets, rcs]) inf.addHandlers({ onAdd: enqueueNamespace, onUpdate: (_o, n) => enqueueNamespace(n), onDelete: enqueueNamespace });

  /** The finders of kube's controller: a ReplicaSet a Deployment controls counts as the Deployment. */
  function scaleOf(ref: OwnerReference, namespace: string): number | undefined {
    const key = `${namespace}/${ref.name}`;
    const live = <T extends KubeObject>(o: T | undefined) => (o?.metadata.uid === ref.uid ? o : undefined);
    if (ref.kind === 'ReplicaSet') {
      const rs = live(replicaSets.get(key));
      if (!rs) return undefined;
      const owner = controllerOf(rs);
      const d = owner?.kind === 'Deployment' ? deployments.get(`${namespace}/${owner.name}`) : undefined;
      return d && d.metadata.uid === owner!.uid ? (d.spec.replicas ?? 1) : (rs.spec.replicas ?? 1);
    }
    const found = ref.kind === 'StatefulSet' ? live(statefulSets.get(key)) : ref.kind === 'ReplicationController' ? live(rcs.get(key)) : ref.kind === 'Deployment' ? live(deployments.get(key)) : undefined;
    return found ? ((found as Any).spec?.replicas ?? 1) : undefined;
  }

  async function sync(key: string): Promise<void> {
    const pdb = budgets.get(key);
    if (!pdb || pdb.metadata.deletionTimestamp) return;
    const selected = pods.list().filter((p) => p.metadata.namespace === pdb.metadata.namespace && selectorMatches(pdb.spec?.selector, p.metadata.labels));
    const decision = computeDisruptionStatus({ pdb, pods: selected, scaleOf, now: Date.now() });
    if (decision.failure) void recorder.record(pdb, 'Warning', decision.failure.reason, decision.failure.message);
    if (decision.recheckAt !== undefined) c.queue.addAfter(key, Math.max(0, decision.recheckAt - Date.now()) + 1000);
    const { conditions: _a, ...was } = pdb.status ?? ({} as Any);
    const { conditions: _b, ...now } = decision.status;
    const condition = (s: Any) => JSON.stringify((s?.conditions ?? []).map((x: Any) => [x.type, x.status, x.reason, x.message]));
    if (JSON.stringify(was) === JSON.stringify(now) && condition(pdb.status) === condition(decision.status)) return;
    // The resourceVersion makes this a conditional write: an eviction that changed disruptedPods meanwhile wins, and
    // the conflict requeues the budget.
    await ignoreNotFound(client.updateStatus(Resources.poddisruptionbudgets, { ...pdb, status: decision.status }));
  }

  return c;
}
