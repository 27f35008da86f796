// pods/eviction (kube: pkg/registry/core/pod/storage/eviction.go): an eviction deletes the pod with the delete
// options it carries, unless the PodDisruptionBudget covering the pod allows no more disruptions (429). An allowed
// eviction takes one disruption from the budget's status — a write conditional on the budget's resourceVersion, so two
// evictions racing for the last allowed disruption can't both pass — and records the pod in status.disruptedPods
// until the disruption controller sees it go. Before the pod is deleted it gets the DisruptionTarget condition
// (reason EvictionByEvictionAPI), so that its controllers and the kubelet know why it goes.
import { DISRUPTION_BUDGET_CAUSE, disruptionAllowedCondition, EVICTION_REFUSED, type PodDisruptionBudget } from '../../../../api/disruption.js';
import { conflict, StatusError } from '../../../../api/errors.js';
import { selectorMatches } from '../../../../api/labels.js';
import { DISRUPTION_TARGET, EVICTION_BY_EVICTION_API, isPodReady, setPodCondition } from '../../../../api/pods.js';
import { formatTime } from '../../../../api/time.js';
import type { KubeObject, Pod } from '../../../../api/types.js';
import { findByPlural, type ResourceDef } from '../kinds.js';
import { methodNotAllowed, success, type Subresource } from '../rest.js';
import type { DeleteOptions, GenericStore } from '../store.js';

/** How often an eviction re-reads a budget another eviction changed meanwhile (EvictionsRetry). */
const ATTEMPTS = 5;
/** More pods than this waiting in disruptedPods means the controller is not keeping up (MaxDisruptedPodSize). */
const MAX_DISRUPTED_PODS = 2000;

const budgetsDef = findByPlural('policy', 'v1', 'poddisruptionbudgets')!;

const refused = (cause: string, retryAfterSeconds: number) =>
  new StatusError(429, 'TooManyRequests', EVICTION_REFUSED, { causes: [{ reason: DISRUPTION_BUDGET_CAUSE, message: cause }], retryAfterSeconds });

/** A pod that is finished, not yet running, or already going needs no budget's leave (canIgnorePDB). */
function ignoresBudget(pod: Pod): boolean {
  const phase = pod.status?.phase;
  return phase === 'Succeeded' || phase === 'Failed' || phase === 'Pending' || !!pod.metadata.deletionTimestamp;
}

/** Takes one disruption from the budget covering the pod (returns when the pod may go), or refuses with a Status. */
async function takeDisruption(store: GenericStore, pod: Pod, namespace: string): Promise<void> {
  for (let attempt = 1; ; attempt++) {
    const { items } = await store.list(budgetsDef, namespace, {});
    const budgets = (items as PodDisruptionBudget[]).filter((b) => selectorMatches(b.spec?.selector, pod.metadata.labels));
    if (!budgets.length) return;
    if (budgets.length > 1) throw new StatusError(500, 'InternalError', 'This pod has more than one PodDisruptionBudget, which the eviction subresource does not support.');
    const pdb = budgets[0];
    const status = pdb.status ?? { disruptionsAllowed: 0, currentHealthy: 0, desiredHealthy: 0, expectedPods: 0 };
    // An unready pod may go without taking a disruption when the budget says so or is met without it.
    if (!isPodReady(pod)) {
      const policy = pdb.spec.unhealthyPodEvictionPolicy ?? 'IfHealthyBudget';
      if (policy === 'AlwaysAllow' || (status.desiredHealthy > 0 && status.currentHealthy >= status.desiredHealthy)) return;
    }
    if ((status.observedGeneration ?? 0) < (pdb.metadata.generation ?? 0)) throw refused(`The disruption budget ${pdb.metadata.name} is still being processed by the server.`, 10);
    if (status.disruptionsAllowed < 0) throw new StatusError(400, 'BadRequest', 'pdb disruptions allowed is negative');
    if (Object.keys(status.disruptedPods ?? {}).length > MAX_DISRUPTED_PODS) throw new StatusError(403, 'Forbidden', 'DisruptedPods map too big - too many evictions not confirmed by PDB controller');
    if (status.disruptionsAllowed === 0) throw refused(`The disruption budget ${pdb.metadata.name} needs ${status.desiredHealthy} healthy pods and has ${status.currentHealthy} currently`, 0);
    const now = new Date().toISOString().replace(/\.\d+Z$/, 'Z');
    const allowed = status.disruptionsAllowed - 1;
    const next: PodDisruptionBudget = {
      ...pdb,
      status: {
        ...status,
        disruptionsAllowed: allowed,
        disruptedPods: { ...status.disruptedPods, [pod.metadata.name!]: now },
        conditions: allowed === 0 ? [...(status.conditions ?? []).filter((c) => c.type !== 'DisruptionAllowed'), disruptionAllowedCondition(0, status.conditions, now)] : status.conditions,
      },
    };
    try {
      // Conditional on the resourceVersion read: a concurrent eviction's write makes this one look again.
      await store.update(budgetsDef, namespace, pdb.metadata.name!, () => next, { strategy: budgetsDef.statusStrategy });
      return;
    } catch (e) {
      if (e instanceof StatusError && e.reason === 'Conflict' && attempt < ATTEMPTS) continue;
      throw e;
    }
  }
}

/**
 * Writes the DisruptionTarget condition into the pod's status (kube's addConditionAndDeletePod), checking the delete's
 * preconditions first; returns the delete options with a resourceVersion precondition moved to the pod's new version.
 */
async function markDisruptionTarget(store: GenericStore, def: ResourceDef, namespace: string | undefined, name: string, opts: DeleteOptions): Promise<DeleteOptions> {
  const pre = opts.preconditions ?? {};
  const updated = await store.update(
    def,
    namespace,
    name,
    (live: KubeObject) => {
      if (pre.uid && pre.uid !== live.metadata.uid) throw conflict(def.plural, name, `Precondition failed: UID in precondition: ${pre.uid}, UID in object meta: ${live.metadata.uid}`, def.group);
      if (pre.resourceVersion && pre.resourceVersion !== live.metadata.resourceVersion)
        throw conflict(def.plural, name, `Precondition failed: ResourceVersion in precondition: ${pre.resourceVersion}, ResourceVersion in object meta: ${live.metadata.resourceVersion}`, def.group);
      const next = structuredClone(live) as Pod;
      setPodCondition(next, { type: DISRUPTION_TARGET, status: 'True', reason: EVICTION_BY_EVICTION_API, message: 'Eviction API: evicting' }, formatTime());
      return next as KubeObject;
    },
    { strategy: def.statusStrategy },
  );
  return pre.resourceVersion ? { ...opts, preconditions: { ...pre, resourceVersion: updated.metadata.resourceVersion } } : opts;
}

export const podEviction: Subresource = {
  async serve({ store, def, namespace, name, method, body, user }) {
    if (method !== 'POST') throw methodNotAllowed();
    let opts = ((body as { deleteOptions?: DeleteOptions } | undefined)?.deleteOptions ?? {}) as DeleteOptions;
    const pod = (await store.get(def, namespace, name)) as Pod;
    const dryRun = !!opts.dryRun?.length;
    if (!ignoresBudget(pod) && !dryRun) await takeDisruption(store, pod, namespace!);
    if (!dryRun) opts = await markDisruptionTarget(store, def, namespace, name, opts);
    await store.delete(def, namespace, name, opts, { user, subresource: 'eviction' });
    return { code: 201, object: success(201) };
  },
};
