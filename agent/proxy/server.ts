// kube-proxy's metrics server on :10249: /proxyMode (the mode as plain text, no newline — `curl :10249/proxyMode`
// prints `iptables`), /metrics (Prometheus text), /healthz (`ok`).
import { createServer, type Server } from 'node:http';
import type { Registry } from 'prom-client';
import { boundPort, closeServer, listen } from '../../api/listen.js';

export interface MetricsServerOptions {
  /** host:port, e.g. 0.0.0.0:10249. */
  bindAddress: string;
  proxyMode: string;
  registry: Registry;
}

export class MetricsServer {
  private server?: Server;

  constructor(private readonly opts: MetricsServerOptions) {}

  async listen(): Promise<void> {
    if (this.server) return;
    this.server = createServer((req, res) => {
      const path = (req.url ?? '/').split('?')[0];
      const text = { 'Content-Type': 'text/plain; charset=utf-8', 'X-Content-Type-Options': 'nosniff' };
      if (path === '/proxyMode') {
        res.writeHead(200, text).end(this.opts.proxyMode);
      } else if (path === '/healthz') {
        res.writeHead(200, text).end('ok');
      } else if (path === '/metrics') {
        this.opts.registry.metrics().then(
          (body) => res.writeHead(200, { 'Content-Type': this.opts.registry.contentType }).end(body),
          (e: Error) => res.writeHead(500, text).end(`${e.message}\n`),
        );
      } else {
        res.writeHead(404, text).end('404 page not found\n');
      }
    });
    await listen(this.server, this.opts.bindAddress);
  }

  port(): number {
    return boundPort(this.server);
  }

  async close(): Promise<void> {
    const s = this.server;
    this.server = undefined;
    if (s) await closeServer(s);
  }
}
