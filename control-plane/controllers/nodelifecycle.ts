// Node lifecycle: a node whose Lease (and status) stops being renewed for the grace period turns Ready=Unknown
// ("Kubelet stopped posting node status."), gets the unreachable taints, and its pods are marked not ready so
// Services stop sending them traffic. Pods that don't tolerate a NoExecute taint are evicted — immediately, or after
// their tolerationSeconds — so their controllers recreate them on healthy nodes.
import { isNotFound } from '../../api/errors.js';
import { logger } from '../../api/log.js';
import { Resources } from '../../api/resources.js';
import type { Condition, Lease, Node, Pod, Taint } from '../../api/types.js';
import { periodic, type Controller, type ControllerContext } from './controller.js';
import { formatTime } from '../../api/time.js';

const log = logger('node-lifecycle-controller');
const UNREACHABLE = 'node.kubernetes.io/unreachable';
const NOT_READY = 'node.kubernetes.io/not-ready';

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

export function nodeLifecycleController(ctx: ControllerContext): Controller {
  const { client, informers, config, recorder } = ctx;
  const nodes = informers.for<Node>(Resources.nodes);
  const leases = informers.for<Lease>(Resources.leases, { namespace: 'kube-node-lease' });
  const pods = informers.for<Pod>(Resources.pods);
  const startedAt = Date.now();
  const taintedAt = new Map<string, number>();

  async function tick(): Promise<void> {
    if (!nodes.hasSynced() || !leases.hasSynced() || !pods.hasSynced()) return;
    const grace = config.nodeMonitorGracePeriodSeconds * 1000;
    for (const node of nodes.list()) {
      const name = node.metadata.name!;
      const lease = leases.get(`kube-node-lease/${name}`);
      // After a control-plane restart every node gets a full grace period before being judged.
      const silentFor = Date.now() - Math.max(lastHeartbeat(node, lease), startedAt);
      let ready = node.status?.conditions?.find((c) => c.type === 'Ready');
      if (silentFor > grace && ready?.status !== 'Unknown') {
        const now = formatTime();
        const conditions = (node.status?.conditions ?? []).map((c) => ({ ...c, status: 'Unknown' as const, reason: 'NodeStatusUnknown', message: 'Kubelet stopped posting node status.', lastTransitionTime: now }));
        if (!conditions.some((c) => c.type === 'Ready')) conditions.push({ type: 'Ready', status: 'Unknown', reason: 'NodeStatusNeverUpdated', message: 'Kubelet never posted node status.', lastTransitionTime: now, lastHeartbeatTime: now });
        await client.patch(Resources.nodes, undefined, name, 'strategic', { status: { conditions } }, 'status');
        ready = conditions.find((c) => c.type === 'Ready');
        recorder.record({ ...node, kind: 'Node', apiVersion: 'v1' }, 'Normal', 'NodeNotReady', `Node ${name} status is now: NodeNotReady`);
        log.info({ node: name, silentFor }, 'node stopped posting status');
        await markPodsNotReady(name);
      }
      await reconcileTaints(node, wantedTaints(ready));
      await evict(node);
    }
  }

  async function reconcileTaints(node: Node, want: Taint[]): Promise<void> {
    const name = node.metadata.name!;
    const current = node.spec?.taints ?? [];
    const managed = (t: Taint) => (t.key === UNREACHABLE || t.key === NOT_READY) && (t.effect === 'NoSchedule' || t.effect === 'NoExecute');
    const keep = current.filter((t) => !managed(t) || want.some((w) => w.key === t.key && w.effect === t.effect));
    const add = want.filter((w) => !current.some((t) => t.key === w.key && t.effect === w.effect)).map((t) => ({ ...t, timeAdded: formatTime() }));
    if (!add.length && keep.length === current.length) return;
    const taints = [...keep, ...add];
    if (add.length) taintedAt.set(name, Date.now());
    await client.patch(Resources.nodes, undefined, name, 'merge', { spec: { taints: taints.length ? taints : null } });
  }

  async function markPodsNotReady(nodeName: string): Promise<void> {
    for (const p of pods.list().filter((p) => p.spec.nodeName === nodeName)) {
      const conds = p.status?.conditions ?? [];
      if (!conds.some((c) => c.type === 'Ready' && c.status === 'True')) continue;
      const now = formatTime();
      const conditions = conds.map((c) => (c.type === 'Ready' || c.type === 'ContainersReady' ? { ...c, status: 'False' as const, lastTransitionTime: now } : c));
      await client.patch(Resources.pods, p.metadata.namespace, p.metadata.name!, 'merge', { status: { conditions } }, 'status').catch((e) => (isNotFound(e) ? undefined : Promise.reject(e)));
    }
  }

  async function evict(node: Node): Promise<void> {
    const noExecute = (node.spec?.taints ?? []).filter((t) => t.effect === 'NoExecute');
    if (!noExecute.length) return;
    const since = noExecute.map((t) => (t.timeAdded ? Date.parse(t.timeAdded) : taintedAt.get(node.metadata.name!) ?? Date.now()));
    for (const p of pods.list().filter((p) => p.spec.nodeName === node.metadata.name && !p.metadata.deletionTimestamp)) {
      let deadline = 0;
      for (let i = 0; i < noExecute.length; i++) {
        const taint = noExecute[i];
        const tol = (p.spec.tolerations ?? []).find((t) => (t.effect === undefined || t.effect === 'NoExecute') && (t.operator === 'Exists' ? !t.key || t.key === taint.key : t.key === taint.key && (t.value ?? '') === (taint.value ?? '')));
        if (!tol) deadline = Math.max(deadline, since[i]);
        else if (tol.tolerationSeconds !== undefined) deadline = Math.max(deadline, since[i] + tol.tolerationSeconds * 1000);
        else deadline = Infinity;
      }
      if (deadline === Infinity || Date.now() < deadline) continue;
      log.info({ pod: `${p.metadata.namespace}/${p.metadata.name}`, node: node.metadata.name }, 'evicting pod from tainted node');
      recorder.record(p, 'Normal', 'TaintManagerEviction', `Marking for deletion Pod ${p.metadata.namespace}/${p.metadata.name}`);
      await client.delete(Resources.pods, p.metadata.namespace, p.metadata.name!).catch((e) => (isNotFound(e) ? undefined : Promise.reject(e)));
    }
  }

  const loop = periodic('node-lifecycle-controller', 5000, tick, (e) => log.warn({ err: (e as Error).message }, 'node lifecycle pass failed'));
  // A Ready change should move the taints at once, not at the next 5 s pass (pods would pile onto the other nodes).
  const ready = (x: Node) => x.status?.conditions?.find((c) => c.type === 'Ready')?.status;
  nodes.addHandlers({ onUpdate: (o, n) => ready(o) !== ready(n) && loop.kick() });
  return loop;
}
