// The kubelet's metrics scrape cost: milliseconds per scrape of /metrics/resource, /metrics/cadvisor and
// /stats/summary with N pods (default 100, two containers each), and of one housekeeping pass. The kubelet's own stats
// code (agent/kubelet/stats: the provider, its cgroup v2 and /proc readers, the encoders) runs against a fixture:
// a cgroup v2 tree with every pod's and container's cpu.stat, memory.current and memory.stat, each sandbox's
// cgroup.procs naming this process (so each pod's interface counters are a real /proc/<pid>/net/dev read), a log
// file per container, and a runtime answering CRI's list calls from memory. A scrape is the handler's work from
// request to response body (facts gathered, series encoded), without TLS and HTTP; reported as wall time (p50,
// p99) and this process's CPU time per scrape. Prints figures; asserts nothing.
// Run: node dist/bench/stats.js [--pods 100] [--scrapes 200] [--json]
import fs from 'node:fs';
import type { ServerResponse } from 'node:http';
import os from 'node:os';
import path from 'node:path';
import type { Container, ContainerStats, PodSandbox } from '../agent/kubelet/cri/client.js';
import { startStats } from '../agent/kubelet/stats/index.js';
import type { StatsRuntime } from '../agent/kubelet/stats/provider.js';
import { benchArgs, fmtMs, percentile, printJson, round } from './timing.js';

const { values } = benchArgs({
  options: {
    pods: { type: 'string', default: '100' },
    containers: { type: 'string', default: '2' },
    scrapes: { type: 'string', default: '200' },
    json: { type: 'boolean', default: false },
  },
});
const PODS = Number(values.pods);
const CONTAINERS = Number(values.containers);
const SCRAPES = Number(values.scrapes);

/** A cgroup v2 memory.stat as the kernel writes it (the keys the readers look for among the rest). */
const memoryStat = (anon: number) =>
  [`anon ${anon}`, 'file 1048576', 'kernel 65536', 'kernel_stack 16384', 'pagetables 8192', 'sock 0', 'shmem 0', 'file_mapped 524288', 'file_dirty 0', 'file_writeback 0', 'anon_thp 0', 'inactive_anon 4096', `active_anon ${anon}`, 'inactive_file 786432', 'active_file 262144', 'unevictable 0', 'slab_reclaimable 32768', 'slab_unreclaimable 16384', 'pgfault 12345', 'pgmajfault 12', 'workingset_refault_anon 0', 'workingset_refault_file 0'].join('\n') + '\n';

function writeCgroup(root: string, rel: string, cpuUsec: number, procs?: number): void {
  const dir = path.join(root, rel);
  fs.mkdirSync(dir, { recursive: true });
  fs.writeFileSync(path.join(dir, 'cpu.stat'), `usage_usec ${cpuUsec}\nuser_usec ${Math.floor(cpuUsec * 0.7)}\nsystem_usec ${Math.floor(cpuUsec * 0.3)}\nnr_periods 0\nnr_throttled 0\nthrottled_usec 0\n`);
  fs.writeFileSync(path.join(dir, 'memory.current'), `${8 * 1024 * 1024}\n`);
  fs.writeFileSync(path.join(dir, 'memory.stat'), memoryStat(4 * 1024 * 1024));
  fs.writeFileSync(path.join(dir, 'memory.max'), 'max\n');
  fs.writeFileSync(path.join(dir, 'cgroup.procs'), procs ? `${procs}\n` : '');
}

/** The pods as the runtime lists them, and the cgroup tree and log files the kubelet would find for them. */
function fixture(dir: string) {
  const cgroupRoot = path.join(dir, 'cgroup');
  const dataDir = path.join(dir, 'kubelet');
  const now = Date.now() * 1e6;
  const sandboxes: PodSandbox[] = [];
  const containers: Container[] = [];
  const stats: ContainerStats[] = [];
  for (let p = 0; p < PODS; p++) {
    const uid = `00000000-0000-4000-8000-${String(p).padStart(12, '0')}`;
    const sandbox: PodSandbox = { id: `sb${String(p).padStart(62, '0')}`, metadata: { name: `web-${p}`, namespace: 'bench', uid, attempt: 0 }, state: 'SANDBOX_READY', created_at: now, labels: {}, annotations: {}, runtime_handler: '' };
    sandboxes.push(sandbox);
    for (let c = 0; c < CONTAINERS; c++) {
      const id = `c${p}x${c}`.padEnd(64, '0');
      const metadata = { name: `ctr-${c}`, attempt: 0 };
      containers.push({ id, pod_sandbox_id: sandbox.id, metadata, image: { image: 'sha256:abc' }, image_ref: 'sha256:abc', state: 'CONTAINER_RUNNING', created_at: now, labels: {}, annotations: {} });
      stats.push({ attributes: { id, metadata, labels: {}, annotations: {} }, cpu: null, memory: null, writable_layer: { timestamp: now, fs_id: { mountpoint: dataDir }, used_bytes: { value: 40960 }, inodes_used: { value: 12 } } });
      const logDir = path.join(dataDir, 'pods', `bench_web-${p}_${uid}`, metadata.name);
      fs.mkdirSync(logDir, { recursive: true });
      fs.writeFileSync(path.join(logDir, '0.log'), 'x'.repeat(16 * 1024));
    }
  }
  const writeTree = (usec: (i: number) => number) => {
    writeCgroup(cgroupRoot, '/', usec(0));
    writeCgroup(cgroupRoot, '/kubepods', usec(1));
    sandboxes.forEach((sb, p) => {
      const podCg = `/kubepods/pod${sb.metadata!.uid}`;
      writeCgroup(cgroupRoot, podCg, usec(p));
      writeCgroup(cgroupRoot, `${podCg}/${sb.id}`, usec(p), process.pid);
      for (const c of containers.filter((x) => x.pod_sandbox_id === sb.id)) writeCgroup(cgroupRoot, `${podCg}/${c.id}`, usec(p), process.pid);
    });
  };
  const runtime: StatsRuntime = {
    listPodSandbox: async () => ({ items: sandboxes }),
    listContainers: async () => ({ containers }),
    containerStatus: async () => ({ status: { image: { image: 'docker.io/library/busybox:1.35' } } as never, info: {} }),
    listContainerStats: async () => ({ stats }),
    imageFsInfo: async () => ({ image_filesystems: [{ timestamp: now, fs_id: { mountpoint: dataDir }, used_bytes: { value: 1 << 30 }, inodes_used: { value: 1000 } }], container_filesystems: [] }),
  };
  return { cgroupRoot, dataDir, runtime, writeTree };
}

/** Enough of a ServerResponse for the handlers: the body's size is kept, nothing is sent. */
function sink(): { res: ServerResponse; bytes: () => number } {
  let bytes = 0;
  const res = {
    writeHead() {
      return res;
    },
    end(body?: string) {
      bytes = Buffer.byteLength(body ?? '');
      return res;
    },
  };
  return { res: res as unknown as ServerResponse, bytes: () => bytes };
}

async function main(): Promise<void> {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'kubets-bench-stats-'));
  try {
    const fx = fixture(dir);
    fx.writeTree(() => 5_000_000);
    const stats = startStats({ nodeName: 'bench', dataDir: fx.dataDir, cgroupParent: '/kubepods', runtime: fx.runtime, intervalMs: 3_600_000, cgroupLayout: { v1: {}, unified: fx.cgroupRoot } });
    try {
      console.log(`kubelet stats bench: ${PODS} pods × ${CONTAINERS} containers, ${SCRAPES} scrapes per endpoint, ${os.cpus().length} CPUs, load ${os.loadavg()[0]!.toFixed(1)}`);
      // Housekeeping: every cgroup read again (each with more CPU used since, so the next answers carry rates).
      const passes: number[] = [];
      for (let i = 1; i <= 10; i++) {
        fx.writeTree((p) => 5_000_000 + i * (1000 + p));
        const t0 = performance.now();
        await stats.provider.housekeep();
        passes.push(performance.now() - t0);
      }
      passes.sort((a, b) => a - b);
      console.log(`housekeeping pass (${PODS * (CONTAINERS + 1) + 2} cgroups read)   p50 ${fmtMs(percentile(passes, 50))} ms`);

      const figures: Record<string, unknown> = { pods: PODS, containers_per_pod: CONTAINERS, housekeeping_p50_ms: round(percentile(passes, 50)) };
      for (const [name, p] of [['resource', '/metrics/resource'], ['cadvisor', '/metrics/cadvisor'], ['summary', '/stats/summary']] as const) {
        const ms: number[] = [];
        let bytes = 0;
        const cpu0 = process.cpuUsage();
        for (let i = 0; i < SCRAPES; i++) {
          const s = sink();
          const t0 = performance.now();
          await stats.serve(p, new URLSearchParams(), s.res);
          ms.push(performance.now() - t0);
          bytes = s.bytes();
        }
        const cpu = process.cpuUsage(cpu0);
        const cpuMs = (cpu.user + cpu.system) / 1000 / SCRAPES;
        ms.sort((a, b) => a - b);
        console.log(`${p.padEnd(18)} p50 ${fmtMs(percentile(ms, 50))} ms  p99 ${fmtMs(percentile(ms, 99))} ms  CPU ${fmtMs(cpuMs)} ms per scrape  (${(bytes / 1024).toFixed(0)} KiB)`);
        Object.assign(figures, { [`${name}_p50_ms`]: round(percentile(ms, 50)), [`${name}_p99_ms`]: round(percentile(ms, 99)), [`${name}_cpu_ms`]: round(cpuMs), [`${name}_kib`]: round(bytes / 1024, 0) });
      }
      if (values.json) printJson(figures);
    } finally {
      stats.close();
    }
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
}

main().catch((e) => {
  console.error(e);
  process.exit(1);
});

