// A fake upstream resolver for tests and benchmarks (what the node's resolv.conf would name): UDP and TCP on
// loopback, answering from a table of names, NXDOMAIN with an SOA for everything else, and counting what it is asked.
import dgram from 'node:dgram';
import net from 'node:net';
import dnsPacket, { type Answer, type Question } from 'dns-packet';
import { bindUdpAndTcp } from './server.js';

export interface FakeRecord {
  type: 'A' | 'AAAA' | 'TXT' | 'CNAME';
  data: string;
  ttl?: number;
}

export class FakeUpstream {
  private udp?: dgram.Socket;
  private tcp?: net.Server;
  private readonly conns = new Set<net.Socket>();
  /** Questions asked, "name TYPE" (name lower case), in order of arrival. */
  readonly asked: string[] = [];
  /** Names answered with this many A records, to make answers too large for UDP. */
  private readonly big = new Map<string, number>();

  constructor(private readonly records: Map<string, FakeRecord[]> = new Map()) {}

  set(name: string, records: FakeRecord[]): void {
    this.records.set(name.toLowerCase(), records);
  }

  /** name answers A with n addresses 10.x.y.z. */
  setMany(name: string, n: number): void {
    this.big.set(name.toLowerCase(), n);
  }

  count(name: string, type = 'A'): number {
    const k = `${name.toLowerCase()} ${type}`;
    return this.asked.filter((a) => a === k).length;
  }

  async listen(host = '127.0.0.1'): Promise<number> {
    const { udp, tcp } = await bindUdpAndTcp(host, 0, (c) => {
      this.conns.add(c);
      c.on('close', () => this.conns.delete(c));
      c.on('error', () => c.destroy());
      let buf = Buffer.alloc(0);
      c.on('data', (chunk) => {
        buf = Buffer.concat([buf, chunk]);
        while (buf.length >= 2 && buf.length >= 2 + buf.readUInt16BE(0)) {
          const reply = this.answer(buf.subarray(2, 2 + buf.readUInt16BE(0)), 65535);
          buf = buf.subarray(2 + buf.readUInt16BE(0));
          if (reply) c.write(Buffer.concat([Buffer.from([reply.length >> 8, reply.length & 0xff]), reply]));
        }
      });
    });
    udp.on('message', (msg, rinfo) => {
      const reply = this.answer(msg, 512);
      if (reply) udp.send(reply, rinfo.port, rinfo.address);
    });
    this.udp = udp;
    this.tcp = tcp;
    return udp.address().port;
  }

  private answer(msg: Buffer, size: number): Buffer | undefined {
    let q: Question | undefined;
    let id = 0;
    let udpSize = size;
    try {
      const p = dnsPacket.decode(msg);
      q = p.questions?.[0];
      id = p.id ?? 0;
      const opt = p.additionals?.find((a) => a.type === 'OPT');
      if (opt && size < 65535) udpSize = Math.max(512, opt.udpPayloadSize);
    } catch {
      return undefined;
    }
    if (!q) return undefined;
    const name = q.name.toLowerCase();
    this.asked.push(`${name} ${q.type}`);
    const many = this.big.get(name);
    const answers: Answer[] =
      many !== undefined && q.type === 'A'
        ? Array.from({ length: many }, (_, i) => ({ type: 'A', name: q!.name, ttl: 300, class: 'IN', data: `10.${(i >> 16) & 255}.${(i >> 8) & 255}.${i & 255}` }))
        : (this.records.get(name) ?? []).filter((r) => r.type === q!.type || r.type === 'CNAME').map((r) => ({ type: r.type, name: q!.name, ttl: r.ttl ?? 300, class: 'IN', data: r.data }) as Answer);
    const known = many !== undefined || this.records.has(name);
    const soa: Answer = { type: 'SOA', name: name.split('.').slice(-1)[0] || '.', ttl: 60, class: 'IN', data: { mname: 'ns.upstream.test', rname: 'hostmaster.upstream.test', serial: 1, refresh: 3600, retry: 600, expire: 86400, minimum: 60 } };
    const reply = {
      id,
      type: 'response' as const,
      flags: dnsPacket.RECURSION_DESIRED | dnsPacket.RECURSION_AVAILABLE | (known ? 0 : 3),
      questions: [q],
      answers,
      authorities: answers.length ? [] : [soa],
    };
    let out = dnsPacket.encode(reply);
    if (out.length > udpSize) out = dnsPacket.encode({ ...reply, flags: reply.flags | dnsPacket.TRUNCATED_RESPONSE, answers: [], authorities: [] });
    return out;
  }

  async close(): Promise<void> {
    this.udp?.close();
    this.udp = undefined;
    for (const c of this.conns) c.destroy();
    const tcp = this.tcp;
    this.tcp = undefined;
    if (tcp) await new Promise<void>((r) => tcp.close(() => r()));
  }
}
