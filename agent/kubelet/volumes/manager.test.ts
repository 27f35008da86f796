// The volume manager on a scratch directory: real files, the atomic writer and hostPath checks, with mounts recorded
// by FakeMounter and objects served by an in-memory reader.
import fs from 'node:fs';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import t from 'tap';
import type * as Tap from 'tap';
import type { Pod } from '../../../api/types.js';
import { FakeClock, FakeObjectReader, makePod, RecordingEvents } from '../../../test/fixtures/kubelet.js';
import { planMounts } from './layout.js';
import { checkHostPathType, VolumeManager } from './manager.js';
import { FakeMounter } from './mounter.js';
import { ownershipMode } from './ownership.js';
import type { Volume, VolumeMount } from './types.js';

const b64 = (s: string) => Buffer.from(s).toString('base64');

function setup(t: Tap.Test) {
  const dataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'kt-volumes-'));
  t.teardown(() => fs.rmSync(dataDir, { recursive: true, force: true }));
  const clock = new FakeClock();
  const reader = new FakeObjectReader(clock);
  const events = new RecordingEvents();
  const mounter = new FakeMounter();
  const manager = new VolumeManager({ dataDir, reader, events, mounter, clock, allocatable: { cpu: 2, memory: 2 ** 30 }, refreshPeriodMs: 60_000 });
  t.teardown(() => manager.close());
  return { dataDir, clock, reader, events, mounter, manager };
}

function podWith(volumes: Volume[], mounts: VolumeMount[] = []): Pod {
  const pod = makePod({ containers: [{ name: 'app', image: 'busybox:1.35', volumeMounts: mounts, resources: { limits: { memory: '256Mi' } } }] });
  pod.spec.volumes = volumes as Pod['spec']['volumes'];
  pod.metadata.labels = { app: 'web' };
  return pod;
}

const apiAccess: Volume = {
  name: 'kube-api-access-abcde',
  projected: {
    defaultMode: 420,
    sources: [
      { serviceAccountToken: { expirationSeconds: 3607, path: 'token' } },
      { configMap: { name: 'kube-root-ca.crt', items: [{ key: 'ca.crt', path: 'ca.crt' }] } },
      { downwardAPI: { items: [{ path: 'namespace', fieldRef: { apiVersion: 'v1', fieldPath: 'metadata.namespace' } }] } },
    ],
  },
};

t.test('setting up every kind of volume', async (t) => {
  const { dataDir, reader, events, mounter, manager } = setup(t);
  reader.configMaps.set('default/app', { data: { greeting: 'hello' } });
  reader.configMaps.set('default/kube-root-ca.crt', { data: { 'ca.crt': 'CA PEM' } });
  reader.secrets.set('default/creds', { data: { password: b64('s3cret') } });
  const hostDir = path.join(dataDir, 'host', 'made');
  const pvDir = path.join(dataDir, 'storage', 'pv-data');
  fs.mkdirSync(pvDir, { recursive: true });
  reader.claims.set('default/data', { metadata: { name: 'data', namespace: 'default', uid: 'claim-uid' }, spec: { volumeName: 'pv-data' }, status: { phase: 'Bound' } });
  reader.persistentVolumes.set('pv-data', { metadata: { name: 'pv-data' }, spec: { claimRef: { uid: 'claim-uid' }, hostPath: { path: pvDir } } });
  const pod = podWith([
    { name: 'scratch', emptyDir: {} },
    { name: 'cache', emptyDir: { medium: 'Memory', sizeLimit: '64Mi' } },
    { name: 'config', configMap: { name: 'app' } },
    { name: 'creds', secret: { secretName: 'creds', defaultMode: 0o400 } },
    { name: 'info', downwardAPI: { items: [{ path: 'labels', fieldRef: { fieldPath: 'metadata.labels' } }] } },
    { name: 'host', hostPath: { path: hostDir, type: 'DirectoryOrCreate' } },
    { name: 'pvc', persistentVolumeClaim: { claimName: 'data' } } as Volume,
    apiAccess,
  ]);
  t.same(await manager.mountPod(pod), []);
  t.same(events.lines, []);
  const root = path.join(dataDir, 'pod-volumes', pod.metadata.uid!);
  const read = (p: string) => fs.readFileSync(path.join(root, p), 'utf8');
  t.equal(fs.statSync(path.join(root, 'empty-dir/scratch')).mode & 0o777, 0o777, 'emptyDir is writable by anyone');
  t.equal(read('configmap/config/greeting'), 'hello');
  t.equal(read('secret/creds/password'), 's3cret');
  t.equal(fs.statSync(path.join(root, 'secret/creds/password')).mode & 0o777, 0o400);
  t.equal(read('downward-api/info/labels'), 'app="web"');
  t.equal(read('projected/kube-api-access-abcde/token'), 'token-1');
  t.equal(read('projected/kube-api-access-abcde/ca.crt'), 'CA PEM');
  t.equal(read('projected/kube-api-access-abcde/namespace'), 'default');
  t.ok(fs.statSync(hostDir).isDirectory(), 'DirectoryOrCreate made the host directory');
  t.equal(manager.volumes(pod).get('pvc')!.hostPath, pvDir, 'a claim is its bound volume\'s directory');
  t.same(mounter.calls.sort(), [
    `mount ${root}/downward-api/info size=${256 * 2 ** 20}`,
    `mount ${root}/empty-dir/cache size=${64 * 2 ** 20}`,
    `mount ${root}/projected/kube-api-access-abcde size=${256 * 2 ** 20}`,
    `mount ${root}/secret/creds size=${256 * 2 ** 20}`,
  ], 'memory-backed volumes: emptyDir Memory (its sizeLimit) and the secret-bearing kinds (the pod memory limit)');
  t.same(reader.tokenRequests.map((r) => r.spec.boundObjectRef), [{ kind: 'Pod', apiVersion: 'v1', name: 'web', uid: pod.metadata.uid }]);

  t.same(await manager.mountPod(pod), [], 'a second sync finds everything set up');
  t.equal(mounter.calls.length, 4);
  t.equal(reader.tokenRequests.length, 1);

  await manager.unmountPod(pod.metadata.uid!);
  t.same(mounter.calls.slice(4).sort(), [`umount ${root}/downward-api/info`, `umount ${root}/empty-dir/cache`, `umount ${root}/projected/kube-api-access-abcde`, `umount ${root}/secret/creds`]);
  t.notOk(fs.existsSync(root), 'the pod volume directory is gone');
  t.ok(fs.existsSync(hostDir), 'a hostPath is the node\'s, never removed');
});

t.test('a claim not bound yet: FailedMount, then the bound volume\'s directory', async (t) => {
  const { dataDir, reader, events, manager } = setup(t);
  const pod = podWith([{ name: 'data', persistentVolumeClaim: { claimName: 'data' } } as Volume]);
  t.same(await manager.mountPod(pod), [{ volume: 'data', message: 'error processing PVC default/data: failed to fetch PVC from API server: persistentvolumeclaims "data" not found' }]);
  reader.claims.set('default/data', { metadata: { name: 'data', namespace: 'default', uid: 'c1' }, spec: {}, status: { phase: 'Pending' } });
  t.same(await manager.mountPod(pod), [{ volume: 'data', message: 'error processing PVC default/data: PVC is not bound' }]);
  t.same(events.lines.at(-1), 'Warning FailedMount MountVolume.SetUp failed for volume "data" : error processing PVC default/data: PVC is not bound');
  const dir = path.join(dataDir, 'local', 'v1');
  fs.mkdirSync(dir, { recursive: true });
  reader.claims.set('default/data', { metadata: { name: 'data', namespace: 'default', uid: 'c1' }, spec: { volumeName: 'v1' }, status: { phase: 'Bound' } });
  reader.persistentVolumes.set('v1', { metadata: { name: 'v1' }, spec: { claimRef: { uid: 'c1' }, local: { path: dir } } });
  t.same(await manager.mountPod(pod), []);
  t.equal(manager.volumes(pod).get('data')!.hostPath, dir);
  t.equal(manager.volumes(pod).get('data')!.readOnly, false);
});

t.test('a missing ConfigMap: FailedMount with kubelet\'s words, set up once it exists', async (t) => {
  const { reader, events, manager } = setup(t);
  const pod = podWith([{ name: 'scratch', emptyDir: {} }, { name: 'config', configMap: { name: 'app-config' } }, { name: 'maybe', secret: { secretName: 'nope', optional: true } }]);
  t.same(await manager.mountPod(pod), [{ volume: 'config', message: 'configmap "app-config" not found' }]);
  t.same(events.lines, ['Warning FailedMount MountVolume.SetUp failed for volume "config" : configmap "app-config" not found']);
  reader.configMaps.set('default/app-config', { data: { k: 'v' } });
  t.same(await manager.mountPod(pod), []);
  t.equal(events.lines.length, 1);
});

t.test('refresh: new contents, new labels and renewed tokens are written; a vanished source keeps the last version', async (t) => {
  const { dataDir, clock, reader, events, manager } = setup(t);
  reader.configMaps.set('default/app', { data: { greeting: 'hello' } });
  reader.configMaps.set('default/kube-root-ca.crt', { data: { 'ca.crt': 'CA PEM' } });
  const pod = podWith([{ name: 'config', configMap: { name: 'app' } }, { name: 'info', downwardAPI: { items: [{ path: 'labels', fieldRef: { fieldPath: 'metadata.labels' } }] } }, apiAccess]);
  t.same(await manager.mountPod(pod), []);
  const root = path.join(dataDir, 'pod-volumes', pod.metadata.uid!);
  const read = (p: string) => fs.readFileSync(path.join(root, p), 'utf8');
  const version = () => fs.readlinkSync(path.join(root, 'configmap/config/..data'));
  const v1 = version();

  await manager.refresh();
  t.equal(version(), v1, 'nothing changed: nothing written');

  reader.configMaps.set('default/app', { data: { greeting: 'bye' } });
  const relabelled = { ...pod, metadata: { ...pod.metadata, labels: { app: 'web', track: 'canary' } } };
  manager.podUpdated(relabelled);
  await manager.refresh();
  t.equal(read('configmap/config/greeting'), 'bye');
  t.not(version(), v1);
  t.equal(read('downward-api/info/labels'), 'app="web"\ntrack="canary"');
  t.equal(read('projected/kube-api-access-abcde/token'), 'token-1');

  clock.advance(0.81 * 3607 * 1000);
  await manager.refresh();
  t.equal(read('projected/kube-api-access-abcde/token'), 'token-2', 'renewed before expiry');

  reader.configMaps.delete('default/app');
  await manager.refresh();
  t.equal(read('configmap/config/greeting'), 'bye', 'the last good version stays');
  t.same(events.lines, ['Warning FailedMount MountVolume.SetUp failed for volume "config" : configmap "app" not found']);

  manager.podUpdated({ ...relabelled, metadata: { ...relabelled.metadata, labels: {}, deletionTimestamp: '2024-01-01T00:00:00Z' } });
  await manager.refresh();
  t.equal(read('downward-api/info/labels'), 'app="web"\ntrack="canary"', 'a pod being deleted is left as it is');
  t.equal(events.lines.length, 1);
});

t.test('subPath: created with the volume\'s mode, resolved to the real path, never outside the volume', async (t) => {
  const { dataDir, reader, manager } = setup(t);
  reader.configMaps.set('default/app', { data: { 'app.conf': 'x=1' } });
  const pod = podWith([{ name: 'scratch', emptyDir: {} }, { name: 'config', configMap: { name: 'app' } }]);
  t.same(await manager.mountPod(pod), []);
  const root = path.join(dataDir, 'pod-volumes', pod.metadata.uid!);
  const mounts: VolumeMount[] = [
    { name: 'scratch', mountPath: '/logs', subPathExpr: 'logs/$(POD_NAME)' },
    { name: 'config', mountPath: '/etc/app.conf', subPath: 'app.conf' },
    { name: 'config', mountPath: '/etc/app', readOnly: false },
  ];
  const c = { name: 'app', image: 'busybox:1.35', volumeMounts: mounts };
  const resolved = await manager.resolveMounts(planMounts(c, manager.volumes(pod), [{ key: 'POD_NAME', value: 'web' }]), 'app');
  const version = fs.readlinkSync(path.join(root, 'configmap/config/..data'));
  t.same(resolved, [
    { container_path: '/logs', host_path: path.join(fs.realpathSync(root), 'empty-dir/scratch/logs/web'), readonly: false },
    { container_path: '/etc/app.conf', host_path: path.join(fs.realpathSync(root), 'configmap/config', version, 'app.conf'), readonly: true },
    { container_path: '/etc/app', host_path: path.join(root, 'configmap/config'), readonly: true },
  ]);
  t.equal(fs.statSync(path.join(root, 'empty-dir/scratch/logs/web')).mode & 0o777, 0o777);

  fs.symlinkSync('/etc', path.join(root, 'empty-dir/scratch/escape'));
  const escape = planMounts({ name: 'app', image: 'x', volumeMounts: [{ name: 'scratch', mountPath: '/x', subPath: 'escape' }] }, manager.volumes(pod), []);
  await t.rejects(manager.resolveMounts(escape, 'app'), { message: 'failed to prepare subPath for volumeMount "scratch" of container "app"' });
  t.throws(() => planMounts({ name: 'app', image: 'x', volumeMounts: [{ name: 'scratch', mountPath: '/x', subPath: '../x' }] }, manager.volumes(pod), []), { message: "unable to provision SubPath `../x`: must not contain '..'" });
  t.throws(() => planMounts({ name: 'app', image: 'x', volumeMounts: [{ name: 'scratch', mountPath: '/x', subPath: '/etc' }] }, manager.volumes(pod), []), { message: 'error SubPath `/etc` must not be an absolute path' });
});

t.test('hostPath types', async (t) => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'kt-hostpath-'));
  t.teardown(() => fs.rmSync(dir, { recursive: true, force: true }));
  const file = path.join(dir, 'file');
  fs.writeFileSync(file, '');
  const sock = path.join(dir, 'sock');
  const server = net.createServer().listen(sock);
  await new Promise((r) => server.once('listening', r));
  t.teardown(() => server.close());
  await checkHostPathType(dir, undefined);
  await checkHostPathType(path.join(dir, 'absent'), '');
  await checkHostPathType(dir, 'Directory');
  await checkHostPathType(file, 'File');
  await checkHostPathType(sock, 'Socket');
  await t.rejects(checkHostPathType(file, 'Directory'), { message: `hostPath type check failed: ${file} is not a directory, it's a File` });
  await t.rejects(checkHostPathType(dir, 'Socket'), { message: `hostPath type check failed: ${dir} is not a socket file, it's a Directory` });
  await t.rejects(checkHostPathType(path.join(dir, 'absent'), 'File'), { message: `hostPath ${dir}/absent doesn't exist` });
  await checkHostPathType(path.join(dir, 'created'), 'FileOrCreate');
  t.ok(fs.statSync(path.join(dir, 'created')).isFile());
  t.equal(fs.statSync(path.join(dir, 'created')).mode & 0o777, 0o644 & ~process.umask());
  await t.rejects(checkHostPathType(path.join(dir, 'no/parent'), 'FileOrCreate'), { code: 'ENOENT' });
  await t.rejects(checkHostPathType(dir, 'Fifo' as never), { message: 'Fifo is an invalid volume type' });
});

t.test('orphaned pod volume directories are removed; known and running pods keep theirs', async (t) => {
  const { dataDir, manager } = setup(t);
  for (const uid of ['gone', 'running', 'known']) fs.mkdirSync(path.join(dataDir, 'pod-volumes', uid, 'empty-dir', 'x'), { recursive: true });
  await manager.cleanupOrphans(new Set(['running', 'known']));
  t.same(fs.readdirSync(path.join(dataDir, 'pod-volumes')).sort(), ['known', 'running']);
});

t.test('fsGroup: emptyDir and API data volumes belong to the group, directories setgid; hostPath is left alone', async (t) => {
  const { dataDir, reader, manager } = setup(t);
  reader.configMaps.set('default/app', { data: { greeting: 'hello' } });
  const hostDir = path.join(dataDir, 'host');
  fs.mkdirSync(hostDir, { mode: 0o755 });
  const pod = podWith([{ name: 'scratch', emptyDir: {} }, { name: 'config', configMap: { name: 'app' } }, { name: 'host', hostPath: { path: hostDir } }]);
  pod.spec.securityContext = { fsGroup: 4321 };
  t.same(await manager.mountPod(pod), []);
  const vols = manager.volumes(pod);
  const scratch = fs.statSync(vols.get('scratch')!.hostPath);
  t.equal(scratch.gid, 4321);
  t.equal(scratch.mode & 0o7777, 0o2777, 'emptyDir: rwx for all, setgid');
  const configDir = vols.get('config')!.hostPath;
  const data = fs.realpathSync(path.join(configDir, 'greeting'));
  t.equal(fs.statSync(data).gid, 4321);
  t.equal(fs.statSync(data).mode & 0o777, 0o644, 'read-only volume: group read added to 0644');
  t.equal(fs.statSync(path.dirname(data)).mode & 0o2000, 0o2000, 'its directories setgid');
  t.equal(fs.statSync(hostDir).gid, 0, 'hostPath keeps its owner');
});

t.test('ownership modes', async (t) => {
  t.equal(ownershipMode(0o100600, false, false), 0o660);
  t.equal(ownershipMode(0o100400, false, true), 0o440);
  t.equal(ownershipMode(0o40755, true, false), 0o2775);
  t.equal(ownershipMode(0o40700, true, true), 0o2750);
});
