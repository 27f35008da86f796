import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import t from 'tap';
import type { Pod } from '../../../api/types.js';
import { computeMirrorActions, isMirrorOf, mirrorPodFor } from './mirror.js';
import { ConfigAnnotation, FileSource, readManifestDir, staticPodFromManifest, staticPodUID } from './source.js';

const manifest = `apiVersion: v1
kind: Pod
metadata:
  name: etcd
  namespace: kube-system
  labels: { component: etcd }
spec:
  hostNetwork: true
  containers:
  - name: etcd
    image: busybox:1.35
    command: [sleep, "3600"]
`;
const SEEN = '2024-05-01T10:00:00Z';

t.test('a manifest becomes a static pod of this node: name, namespace, UID from its content, annotations', async (t) => {
  const pod = staticPodFromManifest(manifest, '/etc/kubernetes/manifests/etcd.yaml', 'Master', SEEN);
  t.equal(pod.metadata.name, 'etcd-master', '<name>-<node>, the node name lower-cased');
  t.equal(pod.metadata.namespace, 'kube-system');
  t.match(pod.metadata.uid, /^[0-9a-f]{32}$/);
  t.same(pod.metadata.annotations, { [ConfigAnnotation.hash]: pod.metadata.uid, [ConfigAnnotation.source]: 'file', [ConfigAnnotation.seen]: SEEN });
  t.same(pod.metadata.labels, { component: 'etcd' });
  t.equal(pod.spec.nodeName, 'Master');
  t.same(pod.spec.tolerations, [{ operator: 'Exists', effect: 'NoExecute' }], 'tolerates every NoExecute taint');
  t.same(pod.status, { phase: 'Pending' });

  const same = staticPodFromManifest(manifest, '/etc/kubernetes/manifests/etcd.yaml', 'Master', '2030-01-01T00:00:00Z');
  t.equal(same.metadata.uid, pod.metadata.uid, 'the UID does not depend on when it was read');
  const json = staticPodFromManifest(JSON.stringify({ apiVersion: 'v1', kind: 'Pod', metadata: { name: 'web' }, spec: { containers: [{ name: 'a', image: 'busybox:1.35' }] } }), '/m/web.json', 'n1', SEEN);
  t.equal(json.metadata.namespace, 'default', 'JSON too; namespace default');
  const uids = new Set([
    pod.metadata.uid,
    staticPodFromManifest(manifest.replace('3600', '3601'), '/etc/kubernetes/manifests/etcd.yaml', 'Master', SEEN).metadata.uid,
    staticPodFromManifest(manifest, '/etc/kubernetes/manifests/etcd2.yaml', 'Master', SEEN).metadata.uid,
    staticPodFromManifest(manifest, '/etc/kubernetes/manifests/etcd.yaml', 'worker1', SEEN).metadata.uid,
  ]);
  t.equal(uids.size, 4, 'another content, file or node: another UID');
  t.equal(staticPodUID({ b: 1, a: 2 }, 'n', '/f'), staticPodUID({ a: 2, b: 1 }, 'n', '/f'), 'key order does not matter');
  const fixed = staticPodFromManifest(manifest.replace('  name: etcd\n', '  name: etcd\n  uid: my-uid\n'), '/m/etcd.yaml', 'master', SEEN);
  t.equal(fixed.metadata.uid, 'my-uid', 'a UID the manifest sets is kept');
});

t.test('malformed manifests are rejected with a reason', async (t) => {
  const bad: [string, RegExp][] = [
    ['key: [unclosed', /^invalid YAML or JSON/],
    ['- a\n- b\n', /not a Pod object/],
    ['apiVersion: apps/v1\nkind: Deployment\nmetadata: {name: x}\n', /want apiVersion v1 and kind Pod/],
    ['apiVersion: v1\nkind: Pod\nmetadata: {}\nspec: {containers: [{name: a, image: b}]}\n', /metadata\.name: Required value/],
    ['apiVersion: v1\nkind: Pod\nmetadata: {name: x}\nspec: {}\n', /spec\.containers: Required value/],
    ['apiVersion: v1\nkind: Pod\nmetadata: {name: x}\nspec: {containers: [{name: a}]}\n', /spec\.containers\[0\]\.image: Required value/],
  ];
  for (const [text, message] of bad) t.throws(() => staticPodFromManifest(text, '/m/x.yaml', 'n', SEEN), { name: 'ManifestError', message }, message.source);
});

t.test('a manifest directory: pods from good files, errors for bad ones; hidden files, directories and duplicates skipped', async (t) => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'kt-manifests-'));
  t.teardown(() => fs.rmSync(dir, { recursive: true, force: true }));
  fs.writeFileSync(path.join(dir, 'etcd.yaml'), manifest);
  fs.writeFileSync(path.join(dir, 'etcd-copy.yaml'), manifest.replace('3600', '1'));
  fs.writeFileSync(path.join(dir, 'broken.yaml'), 'kind: Pod\n  nonsense: [');
  fs.writeFileSync(path.join(dir, '.swap.yaml'), 'garbage');
  fs.mkdirSync(path.join(dir, 'sub'));
  const read = readManifestDir(dir, 'master', () => undefined, () => SEEN);
  t.same(read.pods.map((p) => p.metadata.name), ['etcd-master']);
  t.same(read.pods[0].spec.containers[0].command, ['sleep', '1'], 'of two files naming one pod, the first by file name wins');
  t.same(read.errors.map((e) => path.basename(e.file)).sort(), ['broken.yaml', 'etcd.yaml']);
  t.match(read.errors.find((e) => e.file.endsWith('etcd.yaml'))!.message, /Duplicate value: "etcd-master"/);
  t.same(readManifestDir(path.join(dir, 'nope'), 'master', () => undefined), { pods: [], errors: [] }, 'no directory: no pods');
  const seen = readManifestDir(dir, 'master', () => '2020-01-01T00:00:00Z');
  t.equal(seen.pods[0].metadata.annotations![ConfigAnnotation.seen], '2020-01-01T00:00:00Z', 'a pod read before keeps its first-seen time');
});

t.test('the file source reports the set whenever it changes', async (t) => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'kt-manifests-'));
  t.teardown(() => fs.rmSync(dir, { recursive: true, force: true }));
  const sets: string[][] = [];
  const source = new FileSource(dir, 'master', (pods) => sets.push(pods.map((p) => p.metadata.uid!)), 60_000).start();
  t.teardown(() => source.close());
  t.ok(source.hasSynced());
  t.same(sets, [[]], 'the first read reports even an empty set');
  fs.writeFileSync(path.join(dir, 'etcd.yaml'), manifest);
  source.read();
  source.read();
  t.equal(sets.length, 2, 'reported once per change');
  const first = sets[1][0];
  fs.writeFileSync(path.join(dir, 'etcd.yaml'), manifest.replace('3600', '60'));
  source.read();
  t.equal(sets.length, 3);
  t.not(sets[2][0], first, 'an edit is a new UID');
  fs.rmSync(path.join(dir, 'etcd.yaml'));
  source.read();
  t.same(sets[3], []);
});

const staticPod = (over: { name?: string; hash?: string } = {}): Pod => ({
  apiVersion: 'v1',
  kind: 'Pod',
  metadata: { name: over.name ?? 'etcd-master', namespace: 'kube-system', uid: over.hash ?? 'h1', annotations: { [ConfigAnnotation.hash]: over.hash ?? 'h1', [ConfigAnnotation.source]: 'file', [ConfigAnnotation.seen]: SEEN } },
  spec: { nodeName: 'master', hostNetwork: true, containers: [{ name: 'etcd', image: 'busybox:1.35' }] },
  status: { phase: 'Pending' },
});
const mirror = (over: { name?: string; hash?: string; uid?: string; deleting?: boolean } = {}): Pod => ({
  apiVersion: 'v1',
  kind: 'Pod',
  metadata: {
    name: over.name ?? 'etcd-master',
    namespace: 'kube-system',
    uid: over.uid ?? 'm1',
    annotations: { [ConfigAnnotation.mirror]: over.hash ?? 'h1' },
    ...(over.deleting ? { deletionTimestamp: SEEN } : {}),
  },
  spec: { nodeName: 'master', containers: [{ name: 'etcd', image: 'busybox:1.35' }] },
});
const node = { name: 'master', uid: 'node-uid' };
const names = (pods: Pod[]) => pods.map((p) => `${p.metadata.name}/${p.metadata.uid ?? p.metadata.annotations?.[ConfigAnnotation.mirror]}`);

t.test('the mirror pod of a static pod', async (t) => {
  const m = mirrorPodFor(staticPod(), node);
  t.same(m.metadata, {
    name: 'etcd-master',
    namespace: 'kube-system',
    annotations: { [ConfigAnnotation.hash]: 'h1', [ConfigAnnotation.source]: 'file', [ConfigAnnotation.seen]: SEEN, [ConfigAnnotation.mirror]: 'h1' },
    ownerReferences: [{ apiVersion: 'v1', kind: 'Node', name: 'master', uid: 'node-uid', controller: true }],
  }, 'no UID or status of its own; owned by the Node');
  t.same(m.spec, staticPod().spec);
  t.ok(isMirrorOf(mirror(), staticPod()));
  t.notOk(isMirrorOf(mirror({ hash: 'h0' }), staticPod()), 'another hash');
  t.notOk(isMirrorOf(mirror({ name: 'other-master' }), staticPod()), 'another name');
});

t.test('mirror decisions: create, keep, replace, recreate after deletion, remove orphans, wait for the Node', async (t) => {
  const cases: [string, Pod[], Pod[], typeof node | undefined, { delete: string[]; create: string[] }][] = [
    ['no mirror yet: create it', [staticPod()], [], node, { delete: [], create: ['etcd-master/h1'] }],
    ['no Node yet: wait', [staticPod()], [], undefined, { delete: [], create: [] }],
    ['a matching mirror: nothing', [staticPod()], [mirror()], node, { delete: [], create: [] }],
    ['the file changed (new hash): replace it', [staticPod({ hash: 'h2' })], [mirror()], node, { delete: ['etcd-master/m1'], create: ['etcd-master/h2'] }],
    ['deleted through the API: recreate it', [staticPod()], [mirror({ deleting: true })], node, { delete: ['etcd-master/m1'], create: ['etcd-master/h1'] }],
    ['the file is gone: the mirror goes', [], [mirror()], node, { delete: ['etcd-master/m1'], create: [] }],
    ['an orphan beside a kept one', [staticPod()], [mirror(), mirror({ name: 'old-master', uid: 'm2' })], undefined, { delete: ['old-master/m2'], create: [] }],
  ];
  for (const [what, statics, mirrors, n, want] of cases) {
    const a = computeMirrorActions(statics, mirrors, n);
    t.same({ delete: names(a.delete), create: names(a.create) }, want, what);
  }
  t.same(computeMirrorActions([staticPod()], [], { ...node, deleting: true }).create, [], 'a Node being deleted gets no mirrors');
});
