// The dashboard's proxy against an upstream on loopback that plays the API server: a stream the upstream drops
// midway breaks for the browser too (it then watches again), rather than staying open with nothing coming; one the
// upstream ends, ends.
import https from 'node:https';
import type { AddressInfo } from 'node:net';
import t from 'tap';
import { createCA, issueCert } from '../../api/pki.js';
import { createDashboardServer } from './server.js';

const listen = (s: https.Server) => new Promise<number>((resolve) => s.listen(0, '127.0.0.1', () => resolve((s.address() as AddressInfo).port)));

t.test('a stream the API server drops breaks for the caller; one it ends, ends', async (t) => {
  const ca = await createCA();
  const serving = await issueCert(ca, { commonName: '127.0.0.1', ips: ['127.0.0.1'], server: true });
  const upstream = https.createServer({ cert: serving.certPem, key: serving.keyPem }, (req, res) => {
    res.writeHead(200, { 'content-type': 'application/json', 'transfer-encoding': 'chunked' });
    res.write('{"type":"ADDED","object":{"metadata":{"name":"first"}}}\n');
    // The API server goes away mid-stream (a restart, a lost connection), or ends the watch (its timeout).
    setTimeout(() => (req.url!.includes('timeoutSeconds') ? res.end() : req.socket.destroy()), 100);
  });
  const upPort = await listen(upstream);
  const dash = createDashboardServer(serving, { server: `https://127.0.0.1:${upPort}`, ca: ca.certPem }, () => Buffer.from(''));
  const dashPort = await listen(dash.server);
  t.teardown(() => {
    dash.close();
    dash.server.close();
    upstream.close();
    upstream.closeAllConnections();
    dash.server.closeAllConnections();
  });

  const watch = (path: string) => new Promise<{ status?: number; body: string; how: string }>((resolve) => {
    const req = https.get({ host: '127.0.0.1', port: dashPort, path, rejectUnauthorized: false, headers: { authorization: 'Bearer t' } }, (res) => {
      let body = '';
      res.on('data', (c: Buffer) => (body += c));
      res.on('close', () => resolve({ status: res.statusCode, body, how: res.complete ? 'ended' : 'broken' }));
    });
    req.on('error', (e) => resolve({ body: '', how: e.message }));
  });
  const dropped = await watch('/api/v1/configmaps?watch=true');
  t.equal(dropped.status, 200);
  t.match(dropped.body, /"name":"first"/, 'what came before the drop came through');
  t.equal(dropped.how, 'broken', 'the caller sees the stream break, not a clean end');
  const ended = await watch('/api/v1/configmaps?watch=true&timeoutSeconds=1');
  t.match(ended.body, /"name":"first"/);
  t.equal(ended.how, 'ended', 'a stream the API server ends, ends');
});
