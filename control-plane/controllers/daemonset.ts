// DaemonSet controller: one pod per eligible node. Pods are pinned with a required node affinity on the node's name
// and placed by the scheduler (as Kubernetes does since 1.12); they tolerate the node-condition taints; a changed
// template rolls node by node within maxUnavailable.
import { isNotFound } from '../../api/errors.js';
import { Resources } from '../../api/resources.js';
import { objectKey, type KubeObject, type Node, type Pod, type Toleration } from '../../api/types.js';
import { templateHash } from './deployment.js';
import { controllerOf, queueController, type Controller, type ControllerContext } from './controller.js';
import { tolerates } from '../../api/taints.js';
import { isPodActive, isPodReady } from '../../api/pods.js';

type Any = any;
const HASH = 'controller-revision-hash';

/** Tolerations every daemon pod gets, so node trouble doesn't evict or block it. */
export const daemonTolerations: Toleration[] = [
  { key: 'node.kubernetes.io/not-ready', operator: 'Exists', effect: 'NoExecute' },
  { key: 'node.kubernetes.io/unreachable', operator: 'Exists', effect: 'NoExecute' },
  { key: 'node.kubernetes.io/disk-pressure', operator: 'Exists', effect: 'NoSchedule' },
  { key: 'node.kubernetes.io/memory-pressure', operator: 'Exists', effect: 'NoSchedule' },
  { key: 'node.kubernetes.io/pid-pressure', operator: 'Exists', effect: 'NoSchedule' },
  { key: 'node.kubernetes.io/unschedulable', operator: 'Exists', effect: 'NoSchedule' },
];

/** Whether the daemon set's pods belong on this node: selector, and taints its pods don't tolerate. */
export function shouldRun(ds: Any, node: Node): boolean {
  const spec = ds.spec.template.spec;
  const labels = node.metadata.labels ?? {};
  for (const [k, v] of Object.entries(spec.nodeSelector ?? {})) if (labels[k] !== v) return false;
  const tols = [...(spec.tolerations ?? []), ...daemonTolerations];
  return (node.spec?.taints ?? []).every((t) => t.effect === 'PreferNoSchedule' || tolerates(tols, t));
}

export function daemonSetController(ctx: ControllerContext): Controller {
  const { client, informers, recorder } = ctx;
  const sets = informers.for<KubeObject>(Resources.daemonsets);
  const nodes = informers.for<Node>(Resources.nodes);
  const pods = informers.for<Pod>(Resources.pods);
  const c = queueController('daemonset-controller', 1, sync);
  const all = () => sets.list().forEach((d) => c.queue.add(objectKey(d)));
  sets.addHandlers({ onAdd: (d) => c.queue.add(objectKey(d)), onUpdate: (_o, d) => c.queue.add(objectKey(d)) });
  nodes.addHandlers({ onAdd: all, onUpdate: (o, n) => JSON.stringify([o.metadata.labels, o.spec]) !== JSON.stringify([n.metadata.labels, n.spec]) && all(), onDelete: all });
  const onPod = (p: Pod) => {
    const ref = controllerOf(p);
    if (ref?.kind === 'DaemonSet') c.queue.add(`${p.metadata.namespace}/${ref.name}`);
  };
  pods.addHandlers({ onAdd: onPod, onUpdate: (_o, p) => onPod(p), onDelete: onPod });
  // Creations not yet seen by the informer, per daemon set and node, so a quick resync doesn't double them.
  const pending = new Map<string, number>();

  async function sync(key: string): Promise<void> {
    const ds = sets.get(key) as Any;
    if (!ds || ds.metadata.deletionTimestamp) return;
    const hash = templateHash(ds.spec.template);
    const owned = pods.list().filter((p) => p.metadata.namespace === ds.metadata.namespace && controllerOf(p)?.uid === ds.metadata.uid);
    const byNode = new Map<string, Pod[]>();
    for (const p of owned.filter(isPodActive)) {
      const n = nodeOf(p);
      if (n) (byNode.get(n) ?? byNode.set(n, []).get(n)!).push(p);
    }
    const eligible = nodes.list().filter((n) => shouldRun(ds, n));
    const maxUnavailable = Number(ds.spec.updateStrategy?.rollingUpdate?.maxUnavailable ?? 1) || 1;
    let unavailable = eligible.filter((n) => !(byNode.get(n.metadata.name!) ?? []).some(isPodReady)).length;
    for (const n of eligible) {
      const name = n.metadata.name!;
      const here = byNode.get(name) ?? [];
      const pkey = `${key}@${name}`;
      if (here.length === 0) {
        if ((pending.get(pkey) ?? 0) > Date.now()) continue;
        pending.set(pkey, Date.now() + 30_000);
        await create(ds, name, hash);
        continue;
      }
      pending.delete(pkey);
      for (const extra of here.slice(1)) await remove(ds, extra);
      const p = here[0];
      const onDelete = ds.spec.updateStrategy?.type === 'OnDelete';
      if (!onDelete && p.metadata.labels?.[HASH] !== hash && (unavailable < maxUnavailable || !isPodReady(p))) {
        if (isPodReady(p)) unavailable++;
        await remove(ds, p);
      }
    }
    for (const [name, list] of byNode) if (!eligible.some((n) => n.metadata.name === name)) for (const p of list) await remove(ds, p);
    await updateStatus(ds, eligible, byNode, hash);
  }

  async function create(ds: Any, node: string, hash: string): Promise<void> {
    const tmpl = ds.spec.template;
    const tolerations = [...(tmpl.spec.tolerations ?? [])];
    for (const t of daemonTolerations) if (!tolerations.some((x: Toleration) => x.key === t.key && x.effect === t.effect)) tolerations.push(t);
    const pod = await client.create<Pod>(Resources.pods, ds.metadata.namespace, {
      apiVersion: 'v1',
      kind: 'Pod',
      metadata: {
        generateName: `${ds.metadata.name}-`,
        namespace: ds.metadata.namespace,
        labels: { ...(tmpl.metadata?.labels ?? {}), [HASH]: hash },
        annotations: tmpl.metadata?.annotations,
        ownerReferences: [{ apiVersion: 'apps/v1', kind: 'DaemonSet', name: ds.metadata.name, uid: ds.metadata.uid, controller: true, blockOwnerDeletion: true }],
      },
      spec: {
        ...structuredClone(tmpl.spec),
        tolerations,
        affinity: { ...(tmpl.spec.affinity ?? {}), nodeAffinity: { requiredDuringSchedulingIgnoredDuringExecution: { nodeSelectorTerms: [{ matchFields: [{ key: 'metadata.name', operator: 'In', values: [node] }] }] } } },
      },
    });
    recorder.record(ds, 'Normal', 'SuccessfulCreate', `Created pod: ${pod.metadata.name}`);
  }

  async function remove(ds: Any, p: Pod): Promise<void> {
    await client.delete(Resources.pods, p.metadata.namespace, p.metadata.name!).catch((e) => (isNotFound(e) ? undefined : Promise.reject(e)));
    recorder.record(ds, 'Normal', 'SuccessfulDelete', `Deleted pod: ${p.metadata.name}`);
  }

  async function updateStatus(ds: Any, eligible: Node[], byNode: Map<string, Pod[]>, hash: string): Promise<void> {
    const names = new Set(eligible.map((n) => n.metadata.name));
    const scheduled = [...byNode.keys()].filter((n) => names.has(n));
    const first = (n: string) => byNode.get(n)![0];
    const status = {
      desiredNumberScheduled: eligible.length,
      currentNumberScheduled: scheduled.length,
      numberMisscheduled: [...byNode.keys()].filter((n) => !names.has(n)).length,
      numberReady: scheduled.filter((n) => isPodReady(first(n))).length,
      numberAvailable: scheduled.filter((n) => isPodReady(first(n))).length,
      numberUnavailable: eligible.length - scheduled.filter((n) => isPodReady(first(n))).length,
      updatedNumberScheduled: scheduled.filter((n) => first(n).metadata.labels?.[HASH] === hash).length,
      observedGeneration: ds.metadata.generation,
    };
    if (JSON.stringify(status) === JSON.stringify(ds.status ?? {})) return;
    await client.patch(Resources.daemonsets, ds.metadata.namespace, ds.metadata.name, 'merge', { status }, 'status').catch((e) => (isNotFound(e) ? undefined : Promise.reject(e)));
  }

  return c;
}

/** The node a daemon pod is bound to, or pinned to by its affinity while still pending. */
function nodeOf(p: Pod): string | undefined {
  if (p.spec.nodeName) return p.spec.nodeName;
  const terms = (p.spec.affinity as Any)?.nodeAffinity?.requiredDuringSchedulingIgnoredDuringExecution?.nodeSelectorTerms ?? [];
  return terms[0]?.matchFields?.find((f: Any) => f.key === 'metadata.name')?.values?.[0];
}
