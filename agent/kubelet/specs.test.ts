import t from 'tap';
import { makePod, testUID } from '../../test/fixtures/kubelet.js';
import { defaultMaskedPaths, verifyRunAsNonRoot } from './securitycontext.js';
import { containerConfig, containerResources, dnsConfigFor, parseResolvConf, podLogDirectory, sandboxConfig, type SpecOptions } from './specs.js';

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

t.test('resources: CPU shares, CFS quota and memory limit as kubelet computes them', async (t) => {
  const res = (resources: Record<string, Record<string, string>>) => containerResources({ name: 'app', image: 'busybox:1.35', resources });
  const cases: [string, Record<string, Record<string, string>>, object][] = [
    ['nothing set: minimum shares, no quota', {}, { cpu_shares: 2 }],
    ['a request only', { requests: { cpu: '100m', memory: '32Mi' } }, { cpu_shares: 102 }],
    ['a limit only: shares from the limit', { limits: { cpu: '1', memory: '128Mi' } }, { cpu_shares: 1024, cpu_period: 100_000, cpu_quota: 100_000, memory_limit_in_bytes: 134_217_728 }],
    ['request and limit', { requests: { cpu: '250m' }, limits: { cpu: '1500m', memory: '1Gi' } }, { cpu_shares: 256, cpu_period: 100_000, cpu_quota: 150_000, memory_limit_in_bytes: 1_073_741_824 }],
    ['a tiny limit: at least 1 ms of quota', { limits: { cpu: '1m' } }, { cpu_shares: 2, cpu_period: 100_000, cpu_quota: 1000 }],
    ['decimal memory', { limits: { memory: '64M' } }, { cpu_shares: 2, memory_limit_in_bytes: 64_000_000 }],
    ['a huge request: at most 262144 shares', { requests: { cpu: '300' } }, { cpu_shares: 262_144 }],
  ];
  for (const [what, resources, want] of cases) t.same(res(resources), want, what);
});

t.test('security context: container values over the pod\'s, groups, capabilities, read-only root, no_new_privs', async (t) => {
  const pod = makePod({
    containers: [{
      name: 'app', image: 'busybox:1.35',
      securityContext: { runAsUser: 1000, readOnlyRootFilesystem: true, allowPrivilegeEscalation: false, capabilities: { add: ['NET_ADMIN'], drop: ['ALL'] } },
    } as never, { name: 'plain', image: 'busybox:1.35' }],
  });
  pod.spec.securityContext = { runAsUser: 2000, runAsGroup: 3000, fsGroup: 4000, supplementalGroups: [5000], sysctls: [{ name: 'net.ipv4.ip_unprivileged_port_start', value: '0' }] };
  const c = containerConfig(pod, pod.spec.containers[0], 0, 'sha256:abc', '10.244.1.5', opts).linux!.security_context!;
  t.same(c.run_as_user, { value: 1000 }, 'the container\'s runAsUser wins');
  t.same(c.run_as_group, { value: 3000 }, 'the pod\'s runAsGroup fills in');
  t.same(c.supplemental_groups, [4000, 5000], 'fsGroup, then supplementalGroups');
  t.same(c.capabilities, { add_capabilities: ['NET_ADMIN'], drop_capabilities: ['ALL'] });
  t.equal(c.readonly_rootfs, true);
  t.equal(c.no_new_privs, true, 'allowPrivilegeEscalation: false');
  t.notOk(c.privileged);
  t.same(c.masked_paths, defaultMaskedPaths);
  t.same(c.namespace_options, { network: 'POD', pid: 'CONTAINER', ipc: 'POD' });
  const plain = containerConfig(pod, pod.spec.containers[1], 0, 'sha256:abc', '10.244.1.5', opts, undefined, { uid: 65534 }).linux!.security_context!;
  t.same(plain.run_as_user, { value: 2000 }, 'the pod\'s runAsUser over the image\'s user');
  t.notOk(plain.no_new_privs, 'no_new_privs only when asked');
  const sb = sandboxConfig(pod, 0, opts).linux!;
  t.same(sb.security_context, { namespace_options: { network: 'POD', pid: 'CONTAINER', ipc: 'POD' }, run_as_user: { value: 2000 }, run_as_group: { value: 3000 }, supplemental_groups: [4000, 5000] });
  t.same(sb.sysctls, { 'net.ipv4.ip_unprivileged_port_start': '0' });

  const bare = makePod();
  t.same(containerConfig(bare, bare.spec.containers[0], 0, 'sha256:abc', '', opts, undefined, { uid: 1001 }).linux!.security_context!.run_as_user, { value: 1001 }, 'the image\'s uid when nothing says otherwise');
  t.equal(containerConfig(bare, bare.spec.containers[0], 0, 'sha256:abc', '', opts, undefined, { username: 'nobody' }).linux!.security_context!.run_as_username, 'nobody');
});

t.test('host namespaces and privileged containers: the sandbox follows', async (t) => {
  const pod = makePod({ hostNetwork: true, initContainers: [{ name: 'setup', image: 'busybox:1.35', securityContext: { privileged: true } } as never] });
  pod.spec.hostPID = true;
  pod.spec.hostIPC = true;
  const sb = sandboxConfig(pod, 0, opts).linux!.security_context!;
  t.same(sb.namespace_options, { network: 'NODE', pid: 'NODE', ipc: 'NODE' });
  t.equal(sb.privileged, true, 'a privileged init container makes the sandbox privileged');
  const setup = containerConfig(pod, pod.spec.initContainers![0], 0, 'sha256:abc', '', opts).linux!.security_context!;
  t.equal(setup.privileged, true);
  t.same(setup.namespace_options, { network: 'NODE', pid: 'NODE', ipc: 'NODE' });
  t.notOk(sandboxConfig(makePod(), 0, opts).linux!.security_context!.privileged);
});

t.test('runAsNonRoot: refused with kubelet\'s messages unless the user is known and not root', async (t) => {
  const pod = makePod({ containers: [{ name: 'app', image: 'busybox:1.35' }] });
  pod.spec.securityContext = { runAsNonRoot: true };
  const c = pod.spec.containers[0];
  t.equal(verifyRunAsNonRoot(pod, c, {}), `container has runAsNonRoot and image will run as root (pod: "web_default(${testUID})", container: app)`, 'an image without a user runs as root');
  t.equal(verifyRunAsNonRoot(pod, c, { uid: 0 }), `container has runAsNonRoot and image will run as root (pod: "web_default(${testUID})", container: app)`);
  t.equal(verifyRunAsNonRoot(pod, c, { username: 'app' }), `container has runAsNonRoot and image has non-numeric user (app), cannot verify user is non-root (pod: "web_default(${testUID})", container: app)`);
  t.equal(verifyRunAsNonRoot(pod, c, { uid: 1000 }), undefined);
  t.equal(verifyRunAsNonRoot(pod, { ...c, securityContext: { runAsUser: 1000 } } as never, {}), undefined, 'runAsUser settles it');
  t.equal(verifyRunAsNonRoot(pod, { ...c, securityContext: { runAsUser: 0 } } as never, { uid: 1000 }), `container's runAsUser breaks non-root policy (pod: "web_default(${testUID})", container: app)`);
  t.equal(verifyRunAsNonRoot(makePod(), c, {}), undefined, 'without runAsNonRoot anything goes');
});

t.test('the log directory: under the pod log root when one is given', async (t) => {
  const pod = makePod();
  t.equal(sandboxConfig(pod, 0, { ...opts, podLogDir: '/var/log/pods' }).log_directory, `/var/log/pods/default_web_${testUID}`);
  t.equal(podLogDirectory(opts, pod), `/var/lib/kt/pods/default_web_${testUID}`);
});
