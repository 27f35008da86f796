// Filter and score plugins, each a pure function of (pod, node, node's pods) as the scheduler framework runs them.
// A filter returns the reason a node does not fit (aggregated into FailedScheduling's message) or undefined.
import { matches, fromLabelSelector } from '../../api/labels.js';
import { milliCPU, parseQuantity } from '../../api/quantity.js';
import type { Node, Pod, Taint, Toleration } from '../../api/types.js';
import { tolerates } from '../../api/taints.js';
import { fitsNodeAffinity } from '../../api/nodeaffinity.js';

export interface NodeInfo {
  node: Node;
  pods: Pod[];
}

export interface Filter {
  name: string;
  filter(pod: Pod, n: NodeInfo): string | undefined;
}

export interface Scorer {
  name: string;
  weight: number;
  /** 0..100 */
  score(pod: Pod, n: NodeInfo, all: NodeInfo[]): number;
}

/**
 * Requests computed once per pod spec: the filters and scorers read every placed pod's requests on every node they
 * look at (kube-scheduler keeps them summed in its NodeInfo), and objects from the informer are never changed in place.
 */
const requestsOf = new WeakMap<Pod['spec'], { cpu: number; memory: number }>();

export function podRequests(pod: Pod): { cpu: number; memory: number } {
  let r = requestsOf.get(pod.spec);
  if (!r) requestsOf.set(pod.spec, (r = computeRequests(pod)));
  return r;
}

function computeRequests(pod: Pod): { cpu: number; memory: number } {
  let cpu = 0;
  let memory = 0;
  for (const c of pod.spec.containers ?? []) {
    cpu += milliCPU(c.resources?.requests?.cpu);
    memory += parseQuantity(c.resources?.requests?.memory);
  }
  for (const c of pod.spec.initContainers ?? []) {
    cpu = Math.max(cpu, milliCPU(c.resources?.requests?.cpu));
    memory = Math.max(memory, parseQuantity(c.resources?.requests?.memory));
  }
  return { cpu, memory };
}

/** What a node's pods request, summed (kube-scheduler's NodeInfo.Requested and NonZeroRequested). */
export interface Requested {
  cpu: number;
  memory: number;
  /** Counting 100m for a pod that requests no cpu and 200Mi for one that requests no memory, as scoring does. */
  nonZeroCpu: number;
  nonZeroMemory: number;
}

const DEFAULT_MILLI_CPU = 100;
const DEFAULT_MEMORY = 200 * 2 ** 20;

/** Sums kept beside a pod list by the one owner that changes it (the scheduler cache); other lists are summed when read. */
const keptSums = new WeakMap<Pod[], Requested>();

/** Adds (sign 1) or takes away (-1) one pod's requests; a malformed quantity counts as none, so sums stay whole. */
export function countRequests(sum: Requested, pod: Pod, sign: 1 | -1): void {
  const r = podRequests(pod);
  const cpu = Number.isFinite(r.cpu) ? r.cpu : 0;
  const memory = Number.isFinite(r.memory) ? r.memory : 0;
  sum.cpu += sign * cpu;
  sum.memory += sign * memory;
  sum.nonZeroCpu += sign * (cpu || DEFAULT_MILLI_CPU);
  sum.nonZeroMemory += sign * (memory || DEFAULT_MEMORY);
}

/** Starts keeping the sums of `pods`: the caller counts every pod it adds or removes there from now on. */
export function keepRequested(pods: Pod[]): Requested {
  const sum = sumRequests(pods);
  keptSums.set(pods, sum);
  return sum;
}

function sumRequests(pods: Pod[]): Requested {
  const sum = { cpu: 0, memory: 0, nonZeroCpu: 0, nonZeroMemory: 0 };
  for (const p of pods) countRequests(sum, p, 1);
  return sum;
}

const requestedOn = (pods: Pod[]): Requested => keptSums.get(pods) ?? sumRequests(pods);

/** A node's allocatable, parsed once per status object (a status update brings a new one). */
const allocatableOf = new WeakMap<object, { cpu: number; memory: number; pods: number }>();

function allocatable(node: Node): { cpu: number; memory: number; pods: number } {
  const status = node.status ?? {};
  let a = allocatableOf.get(status);
  if (!a) {
    const alloc = node.status?.allocatable ?? {};
    allocatableOf.set(status, (a = { cpu: milliCPU(alloc.cpu ?? '0'), memory: parseQuantity(alloc.memory ?? '0'), pods: Number(alloc.pods ?? 110) }));
  }
  return a;
}

const nodeUnschedulable: Filter = {
  name: 'NodeUnschedulable',
  filter(pod, { node }) {
    if (!node.spec?.unschedulable) return undefined;
    const ok = tolerates(pod.spec.tolerations, { key: 'node.kubernetes.io/unschedulable', effect: 'NoSchedule' });
    return ok ? undefined : 'node(s) were unschedulable';
  },
};

const taintToleration: Filter = {
  name: 'TaintToleration',
  filter(pod, { node }) {
    for (const taint of node.spec?.taints ?? []) {
      if (taint.effect !== 'NoSchedule' && taint.effect !== 'NoExecute') continue;
      if (!tolerates(pod.spec.tolerations, taint)) return `node(s) had untolerated taint {${taint.key}: ${taint.value ?? ''}}`;
    }
    return undefined;
  },
};

const nodeAffinity: Filter = {
  name: 'NodeAffinity',
  filter(pod, { node }) {
    return fitsNodeAffinity(pod.spec, node) ? undefined : "node(s) didn't match Pod's node affinity/selector";
  },
};

const nodeName: Filter = {
  name: 'NodeName',
  filter: (pod, { node }) => (pod.spec.nodeName && pod.spec.nodeName !== node.metadata.name ? "node(s) didn't match the requested node name" : undefined),
};

function hostPorts(pod: Pod): string[] {
  return (pod.spec.containers ?? []).flatMap((c) => (c.ports ?? []).filter((p) => p.hostPort).map((p) => `${p.protocol ?? 'TCP'}/${p.hostPort}`));
}

const nodePorts: Filter = {
  name: 'NodePorts',
  filter(pod, { pods }) {
    const want = hostPorts(pod);
    if (!want.length) return undefined;
    const used = new Set(pods.flatMap(hostPorts));
    return want.some((p) => used.has(p)) ? "node(s) didn't have free ports for the requested pod ports" : undefined;
  },
};

const fit: Filter = {
  name: 'NodeResourcesFit',
  filter(pod, { node, pods }) {
    const alloc = allocatable(node);
    const req = podRequests(pod);
    const { cpu, memory } = requestedOn(pods);
    const reasons: string[] = [];
    if (pods.length + 1 > alloc.pods) reasons.push('Too many pods');
    if (req.cpu > 0 && cpu + req.cpu > alloc.cpu) reasons.push('Insufficient cpu');
    if (req.memory > 0 && memory + req.memory > alloc.memory) reasons.push('Insufficient memory');
    return reasons.length ? reasons.join(', ') : undefined;
  },
};

export const filters: Filter[] = [nodeUnschedulable, nodeName, taintToleration, nodeAffinity, nodePorts, fit];

const leastAllocated: Scorer = {
  name: 'NodeResourcesLeastAllocated',
  weight: 1,
  score(pod, { node, pods }) {
    const alloc = allocatable(node);
    const capCPU = alloc.cpu || 1;
    const capMem = alloc.memory || 1;
    const req = podRequests(pod);
    const used = requestedOn(pods);
    // kube-scheduler counts 100m / 200Mi for pods without requests
    const cpu = (req.cpu || DEFAULT_MILLI_CPU) + used.nonZeroCpu;
    const mem = (req.memory || DEFAULT_MEMORY) + used.nonZeroMemory;
    return Math.max(0, (((capCPU - cpu) / capCPU) * 100 + ((capMem - mem) / capMem) * 100) / 2);
  },
};

/** The pods like `pod` on each node: counted once per scheduling cycle (the list of feasible nodes), not per node. */
const spreadCounts = new WeakMap<NodeInfo[], { pod: Pod; counts: Map<NodeInfo, number>; max: number }>();

/** Pods of one controller (or with the same labels) go to the nodes that have fewest of them: replicas spread. */
const selectorSpread: Scorer = {
  name: 'SelectorSpread',
  weight: 10,
  score(pod, n, all) {
    let c = spreadCounts.get(all);
    if (c?.pod !== pod) {
      const owner = pod.metadata.ownerReferences?.find((o) => o.controller)?.uid;
      const labels = pod.metadata.labels ?? {};
      const selector = owner || !Object.keys(labels).length ? undefined : fromLabelSelector({ matchLabels: labels }) ?? [];
      const same = (p: Pod) => (owner ? !!p.metadata.ownerReferences?.some((o) => o.uid === owner) : !!selector && matches(selector, p.metadata.labels));
      const counts = new Map(all.map((ni) => [ni, ni.pods.filter(same).length] as const));
      c = { pod, counts, max: Math.max(...counts.values(), 0) };
      spreadCounts.set(all, c);
    }
    if (c.max === 0) return 100;
    return ((c.max - (c.counts.get(n) ?? 0)) / c.max) * 100;
  },
};

const taintPreference: Scorer = {
  name: 'TaintToleration',
  weight: 1,
  score(pod, { node }) {
    const bad = (node.spec?.taints ?? []).filter((t) => t.effect === 'PreferNoSchedule' && !tolerates(pod.spec.tolerations, t)).length;
    return Math.max(0, 100 - bad * 50);
  },
};

export const scorers: Scorer[] = [leastAllocated, selectorSpread, taintPreference];
