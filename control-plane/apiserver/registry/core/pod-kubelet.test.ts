// pods/portforward and pods/attach through a running `kubets server` to a real kubelet server (in this process, its
// serving certificate from the cluster CA, its runtime faked): the real kubectl 1.32's port-forward reaches the
// runtime's stream server both ways it can — WebSocket (SPDY tunnelled, which the API server bridges to a SPDY
// upgrade to the kubelet) and plain SPDY — and a raw WebSocket client's bytes cross the tunnel both ways.
import { execa, type ResultPromise } from 'execa';
import fs from 'node:fs';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import path from 'node:path';
import tls from 'node:tls';
import t from 'tap';
import { issueCert, type KeyPair } from '../../../../api/pki.js';
import { Resources } from '../../../../api/resources.js';
import type { Pod } from '../../../../api/types.js';
import { encodeFrame, FrameParser, Opcode } from '../../../../api/websocket.js';
import { Label } from '../../../../agent/kubelet/runtime.js';
import { startKubeletServer, type KubeletServerRuntime } from '../../../../agent/kubelet/server.js';
import { startServer, type TestServer } from '../../../../test/server-fixture.js';
import { until } from '../../../../test/until.js';

let srv: TestServer;
const upgrades: { url: string; headers: Record<string, string[]> }[] = [];
const portForwards: number[][] = [];

// The runtime's stream server: answers any upgrade as a SPDY one and echoes what follows, upper-cased.
const streamServer = http.createServer((_req, res) => res.writeHead(404).end());
streamServer.on('upgrade', (req, socket) => {
  const headers: Record<string, string[]> = {};
  for (let i = 0; i < req.rawHeaders.length; i += 2) (headers[req.rawHeaders[i].toLowerCase()] ??= []).push(req.rawHeaders[i + 1]);
  upgrades.push({ url: req.url ?? '', headers });
  socket.write('HTTP/1.1 101 Switching Protocols\r\nConnection: Upgrade\r\nUpgrade: SPDY/3.1\r\nX-Stream-Protocol-Version: portforward.k8s.io\r\n\r\n');
  socket.on('data', (d: Buffer) => socket.write(d.toString().toUpperCase()));
  socket.on('error', () => socket.destroy());
});

t.before(async () => {
  srv = await startServer({ args: ['--disable-controllers'] });
  await new Promise<void>((resolve) => streamServer.listen(0, '127.0.0.1', resolve));
  const streamPort = (streamServer.address() as AddressInfo).port;
  const pki = path.join(srv.dir, 'pki');
  const ca: KeyPair = { certPem: fs.readFileSync(path.join(pki, 'ca.crt'), 'utf8'), keyPem: fs.readFileSync(path.join(pki, 'ca.key'), 'utf8') };
  const serving = await issueCert(ca, { commonName: 'system:node:pf-node', organizations: ['system:nodes'], ips: ['127.0.0.1'], server: true });
  const sandbox = { id: 'sandbox-1', metadata: null, state: 'SANDBOX_READY' as const, created_at: 1, labels: { [Label.podNamespace]: 'default', [Label.podName]: 'web' }, annotations: {}, runtime_handler: '' };
  const runtime: KubeletServerRuntime = {
    listContainers: async () => ({ containers: [] }),
    containerStatus: async () => {
      throw new Error('not used');
    },
    exec: async () => {
      throw new Error('not used');
    },
    attach: async () => {
      throw new Error('not used');
    },
    listPodSandbox: async (req) => ({ items: req?.filter?.label_selector?.[Label.podName] === 'web' ? [sandbox] : [] }),
    portForward: async ({ port }) => {
      portForwards.push(port ?? []);
      return { url: `http://127.0.0.1:${streamPort}/portforward/tok` };
    },
  };
  const kubelet = await startKubeletServer({ nodeName: 'pf-node', nodeIP: '127.0.0.1', dataDir: srv.dir, clientCA: ca.certPem, serving, runtime, bindAddress: '127.0.0.1', port: 0 });

  const node = await srv.client.create(Resources.nodes, undefined, { apiVersion: 'v1', kind: 'Node', metadata: { name: 'pf-node' } });
  await srv.client.request('PUT', '/api/v1/nodes/pf-node/status', {
    ...node,
    status: { addresses: [{ type: 'InternalIP', address: '127.0.0.1' }], daemonEndpoints: { kubeletEndpoint: { Port: kubelet.port } }, conditions: [{ type: 'Ready', status: 'True' }] },
  });
  const pod = (await srv.client.create(Resources.pods, 'default', {
    apiVersion: 'v1',
    kind: 'Pod',
    metadata: { name: 'web', namespace: 'default' },
    spec: { nodeName: 'pf-node', containers: [{ name: 'app', image: 'busybox:1.35' }] },
  })) as Pod;
  await srv.client.request('PUT', '/api/v1/namespaces/default/pods/web/status', { ...pod, status: { phase: 'Running', containerStatuses: [{ name: 'app', ready: true, restartCount: 0, image: 'busybox:1.35', imageID: '', state: { running: { startedAt: '2026-01-01T00:00:00Z' } } }] } });
  t.teardown(async () => {
    await kubelet.close();
    streamServer.closeAllConnections();
    streamServer.close();
    await srv.destroy();
  });
});

/** `kubectl port-forward` until it says it forwards; the upgrade it made is the last one the stream server saw. */
async function portForward(env: Record<string, string>): Promise<{ output: string; upgrade: (typeof upgrades)[number] }> {
  const before = upgrades.length;
  const proc: ResultPromise = execa('kubectl', ['port-forward', 'pod/web', ':8080'], { env: { KUBECONFIG: srv.kubeconfig, ...env }, reject: false });
  let output = '';
  proc.stdout?.on('data', (d: Buffer) => (output += d.toString()));
  proc.stderr?.on('data', (d: Buffer) => (output += d.toString()));
  try {
    await until('kubectl port-forward to forward', () => /Forwarding from 127\.0\.0\.1:\d+ -> 8080/.test(output) && upgrades.length > before, 30_000);
  } finally {
    proc.kill('SIGTERM');
    await proc;
  }
  return { output, upgrade: upgrades.at(-1)! };
}

t.test('kubectl port-forward over WebSocket: the API server bridges the tunnel to a SPDY upgrade to the kubelet', async (t) => {
  const { upgrade } = await portForward({});
  t.equal(upgrade.url, '/portforward/tok');
  t.same(upgrade.headers.upgrade, ['SPDY/3.1']);
  t.same(upgrade.headers['x-stream-protocol-version'], ['portforward.k8s.io']);
});

t.test('kubectl port-forward over SPDY (KUBECTL_PORT_FORWARD_WEBSOCKETS=false): the upgrade is relayed as it is', async (t) => {
  const { upgrade } = await portForward({ KUBECTL_PORT_FORWARD_WEBSOCKETS: 'false' });
  t.same(upgrade.headers.upgrade, ['SPDY/3.1']);
  t.ok(upgrade.headers['x-stream-protocol-version']?.includes('portforward.k8s.io'), JSON.stringify(upgrade.headers));
});

t.test('the WebSocket tunnel carries bytes both ways', async (t) => {
  const cfg = fs.readFileSync(srv.kubeconfig, 'utf8');
  const field = (name: string) => Buffer.from(new RegExp(`${name}: (\\S+)`).exec(cfg)![1], 'base64').toString();
  const socket = tls.connect({ host: '127.0.0.1', port: srv.port, cert: field('client-certificate-data'), key: field('client-key-data'), rejectUnauthorized: false });
  t.teardown(() => socket.destroy());
  await new Promise((resolve) => socket.once('secureConnect', resolve));
  socket.write(
    'GET /api/v1/namespaces/default/pods/web/portforward HTTP/1.1\r\nHost: kubets\r\nConnection: Upgrade\r\nUpgrade: websocket\r\nSec-WebSocket-Version: 13\r\n' +
      'Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nSec-WebSocket-Protocol: SPDY/3.1+portforward.k8s.io\r\n\r\n',
  );
  let buf = Buffer.alloc(0);
  socket.on('data', (d: Buffer) => (buf = Buffer.concat([buf, d])));
  await until('the 101', () => buf.includes('\r\n\r\n'));
  const end = buf.indexOf('\r\n\r\n');
  const head = buf.subarray(0, end).toString();
  t.match(head, /^HTTP\/1\.1 101 /);
  t.match(head, /Sec-WebSocket-Protocol: SPDY\/3\.1\+portforward\.k8s\.io/i);
  buf = buf.subarray(end + 4);
  socket.write(encodeFrame(Opcode.binary, Buffer.from('frames inside'), { mask: Buffer.from([1, 2, 3, 4]) }));
  const parser = new FrameParser();
  let echoed = '';
  await until('the echo', () => {
    for (const f of parser.push(buf)) echoed += f.payload.toString();
    buf = Buffer.alloc(0);
    return echoed.length >= 'frames inside'.length;
  });
  t.equal(echoed, 'FRAMES INSIDE');
});

t.test('pods/portforward and pods/attach refuse what kube-apiserver refuses', async (t) => {
  const noUpgrade = await srv.client.raw('GET', '/api/v1/namespaces/default/pods/web/portforward');
  t.equal(noUpgrade.status, 400);
  t.equal(JSON.parse(noUpgrade.body.toString()).message, 'Upgrade request required');
  const attach = await srv.client.raw('POST', '/api/v1/namespaces/default/pods/web/attach?container=nope&stdout=true');
  t.equal(attach.status, 400);
  t.equal(JSON.parse(attach.body.toString()).message, 'container nope is not valid for pod web');
  const discovery = (await srv.client.request('GET', '/api/v1')) as { resources: { name: string }[] };
  for (const sub of ['pods/attach', 'pods/portforward']) t.ok(discovery.resources.some((r) => r.name === sub), `discovery lists ${sub}`);
});

t.test('kubectl debug adds ephemeral containers through pods/ephemeralcontainers, which only allows adding', async (t) => {
  const first = await srv.kubectl(['debug', 'pod/web', '--image=busybox:1.35', '--target=app', '-c', 'dbg1']);
  t.equal(first.exitCode, 0, first.stderr);
  const second = await srv.kubectl(['debug', 'pod/web', '--image=busybox:1.35', '-c', 'dbg2', '--', 'sleep', '1d']);
  t.equal(second.exitCode, 0, second.stderr);
  const pod = (await srv.client.request('GET', '/api/v1/namespaces/default/pods/web/ephemeralcontainers')) as Pod & { spec: { ephemeralContainers?: { name: string; image: string; targetContainerName?: string; command?: string[] }[] } };
  t.same(pod.spec.ephemeralContainers?.map((c) => [c.name, c.image, c.targetContainerName ?? '', c.command ?? []]), [
    ['dbg1', 'busybox:1.35', 'app', []],
    ['dbg2', 'busybox:1.35', '', ['sleep', '1d']],
  ]);
  t.equal(pod.spec.containers.length, 1, 'the rest of the spec is untouched');

  const removed = await srv.client.raw('PUT', '/api/v1/namespaces/default/pods/web/ephemeralcontainers', JSON.stringify({ ...pod, spec: { ...pod.spec, ephemeralContainers: pod.spec.ephemeralContainers!.slice(1) } }));
  t.equal(removed.status, 422);
  t.match(JSON.parse(removed.body.toString()).message, /existing ephemeral containers "dbg1" may not be removed/);
  const clash = await srv.kubectl(['debug', 'pod/web', '--image=busybox:1.35', '-c', 'app']);
  t.not(clash.exitCode, 0);
  t.match(clash.stderr, /spec\.ephemeralContainers\[2\]\.name: Duplicate value: "app"/);
  const badTarget = await srv.client.raw('PATCH', '/api/v1/namespaces/default/pods/web/ephemeralcontainers', JSON.stringify({ spec: { ephemeralContainers: [{ name: 'dbg3', image: 'busybox:1.35', targetContainerName: 'nope' }] } }), { 'content-type': 'application/strategic-merge-patch+json' });
  t.equal(badTarget.status, 422);
  t.match(JSON.parse(badTarget.body.toString()).message, /spec\.ephemeralContainers\[2\]\.targetContainerName: Not found: "nope"/);
});

t.test('ephemeral containers cannot be set on create, nor changed through the pod itself', async (t) => {
  const withDebug = `apiVersion: v1
kind: Pod
metadata: {name: born-debugged, namespace: default}
spec:
  containers: [{name: app, image: "busybox:1.35"}]
  ephemeralContainers: [{name: dbg, image: "busybox:1.35"}]
`;
  const create = await srv.kubectl(['create', '-f', '-'], { input: withDebug });
  t.not(create.exitCode, 0);
  t.match(create.stderr, /Pod "born-debugged" is invalid: spec\.ephemeralContainers: Forbidden: cannot be set on create/);
  const pod = (await srv.client.request('GET', '/api/v1/namespaces/default/pods/web')) as Pod & { spec: { ephemeralContainers?: unknown[] } };
  t.ok(pod.spec.ephemeralContainers?.length, 'web has the ephemeral containers kubectl debug added');
  const put = await srv.client.raw('PUT', '/api/v1/namespaces/default/pods/web', JSON.stringify({ ...pod, spec: { ...pod.spec, ephemeralContainers: [] } }));
  t.equal(put.status, 422);
  t.match(JSON.parse(put.body.toString()), { reason: 'Invalid', details: { causes: [{ reason: 'FieldValueForbidden', field: 'spec', message: /^Forbidden: pod updates may not change fields other than `spec\.containers\[\*\]\.image`/ }] } });
  const patch = await srv.client.raw('PATCH', '/api/v1/namespaces/default/pods/web', JSON.stringify([{ op: 'add', path: '/spec/ephemeralContainers/-', value: { name: 'dbg9', image: 'busybox:1.35' } }]), { 'content-type': 'application/json-patch+json' });
  t.equal(patch.status, 422, 'only pods/ephemeralcontainers adds them');
  const label = await srv.kubectl(['label', 'pod/web', 'debugged=yes']);
  t.equal(label.exitCode, 0, `other changes to a pod with ephemeral containers still go through: ${label.stderr}`);
});
