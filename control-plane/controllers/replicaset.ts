// ReplicaSet controller: keeps `replicas` live pods matching the template, owned by the set. Expectations stop a
// second sync from creating the same pods again before the informer has seen the first batch.
import { isNotFound } from '../../api/errors.js';
import { logger } from '../../api/log.js';
import { selectorMatches } from '../../api/labels.js';
import { Resources } from '../../api/resources.js';
import { objectKey, splitKey, type Pod, type ReplicaSet } from '../../api/types.js';
import { controllerOf, queueController, type Controller, type ControllerContext } from './controller.js';
import { isPodActive, isPodReady } from '../../api/pods.js';

const log = logger('replicaset-controller');
const BURST = 500;


/** Which pods to delete first when scaling down: unscheduled, then pending, then not ready, then the newest. */
export function deletionOrder(pods: Pod[]): Pod[] {
  const rank = (p: Pod) => [p.spec.nodeName ? 1 : 0, p.status?.phase === 'Pending' ? 0 : 1, isPodReady(p) ? 1 : 0];
  return [...pods].sort((a, b) => {
    const ra = rank(a);
    const rb = rank(b);
    for (let i = 0; i < ra.length; i++) if (ra[i] !== rb[i]) return ra[i] - rb[i];
    return Date.parse(b.metadata.creationTimestamp ?? '') - Date.parse(a.metadata.creationTimestamp ?? '');
  });
}

interface Expectation {
  adds: number;
  dels: Set<string>;
  at: number;
}

export function replicaSetController(ctx: ControllerContext): Controller {
  const { client, informers, recorder } = ctx;
  const sets = informers.for<ReplicaSet>(Resources.replicasets);
  const pods = informers.for<Pod>(Resources.pods);
  const expectations = new Map<string, Expectation>();
  const satisfied = (key: string) => {
    const e = expectations.get(key);
    return !e || (e.adds <= 0 && e.dels.size === 0) || Date.now() - e.at > 5 * 60_000;
  };

  const c = queueController('replicaset-controller', 2, sync);
  const ownerKey = (p: Pod) => {
    const ref = controllerOf(p);
    return ref?.kind === 'ReplicaSet' ? `${p.metadata.namespace}/${ref.name}` : undefined;
  };
  sets.addHandlers({ onAdd: (r) => c.queue.add(objectKey(r)), onUpdate: (_o, r) => c.queue.add(objectKey(r)), onDelete: (r) => c.queue.add(objectKey(r)) });
  pods.addHandlers({
    onAdd: (p) => {
      const k = ownerKey(p);
      if (!k) return;
      const e = expectations.get(k);
      if (e) e.adds--;
      c.queue.add(k);
    },
    onUpdate: (o, p) => {
      const k = ownerKey(p);
      if (k) c.queue.add(k);
      if (p.metadata.deletionTimestamp && !o.metadata.deletionTimestamp && k) expectations.get(k)?.dels.delete(p.metadata.uid!);
    },
    onDelete: (p) => {
      const k = ownerKey(p);
      if (!k) return;
      expectations.get(k)?.dels.delete(p.metadata.uid!);
      c.queue.add(k);
    },
  });

  async function sync(key: string): Promise<void> {
    const rs = sets.get(key);
    if (!rs) {
      expectations.delete(key);
      return;
    }
    const owned = pods.list().filter((p) => p.metadata.namespace === rs.metadata.namespace && controllerOf(p)?.uid === rs.metadata.uid);
    const active = owned.filter(isPodActive);
    if (!rs.metadata.deletionTimestamp && satisfied(key)) {
      const want = rs.spec.replicas ?? 1;
      const diff = want - active.length;
      if (diff > 0) await createPods(rs, Math.min(diff, BURST), key);
      else if (diff < 0) await deletePods(rs, deletionOrder(active).slice(0, -diff), key);
    }
    await updateStatus(rs, owned);
  }

  async function createPods(rs: ReplicaSet, n: number, key: string): Promise<void> {
    expectations.set(key, { adds: n, dels: new Set(), at: Date.now() });
    const { namespace } = splitKey(key);
    const tmpl = rs.spec.template;
    const results = await Promise.allSettled(
      Array.from({ length: n }, () =>
        client.create<Pod>(Resources.pods, namespace, {
          apiVersion: 'v1',
          kind: 'Pod',
          metadata: {
            generateName: `${rs.metadata.name}-`,
            namespace,
            labels: { ...(tmpl.metadata?.labels ?? {}) },
            annotations: tmpl.metadata?.annotations ? { ...tmpl.metadata.annotations } : undefined,
            ownerReferences: [{ apiVersion: 'apps/v1', kind: 'ReplicaSet', name: rs.metadata.name!, uid: rs.metadata.uid!, controller: true, blockOwnerDeletion: true }],
          },
          spec: structuredClone(tmpl.spec),
        }),
      ),
    );
    let failed = 0;
    for (const r of results) {
      if (r.status === 'fulfilled') recorder.record(rs, 'Normal', 'SuccessfulCreate', `Created pod: ${r.value.metadata.name}`);
      else {
        failed++;
        recorder.record(rs, 'Warning', 'FailedCreate', `Error creating: ${(r.reason as Error).message}`);
      }
    }
    const e = expectations.get(key);
    if (e) e.adds -= failed;
    if (failed) throw new Error(`${failed} of ${n} pod creations failed`);
  }

  async function deletePods(rs: ReplicaSet, victims: Pod[], key: string): Promise<void> {
    expectations.set(key, { adds: 0, dels: new Set(victims.map((p) => p.metadata.uid!)), at: Date.now() });
    await Promise.all(
      victims.map(async (p) => {
        try {
          await client.delete(Resources.pods, p.metadata.namespace, p.metadata.name!);
          recorder.record(rs, 'Normal', 'SuccessfulDelete', `Deleted pod: ${p.metadata.name}`);
        } catch (e) {
          expectations.get(key)?.dels.delete(p.metadata.uid!);
          if (!isNotFound(e)) throw e;
        }
      }),
    );
  }

  async function updateStatus(rs: ReplicaSet, owned: Pod[]): Promise<void> {
    const active = owned.filter(isPodActive);
    const ready = active.filter(isPodReady);
    const status = {
      replicas: active.length,
      fullyLabeledReplicas: active.filter((p) => selectorMatches({ matchLabels: rs.spec.template.metadata?.labels ?? {} }, p.metadata.labels)).length,
      readyReplicas: ready.length,
      availableReplicas: ready.length,
      observedGeneration: rs.metadata.generation,
    };
    const cur = rs.status ?? { replicas: 0 };
    if (
      cur.replicas === status.replicas &&
      (cur.fullyLabeledReplicas ?? 0) === status.fullyLabeledReplicas &&
      (cur.readyReplicas ?? 0) === status.readyReplicas &&
      (cur.availableReplicas ?? 0) === status.availableReplicas &&
      cur.observedGeneration === status.observedGeneration
    )
      return;
    try {
      await client.updateStatus(Resources.replicasets, { ...rs, status: { ...cur, ...status } });
    } catch (e) {
      if (!isNotFound(e)) throw e;
    }
    log.debug({ rs: objectKey(rs), ...status }, 'status updated');
  }

  return c;
}
