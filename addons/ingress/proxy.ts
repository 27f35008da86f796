// The data path of the ingress controller (ingress-nginx's nginx): HTTP on one port, HTTPS on another with the
// certificate chosen by SNI, each request matched against the current routing table and proxied with http-proxy-3 to
// one ready endpoint of its backend, round robin, straight to pod IP:targetPort. X-Forwarded-For/-Host/-Port/-Proto
// and X-Real-IP are set from the connection (a client's own are not trusted, as ingress-nginx's default). No route:
// 404; a backend with no Service or no ready endpoint: 503; a backend that fails to answer: 502. WebSocket upgrades
// follow the same routes. /healthz answers on its own port, 200 once the routes have been built.
import http from 'node:http';
import https from 'node:https';
import type net from 'node:net';
import { createProxyServer, type ProxyServer } from 'http-proxy-3';
import { logger } from '../../api/log.js';
import type { CertificateStore } from './certificates.js';
import { matchRoute, type Backend, type Endpoint, type RouteTable } from './routes.js';
import { closeServer, listen } from '../../api/listen.js';

const log = logger('ingress-proxy');

const text = { 'Content-Type': 'text/plain; charset=utf-8', 'X-Content-Type-Options': 'nosniff' };
const FORWARDED = ['x-forwarded-for', 'x-forwarded-host', 'x-forwarded-port', 'x-forwarded-proto', 'x-real-ip'];

export interface IngressProxyOptions {
  bindAddress: string;
  httpPort: number;
  httpsPort: number;
  healthzPort: number;
  proxyTimeoutMs: number;
  certificates: CertificateStore;
}

export class IngressProxy {
  private table?: RouteTable;
  private readonly next = new Map<string, number>();
  private readonly proxy: ProxyServer;
  private readonly agent = new http.Agent({ keepAlive: true, maxSockets: 256 });
  private readonly servers: { name: string; server: http.Server | https.Server }[] = [];
  /** Upgraded connections (WebSockets): the HTTP servers no longer track them, so close() ends them itself. */
  private readonly upgraded = new Set<net.Socket>();

  constructor(private readonly o: IngressProxyOptions) {
    this.proxy = createProxyServer({ xfwd: true, ws: true, agent: this.agent, proxyTimeout: o.proxyTimeoutMs });
    // Errors arrive through each call's callback; this keeps an unhandled one from throwing.
    this.proxy.on('error', (err) => log.debug({ err: (err as Error).message }, 'proxy error'));
  }

  /** Serves from this table from now on (requests in flight finish on the old one). */
  setTable(table: RouteTable): void {
    this.table = table;
    const live = new Set<string>();
    const all = [...table.exact.values(), ...table.wildcard.values(), table.anyHost].flatMap((g) => [...g.paths.map((p) => p.backend), ...(g.fallback ? [g.fallback] : [])]);
    for (const b of [...all, ...(table.defaultBackend ? [table.defaultBackend] : [])]) live.add(b.key);
    for (const k of this.next.keys()) if (!live.has(k)) this.next.delete(k);
  }

  ready(): boolean {
    return !!this.table;
  }

  /** The next endpoint of a backend, round robin. */
  private pick(b: Backend): Endpoint {
    const i = this.next.get(b.key) ?? 0;
    this.next.set(b.key, (i + 1) % b.endpoints.length);
    return b.endpoints[i % b.endpoints.length]!;
  }

  /** Where a request goes, or the answer that it goes nowhere. */
  private resolve(req: http.IncomingMessage): { target: string } | { status: number; body: string } {
    if (!this.table) return { status: 503, body: '503 Service Unavailable: the ingress controller has not loaded its routes yet\n' };
    const m = matchRoute(this.table, req.headers.host, req.url);
    if (!m) return { status: 404, body: '404 Not Found: no Ingress rule matches this host and path\n' };
    if (m.backend.problem || !m.backend.endpoints.length) return { status: 503, body: `503 Service Unavailable: ${m.backend.problem ?? 'no ready endpoints'}\n` };
    const ep = this.pick(m.backend);
    return { target: `http://${ep.ip.includes(':') ? `[${ep.ip}]` : ep.ip}:${ep.port}` };
  }

  private web(req: http.IncomingMessage, res: http.ServerResponse): void {
    const r = this.resolve(req);
    if ('status' in r) return void res.writeHead(r.status, text).end(r.body);
    forwardedHeaders(req);
    this.proxy.web(req, res, { target: r.target }, (err) => {
      log.debug({ target: r.target, url: req.url, err: (err as Error).message }, 'backend failed');
      if (!res.headersSent) res.writeHead(502, text).end('502 Bad Gateway: the backend did not answer\n');
      else res.destroy();
    });
  }

  private upgrade(req: http.IncomingMessage, socket: net.Socket, head: Buffer): void {
    const r = this.resolve(req);
    if ('status' in r) {
      socket.end(`HTTP/1.1 ${r.status} ${http.STATUS_CODES[r.status]}\r\nContent-Type: text/plain\r\nConnection: close\r\nContent-Length: ${Buffer.byteLength(r.body)}\r\n\r\n${r.body}`);
      return;
    }
    forwardedHeaders(req);
    this.upgraded.add(socket);
    socket.once('close', () => this.upgraded.delete(socket));
    this.proxy.ws(req, socket, head, { target: r.target }, () => socket.destroy());
  }

  async listen(): Promise<void> {
    const handler = (req: http.IncomingMessage, res: http.ServerResponse) => this.web(req, res);
    const plain = http.createServer(handler);
    const { certPem, keyPem } = this.o.certificates.fallbackPair;
    const secure = https.createServer({ cert: certPem, key: keyPem, SNICallback: (name, cb) => cb(null, this.o.certificates.contextFor(name)) }, handler);
    for (const s of [plain, secure]) s.on('upgrade', (req, socket, head) => this.upgrade(req, socket as net.Socket, head));
    const health = http.createServer((req, res) => {
      if ((req.url ?? '/').split('?')[0] !== '/healthz') return void res.writeHead(404, text).end('404 page not found\n');
      if (this.ready()) res.writeHead(200, text).end('ok');
      else res.writeHead(503, text).end('routes not loaded yet');
    });
    const at = (port: number) => `${this.o.bindAddress.includes(':') ? `[${this.o.bindAddress}]` : this.o.bindAddress}:${port}`;
    for (const [name, server, port] of [['http', plain, this.o.httpPort], ['https', secure, this.o.httpsPort], ['healthz', health, this.o.healthzPort]] as const) {
      await listen(server as http.Server, at(port));
      this.servers.push({ name, server });
    }
  }

  /** The bound ports: what port 0 became. */
  ports(): { http: number; https: number; healthz: number } {
    const port = (name: string) => {
      const a = this.servers.find((s) => s.name === name)?.server.address();
      return a && typeof a === 'object' ? a.port : 0;
    };
    return { http: port('http'), https: port('https'), healthz: port('healthz') };
  }

  async close(): Promise<void> {
    const servers = this.servers.splice(0);
    const closed = Promise.all(servers.map((s) => closeServer(s.server as http.Server)));
    for (const s of this.upgraded) s.destroy();
    await closed;
    this.agent.destroy();
  }
}

/** The client's own X-Forwarded-* are dropped; the proxy (xfwd) sets them from this connection. */
function forwardedHeaders(req: http.IncomingMessage): void {
  for (const h of FORWARDED) delete req.headers[h];
  if (req.socket.remoteAddress) req.headers['x-real-ip'] = req.socket.remoteAddress;
}
