// CoreDNS's forward plugin (plugin/forward, plugin/pkg/proxy): questions outside the cluster zone go to the node's
// upstream resolvers, in random order (`policy random`), over the transport the client used, each try bounded by a
// read timeout and the whole by an overall one; an upstream that keeps failing is tried last until it answers again.
import dgram from 'node:dgram';
import net from 'node:net';
import { randomInt } from 'node:crypto';
import type { DNSMetrics } from './metrics.js';
import { rcodeName, rcodeOf } from './message.js';
import { parseBindAddress } from '../../api/listen.js';

/** The nameservers of a resolv.conf, as host:port. */
export function parseResolvConf(text: string): string[] {
  const out: string[] = [];
  for (const line of text.split('\n')) {
    const m = /^\s*nameserver\s+(\S+)/.exec(line);
    if (!m) continue;
    const ip = m[1].replace(/%.*$/, '');
    const family = net.isIP(ip);
    if (family) out.push(family === 6 ? `[${ip}]:53` : `${ip}:53`);
  }
  return out;
}

/** "1.2.3.4", "1.2.3.4:5353", "[::1]:53" → host:port (port 53 when none is given). */
export function normalizeUpstream(addr: string): string {
  const bare = addr.replace(/^\[|\]$/g, '');
  if (net.isIP(bare)) return net.isIP(bare) === 6 ? `[${bare}]:53` : `${bare}:53`;
  const { host, port } = parseBindAddress(addr);
  if (!net.isIP(host) || port < 1) throw new Error(`invalid upstream ${JSON.stringify(addr)}: want IP or IP:PORT`);
  return addr;
}

export class ForwardError extends Error {
  readonly code = 'ERR_DNS_FORWARD';
}

/** Queries beyond max_concurrent are refused rather than queued. */
export class ForwardLimitError extends ForwardError {}

interface Upstream {
  addr: string;
  host: string;
  port: number;
  family: 4 | 6;
  fails: number;
}

interface Pending {
  upstream: Upstream;
  settle(err: Error | undefined, reply?: Buffer): void;
}

export interface ForwarderOptions {
  upstreams: string[];
  metrics: DNSMetrics;
  maxConcurrent: number;
  /** Per try (CoreDNS's read timeout, 2 s) and overall (5 s). */
  tryTimeoutMs?: number;
  timeoutMs?: number;
}

/** After this many failures in a row an upstream is tried after the others (forward's max_fails). */
const MAX_FAILS = 2;

export class Forwarder {
  private readonly upstreams: Upstream[];
  private readonly sockets = new Map<4 | 6, dgram.Socket>();
  private readonly pending = new Map<number, Pending>();
  private readonly tcpConns = new Set<net.Socket>();
  private inflight = 0;
  private closed = false;

  constructor(private readonly opts: ForwarderOptions) {
    if (!opts.upstreams.length) throw new ForwardError('no upstream resolvers to forward to');
    this.upstreams = opts.upstreams.map((a) => {
      const { host, port } = parseBindAddress(normalizeUpstream(a));
      return { addr: normalizeUpstream(a), host, port, family: net.isIP(host) === 6 ? 6 : 4, fails: 0 };
    });
  }

  /**
   * Sends a query (wire format, any id) upstream and resolves with the reply under the query's own id. Rejects with
   * ForwardError when no upstream answered in time, ForwardLimitError when too many queries are in flight.
   */
  async query(request: Buffer, proto: 'udp' | 'tcp'): Promise<Buffer> {
    if (this.inflight >= this.opts.maxConcurrent) {
      this.opts.metrics.forwardMaxConcurrentRejects.inc();
      throw new ForwardLimitError(`more than ${this.opts.maxConcurrent} queries in flight`);
    }
    this.inflight++;
    try {
      const deadline = Date.now() + (this.opts.timeoutMs ?? 5000);
      let lastErr: Error | undefined;
      for (const u of this.order()) {
        const left = deadline - Date.now();
        if (left <= 0) break;
        const started = process.hrtime.bigint();
        this.opts.metrics.forwardRequests.inc({ to: u.addr });
        try {
          const reply = await (proto === 'tcp' ? this.tcp(u, request, Math.min(left, this.opts.tryTimeoutMs ?? 2000)) : this.udp(u, request, Math.min(left, this.opts.tryTimeoutMs ?? 2000)));
          const rcode = rcodeName(rcodeOf(reply));
          this.opts.metrics.forwardResponses.inc({ to: u.addr, rcode });
          this.opts.metrics.proxyRequestDuration.observe({ proxy_name: 'forward', to: u.addr, rcode }, Number(process.hrtime.bigint() - started) / 1e9);
          u.fails = 0;
          reply.writeUInt16BE(request.readUInt16BE(0), 0);
          return reply;
        } catch (e) {
          if (this.closed) throw new ForwardError('forwarder closed');
          u.fails++;
          this.opts.metrics.proxyFailures.inc({ proxy_name: 'forward', to: u.addr });
          lastErr = e as Error;
        }
      }
      if (this.upstreams.every((u) => u.fails >= MAX_FAILS)) this.opts.metrics.forwardBroken.inc();
      throw new ForwardError(`no upstream answered: ${lastErr?.message ?? 'timed out'}`);
    } finally {
      this.inflight--;
    }
  }

  /** Healthy upstreams in random order, then the failing ones. */
  private order(): Upstream[] {
    const shuffled = [...this.upstreams];
    for (let i = shuffled.length - 1; i > 0; i--) {
      const j = randomInt(i + 1);
      [shuffled[i], shuffled[j]] = [shuffled[j], shuffled[i]];
    }
    return [...shuffled.filter((u) => u.fails < MAX_FAILS), ...shuffled.filter((u) => u.fails >= MAX_FAILS)];
  }

  private socket(family: 4 | 6): dgram.Socket {
    let s = this.sockets.get(family);
    if (s) return s;
    s = dgram.createSocket(family === 6 ? 'udp6' : 'udp4');
    s.on('message', (msg, rinfo) => {
      if (msg.length < 12) return;
      const p = this.pending.get(msg.readUInt16BE(0));
      // Only the upstream the query went to may answer it.
      if (!p || rinfo.port !== p.upstream.port || net.isIP(rinfo.address) !== net.isIP(p.upstream.host) || rinfo.address !== p.upstream.host) return;
      p.settle(undefined, msg);
    });
    s.on('error', () => undefined);
    this.sockets.set(family, s);
    return s;
  }

  private udp(u: Upstream, request: Buffer, timeoutMs: number): Promise<Buffer> {
    return new Promise((resolve, reject) => {
      if (this.pending.size >= 65536) return reject(new ForwardError('no free query id'));
      let id: number;
      do id = randomInt(65536);
      while (this.pending.has(id));
      const out = Buffer.from(request);
      out.writeUInt16BE(id, 0);
      const settle = (err: Error | undefined, reply?: Buffer) => {
        clearTimeout(timer);
        this.pending.delete(id);
        if (err) reject(err);
        else resolve(reply!);
      };
      const timer = setTimeout(() => settle(new ForwardError(`${u.addr}: timed out`)), timeoutMs);
      this.pending.set(id, { upstream: u, settle });
      this.socket(u.family).send(out, u.port, u.host, (err) => err && settle(err));
    });
  }

  private tcp(u: Upstream, request: Buffer, timeoutMs: number): Promise<Buffer> {
    return new Promise((resolve, reject) => {
      const conn = net.connect({ host: u.host, port: u.port });
      this.tcpConns.add(conn);
      let buf = Buffer.alloc(0);
      const done = (err: Error | undefined, reply?: Buffer) => {
        conn.destroy();
        this.tcpConns.delete(conn);
        if (err) reject(err);
        else resolve(reply!);
      };
      conn.setTimeout(timeoutMs, () => done(new ForwardError(`${u.addr}: timed out`)));
      conn.on('error', (e) => done(e));
      conn.on('close', () => done(new ForwardError(`${u.addr}: connection closed`)));
      conn.on('data', (chunk) => {
        buf = Buffer.concat([buf, chunk]);
        if (buf.length >= 2 && buf.length >= 2 + buf.readUInt16BE(0)) done(undefined, Buffer.from(buf.subarray(2, 2 + buf.readUInt16BE(0))));
      });
      const len = Buffer.alloc(2);
      len.writeUInt16BE(request.length);
      conn.write(Buffer.concat([len, request]));
    });
  }

  close(): void {
    if (this.closed) return;
    this.closed = true;
    for (const s of this.sockets.values()) s.close();
    this.sockets.clear();
    for (const c of this.tcpConns) c.destroy();
    this.tcpConns.clear();
    // Whoever waits on a query still in flight hears that nothing will come.
    for (const p of [...this.pending.values()]) p.settle(new ForwardError('forwarder closed'));
  }
}
