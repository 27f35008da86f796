// GET /metrics/resource (pkg/kubelet/metrics/collectors/resource_metrics.go): the node's, pods' and containers' CPU
// and working set under the kubelet's stable names, each sample stamped with the time it was read — what
// metrics-server scrapes. A failure to gather answers scrape_error 1 with no other samples.
import type { MetricFamily } from '../../../api/prometheus.js';
import type { Facts } from './provider.js';

const family = (name: string, help: string, type: MetricFamily['type'], stability = 'STABLE'): MetricFamily => ({ name, help: `[${stability}] ${help}`, type, samples: [] });

export function resourceMetrics(f: Facts | undefined): MetricFamily[] {
  const nodeCpu = family('node_cpu_usage_seconds_total', 'Cumulative cpu time consumed by the node in core-seconds', 'counter');
  const nodeMem = family('node_memory_working_set_bytes', 'Current working set of the node in bytes', 'gauge');
  const ctrCpu = family('container_cpu_usage_seconds_total', 'Cumulative cpu time consumed by the container in core-seconds', 'counter');
  const ctrMem = family('container_memory_working_set_bytes', 'Current working set of the container in bytes', 'gauge');
  const ctrStart = family('container_start_time_seconds', 'Start time of the container since unix epoch in seconds', 'gauge');
  const podCpu = family('pod_cpu_usage_seconds_total', 'Cumulative cpu time consumed by the pod in core-seconds', 'counter');
  const podMem = family('pod_memory_working_set_bytes', 'Current working set of the pod in bytes', 'gauge');
  const scrapeError = family('scrape_error', '(Deprecated since 1.29.0) 1 if there was an error while getting container metrics, 0 otherwise', 'gauge', 'ALPHA');
  const resourceScrapeError = family('resource_scrape_error', '1 if there was an error while getting container metrics, 0 otherwise', 'gauge');
  const all = [nodeCpu, nodeMem, ctrCpu, ctrMem, ctrStart, podCpu, podMem, scrapeError, resourceScrapeError];
  const failed = f ? 0 : 1;
  scrapeError.samples.push({ value: failed });
  resourceScrapeError.samples.push({ value: failed });
  if (!f) return all;

  const u = f.node.usage;
  if (u?.cpuUsageNs !== undefined) nodeCpu.samples.push({ value: u.cpuUsageNs / 1e9, timestampMs: u.time });
  if (u?.memory) nodeMem.samples.push({ value: u.memory.workingSetBytes, timestampMs: u.memory.time });
  for (const p of f.pods) {
    for (const c of p.containers) {
      const labels = { container: c.name, pod: p.name, namespace: p.namespace };
      if (c.startTime > 0) ctrStart.samples.push({ labels, value: c.startTime / 1000 });
      if (c.usage?.cpuUsageNs !== undefined) ctrCpu.samples.push({ labels, value: c.usage.cpuUsageNs / 1e9, timestampMs: c.usage.time });
      if (c.usage?.memory) ctrMem.samples.push({ labels, value: c.usage.memory.workingSetBytes, timestampMs: c.usage.memory.time });
    }
    const labels = { pod: p.name, namespace: p.namespace };
    if (p.usage?.cpuUsageNs !== undefined) podCpu.samples.push({ labels, value: p.usage.cpuUsageNs / 1e9, timestampMs: p.usage.time });
    if (p.usage?.memory) podMem.samples.push({ labels, value: p.usage.memory.workingSetBytes, timestampMs: p.usage.memory.time });
  }
  return all;
}
