// What metrics-server keeps of the scrapes (kube: metrics-server pkg/storage — node.go, pod.go): the last two
// samples of every node and container, their CPU counters turned into rates over the window between them and the
// last working set, and the NodeMetrics and PodMetrics the API serves. Pure: no clock or network here.
import { parseText } from '../../api/prometheus.js';

/** One reading of a cumulative CPU counter and a working set, each stamped with when the kubelet read it. */
export interface Point {
  /** Cumulative CPU, core-seconds. */
  cpu: number;
  cpuTimeMs: number;
  memory: number;
  /** When the container started (ms since the epoch): a restart resets the counter. */
  startTimeMs?: number;
}

export interface NodeScrape {
  node?: Point;
  /** namespace/pod → container → point */
  pods: Map<string, Map<string, Point>>;
}

export interface Usage {
  /** Cores. */
  cpu: number;
  /** Bytes. */
  memory: number;
}

export interface MetricsPoint {
  /** The later sample's time (ms since the epoch) and the window the rate covers. */
  timestampMs: number;
  windowMs: number;
  usage: Usage;
}

export interface PodPoint {
  timestampMs: number;
  windowMs: number;
  containers: { name: string; usage: Usage }[];
}

/** The samples of one /metrics/resource response. */
export function decodeResourceMetrics(text: string): NodeScrape {
  const out: NodeScrape = { pods: new Map() };
  const node: Partial<Point> = {};
  const containers = new Map<string, Partial<Point> & { pod: string; name: string }>();
  for (const s of parseText(text)) {
    if (s.name === 'node_cpu_usage_seconds_total') Object.assign(node, { cpu: s.value, cpuTimeMs: s.timestampMs ?? 0 });
    else if (s.name === 'node_memory_working_set_bytes') node.memory = s.value;
    else if (s.name.startsWith('container_')) {
      const { namespace, pod, container } = s.labels;
      if (!namespace || !pod || !container) continue;
      const key = `${namespace}/${pod}/${container}`;
      const c = containers.get(key) ?? { pod: `${namespace}/${pod}`, name: container };
      containers.set(key, c);
      if (s.name === 'container_cpu_usage_seconds_total') Object.assign(c, { cpu: s.value, cpuTimeMs: s.timestampMs ?? 0 });
      else if (s.name === 'container_memory_working_set_bytes') c.memory = s.value;
      else if (s.name === 'container_start_time_seconds') c.startTimeMs = s.value * 1000;
    }
  }
  if (node.cpu !== undefined && node.memory !== undefined) out.node = node as Point;
  for (const c of containers.values()) {
    if (c.cpu === undefined || c.memory === undefined) continue;
    if (!out.pods.has(c.pod)) out.pods.set(c.pod, new Map());
    out.pods.get(c.pod)!.set(c.name, { cpu: c.cpu, cpuTimeMs: c.cpuTimeMs!, memory: c.memory, ...(c.startTimeMs !== undefined ? { startTimeMs: c.startTimeMs } : {}) });
  }
  return out;
}

/** The rate between two readings; undefined when they cannot give one (same time, counter reset, restart). */
export function rate(prev: Point | undefined, last: Point): MetricsPoint | undefined {
  if (!prev) return undefined;
  const windowMs = last.cpuTimeMs - prev.cpuTimeMs;
  if (windowMs <= 0 || last.cpu < prev.cpu) return undefined;
  if (prev.startTimeMs !== undefined && last.startTimeMs !== undefined && prev.startTimeMs !== last.startTimeMs) return undefined;
  return { timestampMs: last.cpuTimeMs, windowMs, usage: { cpu: (last.cpu - prev.cpu) / (windowMs / 1000), memory: last.memory } };
}

/** The last two scrapes of every node; what the API answers from. */
export class MetricsStorage {
  private prev = new Map<string, NodeScrape>();
  private last = new Map<string, NodeScrape>();

  /** Stores one round of scrapes; a node missing from it is forgotten. A point that did not move keeps the older one. */
  store(round: Map<string, NodeScrape>): void {
    const prev = new Map<string, NodeScrape>();
    for (const [node, scrape] of round) {
      const before = this.last.get(node);
      if (!before) continue;
      // Keep, per point, the newest earlier reading with an earlier timestamp (kubelets cache stats for a while).
      const older = this.prev.get(node);
      const pick = (a: Point | undefined, b: Point | undefined, now: Point | undefined) => (a && now && a.cpuTimeMs < now.cpuTimeMs ? a : b && now && b.cpuTimeMs < now.cpuTimeMs ? b : a);
      const pods = new Map<string, Map<string, Point>>();
      for (const [pod, containers] of scrape.pods) {
        const m = new Map<string, Point>();
        for (const [name, p] of containers) {
          const chosen = pick(before.pods.get(pod)?.get(name), older?.pods.get(pod)?.get(name), p);
          if (chosen) m.set(name, chosen);
        }
        pods.set(pod, m);
      }
      prev.set(node, { node: pick(before.node, older?.node, scrape.node), pods });
    }
    this.prev = prev;
    this.last = new Map(round);
  }

  node(name: string): MetricsPoint | undefined {
    const last = this.last.get(name)?.node;
    return last && rate(this.prev.get(name)?.node, last);
  }

  /** A pod's containers, only when every container it reported has a rate (as metrics-server does). */
  pod(namespace: string, name: string): PodPoint | undefined {
    const key = `${namespace}/${name}`;
    for (const [node, scrape] of this.last) {
      const containers = scrape.pods.get(key);
      if (!containers) continue;
      const out: PodPoint = { timestampMs: 0, windowMs: 0, containers: [] };
      for (const [c, p] of containers) {
        const r = rate(this.prev.get(node)?.pods.get(key)?.get(c), p);
        if (!r) return undefined;
        out.timestampMs = Math.max(out.timestampMs, r.timestampMs);
        out.windowMs = Math.max(out.windowMs, r.windowMs);
        out.containers.push({ name: c, usage: r.usage });
      }
      return out.containers.length ? out : undefined;
    }
    return undefined;
  }

  /** Whether anything has been stored yet (readiness). */
  ready(): boolean {
    return this.last.size > 0;
  }
}

/** metrics-server's quantities: CPU in nanocores ("12345n"), memory in Ki ("2048Ki"). */
export function cpuQuantity(cores: number): string {
  return `${Math.round(cores * 1e9)}n`;
}

export function memoryQuantity(bytes: number): string {
  const b = Math.round(bytes);
  return b % 1024 === 0 ? `${b / 1024}Ki` : String(b);
}
