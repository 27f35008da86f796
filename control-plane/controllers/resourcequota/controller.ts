// pkg/controller/resourcequota Controller: recomputes each ResourceQuota's `status.used` from the objects that exist,
// so usage the admission plugin charged is released when pods finish or objects are deleted, and a new or changed
// quota gets its `status.hard`. Namespaces are resynced on relevant changes and, as a safety net (a create that failed
// after it was charged, a dry run), every resync period.
import { isConflict, isNotFound } from '../../../api/errors.js';
import { computeUsed } from '../../../api/quota.js';
import { Resources } from '../../../api/resources.js';
import type { KubeObject, Pod } from '../../../api/types.js';
import { queueController, type Controller, type ControllerContext } from '../controller.js';
import { computeQuotaStatus, hardStale, type ResourceQuota } from './actions.js';

const terminal = (p: Pod) => p.status?.phase === 'Succeeded' || p.status?.phase === 'Failed';

export function resourceQuotaController(ctx: ControllerContext, resyncMs = 15_000): Controller {
  const { client, informers } = ctx;
  const quotas = informers.for<ResourceQuota>(Resources.resourcequotas);
  const pods = informers.for<Pod>(Resources.pods);
  const c = queueController('resourcequota-controller', 1, sync);
  const hasQuota = (ns: string | undefined) => !!ns && quotas.list().some((q) => q.metadata.namespace === ns);
  const touch = (o: KubeObject) => hasQuota(o.metadata.namespace) && c.queue.add(o.metadata.namespace!);
  quotas.addHandlers({ onAdd: (q) => c.queue.add(q.metadata.namespace!), onUpdate: (o, q) => (hardStale(q) || JSON.stringify(o.spec) !== JSON.stringify(q.spec)) && c.queue.add(q.metadata.namespace!) });
  // Replenishment: a pod that finished or went away no longer uses its namespace's quota.
  pods.addHandlers({ onUpdate: (o, p) => !terminal(o) && terminal(p) && touch(p), onDelete: touch });
  for (const r of [Resources.services, Resources.configmaps, Resources.secrets]) informers.for<KubeObject>(r).addHandlers({ onDelete: touch, onUpdate: (o, n) => r === Resources.services && JSON.stringify(o.spec) !== JSON.stringify(n.spec) && touch(n) });

  async function sync(namespace: string): Promise<void> {
    for (const quota of quotas.list().filter((x) => x.metadata.namespace === namespace)) {
      const used = await computeUsed(quota, async (def) => (await client.list<KubeObject>(def, namespace)).items);
      const status = computeQuotaStatus(quota, used);
      if (!status) continue;
      try {
        await client.updateStatus(Resources.resourcequotas, { ...quota, status });
      } catch (e) {
        if (isNotFound(e)) continue;
        // Admission charged the quota meanwhile: recompute from the newer object.
        if (isConflict(e)) c.queue.addAfter(namespace, 50);
        else throw e;
      }
    }
  }

  let timer: NodeJS.Timeout | undefined;
  return {
    name: c.name,
    run() {
      timer = setInterval(() => new Set(quotas.list().map((q) => q.metadata.namespace!)).forEach((ns) => c.queue.add(ns)), resyncMs);
      timer.unref();
      return c.run();
    },
    close() {
      if (timer) clearInterval(timer);
      timer = undefined;
      c.close();
    },
  };
}
