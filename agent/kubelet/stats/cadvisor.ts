// GET /metrics/cadvisor (google/cadvisor metrics/prometheus.go as the kubelet serves it): per-cgroup series under
// cadvisor's names for the root cgroup (id="/"), the pods' cgroup, each pod's cgroup (container="") and each
// container, labelled container, id (the cgroup), image, name (the runtime's container ID), namespace and pod; the
// pod's network namespace counters on its pod series; and the machine_* gauges. Dashboards and alerts written for
// cadvisor (`container!=""`, `rate(container_cpu_usage_seconds_total[5m])`) read these unchanged.
import type { MetricFamily, Sample } from '../../../api/prometheus.js';
import type { Facts, FsFacts, NetworkFacts, Usage } from './provider.js';

interface Series {
  labels: { container: string; id: string; image: string; name: string; namespace: string; pod: string };
  usage?: Usage;
  network?: NetworkFacts;
  rootfs?: FsFacts;
  startTime?: number;
}

export function cadvisorMetrics(f: Facts): MetricFamily[] {
  const fam = (name: string, help: string, type: MetricFamily['type']): MetricFamily => ({ name, help, type, samples: [] });
  const cpu = fam('container_cpu_usage_seconds_total', 'Cumulative cpu time consumed in seconds.', 'counter');
  const ws = fam('container_memory_working_set_bytes', 'Current working set in bytes.', 'gauge');
  const usage = fam('container_memory_usage_bytes', 'Current memory usage in bytes, including all memory regardless of when it was accessed', 'gauge');
  const rss = fam('container_memory_rss', 'Size of RSS in bytes.', 'gauge');
  const pgfault = fam('container_memory_failures_total', 'Cumulative count of memory allocation failures.', 'counter');
  const limit = fam('container_spec_memory_limit_bytes', 'Memory limit for the container.', 'gauge');
  const rx = fam('container_network_receive_bytes_total', 'Cumulative count of bytes received', 'counter');
  const tx = fam('container_network_transmit_bytes_total', 'Cumulative count of bytes transmitted', 'counter');
  const rxErr = fam('container_network_receive_errors_total', 'Cumulative count of errors encountered while receiving', 'counter');
  const txErr = fam('container_network_transmit_errors_total', 'Cumulative count of errors encountered while transmitting', 'counter');
  const fsUsage = fam('container_fs_usage_bytes', 'Number of bytes that are consumed by the container on this filesystem.', 'gauge');
  const fsLimit = fam('container_fs_limit_bytes', 'Number of bytes that can be consumed by the container on this filesystem.', 'gauge');
  const start = fam('container_start_time_seconds', 'Start time of the container since unix epoch in seconds.', 'gauge');
  const lastSeen = fam('container_last_seen', 'Last time a container was seen by the exporter', 'gauge');
  const cores = fam('machine_cpu_cores', 'Number of logical CPU cores.', 'gauge');
  const memory = fam('machine_memory_bytes', 'Amount of memory installed on the machine.', 'gauge');

  const empty = { container: '', image: '', name: '', namespace: '', pod: '' };
  const series: Series[] = [{ labels: { ...empty, id: '/' }, usage: f.node.usage, network: f.node.network, startTime: f.node.startTime }];
  if (f.node.pods) series.push({ labels: { ...empty, id: f.node.pods.cgroup }, usage: f.node.pods.usage, startTime: f.node.pods.startTime });
  for (const p of f.pods) {
    series.push({ labels: { ...empty, id: p.cgroup, namespace: p.namespace, pod: p.name }, usage: p.usage, network: p.network, startTime: p.startTime });
    for (const c of p.containers)
      series.push({ labels: { container: c.name, id: c.cgroup, image: c.image, name: c.id, namespace: p.namespace, pod: p.name }, usage: c.usage, rootfs: c.rootfs, startTime: c.startTime });
  }

  const now = Date.now();
  for (const s of series) {
    const at = (time: number, labels: Record<string, string>, value: number): Sample => ({ labels, value, timestampMs: time });
    const u = s.usage;
    if (u?.cpuUsageNs !== undefined) cpu.samples.push(at(u.time, { ...s.labels, cpu: 'total' }, u.cpuUsageNs / 1e9));
    if (u?.memory) {
      const m = u.memory;
      ws.samples.push(at(m.time, s.labels, m.workingSetBytes));
      usage.samples.push(at(m.time, s.labels, m.usageBytes));
      rss.samples.push(at(m.time, s.labels, m.rssBytes));
      pgfault.samples.push(at(m.time, { ...s.labels, failure_type: 'pgfault', scope: 'container' }, m.pageFaults));
      pgfault.samples.push(at(m.time, { ...s.labels, failure_type: 'pgmajfault', scope: 'container' }, m.majorPageFaults));
      limit.samples.push(at(m.time, s.labels, m.limitBytes ?? 0));
    }
    for (const i of s.network?.interfaces ?? []) {
      const labels = { ...s.labels, interface: i.name };
      rx.samples.push(at(s.network!.time, labels, i.rxBytes));
      tx.samples.push(at(s.network!.time, labels, i.txBytes));
      rxErr.samples.push(at(s.network!.time, labels, i.rxErrors));
      txErr.samples.push(at(s.network!.time, labels, i.txErrors));
    }
    if (s.rootfs) {
      const labels = { ...s.labels, device: s.rootfs.device ?? '' };
      fsUsage.samples.push(at(s.rootfs.time, labels, s.rootfs.usedBytes ?? 0));
      if (s.rootfs.capacityBytes !== undefined) fsLimit.samples.push(at(s.rootfs.time, labels, s.rootfs.capacityBytes));
    }
    if (s.startTime) start.samples.push(at(now, s.labels, s.startTime / 1000));
    lastSeen.samples.push(at(now, s.labels, Math.floor(now / 1000)));
  }
  cores.samples.push({ value: f.node.machine.cpuCores });
  memory.samples.push({ value: f.node.machine.memoryBytes });
  return [cpu, ws, usage, rss, pgfault, limit, rx, tx, rxErr, txErr, fsUsage, fsLimit, start, lastSeen, cores, memory];
}
