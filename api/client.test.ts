import t from 'tap';
import https from 'node:https';
import type { AddressInfo } from 'node:net';
import { ApiClient } from './client.js';
import { selfSignedServingCert } from './pki.js';
import { Resources } from './resources.js';

t.test('requests are answered while more watches are open than the request pool has connections', async (t) => {
  const tls = await selfSignedServingCert('localhost', ['localhost']);
  const WATCHES = 40;
  let watching = 0;
  let allWatching!: () => void;
  const opened = new Promise<void>((r) => (allWatching = r));
  // A server whose watches stay open (as an informer's do) and whose other requests answer at once.
  const server = https.createServer({ cert: tls.certPem, key: tls.keyPem }, (req, res) => {
    res.writeHead(200, { 'content-type': 'application/json' });
    if (new URL(req.url!, 'https://x').searchParams.get('watch')) {
      res.flushHeaders();
      if (++watching === WATCHES) allWatching();
      return;
    }
    res.end(JSON.stringify({ apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: 'c', namespace: 'default' } }));
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  const client = new ApiClient({ server: `https://127.0.0.1:${(server.address() as AddressInfo).port}`, ca: tls.certPem, insecureSkipTLSVerify: true });
  const abort = new AbortController();
  t.teardown(() => {
    abort.abort();
    client.close();
    server.closeAllConnections();
    server.close();
  });
  // One watch per kind, as a garbage collector watching every kind served has: more than the pool's 32 connections.
  const watches = Array.from({ length: WATCHES }, () => client.watch(Resources.configmaps, 'default', {}, () => {}, abort.signal));
  await opened;
  const cm = await client.get(Resources.configmaps, 'default', 'c');
  t.equal(cm.metadata.name, 'c');
  abort.abort();
  await Promise.all(watches);
});
