// pkg/controller/daemon (daemon_controller.go manage, update.go rollingUpdate, status), as a pure decision: which
// nodes should run the daemon (node selector, taints it does not tolerate), pods to create there, pods to delete
// (extras, misplaced, not of the update revision within maxUnavailable), and the status to write.
import { isPodActive, isPodReady } from '../../../api/pods.js';
import { tolerates } from '../../../api/taints.js';
import { fitsNodeAffinity } from '../../../api/nodeaffinity.js';
import type { DaemonSet, Node, Pod, Toleration } from '../../../api/types.js';
import { controllerRef } from '../controller.js';
import { REVISION_HASH_LABEL } from '../history/history.js';
import { podFromTemplate, templateHash } from '../podtemplate.js';

/** Daemon pods carry their revision's hash (not its name, as StatefulSet pods do). */
export const HASH_LABEL = REVISION_HASH_LABEL;

/** Tolerations every daemon pod gets, so node trouble doesn't evict or block it. */
export const daemonTolerations: Toleration[] = [
  { key: 'node.kubernetes.io/not-ready', operator: 'Exists', effect: 'NoExecute' },
  { key: 'node.kubernetes.io/unreachable', operator: 'Exists', effect: 'NoExecute' },
  { key: 'node.kubernetes.io/disk-pressure', operator: 'Exists', effect: 'NoSchedule' },
  { key: 'node.kubernetes.io/memory-pressure', operator: 'Exists', effect: 'NoSchedule' },
  { key: 'node.kubernetes.io/pid-pressure', operator: 'Exists', effect: 'NoSchedule' },
  { key: 'node.kubernetes.io/unschedulable', operator: 'Exists', effect: 'NoSchedule' },
];

export interface DaemonSetObserved {
  daemonSet: DaemonSet;
  nodes: Node[];
  /** The pods the daemon set controls. */
  pods: Pod[];
  /** Nodes where a pod was created recently and the cache has not shown it yet: not created again. */
  creating: Set<string>;
  /** The update revision's hash (its controller-revision-hash label); the template's own hash when not given. */
  hash?: string;
  /** The collision count the status carries (once a revision name has collided). */
  collisionCount?: number;
}

export interface DaemonSetActions {
  /** Pods to create, each pinned to its node. */
  create: { node: string; pod: Pod }[];
  delete: Pod[];
  /** The status to write, when it differs from the set's. */
  status?: DaemonSet['status'];
}

/** Whether the daemon set's pods belong on this node: selector and required node affinity, and taints its pods don't tolerate. */
export function shouldRun(ds: DaemonSet, node: Node): boolean {
  const spec = ds.spec.template.spec;
  if (!fitsNodeAffinity(spec, node)) return false;
  const tols = [...(spec.tolerations ?? []), ...daemonTolerations];
  return (node.spec?.taints ?? []).every((t) => t.effect === 'PreferNoSchedule' || tolerates(tols, t));
}

/** The node a daemon pod is bound to, or pinned to by its affinity while still pending. */
export function nodeOf(p: Pod): string | undefined {
  if (p.spec.nodeName) return p.spec.nodeName;
  const affinity = p.spec.affinity as { nodeAffinity?: { requiredDuringSchedulingIgnoredDuringExecution?: { nodeSelectorTerms?: { matchFields?: { key: string; values?: string[] }[] }[] } } } | undefined;
  const terms = affinity?.nodeAffinity?.requiredDuringSchedulingIgnoredDuringExecution?.nodeSelectorTerms ?? [];
  return terms[0]?.matchFields?.find((f) => f.key === 'metadata.name')?.values?.[0];
}

/**
 * The daemon pod for a node: the template with the revision label, the node-condition tolerations, and a required
 * node affinity on the node's name, so the scheduler places it there (as Kubernetes does since 1.12).
 */
export function podForNode(ds: DaemonSet, node: string, hash: string): Pod {
  const tmpl = ds.spec.template;
  const pod = podFromTemplate(tmpl, ds.metadata.namespace, controllerRef(ds, 'apps/v1', 'DaemonSet'), { generateName: `${ds.metadata.name}-` });
  pod.metadata.labels![HASH_LABEL] = hash;
  const tolerations = [...(tmpl.spec.tolerations ?? [])];
  for (const t of daemonTolerations) if (!tolerations.some((x) => x.key === t.key && x.effect === t.effect)) tolerations.push(t);
  pod.spec.tolerations = tolerations;
  pod.spec.affinity = { ...((tmpl.spec.affinity as object) ?? {}), nodeAffinity: { requiredDuringSchedulingIgnoredDuringExecution: { nodeSelectorTerms: [{ matchFields: [{ key: 'metadata.name', operator: 'In', values: [node] }] }] } } };
  return pod;
}

export function computeDaemonSetActions({ daemonSet: ds, nodes, pods, creating, hash: given, collisionCount = 0 }: DaemonSetObserved): DaemonSetActions {
  // A set being deleted is left to the garbage collector.
  if (ds.metadata.deletionTimestamp) return { create: [], delete: [] };
  const hash = given ?? templateHash(ds.spec.template, collisionCount);
  const byNode = new Map<string, Pod[]>();
  for (const p of pods.filter(isPodActive)) {
    const n = nodeOf(p);
    if (n) (byNode.get(n) ?? byNode.set(n, []).get(n)!).push(p);
  }
  const eligible = nodes.filter((n) => shouldRun(ds, n));
  const actions: DaemonSetActions = { create: [], delete: [], status: daemonSetStatus(ds, eligible, byNode, hash, collisionCount) };

  const onDelete = ds.spec.updateStrategy?.type === 'OnDelete';
  const maxUnavailable = Number(ds.spec.updateStrategy?.rollingUpdate?.maxUnavailable ?? 1) || 1;
  let unavailable = eligible.filter((n) => !(byNode.get(n.metadata.name!) ?? []).some(isPodReady)).length;
  for (const n of eligible) {
    const name = n.metadata.name!;
    const [first, ...extras] = byNode.get(name) ?? [];
    if (!first) {
      if (!creating.has(name)) actions.create.push({ node: name, pod: podForNode(ds, name, hash) });
      continue;
    }
    actions.delete.push(...extras);
    // RollingUpdate: a pod of another revision goes while few enough nodes are without a ready daemon (a not-ready one always).
    if (!onDelete && first.metadata.labels?.[HASH_LABEL] !== hash && (unavailable < maxUnavailable || !isPodReady(first))) {
      if (isPodReady(first)) unavailable++;
      actions.delete.push(first);
    }
  }
  // Pods on nodes that should not run the daemon (any more).
  for (const [name, list] of byNode) if (!eligible.some((n) => n.metadata.name === name)) actions.delete.push(...list);
  return actions;
}

/** Counts per node, from the pods as they are; undefined when the set already says so. */
function daemonSetStatus(ds: DaemonSet, eligible: Node[], byNode: Map<string, Pod[]>, hash: string, collisionCount: number): DaemonSet['status'] | undefined {
  const names = new Set(eligible.map((n) => n.metadata.name));
  const scheduled = [...byNode.keys()].filter((n) => names.has(n));
  const first = (n: string) => byNode.get(n)![0];
  const ready = scheduled.filter((n) => isPodReady(first(n))).length;
  const status = {
    desiredNumberScheduled: eligible.length,
    currentNumberScheduled: scheduled.length,
    numberMisscheduled: [...byNode.keys()].filter((n) => !names.has(n)).length,
    numberReady: ready,
    numberAvailable: ready,
    numberUnavailable: eligible.length - ready,
    updatedNumberScheduled: scheduled.filter((n) => first(n).metadata.labels?.[HASH_LABEL] === hash).length,
    observedGeneration: ds.metadata.generation,
    ...(collisionCount ? { collisionCount } : {}),
  };
  return JSON.stringify(status) === JSON.stringify(ds.status ?? {}) ? undefined : status;
}
