// Static pods on a real node: a kubelet on a containerd in a scratch namespace (test/containerd-node) runs the pods
// of its manifest directory before any API server exists, skipping a broken manifest. When a `kubets server` comes
// (test/server-fixture) and the node joins it (test/node-join), the kubelet publishes mirror pods owned by its Node
// with the static pods' statuses; a mirror deleted through the API is recreated while the pod keeps running; an edited
// manifest replaces the pod and its mirror; a removed manifest stops the pod and removes the mirror.
import { execFile } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { promisify } from 'node:util';
import t from 'tap';
import { isNotFound } from '../../api/errors.js';
import { Resources } from '../../api/resources.js';
import type { Node, Pod } from '../../api/types.js';
import { startContainerdNode } from '../../test/containerd-node.js';
import { joinedNodeClient } from '../../test/node-join.js';
import { startServer } from '../../test/server-fixture.js';
import { until } from '../../test/until.js';
import { CriClient } from './cri/client.js';
import { registerNode } from './node.js';
import { startPodManagement, startStaticPods } from './pods.js';
import { Label } from './runtime.js';
import type { SpecOptions } from './specs.js';
import { ConfigAnnotation } from './staticpods/source.js';

const run = promisify(execFile);
const nodeIP = '10.99.0.1';

const webManifest = (version: string) => `apiVersion: v1
kind: Pod
metadata:
  name: web
  labels: { app: web }
spec:
  terminationGracePeriodSeconds: 2
  containers:
  - name: httpd
    image: busybox:1.35
    command: [sh, -c, "mkdir -p /www && echo ${version} > /www/index.html && exec httpd -f -p 8080 -h /www"]
`;
const hostManifest = `apiVersion: v1
kind: Pod
metadata:
  name: host
  namespace: kube-system
  labels: { component: host }
spec:
  hostNetwork: true
  terminationGracePeriodSeconds: 2
  containers:
  - name: app
    image: busybox:1.35
    command: [sh, -c, "exec sleep 3600"]
`;

t.test('static pods with and without an API server', { timeout: 600_000 }, async (t) => {
  const node = await startContainerdNode(t, { prefix: 'kt-sp', podCIDR: '10.88.33.0/24' });
  const cri = await CriClient.connect(node.criSocket);
  t.teardown(() => cri.close());
  await until('CNI network ready', async () => (await cri.status()).status?.conditions.find((c) => c.type === 'NetworkReady')?.status, 60_000);
  const nodeName = `sp-${node.id}`;
  const manifests = path.join(node.data, 'manifests');
  fs.mkdirSync(manifests);
  fs.writeFileSync(path.join(manifests, 'web.yaml'), webManifest('v1'));
  fs.writeFileSync(path.join(manifests, 'host.yaml'), hostManifest);
  fs.writeFileSync(path.join(manifests, 'broken.yaml'), 'apiVersion: v1\nkind: Pod\nspec: [not, a, spec\n');
  const spec: SpecOptions = { dataDir: node.data, cgroupParent: node.cgroupParent, clusterDNS: '10.96.0.10', clusterDomain: 'cluster.local', nodeName, nodeIP };
  const staticPods = await startStaticPods(cri, spec, manifests, { fileCheckPeriodMs: 2000 });
  t.teardown(() => staticPods.close());

  const sandboxOf = async (name: string) => (await cri.listPodSandbox({ filter: { label_selector: { [Label.podName]: name }, state: { state: 'SANDBOX_READY' } } })).items[0];
  const runningIn = async (uid: string) => (await cri.listContainers({ filter: { label_selector: { [Label.podUID]: uid }, state: { state: 'CONTAINER_RUNNING' } } })).containers;
  const serves = async (ip: string) => (await run('ip', ['netns', 'exec', node.ns, '/bin/busybox', 'wget', '-qO-', `http://${ip}:8080/`], { timeout: 10_000 })).stdout.trim();

  // ---- no API server: the static pods run, the broken manifest is skipped ----
  const web1 = await until('web running without an API server', async () => {
    const sb = await sandboxOf(`web-${nodeName}`);
    return sb && (await runningIn(sb.metadata!.uid)).length === 1 ? sb : undefined;
  }, 90_000);
  t.same([web1.metadata!.name, web1.metadata!.namespace], [`web-${nodeName}`, 'default'], '<name>-<node> in default');
  const hash1 = web1.metadata!.uid;
  t.match(hash1, /^[0-9a-f]{32}$/, 'its UID is the content hash');
  t.equal(web1.annotations[ConfigAnnotation.hash], hash1);
  t.equal(web1.annotations[ConfigAnnotation.source], 'file');
  const webIP = (await cri.podSandboxStatus({ pod_sandbox_id: web1.id })).status!.network!.ip;
  t.equal(await serves(webIP), 'v1', 'it serves');
  const host = await until('host running', async () => {
    const sb = await sandboxOf(`host-${nodeName}`);
    return sb && (await runningIn(sb.metadata!.uid)).length === 1 ? sb : undefined;
  }, 90_000);
  t.equal(host.metadata!.namespace, 'kube-system');
  t.same(staticPods.manager.staticPodList().map((p) => p.metadata.name).sort(), [`host-${nodeName}`, `web-${nodeName}`], 'broken.yaml skipped, the others run');

  // ---- the API server comes; the node joins and registers: mirror pods ----
  const server = await startServer();
  t.teardown(() => server.destroy());
  const admin = server.client;
  const kubelet = await joinedNodeClient(server, nodeName);
  t.teardown(() => kubelet.close());
  const nodeObj = await registerNode(kubelet, { nodeName, nodeIP, nodeLabels: {}, registerWithTaints: [], dataDir: node.data }, cri);
  const management = await startPodManagement(kubelet, nodeName, cri, spec, { manager: staticPods.manager });
  t.teardown(() => management.close());

  const mirrorOf = async (ns: string, name: string) => admin.get<Pod>(Resources.pods, ns, name).catch((e) => (isNotFound(e) ? undefined : Promise.reject(e)));
  const webContainer1 = (await runningIn(hash1))[0].id;
  const mirror1 = await until('the web mirror pod, Running', async () => {
    const m = await mirrorOf('default', `web-${nodeName}`);
    return m?.status?.phase === 'Running' && m.status.containerStatuses?.[0]?.containerID === `containerd://${webContainer1}` ? m : undefined;
  }, 60_000);
  t.equal(mirror1.metadata.annotations![ConfigAnnotation.mirror], hash1, 'annotated with the static pod\'s hash');
  t.not(mirror1.metadata.uid, hash1, 'a UID of its own');
  t.same(mirror1.metadata.ownerReferences, [{ apiVersion: 'v1', kind: 'Node', name: nodeName, uid: (nodeObj as Node).metadata.uid, controller: true }], 'owned by the Node');
  t.equal(mirror1.spec.nodeName, nodeName);
  t.equal(mirror1.status!.podIP, webIP, 'the static pod\'s status');
  t.equal(mirror1.status!.conditions!.find((c) => c.type === 'Ready')?.status, 'True');
  const hostMirror = await until('the host mirror pod, Running', async () => {
    const m = await mirrorOf('kube-system', `host-${nodeName}`);
    return m?.status?.phase === 'Running' ? m : undefined;
  }, 60_000);
  t.equal(hostMirror.status!.podIP, nodeIP, 'a host-network static pod has the node\'s IP');
  const listed = await server.kubectl(['get', 'pods', '-A', '-o', 'custom-columns=NS:.metadata.namespace,NAME:.metadata.name,STATUS:.status.phase', '--no-headers']);
  t.match(listed.stdout, new RegExp(`default\\s+web-${nodeName}\\s+Running`), 'kubectl get pods shows the mirror');

  // ---- a mirror deleted through the API is recreated; the pod keeps running ----
  await admin.delete(Resources.pods, 'default', `web-${nodeName}`);
  const mirror2 = await until('a new web mirror', async () => {
    const m = await mirrorOf('default', `web-${nodeName}`);
    return m && m.metadata.uid !== mirror1.metadata.uid && !m.metadata.deletionTimestamp && m.status?.phase === 'Running' ? m : undefined;
  }, 60_000);
  t.equal(mirror2.metadata.annotations![ConfigAnnotation.mirror], hash1);
  t.same((await runningIn(hash1)).map((c) => c.id), [webContainer1], 'the static pod was not restarted');

  // ---- the manifest changes: the pod is replaced, and its mirror ----
  fs.writeFileSync(path.join(manifests, 'web.yaml'), webManifest('v2'));
  const web2 = await until('the new web pod running', async () => {
    const sb = await sandboxOf(`web-${nodeName}`);
    return sb && sb.metadata!.uid !== hash1 && (await runningIn(sb.metadata!.uid)).length === 1 ? sb : undefined;
  }, 90_000);
  const hash2 = web2.metadata!.uid;
  t.same(await runningIn(hash1), [], 'the old pod stopped');
  t.equal(await serves((await cri.podSandboxStatus({ pod_sandbox_id: web2.id })).status!.network!.ip), 'v2', 'the new one serves the new content');
  const mirror3 = await until('the mirror of the new pod', async () => {
    const m = await mirrorOf('default', `web-${nodeName}`);
    return m?.metadata.annotations?.[ConfigAnnotation.mirror] === hash2 && m.status?.phase === 'Running' ? m : undefined;
  }, 60_000);
  t.not(mirror3.metadata.uid, mirror2.metadata.uid, 'the old mirror was replaced');

  // ---- the manifest goes: the pod stops, the mirror goes ----
  fs.rmSync(path.join(manifests, 'web.yaml'));
  await until('the web mirror removed', async () => !(await mirrorOf('default', `web-${nodeName}`)), 60_000);
  await until('the web pod gone from the runtime', async () => (await cri.listPodSandbox({ filter: { label_selector: { [Label.podUID]: hash2 } } })).items.length === 0, 60_000);
  t.pass('removing the manifest stopped the pod and removed its mirror');
  t.equal((await mirrorOf('kube-system', `host-${nodeName}`))?.status?.phase, 'Running', 'the other static pod runs on');

  fs.rmSync(path.join(manifests, 'host.yaml'));
  await until('the host pod gone', async () => !(await sandboxOf(`host-${nodeName}`)) && !(await mirrorOf('kube-system', `host-${nodeName}`)), 60_000);
});
