// metrics-server's storage: rates from the last two scrapes of /metrics/resource, and its quantity formats.
import t from 'tap';
import { cpuQuantity, decodeResourceMetrics, memoryQuantity, MetricsStorage } from './storage.js';

const scrape = (nodeCpu: number, ctrCpu: number, ms: number) =>
  decodeResourceMetrics(
    [
      `node_cpu_usage_seconds_total ${nodeCpu} ${ms}`,
      `node_memory_working_set_bytes 1048576 ${ms}`,
      `container_cpu_usage_seconds_total{container="c",namespace="default",pod="p"} ${ctrCpu} ${ms}`,
      `container_memory_working_set_bytes{container="c",namespace="default",pod="p"} 2048 ${ms}`,
      `container_start_time_seconds{container="c",namespace="default",pod="p"} 1000`,
    ].join('\n'),
  );

t.test('rates come from two scrapes; one scrape gives none', async (t) => {
  const s = new MetricsStorage();
  s.store(new Map([['n1', scrape(10, 1, 100_000)]]));
  t.equal(s.node('n1'), undefined);
  t.equal(s.pod('default', 'p'), undefined);
  s.store(new Map([['n1', scrape(12, 1.5, 110_000)]]));
  t.same(s.node('n1'), { timestampMs: 110_000, windowMs: 10_000, usage: { cpu: 0.2, memory: 1048576 } });
  t.same(s.pod('default', 'p')?.containers, [{ name: 'c', usage: { cpu: 0.05, memory: 2048 } }]);
  // The kubelet served the same sample again: the older reading is kept for the rate.
  s.store(new Map([['n1', scrape(12, 1.5, 110_000)]]));
  t.equal(s.node('n1')?.usage.cpu, 0.2);
  // A counter going backwards (a restart) gives no rate.
  s.store(new Map([['n1', scrape(1, 0.1, 120_000)]]));
  t.equal(s.node('n1'), undefined);
});

t.test('quantities as metrics-server writes them', async (t) => {
  t.equal(cpuQuantity(0.25), '250000000n');
  t.equal(memoryQuantity(2048), '2Ki');
  t.equal(memoryQuantity(1000), '1000');
});
