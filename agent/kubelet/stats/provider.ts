// The kubelet's stats provider (pkg/kubelet/stats, with cadvisor's housekeeping): a sampler reads the CPU and
// memory of the node, of every running pod's cgroup and of every running container's cgroup on a fixed period (the
// kubelet's cadvisor housekeeping, 10 s), keeping the last two CPU readings of each so usageNanoCores is a rate
// over the last window. Facts that cost little (interface counters of each pod's network namespace, filesystem
// usage) are read when asked. Where a container's cgroup cannot be read, containerd's CRI ContainerStats answer.
// The Summary API, /metrics/resource and /metrics/cadvisor are all views of the one Facts this gathers.
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { logger } from '../../../api/log.js';
import * as grpc from '@grpc/grpc-js';
import { CriError, type ContainerStats as CriContainerStats, type CriClient, type Container as CriContainer, type PodSandbox } from '../cri/client.js';
import { Label } from '../runtime.js';
import { podCgroupParent, podLogsRoot } from '../specs.js';
import { cgroupPids, readCgroup, type CgroupLayout, type CgroupMemory, type CgroupSample } from './cgroups.js';
import { readMeminfo, readNetDev, readProcStat, readRlimit, statFs, type FsUsage, type InterfaceStats } from './procfs.js';

const log = logger('kubelet.stats');

export type StatsRuntime = Pick<CriClient, 'listPodSandbox' | 'listContainers' | 'containerStatus' | 'listContainerStats' | 'imageFsInfo'>;

export interface StatsProviderOptions {
  nodeName: string;
  /** The kubelet's root dir: the node filesystem of the Summary. */
  dataDir: string;
  podLogDir?: string;
  /** The pods' cgroup parent (the kubelet's "pods" system container). */
  cgroupParent: string;
  runtime: StatsRuntime;
  /** Housekeeping period; default 10 s. */
  intervalMs?: number;
  /** Where the cgroup hierarchies are mounted; default this host's, from its mount table (benches use a fixture tree). */
  cgroupLayout?: CgroupLayout;
  /** Reads one cgroup (tests read fixture trees). */
  readCgroup?: (rel: string) => CgroupSample | undefined;
  now?: () => number;
}

/** One CPU/memory reading with its rate, times in ms since the epoch. */
export interface Usage {
  time: number;
  cpuUsageNs?: number;
  /** Over the last housekeeping window; absent until a second reading exists. */
  usageNanoCores?: number;
  memory?: CgroupMemory & { time: number };
}

export interface FsFacts extends Partial<FsUsage> {
  time: number;
  device?: string;
}

export interface NetworkFacts {
  time: number;
  interfaces: InterfaceStats[];
}

export interface ContainerFacts {
  id: string;
  name: string;
  image: string;
  /** The container's cgroup, relative to the hierarchies' roots (cadvisor's `id` label). */
  cgroup: string;
  startTime: number;
  usage?: Usage;
  rootfs?: FsFacts;
  logs?: FsFacts;
}

export interface PodFacts {
  name: string;
  namespace: string;
  uid: string;
  sandboxId: string;
  cgroup: string;
  startTime: number;
  usage?: Usage;
  network?: NetworkFacts;
  containers: ContainerFacts[];
  processCount?: number;
}

export interface NodeFacts {
  nodeName: string;
  startTime: number;
  usage?: Usage;
  /** The pods' cgroup: the "pods" system container. */
  pods?: { cgroup: string; startTime: number; usage?: Usage };
  network?: NetworkFacts;
  fs?: FsFacts;
  imageFs?: FsFacts;
  rlimit?: { time: number; maxpid?: number; curproc?: number };
  machine: { cpuCores: number; memoryBytes: number };
}

export interface Facts {
  node: NodeFacts;
  pods: PodFacts[];
}

interface Reading {
  time: number;
  cpuUsageNs?: number;
}

/** The usage of a sample and the CPU rate since the reading before it. */
export function usageOf(sample: CgroupSample, prev: Reading | undefined): Usage {
  const u: Usage = { time: sample.time };
  if (sample.cpuUsageNs !== undefined) u.cpuUsageNs = sample.cpuUsageNs;
  if (sample.memory) u.memory = { ...sample.memory, time: sample.time };
  if (prev?.cpuUsageNs !== undefined && sample.cpuUsageNs !== undefined && sample.time > prev.time && sample.cpuUsageNs >= prev.cpuUsageNs)
    u.usageNanoCores = Math.round(((sample.cpuUsageNs - prev.cpuUsageNs) * 1000) / (sample.time - prev.time));
  return u;
}

/** CRI's figures of a container, for when its cgroup cannot be read. */
export function usageFromCri(s: CriContainerStats): Usage | undefined {
  const cpu = s.cpu;
  const mem = s.memory;
  if (!cpu?.timestamp && !mem?.timestamp) return undefined;
  const time = Math.round((cpu?.timestamp || mem!.timestamp) / 1e6);
  const u: Usage = { time };
  if (cpu?.usage_core_nano_seconds) u.cpuUsageNs = cpu.usage_core_nano_seconds.value;
  if (cpu?.usage_nano_cores) u.usageNanoCores = cpu.usage_nano_cores.value;
  if (mem?.working_set_bytes) {
    u.memory = {
      time: Math.round(mem.timestamp / 1e6) || time,
      usageBytes: mem.usage_bytes?.value ?? mem.working_set_bytes.value,
      workingSetBytes: mem.working_set_bytes.value,
      rssBytes: mem.rss_bytes?.value ?? 0,
      pageFaults: mem.page_faults?.value ?? 0,
      majorPageFaults: mem.major_page_faults?.value ?? 0,
    };
  }
  return u;
}

/** The node's own usage: the root cgroup, or /proc where the root cgroup does not carry it (cgroup v2). */
function nodeSample(read: (rel: string) => CgroupSample | undefined, now: () => number): CgroupSample {
  const root = read('/') ?? { time: now() };
  if (root.cpuUsageNs === undefined) root.cpuUsageNs = readProcStat().cpuUsageNs;
  if (!root.memory) {
    const mi = readMeminfo();
    if (mi.MemTotal !== undefined && mi.MemFree !== undefined) {
      const usage = mi.MemTotal - mi.MemFree;
      root.memory = { usageBytes: usage, workingSetBytes: Math.max(0, usage - (mi['Inactive(file)'] ?? 0)), rssBytes: mi.AnonPages ?? 0, pageFaults: 0, majorPageFaults: 0 };
    }
  }
  return root;
}

interface Housekeeping {
  sandboxes: PodSandbox[];
  containers: CriContainer[];
  cri: Map<string, CriContainerStats>;
  usage: Map<string, Usage>;
}

export class StatsProvider {
  private readonly read: (rel: string) => CgroupSample | undefined;
  private readonly now: () => number;
  private readonly intervalMs: number;
  private readonly startTime: number;
  /** The pods' cgroup: the "pods" system container. */
  private readonly podsCgroup: string;
  /** Facts fixed while the machine runs, read once: its boot time and its logical CPUs. */
  private readonly bootTime: number | undefined;
  private readonly cpuCores: number;
  /** The last CPU reading of each cgroup key, for the next rate. */
  private readonly last = new Map<string, Reading>();
  private latest: Housekeeping | undefined;
  /** Each container's image as the pod named it (ListContainers gives the image ID), looked up once. */
  private readonly images = new Map<string, string>();
  private timer: NodeJS.Timeout | undefined;
  private running: Promise<void> | undefined;
  private closed = false;
  private criStatsWork = true;

  constructor(private readonly opts: StatsProviderOptions) {
    this.read = opts.readCgroup ?? ((rel) => readCgroup(rel, opts.cgroupLayout));
    this.now = opts.now ?? Date.now;
    this.intervalMs = opts.intervalMs ?? 10_000;
    this.startTime = this.now();
    this.podsCgroup = path.posix.join('/', opts.cgroupParent || 'kubepods');
    this.bootTime = readProcStat().bootTimeMs;
    this.cpuCores = os.cpus().length;
  }

  /** Starts housekeeping: a reading now, a second a second later (so the first answer has a rate), then one per period. */
  start(): this {
    const loop = (delay: number) => {
      if (this.closed) return;
      this.timer = setTimeout(() => void this.housekeep().finally(() => loop(this.intervalMs)), delay);
    };
    void this.housekeep().finally(() => loop(Math.min(1000, this.intervalMs)));
    return this;
  }

  close(): void {
    this.closed = true;
    clearTimeout(this.timer);
  }

  private cgroupOf(uid: string): string {
    return podCgroupParent(this.opts.cgroupParent, uid);
  }

  /** Records a reading of `key` with its rate since the last one. */
  private record(key: string, s: CgroupSample | undefined, usage: Map<string, Usage>): void {
    if (!s) return;
    usage.set(key, usageOf(s, this.last.get(key)));
    if (s.cpuUsageNs !== undefined) this.last.set(key, { time: s.time, cpuUsageNs: s.cpuUsageNs });
  }

  /** One housekeeping pass; concurrent callers share the pass in flight. */
  housekeep(): Promise<void> {
    return (this.running ??= this.doHousekeep().finally(() => (this.running = undefined)));
  }

  private async doHousekeep(): Promise<void> {
    try {
      const [sandboxes, containers] = await Promise.all([
        this.opts.runtime.listPodSandbox({ filter: { state: { state: 'SANDBOX_READY' } } }).then((r) => r.items),
        this.opts.runtime.listContainers({ filter: { state: { state: 'CONTAINER_RUNNING' } } }).then((r) => r.containers),
      ]);
      const cri = new Map<string, CriContainerStats>();
      if (this.criStatsWork) {
        try {
          for (const s of (await this.opts.runtime.listContainerStats({})).stats) if (s.attributes?.id) cri.set(s.attributes.id, s);
        } catch (e) {
          // A runtime without CRI stats: cgroups alone from now on. Any other failure is this pass's only.
          if (e instanceof CriError && e.code === grpc.status.UNIMPLEMENTED) {
            this.criStatsWork = false;
            log.info({ err: e.message }, 'the runtime does not implement ListContainerStats; reading cgroups only');
          } else log.debug({ err: (e as Error).message }, 'ListContainerStats failed');
        }
      }
      const usage = new Map<string, Usage>();
      this.record('node', nodeSample(this.read, this.now), usage);
      this.record('pods', this.read(this.podsCgroup), usage);
      const uidOf = new Map(sandboxes.map((s) => [s.id, s.metadata?.uid ?? s.labels[Label.podUID] ?? '']));
      for (const s of sandboxes) this.record(`pod/${s.id}`, this.read(this.cgroupOf(uidOf.get(s.id)!)), usage);
      for (const c of containers) {
        const uid = uidOf.get(c.pod_sandbox_id);
        if (uid === undefined) continue;
        this.record(`ctr/${c.id}`, this.read(path.posix.join(this.cgroupOf(uid), c.id)), usage);
        const fromCri = cri.get(c.id);
        if (!usage.has(`ctr/${c.id}`) && fromCri) {
          const u = usageFromCri(fromCri);
          if (u) usage.set(`ctr/${c.id}`, u);
        }
      }
      for (const c of containers) {
        if (this.images.has(c.id)) continue;
        const st = await this.opts.runtime.containerStatus({ container_id: c.id }).catch(() => undefined);
        this.images.set(c.id, st?.status?.image?.image || c.image?.image || c.image_ref);
      }
      const live = new Set(containers.map((c) => c.id));
      for (const id of this.images.keys()) if (!live.has(id)) this.images.delete(id);
      // Readings of cgroups that are gone are forgotten.
      for (const key of this.last.keys()) if (!usage.has(key)) this.last.delete(key);
      this.latest = { sandboxes, containers, cri, usage };
    } catch (e) {
      log.warn({ err: (e as Error).message }, 'stats housekeeping failed');
    }
  }

  private async fsOf(dir: string, time: number): Promise<FsFacts | undefined> {
    const u = await statFs(dir);
    return u && { time, ...u };
  }

  /** Bytes and inodes under `dir` (a container's log directory). */
  private dirUsage(dir: string): { used: number; inodes: number } {
    let used = 0;
    let inodes = 0;
    const walk = (d: string) => {
      let entries: fs.Dirent[];
      try {
        entries = fs.readdirSync(d, { withFileTypes: true });
      } catch {
        return;
      }
      for (const e of entries) {
        inodes++;
        const p = path.join(d, e.name);
        if (e.isDirectory()) walk(p);
        else {
          try {
            used += fs.statSync(p).blocks * 512;
          } catch {
            // rotated away while we looked
          }
        }
      }
    };
    walk(dir);
    return { used, inodes };
  }

  /**
   * Everything known now: the last housekeeping's readings, with network and filesystem figures read at once — none
   * of those when only CPU and memory are asked for (/metrics/resource, metrics-server's Summary), which the readings
   * alone answer.
   */
  async facts(o: { cpuAndMemoryOnly?: boolean } = {}): Promise<Facts> {
    if (!this.latest) await this.housekeep();
    const hk = this.latest ?? { sandboxes: [], containers: [], cri: new Map(), usage: new Map() };
    const node: NodeFacts = {
      nodeName: this.opts.nodeName,
      startTime: this.bootTime ?? this.startTime,
      usage: hk.usage.get('node'),
      pods: { cgroup: this.podsCgroup, startTime: this.startTime, usage: hk.usage.get('pods') },
      machine: { cpuCores: this.cpuCores, memoryBytes: os.totalmem() },
    };
    const pods: PodFacts[] = [];
    for (const sb of hk.sandboxes) {
      const md = sb.metadata;
      if (!md) continue;
      const cgroup = this.cgroupOf(md.uid);
      const containers: ContainerFacts[] = hk.containers
        .filter((c) => c.pod_sandbox_id === sb.id)
        .map((c) => ({
          id: c.id,
          name: c.metadata?.name ?? c.labels[Label.containerName] ?? '',
          image: this.images.get(c.id) ?? c.image?.image ?? c.image_ref,
          cgroup: path.posix.join(cgroup, c.id),
          startTime: Math.round(c.created_at / 1e6),
          usage: hk.usage.get(`ctr/${c.id}`),
        }));
      pods.push({ name: md.name, namespace: md.namespace, uid: md.uid, sandboxId: sb.id, cgroup, startTime: Math.round(sb.created_at / 1e6), usage: hk.usage.get(`pod/${sb.id}`), containers });
    }
    if (!o.cpuAndMemoryOnly) await this.addDetails(hk, node, pods);
    return { node, pods };
  }

  /** The figures read when asked: filesystems, interface counters, process counts. */
  private async addDetails(hk: Housekeeping, node: NodeFacts, pods: PodFacts[]): Promise<void> {
    const now = this.now();
    const { opts } = this;
    const logsRoot = podLogsRoot(opts);
    const [nodeFs, logsFs, imageFs] = await Promise.all([
      this.fsOf(opts.dataDir, now),
      this.fsOf(fs.existsSync(logsRoot) ? logsRoot : opts.dataDir, now),
      this.imageFs(now),
    ]);
    const selfNet = readNetDev('self');
    Object.assign(node, { network: selfNet && { time: now, interfaces: selfNet }, fs: nodeFs, imageFs, rlimit: { time: now, ...readRlimit() } });
    for (const p of pods) {
      const sandboxPids = cgroupPids(path.posix.join(p.cgroup, p.sandboxId), opts.cgroupLayout);
      const net = sandboxPids.length ? readNetDev(sandboxPids[0]) : undefined;
      p.network = net && { time: now, interfaces: net };
      let processCount = sandboxPids.length;
      for (const c of p.containers) {
        const wl = hk.cri.get(c.id)?.writable_layer;
        if (wl) {
          const mount = wl.fs_id?.mountpoint;
          const total = mount ? (imageFs && imageFs.device === mount ? imageFs : await this.fsOf(mount, now)) : undefined;
          c.rootfs = { ...total, time: Math.round(wl.timestamp / 1e6) || now, usedBytes: wl.used_bytes?.value ?? 0, inodesUsed: wl.inodes_used?.value ?? 0, device: mount };
        }
        if (logsFs) {
          const logUse = this.dirUsage(path.join(logsRoot, `${p.namespace}_${p.name}_${p.uid}`, c.name));
          c.logs = { ...logsFs, time: now, usedBytes: logUse.used, inodesUsed: logUse.inodes };
        }
        processCount += cgroupPids(c.cgroup, opts.cgroupLayout).length;
      }
      p.processCount = processCount;
    }
  }

  private async imageFs(now: number): Promise<FsFacts | undefined> {
    try {
      const info = await this.opts.runtime.imageFsInfo();
      const f = info.image_filesystems[0];
      if (!f) return undefined;
      const mount = f.fs_id?.mountpoint ?? '';
      const total = mount ? await statFs(mount) : undefined;
      return { ...total, time: Math.round(f.timestamp / 1e6) || now, usedBytes: f.used_bytes?.value ?? 0, inodesUsed: f.inodes_used?.value ?? 0, device: mount };
    } catch {
      return undefined;
    }
  }
}
