// The kubelet's :10250 under malformed and hostile requests, sent as raw bytes over TLS: every answer is an HTTP
// 4xx (or a closed connection for bytes that are not HTTP at all), and the server keeps serving. An exception that
// escaped a handler would take this test process down with it.
import t from 'tap';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import tls from 'node:tls';
import { createCA, issueCert, type KeyPair } from '../../api/pki.js';
import { startKubeletServer, type KubeletServerRuntime } from './server.js';

const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'kubets-kubelet-fuzz-'));
t.teardown(() => fs.rmSync(dir, { recursive: true, force: true }));

const runtime: KubeletServerRuntime = {
  listContainers: async () => ({ containers: [] }),
  containerStatus: async () => {
    throw new Error('no containers here');
  },
  exec: async () => {
    throw new Error('no containers here');
  },
  attach: async () => {
    throw new Error('no containers here');
  },
  listPodSandbox: async () => ({ items: [] }),
  portForward: async () => {
    throw new Error('no sandboxes here');
  },
};

let port = 0;
let admin: KeyPair;

t.before(async () => {
  const ca = await createCA('fuzz-ca');
  admin = await issueCert(ca, { commonName: 'kube-apiserver-kubelet-client', organizations: ['system:masters'], client: true });
  const server = await startKubeletServer({ nodeName: 'n1', nodeIP: '127.0.0.1', dataDir: dir, clientCA: ca.certPem, runtime, bindAddress: '127.0.0.1', port: 0 });
  port = server.port;
  t.teardown(() => server.close());
});

/** Sends raw bytes over TLS (with the admin certificate, so requests reach the handlers) and returns the status line. */
function raw(bytes: Buffer | string, withCert = true): Promise<string> {
  return new Promise((resolve) => {
    const sock = tls.connect({ host: '127.0.0.1', port, rejectUnauthorized: false, ...(withCert ? { cert: admin.certPem, key: admin.keyPem } : {}) }, () => sock.end(bytes));
    let got = '';
    sock.setTimeout(10_000, () => sock.destroy());
    sock.on('data', (c) => (got += c.toString('latin1')));
    sock.on('error', () => undefined);
    sock.on('close', () => resolve(got.split('\r\n')[0] ?? ''));
  });
}

const status = (line: string) => Number(/^HTTP\/1\.1 (\d{3})/.exec(line)?.[1] ?? 0);

/** A small seeded PRNG, so a failure can be replayed. */
function rng(seed: number) {
  let s = seed >>> 0;
  return () => ((s = (s * 1664525 + 1013904223) >>> 0) / 2 ** 32);
}

t.test('malformed paths, methods, headers and upgrades are answered 4xx', async (t) => {
  const cases: [string, string][] = [
    ['bad percent escape', 'GET /containerLogs/%zz/web/app HTTP/1.1\r\nHost: k\r\n\r\n'],
    ['lone percent', 'GET /exec/default/web/% HTTP/1.1\r\nHost: k\r\n\r\n'],
    ['double slash', 'GET //containerLogs//web HTTP/1.1\r\nHost: k\r\n\r\n'],
    ['absolute-form URI', 'GET http://[::1/x HTTP/1.1\r\nHost: k\r\n\r\n'],
    ['unknown path', 'GET /pods/../../etc/passwd HTTP/1.1\r\nHost: k\r\n\r\n'],
    ['odd method', 'BREW /containerLogs/a/b/c HTTP/1.1\r\nHost: k\r\n\r\n'],
    ['huge header', `GET /healthz HTTP/1.1\r\nHost: k\r\nX-Big: ${'a'.repeat(64 * 1024)}\r\n\r\n`],
    ['bad upgrade', 'GET /exec/%E0%A4%A/p/c HTTP/1.1\r\nHost: k\r\nConnection: Upgrade\r\nUpgrade: websocket\r\n\r\n'],
    ['upgrade to nowhere', 'GET /containerLogs/a/b/c HTTP/1.1\r\nHost: k\r\nConnection: Upgrade\r\nUpgrade: SPDY/3.1\r\n\r\n'],
    ['upgrade, no container', 'GET /exec/default/web/app?command=sh&stdout=1 HTTP/1.1\r\nHost: k\r\nConnection: Upgrade\r\nUpgrade: websocket\r\nSec-WebSocket-Version: 13\r\nSec-WebSocket-Key: x\r\n\r\n'],
    ['bad exec options', 'POST /exec/default/web/app?stdin=maybe HTTP/1.1\r\nHost: k\r\nContent-Length: 0\r\n\r\n'],
    ['bad log options', 'GET /containerLogs/default/web/app?tailLines=-x HTTP/1.1\r\nHost: k\r\n\r\n'],
  ];
  for (const [what, req] of cases) {
    const code = status(await raw(req));
    t.ok(code >= 400 && code < 500, `${what}: ${code}`);
  }
  t.equal(status(await raw('GET /containerLogs/a/b/c HTTP/1.1\r\nHost: k\r\n\r\n', false)), 401, 'anonymous');
});

t.test('random request lines and bytes never take the server down', async (t) => {
  const rand = rng(20261201);
  const alphabet = 'abc/%0123456789ABCDEF?&=.-_~:@!$\'()*+,;[]{}|\\^` \t';
  const pick = (n: number) => Array.from({ length: n }, () => alphabet[Math.floor(rand() * alphabet.length)]).join('');
  let answered = 0;
  for (let i = 0; i < 150; i++) {
    const prefix = ['/containerLogs/', '/exec/', '/', '/healthz', '/stats/', '/%'][Math.floor(rand() * 6)];
    const method = ['GET', 'POST', 'PUT', 'DELETE', 'OPTIONS', 'X'][Math.floor(rand() * 6)];
    const line = i % 10 === 9 ? Buffer.from(Array.from({ length: 200 }, () => Math.floor(rand() * 256))) : `${method} ${prefix}${pick(Math.floor(rand() * 40))} HTTP/1.1\r\nHost: k\r\nContent-Length: 0\r\n\r\n`;
    const code = status(await raw(line));
    if (code) {
      answered++;
      if (code >= 500) t.fail(`answered ${code} to ${JSON.stringify(String(line).slice(0, 80))}`);
    }
  }
  t.ok(answered > 100, `${answered} of 150 got an HTTP answer, none 5xx`);
  t.equal(status(await raw('GET /healthz HTTP/1.1\r\nHost: k\r\n\r\n')), 200, 'still serving');
});
