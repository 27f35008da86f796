// CoreDNS's HTTP endpoints: health (:8080/health, "OK" while the process serves), ready (:8181/ready, "OK" once every
// plugin is ready, else 503 naming those that are not) and prometheus (:9153/metrics).
import { createServer, type Server } from 'node:http';
import type { Registry } from 'prom-client';
import { closeServer, listen } from '../../api/listen.js';

const text = { 'Content-Type': 'text/plain; charset=utf-8', 'X-Content-Type-Options': 'nosniff' };

export interface HTTPEndpointsOptions {
  /** host:port of each server. */
  health: string;
  ready: string;
  metrics: string;
  registry: Registry;
  /** Names of the plugins not ready yet (empty: ready). */
  notReady(): string[];
}

export class HTTPEndpoints {
  private readonly servers: Server[] = [];

  constructor(private readonly opts: HTTPEndpointsOptions) {}

  async listen(): Promise<void> {
    const health = createServer((req, res) => {
      if (path(req.url) === '/health') res.writeHead(200, text).end('OK');
      else res.writeHead(404, text).end('404 page not found\n');
    });
    const ready = createServer((req, res) => {
      if (path(req.url) !== '/ready') return void res.writeHead(404, text).end('404 page not found\n');
      const waiting = this.opts.notReady();
      if (!waiting.length) res.writeHead(200, text).end('OK');
      else res.writeHead(503, text).end(waiting.join(','));
    });
    const metrics = createServer((req, res) => {
      if (path(req.url) !== '/metrics') return void res.writeHead(404, text).end('404 page not found\n');
      this.opts.registry.metrics().then(
        (body) => res.writeHead(200, { 'Content-Type': this.opts.registry.contentType }).end(body),
        (e: Error) => res.writeHead(500, text).end(`${e.message}\n`),
      );
    });
    for (const [server, addr] of [[health, this.opts.health], [ready, this.opts.ready], [metrics, this.opts.metrics]] as const) {
      await listen(server, addr);
      this.servers.push(server);
    }
  }

  /** The bound ports: health, ready, metrics. */
  ports(): { health: number; ready: number; metrics: number } {
    const port = (s?: Server) => {
      const a = s?.address();
      return a && typeof a === 'object' ? a.port : 0;
    };
    return { health: port(this.servers[0]), ready: port(this.servers[1]), metrics: port(this.servers[2]) };
  }

  async close(): Promise<void> {
    const servers = this.servers.splice(0);
    await Promise.all(servers.map(closeServer));
  }
}

const path = (url: string | undefined) => (url ?? '/').split('?')[0];
