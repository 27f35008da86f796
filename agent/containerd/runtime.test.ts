// End to end on this host: a node namespace with its own containerd (started the way the lab starts an agent: inside
// `ip netns exec` with a private /run/netns and /var/lib/cni; see test/containerd-node.ts), the lab images imported,
// a pod sandbox on the CNI bridge, a busybox httpd answering on the pod IP — from the node and, via a route, from a
// second "machine" — and then nothing left behind: processes, namespaces, mounts, cgroups, leases, files.
import { execFile } from 'node:child_process';
import { existsSync, readdirSync, readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { promisify } from 'node:util';
import t from 'tap';
import { cgroupTree, pidAlive, startContainerdNode } from '../../test/containerd-node.js';
import { until } from '../../test/until.js';
import { CriClient } from '../kubelet/cri/client.js';
import { importImages, shimPids } from './index.js';

const run = promisify(execFile);

t.test('a node runtime: containerd, images, CNI bridge, a pod serving HTTP, and a clean exit', { timeout: 600_000 }, async (t) => {
  const podCIDR = '10.88.7.0/24';
  const { id, ns, data, node, cgroupParent, cniCache, ipamDir, images, imported, containerdPid, cgroupDirs, stopContainerd } = await startContainerdNode(t, { prefix: 'kt-rt', podCIDR });
  const peer = `kt-rt-${id}-peer`;
  t.teardown(() => run('ip', ['netns', 'delete', peer]).catch(() => undefined));

  // ---- the two "machines" ----
  await run('ip', ['netns', 'add', peer]);
  const vethNode = `ktrt${id}a`;
  await run('ip', ['-n', ns, 'link', 'add', vethNode, 'type', 'veth', 'peer', 'name', `ktrt${id}b`, 'netns', peer]);
  for (const [n, dev, addr] of [[ns, vethNode, '10.99.0.1/24'], [peer, `ktrt${id}b`, '10.99.0.2/24']]) {
    await run('ip', ['-n', n, 'link', 'set', 'lo', 'up']);
    await run('ip', ['-n', n, 'addr', 'add', addr, 'dev', dev]);
    await run('ip', ['-n', n, 'link', 'set', dev, 'up']);
  }
  // host-gw by hand: the peer reaches the node's pods via the node's address.
  await run('ip', ['-n', peer, 'route', 'add', podCIDR, 'via', '10.99.0.1']);
  await run('ip', ['netns', 'exec', ns, 'sysctl', '-qw', 'net.ipv4.ip_forward=1']);

  // ---- the node as set up: images built, containerd in the node network namespace and a private mount namespace ----
  t.same(images.map((i) => i.name), ['kubets.local/pause:3.9', 'docker.io/library/busybox:1.35'], 'the pod images built and linked for import');
  t.ok(pidAlive(containerdPid), `containerd runs (pid ${containerdPid})`);
  t.equal(readFileSync(`/proc/${containerdPid}/net/dev`, 'utf8').includes(vethNode), true, 'containerd is in the node network namespace');
  t.notOk(readFileSync('/proc/self/mountinfo', 'utf8').includes('kt-rt-netns'), 'the private /run/netns tmpfs is invisible to the host');

  t.same(imported.map((i) => i.imported), [true, true], 'archives imported');
  const again = await importImages(node.containerdSocket, join(data, 'images'));
  t.same(again.map((i) => i.imported), [false, false], 'a second import skips images already present');

  const cri = await CriClient.connect(node.containerdSocket);
  t.teardown(() => cri.close());
  const version = await cri.version();
  t.equal(version.runtime_api_version, 'v1', 'CRI v1');
  const busybox = await cri.imageStatus({ image: { image: 'busybox:1.35' } });
  t.same(busybox.image?.repo_tags, ['docker.io/library/busybox:1.35'], 'short image names resolve to the imported tag');
  const networkReady = async () => (await cri.status()).status?.conditions.find((c) => c.type === 'NetworkReady')?.status;
  await until('CNI network ready', networkReady, 60_000);
  t.equal(await networkReady(), true, 'CNI network ready from our conflist');

  // ---- a pod ----
  const sandboxConfig = {
    metadata: { name: 'web', uid: `uid-${id}`, namespace: 'default', attempt: 0 },
    hostname: 'web',
    log_directory: join(data, 'pods', `uid-${id}`),
    labels: { app: 'web' },
    linux: { cgroup_parent: cgroupParent, security_context: { namespace_options: { network: 'POD' as const, pid: 'CONTAINER' as const, ipc: 'POD' as const } } },
  };
  const { pod_sandbox_id: sandboxId } = await cri.runPodSandbox({ config: sandboxConfig });
  t.ok(sandboxId, 'sandbox created');
  const sandbox = (await cri.podSandboxStatus({ pod_sandbox_id: sandboxId })).status!;
  t.equal(sandbox.state, 'SANDBOX_READY');
  const podIP = sandbox.network?.ip ?? '';
  t.match(podIP, /^10\.88\.7\.\d+$/, `pod IP ${podIP} from the node's podCIDR`);
  t.same((await cri.listPodSandbox({ filter: { label_selector: { app: 'web' } } })).items.map((s) => s.id), [sandboxId], 'list by label');

  const { container_id: containerId } = await cri.createContainer({
    pod_sandbox_id: sandboxId,
    sandbox_config: sandboxConfig,
    config: {
      metadata: { name: 'httpd', attempt: 0 },
      image: { image: 'busybox:1.35' },
      command: ['sh', '-c', 'echo hello-from-kubets > /var/www/index.html && exec httpd -f -p 8080 -h /var/www'],
      log_path: 'httpd/0.log',
      labels: { app: 'web' },
    },
  });
  await cri.startContainer({ container_id: containerId });
  const status = (await cri.containerStatus({ container_id: containerId })).status!;
  t.equal(status.state, 'CONTAINER_RUNNING', 'container running');
  t.ok(status.started_at > 0, 'started_at set (ns since epoch)');

  const exec = await cri.execSync({ container_id: containerId, cmd: ['hostname'], timeout: 10 });
  t.equal(exec.stdout.toString().trim(), 'web', 'ExecSync runs in the container (UTS from the sandbox)');
  t.equal(exec.exit_code, 0);
  const failing = await cri.execSync({ container_id: containerId, cmd: ['sh', '-c', 'echo oops >&2; exit 3'], timeout: 10 });
  t.same([failing.exit_code, failing.stderr.toString().trim()], [3, 'oops'], 'ExecSync reports exit code and stderr');

  // httpd answers once it has started listening; until then wget fails and is tried again.
  const fetchFrom = (where: string): Promise<string> =>
    until(`httpd on ${podIP} from ${where}`, async () => {
      // (Debian's static busybox 1.35 wget segfaults with -T, so the time limit comes from execFile.)
      const { stdout } = await run('ip', ['netns', 'exec', where, '/bin/busybox', 'wget', '-qO-', `http://${podIP}:8080/`], { timeout: 5000 });
      return stdout.trim();
    }, 60_000);
  t.equal(await fetchFrom(ns), 'hello-from-kubets', 'httpd answers on the pod IP from the node');
  t.equal(await fetchFrom(peer), 'hello-from-kubets', 'and from the other machine via a podCIDR route');

  // ---- everything goes away ----
  await cri.stopContainer({ container_id: containerId, timeout: 5 });
  t.equal((await cri.containerStatus({ container_id: containerId })).status?.state, 'CONTAINER_EXITED', 'container stopped');
  await cri.removeContainer({ container_id: containerId });
  await cri.stopPodSandbox({ pod_sandbox_id: sandboxId });
  await cri.removePodSandbox({ pod_sandbox_id: sandboxId });
  t.same((await cri.listContainers()).containers, [], 'no containers');
  t.same((await cri.listPodSandbox()).items, [], 'no sandboxes');
  await t.rejects(cri.containerStatus({ container_id: containerId }), /NOT_FOUND \(5\)/, 'gRPC errors carry code and details');
  await until('the shim to exit', async () => (await shimPids(node.containerdSocket)).length === 0, 30_000);
  t.same(await shimPids(node.containerdSocket), [], 'the shim exits with its last sandbox');
  const leases = readdirSync(join(ipamDir, 'kubets')).filter((f) => /^\d+\.\d+\.\d+\.\d+$/.test(f));
  t.same(leases, [], 'the pod IP lease is released');
  t.same(readdirSync(join(cniCache)).flatMap((d) => readdirSync(join(cniCache, d))), [], 'no cached CNI results');
  const netnsDir = join(data, 'containerd', 'state', 'io.containerd.grpc.v1.cri', 'netns');
  t.same(existsSync(netnsDir) ? readdirSync(netnsDir) : [], [], 'no pod network namespace mounts');
  for (const dir of cgroupDirs()) t.same(cgroupTree(dir).slice(1), [], `no container cgroups left under ${dir}`);
  cri.close();

  await stopContainerd();
  await until('containerd to exit', () => !pidAlive(containerdPid), 30_000);
  t.notOk(pidAlive(containerdPid), 'containerd exited');
  t.notOk(readFileSync('/proc/self/mountinfo', 'utf8').includes(data), 'no mounts of this node remain on the host');
  const strays = readdirSync('/proc')
    .filter((p) => /^\d+$/.test(p))
    .filter((p) => {
      try {
        return readFileSync(`/proc/${p}/cmdline`, 'utf8').includes(data);
      } catch {
        return false;
      }
    });
  t.same(strays, [], 'no process of this node remains');
  t.ok(statSync(data).isDirectory(), 'data dir still there for teardown to remove');
});
