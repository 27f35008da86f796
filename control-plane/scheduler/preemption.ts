// The DefaultPreemption plugin (kube: pkg/scheduler/framework/plugins/defaultpreemption): when a pod fits nowhere,
// find the node where evicting pods of lower priority would make it fit, evicting as few and as unimportant pods as
// possible — a pure decision; the scheduler nominates the node and deletes the victims.
import type { Pod } from '../../api/types.js';
import { filters, type NodeInfo } from './plugins.js';

export interface Preemption {
  node: string;
  victims: Pod[];
}

const priority = (p: Pod) => p.spec.priority ?? 0;
const fits = (pod: Pod, n: NodeInfo) => filters.every((f) => !f.filter(pod, n));

/** The fewest lower-priority pods on one node whose removal lets the pod fit, or undefined (SelectVictimsOnNode). */
function victimsOn(pod: Pod, n: NodeInfo): Pod[] | undefined {
  const lower = n.pods.filter((p) => priority(p) < priority(pod));
  const kept = n.pods.filter((p) => priority(p) >= priority(pod));
  if (!lower.length || !fits(pod, { ...n, pods: kept })) return undefined;
  // Reprieve the most important first: each one that can stay while the pod still fits is no victim.
  const victims: Pod[] = [];
  for (const p of [...lower].sort((a, b) => priority(b) - priority(a))) {
    if (fits(pod, { ...n, pods: [...kept, p] })) kept.push(p);
    else victims.push(p);
  }
  return victims;
}

/** The node to preempt on: the lowest highest victim priority, then the lowest priority sum, then the fewest victims. */
export function preempt(pod: Pod, nodes: NodeInfo[]): Preemption | undefined {
  if (pod.spec.preemptionPolicy === 'Never') return undefined;
  const candidates = nodes.flatMap((n) => {
    const victims = victimsOn(pod, n);
    return victims ? [{ node: n.node.metadata.name!, victims }] : [];
  });
  const rank = (c: Preemption) => [Math.max(...c.victims.map(priority)), c.victims.reduce((s, p) => s + priority(p), 0), c.victims.length];
  candidates.sort((a, b) => {
    const ra = rank(a);
    const rb = rank(b);
    for (let i = 0; i < ra.length; i++) if (ra[i] !== rb[i]) return ra[i] - rb[i];
    return 0;
  });
  return candidates[0];
}
