// pkg/controller/clusterroleaggregation: a ClusterRole with an aggregationRule holds the rules of every ClusterRole
// its selectors pick (admin, edit and view are built this way), kept current as those roles change.
import { ignoreNotFound } from '../../../api/errors.js';
import { Resources } from '../../../api/resources.js';
import type { ClusterRole } from '../../../api/types.js';
import { queueController, type Controller, type ControllerContext } from '../controller.js';
import { computeAggregatedRules } from '../../../api/rbac.js';

export function clusterRoleAggregationController(ctx: ControllerContext): Controller {
  const { client, informers } = ctx;
  const roles = informers.for<ClusterRole>(Resources.clusterroles);
  const c = queueController('clusterrole-aggregation-controller', 1, sync);
  // Any role may be picked by any aggregated role's selectors: a change re-queues every aggregated role.
  const requeueAggregated = () => {
    for (const r of roles.list()) if (r.aggregationRule) c.queue.add(r.metadata.name!);
  };
  roles.addHandlers({ onAdd: requeueAggregated, onUpdate: requeueAggregated, onDelete: requeueAggregated });

  async function sync(name: string): Promise<void> {
    const role = roles.get(name);
    if (!role?.aggregationRule) return;
    const rules = computeAggregatedRules(role, roles.list());
    if (rules) await ignoreNotFound(client.update(Resources.clusterroles, { ...role, rules }));
  }
  return c;
}
