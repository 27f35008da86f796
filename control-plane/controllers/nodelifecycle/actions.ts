// pkg/controller/nodelifecycle (monitorNodeHealth, doNoExecuteTaintingPass) and pkg/controller/tainteviction, as a
// pure decision per node: a node whose Lease (and status) stops being renewed for the grace period turns Ready=Unknown
// ("Kubelet stopped posting node status.") and its pods not ready; its Ready condition gives it the not-ready or
// unreachable taints; pods that don't tolerate a NoExecute taint are evicted — at once, or after their
// tolerationSeconds — so their controllers recreate them on healthy nodes.
import { toleratesTaint } from '../../../api/taints.js';
import { formatTime } from '../../../api/time.js';
import type { Condition, Lease, Node, Pod, Taint } from '../../../api/types.js';

export const UNREACHABLE = 'node.kubernetes.io/unreachable';
export const NOT_READY = 'node.kubernetes.io/not-ready';

export interface NodeObserved {
  node: Node;
  lease?: Lease;
  /** The pods bound to the node. */
  pods: Pod[];
  now: number;
  /** Silence longer than this makes the node Unknown. */
  gracePeriodMs: number;
  /** When this controller started: every node gets a full grace period after a control-plane restart. */
  startedAt: number;
  /** When this controller last added taints to the node, for taints without timeAdded. */
  taintedAt?: number;
}

export interface NodeActions {
  /** The node stopped posting status: its conditions, all Unknown. */
  nodeConditions?: Condition[];
  /** Pods whose Ready and ContainersReady conditions turn False (the node went Unknown). */
  podsNotReady: { pod: Pod; conditions: Condition[] }[];
  taintsToAdd: Taint[];
  taintsToRemove: Taint[];
  evict: Pod[];
}

/** The latest sign of life: the lease renewal, the Ready heartbeat, or the node's creation. */
export function lastHeartbeat(node: Node, lease: Lease | undefined): number {
  const ready = node.status?.conditions?.find((c) => c.type === 'Ready');
  const times = [lease?.spec.renewTime, ready?.lastHeartbeatTime, node.metadata.creationTimestamp].filter((t): t is string => !!t).map((t) => Date.parse(t));
  return Math.max(...times, 0);
}

/** The taints a node should carry for its Ready condition. */
export function wantedTaints(ready: Condition | undefined): Taint[] {
  const status = ready?.status ?? 'Unknown';
  if (status === 'True') return [];
  const key = status === 'False' ? NOT_READY : UNREACHABLE;
  return [
    { key, effect: 'NoSchedule' },
    { key, effect: 'NoExecute' },
  ];
}

const sameTaint = (a: Taint, b: Taint) => a.key === b.key && a.effect === b.effect;
/** The taints this controller owns; others (the user's, the control-plane's) are left alone. */
const managed = (t: Taint) => (t.key === UNREACHABLE || t.key === NOT_READY) && (t.effect === 'NoSchedule' || t.effect === 'NoExecute');

/**
 * When a pod on a node with these NoExecute taints must go: at once for a taint it doesn't tolerate, after
 * tolerationSeconds for one it tolerates for a while, never (Infinity) once it tolerates one of them for good.
 */
export function evictionTime(pod: Pod, noExecute: Taint[], taintedSince: number[]): number {
  let deadline = 0;
  for (let i = 0; i < noExecute.length; i++) {
    const tol = (pod.spec.tolerations ?? []).find((t) => toleratesTaint(t, noExecute[i]));
    if (!tol) deadline = Math.max(deadline, taintedSince[i]);
    else if (tol.tolerationSeconds !== undefined) deadline = Math.max(deadline, taintedSince[i] + tol.tolerationSeconds * 1000);
    else deadline = Infinity;
  }
  return deadline;
}

export function computeNodeActions(o: NodeObserved): NodeActions {
  const { node, pods, now } = o;
  const actions: NodeActions = { podsNotReady: [], taintsToAdd: [], taintsToRemove: [], evict: [] };
  const stamp = formatTime(now);

  let ready = node.status?.conditions?.find((c) => c.type === 'Ready');
  const silentFor = now - Math.max(lastHeartbeat(node, o.lease), o.startedAt);
  if (silentFor > o.gracePeriodMs && ready?.status !== 'Unknown') {
    const conditions = (node.status?.conditions ?? []).map((c) => ({ ...c, status: 'Unknown' as const, reason: 'NodeStatusUnknown', message: 'Kubelet stopped posting node status.', lastTransitionTime: stamp }));
    if (!conditions.some((c) => c.type === 'Ready')) conditions.push({ type: 'Ready', status: 'Unknown', reason: 'NodeStatusNeverUpdated', message: 'Kubelet never posted node status.', lastTransitionTime: stamp, lastHeartbeatTime: stamp });
    actions.nodeConditions = conditions;
    ready = conditions.find((c) => c.type === 'Ready');
    for (const p of pods) {
      const conds = p.status?.conditions ?? [];
      if (!conds.some((c) => c.type === 'Ready' && c.status === 'True')) continue;
      actions.podsNotReady.push({ pod: p, conditions: conds.map((c) => (c.type === 'Ready' || c.type === 'ContainersReady' ? { ...c, status: 'False' as const, lastTransitionTime: stamp } : c)) });
    }
  }

  const want = wantedTaints(ready);
  const current = node.spec?.taints ?? [];
  actions.taintsToRemove = current.filter((t) => managed(t) && !want.some((w) => sameTaint(w, t)));
  actions.taintsToAdd = want.filter((w) => !current.some((t) => sameTaint(t, w))).map((t) => ({ ...t, timeAdded: stamp }));

  // Eviction follows the taints the node has now; taints added by this pass count from the next one.
  const noExecute = current.filter((t) => t.effect === 'NoExecute');
  if (noExecute.length) {
    const since = noExecute.map((t) => (t.timeAdded ? Date.parse(t.timeAdded) : (o.taintedAt ?? now)));
    actions.evict = pods.filter((p) => !p.metadata.deletionTimestamp && now >= evictionTime(p, noExecute, since));
  }
  return actions;
}

/** The node's taints after the change: the ones kept, in their order, then the added ones. */
export function applyTaints(current: Taint[], add: Taint[], remove: Taint[]): Taint[] {
  return [...current.filter((t) => !remove.some((r) => sameTaint(r, t) && (r.value ?? '') === (t.value ?? ''))), ...add];
}
