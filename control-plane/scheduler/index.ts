// kube-scheduler: watches pods without a node, runs the filter plugins over every node, scores the ones that fit,
// binds to the best through pods/binding, and explains a failure in a FailedScheduling event and the pod's
// PodScheduled condition. Unschedulable pods are retried when nodes, pods or volumes change, and at least every 15 s.
import type { ApiClient } from '../../api/client.js';
import { isConflict, isNotFound } from '../../api/errors.js';
import { EventRecorder } from '../../api/events.js';
import { InformerFactory } from '../../api/informer.js';
import { logger } from '../../api/log.js';
import { Resources } from '../../api/resources.js';
import { BOUND_BY_CONTROLLER_ANNOTATION, objectKey, SELECTED_NODE_ANNOTATION, splitKey, type Node, type PersistentVolume, type PersistentVolumeClaim, type Pod, type StorageClass } from '../../api/types.js';
import { runWorkers, WorkQueue } from '../../api/workqueue.js';
import { filters as nodeFilters, scorers, type NodeInfo } from './plugins.js';
import { preempt } from './preemption.js';
import { volumeAssumptions, volumeBindingFilter, volumePreFilter, type VolumeState } from './volumebinding.js';
import { formatTime } from '../../api/time.js';
import { runLeaderElected, type ElectedComponent, type LeaderElectionConfig } from '../../api/leaderelection.js';

const log = logger('scheduler');
export const SCHEDULER_NAME = 'default-scheduler';

const needsScheduling = (p: Pod) => !p.spec.nodeName && !p.metadata.deletionTimestamp && (p.spec.schedulerName ?? SCHEDULER_NAME) === SCHEDULER_NAME && p.status?.phase !== 'Succeeded' && p.status?.phase !== 'Failed';
const terminal = (p: Pod) => p.status?.phase === 'Succeeded' || p.status?.phase === 'Failed';

export interface ScheduleResult {
  node?: string;
  /** "0/4 nodes are available: 1 node(s) had untolerated taint {…}, 3 Insufficient cpu." */
  message?: string;
}

/** The decision alone, pure: which node (if any) and why not. */
export function schedule(pod: Pod, nodes: NodeInfo[], volumes?: VolumeState): ScheduleResult {
  const notHelpful = `preemption: 0/${nodes.length} nodes are available: ${nodes.length} Preemption is not helpful for scheduling.`;
  const refused = volumes && volumePreFilter(pod, volumes);
  if (refused) return { message: `0/${nodes.length} nodes are available: ${refused}. ${notHelpful}` };
  const filters = volumes ? [...nodeFilters, volumeBindingFilter(volumes)] : nodeFilters;
  const feasible: NodeInfo[] = [];
  const reasons = new Map<string, number>();
  for (const n of nodes) {
    let why: string | undefined;
    for (const f of filters) {
      why = f.filter(pod, n);
      if (why) break;
    }
    if (why) for (const r of why.split(', ')) reasons.set(r, (reasons.get(r) ?? 0) + 1);
    else feasible.push(n);
  }
  if (!feasible.length) {
    // Sorted as formatted ("count reason"), as kube-scheduler's FitError does.
    const parts = [...reasons.entries()].map(([r, c]) => `${c} ${r}`).sort();
    const msg = `0/${nodes.length} nodes are available${parts.length ? ': ' + parts.join(', ') : ''}. preemption: 0/${nodes.length} nodes are available: ${nodes.length} Preemption is not helpful for scheduling.`;
    return { message: msg };
  }
  let best: NodeInfo[] = [];
  let bestScore = -Infinity;
  for (const n of feasible) {
    const s = scorers.reduce((acc, sc) => acc + sc.weight * sc.score(pod, n, feasible), 0);
    if (s > bestScore + 1e-9) {
      best = [n];
      bestScore = s;
    } else if (Math.abs(s - bestScore) <= 1e-9) best.push(n);
  }
  return { node: best[Math.floor(Math.random() * best.length)].node.metadata.name };
}

export interface SchedulerOptions {
  /** --leader-elect: schedule only while holding kube-system/kube-scheduler (so two can run). */
  leaderElection?: Omit<LeaderElectionConfig, 'name'>;
  /** Called when leadership is lost; the command exits, as kube-scheduler does. */
  onLeadershipLost?: () => void;
}

export async function startScheduler(client: ApiClient, o: SchedulerOptions = {}): Promise<ElectedComponent> {
  const election = o.leaderElection && { ...o.leaderElection, name: 'kube-scheduler' };
  return runLeaderElected(client, election, () => runScheduler(client), o.onLeadershipLost ?? (() => undefined));
}

async function runScheduler(client: ApiClient): Promise<{ close(): Promise<void> }> {
  const factory = new InformerFactory(client);
  const pods = factory.for<Pod>(Resources.pods);
  const nodes = factory.for<Node>(Resources.nodes);
  const claims = factory.for<PersistentVolumeClaim>(Resources.persistentvolumeclaims);
  const volumes = factory.for<PersistentVolume>(Resources.persistentvolumes);
  const classes = factory.for<StorageClass>(Resources.storageclasses);
  const queue = new WorkQueue(1000, 15_000);
  const recorder = new EventRecorder(client, 'default-scheduler');
  /** Pods bound by us that the informer hasn't shown bound yet: counted on their node meanwhile. */
  const assumed = new Map<string, { node: string; pod: Pod }>();
  const unschedulable = new Set<string>();

  pods.addHandlers({
    onAdd: (p) => needsScheduling(p) && queue.add(objectKey(p)),
    onUpdate: (_o, p) => {
      if (p.spec.nodeName) assumed.delete(p.metadata.uid!);
      if (needsScheduling(p)) queue.add(objectKey(p));
    },
    onDelete: (p) => {
      assumed.delete(p.metadata.uid!);
      // Freed room: retry what didn't fit.
      for (const k of unschedulable) queue.add(k);
    },
  });
  const retryAll = () => {
    for (const k of unschedulable) queue.add(k);
  };
  nodes.addHandlers({ onAdd: retryAll, onUpdate: retryAll });
  // A claim created or bound, a volume freed, a class added: pods waiting on their volumes may fit now.
  claims.addHandlers({ onAdd: retryAll, onUpdate: retryAll });
  volumes.addHandlers({ onAdd: retryAll, onUpdate: retryAll });
  classes.addHandlers({ onAdd: retryAll, onUpdate: retryAll });
  const volumeState = (): VolumeState => ({
    claim: (namespace, name) => claims.get(`${namespace}/${name}`),
    volumes: volumes.list(),
    classes: new Map(classes.list().map((c) => [c.metadata.name!, c])),
  });
  factory.start();
  await factory.waitForSync();

  const nodeInfos = (): NodeInfo[] => {
    const byNode = new Map<string, Pod[]>();
    for (const p of pods.list()) if (p.spec.nodeName && !terminal(p)) (byNode.get(p.spec.nodeName) ?? byNode.set(p.spec.nodeName, []).get(p.spec.nodeName)!).push(p);
    for (const { node, pod } of assumed.values()) (byNode.get(node) ?? byNode.set(node, []).get(node)!).push(pod);
    return nodes.list().map((node) => ({ node, pods: byNode.get(node.metadata.name!) ?? [] }));
  };

  const sync = async (key: string) => {
    const pod = pods.get(key);
    if (!pod || !needsScheduling(pod) || assumed.has(pod.metadata.uid!)) {
      unschedulable.delete(key);
      return;
    }
    const state = volumeState();
    const result = schedule(pod, nodeInfos(), state);
    const { namespace, name } = splitKey(key);
    if (!result.node) {
      unschedulable.add(key);
      await preemptFor(pod, namespace!, name);
      log.info({ pod: key, why: result.message }, 'unschedulable');
      recorder.record(pod, 'Warning', 'FailedScheduling', result.message!);
      const cond = { type: 'PodScheduled', status: 'False', reason: 'Unschedulable', message: result.message, lastProbeTime: null, lastTransitionTime: formatTime() };
      const existing = pod.status?.conditions?.find((c) => c.type === 'PodScheduled');
      if (existing?.message !== result.message)
        await client.patch(Resources.pods, namespace, name, 'strategic', { status: { conditions: [cond] } }, 'status').catch((e) => (isNotFound(e) ? undefined : Promise.reject(e)));
      queue.addAfter(key, 15_000);
      return;
    }
    unschedulable.delete(key);
    assumed.set(pod.metadata.uid!, { node: result.node, pod });
    try {
      await bindVolumes(pod, result.node, state);
      await client.createSubresource(Resources.pods, namespace, name, 'binding', { apiVersion: 'v1', kind: 'Binding', metadata: { name, namespace, uid: pod.metadata.uid }, target: { apiVersion: 'v1', kind: 'Node', name: result.node } });
      recorder.record(pod, 'Normal', 'Scheduled', `Successfully assigned ${namespace}/${name} to ${result.node}`);
    } catch (e) {
      assumed.delete(pod.metadata.uid!);
      if (isNotFound(e) || isConflict(e)) return; // gone, or bound by someone else
      throw e;
    }
  };
  /**
   * Makes room for a pod that fits nowhere by evicting lower-priority pods on one node: the node is nominated
   * (status.nominatedNodeName) and the victims deleted gracefully; the pod binds once they are gone.
   */
  async function preemptFor(pod: Pod, namespace: string, name: string): Promise<void> {
    const nominated = pod.status?.nominatedNodeName as string | undefined;
    // A nomination whose victims are still going waits for them rather than preempting more.
    if (nominated && pods.list().some((p) => p.spec.nodeName === nominated && p.metadata.deletionTimestamp && (p.spec.priority ?? 0) < (pod.spec.priority ?? 0))) return;
    const choice = preempt(pod, nodeInfos());
    if (!choice) return;
    await client.patch(Resources.pods, namespace, name, 'merge', { status: { nominatedNodeName: choice.node } }, 'status').catch((e) => (isNotFound(e) ? undefined : Promise.reject(e)));
    for (const victim of choice.victims) {
      recorder.record(victim, 'Normal', 'Preempted', `Preempted by pod ${pod.metadata.uid} on node ${choice.node}`);
      await client.delete(Resources.pods, victim.metadata.namespace, victim.metadata.name!).catch((e) => (isNotFound(e) ? undefined : Promise.reject(e)));
    }
    log.info({ pod: `${namespace}/${name}`, node: choice.node, victims: choice.victims.map((v) => v.metadata.name) }, 'preempted');
  }

  /** The volume binding plugin's PreBind: reserve a free volume on the node, or ask the provisioner there for one. */
  const bindVolumes = async (pod: Pod, nodeName: string, state: VolumeState) => {
    const node = nodes.get(nodeName);
    if (!node) return;
    for (const a of volumeAssumptions(pod, node, state)) {
      const c = a.claim;
      if (a.type === 'selectNode') {
        await client.patch(Resources.persistentvolumeclaims, c.metadata.namespace, c.metadata.name!, 'merge', { metadata: { annotations: { [SELECTED_NODE_ANNOTATION]: a.node } } });
        continue;
      }
      const v = a.volume;
      const claimRef = { kind: 'PersistentVolumeClaim', apiVersion: 'v1', namespace: c.metadata.namespace, name: c.metadata.name, uid: c.metadata.uid, resourceVersion: c.metadata.resourceVersion };
      await client.update(Resources.persistentvolumes, { ...v, metadata: { ...v.metadata, annotations: { ...v.metadata.annotations, [BOUND_BY_CONTROLLER_ANNOTATION]: 'yes' } }, spec: { ...v.spec, claimRef } });
    }
  };
  const workers = runWorkers('scheduler', queue, 1, sync);
  log.info('scheduler started');
  return {
    async close() {
      queue.close();
      await workers;
      await factory.close();
    },
  };
}
