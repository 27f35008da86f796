// The DefaultPreemption plugin (kube: pkg/scheduler/framework/plugins/defaultpreemption): when a pod fits nowhere,
// find the node where evicting pods of lower priority would make it fit, evicting as few and as unimportant pods as
// possible and, where it can, none a PodDisruptionBudget protects — a pure decision; the scheduler nominates the node
// and deletes the victims.
import type { PodDisruptionBudget } from '../../api/disruption.js';
import { fromLabelSelector, matches } from '../../api/labels.js';
import type { Pod } from '../../api/types.js';
import { filters, type NodeInfo } from './plugins.js';

export interface Preemption {
  node: string;
  /** Most important first. */
  victims: Pod[];
  /** Victims whose eviction a budget does not allow (preemption prefers nodes with fewest; it does not refuse them). */
  pdbViolations: number;
}

const priority = (p: Pod) => p.spec.priority ?? 0;
// A pod that has not started yet counts as started last (GetPodStartTime: now).
const startTime = (p: Pod) => (p.status?.startTime ? Date.parse(p.status.startTime) : Number.MAX_SAFE_INTEGER);
const fits = (pod: Pod, n: NodeInfo) => filters.every((f) => !f.filter(pod, n));

/** MoreImportantPod: higher priority, then the one running longer. */
const moreImportantFirst = (a: Pod, b: Pod) => priority(b) - priority(a) || startTime(a) - startTime(b);

/**
 * Which of these pods (most important first) a budget protects (filterPodsWithPDBViolation): each matching budget's
 * disruptionsAllowed is used up in order; pods it already counts as disrupted use none.
 */
function protectedByBudgets(pods: Pod[], pdbs: PodDisruptionBudget[]): Set<Pod> {
  const allowed = pdbs.map((b) => b.status?.disruptionsAllowed ?? 0);
  const selectors = pdbs.map((b) => fromLabelSelector(b.spec.selector));
  const out = new Set<Pod>();
  for (const p of pods) {
    // A pod without labels matches no budget; neither does a budget with an empty selector.
    if (!Object.keys(p.metadata.labels ?? {}).length) continue;
    pdbs.forEach((b, i) => {
      const sel = selectors[i];
      if (b.metadata.namespace !== p.metadata.namespace || !sel?.length || !matches(sel, p.metadata.labels)) return;
      if (b.status?.disruptedPods?.[p.metadata.name!]) return;
      if (--allowed[i] < 0) out.add(p);
    });
  }
  return out;
}

/** SelectVictimsOnNode: the fewest lower-priority pods on one node whose removal lets the pod fit, or undefined. */
function victimsOn(pod: Pod, n: NodeInfo, pdbs: PodDisruptionBudget[]): Omit<Preemption, 'node'> | undefined {
  const lower = n.pods.filter((p) => priority(p) < priority(pod)).sort(moreImportantFirst);
  const kept = n.pods.filter((p) => priority(p) >= priority(pod));
  if (!lower.length || !fits(pod, { ...n, pods: kept })) return undefined;
  const guarded = protectedByBudgets(lower, pdbs);
  // Reprieve the pods budgets protect first, then the rest, each most important first: one that can stay while the
  // pod still fits is no victim.
  const victims: Pod[] = [];
  let pdbViolations = 0;
  for (const p of [...lower.filter((p) => guarded.has(p)), ...lower.filter((p) => !guarded.has(p))]) {
    if (fits(pod, { ...n, pods: [...kept, p] })) kept.push(p);
    else {
      victims.push(p);
      if (guarded.has(p)) pdbViolations++;
    }
  }
  return { victims: victims.sort(moreImportantFirst), pdbViolations };
}

/**
 * The node to preempt on (pickOneNodeForPreemption): the fewest budget violations, then the lowest highest victim
 * priority, then the lowest priority sum, then the fewest victims, then the latest started most important victim.
 */
export function preempt(pod: Pod, nodes: NodeInfo[], pdbs: PodDisruptionBudget[] = []): Preemption | undefined {
  if (pod.spec.preemptionPolicy === 'Never') return undefined;
  const candidates = nodes.flatMap((n) => {
    const found = victimsOn(pod, n, pdbs);
    return found ? [{ node: n.node.metadata.name!, ...found }] : [];
  });
  const rank = (c: Preemption) => [c.pdbViolations, priority(c.victims[0]), c.victims.reduce((s, p) => s + priority(p), 0), c.victims.length, -startTime(c.victims[0])];
  candidates.sort((a, b) => {
    const ra = rank(a);
    const rb = rank(b);
    for (let i = 0; i < ra.length; i++) if (ra[i] !== rb[i]) return ra[i] - rb[i];
    return 0;
  });
  return candidates[0];
}
