// What pods ask of their node, on a real containerd (test/kubelet-node.ts: a kubelet without an API server, its
// statuses recorded): init containers run in order, each to success, before the app, with the init statuses kubectl
// turns into Init:0/2, Init:1/2, Init:Error and Init:CrashLoopBackOff, and a sidecar keeps running beside the app; CPU and memory limits land in the container's
// cgroup and a container over its memory limit is OOMKilled with exit code 137; a host-network, host-PID pod sees
// the node's interfaces and processes; a hostPort reaches its pod through the CNI portmap plugin; runAsUser/runAsGroup/fsGroup, a read-only root filesystem and capabilities
// are what the container gets; runAsNonRoot refuses a root image with kubelet's message; an ephemeral container added
// to a running pod starts in it and shares its target container's processes.
import { execFile } from 'node:child_process';
import fs from 'node:fs';
import { promisify } from 'node:util';
import t from 'tap';
import type { ContainerStatus, Pod, PodStatus } from '../../api/types.js';
import { kubeletNodeIP, startKubeletNode } from '../../test/kubelet-node.js';
import { until } from '../../test/until.js';

const run = promisify(execFile);
const sh = (script: string) => ({ image: 'busybox:1.35', command: ['sh', '-c', script] });
const stateOf = (c: ContainerStatus) => (c.state.running ? 'running' : c.state.terminated ? `terminated:${c.state.terminated.reason}` : `waiting:${c.state.waiting?.reason}`);

t.test('pod features on a real node', { timeout: 600_000 }, async (t) => {
  const kn = await startKubeletNode(t, { prefix: 'kt-pf', podCIDR: '10.88.31.0/24' });
  const { manager, cri } = kn;

  // A link only the node's network namespace has: what a host-network pod must see.
  const link = `ktpf${kn.node.id}`;
  await run('ip', ['-n', kn.node.ns, 'link', 'add', link, 'type', 'veth', 'peer', 'name', `${link}p`]);

  const pods: Pod[] = [
    kn.pod('init', {
      initContainers: [
        { name: 'init1', ...sh('echo one >> /work/order && sleep 2') , volumeMounts: [{ name: 'work', mountPath: '/work' }] },
        { name: 'init2', ...sh('echo two >> /work/order && sleep 2'), volumeMounts: [{ name: 'work', mountPath: '/work' }] },
      ],
      containers: [{ name: 'app', ...sh('echo app >> /work/order && exec sleep 3600'), volumeMounts: [{ name: 'work', mountPath: '/work' }] }],
      volumes: [{ name: 'work', emptyDir: {} }],
    }),
    kn.pod('init-error', { restartPolicy: 'Never', initContainers: [{ name: 'init1', ...sh('exit 3') }], containers: [{ name: 'app', ...sh('exec sleep 3600') }] }),
    kn.pod('init-loop', { initContainers: [{ name: 'init1', ...sh('exit 3') }, { name: 'init2', ...sh('true') }], containers: [{ name: 'app', ...sh('exec sleep 3600') }] }),
    kn.pod('limits', { containers: [{ name: 'app', ...sh('exec sleep 3600'), resources: { requests: { cpu: '250m', memory: '32Mi' }, limits: { cpu: '500m', memory: '64Mi' } } }] }),
    // Doubling a shell variable outgrows 32Mi within a second.
    kn.pod('hog', { containers: [{ name: 'hog', ...sh('x=0123456789abcdef; while true; do x="$x$x"; done'), resources: { limits: { memory: '32Mi' } } }] }),
    kn.pod('host', { hostNetwork: true, hostPID: true, containers: [{ name: 'app', ...sh('exec sleep 3600') }] }),
    kn.pod('secure', {
      securityContext: { runAsUser: 1234, runAsGroup: 2345, fsGroup: 3456 },
      containers: [
        { name: 'app', ...sh('exec sleep 3600'), securityContext: { readOnlyRootFilesystem: true, allowPrivilegeEscalation: false }, volumeMounts: [{ name: 'data', mountPath: '/data' }] } as Pod['spec']['containers'][number],
        { name: 'caps', ...sh('exec sleep 3600'), securityContext: { runAsUser: 0, capabilities: { drop: ['ALL'], add: ['NET_BIND_SERVICE'] } } } as Pod['spec']['containers'][number],
        { name: 'priv', ...sh('exec sleep 3600'), securityContext: { runAsUser: 0, privileged: true } } as Pod['spec']['containers'][number],
      ],
      volumes: [{ name: 'data', emptyDir: {} }],
    }),
    kn.pod('nonroot', { securityContext: { runAsNonRoot: true }, containers: [{ name: 'app', ...sh('exec sleep 3600') }] }),
    kn.pod('sidecar', {
      initContainers: [
        { name: 'proxy', ...sh('echo proxy > /work/proxy && exec sleep 3600'), restartPolicy: 'Always', volumeMounts: [{ name: 'work', mountPath: '/work' }] } as Pod['spec']['containers'][number],
        { name: 'setup', ...sh('test -f /work/proxy && echo setup > /work/setup'), volumeMounts: [{ name: 'work', mountPath: '/work' }] },
      ],
      containers: [{ name: 'app', ...sh('exec sleep 3600'), volumeMounts: [{ name: 'work', mountPath: '/work' }] }],
      volumes: [{ name: 'work', emptyDir: {} }],
    }),
    kn.pod('ports', { containers: [{ name: 'web', ...sh('mkdir /www && echo by-host-port > /www/index.html && exec httpd -f -p 8080 -h /www'), ports: [{ containerPort: 8080, hostPort: 18080 }] }] }),
  ];
  const [init, initError, initLoop, limits, hog, host, secure, nonroot, sidecar, ports] = pods;
  for (const p of pods) manager.podUpdated(p);

  // ---- init containers: in order, each to success, then the app ----
  const initStates = (s: PodStatus) => (s.initContainerStatuses ?? []).map(stateOf).join(' ');
  await kn.waitStatus(init, 'Running', (s) => s.phase === 'Running' && s.conditions!.find((c) => c.type === 'Ready')!.status === 'True');
  const seen = kn.statuses.get(init.metadata.uid!)!;
  const first = seen.find((s) => initStates(s) === 'running waiting:PodInitializing');
  t.ok(first, 'init1 ran while init2 waited (Init:0/2)');
  t.equal(first?.phase, 'Pending');
  t.same(first?.containerStatuses!.map(stateOf), ['waiting:PodInitializing'], 'the app waits, PodInitializing');
  t.equal(first?.conditions!.find((c) => c.type === 'Initialized')!.message, 'containers with incomplete status: [init1 init2]');
  const second = seen.find((s) => initStates(s) === 'terminated:Completed running');
  t.ok(second, 'then init2 ran, init1 completed (Init:1/2)');
  t.equal(second?.phase, 'Pending');
  t.ok(seen.indexOf(first!) < seen.indexOf(second!), 'in that order');
  t.equal((await kn.exec(init, ['cat', '/work/order'])).stdout, 'one\ntwo\napp\n', 'init1, init2, then the app');
  const done = kn.latest(init.metadata.uid!)!;
  t.same(done.initContainerStatuses!.map((c) => [c.name, stateOf(c), c.ready]), [['init1', 'terminated:Completed', true], ['init2', 'terminated:Completed', true]]);

  const failed = await kn.waitStatus(initError, 'Failed', (s) => s.phase === 'Failed');
  t.same(failed.initContainerStatuses!.map(stateOf), ['terminated:Error'], 'Init:Error');
  t.equal(failed.initContainerStatuses![0].state.terminated!.exitCode, 3);
  t.same(failed.containerStatuses!.map(stateOf), ['waiting:PodInitializing'], 'the app never started');

  const looping = await kn.waitStatus(initLoop, 'Init:CrashLoopBackOff', (s) => s.initContainerStatuses?.[0].state.waiting?.reason === 'CrashLoopBackOff');
  t.equal(looping.initContainerStatuses![0].lastState.terminated?.exitCode, 3);
  t.ok(looping.initContainerStatuses![0].restartCount >= 1, 'restarted, then backing off');
  t.same(looping.initContainerStatuses!.slice(1).map(stateOf), ['waiting:PodInitializing'], 'init2 waits');
  t.equal(looping.phase, 'Pending');

  // A sidecar starts in its turn and keeps running beside the app.
  const sc = await kn.waitStatus(sidecar, 'Running and Ready', (s) => s.phase === 'Running' && s.conditions!.find((c) => c.type === 'Ready')!.status === 'True');
  t.same(sc.initContainerStatuses!.map((c) => [c.name, stateOf(c), c.ready]), [['proxy', 'running', true], ['setup', 'terminated:Completed', true]], 'the sidecar runs on; the init container after it completed');
  t.equal((await kn.exec(sidecar, ['cat', '/work/setup'])).stdout, 'setup\n', 'the init container after the sidecar saw it running');

  // ---- resources into the cgroup; over the memory limit: OOMKilled, 137 ----
  const l = await kn.waitStatus(limits, 'Running', (s) => s.phase === 'Running');
  const cgroup = (hierarchy: string, file: string) =>
    fs.readFileSync(`/sys/fs/cgroup/${hierarchy}${kn.node.cgroupParent}/pod${limits.metadata.uid}/${l.containerStatuses![0].containerID!.replace('containerd://', '')}/${file}`, 'utf8').trim();
  t.equal(cgroup('memory', 'memory.limit_in_bytes'), String(64 * 1024 * 1024), 'memory limit');
  t.equal(cgroup('cpu', 'cpu.cfs_quota_us'), '50000', 'CPU limit: 50 ms per 100 ms');
  t.equal(cgroup('cpu', 'cpu.cfs_period_us'), '100000');
  t.equal(cgroup('cpu', 'cpu.shares'), '256', 'CPU request: 256 shares');

  // ---- an ephemeral container (kubectl debug --target=app) starts in the running pod and sees app's processes ----
  const debugged = { ...limits, metadata: { ...limits.metadata, resourceVersion: '2' }, spec: { ...limits.spec, ephemeralContainers: [{ name: 'debugger', ...sh('exec sleep 3600'), targetContainerName: 'app' }] } } as Pod;
  manager.podUpdated(debugged);
  const dbg = await kn.waitStatus(debugged, 'the debugger running', (s) => s.ephemeralContainerStatuses?.[0]?.state.running !== undefined);
  t.same(dbg.containerStatuses!.map((c) => c.name), ['app'], 'reported apart from the app');
  t.equal(dbg.ephemeralContainerStatuses![0].ready, false);
  t.match((await kn.exec(debugged, ['ps', '-o', 'args'], 'debugger')).stdout, /sleep 3600[\s\S]*sleep 3600/, "the target's sleep and its own, in one process namespace");

  const oom = await kn.waitStatus(hog, 'OOMKilled', (s) => s.containerStatuses?.[0].lastState.terminated?.reason === 'OOMKilled' || s.containerStatuses?.[0].state.terminated?.reason === 'OOMKilled');
  const killed = oom.containerStatuses![0].lastState.terminated ?? oom.containerStatuses![0].state.terminated!;
  t.equal(killed.reason, 'OOMKilled');
  t.equal(killed.exitCode, 137);
  const restarted = await kn.waitStatus(hog, 'restarted after the OOM kill', (s) => s.containerStatuses![0].restartCount >= 1 && s.containerStatuses![0].lastState.terminated?.reason === 'OOMKilled');
  t.equal(restarted.containerStatuses![0].lastState.terminated!.exitCode, 137, 'lastState.terminated: OOMKilled, exit code 137');

  // ---- host network and PID namespaces ----
  const h = await kn.waitStatus(host, 'Running', (s) => s.phase === 'Running');
  t.equal(h.podIP, kubeletNodeIP, 'the pod IP is the node IP');
  t.match((await kn.exec(host, ['cat', '/proc/net/dev'])).stdout, new RegExp(`\\b${link}:`), 'the node\'s own link is in the pod');
  t.not((await kn.exec(host, ['cat', '/proc/1/comm'])).stdout.trim(), 'sleep', 'PID 1 is the node\'s, not the container\'s');
  t.match((await kn.exec(host, ['ps'])).stdout, /containerd/, 'the node\'s processes are visible');

  // ---- a host port: the node's own address, port 18080, reaches the pod's 8080 ----
  await kn.waitStatus(ports, 'Running', (s) => s.phase === 'Running');
  const bridgeIP = '10.88.31.1';
  const viaHostPort = await until('the host port to answer', async () => (await run('ip', ['netns', 'exec', kn.node.ns, '/bin/busybox', 'wget', '-qO-', `http://${bridgeIP}:18080/`], { timeout: 10_000 })).stdout, 30_000);
  t.equal(viaHostPort.trim(), 'by-host-port', 'hostPort through portmap');

  // ---- users, groups, read-only root, capabilities ----
  await kn.waitStatus(secure, 'Running', (s) => s.phase === 'Running');
  const id = (await kn.exec(secure, ['id'])).stdout;
  t.match(id, /^uid=1234 gid=2345 groups=.*\b3456\b/, `runAsUser, runAsGroup and fsGroup: ${id.trim()}`);
  const rootWrite = await kn.exec(secure, ['sh', '-c', 'touch /rootfile']);
  t.not(rootWrite.exitCode, 0);
  t.match(rootWrite.stderr, /Read-only file system/, 'readOnlyRootFilesystem refuses a write');
  t.equal((await kn.exec(secure, ['sh', '-c', 'touch /data/x && stat -c %g /data/x'])).stdout.trim(), '3456', 'a file made in an emptyDir belongs to the fsGroup');
  t.match((await kn.exec(secure, ['grep', 'NoNewPrivs', '/proc/self/status'])).stdout, /NoNewPrivs:\s+1/, 'allowPrivilegeEscalation: false');
  t.match((await kn.exec(secure, ['grep', 'CapEff', '/proc/self/status'], 'caps')).stdout, /CapEff:\s+0000000000000400/, 'all capabilities dropped but NET_BIND_SERVICE');
  const privCaps = BigInt(`0x${/CapEff:\s+([0-9a-f]+)/.exec((await kn.exec(secure, ['grep', 'CapEff', '/proc/self/status'], 'priv')).stdout)![1]}`);
  const bit = (n: number) => (privCaps >> BigInt(n)) & 1n;
  t.same([bit(12), bit(21)], [1n, 1n], 'privileged: CAP_NET_ADMIN and CAP_SYS_ADMIN, as the node has them');

  const refused = await kn.waitStatus(nonroot, 'CreateContainerConfigError', (s) => s.containerStatuses?.[0].state.waiting?.reason === 'CreateContainerConfigError');
  t.equal(refused.containerStatuses![0].state.waiting!.message, `container has runAsNonRoot and image will run as root (pod: "nonroot_default(${nonroot.metadata.uid})", container: app)`);
  t.ok(kn.events.some((e) => e.pod === 'nonroot' && e.reason === 'Failed' && e.message.startsWith('Error: container has runAsNonRoot')), 'a Failed event says so');
  t.same((await cri.listContainers({ filter: { label_selector: { 'io.kubernetes.pod.uid': nonroot.metadata.uid! } } })).containers, [], 'no container was created');

  // ---- deletion leaves nothing ----
  await Promise.all(pods.map((p) => kn.deletePod(p)));
  t.same((await cri.listContainers({})).containers, [], 'no containers left');
});
