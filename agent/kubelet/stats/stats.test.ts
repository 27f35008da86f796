// The stats provider against a real containerd (test/kubelet-node.ts): a pod that burns CPU shows a rising
// usageCoreNanoSeconds, a usageNanoCores near a core, a working set above zero and its network namespace's eth0 in
// the Summary; /metrics/resource and /metrics/cadvisor carry the same container under upstream names.
import t from 'tap';
import { parseText } from '../../../api/prometheus.js';
import { startKubeletNode } from '../../../test/kubelet-node.js';
import { until } from '../../../test/until.js';
import { cadvisorMetrics } from './cadvisor.js';
import { StatsProvider } from './provider.js';
import { resourceMetrics } from './resource.js';
import { buildSummary } from './summary.js';
import { encodeText } from '../../../api/prometheus.js';

t.test('stats of a CPU-burning pod on a real containerd', { timeout: 300_000 }, async (t) => {
  const kn = await startKubeletNode(t, { prefix: 'kt-st', podCIDR: '10.88.31.0/24' });
  const provider = new StatsProvider({ nodeName: 'kl-node', dataDir: kn.spec.dataDir, cgroupParent: kn.spec.cgroupParent, runtime: kn.cri, intervalMs: 1000 }).start();
  t.teardown(() => provider.close());

  const burner = kn.pod('burner', { containers: [{ name: 'burn', image: 'busybox:1.35', command: ['sh', '-c', 'while :; do :; done'] }] });
  kn.manager.podUpdated(burner);
  await kn.waitStatus(burner, 'running', (s) => s.phase === 'Running');

  const burnStats = async () => {
    const summary = buildSummary(await provider.facts());
    const pod = summary.pods.find((p) => p.podRef.name === 'burner');
    return { summary, pod, container: pod?.containers.find((c) => c.name === 'burn') };
  };
  const first = await until('a CPU rate for the burning container', async () => {
    const s = await burnStats();
    return (s.container?.cpu?.usageNanoCores ?? 0) > 0.2e9 ? s : undefined;
  }, 60_000);
  const c1 = first.container!;
  t.ok(c1.cpu!.usageNanoCores! > 0.2e9, `usageNanoCores ${c1.cpu!.usageNanoCores} (a busy loop uses most of a core)`);
  t.ok(c1.memory!.workingSetBytes! > 0, `working set ${c1.memory!.workingSetBytes}`);
  t.match(c1.startTime, /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ$/);
  const pod = first.pod!;
  t.same(pod.podRef, { name: 'burner', namespace: 'default', uid: burner.metadata.uid });
  t.ok(pod.cpu!.usageCoreNanoSeconds! >= c1.cpu!.usageCoreNanoSeconds!, 'the pod cgroup holds its container');
  t.ok(pod.memory!.workingSetBytes! > 0);
  t.equal(pod.network?.name, 'eth0', "the pod's own network namespace");
  t.ok(pod.network!.interfaces!.some((i) => i.name === 'eth0'));
  const node = first.summary.node;
  t.equal(node.nodeName, 'kl-node');
  t.ok(node.cpu!.usageCoreNanoSeconds! > 0 && node.memory!.workingSetBytes! > 0, 'node CPU and memory');
  t.ok(node.fs!.capacityBytes! > 0 && node.fs!.availableBytes! > 0, 'node filesystem');
  t.ok(node.rlimit!.maxpid! > 0 && node.rlimit!.curproc! > 0, 'rlimit');
  t.equal(node.systemContainers![0].name, 'pods');

  const later = await until('the cumulative CPU to rise', async () => {
    const s = await burnStats();
    return (s.container?.cpu?.usageCoreNanoSeconds ?? 0) > c1.cpu!.usageCoreNanoSeconds! ? s : undefined;
  }, 30_000);
  t.ok(later.container!.cpu!.usageCoreNanoSeconds! > c1.cpu!.usageCoreNanoSeconds!, 'usageCoreNanoSeconds rises');

  const facts = await provider.facts();
  const resource = parseText(encodeText(resourceMetrics(facts)));
  const cpuSample = resource.find((s) => s.name === 'container_cpu_usage_seconds_total' && s.labels.pod === 'burner');
  t.same(cpuSample?.labels, { container: 'burn', pod: 'burner', namespace: 'default' });
  t.ok(cpuSample!.value > 0 && cpuSample!.timestampMs! > 0, 'container CPU seconds, with the time they were read');
  t.ok(resource.find((s) => s.name === 'container_memory_working_set_bytes' && s.labels.pod === 'burner')!.value > 0);
  t.ok(resource.find((s) => s.name === 'pod_cpu_usage_seconds_total' && s.labels.pod === 'burner'));
  t.equal(resource.find((s) => s.name === 'scrape_error')?.value, 0);

  const cadvisor = parseText(encodeText(cadvisorMetrics(facts)));
  const ctr = cadvisor.find((s) => s.name === 'container_cpu_usage_seconds_total' && s.labels.container === 'burn')!;
  t.equal(ctr.labels.image, 'docker.io/library/busybox:1.35', 'the image as the pod names it');
  t.equal(ctr.labels.id, `${kn.spec.cgroupParent}/pod${burner.metadata.uid}/${ctr.labels.name}`, 'id is the cgroup, name the container ID');
  t.ok(cadvisor.some((s) => s.name === 'container_network_receive_bytes_total' && s.labels.pod === 'burner' && s.labels.interface === 'eth0'));
  t.ok(cadvisor.some((s) => s.name === 'container_fs_usage_bytes' && s.labels.container === 'burn'), 'writable layer from CRI');
  t.ok(cadvisor.find((s) => s.name === 'machine_cpu_cores')!.value >= 1);

  await kn.deletePod(burner);
});
