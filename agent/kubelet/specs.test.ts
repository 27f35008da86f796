import t from 'tap';
import { makePod, testUID } from '../../test/fixtures/kubelet.js';
import { containerConfig, dnsConfigFor, parseResolvConf, sandboxConfig, type SpecOptions } from './specs.js';

const opts: SpecOptions = { dataDir: '/var/lib/kt', cgroupParent: '/kubets-worker1', clusterDNS: '10.96.0.10', clusterDomain: 'cluster.local', nodeName: 'worker1', nodeIP: '192.168.56.11' };

t.test('sandbox config: metadata, hostname, logs, DNS, ports, cgroup parent, labels', async (t) => {
  const pod = makePod({ containers: [{ name: 'app', image: 'busybox:1.35', ports: [{ containerPort: 80, hostPort: 8080 }, { containerPort: 53, protocol: 'UDP' }] }] });
  pod.metadata.labels = { app: 'web' };
  const c = sandboxConfig(pod, 2, opts);
  t.same(c.metadata, { name: 'web', namespace: 'default', uid: testUID, attempt: 2 });
  t.equal(c.hostname, 'web');
  t.equal(c.log_directory, `/var/lib/kt/pods/default_web_${testUID}`);
  t.same(c.dns_config, { servers: ['10.96.0.10'], searches: ['default.svc.cluster.local', 'svc.cluster.local', 'cluster.local'], options: ['ndots:5'] });
  t.same(c.port_mappings, [{ protocol: 'TCP', container_port: 80, host_port: 8080, host_ip: '' }]);
  t.equal(c.linux!.cgroup_parent, `/kubets-worker1/pod${testUID}`);
  t.same(c.linux!.security_context!.namespace_options, { network: 'POD', pid: 'CONTAINER', ipc: 'POD' });
  t.same(c.labels, { app: 'web', 'io.kubernetes.pod.name': 'web', 'io.kubernetes.pod.namespace': 'default', 'io.kubernetes.pod.uid': testUID });
});

t.test('dnsPolicy: host network uses the node resolv.conf; None and dnsConfig merge', async (t) => {
  const host = makePod({ hostNetwork: true });
  t.equal(dnsConfigFor(host, opts), undefined);
  t.equal(sandboxConfig(host, 0, opts).linux!.security_context!.namespace_options!.network, 'NODE');
  t.equal(sandboxConfig(host, 0, opts).hostname, '');
  host.spec.dnsPolicy = 'ClusterFirstWithHostNet';
  t.same(dnsConfigFor(host, opts)!.servers, ['10.96.0.10']);
  const none = makePod();
  none.spec.dnsPolicy = 'None';
  none.spec.dnsConfig = { nameservers: ['1.1.1.1'], searches: ['example.com'], options: [{ name: 'ndots', value: '2' }, { name: 'edns0' }] };
  t.same(dnsConfigFor(none, opts), { servers: ['1.1.1.1'], searches: ['example.com'], options: ['ndots:2', 'edns0'] });
  const merged = makePod();
  merged.spec.dnsConfig = { options: [{ name: 'ndots', value: '1' }] };
  t.same(dnsConfigFor(merged, opts)!.options, ['ndots:1'], 'a pod option replaces the default of the same name');
  const dflt = makePod();
  dflt.spec.dnsPolicy = 'Default';
  dflt.spec.dnsConfig = { searches: ['extra.local'] };
  t.same(dnsConfigFor(dflt, { ...opts, hostResolvConf: 'nameserver 192.168.56.1\nsearch lab\n' }), { servers: ['192.168.56.1'], searches: ['lab', 'extra.local'], options: [] });
  t.same(parseResolvConf('# c\nnameserver 8.8.8.8\noptions ndots:1 rotate\n'), { servers: ['8.8.8.8'], searches: [], options: ['ndots:1', 'rotate'] });
});

t.test('container config: command is the entrypoint, args the cmd; env, mounts, resources, labels, log path', async (t) => {
  const pod = makePod({
    containers: [{
      name: 'app', image: 'busybox:1.35', command: ['sh', '-c'], args: ['echo hi'], workingDir: '/tmp',
      env: [{ name: 'A', value: '1' }, { name: 'POD_IP', valueFrom: { fieldRef: { fieldPath: 'status.podIP' } } }, { name: 'NODE', valueFrom: { fieldRef: { fieldPath: 'spec.nodeName' } } }],
      resources: { requests: { cpu: '250m' }, limits: { cpu: '500m', memory: '64Mi' } },
      volumeMounts: [{ name: 'scratch', mountPath: '/scratch' }, { name: 'host', mountPath: '/h', readOnly: true }],
    }],
  });
  pod.spec.volumes = [{ name: 'scratch', emptyDir: {} }, { name: 'host', hostPath: { path: '/srv' } }];
  const c = containerConfig(pod, pod.spec.containers[0], 3, 'sha256:abc', '10.244.1.5', opts);
  t.same(c.metadata, { name: 'app', attempt: 3 });
  t.same(c.image, { image: 'sha256:abc' });
  t.same([c.command, c.args, c.working_dir], [['sh', '-c'], ['echo hi'], '/tmp']);
  t.same(c.envs, [{ key: 'A', value: '1' }, { key: 'POD_IP', value: '10.244.1.5' }, { key: 'NODE', value: 'worker1' }]);
  t.same(c.mounts, [
    { container_path: '/scratch', host_path: `/var/lib/kt/pod-volumes/${testUID}/empty-dir/scratch`, readonly: false },
    { container_path: '/h', host_path: '/srv', readonly: true },
  ]);
  t.same(c.linux!.resources, { cpu_shares: 256, cpu_period: 100000, cpu_quota: 50000, memory_limit_in_bytes: 64 * 1024 * 1024 });
  t.equal(c.log_path, 'app/3.log');
  t.equal(c.labels!['io.kubernetes.container.name'], 'app');
  t.equal(c.labels!['io.kubernetes.pod.uid'], testUID);
  t.equal(c.annotations!['io.kubernetes.container.restartCount'], '3');
});

t.test('container config with resolved env and mounts: $(VAR) in command and args from the final env', async (t) => {
  const pod = makePod({ containers: [{ name: 'app', image: 'busybox:1.35', command: ['sh', '-c', 'echo $(GREETING)'], args: ['$(HOST):$(PORT)', '$$(HOST)'] }] });
  const run = {
    envs: [{ key: 'GREETING', value: 'hi' }, { key: 'HOST', value: '10.96.0.1' }, { key: 'PORT', value: '443' }],
    mounts: [{ container_path: '/etc/config', host_path: '/var/lib/kt/pod-volumes/x/configmap/config', readonly: true }],
  };
  const c = containerConfig(pod, pod.spec.containers[0], 0, 'sha256:abc', '10.244.1.5', opts, run);
  t.same([c.command, c.args], [['sh', '-c', 'echo hi'], ['10.96.0.1:443', '$(HOST)']]);
  t.same(c.envs, run.envs);
  t.same(c.mounts, run.mounts);
  const unresolved = makePod({ containers: [{ name: 'app', image: 'busybox:1.35', env: [{ name: 'X', valueFrom: { configMapKeyRef: { name: 'cfg', key: 'x' } } }] }] });
  t.throws(() => containerConfig(unresolved, unresolved.spec.containers[0], 0, 'sha256:abc', '', opts), { message: 'configmap "cfg" not found' }, 'without resolved options an object reference cannot be met');
});
