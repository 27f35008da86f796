// A recording proxy in front of a test server: plain HTTP towards kubectl, the admin client certificate behind it.
// It keeps every request body, so a test can look at exactly what kubectl sent (its protobuf bodies in particular).
import http from 'node:http';
import https from 'node:https';
import fs from 'node:fs';
import path from 'node:path';
import { loadKubeconfig } from '../api/client.js';
import { freePort, type TestServer } from './server-fixture.js';

export interface Captured {
  method: string;
  url: string;
  contentType: string;
  body: Buffer;
}

/** An HTTP proxy that records request bodies and forwards everything to the API server with the admin identity. */
export async function recordingProxy(adminKubeconfig: string): Promise<{ port: number; captured: Captured[]; close(): Promise<void> }> {
  const cfg = loadKubeconfig(adminKubeconfig);
  const upstream = new URL(cfg.server);
  const agent = new https.Agent({ ca: cfg.ca, cert: cfg.cert, key: cfg.key, keepAlive: true });
  const captured: Captured[] = [];
  const server = http.createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      const body = Buffer.concat(chunks);
      if (body.length) captured.push({ method: req.method ?? '', url: req.url ?? '', contentType: String(req.headers['content-type'] ?? ''), body });
      const up = https.request({ host: upstream.hostname, port: upstream.port, path: req.url, method: req.method, headers: { ...req.headers, host: upstream.host }, agent }, (r) => {
        res.writeHead(r.statusCode ?? 502, r.headers);
        r.pipe(res);
      });
      up.on('error', (e) => {
        res.writeHead(502);
        res.end(String(e));
      });
      up.end(body);
    });
  });
  const port = await freePort();
  await new Promise<void>((resolve) => server.listen(port, '127.0.0.1', resolve));
  let closed: Promise<void> | undefined;
  return {
    port,
    captured,
    close: () =>
      (closed ??= new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
        agent.destroy();
      })),
  };
}

/** A kubeconfig (in the server's dir) that sends kubectl through the proxy. */
export function proxyKubeconfig(srv: TestServer, port: number): string {
  const file = path.join(srv.dir, 'proxy.kubeconfig');
  fs.writeFileSync(
    file,
    [
      'apiVersion: v1',
      'kind: Config',
      'clusters: [{name: proxy, cluster: {server: "http://127.0.0.1:' + port + '"}}]',
      'users: [{name: anyone, user: {}}]',
      'contexts: [{name: proxy, context: {cluster: proxy, user: anyone}}]',
      'current-context: proxy',
      '',
    ].join('\n'),
  );
  return file;
}
