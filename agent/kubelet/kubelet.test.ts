// The kubelet's pod management against a real containerd, without an API server: a node namespace with its own
// containerd (started the way the runtime's own test and the lab start it; see test/containerd-node.ts), the lab
// images imported, and a PodManager fed pod objects directly, its statuses and final DELETE captured by a recording
// StatusWriter. A pod runs to Running with a pod IP and serves HTTP; a pod with a missing image reports ErrImagePull;
// deletion stops and removes everything; a sandbox whose pod the API does not know is removed as an orphan.
import { execFile } from 'node:child_process';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { promisify } from 'node:util';
import t from 'tap';
import type { Pod, PodStatus } from '../../api/types.js';
import { startContainerdNode } from '../../test/containerd-node.js';
import { until } from '../../test/until.js';
import { shimPids } from '../containerd/index.js';
import { CriClient } from './cri/client.js';
import { PodManager } from './pods.js';
import { Label } from './runtime.js';

const run = promisify(execFile);

t.test('kubelet pod management on a real containerd', { timeout: 600_000 }, async (t) => {
  const { id, ns, data, node, cgroupParent } = await startContainerdNode(t, { prefix: 'kt-kl', podCIDR: '10.88.21.0/24' });
  let manager: PodManager | undefined;
  const cri = await CriClient.connect(node.containerdSocket);
  // Teardowns run last-registered first, so this runs before the node's own: our loops and client stop while
  // containerd still answers.
  t.teardown(async () => {
    await manager?.close();
    cri.close();
  });
  const networkReady = async () => (await cri.status()).status?.conditions.find((c) => c.type === 'NetworkReady')?.status;
  await until('CNI network ready', networkReady, 60_000);

  // ---- the kubelet, with a recording status writer instead of an API server ----
  const statuses = new Map<string, PodStatus[]>();
  const deleted: string[] = [];
  manager = new PodManager({
    runtime: cri,
    spec: { dataDir: data, cgroupParent, clusterDNS: '10.96.0.10', clusterDomain: 'cluster.local', nodeName: 'kl-node', nodeIP: '10.99.0.1' },
    statusWriter: {
      async patchStatus(pod, status) {
        statuses.set(pod.metadata.uid!, [...(statuses.get(pod.metadata.uid!) ?? []), status]);
      },
      async deletePod(pod) {
        deleted.push(pod.metadata.uid!);
      },
    },
  }).start();
  const latest = (uid: string) => statuses.get(uid)?.at(-1);
  const waitFor = (what: string, cond: () => boolean | Promise<boolean>) => until(what, cond, 90_000);

  const uid = `kl-web-${id}`;
  const web: Pod = {
    apiVersion: 'v1',
    kind: 'Pod',
    metadata: { name: 'web', namespace: 'default', uid, resourceVersion: '1' },
    spec: {
      nodeName: 'kl-node',
      terminationGracePeriodSeconds: 2,
      containers: [{ name: 'httpd', image: 'busybox:1.35', command: ['sh', '-c'], args: ['echo hello-from-kubelet > /tmp/index.html && exec httpd -f -p 8080 -h /tmp'], ports: [{ containerPort: 8080 }] }],
    },
    status: { phase: 'Pending', conditions: [{ type: 'PodScheduled', status: 'True', lastTransitionTime: '2024-01-01T00:00:00Z' }] },
  };
  manager.podUpdated(web);
  await waitFor('web to be Running and Ready', () => latest(uid)?.phase === 'Running' && latest(uid)?.conditions?.find((c) => c.type === 'Ready')?.status === 'True');
  const running = latest(uid)!;
  t.match(running.podIP, /^10\.88\.21\.\d+$/, `pod IP ${running.podIP} from the node's podCIDR`);
  t.same(running.podIPs, [{ ip: running.podIP }]);
  t.equal(running.hostIP, '10.99.0.1');
  const cs = running.containerStatuses![0];
  t.ok(cs.state.running?.startedAt, 'container running');
  t.equal(cs.ready, true);
  t.equal(cs.restartCount, 0);
  t.equal(cs.image, 'docker.io/library/busybox:1.35');
  t.match(cs.containerID, /^containerd:\/\/[0-9a-f]{64}$/);
  t.same(running.conditions!.map((c) => [c.type, c.status]), [['PodReadyToStartContainers', 'True'], ['Initialized', 'True'], ['Ready', 'True'], ['ContainersReady', 'True'], ['PodScheduled', 'True']]);
  const { stdout } = await run('ip', ['netns', 'exec', ns, '/bin/busybox', 'wget', '-qO-', `http://${running.podIP}:8080/`], { timeout: 10_000 });
  t.equal(stdout.trim(), 'hello-from-kubelet', 'the pod serves on its IP');
  const sandboxes = (await cri.listPodSandbox({ filter: { label_selector: { [Label.podUID]: uid } } })).items;
  t.equal(sandboxes.length, 1);
  t.same(sandboxes[0].metadata, { name: 'web', uid, namespace: 'default', attempt: 0 });
  t.ok(existsSync(join(data, 'pods', `default_web_${uid}`, 'httpd', '0.log')), 'container log under <ns>_<name>_<uid>/<container>/<restart>.log');
  const resolv = await cri.execSync({ container_id: cs.containerID!.replace('containerd://', ''), cmd: ['cat', '/etc/resolv.conf'], timeout: 10 });
  const resolvLines = resolv.stdout.toString().split('\n').map((l) => l.trim());
  t.ok(resolvLines.includes('nameserver 10.96.0.10'), 'cluster DNS server in the pod');
  t.ok(resolvLines.includes('search default.svc.cluster.local svc.cluster.local cluster.local'), 'cluster search path in the pod');
  t.ok(resolvLines.includes('options ndots:5'), 'ndots:5 in the pod');

  // ---- an image that is not there and cannot be pulled ----
  const missingUid = `kl-missing-${id}`;
  const missing: Pod = {
    ...web,
    metadata: { name: 'missing', namespace: 'default', uid: missingUid, resourceVersion: '1' },
    spec: { ...web.spec, containers: [{ name: 'app', image: 'kubets.local/nosuch:1.0' }] },
  };
  manager.podUpdated(missing);
  await waitFor('ErrImagePull', () => ['ErrImagePull', 'ImagePullBackOff'].includes(latest(missingUid)?.containerStatuses?.[0].state.waiting?.reason ?? ''));
  const waiting = latest(missingUid)!.containerStatuses![0].state.waiting!;
  t.match(waiting.message, /kubets\.local\/nosuch:1\.0/, `waiting message names the image: ${waiting.message}`);
  t.equal(latest(missingUid)!.phase, 'Pending');

  // ---- a container that keeps failing: restarted at once, then CrashLoopBackOff ----
  const crashUid = `kl-crash-${id}`;
  const crash: Pod = {
    ...web,
    metadata: { name: 'crash', namespace: 'default', uid: crashUid, resourceVersion: '1' },
    spec: { ...web.spec, restartPolicy: 'OnFailure', containers: [{ name: 'fail', image: 'busybox:1.35', command: ['sh', '-c', 'exit 3'] }] },
  };
  manager.podUpdated(crash);
  await waitFor('CrashLoopBackOff', () => latest(crashUid)?.containerStatuses?.[0].state.waiting?.reason === 'CrashLoopBackOff');
  const looping = latest(crashUid)!;
  const fail = looping.containerStatuses![0];
  t.equal(fail.restartCount, 1, 'restarted once without delay, then backing off');
  t.equal(fail.lastState.terminated?.exitCode, 3);
  t.equal(fail.lastState.terminated?.reason, 'Error');
  t.match(fail.state.waiting?.message, /^back-off 10s restarting failed container=fail pod=crash_default\(/);
  t.equal(looping.phase, 'Running', 'OnFailure and restarting: Running');

  // ---- deletion: stop within the grace period, final status, DELETE, sandbox gone ----
  for (const [pod, podUid] of [[web, uid], [missing, missingUid], [crash, crashUid]] as const) {
    manager.podUpdated({ ...pod, metadata: { ...pod.metadata, resourceVersion: '2', deletionTimestamp: new Date().toISOString(), deletionGracePeriodSeconds: 2 } });
    await waitFor(`${pod.metadata.name} deleted`, () => deleted.includes(podUid));
  }
  const final = latest(uid)!;
  t.ok(final.phase === 'Failed' || final.phase === 'Succeeded', `terminal phase before the DELETE (${final.phase})`);
  t.ok(final.containerStatuses![0].state.terminated, 'the container is reported terminated');
  await waitFor('sandboxes removed', async () => (await cri.listPodSandbox({})).items.length === 0);
  t.same((await cri.listContainers({})).containers, [], 'no containers left');
  t.notOk(existsSync(join(data, 'pods', `default_web_${uid}`)), 'pod log directory removed');
  for (const pod of [web, missing, crash]) manager.podRemoved(pod);

  // ---- an orphan: a sandbox for a pod the API does not have ----
  const orphanUid = `kl-orphan-${id}`;
  await cri.runPodSandbox({
    config: {
      metadata: { name: 'orphan', uid: orphanUid, namespace: 'default', attempt: 0 },
      hostname: 'orphan',
      log_directory: join(data, 'pods', `default_orphan_${orphanUid}`),
      labels: { [Label.podUID]: orphanUid, [Label.podName]: 'orphan', [Label.podNamespace]: 'default' },
      linux: { cgroup_parent: `${cgroupParent}/pod${orphanUid}`, security_context: { namespace_options: { network: 'POD', pid: 'CONTAINER', ipc: 'POD' } } },
    },
  });
  t.equal((await cri.listPodSandbox({})).items.length, 1);
  manager.markApiSynced();
  await waitFor('the orphan sandbox removed', async () => (await cri.listPodSandbox({})).items.length === 0);
  t.pass('the orphan sandbox was removed');
  await manager.close();
  await until('the shims to exit', async () => (await shimPids(node.containerdSocket)).length === 0, 30_000);
  t.same(await shimPids(node.containerdSocket), [], 'no shims left');
});
