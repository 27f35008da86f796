// Filter and score plugins, each a pure function of (pod, node, node's pods) as the scheduler framework runs them.
// A filter returns the reason a node does not fit (aggregated into FailedScheduling's message) or undefined.
import { matches, fromLabelSelector, selects } from '../../api/labels.js';
import { milliCPU, parseQuantity } from '../../api/quantity.js';
import type { Node, Pod, Service, Taint, Toleration } from '../../api/types.js';
import { tolerates } from '../../api/taints.js';
import { constrainsNodes, fitsNodeAffinity } from '../../api/nodeaffinity.js';

export interface NodeInfo {
  node: Node;
  pods: Pod[];
}

export interface Filter {
  name: string;
  /** PreFilter's Skip: the pod asks nothing this filter checks, so it is not run on any node for it. */
  skips?(pod: Pod): boolean;
  filter(pod: Pod, n: NodeInfo): string | undefined;
}

/** What scoring reads besides the pod and the node: made once per scheduling cycle. */
export interface ScoreContext {
  /** The nodes that passed the filters: the ones being scored. */
  feasible: NodeInfo[];
  /** The Services in the pod's namespace: those selecting it decide which pods spreading counts as its peers. */
  services: Service[];
}

export interface Scorer {
  name: string;
  weight: number;
  /** 0..100 */
  score(pod: Pod, n: NodeInfo, ctx: ScoreContext): number;
}

/**
 * `compute`, once per object: the filters and scorers read every placed pod's spec and every node's status on every
 * node they look at, and objects from the informer are never changed in place (an update brings new ones).
 */
function oncePer<K extends object, V>(compute: (k: K) => V): (k: K) => V {
  const computed = new WeakMap<K, V>();
  return (k) => {
    let v = computed.get(k);
    if (v === undefined) computed.set(k, (v = compute(k)));
    return v;
  };
}

/** A pod's requests (kube-scheduler keeps them summed in its NodeInfo), computed once per pod spec. */
const requestsOf = oncePer((spec: Pod['spec']): { cpu: number; memory: number } => {
  let cpu = 0;
  let memory = 0;
  for (const c of spec.containers ?? []) {
    cpu += milliCPU(c.resources?.requests?.cpu);
    memory += parseQuantity(c.resources?.requests?.memory);
  }
  for (const c of spec.initContainers ?? []) {
    cpu = Math.max(cpu, milliCPU(c.resources?.requests?.cpu));
    memory = Math.max(memory, parseQuantity(c.resources?.requests?.memory));
  }
  return { cpu, memory };
});

export const podRequests = (pod: Pod): { cpu: number; memory: number } => requestsOf(pod.spec);

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
const allocatableOf = oncePer((status: NonNullable<Node['status']>): { cpu: number; memory: number; pods: number } => {
  const alloc = status.allocatable ?? {};
  return { cpu: milliCPU(alloc.cpu ?? '0'), memory: parseQuantity(alloc.memory ?? '0'), pods: Number(alloc.pods ?? 110) };
});

const NO_STATUS: NonNullable<Node['status']> = {};
const allocatable = (node: Node) => allocatableOf(node.status ?? NO_STATUS);

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
  skips: (pod) => !constrainsNodes(pod.spec),
  filter(pod, { node }) {
    return fitsNodeAffinity(pod.spec, node) ? undefined : "node(s) didn't match Pod's node affinity/selector";
  },
};

const nodeName: Filter = {
  name: 'NodeName',
  skips: (pod) => !pod.spec.nodeName,
  filter: (pod, { node }) => (pod.spec.nodeName && pod.spec.nodeName !== node.metadata.name ? "node(s) didn't match the requested node name" : undefined),
};

/** A pod's host ports, found once per pod spec (the filter asks for the pod's own on every node it looks at). */
const hostPortsOf = oncePer((spec: Pod['spec']): string[] => (spec.containers ?? []).flatMap((c) => (c.ports ?? []).filter((p) => p.hostPort).map((p) => `${p.protocol ?? 'TCP'}/${p.hostPort}`)));
const hostPorts = (pod: Pod) => hostPortsOf(pod.spec);

const nodePorts: Filter = {
  name: 'NodePorts',
  skips: (pod) => !hostPorts(pod).length,
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
    const tooMany = pods.length + 1 > alloc.pods;
    const noCpu = req.cpu > 0 && cpu + req.cpu > alloc.cpu;
    const noMemory = req.memory > 0 && memory + req.memory > alloc.memory;
    if (!tooMany && !noCpu && !noMemory) return undefined;
    return [tooMany && 'Too many pods', noCpu && 'Insufficient cpu', noMemory && 'Insufficient memory'].filter(Boolean).join(', ');
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

/**
 * Which pods count as `pod`'s peers when spreading, as kube-scheduler's default spreading picks them
 * (helper.DefaultSelector): the pods of its controller, else the pods that the Services selecting it select, in its
 * namespace. A pod with neither is not spread.
 */
export function spreadPeers(pod: Pod, services: Service[]): ((p: Pod) => boolean) | undefined {
  const namespace = pod.metadata.namespace;
  const owner = pod.metadata.ownerReferences?.find((o) => o.controller)?.uid;
  if (owner) return (p) => p.metadata.namespace === namespace && !!p.metadata.ownerReferences?.some((o) => o.uid === owner);
  const selecting = services.filter((svc) => selects(svc, pod));
  if (!selecting.length) return undefined;
  const selector = fromLabelSelector({ matchLabels: Object.assign({}, ...selecting.map((svc) => svc.spec.selector)) })!;
  return (p) => p.metadata.namespace === namespace && matches(selector, p.metadata.labels);
}

/** The peers of `pod` on each feasible node: counted once per scheduling cycle (its context), not per node. */
const spreadCounts = new WeakMap<ScoreContext, { pod: Pod; counts?: Map<NodeInfo, number>; max: number }>();

/** Replicas go to the nodes that have fewest of their peers. */
const selectorSpread: Scorer = {
  name: 'SelectorSpread',
  weight: 10,
  score(pod, n, ctx) {
    let c = spreadCounts.get(ctx);
    if (c?.pod !== pod) {
      const peer = spreadPeers(pod, ctx.services);
      const counts = peer && new Map(ctx.feasible.map((ni) => [ni, ni.pods.filter(peer).length] as const));
      c = { pod, counts, max: counts ? Math.max(...counts.values(), 0) : 0 };
      spreadCounts.set(ctx, c);
    }
    if (c.max === 0) return 100;
    return ((c.max - (c.counts!.get(n) ?? 0)) / c.max) * 100;
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
