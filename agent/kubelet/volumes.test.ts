// Pod volumes and env against a real API server and a real containerd: a `kubets server` child (test/server-fixture)
// and a kubelet in this process driving a containerd in a scratch network namespace (test/containerd-node), with a
// node identity obtained as a joining node gets it (bootstrap token → CSR → system:node:<name> certificate), so the
// Node authorizer decides what it may read. Busybox pods read a configMap volume and see an update, get a Secret in
// their env, find the projected service-account token (which TokenReview accepts as the pod's service account), and
// a pod naming a missing ConfigMap waits in ContainerCreating with FailedMount until the ConfigMap is created; a
// claim of the default class is provisioned on the node by the local-path provisioner (running with the node's
// identity), and what one pod writes there its replacement reads.
//
// Memory-backed volumes are tmpfs mounts the kubelet makes in its own mount namespace; containerd here lives in
// another one (ip netns exec), so the kubelet's directory is a shared mount made before containerd starts, and the
// tmpfs mounts propagate to it — as they are simply visible when the agent runs containerd itself.
import { execFile } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import t from 'tap';
import { Resources } from '../../api/resources.js';
import type { Event, KubeObject, PersistentVolume, PersistentVolumeClaim, Pod, Service } from '../../api/types.js';
import { startLocalPathProvisioner } from '../storage/index.js';
import { startContainerdNode } from '../../test/containerd-node.js';
import { joinedNodeClient } from '../../test/node-join.js';
import { startServer } from '../../test/server-fixture.js';
import { until } from '../../test/until.js';
import { CriClient } from './cri/client.js';
import { startLease } from './lease.js';
import { registerNode, startNodeStatus } from './node.js';
import { startPodManagement, type PodManagement } from './pods.js';

const run = promisify(execFile);
const TOKEN_DIR = '/var/run/secrets/kubernetes.io/serviceaccount';

t.test('pod volumes and env on a real node', { timeout: 600_000 }, async (t) => {
  // The kubelet's data dir, shared before containerd's mount namespace is made (see above).
  const kubeletDir = fs.mkdtempSync(path.join(os.tmpdir(), 'kt-klv-'));
  await run('mount', ['--bind', kubeletDir, kubeletDir]);
  t.teardown(async () => {
    await run('umount', ['--recursive', '--lazy', kubeletDir]).catch(() => undefined);
    fs.rmSync(kubeletDir, { recursive: true, force: true });
  });
  await run('mount', ['--make-shared', kubeletDir]);

  const { id, node, cgroupParent } = await startContainerdNode(t, { prefix: 'kt-klv', podCIDR: '10.88.23.0/24' });
  const server = await startServer();
  t.teardown(() => server.destroy());
  const admin = server.client;
  const cri = await CriClient.connect(node.containerdSocket);

  // ---- the node's identity, by the join flow ----
  const nodeName = `klv-${id}`;
  const kubelet = await joinedNodeClient(server, nodeName);
  const identity = { nodeName, nodeIP: '10.99.0.1', nodeLabels: {}, registerWithTaints: [], dataDir: kubeletDir };
  const nodeObj = await registerNode(kubelet, identity, cri);
  const lease = startLease(kubelet, nodeObj);
  const status = startNodeStatus(kubelet, identity, cri);
  let pods: PodManagement | undefined;
  // Teardowns run last-registered first: the kubelet's loops stop while containerd and the server still answer.
  t.teardown(async () => {
    await pods?.close();
    await lease.close();
    await status.close();
    kubelet.close();
    cri.close();
  });
  await until('CNI network ready', async () => (await cri.status()).status?.conditions.find((c) => c.type === 'NetworkReady')?.status, 60_000);
  const refreshMs = 2000;
  pods = await startPodManagement(kubelet, nodeName, cri, { dataDir: kubeletDir, cgroupParent, clusterDNS: '10.96.0.10', clusterDomain: 'cluster.local', nodeName, nodeIP: '10.99.0.1' }, { volumeRefreshPeriodMs: refreshMs });

  // ---- objects the pods use ----
  const ns = 'default';
  await until('the default service account and kube-root-ca.crt', async () => {
    await admin.get(Resources.serviceaccounts, ns, 'default');
    return admin.get(Resources.configmaps, ns, 'kube-root-ca.crt');
  });
  const configMap = (name: string, data: Record<string, string>) => ({ apiVersion: 'v1', kind: 'ConfigMap', metadata: { name, namespace: ns }, data }) as KubeObject;
  await admin.create(Resources.configmaps, ns, configMap('app-config', { greeting: 'hello', 'app.conf': 'mode=fast\n' }));
  await admin.create(Resources.secrets, ns, { apiVersion: 'v1', kind: 'Secret', metadata: { name: 'creds', namespace: ns }, data: { password: Buffer.from('s3cret').toString('base64') } } as KubeObject);

  const podGet = (name: string) => admin.get<Pod>(Resources.pods, ns, name);
  const running = (name: string) => until(`${name} Running`, async () => ((await podGet(name)).status?.phase === 'Running' ? podGet(name) : undefined), 120_000);
  const containerId = (p: Pod) => p.status!.containerStatuses![0].containerID!.replace('containerd://', '');
  const exec = async (p: Pod, cmd: string[]) => {
    const r = await cri.execSync({ container_id: containerId(p), cmd, timeout: 10 });
    return r.stdout.toString();
  };
  /** A variable of the container's environment (the image's busybox has no printenv). */
  const envVar = async (p: Pod, name: string) => (await exec(p, ['sh', '-c', `echo "$${name}"`])).trim();
  const sleeper = { name: 'app', image: 'busybox:1.35', command: ['sh', '-c'] };

  // ---- a pod with a configMap volume, a memory emptyDir, Secret and ConfigMap env, $(VAR) in its args ----
  const reader: Pod = {
    apiVersion: 'v1',
    kind: 'Pod',
    metadata: { name: 'reader', namespace: ns, labels: { app: 'reader' } },
    spec: {
      nodeName,
      terminationGracePeriodSeconds: 2,
      containers: [{
        ...sleeper,
        args: ['echo "$(GREETING) from $(POD_NAME)" > /tmp/expanded && exec sleep 3600'],
        env: [
          { name: 'SECRET_PASSWORD', valueFrom: { secretKeyRef: { name: 'creds', key: 'password' } } },
          { name: 'GREETING', valueFrom: { configMapKeyRef: { name: 'app-config', key: 'greeting' } } },
          { name: 'POD_NAME', valueFrom: { fieldRef: { fieldPath: 'metadata.name' } } },
        ],
        volumeMounts: [{ name: 'config', mountPath: '/etc/config' }, { name: 'config', mountPath: '/etc/app.conf', subPath: 'app.conf' }, { name: 'cache', mountPath: '/cache' }],
      } as Pod['spec']['containers'][number]],
      volumes: [{ name: 'config', configMap: { name: 'app-config' } }, { name: 'cache', emptyDir: { medium: 'Memory', sizeLimit: '16Mi' } }],
    },
  };
  await admin.create(Resources.pods, ns, reader);
  const r = await running('reader');
  t.equal(await exec(r, ['cat', '/etc/config/greeting']), 'hello', 'the configMap volume holds the ConfigMap');
  t.equal(await exec(r, ['cat', '/etc/app.conf']), 'mode=fast\n', 'a subPath mount of one key');
  t.equal(await envVar(r, 'SECRET_PASSWORD'), 's3cret', 'a Secret key in the env');
  t.equal((await exec(r, ['cat', '/tmp/expanded'])).trim(), 'hello from reader', '$(VAR) expanded in args');
  const kubernetesSvc = await admin.get<Service>(Resources.services, 'default', 'kubernetes');
  t.equal(await envVar(r, 'KUBERNETES_SERVICE_HOST'), kubernetesSvc.spec.clusterIP, 'the Service variables');
  t.equal(await envVar(r, 'KUBERNETES_SERVICE_PORT_HTTPS'), '443');
  t.match(await exec(r, ['grep', ' /cache ', '/proc/mounts']), /^tmpfs \/cache tmpfs .*size=16384k/, 'emptyDir medium Memory is a tmpfs of its sizeLimit');

  // Live update: the new value appears in the running container without a restart.
  await admin.patch(Resources.configmaps, ns, 'app-config', 'merge', { data: { greeting: 'bye' } });
  await until('the configMap update in the container', async () => (await exec(r, ['cat', '/etc/config/greeting'])) === 'bye', 10 * refreshMs + 30_000, 500);
  t.pass('the update reached the running container');
  t.equal((await podGet('reader')).status!.containerStatuses![0].restartCount, 0, 'no restart for it');

  // ---- the projected service-account token ----
  const sa = await exec(r, ['ls', TOKEN_DIR]);
  t.same(sa.split('\n').filter(Boolean).sort(), ['ca.crt', 'namespace', 'token'], 'token, ca.crt and namespace');
  t.equal(await exec(r, ['cat', `${TOKEN_DIR}/namespace`]), ns);
  t.equal(await exec(r, ['cat', `${TOKEN_DIR}/ca.crt`]), (await admin.get<KubeObject & { data: Record<string, string> }>(Resources.configmaps, ns, 'kube-root-ca.crt')).data['ca.crt']);
  const jwt = await exec(r, ['cat', `${TOKEN_DIR}/token`]);
  const review = await admin.create<KubeObject & { status?: { authenticated?: boolean; user?: { username?: string; extra?: Record<string, string[]> } } }>(Resources.tokenreviews, undefined, { apiVersion: 'authentication.k8s.io/v1', kind: 'TokenReview', metadata: {}, spec: { token: jwt } } as KubeObject);
  t.equal(review.status?.authenticated, true, 'TokenReview accepts the mounted token');
  t.equal(review.status?.user?.username, 'system:serviceaccount:default:default');
  t.same(review.status?.user?.extra?.['authentication.kubernetes.io/pod-name'], ['reader'], 'bound to the pod');
  t.match(await exec(r, ['sh', '-c', `touch ${TOKEN_DIR}/x 2>&1; echo $?`]), /Read-only file system\n1\n$/, 'the token volume is read-only');

  // ---- a missing ConfigMap: ContainerCreating with FailedMount until it exists ----
  await admin.create(Resources.pods, ns, {
    apiVersion: 'v1',
    kind: 'Pod',
    metadata: { name: 'waiting', namespace: ns },
    spec: {
      nodeName,
      terminationGracePeriodSeconds: 2,
      containers: [{ ...sleeper, args: ['exec sleep 3600'], volumeMounts: [{ name: 'late', mountPath: '/etc/late' }] }],
      volumes: [{ name: 'late', configMap: { name: 'late-config' } }],
    },
  } as Pod);
  const failedMount = 'MountVolume.SetUp failed for volume "late" : configmap "late-config" not found';
  await until('a FailedMount event', async () => {
    const events = await admin.list<Event>(Resources.events, ns);
    return events.items.find((e) => e.involvedObject.name === 'waiting' && e.reason === 'FailedMount' && e.type === 'Warning' && e.message === failedMount);
  }, 60_000);
  t.pass(`FailedMount: ${failedMount}`);
  const pending = await until('waiting to report ContainerCreating', async () => {
    const p = await podGet('waiting');
    return p.status?.containerStatuses?.[0]?.state.waiting?.reason === 'ContainerCreating' ? p : undefined;
  });
  t.equal(pending.status!.phase, 'Pending');
  t.equal((await cri.listPodSandbox({ filter: { label_selector: { 'io.kubernetes.pod.uid': pending.metadata.uid! } } })).items.length, 0, 'no sandbox before the volumes are set up');
  await admin.create(Resources.configmaps, ns, configMap('late-config', { ready: 'yes' }));
  const w = await running('waiting');
  t.equal(await exec(w, ['cat', '/etc/late/ready']), 'yes', 'started once the ConfigMap exists');

  // ---- a missing ConfigMap in env: CreateContainerConfigError with kubelet's message ----
  await admin.create(Resources.pods, ns, {
    apiVersion: 'v1',
    kind: 'Pod',
    metadata: { name: 'envless', namespace: ns },
    spec: { nodeName, terminationGracePeriodSeconds: 2, containers: [{ ...sleeper, args: ['exec sleep 3600'], env: [{ name: 'LEVEL', valueFrom: { configMapKeyRef: { name: 'env-config', key: 'level' } } }] }] },
  } as Pod);
  const blocked = await until('CreateContainerConfigError', async () => {
    const p = await podGet('envless');
    return p.status?.containerStatuses?.[0]?.state.waiting?.reason === 'CreateContainerConfigError' ? p : undefined;
  }, 60_000);
  t.equal(blocked.status!.containerStatuses![0].state.waiting!.message, 'configmap "env-config" not found');
  await admin.create(Resources.configmaps, ns, configMap('env-config', { level: 'debug' }));
  const e = await running('envless');
  t.equal(await envVar(e, 'LEVEL'), 'debug', 'started once the ConfigMap exists');

  // ---- deletion: the volumes go with the pods, tmpfs mounts included ----
  const uids = [r.metadata.uid!, w.metadata.uid!, e.metadata.uid!];
  for (const name of ['reader', 'waiting', 'envless']) await admin.delete(Resources.pods, ns, name);
  await until('the pods gone', async () => (await admin.list<Pod>(Resources.pods, ns)).items.length === 0, 60_000);
  await until('their volume directories removed', () => uids.every((uid) => !fs.existsSync(path.join(kubeletDir, 'pod-volumes', uid))), 30_000);
  t.same(fs.readFileSync('/proc/self/mountinfo', 'utf8').split('\n').filter((l) => l.includes(`${kubeletDir}/`)), [], 'no mounts left below the kubelet dir');
  // ---- a persistentVolumeClaim volume from the local-path provisioner: the data outlives the pod ----
  const provisioner = await startLocalPathProvisioner(kubelet, { nodeName, dataDir: kubeletDir });
  t.teardown(() => provisioner.close());
  await admin.create(Resources.persistentvolumeclaims, ns, { apiVersion: 'v1', kind: 'PersistentVolumeClaim', metadata: { name: 'data', namespace: ns }, spec: { accessModes: ['ReadWriteOnce'], resources: { requests: { storage: '64Mi' } } } } as KubeObject);
  const withClaim = (name: string, script: string): Pod => ({
    apiVersion: 'v1',
    kind: 'Pod',
    metadata: { name, namespace: ns },
    // No nodeName: the scheduler picks the node and selects it for the WaitForFirstConsumer claim.
    spec: { terminationGracePeriodSeconds: 1, containers: [{ ...sleeper, args: [script], volumeMounts: [{ name: 'data', mountPath: '/data' }] }], volumes: [{ name: 'data', persistentVolumeClaim: { claimName: 'data' } }] },
  });
  await admin.create(Resources.pods, ns, withClaim('writer', 'echo kept > /data/file && exec sleep 3600'));
  const writer = await running('writer');
  const claim = await admin.get<PersistentVolumeClaim>(Resources.persistentvolumeclaims, ns, 'data');
  t.equal(claim.status?.phase, 'Bound', 'the claim bound to the provisioned volume');
  t.equal(claim.metadata.annotations?.['volume.kubernetes.io/selected-node'], nodeName, 'selected to the pod\'s node');
  const volume = await admin.get<PersistentVolume>(Resources.persistentvolumes, undefined, claim.spec.volumeName!);
  const dataDir = path.join(kubeletDir, 'storage', volume.metadata.name!);
  t.equal(volume.spec.hostPath?.path, dataDir, 'a directory under the agent\'s data dir');
  t.equal(volume.metadata.annotations?.['pv.kubernetes.io/provisioned-by'], 'kubets.io/local-path');
  t.same(volume.spec.nodeAffinity?.required?.nodeSelectorTerms, [{ matchExpressions: [{ key: 'kubernetes.io/hostname', operator: 'In', values: [nodeName] }] }]);
  t.equal(await exec(writer, ['cat', '/data/file']), 'kept\n');
  await admin.delete(Resources.pods, ns, 'writer');
  await until('writer gone', async () => !(await admin.list<Pod>(Resources.pods, ns)).items.length, 60_000);
  await admin.create(Resources.pods, ns, withClaim('successor', 'exec sleep 3600'));
  t.equal(await exec(await running('successor'), ['cat', '/data/file']), 'kept\n', 'the replacement pod finds the data');
  // Claim deleted: the volume is Released, and (reclaim policy Delete) its data and then the volume are removed.
  await admin.delete(Resources.pods, ns, 'successor');
  await until('successor gone', async () => !(await admin.list<Pod>(Resources.pods, ns)).items.length, 60_000);
  await admin.delete(Resources.persistentvolumeclaims, ns, 'data');
  await until('the volume deleted', async () => admin.get(Resources.persistentvolumes, undefined, volume.metadata.name!).then(() => false, () => true), 30_000);
  t.notOk(fs.existsSync(dataDir), 'its directory removed');
});
