// Storage against a real `kubets server` (its controllers and scheduler running), driven with the real kubectl:
// PersistentVolumes, PersistentVolumeClaims and StorageClasses served with kube-apiserver's validation and columns,
// the default class, the PV binder binding, releasing and reclaiming, and the claims that can never bind left Pending
// with an event saying why. No node runs: the local-path provisioner's part is tested with the kubelet fixture.
import t from 'tap';
import { Resources } from '../api/resources.js';
import type { PersistentVolume, PersistentVolumeClaim } from '../api/types.js';
import { startServer, type TestServer } from './server-fixture.js';
import { until } from './until.js';

let srv: TestServer;
t.before(async () => {
  srv = await startServer();
});
t.teardown(() => srv?.destroy());

const kubectl = (args: string[], input?: string) => srv.kubectl(args, { input });
const pv = (name: string) => srv.client.get<PersistentVolume>(Resources.persistentvolumes, undefined, name);
const pvc = (name: string) => srv.client.get<PersistentVolumeClaim>(Resources.persistentvolumeclaims, 'default', name);
const columns = (out: string) => out.split('\n')[0].trim().split(/\s{2,}/);
const row = (out: string) => out.split('\n')[1].trim().split(/\s{2,}/);
/** The messages of the events about an object. */
const eventsAbout = async (name: string) => (await kubectl(['get', 'events', '--field-selector', `involvedObject.name=${name}`, '-o', 'jsonpath={range .items[*]}{.type} {.reason} {.message}{"\\n"}{end}'])).stdout;

t.test('kubectl get sc: the built-in default class standard', async (t) => {
  const r = await kubectl(['get', 'storageclasses']);
  t.equal(r.exitCode, 0, r.stderr);
  t.same(columns(r.stdout), ['NAME', 'PROVISIONER', 'RECLAIMPOLICY', 'VOLUMEBINDINGMODE', 'ALLOWVOLUMEEXPANSION', 'AGE']);
  t.same(row(r.stdout).slice(0, 5), ['standard (default)', 'kubets.io/local-path', 'Delete', 'WaitForFirstConsumer', 'false']);
  const short = await kubectl(['get', 'sc', 'standard', '-o', 'jsonpath={.metadata.annotations.storageclass\\.kubernetes\\.io/is-default-class}']);
  t.equal(short.stdout, 'true');
  const immutable = await kubectl(['patch', 'sc', 'standard', '--type', 'merge', '-p', '{"reclaimPolicy":"Retain"}']);
  t.equal(immutable.exitCode, 1);
  t.match(immutable.stderr, /reclaimPolicy: Forbidden: updates to reclaimPolicy are forbidden\./);
});

t.test('validation: kube-apiserver\'s field errors for volumes and claims', async (t) => {
  const badPV = await kubectl(['apply', '-f', '-'], 'apiVersion: v1\nkind: PersistentVolume\nmetadata: {name: bad}\nspec: {}\n');
  t.equal(badPV.exitCode, 1);
  t.match(badPV.stderr, /spec\.accessModes: Required value/);
  t.match(badPV.stderr, /spec\.capacity: Required value/);
  t.match(badPV.stderr, /spec: Required value: must specify a volume type/);
  const badPVC = await kubectl(['apply', '-f', '-'], 'apiVersion: v1\nkind: PersistentVolumeClaim\nmetadata: {name: bad}\nspec: {}\n');
  t.equal(badPVC.exitCode, 1);
  t.match(badPVC.stderr, /spec\.accessModes: Required value: at least 1 access mode is required/);
  t.match(badPVC.stderr, /spec\.resources\[storage\]: Required value/);
  const ok = await kubectl(['apply', '-f', '-'], 'apiVersion: v1\nkind: PersistentVolumeClaim\nmetadata: {name: fixed}\nspec: {accessModes: [ReadWriteOnce], resources: {requests: {storage: 1Gi}}}\n');
  t.equal(ok.exitCode, 0, ok.stderr);
  const change = await kubectl(['patch', 'pvc', 'fixed', '--type', 'merge', '-p', '{"spec":{"accessModes":["ReadWriteMany"]}}']);
  t.equal(change.exitCode, 1);
  t.match(change.stderr, /spec: Forbidden: spec is immutable after creation except resources\.requests and volumeAttributesClassName for bound claims/);
  await kubectl(['delete', 'pvc', 'fixed']);
});

t.test('the binder binds a claim to the smallest matching volume; Retain keeps it Released', async (t) => {
  const volume = (name: string, size: string, policy: string) => `apiVersion: v1
kind: PersistentVolume
metadata: {name: ${name}, labels: {tier: fast}}
spec:
  capacity: {storage: ${size}}
  accessModes: [ReadWriteOnce]
  persistentVolumeReclaimPolicy: ${policy}
  storageClassName: manual
  hostPath: {path: /tmp/kubets-${name}}
---
`;
  const r = await kubectl(['apply', '-f', '-'], volume('big', '5Gi', 'Retain') + volume('small', '1Gi', 'Retain') + volume('tiny', '100Mi', 'Retain'));
  t.equal(r.exitCode, 0, r.stderr);
  await until('volumes Available', async () => (await Promise.all(['big', 'small', 'tiny'].map(pv))).every((v) => v.status?.phase === 'Available'));
  const c = await kubectl(['apply', '-f', '-'], 'apiVersion: v1\nkind: PersistentVolumeClaim\nmetadata: {name: claim}\nspec: {storageClassName: manual, accessModes: [ReadWriteOnce], resources: {requests: {storage: 500Mi}}, selector: {matchLabels: {tier: fast}}}\n');
  t.equal(c.exitCode, 0, c.stderr);
  const bound = await until('claim Bound', async () => ((await pvc('claim')).status?.phase === 'Bound' ? pvc('claim') : undefined));
  t.equal(bound.spec.volumeName, 'small', 'the smallest volume that fits');
  t.same(bound.status?.capacity, { storage: '1Gi' });
  const v = await until('volume Bound', async () => ((await pv('small')).status?.phase === 'Bound' ? pv('small') : undefined));
  t.equal(v.spec.claimRef?.uid, bound.metadata.uid);

  const pvs = await kubectl(['get', 'pv', 'small']);
  t.same(columns(pvs.stdout), ['NAME', 'CAPACITY', 'ACCESS MODES', 'RECLAIM POLICY', 'STATUS', 'CLAIM', 'STORAGECLASS', 'VOLUMEATTRIBUTESCLASS', 'REASON', 'AGE']);
  t.same(row(pvs.stdout).slice(0, 8), ['small', '1Gi', 'RWO', 'Retain', 'Bound', 'default/claim', 'manual', '<unset>']);
  const pvcs = await kubectl(['get', 'pvc', 'claim']);
  t.same(columns(pvcs.stdout), ['NAME', 'STATUS', 'VOLUME', 'CAPACITY', 'ACCESS MODES', 'STORAGECLASS', 'VOLUMEATTRIBUTESCLASS', 'AGE']);
  t.same(row(pvcs.stdout).slice(0, 7), ['claim', 'Bound', 'small', '1Gi', 'RWO', 'manual', '<unset>']);

  t.equal((await kubectl(['delete', 'pvc', 'claim'])).exitCode, 0);
  await until('volume Released', async () => (await pv('small')).status?.phase === 'Released');
  t.equal((await pv('small')).spec.claimRef?.name, 'claim', 'a Released volume keeps its claimRef until an administrator clears it');
  await kubectl(['delete', 'pv', 'big', 'small', 'tiny']);
});

t.test('Delete reclaim without a provisioner to delete it: Failed with the binder\'s event', async (t) => {
  const r = await kubectl(['apply', '-f', '-'], `apiVersion: v1
kind: PersistentVolume
metadata: {name: doomed}
spec: {capacity: {storage: 1Gi}, accessModes: [ReadWriteOnce], persistentVolumeReclaimPolicy: Delete, storageClassName: "", hostPath: {path: /tmp/kubets-doomed}}
---
apiVersion: v1
kind: PersistentVolumeClaim
metadata: {name: doomed}
spec: {storageClassName: "", accessModes: [ReadWriteOnce], resources: {requests: {storage: 1Gi}}}
`);
  t.equal(r.exitCode, 0, r.stderr);
  await until('claim Bound', async () => (await pvc('doomed')).status?.phase === 'Bound');
  await kubectl(['delete', 'pvc', 'doomed']);
  const failed = await until('volume Failed', async () => ((await pv('doomed')).status?.phase === 'Failed' ? pv('doomed') : undefined));
  t.match(failed.status?.message, /no deletable volume plugin matched/);
  t.match(await eventsAbout('doomed'), /Warning VolumeFailedDelete error getting deleter volume plugin for volume "doomed": no deletable volume plugin matched/);
  await kubectl(['delete', 'pv', 'doomed']);
});

t.test('claims that can never bind stay Pending with an event saying why', async (t) => {
  const r = await kubectl(['apply', '-f', '-'], `apiVersion: v1
kind: PersistentVolumeClaim
metadata: {name: noclass}
spec: {storageClassName: "", accessModes: [ReadWriteOnce], resources: {requests: {storage: 1Gi}}}
---
apiVersion: v1
kind: PersistentVolumeClaim
metadata: {name: missingclass}
spec: {storageClassName: gold, accessModes: [ReadWriteOnce], resources: {requests: {storage: 1Gi}}}
---
apiVersion: v1
kind: PersistentVolumeClaim
metadata: {name: waiting}
spec: {accessModes: [ReadWriteOnce], resources: {requests: {storage: 1Gi}}}
`);
  t.equal(r.exitCode, 0, r.stderr);
  await until('FailedBinding', async () => /Normal FailedBinding no persistent volumes available for this claim and no storage class is set/.test(await eventsAbout('noclass')));
  await until('ProvisioningFailed', async () => /Warning ProvisioningFailed storageclass\.storage\.k8s\.io "gold" not found/.test(await eventsAbout('missingclass')));
  await until('WaitForFirstConsumer', async () => /Normal WaitForFirstConsumer waiting for first consumer to be created before binding/.test(await eventsAbout('waiting')));
  t.equal((await pvc('waiting')).spec.storageClassName, 'standard', 'the default class filled in');
  for (const name of ['noclass', 'missingclass', 'waiting']) t.equal((await pvc(name)).status?.phase, 'Pending', `${name} Pending`);
  const described = await kubectl(['describe', 'pvc', 'noclass']);
  t.match(described.stdout, /Status:\s+Pending/);
  t.match(described.stdout, /FailedBinding/);
  await kubectl(['delete', 'pvc', 'noclass', 'missingclass', 'waiting']);
});

t.test('a pod whose claim does not exist is unschedulable with the scheduler\'s message', async (t) => {
  const r = await kubectl(['run', 'needs-claim', '--image', 'busybox:1.35', '--overrides', JSON.stringify({ spec: { volumes: [{ name: 'data', persistentVolumeClaim: { claimName: 'nope' } }], containers: [{ name: 'c', image: 'busybox:1.35', volumeMounts: [{ name: 'data', mountPath: '/data' }] }] } })]);
  t.equal(r.exitCode, 0, r.stderr);
  await until('FailedScheduling', async () => /Warning FailedScheduling 0\/\d+ nodes are available: persistentvolumeclaim "nope" not found\. preemption: /.test(await eventsAbout('needs-claim')));
  await kubectl(['delete', 'pod', 'needs-claim', '--grace-period=0']);
});
