// Cluster DNS end to end: a real `kubets server`, the DNS add-on on a loopback port watching it as the coredns
// service account (in-cluster credentials, the system:coredns ClusterRole), a fake upstream resolver on loopback,
// and real clients — Debian's dig and Node's resolver — asking over UDP and TCP.
import dgram from 'node:dgram';
import net from 'node:net';
import { Resolver } from 'node:dns/promises';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import t from 'tap';
import { execa } from 'execa';
import dnsPacket from 'dns-packet';
import { ApiClient } from '../api/client.js';
import { isAlreadyExists } from '../api/errors.js';
import { Resources, type ResourceRef } from '../api/resources.js';
import type { EndpointSlice, KubeObject, Service } from '../api/types.js';
import { dnsDefaults } from '../addons/dns/config.js';
import { FakeUpstream } from '../addons/dns/fakeupstream.js';
import { startDNS, type RunningDNS } from '../addons/dns/index.js';
import { corednsManifests } from '../addons/dns/manifests.js';
import { bindConflict, reservePorts } from './ports.js';
import { spawnOwned, stopOwned } from './processes.js';
import { cliPath, startServer, type TestServer } from './server-fixture.js';
import { until } from './until.js';

const NS = 'dns-test';

interface Dig {
  status: string;
  flags: string[];
  answer: string[][];
  authority: string[][];
  additional: string[][];
  output: string;
}

/** Runs dig against the server and reads its answer: status, header flags and the sections' records as fields. */
async function dig(port: number, args: string[]): Promise<Dig> {
  const r = await execa('dig', ['@127.0.0.1', '-p', String(port), '+nocmd', '+noquestion', '+nostats', '+time=3', '+tries=1', ...args], { reject: false });
  const output = String(r.stdout);
  const out: Dig = { status: '', flags: [], answer: [], authority: [], additional: [], output };
  let section: 'answer' | 'authority' | 'additional' | undefined;
  for (const line of output.split('\n')) {
    const status = /status: (\w+)/.exec(line);
    if (status) out.status = status[1];
    const flags = /^;; flags: ([^;]*);/.exec(line);
    if (flags) out.flags = flags[1].trim().split(/\s+/);
    const header = /^;; (ANSWER|AUTHORITY|ADDITIONAL) SECTION:/.exec(line);
    if (header) section = header[1].toLowerCase() as typeof section;
    else if (!line.trim() || line.startsWith(';')) section = line.trim() ? section : undefined;
    else if (section) out[section].push(line.trim().split(/\s+/));
  }
  return out;
}

const rdata = (rrs: string[][]) => rrs.map((f) => f.slice(4).join(' '));

/** Metric values by their full name with labels, as /metrics prints them. */
async function metrics(port: number): Promise<Map<string, number>> {
  const text = await (await fetch(`http://127.0.0.1:${port}/metrics`)).text();
  const out = new Map<string, number>();
  for (const line of text.split('\n')) {
    if (!line || line.startsWith('#')) continue;
    const i = line.lastIndexOf(' ');
    out.set(line.slice(0, i), Number(line.slice(i + 1)));
  }
  return out;
}

const sum = (m: Map<string, number>, name: string, ...labels: string[]) =>
  [...m].filter(([k]) => (k === name || k.startsWith(`${name}{`)) && labels.every((l) => k.includes(l))).reduce((s, [, v]) => s + v, 0);

async function ensure(client: ApiClient, ref: ResourceRef, obj: KubeObject): Promise<void> {
  await client.create(ref, obj.metadata.namespace, obj).catch((e) => (isAlreadyExists(e) ? undefined : Promise.reject(e)));
}

function service(name: string, spec: Service['spec']): Service {
  return { apiVersion: 'v1', kind: 'Service', metadata: { name, namespace: NS }, spec };
}

function slice(svc: string, name: string, endpoints: { ip: string; hostname?: string; ready?: boolean }[], ports: { name: string; port: number; protocol?: 'TCP' | 'UDP' }[]): EndpointSlice {
  return {
    apiVersion: 'discovery.k8s.io/v1',
    kind: 'EndpointSlice',
    metadata: { name, namespace: NS, labels: { 'kubernetes.io/service-name': svc } },
    addressType: 'IPv4',
    endpoints: endpoints.map((e) => ({ addresses: [e.ip], hostname: e.hostname, conditions: { ready: e.ready ?? true } })),
    ports: ports.map((p) => ({ name: p.name, port: p.port, protocol: p.protocol ?? 'TCP' })),
  };
}

let srv: TestServer;
let upstream: FakeUpstream;
let upstreamPort: number;
let dns: RunningDNS;
let port: number;
let saDir: string;
let dnsClient: ApiClient | undefined;

t.before(async () => {
  srv = await startServer({ args: ['--disable-controllers'] });
  upstream = new FakeUpstream();
  upstreamPort = await upstream.listen();
  upstream.set('www.example.com', [{ type: 'A', data: '192.0.2.10', ttl: 300 }]);

  // The add-on's own identity: its ServiceAccount, ClusterRole and binding, and a token as a pod would have it mounted.
  const manifests = corednsManifests({ image: 'kubets.local/kubets:test' });
  for (const obj of manifests.filter((o) => ['ServiceAccount', 'ClusterRole', 'ClusterRoleBinding'].includes(o.kind!))) {
    const ref = Object.values(Resources).find((r) => r.kind === obj.kind)!;
    await ensure(srv.client, ref, obj);
  }
  const tr = await srv.client.createSubresource<{ status: { token: string } }>(Resources.serviceaccounts, 'kube-system', 'coredns', 'token', {
    apiVersion: 'authentication.k8s.io/v1',
    kind: 'TokenRequest',
    metadata: { name: 'coredns', namespace: 'kube-system' },
    spec: { expirationSeconds: 3600 },
  });
  saDir = fs.mkdtempSync(path.join(os.tmpdir(), 'kubets-dns-sa-'));
  fs.writeFileSync(path.join(saDir, 'token'), tr.status.token);
  fs.writeFileSync(path.join(saDir, 'ca.crt'), srv.client.config.ca);
  fs.writeFileSync(path.join(saDir, 'namespace'), 'kube-system');

  await ensure(srv.client, Resources.namespaces, { apiVersion: 'v1', kind: 'Namespace', metadata: { name: NS } });
  const big = Array.from({ length: 100 }, (_, i) => ({ ip: `10.244.${10 + Math.floor(i / 250)}.${(i % 250) + 1}` }));
  for (const [ref, obj] of [
    [Resources.services, service('web', { clusterIP: '10.96.0.50', ports: [{ name: 'http', port: 80, protocol: 'TCP' }, { name: 'metrics', port: 9090, protocol: 'TCP' }] })],
    [Resources.services, service('db', { clusterIP: 'None', ports: [{ name: 'pg', port: 5432, protocol: 'TCP' }] })],
    [Resources.services, service('ext', { type: 'ExternalName', externalName: 'www.example.com' })],
    [Resources.services, service('big', { clusterIP: 'None', ports: [{ name: 'http', port: 80, protocol: 'TCP' }] })],
    [Resources.endpointslices, slice('db', 'db-1', [{ ip: '10.244.1.5', hostname: 'db-0' }, { ip: '10.244.2.6', hostname: 'db-1' }, { ip: '10.244.3.7', hostname: 'db-2', ready: false }], [{ name: 'pg', port: 5432 }])],
    [Resources.endpointslices, slice('big', 'big-1', big, [{ name: 'http', port: 80 }])],
  ] as const) {
    await ensure(srv.client, ref, obj);
  }

  const client = ApiClient.inCluster({ dir: saDir, env: { KUBERNETES_SERVICE_HOST: '127.0.0.1', KUBERNETES_SERVICE_PORT: String(srv.port) }, userAgent: 'kubets-dns-test' });
  dns = await startDNS({ ...dnsDefaults, listen: '127.0.0.1:0', upstreams: [`127.0.0.1:${upstreamPort}`], metricsPort: 0, healthPort: 0, readyPort: 0 }, { client });
  dnsClient = client;
  port = dns.ports().dns;
  await until('the DNS server to sync', () => dns.synced(), 30_000, 50);
});

t.teardown(async () => {
  await dns?.close();
  dnsClient?.close();
  await upstream?.close();
  await srv?.destroy();
  if (saDir) fs.rmSync(saDir, { recursive: true, force: true });
});

t.test('a ClusterIP Service: A record with TTL 5, authoritative, over UDP and TCP', async (t) => {
  for (const extra of [[], ['+tcp'], ['+noedns']]) {
    const r = await dig(port, ['web.dns-test.svc.cluster.local', 'A', ...extra]);
    t.equal(r.status, 'NOERROR', extra.join(' '));
    t.same(r.answer, [['web.dns-test.svc.cluster.local.', '5', 'IN', 'A', '10.96.0.50']]);
    t.ok(r.flags.includes('aa'), 'authoritative');
  }
  const node = new Resolver();
  node.setServers([`127.0.0.1:${port}`]);
  t.same(await node.resolve4('web.dns-test.svc.cluster.local'), ['10.96.0.50']);
  t.same(await node.resolve4('kubernetes.default.svc.cluster.local'), ['10.96.0.1'], 'the kubernetes Service');
});

t.test('SRV for a named port, with the target\'s address in the additional section', async (t) => {
  const r = await dig(port, ['_http._tcp.web.dns-test.svc.cluster.local', 'SRV']);
  t.equal(r.status, 'NOERROR');
  t.same(rdata(r.answer), ['0 100 80 web.dns-test.svc.cluster.local.']);
  t.same(r.additional.filter((f) => f[3] === 'A'), [['web.dns-test.svc.cluster.local.', '5', 'IN', 'A', '10.96.0.50']]);
  const node = new Resolver();
  node.setServers([`127.0.0.1:${port}`]);
  t.same(await node.resolveSrv('_http._tcp.web.dns-test.svc.cluster.local'), [{ name: 'web.dns-test.svc.cluster.local', port: 80, priority: 0, weight: 100 }]);
});

t.test('a headless Service: one A per ready endpoint, hostname records, SRV per endpoint, PTR for endpoints', async (t) => {
  const a = await dig(port, ['db.dns-test.svc.cluster.local', 'A']);
  t.same(rdata(a.answer).sort(), ['10.244.1.5', '10.244.2.6'], 'the not-ready endpoint is not served');
  t.same(rdata((await dig(port, ['db-1.db.dns-test.svc.cluster.local'])).answer), ['10.244.2.6']);
  const srv = await dig(port, ['_pg._tcp.db.dns-test.svc.cluster.local', 'SRV']);
  t.same(rdata(srv.answer).sort(), ['0 50 5432 db-0.db.dns-test.svc.cluster.local.', '0 50 5432 db-1.db.dns-test.svc.cluster.local.']);
  t.same(rdata(srv.additional.filter((f) => f[3] === 'A')).sort(), ['10.244.1.5', '10.244.2.6']);
  t.same(rdata((await dig(port, ['-x', '10.244.2.6'])).answer), ['db-1.db.dns-test.svc.cluster.local.']);
});

t.test('PTR for a Service address; ExternalName is a CNAME followed through the upstream', async (t) => {
  t.same(rdata((await dig(port, ['-x', '10.96.0.50'])).answer), ['web.dns-test.svc.cluster.local.']);
  const ext = await dig(port, ['ext.dns-test.svc.cluster.local', 'A']);
  t.equal(ext.status, 'NOERROR');
  t.same(ext.answer.map((f) => [f[0], f[3], f[4]]), [
    ['ext.dns-test.svc.cluster.local.', 'CNAME', 'www.example.com.'],
    ['www.example.com.', 'A', '192.0.2.10'],
  ]);
  const node = new Resolver();
  node.setServers([`127.0.0.1:${port}`]);
  t.same(await node.resolveCname('ext.dns-test.svc.cluster.local'), ['www.example.com']);
});

t.test('pod records and the schema version', async (t) => {
  t.same(rdata((await dig(port, ['10-244-1-77.dns-test.pod.cluster.local'])).answer), ['10.244.1.77']);
  t.same(rdata((await dig(port, ['dns-version.cluster.local', 'TXT'])).answer), ['"1.1.0"']);
});

t.test('negative answers as CoreDNS gives them: NXDOMAIN and NODATA, each with the zone SOA', async (t) => {
  const nx = await dig(port, ['nope.dns-test.svc.cluster.local', 'A']);
  t.equal(nx.status, 'NXDOMAIN');
  t.same(nx.answer, []);
  t.equal(nx.authority.length, 1);
  const soa = nx.authority[0];
  t.same([soa[0], soa[1], soa[2], soa[3], soa[4], soa[5]], ['cluster.local.', '5', 'IN', 'SOA', 'ns.dns.cluster.local.', 'hostmaster.cluster.local.']);
  t.same(soa.slice(7), ['7200', '1800', '86400', '5'], 'refresh, retry, expire, minimum');
  t.ok(Number(soa[6]) > 1_600_000_000, 'the serial is the time of the last change');
  t.equal((await dig(port, ['web.nonamespace.svc.cluster.local'])).status, 'NXDOMAIN');
  for (const [name, type] of [
    ['web.dns-test.svc.cluster.local', 'AAAA'],
    ['web.dns-test.svc.cluster.local', 'MX'],
    ['dns-test.svc.cluster.local', 'A'],
  ]) {
    const r = await dig(port, [name, type]);
    t.equal(r.status, 'NOERROR', `${name} ${type}`);
    t.same(r.answer, []);
    t.same(r.authority.map((f) => f[3]), ['SOA']);
  }
});

t.test('a large answer: truncated over UDP (TC), complete over TCP, which dig falls back to', async (t) => {
  const udp = await dig(port, ['big.dns-test.svc.cluster.local', '+noedns', '+ignore']);
  t.ok(udp.flags.includes('tc'), 'TC set over UDP');
  t.ok(udp.answer.length < 100, `part of the answer over UDP (${udp.answer.length} records)`);
  const edns = await dig(port, ['big.dns-test.svc.cluster.local', '+bufsize=4096', '+ignore']);
  t.ok(edns.answer.length > udp.answer.length, 'EDNS0\'s larger buffer carries more');
  const fallback = await dig(port, ['big.dns-test.svc.cluster.local', '+noedns']);
  t.match(fallback.output, /Truncated, retrying in TCP mode/);
  t.equal(fallback.answer.length, 100, 'all 100 endpoints over TCP');
  t.notOk(fallback.flags.includes('tc'));
  const node = new Resolver();
  node.setServers([`127.0.0.1:${port}`]);
  t.equal((await node.resolve4('big.dns-test.svc.cluster.local')).length, 100, 'Node\'s resolver falls back to TCP too');
});

t.test('a Service created afterwards resolves within a second (served from a watch)', async (t) => {
  await srv.client.create(Resources.services, NS, service('late', { clusterIP: '10.96.0.77', ports: [{ name: 'http', port: 80, protocol: 'TCP' }] }));
  const r = await until('late.dns-test resolves', async () => {
    const d = await dig(port, ['late.dns-test.svc.cluster.local', '+time=1']);
    return d.status === 'NOERROR' && d.answer.length ? d : undefined;
  }, 1000, 20);
  t.same(rdata(r.answer), ['10.96.0.77']);
  await srv.client.delete(Resources.services, NS, 'late');
  await until('late.dns-test is gone', async () => (await dig(port, ['late.dns-test.svc.cluster.local'])).status === 'NXDOMAIN', 1000, 20);
  // A new endpoint of a headless Service too.
  await srv.client.create(Resources.endpointslices, NS, slice('db', 'db-2', [{ ip: '10.244.4.4', hostname: 'db-3' }], [{ name: 'pg', port: 5432 }]));
  await until('db-3 resolves', async () => rdata((await dig(port, ['db-3.db.dns-test.svc.cluster.local'])).answer)[0] === '10.244.4.4', 1000, 20);
});

t.test('other names are forwarded to the upstream and cached: the second query does not reach it', async (t) => {
  upstream.set('cached.example.com', [{ type: 'A', data: '192.0.2.20', ttl: 300 }]);
  const first = await dig(port, ['cached.example.com', 'A']);
  const second = await dig(port, ['cached.example.com', 'A']);
  t.same(rdata(first.answer), ['192.0.2.20']);
  t.same(rdata(second.answer), ['192.0.2.20']);
  t.ok(Number(second.answer[0][1]) <= 30, 'the TTL is capped at the cache\'s 30 s');
  t.ok(first.flags.includes('ra'), 'the upstream\'s recursion-available bit comes through');
  t.equal(upstream.count('cached.example.com'), 1, 'asked upstream once');
  // NXDOMAIN from upstream comes back with its SOA, and is cached as well.
  const nx1 = await dig(port, ['nothing.example.org', 'A']);
  const nx2 = await dig(port, ['nothing.example.org', 'A']);
  t.equal(nx1.status, 'NXDOMAIN');
  t.equal(nx2.status, 'NXDOMAIN');
  t.same(nx2.authority.map((f) => f[3]), ['SOA']);
  t.equal(upstream.count('nothing.example.org'), 1, 'the denial is cached');
  // A reverse name the cluster does not know falls through to the upstream.
  await dig(port, ['-x', '192.0.2.99']);
  t.equal(upstream.count('99.2.0.192.in-addr.arpa', 'PTR'), 1);
  // Large upstream answers: truncated over UDP, fetched over TCP when the client asks again.
  upstream.setMany('many.example.net', 80);
  const many = await dig(port, ['many.example.net', '+noedns']);
  t.equal(many.answer.length, 80);
});

t.test('malformed queries get FORMERR (unknown opcodes NOTIMP) and the server keeps answering', async (t) => {
  const sock = dgram.createSocket('udp4');
  t.teardown(() => sock.close());
  const ask = (msg: Buffer) =>
    new Promise<Buffer>((resolve) => {
      sock.once('message', (m) => resolve(m));
      sock.send(msg, port, '127.0.0.1');
    });
  // A header promising one question, then bytes that are no question.
  const garbage = Buffer.concat([Buffer.from([0xbe, 0xef, 0x01, 0x00, 0x00, 0x01, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00]), Buffer.from([0x3f, 0xff, 0x13, 0x37])]);
  const r1 = dnsPacket.decode(await ask(garbage));
  t.equal(r1.id, 0xbeef);
  t.ok(r1.flag_qr, 'a response');
  t.equal((r1 as unknown as { rcode: string }).rcode, 'FORMERR');
  const two = dnsPacket.encode({ id: 7, type: 'query', questions: [{ name: 'a.example', type: 'A' }, { name: 'b.example', type: 'A' }] });
  t.equal((dnsPacket.decode(await ask(two)) as unknown as { rcode: string }).rcode, 'FORMERR', 'two questions');
  const update = dnsPacket.encode({ id: 8, type: 'query', flags: 5 << 11, questions: [{ name: 'a.example', type: 'A' }] });
  t.equal((dnsPacket.decode(await ask(update)) as unknown as { rcode: string }).rcode, 'NOTIMP', 'opcode UPDATE');
  // Bytes too short to be a header, and a stray response, get no reply at all; the next query is answered.
  sock.send(Buffer.from('hi'), port, '127.0.0.1');
  sock.send(dnsPacket.encode({ id: 9, type: 'response', questions: [{ name: 'x.example', type: 'A' }] }), port, '127.0.0.1');
  const ok = dnsPacket.decode(await ask(dnsPacket.encode({ id: 10, type: 'query', flags: dnsPacket.RECURSION_DESIRED, questions: [{ name: 'web.dns-test.svc.cluster.local', type: 'A' }] })));
  t.equal(ok.id, 10);
  t.same(ok.answers?.map((a) => a.type === 'A' && a.data), ['10.96.0.50']);
  // Garbage over TCP as well.
  const tcp = await execa('dig', ['@127.0.0.1', '-p', String(port), '+tcp', '+short', 'web.dns-test.svc.cluster.local']);
  t.equal(String(tcp.stdout).trim(), '10.96.0.50');
});

t.test('metrics on /metrics under CoreDNS\'s names move; /health and /ready answer OK', async (t) => {
  const ports = dns.ports();
  const m = await metrics(ports.metrics);
  const server = `server="dns://127.0.0.1:0"`;
  t.ok(sum(m, 'coredns_dns_requests_total', server, 'proto="udp"', 'family="1"', 'type="A"') > 5);
  t.ok(sum(m, 'coredns_dns_requests_total', 'proto="tcp"') > 0);
  t.ok(sum(m, 'coredns_dns_responses_total', 'rcode="NOERROR"', 'plugin="kubernetes"') > 0);
  t.ok(sum(m, 'coredns_dns_responses_total', 'rcode="NXDOMAIN"', 'plugin="kubernetes"') > 0);
  t.ok(sum(m, 'coredns_dns_responses_total', 'rcode="FORMERR"') >= 2);
  t.ok(sum(m, 'coredns_dns_request_duration_seconds_count') > 5);
  t.ok(sum(m, 'coredns_cache_hits_total', 'type="success"') >= 1);
  t.ok(sum(m, 'coredns_cache_hits_total', 'type="denial"') >= 1);
  t.ok(sum(m, 'coredns_cache_misses_total') >= 2);
  t.ok(sum(m, 'coredns_forward_requests_total', `to="127.0.0.1:${upstreamPort}"`) >= 2);
  t.ok(sum(m, 'coredns_forward_responses_total', 'rcode="NXDOMAIN"') >= 1);
  t.ok(sum(m, 'process_cpu_seconds_total') > 0);
  const health = await fetch(`http://127.0.0.1:${ports.health}/health`);
  t.equal(health.status, 200);
  t.equal(await health.text(), 'OK');
  const ready = await fetch(`http://127.0.0.1:${ports.ready}/ready`);
  t.equal(ready.status, 200);
  t.equal(await ready.text(), 'OK');
});

t.test('until its informers have synced: SERVFAIL for the cluster zone, /ready 503, other names still forwarded', async (t) => {
  // An API server that never answers: the informers cannot list.
  const held = new Set<import('node:net').Socket>();
  const silent = net.createServer((c) => held.add(c));
  await new Promise<void>((r) => silent.listen(0, '127.0.0.1', () => r()));
  const client = new ApiClient({ server: `https://127.0.0.1:${(silent.address() as net.AddressInfo).port}`, ca: srv.client.config.ca });
  const waiting = await startDNS({ ...dnsDefaults, listen: '127.0.0.1:0', upstreams: [`127.0.0.1:${upstreamPort}`], metricsPort: 0, healthPort: 0, readyPort: 0 }, { client });
  t.teardown(async () => {
    // The client first: its hung requests end, so the informers can stop.
    client.close();
    await waiting.close();
    for (const c of held) c.destroy();
    await new Promise<void>((r) => silent.close(() => r()));
  });
  const p = waiting.ports();
  const r = await dig(p.dns, ['web.dns-test.svc.cluster.local']);
  t.equal(r.status, 'SERVFAIL');
  t.same(r.authority.map((f) => f[3]), ['SOA']);
  const ready = await fetch(`http://127.0.0.1:${p.ready}/ready`);
  t.equal(ready.status, 503);
  t.equal(await ready.text(), 'kubernetes');
  t.equal((await fetch(`http://127.0.0.1:${p.health}/health`)).status, 200, 'alive all the same');
  t.same(rdata((await dig(p.dns, ['www.example.com'])).answer), ['192.0.2.10']);
});

t.test('the add-on manifests are objects the API server accepts: coredns Deployment, kube-dns Service at 10.96.0.10', async (t) => {
  const objs = corednsManifests({ image: 'kubets.local/kubets:test' });
  t.same(objs.map((o) => `${o.kind}/${o.metadata.name}`), ['ServiceAccount/coredns', 'ClusterRole/system:coredns', 'ClusterRoleBinding/system:coredns', 'Deployment/coredns', 'Service/kube-dns']);
  for (const obj of objs.filter((o) => o.kind === 'Deployment' || o.kind === 'Service')) {
    const ref = Object.values(Resources).find((r) => r.kind === obj.kind)!;
    await ensure(srv.client, ref, obj);
  }
  const d = await srv.client.get<KubeObject & { spec: { replicas: number; template: { spec: Record<string, any> } } }>(Resources.deployments, 'kube-system', 'coredns');
  t.equal(d.spec.replicas, 2);
  t.equal(d.spec.template.spec.priorityClassName, 'system-cluster-critical');
  t.equal(d.spec.template.spec.affinity.podAntiAffinity.preferredDuringSchedulingIgnoredDuringExecution[0].podAffinityTerm.topologyKey, 'kubernetes.io/hostname');
  t.same(d.spec.template.spec.containers[0].readinessProbe.httpGet, { path: '/ready', port: 8181, scheme: 'HTTP' });
  t.same(d.spec.template.spec.containers[0].command, ['kubets', 'dns']);
  const svc = await srv.client.get<Service>(Resources.services, 'kube-system', 'kube-dns');
  t.equal(svc.spec.clusterIP, '10.96.0.10');
  t.same(svc.spec.ports?.map((p) => `${p.port}/${p.protocol}`), ['53/UDP', '53/TCP', '9153/TCP']);
  // The Service exists at once in DNS, as every kubelet's --cluster-dns expects.
  await until('kube-dns resolves', async () => rdata((await dig(port, ['kube-dns.kube-system.svc.cluster.local'])).answer)[0] === '10.96.0.10', 1000, 20);
});

t.test('kubets dns: flags into the config, serves until SIGTERM; bad flags are usage errors', async (t) => {
  const bad = await execa(process.execPath, [cliPath, 'dns', '--listen', 'nowhere'], { reject: false });
  t.equal(bad.exitCode, 2);
  t.match(String(bad.stderr), /--listen "nowhere": want address:port/);
  const badUpstream = await execa(process.execPath, [cliPath, 'dns', '--upstream', 'dns.example.com:53'], { reject: false });
  t.equal(badUpstream.exitCode, 2);
  t.match(String((await execa(process.execPath, [cliPath, 'dns', '--help'])).stdout), /--cluster-domain/);

  const log = path.join(saDir, 'dns.log');
  for (let attempt = 1; ; attempt++) {
    const reserved = await reservePorts(4);
    const [dnsPort, metricsPort, healthPort, readyPort] = reserved.ports;
    await reserved.release();
    fs.writeFileSync(log, '');
    const out = fs.openSync(log, 'a');
    const child = spawnOwned(process.execPath, [cliPath, 'dns', '--kubeconfig', srv.kubeconfig, '--listen', `127.0.0.1:${dnsPort}`, '--upstream', `127.0.0.1:${upstreamPort}`, '--metrics-port', String(metricsPort), '--health-port', String(healthPort), '--ready-port', String(readyPort), '--ttl', '30'], {
      stdio: ['ignore', out, out],
      env: { ...process.env, KUBETS_LOG_LEVEL: 'warn' },
    });
    fs.closeSync(out);
    const up = await until('kubets dns ready', async () => {
      if (!child.running()) return 'exited';
      const r = await fetch(`http://127.0.0.1:${readyPort}/ready`);
      return r.status === 200 ? 'ready' : undefined;
    }, 30_000, 100);
    if (up === 'exited') {
      if (bindConflict(fs.readFileSync(log, 'utf8')) && attempt < 3) continue;
      t.fail(`kubets dns exited: ${fs.readFileSync(log, 'utf8')}`);
      return;
    }
    const r = await dig(dnsPort, ['web.dns-test.svc.cluster.local']);
    t.same(r.answer, [['web.dns-test.svc.cluster.local.', '30', 'IN', 'A', '10.96.0.50']], '--ttl 30, as kubeadm\'s Corefile has it');
    t.same(rdata((await dig(dnsPort, ['www.example.com'])).answer), ['192.0.2.10']);
    t.match(await (await fetch(`http://127.0.0.1:${metricsPort}/metrics`)).text(), new RegExp(`coredns_dns_requests_total\\{server="dns://127.0.0.1:${dnsPort}",zone=".",view="",proto="udp",family="1",type="A"\\} 2`));
    await stopOwned(child, 'SIGTERM');
    t.equal(child.proc.exitCode, 0, 'a clean exit on SIGTERM');
    return;
  }
});
