import t from 'tap';
import fs from 'node:fs';
import http from 'node:http';
import https from 'node:https';
import type { AddressInfo } from 'node:net';
import tls from 'node:tls';
import os from 'node:os';
import path from 'node:path';
import { createCA, issueCert, type KeyPair } from '../../api/pki.js';
import type { Container, ContainerStatus } from './cri/client.js';
import { Label } from './runtime.js';
import { startKubeletServer, type KubeletServerRuntime } from './server.js';
import { until } from '../../test/until.js';

const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'kubets-kubelet-server-'));
t.teardown(() => fs.rmSync(dir, { recursive: true, force: true }));

// Two attempts of container "app" in pod default/web: attempt 0 exited, attempt 1 running.
const logDir = path.join(dir, 'pods', 'default_web_uid1', 'app');
fs.mkdirSync(logDir, { recursive: true });
fs.writeFileSync(path.join(logDir, '0.log'), '2024-05-01T10:00:00Z stdout F first run\n');
fs.writeFileSync(path.join(logDir, '1.log'), '2024-05-01T10:01:00Z stdout F second run\n2024-05-01T10:01:01Z stderr F oops\n');
const labels = { [Label.podNamespace]: 'default', [Label.podName]: 'web', [Label.podUID]: 'uid1', [Label.containerName]: 'app' };
const container = (id: string, attempt: number, state: Container['state']): Container => ({
  id,
  pod_sandbox_id: 's1',
  metadata: { name: 'app', attempt },
  image: null,
  image_ref: '',
  state,
  created_at: attempt + 1,
  labels,
  annotations: {},
});
const containers = [container('c0', 0, 'CONTAINER_EXITED'), container('c1', 1, 'CONTAINER_RUNNING')];
const runtime: KubeletServerRuntime = {
  listContainers: async (req) => ({
    containers: containers.filter((c) => Object.entries(req?.filter?.label_selector ?? {}).every(([k, v]) => c.labels[k] === v)),
  }),
  containerStatus: async ({ container_id }) => {
    const c = containers.find((x) => x.id === container_id)!;
    return { status: { id: c.id, state: c.state, log_path: path.join(logDir, `${c.metadata!.attempt}.log`) } as ContainerStatus, info: {} };
  },
  exec: async () => {
    throw new Error('not used');
  },
  attach: async () => {
    throw new Error('not used');
  },
  listPodSandbox: async (req) => ({
    items: req?.filter?.label_selector?.[Label.podName] === 'web' ? [{ id: 's1', metadata: null, state: 'SANDBOX_READY', created_at: 1, labels, annotations: {}, runtime_handler: '' }] : [],
  }),
  portForward: async ({ pod_sandbox_id, port }) => {
    forwarded.push({ sandbox: pod_sandbox_id, ports: port ?? [] });
    return { url: `http://127.0.0.1:${streamPort}/portforward/token1` };
  },
};

// The runtime's stream server: answers a port-forward upgrade with 101 and then echoes what it is sent, upper-cased.
const forwarded: { sandbox: string; ports: number[] }[] = [];
const upgrades: { url: string; protocols: string[] }[] = [];
let streamPort = 0;
const streamServer = http.createServer((_req, res) => res.writeHead(404).end('no such stream'));
streamServer.on('upgrade', (req, socket) => {
  const protocols: string[] = [];
  for (let i = 0; i < req.rawHeaders.length; i += 2) if (req.rawHeaders[i].toLowerCase() === 'x-stream-protocol-version') protocols.push(req.rawHeaders[i + 1]);
  upgrades.push({ url: req.url ?? '', protocols });
  socket.write('HTTP/1.1 101 Switching Protocols\r\nConnection: Upgrade\r\nUpgrade: SPDY/3.1\r\nX-Stream-Protocol-Version: portforward.k8s.io\r\n\r\n');
  socket.on('data', (d: Buffer) => socket.write(d.toString().toUpperCase()));
});

let ca: KeyPair;
let admin: KeyPair;
let node: KeyPair;
let port = 0;

t.before(async () => {
  ca = await createCA('test-ca');
  admin = await issueCert(ca, { commonName: 'kube-apiserver-kubelet-client', organizations: ['system:masters'], client: true });
  node = await issueCert(ca, { commonName: 'system:node:other', organizations: ['system:nodes'], client: true });
  await new Promise<void>((resolve) => streamServer.listen(0, '127.0.0.1', resolve));
  streamPort = (streamServer.address() as AddressInfo).port;
  t.teardown(() => {
    streamServer.closeAllConnections();
    streamServer.close();
  });
  const server = await startKubeletServer({ nodeName: 'n1', nodeIP: '127.0.0.1', dataDir: dir, clientCA: ca.certPem, runtime, bindAddress: '127.0.0.1', port: 0 });
  port = server.port;
  t.teardown(() => server.close());
});

function get(p: string, who?: KeyPair): Promise<{ status: number; body: string }> {
  return new Promise((resolve, reject) => {
    const req = https.get({ host: '127.0.0.1', port, path: p, cert: who?.certPem, key: who?.keyPem, rejectUnauthorized: false, agent: false }, (res) => {
      let body = '';
      res.on('data', (c) => (body += c));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, body }));
    });
    req.on('error', reject);
  });
}

t.test('healthz is open; everything else needs a system:masters certificate from the cluster CA', async (t) => {
  t.same(await get('/healthz'), { status: 200, body: 'ok' });
  t.equal((await get('/containerLogs/default/web/app')).status, 401);
  const forbidden = await get('/containerLogs/default/web/app', node);
  t.equal(forbidden.status, 403);
  t.match(JSON.parse(forbidden.body), { kind: 'Status', reason: 'Forbidden' });
  const stranger = await issueCert(await createCA('other-ca'), { commonName: 'x', organizations: ['system:masters'], client: true });
  t.equal((await get('/containerLogs/default/web/app', stranger)).status, 401, 'a certificate from another CA is not enough');
});

t.test('containerLogs: the newest attempt, or the previous one', async (t) => {
  t.same(await get('/containerLogs/default/web/app', admin), { status: 200, body: 'second run\noops\n' });
  t.same(await get('/containerLogs/default/web/app?previous=true', admin), { status: 200, body: 'first run\n' });
  t.same(await get('/containerLogs/default/web/app?timestamps=true&tailLines=1', admin), { status: 200, body: '2024-05-01T10:01:01Z oops\n' });
});

t.test('containerLogs and exec errors are Status objects', async (t) => {
  const missing = await get('/containerLogs/default/web/other', admin);
  t.equal(missing.status, 400);
  t.equal(JSON.parse(missing.body).message, 'container "other" in pod "web" is waiting to start: ContainerCreating');
  const bad = await get('/containerLogs/default/web/app?tailLines=-2', admin);
  t.equal(bad.status, 400);
  const noUpgrade = await get('/exec/default/web/app?command=true&stdout=1', admin);
  t.equal(noUpgrade.status, 400);
  t.equal(JSON.parse(noUpgrade.body).message, 'Upgrade request required');
  const noCommand = await get('/exec/default/web/app?stdout=1', admin);
  t.equal(JSON.parse(noCommand.body).message, 'you must specify at least one command for the container');
  t.equal((await get('/nothing/here', admin)).status, 404);
});

/** A raw upgrade request as an admin: the response head, and the socket for what follows. */
function upgrade(p: string, headers: string[]): Promise<{ head: string; socket: tls.TLSSocket; rest: Buffer }> {
  return new Promise((resolve, reject) => {
    const socket = tls.connect({ host: '127.0.0.1', port, cert: admin.certPem, key: admin.keyPem, rejectUnauthorized: false });
    socket.on('error', reject);
    socket.on('secureConnect', () => socket.write(`GET ${p} HTTP/1.1\r\nHost: kubelet\r\n${headers.map((h) => `${h}\r\n`).join('')}\r\n`));
    let buf = Buffer.alloc(0);
    const onData = (d: Buffer) => {
      buf = Buffer.concat([buf, d]);
      const end = buf.indexOf('\r\n\r\n');
      if (end < 0) return;
      socket.off('data', onData);
      resolve({ head: buf.subarray(0, end).toString(), socket, rest: buf.subarray(end + 4) });
    };
    socket.on('data', onData);
  });
}

t.test('portForward relays a SPDY upgrade to the runtime stream server of the pod sandbox', async (t) => {
  const spdy = ['Connection: Upgrade', 'Upgrade: SPDY/3.1', 'X-Stream-Protocol-Version: portforward.k8s.io', 'X-Stream-Protocol-Version: v2.portforward.k8s.io'];
  const { head, socket, rest } = await upgrade('/portForward/default/web?port=8080', spdy);
  t.teardown(() => socket.destroy());
  t.match(head, /^HTTP\/1\.1 101 /);
  t.match(head, /X-Stream-Protocol-Version: portforward\.k8s\.io/);
  t.same(forwarded.at(-1), { sandbox: 's1', ports: [8080] });
  t.same(upgrades.at(-1), { url: '/portforward/token1', protocols: ['portforward.k8s.io', 'v2.portforward.k8s.io'] }, 'each protocol offered stays its own header');
  let echoed = rest.toString();
  socket.on('data', (d: Buffer) => (echoed += d.toString()));
  socket.write('spdy frames');
  await until('the echo', () => echoed.length >= 'spdy frames'.length);
  t.equal(echoed, 'SPDY FRAMES', 'bytes flow both ways once joined');
});

t.test('portForward and attach errors are Status objects', async (t) => {
  const noUpgrade = await get('/portForward/default/web', admin);
  t.equal(noUpgrade.status, 400);
  t.equal(JSON.parse(noUpgrade.body).message, 'Upgrade request required');
  const noSandbox = await get('/portForward/default/gone', admin);
  t.equal(noSandbox.status, 404);
  t.equal(JSON.parse(noSandbox.body).message, 'pod "gone" in namespace "default" has no running sandbox');
  const refused = await upgrade('/portForward/default/gone', ['Connection: Upgrade', 'Upgrade: SPDY/3.1']);
  refused.socket.destroy();
  t.match(refused.head, /^HTTP\/1\.1 404 /);
  // An attach needs no command: only an upgrade.
  const attach = await get('/attach/default/web/app?stdout=1', admin);
  t.equal(attach.status, 400);
  t.equal(JSON.parse(attach.body).message, 'Upgrade request required');
  t.equal(JSON.parse((await get('/attach/default/web/app', admin)).body).message, 'you must specify at least 1 of stdin, stdout, stderr');
});
