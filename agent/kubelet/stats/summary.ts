// GET /stats/summary (pkg/kubelet/server/stats/summary.go): the Summary of the node and its pods from the stats
// provider's Facts. `only_cpu_and_memory=true` (what metrics-server asks for) leaves the rest out.
import { formatTime as rfc3339 } from '../../../api/time.js';
import type { ContainerFacts, Facts, FsFacts, NetworkFacts, Usage } from './provider.js';
import type { ContainerStats, CPUStats, FsStats, MemoryStats, NetworkStats, Summary } from './types.js';

/** The interface whose figures the kubelet inlines (network.DefaultInterfaceName). */
const DEFAULT_INTERFACE = 'eth0';

function cpu(u: Usage | undefined): CPUStats | undefined {
  if (u?.cpuUsageNs === undefined) return undefined;
  return { time: rfc3339(u.time), ...(u.usageNanoCores !== undefined ? { usageNanoCores: u.usageNanoCores } : {}), usageCoreNanoSeconds: u.cpuUsageNs };
}

/** Memory figures; available is the limit (or the machine's memory, for the node) less the working set. */
function memory(u: Usage | undefined, capacity?: number): MemoryStats | undefined {
  const m = u?.memory;
  if (!m) return undefined;
  const limit = m.limitBytes ?? capacity;
  return {
    time: rfc3339(m.time),
    ...(limit !== undefined ? { availableBytes: Math.max(0, limit - m.workingSetBytes) } : {}),
    usageBytes: m.usageBytes,
    workingSetBytes: m.workingSetBytes,
    rssBytes: m.rssBytes,
    pageFaults: m.pageFaults,
    majorPageFaults: m.majorPageFaults,
  };
}

function network(n: NetworkFacts | undefined): NetworkStats | undefined {
  if (!n) return undefined;
  const interfaces = n.interfaces.map(({ name, rxBytes, rxErrors, txBytes, txErrors }) => ({ name, rxBytes, rxErrors, txBytes, txErrors }));
  const main = interfaces.find((i) => i.name === DEFAULT_INTERFACE) ?? interfaces[0];
  return { time: rfc3339(n.time), ...(main ?? { name: '' }), interfaces };
}

function fsStats(f: FsFacts | undefined): FsStats | undefined {
  if (!f) return undefined;
  const out: FsStats = { time: rfc3339(f.time) };
  for (const k of ['availableBytes', 'capacityBytes', 'usedBytes', 'inodesFree', 'inodes', 'inodesUsed'] as const) if (f[k] !== undefined) out[k] = f[k];
  return out;
}

function container(c: ContainerFacts, onlyCpuAndMemory: boolean): ContainerStats {
  const out: ContainerStats = { name: c.name, startTime: rfc3339(c.startTime) };
  const cp = cpu(c.usage);
  const mem = memory(c.usage);
  if (cp) out.cpu = cp;
  if (mem) out.memory = mem;
  if (!onlyCpuAndMemory) {
    if (c.rootfs) out.rootfs = fsStats(c.rootfs);
    if (c.logs) out.logs = fsStats(c.logs);
  }
  return out;
}

/** Ephemeral storage of a pod: its containers' writable layers and logs together (the kubelet's ephemeral-storage). */
function ephemeral(containers: ContainerFacts[]): FsStats | undefined {
  const parts = containers.flatMap((c) => [c.rootfs, c.logs]).filter((f): f is FsFacts => !!f);
  if (!parts.length) return undefined;
  const base = containers.find((c) => c.rootfs)?.rootfs ?? parts[0];
  return fsStats({ ...base, time: Math.max(...parts.map((f) => f.time)), usedBytes: parts.reduce((a, f) => a + (f.usedBytes ?? 0), 0), inodesUsed: parts.reduce((a, f) => a + (f.inodesUsed ?? 0), 0) });
}

const defined = <T extends object>(o: T): T => Object.fromEntries(Object.entries(o).filter(([, v]) => v !== undefined)) as T;

export function buildSummary(f: Facts, opts: { onlyCpuAndMemory?: boolean } = {}): Summary {
  const only = !!opts.onlyCpuAndMemory;
  const n = f.node;
  const systemContainers: ContainerStats[] = n.pods ? [defined({ name: 'pods', startTime: rfc3339(n.pods.startTime), cpu: cpu(n.pods.usage), memory: memory(n.pods.usage, n.machine.memoryBytes) })] : [];
  const node: Summary['node'] = defined({
    nodeName: n.nodeName,
    systemContainers,
    startTime: rfc3339(n.startTime),
    cpu: cpu(n.usage),
    memory: memory(n.usage, n.machine.memoryBytes),
    ...(only
      ? {}
      : {
          network: network(n.network),
          fs: fsStats(n.fs),
          runtime: n.imageFs ? { imageFs: fsStats(n.imageFs) } : undefined,
          rlimit: n.rlimit && { ...n.rlimit, time: rfc3339(n.rlimit.time) },
        }),
  });
  const pods = f.pods.map((p) =>
    defined({
      podRef: { name: p.name, namespace: p.namespace, uid: p.uid },
      startTime: rfc3339(p.startTime),
      containers: p.containers.map((c) => container(c, only)),
      cpu: cpu(p.usage),
      memory: memory(p.usage),
      ...(only
        ? {}
        : {
            network: network(p.network),
            'ephemeral-storage': ephemeral(p.containers),
            process_stats: p.processCount !== undefined ? { process_count: p.processCount } : undefined,
          }),
    }),
  );
  return { node, pods };
}
