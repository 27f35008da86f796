// The node facts cadvisor reads from /proc (google/cadvisor machine and container/libcontainer network stats):
// interface counters from a network namespace's /proc/<pid>/net/dev, memory from /proc/meminfo, CPU time and boot
// time from /proc/stat, the process count and limit for the Summary's rlimit, and statfs for filesystems.
import fs from 'node:fs';

export interface InterfaceStats {
  name: string;
  rxBytes: number;
  rxErrors: number;
  txBytes: number;
  txErrors: number;
}

/** The interfaces of a /proc/net/dev text, loopback left out (as the kubelet leaves it out of the Summary). */
export function parseNetDev(text: string): InterfaceStats[] {
  const out: InterfaceStats[] = [];
  for (const line of text.split('\n').slice(2)) {
    const colon = line.indexOf(':');
    if (colon < 0) continue;
    const name = line.slice(0, colon).trim();
    const f = line.slice(colon + 1).trim().split(/\s+/).map(Number);
    // receive: bytes packets errs drop fifo frame compressed multicast; transmit: bytes packets errs …
    if (name === 'lo' || f.length < 16) continue;
    out.push({ name, rxBytes: f[0], rxErrors: f[2], txBytes: f[8], txErrors: f[10] });
  }
  return out;
}

/** /proc/meminfo in bytes, by key. */
export function parseMeminfo(text: string): Record<string, number> {
  const out: Record<string, number> = {};
  for (const line of text.split('\n')) {
    const m = /^([^:]+):\s+(\d+)(?:\s+kB)?/.exec(line);
    if (m) out[m[1]] = Number(m[2]) * (line.includes('kB') ? 1024 : 1);
  }
  return out;
}

/** Clock ticks per second of /proc/stat (USER_HZ, 100 on every Linux architecture kubets runs on). */
const USER_HZ = 100;

/** From /proc/stat: the machine's busy CPU time (ns, all cores) and its boot time (ms since the epoch). */
export function parseProcStat(text: string): { cpuUsageNs?: number; bootTimeMs?: number } {
  const out: { cpuUsageNs?: number; bootTimeMs?: number } = {};
  for (const line of text.split('\n')) {
    const f = line.trim().split(/\s+/);
    if (f[0] === 'cpu') {
      // user nice system idle iowait irq softirq steal: busy = all but idle and iowait.
      const [user, nice, system, , , irq, softirq, steal] = f.slice(1).map(Number);
      out.cpuUsageNs = ((user + nice + system + (irq || 0) + (softirq || 0) + (steal || 0)) * 1e9) / USER_HZ;
    } else if (f[0] === 'btime') out.bootTimeMs = Number(f[1]) * 1000;
  }
  return out;
}

/** A file's text, or undefined when it can't be read (gone, or not there on this kernel). */
export const read = (file: string): string | undefined => {
  try {
    return fs.readFileSync(file, 'utf8');
  } catch {
    return undefined;
  }
};

export const readNetDev = (pid: number | 'self'): InterfaceStats[] | undefined => {
  const text = read(`/proc/${pid}/net/dev`);
  return text === undefined ? undefined : parseNetDev(text);
};
export const readMeminfo = () => parseMeminfo(read('/proc/meminfo') ?? '');
export const readProcStat = () => parseProcStat(read('/proc/stat') ?? '');

/** The Summary's rlimit: the PID limit and the number of processes (threads, as sysinfo counts them) now running. */
export function readRlimit(): { maxpid?: number; curproc?: number } {
  const max = Number(read('/proc/sys/kernel/pid_max')?.trim());
  const cur = Number(read('/proc/loadavg')?.split(/\s+/)[3]?.split('/')[1]);
  return { ...(Number.isFinite(max) && max > 0 ? { maxpid: max } : {}), ...(Number.isFinite(cur) && cur > 0 ? { curproc: cur } : {}) };
}

export interface FsUsage {
  capacityBytes: number;
  availableBytes: number;
  usedBytes: number;
  inodes: number;
  inodesFree: number;
  inodesUsed: number;
}

/** statfs of the filesystem holding `dir`, or undefined when it cannot be read. */
export async function statFs(dir: string): Promise<FsUsage | undefined> {
  try {
    const s = await fs.promises.statfs(dir);
    return {
      capacityBytes: s.blocks * s.bsize,
      availableBytes: s.bavail * s.bsize,
      usedBytes: (s.blocks - s.bfree) * s.bsize,
      inodes: s.files,
      inodesFree: s.ffree,
      inodesUsed: s.files - s.ffree,
    };
  } catch {
    return undefined;
  }
}
