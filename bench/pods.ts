// Pod start-up (the Kubernetes pod start-up SLO: creation → Running), kubets' pod manager beside the raw runtime floor
// measured in the same run on the same containerd: N pods handed to the pod manager at once, and N sandboxes +
// containers created straight through CRI (the same sandbox and container configs, built by the same functions, with
// the pod manager not in the path). p50/p99 both ways, their ratio, and the pod manager's CPU per pod. The pod manager
// runs in this process (test/kubelet-node.ts), so its CPU is process.cpuUsage() over the kubets phase less that over
// the CRI phase (the CRI client and this bench's own polling cost the same in both). Prints figures; asserts nothing.
// Run as root: node dist/bench/pods.js [--sizes 30,100] [--json]
import type { Pod } from '../api/types.js';
import { containerConfig, sandboxConfig } from '../agent/kubelet/specs.js';
import type { KubeletNode } from '../test/kubelet-node.js';
import { cannotStartNode, deletePods, sleeperSpec, startBenchNode, startPods } from './node.js';
import { benchArgs, fmtMs, percentile, printJson, printTable, round, skip } from './timing.js';

const { values } = benchArgs({ options: { sizes: { type: 'string', default: '30,100' }, json: { type: 'boolean', default: false } } });
const SIZES = values.sizes.split(',').map(Number);

/** The raw floor: each pod's sandbox (with its network), its IP, then its container created and started. */
async function criFloor(kn: KubeletNode, pods: Pod[]): Promise<number[]> {
  const { cri, spec } = kn;
  const image = (await cri.imageStatus({ image: { image: 'busybox:1.35' } })).image;
  if (!image) throw new Error('busybox:1.35 is not imported');
  const t0 = performance.now();
  const sandboxes: string[] = [];
  const lat = await Promise.all(
    pods.map(async (pod) => {
      const config = sandboxConfig(pod, 0, spec);
      const { pod_sandbox_id } = await cri.runPodSandbox({ config });
      sandboxes.push(pod_sandbox_id);
      const ip = (await cri.podSandboxStatus({ pod_sandbox_id })).status?.network?.ip ?? '';
      const { container_id } = await cri.createContainer({ pod_sandbox_id, config: containerConfig(pod, pod.spec.containers[0]!, 0, image.id, ip, spec), sandbox_config: config });
      await cri.startContainer({ container_id });
      return performance.now() - t0;
    }),
  );
  await Promise.all(sandboxes.map(async (id) => {
    await cri.stopPodSandbox({ pod_sandbox_id: id });
    await cri.removePodSandbox({ pod_sandbox_id: id });
  }));
  return lat.sort((a, b) => a - b);
}

interface SizeFigures {
  pods: number;
  kubets: number[];
  cri: number[];
  cpuMsPerPod: number;
}

async function main(): Promise<void> {
  const why = await cannotStartNode();
  if (why) skip(why, values.json);
  const node = await startBenchNode('kt-bpod', '10.98.0.0/22');
  const figures: SizeFigures[] = [];
  try {
    const kn = node.kn;
    for (const n of SIZES) {
      // Floor first, then kubets, each on an idle runtime; names differ so nothing is reused.
      const criPods = Array.from({ length: n }, (_, i) => kn.pod(`cri-${n}-${i}`, sleeperSpec()));
      let cpu0 = process.cpuUsage();
      const cri = await criFloor(kn, criPods);
      const criCpu = process.cpuUsage(cpu0);
      const pods = Array.from({ length: n }, (_, i) => kn.pod(`kt-${n}-${i}`, sleeperSpec()));
      cpu0 = process.cpuUsage();
      const kubets = await startPods(kn, pods);
      const ktCpu = process.cpuUsage(cpu0);
      const ms = (u: NodeJS.CpuUsage) => (u.user + u.system) / 1000;
      figures.push({ pods: n, kubets, cri, cpuMsPerPod: Math.max(0, ms(ktCpu) - ms(criCpu)) / n });
      console.error(`${n} pods: kubets p99 ${fmtMs(percentile(kubets, 99))} ms, CRI p99 ${fmtMs(percentile(cri, 99))} ms`);
      await deletePods(kn, pods);
    }
  } finally {
    await node.close();
  }
  console.log('pod start-up, creation → Running: kubets pod manager beside raw CRI on the same containerd (busybox sleeper, image present)');
  printTable(['pods', 'kubets p50', 'kubets p99', 'CRI p50', 'CRI p99', 'p99 ratio', 'pod manager CPU ms/pod'], figures.map((f) => [String(f.pods), fmtMs(percentile(f.kubets, 50)), fmtMs(percentile(f.kubets, 99)), fmtMs(percentile(f.cri, 50)), fmtMs(percentile(f.cri, 99)), `${(percentile(f.kubets, 99) / percentile(f.cri, 99)).toFixed(2)}×`, f.cpuMsPerPod.toFixed(1)]), 0);
  if (values.json) {
    // The headline figures are the largest size's.
    const f = figures[figures.length - 1]!;
    printJson({
      pods: f.pods,
      kubets_p99_ms: round(percentile(f.kubets, 99), 0),
      kubets_p50_ms: round(percentile(f.kubets, 50), 0),
      cri_p99_ms: round(percentile(f.cri, 99), 0),
      cri_p50_ms: round(percentile(f.cri, 50), 0),
      ratio_p99: round(percentile(f.kubets, 99) / percentile(f.cri, 99)),
      kubelet_cpu_ms_per_pod: round(f.cpuMsPerPod, 1),
      kubelet_cpu_source: 'in-process: process.cpuUsage() delta, kubets phase less CRI phase',
      sizes: figures.map((x) => ({ pods: x.pods, kubets_p99_ms: round(percentile(x.kubets, 99), 0), cri_p99_ms: round(percentile(x.cri, 99), 0), ratio_p99: round(percentile(x.kubets, 99) / percentile(x.cri, 99)), kubelet_cpu_ms_per_pod: round(x.cpuMsPerPod, 1) })),
    });
  }
}

main().then(
  () => process.exit(0),
  (e) => {
    process.stderr.write(`bench/pods: ${(e as Error).stack}\n`);
    process.exit(1);
  },
);
