import dgram from 'node:dgram';
import net from 'node:net';
import t from 'tap';
import type * as Tap from 'tap';
import dnsPacket from 'dns-packet';
import { makeService } from '../../test/fixtures/proxy.js';
import { ResponseCache } from './cache.js';
import { FakeUpstream } from './fakeupstream.js';
import { Forwarder } from './forward.js';
import { ClusterResolver } from './kubernetes.js';
import { DNSMetrics } from './metrics.js';
import { bindUdpAndTcp, DNSServer } from './server.js';
import { ClusterIndex } from './store.js';

const zone = 'cluster.local';

async function setup(t: Tap.Test, forwarder: (metrics: DNSMetrics) => Forwarder) {
  const metrics = new DNSMetrics();
  const index = ClusterIndex.from({ namespaces: ['default'], services: [makeService('web', { clusterIP: '10.96.0.20', ports: [{ name: 'http', port: 80 }] })] });
  const fwd = forwarder(metrics);
  t.teardown(() => fwd.close());
  const server = new DNSServer({ listen: '127.0.0.1:0', zone, resolver: new ClusterResolver(index, { zone, ttl: 5, localIPs: [] }), synced: () => true, cache: new ResponseCache({ capacity: 100, maxTTL: 30 }), forwarder: fwd, metrics });
  return { server, metrics };
}

const value = async (metrics: DNSMetrics, name: string) => {
  const m = (await metrics.registry.getMetricsAsJSON()).find((x) => x.name === name);
  return (m?.values ?? []).reduce((s, v) => s + Number(v.value), 0);
};

t.test('mutated queries never break the server: every reply is a response, nothing fails inside', async (t) => {
  const upstream = new FakeUpstream();
  const port = await upstream.listen();
  t.teardown(() => upstream.close());
  upstream.set('www.example.com', [{ type: 'A', data: '192.0.2.1' }]);
  const { server, metrics } = await setup(t, (metrics) => new Forwarder({ upstreams: [`127.0.0.1:${port}`], metrics, maxConcurrent: 1000, tryTimeoutMs: 200, timeoutMs: 400 }));
  const opt = { type: 'OPT' as const, name: '.', udpPayloadSize: 1232, extendedRcode: 0, ednsVersion: 0, flags: 0, flag_do: false, options: [] };
  const bases = [
    dnsPacket.encode({ id: 1, type: 'query', flags: dnsPacket.RECURSION_DESIRED, questions: [{ name: 'web.default.svc.cluster.local', type: 'A' }] }),
    dnsPacket.encode({ id: 2, type: 'query', questions: [{ name: '_http._tcp.web.default.svc.cluster.local', type: 'SRV' }], additionals: [opt] }),
    dnsPacket.encode({ id: 3, type: 'query', questions: [{ name: '20.0.96.10.in-addr.arpa', type: 'PTR' }] }),
    dnsPacket.encode({ id: 4, type: 'query', questions: [{ name: 'www.example.com', type: 'A' }], additionals: [opt] }),
  ];
  // A fixed pseudo-random sequence: the same mutations every run.
  let seed = 4242;
  const next = (n: number) => (seed = (seed * 1103515245 + 12345) % 2 ** 31) % n;
  let replies = 0;
  const bad: string[] = [];
  for (let i = 0; i < 3000; i++) {
    const base = bases[i % bases.length];
    const buf = Buffer.from(base.subarray(0, next(4) === 0 ? 12 + next(base.length - 11) : base.length));
    for (let k = 1 + next(4); k > 0; k--) buf[12 + next(buf.length - 12 || 1)] = next(256);
    const reply = await server.handle(buf, i % 2 ? 'tcp' : 'udp', 1);
    if (!reply) continue;
    replies++;
    if (reply.length < 12 || !(reply[2] & 0x80)) bad.push(buf.toString('hex'));
  }
  t.same(bad, [], 'every reply is a DNS response');
  t.ok(replies > 2500, `${replies} replies`);
  t.equal(await value(metrics, 'coredns_panics_total'), 0, 'no query failed inside the server');
  const ok = dnsPacket.decode((await server.handle(bases[0], 'udp', 1))!);
  t.same(ok.answers?.map((a) => a.type === 'A' && a.data), ['10.96.0.20']);
});

t.test('forwarding: SERVFAIL when no upstream answers, REFUSED beyond max_concurrent', async (t) => {
  // An upstream that reads queries and never answers.
  const silent = dgram.createSocket('udp4');
  await new Promise<void>((r) => silent.bind(0, '127.0.0.1', () => r()));
  t.teardown(() => silent.close());
  const { server, metrics } = await setup(t, (metrics) => new Forwarder({ upstreams: [`127.0.0.1:${silent.address().port}`], metrics, maxConcurrent: 1, tryTimeoutMs: 300, timeoutMs: 300 }));
  const ask = (id: number) => server.handle(dnsPacket.encode({ id, type: 'query', questions: [{ name: `q${id}.example.org`, type: 'A' }] }), 'udp', 1);
  const [first, second] = await Promise.all([ask(1), ask(2)]);
  t.equal((dnsPacket.decode(first!) as unknown as { rcode: string }).rcode, 'SERVFAIL');
  t.equal((dnsPacket.decode(second!) as unknown as { rcode: string }).rcode, 'REFUSED');
  t.equal(await value(metrics, 'coredns_forward_max_concurrent_rejects_total'), 1);
  t.equal(await value(metrics, 'coredns_proxy_healthcheck_failures_total'), 1);
});

t.test('UDP and TCP on one port: a free pair for port 0; a named port whose TCP side is taken is refused whole', async (t) => {
  const { udp, tcp } = await bindUdpAndTcp('127.0.0.1', 0, (c) => c.destroy());
  const port = udp.address().port;
  t.equal((tcp.address() as net.AddressInfo).port, port, 'the TCP server listens on the UDP socket\'s port');
  udp.close();
  await new Promise<void>((r) => tcp.close(() => r()));

  const taken = net.createServer();
  await new Promise<void>((r) => taken.listen(0, '127.0.0.1', () => r()));
  t.teardown(() => taken.close());
  const busy = (taken.address() as net.AddressInfo).port;
  await t.rejects(bindUdpAndTcp('127.0.0.1', busy, (c) => c.destroy()), { code: 'EADDRINUSE' });
  // The UDP half it bound first was given back.
  const again = dgram.createSocket('udp4');
  await new Promise<void>((resolve, reject) => again.once('error', reject).bind(busy, '127.0.0.1', () => resolve()));
  t.equal(again.address().port, busy, 'the UDP port is free again');
  again.close();
});
