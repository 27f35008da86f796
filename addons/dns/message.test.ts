import t from 'tap';
import dnsPacket, { type DecodedPacket } from 'dns-packet';
import { cacheKey, ResponseCache } from './cache.js';
import { normalizeUpstream, parseResolvConf } from './forward.js';
import { encodeReply, maxReplySize, readQuery, type Query, type RR } from './message.js';

const rcode = (buf: Buffer) => (dnsPacket.decode(buf) as unknown as { rcode: string }).rcode;

function query(q: Partial<DecodedPacket> & { questions: DecodedPacket['questions'] }): Query {
  const r = readQuery(dnsPacket.encode({ id: 42, type: 'query', flags: dnsPacket.RECURSION_DESIRED, ...q }));
  if (r.kind !== 'query') throw new Error(`not a query: ${r.kind}`);
  return r.query;
}

t.test('requests: answered, rejected from the header (FORMERR, NOTIMP, BADVERS) or ignored, never a throw', async (t) => {
  t.same(readQuery(Buffer.alloc(5)), { kind: 'ignore' }, 'shorter than a header');
  t.same(readQuery(dnsPacket.encode({ id: 1, type: 'response', questions: [{ name: 'a', type: 'A' }] })), { kind: 'ignore' }, 'a response');
  const garbage = Buffer.from([0x12, 0x34, 0x01, 0x00, 0, 1, 0, 0, 0, 0, 0, 0, 0xc0, 0xff, 0x00]);
  const formerr = readQuery(garbage);
  t.equal(formerr.kind, 'reject');
  if (formerr.kind === 'reject') {
    t.equal(formerr.rcode, 'FORMERR');
    const d = dnsPacket.decode(formerr.reply);
    t.equal(d.id, 0x1234);
    t.ok(d.flag_qr && d.flag_rd, 'a reply, RD kept');
    t.equal(rcode(formerr.reply), 'FORMERR');
  }
  const noQuestion = readQuery(dnsPacket.encode({ id: 2, type: 'query', questions: [] }));
  t.equal(noQuestion.kind === 'reject' && noQuestion.rcode, 'FORMERR', 'no question');
  const notify = readQuery(dnsPacket.encode({ id: 3, type: 'query', flags: 4 << 11, questions: [{ name: 'a', type: 'SOA' }] }));
  t.equal(notify.kind === 'reject' && rcode(notify.reply), 'NOTIMP');
  const edns1 = readQuery(dnsPacket.encode({ id: 4, type: 'query', questions: [{ name: 'a', type: 'A' }], additionals: [{ type: 'OPT', name: '.', udpPayloadSize: 1232, ednsVersion: 1, extendedRcode: 0, flags: 0, flag_do: false, options: [] }] }));
  t.equal(edns1.kind === 'reject' && edns1.rcode, 'BADVERS');
  if (edns1.kind === 'reject') {
    const opt = dnsPacket.decode(edns1.reply).additionals?.find((a) => a.type === 'OPT');
    t.equal(opt?.type === 'OPT' && opt.extendedRcode, 1, 'BADVERS is extended RCODE 16');
  }
  // Headers that promise one question, followed by arbitrary bytes (a fixed pseudo-random sequence).
  let seed = 12345;
  const next = () => (seed = (seed * 1103515245 + 12345) % 2 ** 31) % 256;
  const kinds = new Set<string>();
  for (let n = 0; n < 2000; n++) {
    const bytes = Buffer.from(Array.from({ length: 12 + (n % 60) }, (_, i) => (i === 2 ? 0x01 : i === 4 ? 0 : i === 5 ? 1 : next())));
    kinds.add(readQuery(bytes).kind);
  }
  t.ok(kinds.has('reject'), 'arbitrary bytes are rejected, never thrown on');
});

t.test('replies: RD and CD kept, EDNS0 echoed with the client\'s size and DO bit', async (t) => {
  const q = query({ questions: [{ name: 'web.default.svc.cluster.local', type: 'A' }], additionals: [{ type: 'OPT', name: '.', udpPayloadSize: 1232, extendedRcode: 0, ednsVersion: 0, flags: dnsPacket.DNSSEC_OK, flag_do: true, options: [] }] });
  const reply = dnsPacket.decode(encodeReply(q, { rcode: 0, authoritative: true, answers: [{ type: 'A', name: 'web.default.svc.cluster.local', ttl: 5, class: 'IN', data: '10.96.0.20' }] }, maxReplySize(q, 'udp')));
  t.equal(reply.id, 42);
  t.ok(reply.flag_qr && reply.flag_aa && reply.flag_rd);
  t.notOk(reply.flag_ra, 'no recursion on cluster answers');
  const opt = reply.additionals?.find((a) => a.type === 'OPT');
  t.equal(opt?.type === 'OPT' && opt.udpPayloadSize, 1232);
  t.equal(opt?.type === 'OPT' && opt.flag_do, true);
  t.equal(maxReplySize(q, 'udp'), 1232);
  t.equal(maxReplySize(q, 'tcp'), 65535);
  t.equal(maxReplySize(query({ questions: [{ name: 'a', type: 'A' }] }), 'udp'), 512, 'no EDNS0: 512 bytes');
});

t.test('a reply over the client\'s size keeps the records that fit, in order, and sets TC', async (t) => {
  const q = query({ questions: [{ name: 'big.default.svc.cluster.local', type: 'A' }] });
  const answers: RR[] = Array.from({ length: 60 }, (_, i) => ({ type: 'A', name: 'big.default.svc.cluster.local', ttl: 5, class: 'IN', data: `10.244.0.${i + 1}` }));
  const udp = encodeReply(q, { rcode: 0, answers }, 512);
  t.ok(udp.length <= 512, `${udp.length} bytes`);
  const d = dnsPacket.decode(udp);
  t.ok(d.flag_tc);
  t.ok(d.answers!.length > 0 && d.answers!.length < 60);
  t.same(d.answers!.map((a) => a.type === 'A' && a.data), answers.slice(0, d.answers!.length).map((a) => a.data), 'the first records, in order');
  const tcp = dnsPacket.decode(encodeReply(q, { rcode: 0, answers }, 65535));
  t.notOk(tcp.flag_tc);
  t.equal(tcp.answers!.length, 60);
});

t.test('cache: answers kept for their TTL capped at 30 s, counted down; denials need an SOA; TC and REFUSED not kept', async (t) => {
  let now = 1_000_000;
  const evicted: string[] = [];
  const cache = new ResponseCache({ capacity: 2, maxTTL: 30, now: () => now, onEvict: (k) => evicted.push(k) });
  const reply = (name: string, flags: number, answers: RR[], authorities: RR[] = []) =>
    dnsPacket.decode(dnsPacket.encode({ id: 1, type: 'response', flags, questions: [{ name, type: 'A' }], answers, authorities }));
  const a = (name: string, ttl: number): RR => ({ type: 'A', name, ttl, class: 'IN', data: '192.0.2.1' });
  const soa: RR = { type: 'SOA', name: 'example.com', ttl: 60, class: 'IN', data: { mname: 'ns.example.com', rname: 'h.example.com', serial: 1, refresh: 1, retry: 1, expire: 1, minimum: 60 } };
  const k = cacheKey('WWW.example.com', 'A', 'IN', false, false);
  t.equal(k, cacheKey('www.example.com', 'A', 'IN', false, false), 'names are keyed in lower case');
  t.not(k, cacheKey('www.example.com', 'A', 'IN', true, false), 'DO is part of the key');
  const stored = cache.set(k, reply('www.example.com', dnsPacket.RECURSION_AVAILABLE, [a('www.example.com', 300)]));
  t.equal(stored?.answers[0].ttl, 30, 'capped');
  now += 10_500;
  t.equal(cache.get(k)?.answers[0].ttl, 20, 'counting down');
  t.equal(cache.get(k)?.recursionAvailable, true);
  now += 20_000;
  t.equal(cache.get(k), undefined, 'expired');
  const short = cacheKey('short.example.com', 'A', 'IN', false, false);
  t.equal(cache.set(short, reply('short.example.com', 0, [a('short.example.com', 1)]))?.answers[0].ttl, 5, 'at least 5 s');
  t.equal(cache.set('nx', reply('nx.example.com', 3, [])), undefined, 'NXDOMAIN without SOA is not kept');
  t.equal(cache.set('nx', reply('nx.example.com', 3, [], [soa]))?.kind, 'denial');
  t.equal(cache.get('nx')?.rcode, 3);
  t.equal(cache.set('nodata', reply('nodata.example.com', 0, [], [soa]))?.kind, 'denial', 'NODATA with SOA');
  t.equal(cache.set('tc', reply('tc.example.com', dnsPacket.TRUNCATED_RESPONSE, [a('tc.example.com', 60)])), undefined, 'truncated');
  t.equal(cache.set('refused', reply('r.example.com', 5, [])), undefined, 'REFUSED');
  t.equal(cache.set('servfail', reply('s.example.com', 2, []))?.answers.length, 0, 'SERVFAIL is kept for 5 s');
  t.same(evicted, ['denial'], 'the denial table holds two: the oldest made room');
  t.equal(cache.get('nx'), undefined);
  t.equal(cache.size('denial'), 2);
});

t.test('upstreams: resolv.conf nameservers, IP or IP:PORT', async (t) => {
  t.same(parseResolvConf('# comment\nsearch example.com\nnameserver 192.0.2.53\nnameserver fe80::1%eth0\nnameserver bogus\noptions ndots:5\n'), ['192.0.2.53:53', '[fe80::1]:53']);
  t.equal(normalizeUpstream('192.0.2.1'), '192.0.2.1:53');
  t.equal(normalizeUpstream('192.0.2.1:5353'), '192.0.2.1:5353');
  t.equal(normalizeUpstream('[::1]:53'), '[::1]:53');
  t.throws(() => normalizeUpstream('dns.example.com:53'));
});
