// Deployment controller: one ReplicaSet per pod template (named by its pod-template-hash), rolled from old to new
// within maxSurge / maxUnavailable (or all at once for Recreate), with the revision annotations `kubectl rollout`
// reads, the status `kubectl rollout status` waits on, and old sets pruned to revisionHistoryLimit.
import { isAlreadyExists, isNotFound } from '../../api/errors.js';
import { selectorMatches } from '../../api/labels.js';
import { Resources } from '../../api/resources.js';
import { objectKey, type Condition, type Deployment, type Pod, type PodTemplateSpec, type ReplicaSet } from '../../api/types.js';
import { controllerOf, queueController, type Controller, type ControllerContext } from './controller.js';
import { formatTime } from '../../api/time.js';

const REVISION = 'deployment.kubernetes.io/revision';
const HASH_LABEL = 'pod-template-hash';
const alphanums = 'bcdfghjklmnpqrstvwxz2456789';

/** fnv-1a over the template, spelled in the safe alphabet, as the pod-template-hash label looks in Kubernetes. */
export function templateHash(t: PodTemplateSpec, collisionCount = 0): string {
  let h = 0x811c9dc5;
  const text = canonicalJSON(t) + (collisionCount ? String(collisionCount) : '');
  for (let i = 0; i < text.length; i++) {
    h ^= text.charCodeAt(i);
    h = Math.imul(h, 0x01000193) >>> 0;
  }
  return [...String(h)].map((ch) => alphanums[ch.charCodeAt(0) % alphanums.length]).join('');
}

/**
 * JSON with sorted keys and without null fields: clients send the same template in other key orders (kubectl's
 * `rollout undo` sends Go's field order, with `creationTimestamp: null`), and it must still match its ReplicaSet.
 */
function canonicalJSON(v: unknown): string {
  return JSON.stringify(v, (_k, x) => (x && typeof x === 'object' && !Array.isArray(x) ? Object.fromEntries(Object.keys(x).sort().filter((k) => x[k] !== null).map((k) => [k, x[k]])) : x));
}

function withoutHash(t: PodTemplateSpec): string {
  const labels = { ...(t.metadata?.labels ?? {}) };
  delete labels[HASH_LABEL];
  return canonicalJSON({ ...t, metadata: { ...(t.metadata ?? {}), labels } });
}

/** maxSurge / maxUnavailable as counts: percentages of replicas, surge rounded up, unavailable down. */
export function resolveFenceposts(d: Deployment): { surge: number; unavailable: number } {
  const replicas = d.spec.replicas ?? 1;
  if (d.spec.strategy?.type === 'Recreate') return { surge: 0, unavailable: replicas };
  const ru = d.spec.strategy?.rollingUpdate ?? {};
  const resolve = (v: number | string | undefined, dflt: string, roundUp: boolean) => {
    const val = v ?? dflt;
    if (typeof val === 'number') return val;
    const pct = Number(val.replace('%', '')) / 100;
    return roundUp ? Math.ceil(pct * replicas) : Math.floor(pct * replicas);
  };
  const surge = resolve(ru.maxSurge, '25%', true);
  let unavailable = resolve(ru.maxUnavailable, '25%', false);
  if (surge === 0 && unavailable === 0) unavailable = 1;
  return { surge, unavailable };
}

const revisionOf = (rs: ReplicaSet) => Number(rs.metadata.annotations?.[REVISION] ?? 0);
const replicasOf = (rs: ReplicaSet) => rs.spec.replicas ?? 0;
const availableOf = (rs: ReplicaSet) => rs.status?.availableReplicas ?? 0;

export function deploymentController(ctx: ControllerContext): Controller {
  const { client, informers, recorder } = ctx;
  const deployments = informers.for<Deployment>(Resources.deployments);
  const sets = informers.for<ReplicaSet>(Resources.replicasets);
  const pods = informers.for<Pod>(Resources.pods);
  const c = queueController('deployment-controller', 2, sync);
  const ownerKey = (rs: ReplicaSet) => {
    const ref = controllerOf(rs);
    return ref?.kind === 'Deployment' ? `${rs.metadata.namespace}/${ref.name}` : undefined;
  };
  deployments.addHandlers({ onAdd: (d) => c.queue.add(objectKey(d)), onUpdate: (_o, d) => c.queue.add(objectKey(d)), onDelete: (d) => c.queue.add(objectKey(d)) });
  const onRS = (rs: ReplicaSet) => {
    const k = ownerKey(rs);
    if (k) c.queue.add(k);
  };
  sets.addHandlers({ onAdd: onRS, onUpdate: (_o, rs) => onRS(rs), onDelete: onRS });

  async function scale(d: Deployment, rs: ReplicaSet, to: number): Promise<ReplicaSet> {
    if (replicasOf(rs) === to) return rs;
    const from = replicasOf(rs);
    const updated = await client.patch<ReplicaSet>(Resources.replicasets, rs.metadata.namespace, rs.metadata.name!, 'merge', {
      metadata: { annotations: { 'deployment.kubernetes.io/desired-replicas': String(d.spec.replicas ?? 1), 'deployment.kubernetes.io/max-replicas': String((d.spec.replicas ?? 1) + resolveFenceposts(d).surge) } },
      spec: { replicas: to },
    });
    recorder.record(d, 'Normal', 'ScalingReplicaSet', `Scaled ${to > from ? 'up' : 'down'} replica set ${rs.metadata.name} from ${from} to ${to}`);
    return updated;
  }

  async function sync(key: string): Promise<void> {
    const d = deployments.get(key);
    if (!d || d.metadata.deletionTimestamp) return;
    const owned = sets.list().filter((rs) => rs.metadata.namespace === d.metadata.namespace && controllerOf(rs)?.uid === d.metadata.uid);
    const tmpl = withoutHash(d.spec.template);
    let newRS = owned.find((rs) => withoutHash(rs.spec.template) === tmpl);
    const olds = owned.filter((rs) => rs !== newRS);
    const maxRevision = Math.max(0, ...owned.map(revisionOf));
    const desired = d.spec.replicas ?? 1;
    const { surge, unavailable } = resolveFenceposts(d);
    const recreate = d.spec.strategy?.type === 'Recreate';

    if (d.spec.paused) return updateStatus(d, newRS, olds);

    if (!newRS) {
      const hash = templateHash(d.spec.template, d.status?.collisionCount ?? 0);
      const labels = { ...(d.spec.template.metadata?.labels ?? {}), [HASH_LABEL]: hash };
      const totalNow = owned.reduce((a, rs) => a + replicasOf(rs), 0);
      const initial = recreate ? (olds.some((rs) => replicasOf(rs) > 0) ? 0 : desired) : olds.length === 0 ? desired : Math.max(0, Math.min(desired, desired + surge - totalNow));
      try {
        newRS = await client.create<ReplicaSet>(Resources.replicasets, d.metadata.namespace, {
          apiVersion: 'apps/v1',
          kind: 'ReplicaSet',
          metadata: {
            name: `${d.metadata.name}-${hash}`,
            namespace: d.metadata.namespace,
            labels,
            annotations: { [REVISION]: String(maxRevision + 1), 'deployment.kubernetes.io/desired-replicas': String(desired), 'deployment.kubernetes.io/max-replicas': String(desired + surge) },
            ownerReferences: [{ apiVersion: 'apps/v1', kind: 'Deployment', name: d.metadata.name!, uid: d.metadata.uid!, controller: true, blockOwnerDeletion: true }],
          },
          spec: {
            replicas: initial,
            minReadySeconds: d.spec.minReadySeconds,
            selector: { ...d.spec.selector, matchLabels: { ...(d.spec.selector.matchLabels ?? {}), [HASH_LABEL]: hash } },
            template: { ...d.spec.template, metadata: { ...(d.spec.template.metadata ?? {}), labels } },
          },
        });
        recorder.record(d, 'Normal', 'ScalingReplicaSet', `Scaled up replica set ${newRS.metadata.name} from 0 to ${initial}`);
      } catch (e) {
        if (!isAlreadyExists(e)) throw e;
        // A set with this name but another template: a hash collision. Count it and try another name.
        await client.patch(Resources.deployments, d.metadata.namespace, d.metadata.name!, 'merge', { status: { collisionCount: (d.status?.collisionCount ?? 0) + 1 } }, 'status');
        return;
      }
    } else if (revisionOf(newRS) < maxRevision || !newRS.metadata.annotations?.[REVISION]) {
      // Rolling back to an old template makes its set the newest revision again.
      newRS = await client.patch<ReplicaSet>(Resources.replicasets, newRS.metadata.namespace, newRS.metadata.name!, 'merge', { metadata: { annotations: { [REVISION]: String(maxRevision + 1) } } });
    }

    if (recreate) {
      for (const rs of olds) if (replicasOf(rs) > 0) await scale(d, rs, 0);
      const oldPodsLeft = pods.list().some((p) => olds.some((rs) => controllerOf(p)?.uid === rs.metadata.uid));
      if (!oldPodsLeft) newRS = await scale(d, newRS, desired);
    } else {
      // Scale up the new set within maxSurge…
      const total = [newRS, ...olds].reduce((a, rs) => a + replicasOf(rs), 0);
      if (replicasOf(newRS) > desired) newRS = await scale(d, newRS, desired);
      else if (replicasOf(newRS) < desired) {
        const room = desired + surge - total;
        if (room > 0) newRS = await scale(d, newRS, Math.min(desired, replicasOf(newRS) + room));
      }
      // …and the old ones down within maxUnavailable: unhealthy pods first, then available ones while enough stay up.
      const oldest = [...olds].sort((a, b) => revisionOf(a) - revisionOf(b));
      const minAvailable = desired - unavailable;
      const allPods = [newRS, ...olds].reduce((a, rs) => a + replicasOf(rs), 0);
      const newUnavailable = Math.max(0, replicasOf(newRS) - availableOf(newRS));
      let budget = allPods - minAvailable - newUnavailable;
      for (const rs of oldest) {
        if (budget <= 0) break;
        const unhealthy = Math.min(budget, Math.max(0, replicasOf(rs) - availableOf(rs)));
        if (unhealthy > 0) {
          await scale(d, rs, replicasOf(rs) - unhealthy);
          rs.spec.replicas = replicasOf(rs) - unhealthy;
          budget -= unhealthy;
        }
      }
      let surplus = [newRS, ...olds].reduce((a, rs) => a + availableOf(rs), 0) - minAvailable;
      for (const rs of oldest) {
        if (surplus <= 0) break;
        const cut = Math.min(replicasOf(rs), surplus);
        if (cut <= 0) continue;
        await scale(d, rs, replicasOf(rs) - cut);
        surplus -= cut;
      }
    }
    await cleanup(d, olds);
    await updateStatus(d, newRS, olds);
  }

  async function cleanup(d: Deployment, olds: ReplicaSet[]): Promise<void> {
    const limit = d.spec.revisionHistoryLimit ?? 10;
    const idle = olds.filter((rs) => replicasOf(rs) === 0 && (rs.status?.replicas ?? 0) === 0 && !rs.metadata.deletionTimestamp).sort((a, b) => revisionOf(a) - revisionOf(b));
    for (const rs of idle.slice(0, Math.max(0, idle.length - limit))) {
      await client.delete(Resources.replicasets, rs.metadata.namespace, rs.metadata.name!).catch((e) => (isNotFound(e) ? undefined : Promise.reject(e)));
    }
  }

  async function updateStatus(d: Deployment, newRS: ReplicaSet | undefined, olds: ReplicaSet[]): Promise<void> {
    const all = newRS ? [newRS, ...olds] : olds;
    const desired = d.spec.replicas ?? 1;
    const replicas = all.reduce((a, rs) => a + (rs.status?.replicas ?? 0), 0);
    const ready = all.reduce((a, rs) => a + (rs.status?.readyReplicas ?? 0), 0);
    const available = all.reduce((a, rs) => a + availableOf(rs), 0);
    const updated = newRS?.status?.replicas ?? 0;
    const { unavailable } = resolveFenceposts(d);
    const now = formatTime();
    const prev = d.status?.conditions ?? [];
    const cond = (type: string, status: 'True' | 'False', reason: string, message: string): Condition => {
      const old = prev.find((c) => c.type === type);
      const transitioned = !old || old.status !== status;
      return { type, status, lastUpdateTime: old && old.reason === reason && !transitioned ? old.lastUpdateTime : now, lastTransitionTime: transitioned ? now : old!.lastTransitionTime, reason, message };
    };
    const complete = newRS && updated === desired && replicas === desired && available === desired && (newRS.status?.observedGeneration ?? 0) >= (newRS.metadata.generation ?? 0);
    const conditions = [
      available >= desired - unavailable ? cond('Available', 'True', 'MinimumReplicasAvailable', 'Deployment has minimum availability.') : cond('Available', 'False', 'MinimumReplicasUnavailable', 'Deployment does not have minimum availability.'),
      newRS
        ? complete
          ? cond('Progressing', 'True', 'NewReplicaSetAvailable', `ReplicaSet "${newRS.metadata.name}" has successfully progressed.`)
          : cond('Progressing', 'True', prev.find((c) => c.type === 'Progressing') ? 'ReplicaSetUpdated' : 'NewReplicaSetCreated', prev.find((c) => c.type === 'Progressing') ? `ReplicaSet "${newRS.metadata.name}" is progressing.` : `Created new replica set "${newRS.metadata.name}"`)
        : cond('Progressing', 'True', 'ReplicaSetUpdated', 'Deployment is progressing.'),
    ];
    const status = {
      observedGeneration: d.metadata.generation,
      replicas,
      updatedReplicas: updated,
      readyReplicas: ready,
      availableReplicas: available,
      unavailableReplicas: Math.max(0, desired - available),
      conditions,
      ...(d.status?.collisionCount ? { collisionCount: d.status.collisionCount } : {}),
    };
    const strip = (s: unknown) => JSON.stringify(s, (k, v) => (k === 'lastUpdateTime' || k === 'lastTransitionTime' ? undefined : v));
    if (strip(status) === strip(d.status ?? {})) return;
    const annotations = newRS ? { [REVISION]: newRS.metadata.annotations?.[REVISION] ?? '1' } : {};
    if (newRS && d.metadata.annotations?.[REVISION] !== annotations[REVISION])
      await client.patch(Resources.deployments, d.metadata.namespace, d.metadata.name!, 'merge', { metadata: { annotations } });
    await client.patch(Resources.deployments, d.metadata.namespace, d.metadata.name!, 'merge', { status }, 'status').catch((e) => (isNotFound(e) ? undefined : Promise.reject(e)));
  }

  return c;
}

export { selectorMatches };
