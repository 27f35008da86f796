// Reading a cgroup's CPU and memory usage, as cadvisor's libcontainer handlers do (google/cadvisor
// container/libcontainer): cgroup v1 (cpuacct.usage; memory.usage_in_bytes and memory.stat's total_* counters) and
// cgroup v2 (cpu.stat usage_usec; memory.current and memory.stat). The working set is usage minus inactive file
// pages, the figure the kubelet evicts on and metrics-server reports. Where the hierarchies are mounted comes from
// the mount table, so hosts with combined (cpu,cpuacct) or split v1 mounts, hybrid and pure v2 all read the same way.
import fs from 'node:fs';
import path from 'node:path';
import { read } from './procfs.js';

export interface CgroupLayout {
  /** v1: each controller's mount point (a combined mount appears under each of its controllers). */
  v1: Record<string, string>;
  /** The cgroup2 mount that holds the controllers (pure v2); undefined on v1 and hybrid hosts. */
  unified?: string;
}

/** The layout from /proc/self/mountinfo's text. A cgroup2 mount counts only when no v1 memory/cpuacct hierarchy exists. */
export function parseCgroupLayout(mountinfo: string): CgroupLayout {
  const v1: Record<string, string> = {};
  let cgroup2: string | undefined;
  for (const line of mountinfo.split('\n')) {
    const dash = line.indexOf(' - ');
    if (dash < 0) continue;
    const pre = line.slice(0, dash).split(' ');
    const [fsType, , superOpts = ''] = line.slice(dash + 3).split(' ');
    const mountPoint = pre[4]?.replace(/\\040/g, ' ');
    if (!mountPoint) continue;
    if (fsType === 'cgroup2') cgroup2 ??= mountPoint;
    if (fsType !== 'cgroup') continue;
    for (const opt of superOpts.split(',')) if (['cpu', 'cpuacct', 'memory', 'cpuset', 'pids', 'blkio'].includes(opt)) v1[opt] ??= mountPoint;
  }
  return v1.memory || v1.cpuacct ? { v1 } : { v1, unified: cgroup2 };
}

let hostLayout: CgroupLayout | undefined;
/** This process's cgroup layout, read once. */
export function cgroupLayout(): CgroupLayout {
  return (hostLayout ??= parseCgroupLayout(fs.readFileSync('/proc/self/mountinfo', 'utf8')));
}

export interface CgroupMemory {
  usageBytes: number;
  workingSetBytes: number;
  rssBytes: number;
  pageFaults: number;
  majorPageFaults: number;
  /** The limit, when one is set. */
  limitBytes?: number;
}

export interface CgroupSample {
  /** Milliseconds since the epoch at which it was read. */
  time: number;
  /** Cumulative CPU time in nanoseconds. */
  cpuUsageNs?: number;
  memory?: CgroupMemory;
}

/** A flat "key value" file (memory.stat, cpu.stat) as numbers. */
export function parseFlatKeyed(text: string): Record<string, number> {
  const out: Record<string, number> = {};
  for (const line of text.split('\n')) {
    const [k, v] = line.trim().split(/\s+/);
    if (k && v !== undefined && /^\d+$/.test(v)) out[k] = Number(v);
  }
  return out;
}

const readNumber = (file: string): number | undefined => {
  const s = read(file)?.trim();
  return s !== undefined && /^\d+$/.test(s) ? Number(s) : undefined;
};

/** v1 reports "no limit" as a page-rounded 2^63-1. */
const V1_UNLIMITED = 2 ** 62;

const workingSet = (usage: number, inactiveFile: number | undefined) => Math.max(0, usage - Math.min(usage, inactiveFile ?? 0));

function readV1(layout: CgroupLayout, rel: string): Omit<CgroupSample, 'time'> | undefined {
  const out: Omit<CgroupSample, 'time'> = {};
  const cpuDir = layout.v1.cpuacct && path.join(layout.v1.cpuacct, rel);
  if (cpuDir) out.cpuUsageNs = readNumber(path.join(cpuDir, 'cpuacct.usage'));
  const memDir = layout.v1.memory && path.join(layout.v1.memory, rel);
  const usage = memDir ? readNumber(path.join(memDir, 'memory.usage_in_bytes')) : undefined;
  if (memDir && usage !== undefined) {
    const stat = parseFlatKeyed(read(path.join(memDir, 'memory.stat')) ?? '');
    const limit = readNumber(path.join(memDir, 'memory.limit_in_bytes'));
    out.memory = {
      usageBytes: usage,
      workingSetBytes: workingSet(usage, stat.total_inactive_file ?? stat.inactive_file),
      rssBytes: stat.total_rss ?? stat.rss ?? 0,
      pageFaults: stat.total_pgfault ?? stat.pgfault ?? 0,
      majorPageFaults: stat.total_pgmajfault ?? stat.pgmajfault ?? 0,
      ...(limit !== undefined && limit < V1_UNLIMITED ? { limitBytes: limit } : {}),
    };
  }
  return out.cpuUsageNs === undefined && !out.memory ? undefined : out;
}

function readV2(root: string, rel: string): Omit<CgroupSample, 'time'> | undefined {
  const dir = path.join(root, rel);
  const out: Omit<CgroupSample, 'time'> = {};
  const cpu = read(path.join(dir, 'cpu.stat'));
  if (cpu !== undefined) {
    const usec = parseFlatKeyed(cpu).usage_usec;
    if (usec !== undefined) out.cpuUsageNs = usec * 1000;
  }
  const usage = readNumber(path.join(dir, 'memory.current'));
  if (usage !== undefined) {
    const stat = parseFlatKeyed(read(path.join(dir, 'memory.stat')) ?? '');
    const max = readNumber(path.join(dir, 'memory.max'));
    out.memory = {
      usageBytes: usage,
      workingSetBytes: workingSet(usage, stat.inactive_file),
      rssBytes: stat.anon ?? 0,
      pageFaults: stat.pgfault ?? 0,
      majorPageFaults: stat.pgmajfault ?? 0,
      ...(max !== undefined ? { limitBytes: max } : {}),
    };
  }
  return out.cpuUsageNs === undefined && !out.memory ? undefined : out;
}

/** The CPU and memory usage of the cgroup at `rel` (relative to each hierarchy's root), or undefined when it does not exist. */
export function readCgroup(rel: string, layout: CgroupLayout = cgroupLayout(), now: () => number = Date.now): CgroupSample | undefined {
  const found = layout.unified ? readV2(layout.unified, rel) : readV1(layout, rel);
  return found && { time: now(), ...found };
}

/** The PIDs in the cgroup at `rel` (its own processes, not its children's). */
export function cgroupPids(rel: string, layout: CgroupLayout = cgroupLayout()): number[] {
  const root = layout.unified ?? layout.v1.memory ?? layout.v1.cpuacct ?? layout.v1.pids;
  if (!root) return [];
  return (read(path.join(root, rel, 'cgroup.procs')) ?? '').split('\n').filter(Boolean).map(Number);
}
