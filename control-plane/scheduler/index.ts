// kube-scheduler: watches pods without a node, runs the filter plugins over every node, scores the ones that fit,
// binds to the best through pods/binding, and explains a failure in a FailedScheduling event and the pod's
// PodScheduled condition. Unschedulable pods are retried when nodes, pods or volumes change, and at least every 15 s.
import { DISRUPTION_TARGET, PREEMPTION_BY_SCHEDULER } from '../../api/pods.js';
import type { ApiClient } from '../../api/client.js';
import { isConflict, isNotFound } from '../../api/errors.js';
import type { PodDisruptionBudget } from '../../api/disruption.js';
import { EventRecorder } from '../../api/events.js';
import { InformerFactory } from '../../api/informer.js';
import { logger } from '../../api/log.js';
import { Resources } from '../../api/resources.js';
import { BOUND_BY_CONTROLLER_ANNOTATION, objectKey, SELECTED_NODE_ANNOTATION, splitKey, type Node, type PersistentVolume, type PersistentVolumeClaim, type Pod, type Service, type StorageClass } from '../../api/types.js';
import { runWorkers, WorkQueue } from '../../api/workqueue.js';
import { SchedulerCache } from './cache.js';
import { filters as nodeFilters, scorers, type NodeInfo, type ScoreContext } from './plugins.js';
import { preempt } from './preemption.js';
import { volumeAssumptions, volumeBindingFilter, volumePreFilter, type VolumeState } from './volumebinding.js';
import { formatTime } from '../../api/time.js';
import { runLeaderElected, type ElectedComponent, type LeaderElectionConfig } from '../../api/leaderelection.js';
import type { AttemptResult, SchedulerMetrics } from './metrics.js';

const log = logger('scheduler');
export const SCHEDULER_NAME = 'default-scheduler';

const needsScheduling = (p: Pod) => !p.spec.nodeName && !p.metadata.deletionTimestamp && (p.spec.schedulerName ?? SCHEDULER_NAME) === SCHEDULER_NAME && p.status?.phase !== 'Succeeded' && p.status?.phase !== 'Failed';

export interface ScheduleResult {
  node?: string;
  /** "0/4 nodes are available: 1 node(s) had untolerated taint {…}, 3 Insufficient cpu." */
  message?: string;
}

/**
 * How many feasible nodes to look for before scoring (kube-scheduler's numFeasibleNodesToFind with the adaptive
 * percentageOfNodesToScore): every node in small clusters, else 50 % less 1 % per 125 nodes, at least 5 % and at
 * least 100 nodes.
 */
export function feasibleNodesToFind(nodes: number): number {
  const MIN_NODES = 100;
  if (nodes < MIN_NODES) return nodes;
  const percentage = Math.max(5, 50 - Math.floor(nodes / 125));
  return Math.max(MIN_NODES, Math.floor((nodes * percentage) / 100));
}

export interface ScheduleOptions {
  /** Where the search for feasible nodes starts (kube-scheduler moves it on by the nodes each cycle looked at). */
  startIndex?: number;
  /** Claims, volumes and classes, for the volume binding plugin (without: pods' volumes are not considered). */
  volumes?: VolumeState;
  /** The Services in the pod's namespace, for spreading (without: only a controller's pods are spread). */
  services?: Service[];
}

/**
 * The decision alone, pure: which node (if any) and why not. Filters run over the nodes from startIndex until enough
 * feasible ones are found (feasibleNodesToFind); only those are scored. A pod that fits nowhere has been checked
 * against every node, so the message accounts for all.
 */
export function schedule(pod: Pod, nodes: NodeInfo[], o: ScheduleOptions = {}): ScheduleResult & { evaluated: number } {
  const notHelpful = `preemption: 0/${nodes.length} nodes are available: ${nodes.length} Preemption is not helpful for scheduling.`;
  const refused = o.volumes && volumePreFilter(pod, o.volumes);
  if (refused) return { message: `0/${nodes.length} nodes are available: ${refused}. ${notHelpful}`, evaluated: 0 };
  const filters = (o.volumes ? [...nodeFilters, volumeBindingFilter(o.volumes)] : nodeFilters).filter((f) => !f.skips?.(pod));
  const feasible: NodeInfo[] = [];
  const reasons = new Map<string, number>();
  const want = feasibleNodesToFind(nodes.length);
  const start = nodes.length ? (o.startIndex ?? 0) % nodes.length : 0;
  let evaluated = 0;
  for (; evaluated < nodes.length && feasible.length < want; evaluated++) {
    const n = nodes[(start + evaluated) % nodes.length]!;
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
    const msg = `0/${nodes.length} nodes are available${parts.length ? ': ' + parts.join(', ') : ''}. ${notHelpful}`;
    return { message: msg, evaluated };
  }
  let best: NodeInfo[] = [];
  let bestScore = -Infinity;
  const ctx: ScoreContext = { feasible, services: o.services ?? [] };
  for (const n of feasible) {
    const s = scorers.reduce((acc, sc) => acc + sc.weight * sc.score(pod, n, ctx), 0);
    if (s > bestScore + 1e-9) {
      best = [n];
      bestScore = s;
    } else if (Math.abs(s - bestScore) <= 1e-9) best.push(n);
  }
  return { node: best[Math.floor(Math.random() * best.length)].node.metadata.name, evaluated };
}

/**
 * The nodes as a pod of this priority must see them (addNominatedPods): pods of at least its priority nominated to a
 * node count there, so the room preemption freed for them is not taken by a less important pod.
 */
export function withNominatedPods(nodes: NodeInfo[], pod: Pod, nominated: Iterable<Pod>): NodeInfo[] {
  const extra = new Map<string, Pod[]>();
  for (const p of nominated) {
    if (p.metadata.uid === pod.metadata.uid || (p.spec.priority ?? 0) < (pod.spec.priority ?? 0)) continue;
    const node = p.status!.nominatedNodeName!;
    extra.set(node, [...(extra.get(node) ?? []), p]);
  }
  if (!extra.size) return nodes;
  return nodes.map((n) => {
    const more = extra.get(n.node.metadata.name!);
    return more ? { node: n.node, pods: [...n.pods, ...more] } : n;
  });
}

export interface SchedulerOptions {
  /** --leader-elect: schedule only while holding kube-system/kube-scheduler (so two can run). */
  leaderElection?: Omit<LeaderElectionConfig, 'name'>;
  /** Called when leadership is lost; the command exits, as kube-scheduler does. */
  onLeadershipLost?: () => void;
  /** Told of every pod bound, with its attempt's duration from dequeue to binding written (the bench's latency). */
  onBound?: (key: string, node: string, attemptMs: number) => void;
  /** Where attempts and pending pods are counted (served on the secure port). */
  metrics?: SchedulerMetrics;
}

/**
 * Bindings under way at once (kube-scheduler's binding cycles run apart from the next scheduling cycle). Twice the
 * client's 32 connections: a connection that frees takes a binding already waiting, instead of idling while the
 * scheduling cycle places the next pod (at 32, the bench's 5000 nodes / 10 000 pods ran ~20-30% slower, both processes
 * partly idle).
 */
const MAX_BINDINGS_IN_FLIGHT = 64;

export async function startScheduler(client: ApiClient, o: SchedulerOptions = {}): Promise<ElectedComponent> {
  const election = o.leaderElection && { ...o.leaderElection, name: 'kube-scheduler' };
  return runLeaderElected(client, election, () => runScheduler(client, o.onBound, o.metrics), o.onLeadershipLost ?? (() => undefined));
}

async function runScheduler(client: ApiClient, onBound: SchedulerOptions['onBound'], metrics?: SchedulerMetrics): Promise<{ close(): Promise<void> }> {
  const factory = new InformerFactory(client);
  const pods = factory.for<Pod>(Resources.pods);
  const nodes = factory.for<Node>(Resources.nodes);
  const claims = factory.for<PersistentVolumeClaim>(Resources.persistentvolumeclaims);
  const volumes = factory.for<PersistentVolume>(Resources.persistentvolumes);
  const classes = factory.for<StorageClass>(Resources.storageclasses);
  const budgets = factory.for<PodDisruptionBudget>(Resources.poddisruptionbudgets);
  const services = factory.for<Service>(Resources.services);
  const queue = new WorkQueue(1000, 15_000);
  const recorder = new EventRecorder(client, 'default-scheduler');
  const cache = new SchedulerCache();
  const unschedulable = new Set<string>();
  /** Pending pods nominated to a node by preemption (the scheduling queue's nominator), by uid. */
  const nominated = new Map<string, Pod>();
  const nominate = (p: Pod) => {
    if (needsScheduling(p) && p.status?.nominatedNodeName) nominated.set(p.metadata.uid!, p);
    else nominated.delete(p.metadata.uid!);
  };
  const bindings = new Set<Promise<void>>();
  let nextStartNodeIndex = 0;

  pods.addHandlers({
    onAdd: (p) => {
      cache.setPod(p);
      nominate(p);
      if (needsScheduling(p)) queue.add(objectKey(p));
    },
    onUpdate: (_o, p) => {
      cache.setPod(p);
      nominate(p);
      if (needsScheduling(p)) queue.add(objectKey(p));
    },
    onDelete: (p) => {
      cache.deletePod(p);
      nominated.delete(p.metadata.uid!);
      // Freed room: retry what didn't fit.
      for (const k of unschedulable) queue.add(k);
    },
  });
  const retryAll = () => {
    for (const k of unschedulable) queue.add(k);
  };
  nodes.addHandlers({
    onAdd: (n) => {
      cache.setNode(n);
      retryAll();
    },
    onUpdate: (_o, n) => {
      cache.setNode(n);
      retryAll();
    },
    onDelete: (n) => cache.deleteNode(n),
  });
  // A claim created or bound, a volume freed, a class added: pods waiting on their volumes may fit now.
  claims.addHandlers({ onAdd: retryAll, onUpdate: retryAll });
  volumes.addHandlers({ onAdd: retryAll, onUpdate: retryAll });
  classes.addHandlers({ onAdd: retryAll, onUpdate: retryAll });
  /** The Services of each namespace, grouped again only after one changes. */
  let servicesByNamespace: Map<string, Service[]> | undefined;
  const regroupServices = () => (servicesByNamespace = undefined);
  services.addHandlers({ onAdd: regroupServices, onUpdate: regroupServices, onDelete: regroupServices });
  const servicesIn = (namespace: string | undefined): Service[] => {
    if (!servicesByNamespace) {
      servicesByNamespace = new Map();
      for (const svc of services.list()) {
        const ns = svc.metadata.namespace ?? '';
        const list = servicesByNamespace.get(ns);
        if (list) list.push(svc);
        else servicesByNamespace.set(ns, [svc]);
      }
    }
    return servicesByNamespace.get(namespace ?? '') ?? [];
  };
  const volumeState = (): VolumeState => ({
    claim: (namespace, name) => claims.get(`${namespace}/${name}`),
    volumes: volumes.list(),
    classes: new Map(classes.list().map((c) => [c.metadata.name!, c])),
  });
  factory.start();
  await factory.waitForSync();

  /** The binding cycle: writes the binding apart from the scheduling cycle, which goes on to the next pod. */
  const bind = async (pod: Pod, key: string, node: string, started: number, state: VolumeState) => {
    const { namespace, name } = splitKey(key);
    try {
      await bindVolumes(pod, node, state);
      await client.createSubresource(Resources.pods, namespace, name, 'binding', { apiVersion: 'v1', kind: 'Binding', metadata: { name, namespace, uid: pod.metadata.uid }, target: { apiVersion: 'v1', kind: 'Node', name: node } });
      onBound?.(key, node, performance.now() - started);
      void recorder.record(pod, 'Normal', 'Scheduled', `Successfully assigned ${namespace}/${name} to ${node}`);
    } catch (e) {
      cache.forget(pod.metadata.uid!);
      if (isNotFound(e) || isConflict(e)) return; // gone, or bound by someone else
      log.warn({ pod: key, err: (e as Error).message }, 'binding failed; retrying');
      queue.addRateLimited(key);
    }
  };

  /** One scheduling attempt, counted by its result (kube-scheduler's schedule_attempts_total). */
  const sync = async (key: string) => {
    const started = performance.now();
    let result: AttemptResult | undefined = 'error';
    try {
      result = await attempt(key, started);
    } finally {
      if (result) metrics?.attempt(result, SCHEDULER_NAME, (performance.now() - started) / 1000);
    }
  };
  const attempt = async (key: string, started: number): Promise<AttemptResult | undefined> => {
    const pod = pods.get(key);
    if (!pod || !needsScheduling(pod) || cache.isAssumed(pod.metadata.uid!)) {
      unschedulable.delete(key);
      return undefined;
    }
    const all = cache.nodeInfos();
    const state = volumeState();
    const result = schedule(pod, withNominatedPods(all, pod, nominated.values()), { startIndex: nextStartNodeIndex, volumes: state, services: servicesIn(pod.metadata.namespace) });
    nextStartNodeIndex = all.length ? (nextStartNodeIndex + result.evaluated) % all.length : 0;
    const { namespace, name } = splitKey(key);
    if (!result.node) {
      unschedulable.add(key);
      const nominatedNode = await preemptFor(pod);
      log.info({ pod: key, why: result.message }, 'unschedulable');
      recorder.record(pod, 'Warning', 'FailedScheduling', result.message!);
      const cond = { type: 'PodScheduled', status: 'False', reason: 'Unschedulable', message: result.message, lastProbeTime: null, lastTransitionTime: formatTime() };
      const existing = pod.status?.conditions?.find((c) => c.type === 'PodScheduled');
      const nomination = nominatedNode && nominatedNode !== pod.status?.nominatedNodeName ? { nominatedNodeName: nominatedNode } : {};
      // The condition and the nomination in one status patch, as kube-scheduler's updatePod writes them.
      if (existing?.message !== result.message || nominatedNode) {
        await client.patch(Resources.pods, namespace, name, 'strategic', { status: { conditions: [cond], ...nomination } }, 'status').catch((e) => (isNotFound(e) ? undefined : Promise.reject(e)));
        if (nominatedNode) nominate({ ...pod, status: { ...pod.status, nominatedNodeName: nominatedNode } });
      }
      queue.addAfter(key, 15_000);
      return 'unschedulable';
    }
    unschedulable.delete(key);
    cache.assume(pod, result.node);
    const b = bind(pod, key, result.node, started, state).finally(() => bindings.delete(b));
    bindings.add(b);
    // Back-pressure: the next scheduling cycle waits while the most bindings are in flight.
    while (bindings.size >= MAX_BINDINGS_IN_FLIGHT) await Promise.race(bindings);
    return 'scheduled';
  };
  /**
   * Makes room for a pod that fits nowhere by evicting lower-priority pods on one node (prepareCandidate): each victim
   * is marked DisruptionTarget, deleted gracefully and told why in a Preempted event; lower-priority pods nominated to
   * that node lose their nomination. Returns the node to nominate; the pod binds there once the victims are gone.
   */
  async function preemptFor(pod: Pod): Promise<string | undefined> {
    const priority = pod.spec.priority ?? 0;
    const onNode = (node: string) => cache.nodeInfos().find((n) => n.node.metadata.name === node)?.pods ?? [];
    // PodEligibleToPreemptOthers: while victims on its nominated node are still terminating, preempt no more.
    const current = pod.status?.nominatedNodeName;
    if (current && onNode(current).some((p) => p.metadata.deletionTimestamp && (p.spec.priority ?? 0) < priority)) return undefined;
    const choice = preempt(pod, cache.nodeInfos(), budgets.list());
    if (!choice) return undefined;
    const schedulerName = pod.spec.schedulerName ?? SCHEDULER_NAME;
    const gone = (e: unknown) => (isNotFound(e) ? undefined : Promise.reject(e));
    await Promise.all(
      choice.victims.map(async (victim) => {
        const namespace = victim.metadata.namespace;
        const name = victim.metadata.name!;
        const disruption = { type: DISRUPTION_TARGET, status: 'True', reason: PREEMPTION_BY_SCHEDULER, message: `${schedulerName}: preempting to accommodate a higher priority pod`, lastTransitionTime: formatTime() };
        await client.patch(Resources.pods, namespace, name, 'strategic', { status: { conditions: [disruption] } }, 'status').catch(gone);
        await client.delete(Resources.pods, namespace, name).catch(gone);
        void recorder.record(victim, 'Normal', 'Preempted', `Preempted by pod ${pod.metadata.uid} on node ${choice.node}`);
      }),
    );
    for (const p of nominated.values()) {
      if (p.status?.nominatedNodeName !== choice.node || (p.spec.priority ?? 0) >= priority || p.metadata.uid === pod.metadata.uid) continue;
      await client.patch(Resources.pods, p.metadata.namespace, p.metadata.name!, 'merge', { status: { nominatedNodeName: null } }, 'status').catch(gone);
    }
    log.info({ pod: objectKey(pod), node: choice.node, victims: choice.victims.map((v) => objectKey(v)) }, 'preempted');
    return choice.node;
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
  metrics?.setPending({ active: () => queue.length, unschedulable: () => unschedulable.size });
  const workers = runWorkers('scheduler', queue, 1, sync);
  log.info('scheduler started');
  return {
    async close() {
      metrics?.setPending(undefined);
      queue.close();
      await workers;
      await Promise.all(bindings);
      await factory.close();
    },
  };
}
