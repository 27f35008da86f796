// The Summary and the resource and cadvisor metrics from one set of facts: field names and units as upstream's.
import t from 'tap';
import { encodeText } from '../../../api/prometheus.js';
import { cadvisorMetrics } from './cadvisor.js';
import type { Facts } from './provider.js';
import { resourceMetrics } from './resource.js';
import { buildSummary } from './summary.js';

const T = Date.UTC(2024, 0, 2, 3, 4, 5, 678);
const mem = { time: T, usageBytes: 3000, workingSetBytes: 2000, rssBytes: 1500, pageFaults: 7, majorPageFaults: 1 };
const facts: Facts = {
  node: {
    nodeName: 'worker1',
    startTime: T - 3_600_000,
    usage: { time: T, cpuUsageNs: 5_000_000_000, usageNanoCores: 250_000_000, memory: mem },
    pods: { cgroup: '/kubepods', startTime: T - 60_000, usage: { time: T, cpuUsageNs: 1_000_000_000 } },
    network: { time: T, interfaces: [{ name: 'ens3', rxBytes: 1, rxErrors: 0, txBytes: 2, txErrors: 0 }, { name: 'eth0', rxBytes: 10, rxErrors: 1, txBytes: 20, txErrors: 2 }] },
    fs: { time: T, capacityBytes: 100, availableBytes: 40, usedBytes: 60, inodes: 10, inodesFree: 4, inodesUsed: 6 },
    rlimit: { time: T, maxpid: 4194304, curproc: 300 },
    machine: { cpuCores: 2, memoryBytes: 10_000 },
  },
  pods: [
    {
      name: 'web',
      namespace: 'default',
      uid: 'u1',
      sandboxId: 'sb1',
      cgroup: '/kubepods/podu1',
      startTime: T - 10_000,
      usage: { time: T, cpuUsageNs: 2_500_000_000, memory: { ...mem, limitBytes: 5000 } },
      network: { time: T, interfaces: [{ name: 'eth0', rxBytes: 5, rxErrors: 0, txBytes: 6, txErrors: 0 }] },
      containers: [{ id: 'c1', name: 'app', image: 'docker.io/library/busybox:1.35', cgroup: '/kubepods/podu1/c1', startTime: T - 9_000, usage: { time: T, cpuUsageNs: 2_000_000_000, usageNanoCores: 900_000_000, memory: { ...mem, limitBytes: 5000 } } }],
      processCount: 2,
    },
  ],
};

t.test('summary', async (t) => {
  const s = buildSummary(facts);
  t.same(s.node.cpu, { time: '2024-01-02T03:04:05Z', usageNanoCores: 250_000_000, usageCoreNanoSeconds: 5_000_000_000 });
  t.same(s.node.memory, { time: '2024-01-02T03:04:05Z', availableBytes: 8000, usageBytes: 3000, workingSetBytes: 2000, rssBytes: 1500, pageFaults: 7, majorPageFaults: 1 }, "node's available: machine memory less working set");
  t.same(s.node.network, { time: '2024-01-02T03:04:05Z', name: 'eth0', rxBytes: 10, rxErrors: 1, txBytes: 20, txErrors: 2, interfaces: [{ name: 'ens3', rxBytes: 1, rxErrors: 0, txBytes: 2, txErrors: 0 }, { name: 'eth0', rxBytes: 10, rxErrors: 1, txBytes: 20, txErrors: 2 }] }, 'eth0 inline');
  t.same(s.node.rlimit, { time: '2024-01-02T03:04:05Z', maxpid: 4194304, curproc: 300 });
  t.same(s.node.systemContainers, [{ name: 'pods', startTime: '2024-01-02T03:03:05Z', cpu: { time: '2024-01-02T03:04:05Z', usageCoreNanoSeconds: 1_000_000_000 } }]);
  const p = s.pods[0];
  t.same(p.podRef, { name: 'web', namespace: 'default', uid: 'u1' });
  t.equal(p.memory!.availableBytes, 3000, "a pod's available: its limit less working set");
  t.same(p.containers[0].cpu, { time: '2024-01-02T03:04:05Z', usageNanoCores: 900_000_000, usageCoreNanoSeconds: 2_000_000_000 });
  t.same(p.process_stats, { process_count: 2 });
  const only = buildSummary(facts, { onlyCpuAndMemory: true });
  t.notOk(only.node.network || only.node.fs || only.pods[0].network, 'only_cpu_and_memory leaves the rest out');
});

t.test('/metrics/resource', async (t) => {
  const text = encodeText(resourceMetrics(facts));
  t.match(text, '# HELP container_cpu_usage_seconds_total [STABLE] Cumulative cpu time consumed by the container in core-seconds\n# TYPE container_cpu_usage_seconds_total counter\ncontainer_cpu_usage_seconds_total{container="app",namespace="default",pod="web"} 2 1704164645678\n');
  t.match(text, `container_start_time_seconds{container="app",namespace="default",pod="web"} ${(T - 9000) / 1000}\n`);
  t.match(text, 'node_cpu_usage_seconds_total 5 1704164645678\n');
  t.match(text, 'node_memory_working_set_bytes 2000 1704164645678\n');
  t.match(text, 'pod_cpu_usage_seconds_total{namespace="default",pod="web"} 2.5 1704164645678\n');
  t.match(text, 'pod_memory_working_set_bytes{namespace="default",pod="web"} 2000 1704164645678\n');
  t.match(text, '\nscrape_error 0\n');
  const failed = encodeText(resourceMetrics(undefined));
  t.match(failed, '\nscrape_error 1\n');
  t.notMatch(failed, /node_cpu_usage_seconds_total \d/, 'no samples when gathering failed');
});

t.test('/metrics/cadvisor', async (t) => {
  const text = encodeText(cadvisorMetrics(facts));
  t.match(text, 'container_cpu_usage_seconds_total{container="",cpu="total",id="/",image="",name="",namespace="",pod=""} 5 1704164645678\n');
  t.match(text, 'container_cpu_usage_seconds_total{container="app",cpu="total",id="/kubepods/podu1/c1",image="docker.io/library/busybox:1.35",name="c1",namespace="default",pod="web"} 2 1704164645678\n');
  t.match(text, 'container_memory_working_set_bytes{container="",id="/kubepods/podu1",image="",name="",namespace="default",pod="web"} 2000 1704164645678\n');
  t.match(text, 'container_network_receive_bytes_total{container="",id="/kubepods/podu1",image="",interface="eth0",name="",namespace="default",pod="web"} 5 1704164645678\n');
  t.match(text, 'container_spec_memory_limit_bytes{container="app",id="/kubepods/podu1/c1",image="docker.io/library/busybox:1.35",name="c1",namespace="default",pod="web"} 5000');
  t.match(text, '\nmachine_cpu_cores 2\n');
  t.match(text, '\nmachine_memory_bytes 10000\n');
});
