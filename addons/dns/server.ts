// CoreDNS's server with kubeadm's plugin chain for `.:53` (core/dnsserver + errors, kubernetes, forward, cache,
// loadbalance, prometheus): DNS over UDP and TCP on one port; names in the cluster zone are answered from the
// watch-fed store, reverse names of cluster addresses too, everything else through the cache to the upstreams.
import dgram from 'node:dgram';
import net from 'node:net';
import { randomInt } from 'node:crypto';
import type { RecordType } from 'dns-packet';
import { logger } from '../../api/log.js';
import { cacheKey, type CachedAnswer, type ResponseCache } from './cache.js';
import { reverseZones } from './config.js';
import { ForwardLimitError, type Forwarder } from './forward.js';
import { inZone, type ClusterAnswer, type ClusterResolver } from './kubernetes.js';
import { decodeReply, encodeQuery, encodeReply, flagBits, maxReplySize, rcodeName, rcodeOf, rcodes, readQuery, type Query, type RR } from './message.js';
import { typeLabel, type DNSMetrics } from './metrics.js';
import { parseBindAddress } from '../../api/listen.js';

const log = logger('dns');

export interface DNSServerOptions {
  /** host:port to serve on, UDP and TCP (port 0: a free port, the same for both). */
  listen: string;
  /** The cluster domain, lower case. */
  zone: string;
  resolver: ClusterResolver;
  /** Whether the store has its first lists: until then the cluster zone gets SERVFAIL. */
  synced(): boolean;
  cache: ResponseCache;
  forwarder: Forwarder;
  metrics: DNSMetrics;
}

type Proto = 'udp' | 'tcp';

/** miekg/dns's TCP idle timeout: a connection with no query for this long is closed. */
const TCP_IDLE_MS = 8000;
const BIND_ATTEMPTS = 5;

export class DNSServer {
  private udp?: dgram.Socket;
  private tcp?: net.Server;
  private readonly conns = new Set<net.Socket>();
  /** CoreDNS's `server` label: the scheme and the address as configured. */
  private readonly labels: { server: string; zone: string; view: string };
  private readonly cacheLabels: { server: string; zones: string; view: string };

  constructor(private readonly opts: DNSServerOptions) {
    this.labels = { server: `dns://${opts.listen}`, zone: '.', view: '' };
    this.cacheLabels = { server: this.labels.server, zones: '.', view: '' };
  }

  async listen(): Promise<void> {
    const { host, port } = parseBindAddress(this.opts.listen);
    const { udp, tcp } = await bindUdpAndTcp(host, port, (c) => this.serveTCP(c));
    udp.on('message', (msg, rinfo) => {
      void this.handle(msg, 'udp', rinfo.family === 'IPv6' ? 2 : 1).then((reply) => reply && udp.send(reply, rinfo.port, rinfo.address));
    });
    udp.on('error', (e) => log.warn({ err: e.message }, 'udp socket error'));
    this.udp = udp;
    this.tcp = tcp;
  }

  port(): number {
    return this.udp?.address().port ?? 0;
  }

  async close(): Promise<void> {
    const udp = this.udp;
    const tcp = this.tcp;
    this.udp = undefined;
    this.tcp = undefined;
    udp?.close();
    for (const c of this.conns) c.destroy();
    this.conns.clear();
    if (tcp) await new Promise<void>((r) => tcp.close(() => r()));
  }

  private serveTCP(conn: net.Socket): void {
    this.conns.add(conn);
    const family = conn.remoteFamily === 'IPv6' ? 2 : 1;
    let buf = Buffer.alloc(0);
    conn.setTimeout(TCP_IDLE_MS, () => conn.destroy());
    conn.on('error', () => conn.destroy());
    conn.on('close', () => this.conns.delete(conn));
    conn.on('data', (chunk) => {
      buf = buf.length ? Buffer.concat([buf, chunk]) : chunk;
      // Queries may be pipelined; each is answered as soon as it is ready (RFC 7766).
      while (buf.length >= 2 && buf.length >= 2 + buf.readUInt16BE(0)) {
        const msg = Buffer.from(buf.subarray(2, 2 + buf.readUInt16BE(0)));
        buf = buf.subarray(2 + msg.length);
        void this.handle(msg, 'tcp', family).then((reply) => {
          if (!reply) return conn.destroy();
          if (conn.destroyed) return;
          const len = Buffer.alloc(2);
          len.writeUInt16BE(reply.length);
          conn.write(Buffer.concat([len, reply]));
        });
      }
    });
  }

  /** One request in, its reply out (undefined: none is sent). Never rejects: a bad packet must not stop the server. */
  async handle(buf: Buffer, proto: Proto, family: 1 | 2): Promise<Buffer | undefined> {
    try {
      return await this.serve(buf, proto, family);
    } catch (e) {
      this.opts.metrics.panics.inc();
      log.error({ err: (e as Error).stack }, 'request failed');
      return undefined;
    }
  }

  private async serve(buf: Buffer, proto: Proto, family: 1 | 2): Promise<Buffer | undefined> {
    const started = performance.now();
    const incoming = readQuery(buf);
    if (incoming.kind === 'ignore') return undefined;
    const m = this.opts.metrics;
    m.requestSize.observe(proto, () => ({ ...this.labels, proto }), buf.length);
    let reply: Buffer;
    let plugin = '';
    if (incoming.kind === 'reject') {
      m.requests.inc(`${proto}/${family}/other`, () => ({ ...this.labels, proto, family: String(family), type: 'other' }));
      reply = incoming.reply;
    } else {
      const q = incoming.query;
      const type = typeLabel(q.question.type);
      m.requests.inc(`${proto}/${family}/${type}`, () => ({ ...this.labels, proto, family: String(family), type }));
      try {
        ({ plugin, reply } = await this.route(q, buf, proto));
      } catch (e) {
        // CoreDNS's errors plugin: a failure inside the chain is a SERVFAIL, never a dead server.
        m.panics.inc();
        log.error({ err: (e as Error).stack, name: q.question.name, type: q.question.type }, 'query failed');
        reply = encodeReply(q, { rcode: rcodes.SERVFAIL }, maxReplySize(q, proto));
        plugin = '';
      }
    }
    const rcode = incoming.kind === 'reject' && incoming.rcode === 'BADVERS' ? 'BADVERS' : rcodeName(rcodeOf(reply));
    m.responses.inc(`${rcode}/${plugin}`, () => ({ ...this.labels, rcode, plugin }));
    m.responseSize.observe(proto, () => ({ ...this.labels, proto }), reply.length);
    m.requestDuration.observe('', () => this.labels, (performance.now() - started) / 1e3);
    return reply;
  }

  private async route(q: Query, raw: Buffer, proto: Proto): Promise<{ plugin: string; reply: Buffer }> {
    const name = q.question.name.toLowerCase();
    const size = maxReplySize(q, proto);
    if (inZone(name, this.opts.zone)) return { plugin: 'kubernetes', reply: await this.cluster(q, size) };
    if (q.question.type === 'PTR' && reverseZones.some((z) => inZone(name, z)) && this.opts.synced()) {
      const a = this.opts.resolver.reverse(q.question.name);
      if (a) return { plugin: 'kubernetes', reply: encodeReply(q, { rcode: rcodes.NOERROR, authoritative: true, answers: a.answers }, size) };
    }
    return this.forward(q, raw, proto, size);
  }

  private async cluster(q: Query, size: number): Promise<Buffer> {
    const { resolver } = this.opts;
    const qname = q.question.name;
    if (!this.opts.synced()) {
      // Answering from an empty store would deny names that exist (CoreDNS waits the same way).
      return encodeReply(q, { rcode: rcodes.SERVFAIL, authoritative: true, authorities: [resolver.soa(qname.slice(qname.length - this.opts.zone.length))] }, size);
    }
    const a: ClusterAnswer = resolver.answer(qname, q.question.type);
    if (a.rcode === 'REFUSED') return encodeReply(q, { rcode: rcodes.REFUSED }, size);
    let truncated = false;
    for (const c of a.chase) {
      const found = await this.lookup(c.target, c.type);
      if (!found) continue;
      a.answers.push(c.cname, ...found.answers);
      truncated ||= found.truncated;
    }
    const negative = a.rcode === 'NXDOMAIN' || !a.answers.length;
    return encodeReply(q, { rcode: rcodes[a.rcode], authoritative: true, truncated, answers: loadBalance(a.answers), additionals: a.additionals, authorities: negative && a.soa ? [a.soa] : [] }, size);
  }

  private async forward(q: Query, raw: Buffer, proto: Proto, size: number): Promise<{ plugin: string; reply: Buffer }> {
    const { cache, forwarder, metrics: m } = this.opts;
    const dnssecOK = !!q.opt?.flag_do;
    const key = cacheKey(q.question.name, q.question.type, q.question.class ?? 'IN', dnssecOK, !!(q.flags & flagBits.CD));
    m.cacheRequests.inc('', () => this.cacheLabels);
    const hit = cache.get(key);
    if (hit) {
      m.cacheHits.inc(hit.kind, () => ({ ...this.cacheLabels, type: hit.kind }));
      // CoreDNS sets AA on cached answers: some stub resolvers drop answers without it.
      return { plugin: 'cache', reply: this.fromCache(q, hit, size, true) };
    }
    m.cacheMisses.inc('', () => this.cacheLabels);
    let up: Buffer;
    try {
      up = await forwarder.query(raw, proto);
    } catch (e) {
      if (e instanceof ForwardLimitError) return { plugin: 'forward', reply: encodeReply(q, { rcode: rcodes.REFUSED }, size) };
      log.debug({ err: (e as Error).message, name: q.question.name }, 'forward failed');
      return { plugin: 'forward', reply: encodeReply(q, { rcode: rcodes.SERVFAIL }, size) };
    }
    const reply = decodeReply(up);
    const question = reply?.questions?.[0];
    if (!reply || !question || question.name.toLowerCase() !== q.question.name.toLowerCase() || question.type !== q.question.type) {
      // Not an answer to what was asked (forward's Match check).
      return { plugin: 'forward', reply: encodeReply(q, { rcode: rcodes.FORMERR }, size) };
    }
    const kept = cache.set(key, reply);
    this.updateCacheEntries();
    // What is not kept (truncated, refused…) goes back as upstream sent it; what is kept, as the cache serves it.
    if (!kept) return { plugin: 'forward', reply: up };
    return { plugin: 'forward', reply: this.fromCache(q, kept, size, !!((reply.flags ?? 0) & flagBits.AA)) };
  }

  private fromCache(q: Query, c: CachedAnswer, size: number, authoritative: boolean): Buffer {
    return encodeReply(q, { rcode: c.rcode, authoritative, recursionAvailable: c.recursionAvailable, authenticData: c.authenticData && !!q.opt?.flag_do, answers: loadBalance(c.answers), authorities: c.authorities, additionals: c.additionals }, size);
  }

  /** Resolves a name outside the zone as a client would through this server (cache, then upstream). */
  private async lookup(name: string, type: RecordType): Promise<{ answers: RR[]; truncated: boolean } | undefined> {
    const { cache, forwarder } = this.opts;
    const key = cacheKey(name, type, 'IN', false, false);
    const hit = cache.get(key);
    if (hit) return { answers: hit.answers, truncated: false };
    try {
      const query = encodeQuery(name, type, randomInt(65536));
      let up = await forwarder.query(query, 'udp');
      if (rcodeOf(up) === rcodes.NOERROR && up.readUInt16BE(2) & flagBits.TC) up = await forwarder.query(query, 'tcp');
      const reply = decodeReply(up);
      if (!reply) return undefined;
      const kept = cache.set(key, reply);
      this.updateCacheEntries();
      return { answers: kept?.answers ?? (reply.answers ?? []).filter((r): r is RR => r.type !== 'OPT'), truncated: !!((reply.flags ?? 0) & flagBits.TC) };
    } catch {
      return undefined;
    }
  }

  private updateCacheEntries(): void {
    const { cache, metrics: m } = this.opts;
    m.cacheEntries.set({ ...this.cacheLabels, type: 'success' }, cache.size('success'));
    m.cacheEntries.set({ ...this.cacheLabels, type: 'denial' }, cache.size('denial'));
  }
}

/** The loadbalance plugin's round_robin: address records in random order, after the CNAMEs and other records. */
export function loadBalance(answers: RR[]): RR[] {
  const addresses = answers.filter((r) => r.type === 'A' || r.type === 'AAAA');
  if (addresses.length < 2) return answers;
  for (let i = addresses.length - 1; i > 0; i--) {
    const j = randomInt(i + 1);
    [addresses[i], addresses[j]] = [addresses[j], addresses[i]];
  }
  const cnames = answers.filter((r) => r.type === 'CNAME');
  const rest = answers.filter((r) => r.type !== 'CNAME' && r.type !== 'A' && r.type !== 'AAAA');
  return [...cnames, ...rest, ...addresses];
}

/**
 * A UDP socket and a TCP server on one port, as DNS is served (and as resolvers expect: TCP where UDP was truncated).
 * Port 0 picks a free UDP port; one whose TCP twin is taken is given back and another picked.
 */
export async function bindUdpAndTcp(host: string, port: number, onConnection: (c: net.Socket) => void): Promise<{ udp: dgram.Socket; tcp: net.Server }> {
  for (let attempt = 1; ; attempt++) {
    const udp = dgram.createSocket(net.isIPv6(host) ? 'udp6' : 'udp4');
    await new Promise<void>((resolve, reject) => {
      udp.once('error', reject);
      udp.bind(port, host, () => {
        udp.off('error', reject);
        resolve();
      });
    });
    const tcp = net.createServer(onConnection);
    try {
      await new Promise<void>((resolve, reject) => {
        tcp.once('error', reject);
        tcp.listen(udp.address().port, host, () => {
          tcp.off('error', reject);
          resolve();
        });
      });
    } catch (e) {
      udp.close();
      if (port === 0 && (e as NodeJS.ErrnoException).code === 'EADDRINUSE' && attempt < BIND_ATTEMPTS) continue;
      throw e;
    }
    return { udp, tcp };
  }
}
