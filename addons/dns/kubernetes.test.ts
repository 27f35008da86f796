import t from 'tap';
import type { EndpointSlice } from '../../api/types.js';
import { makeService, makeSlice } from '../../test/fixtures/proxy.js';
import { addressFromReverse, ClusterResolver, dnsSchemaVersion, type RR } from './kubernetes.js';
import { ClusterIndex } from './store.js';

const zone = 'cluster.local';

/** A slice whose endpoints carry hostnames (a StatefulSet's pods under a headless Service with subdomain). */
function withHostnames(slice: EndpointSlice, hostnames: (string | undefined)[]): EndpointSlice {
  slice.endpoints!.forEach((e, i) => (e.hostname = hostnames[i]));
  return slice;
}

function cluster(now = () => 1_700_000_000_000) {
  const index = ClusterIndex.from(
    {
      namespaces: ['default', 'kube-system', 'prod'],
      services: [
        makeService('kubernetes', { clusterIP: '10.96.0.1', ports: [{ name: 'https', port: 443 }] }),
        makeService('web', { clusterIP: '10.96.0.20', ports: [{ name: 'http', port: 80 }, { port: 8080 }, { name: 'dns', port: 53, protocol: 'UDP' }] }),
        makeService('db', { clusterIP: 'None', ports: [{ name: 'pg', port: 5432 }] }),
        makeService('empty', { clusterIP: 'None', ports: [{ name: 'x', port: 1 }] }),
        makeService('ext', { type: 'ExternalName', externalName: 'www.example.com', ports: [] }),
        makeService('alias', { type: 'ExternalName', externalName: 'web.default.svc.cluster.local', ports: [] }),
        makeService('kube-dns', { clusterIP: '10.96.0.10', ports: [{ name: 'dns', port: 53, protocol: 'UDP' }] }, 'kube-system'),
      ],
      slices: [
        withHostnames(makeSlice('db', [{ ip: '10.244.1.5' }, { ip: '10.244.2.6' }, { ip: '10.244.3.7', ready: false }, { ip: '10.244.3.8' }], [{ name: 'pg', port: 5432 }]), ['db-0', 'db-1', 'db-2', undefined]),
        makeSlice('web', [{ ip: '10.244.1.9' }], [{ name: 'http', port: 8080 }]),
        makeSlice('empty', [], [{ name: 'x', port: 1 }]),
        makeSlice('kube-dns', [{ ip: '10.244.1.53' }], [{ name: 'dns', port: 53, protocol: 'UDP' }], { namespace: 'kube-system' }),
      ],
    },
    now,
  );
  return { index, r: new ClusterResolver(index, { zone, ttl: 5, localIPs: ['10.244.1.53'] }) };
}

const data = (rrs: RR[]) => rrs.map((a) => a.data);

t.test('a ClusterIP Service: one A record, its ClusterIP, TTL 5, any case', async (t) => {
  const { r } = cluster();
  const a = r.answer('web.default.svc.cluster.local', 'A');
  t.equal(a.rcode, 'NOERROR');
  t.same(a.answers, [{ type: 'A', name: 'web.default.svc.cluster.local', ttl: 5, class: 'IN', data: '10.96.0.20' }]);
  const upper = r.answer('WEB.Default.SVC.cluster.LOCAL', 'A');
  t.same(data(upper.answers), ['10.96.0.20']);
  t.equal(upper.answers[0].name, 'WEB.Default.SVC.cluster.LOCAL', 'the owner name is the name as asked');
});

t.test('NODATA: a name that exists without records of the type (NOERROR, no answer, the SOA to go with it)', async (t) => {
  const { r } = cluster();
  for (const [name, type] of [
    ['web.default.svc.cluster.local', 'AAAA'],
    ['web.default.svc.cluster.local', 'MX'],
    ['web.default.svc.cluster.local', 'TXT'],
    ['default.svc.cluster.local', 'A'],
    ['svc.cluster.local', 'A'],
    ['pod.cluster.local', 'A'],
    ['cluster.local', 'A'],
    ['web.default.svc.cluster.local', 'SOA'],
  ] as const) {
    const a = r.answer(name, type);
    t.equal(a.rcode, 'NOERROR', `${name} ${type}`);
    t.same(a.answers, [], `${name} ${type}: no answer`);
    t.equal(a.soa?.type, 'SOA');
  }
});

t.test('NXDOMAIN with the SOA: no such Service, namespace, subdomain or shape', async (t) => {
  const { r } = cluster();
  for (const name of ['nope.default.svc.cluster.local', 'web.nons.svc.cluster.local', 'nons.svc.cluster.local', 'foo.cluster.local', 'a.b.c.web.default.svc.cluster.local', '_http._udp.web.default.svc.cluster.local', 'empty.default.svc.cluster.local']) {
    const a = r.answer(name, 'A');
    t.equal(a.rcode, 'NXDOMAIN', name);
    t.same(a.answers, []);
    t.same(a.soa?.data, { mname: 'ns.dns.cluster.local', rname: 'hostmaster.cluster.local', serial: 1_700_000_000, refresh: 7200, retry: 1800, expire: 86400, minimum: 5 });
    t.equal(a.soa?.name, 'cluster.local');
    t.equal(a.soa?.ttl, 5);
  }
  t.equal(r.answer('nons.svc.cluster.local', 'TXT').rcode, 'NXDOMAIN');
});

t.test('the SOA serial is the time of the last change to the cluster', async (t) => {
  let now = 1_700_000_000_000;
  const { index, r } = cluster(() => now);
  t.equal(r.soa('cluster.local').data.serial, 1_700_000_000);
  now += 60_000;
  index.setService(makeService('new', { clusterIP: '10.96.0.99', ports: [{ port: 80 }] }));
  t.equal(r.soa('cluster.local').data.serial, 1_700_000_060);
  t.same(data(r.answer('new.default.svc.cluster.local', 'A').answers), ['10.96.0.99'], 'a Service added later answers at once');
  index.deleteService(makeService('new', { clusterIP: '10.96.0.99', ports: [{ port: 80 }] }));
  t.equal(r.answer('new.default.svc.cluster.local', 'A').rcode, 'NXDOMAIN');
});

t.test('SRV for a named port: the Service name as target, its A in the additional section', async (t) => {
  const { r } = cluster();
  const a = r.answer('_http._tcp.web.default.svc.cluster.local', 'SRV');
  t.same(a.answers, [{ type: 'SRV', name: '_http._tcp.web.default.svc.cluster.local', ttl: 5, class: 'IN', data: { priority: 0, weight: 100, port: 80, target: 'web.default.svc.cluster.local' } }]);
  t.same(a.additionals, [{ type: 'A', name: 'web.default.svc.cluster.local', ttl: 5, class: 'IN', data: '10.96.0.20' }]);
  t.same(r.answer('_dns._udp.web.default.svc.cluster.local', 'SRV').answers.map((x) => (x.data as { port: number }).port), [53]);
  t.equal(r.answer('_dns._tcp.web.default.svc.cluster.local', 'SRV').rcode, 'NXDOMAIN', 'the protocol must match');
  // The Service's own name lists every port, unnamed ones too, sharing the weight.
  const all = r.answer('web.default.svc.cluster.local', 'SRV');
  t.same(all.answers.map((x) => x.data), [80, 8080, 53].map((port) => ({ priority: 0, weight: 33, port, target: 'web.default.svc.cluster.local' })));
  t.same(data(r.answer('_http._tcp.web.default.svc.cluster.local', 'A').answers), ['10.96.0.20'], 'the SRV name has the address too');
});

t.test('a headless Service: one A per ready endpoint, hostname records, SRV per endpoint', async (t) => {
  const { r } = cluster();
  t.same(data(r.answer('db.default.svc.cluster.local', 'A').answers), ['10.244.1.5', '10.244.2.6', '10.244.3.8'], 'the not-ready endpoint is left out');
  t.same(data(r.answer('db-1.db.default.svc.cluster.local', 'A').answers), ['10.244.2.6']);
  t.same(data(r.answer('10-244-3-8.db.default.svc.cluster.local', 'A').answers), ['10.244.3.8'], 'an endpoint without hostname is named by its address');
  t.equal(r.answer('db-2.db.default.svc.cluster.local', 'A').rcode, 'NXDOMAIN', 'a not-ready endpoint has no name');
  const srv = r.answer('_pg._tcp.db.default.svc.cluster.local', 'SRV');
  t.same(srv.answers.map((x) => x.data), ['db-0', 'db-1', '10-244-3-8'].map((h) => ({ priority: 0, weight: 33, port: 5432, target: `${h}.db.default.svc.cluster.local` })));
  t.same(srv.additionals.map((x) => [x.name, x.data]), [
    ['db-0.db.default.svc.cluster.local', '10.244.1.5'],
    ['db-1.db.default.svc.cluster.local', '10.244.2.6'],
    ['10-244-3-8.db.default.svc.cluster.local', '10.244.3.8'],
  ]);
  // The spec: a headless Service without ready endpoints does not exist.
  t.equal(r.answer('empty.default.svc.cluster.local', 'A').rcode, 'NXDOMAIN');
});

t.test('an endpoint of a ClusterIP Service is reachable by name too (CoreDNS answers it)', async (t) => {
  const { r } = cluster();
  t.same(data(r.answer('10-244-1-9.web.default.svc.cluster.local', 'A').answers), ['10.244.1.9']);
});

t.test('ExternalName: a CNAME; targets outside the zone are left for the server to look up, inside it resolved here', async (t) => {
  const { r } = cluster();
  const a = r.answer('ext.default.svc.cluster.local', 'A');
  t.equal(a.rcode, 'NOERROR');
  t.same(a.answers, []);
  t.same(a.chase, [{ cname: { type: 'CNAME', name: 'ext.default.svc.cluster.local', ttl: 5, class: 'IN', data: 'www.example.com' }, target: 'www.example.com', type: 'A' }]);
  t.same(r.answer('ext.default.svc.cluster.local', 'CNAME').answers, [{ type: 'CNAME', name: 'ext.default.svc.cluster.local', ttl: 5, class: 'IN', data: 'www.example.com' }]);
  const alias = r.answer('alias.default.svc.cluster.local', 'A');
  t.same(alias.answers.map((x) => [x.type, x.data]), [['CNAME', 'web.default.svc.cluster.local'], ['A', '10.96.0.20']]);
  t.same(r.answer('ext.default.svc.cluster.local', 'SRV').answers, [], 'an ExternalName has no SRV');
  t.equal(r.answer('_http._tcp.ext.default.svc.cluster.local', 'A').rcode, 'NXDOMAIN');
});

t.test('PTR: a Service address names the Service; an endpoint address its hostname under the Service', async (t) => {
  const { r } = cluster();
  t.same(r.reverse('20.0.96.10.in-addr.arpa')?.answers, [{ type: 'PTR', name: '20.0.96.10.in-addr.arpa', ttl: 5, class: 'IN', data: 'web.default.svc.cluster.local' }]);
  t.same(data(r.reverse('6.2.244.10.in-addr.arpa')!.answers), ['db-1.db.default.svc.cluster.local']);
  t.same(data(r.reverse('8.3.244.10.in-addr.arpa')!.answers), ['10-244-3-8.db.default.svc.cluster.local']);
  t.equal(r.reverse('9.9.9.9.in-addr.arpa'), undefined, 'an address the cluster does not know falls through');
  t.equal(r.reverse('0.96.10.in-addr.arpa'), undefined);
  t.equal(addressFromReverse('1.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.8.b.d.0.1.0.0.2.ip6.arpa'), '2001:db8::1');
  t.equal(addressFromReverse('4.3.2.1.in-addr.arpa'), '1.2.3.4');
  t.equal(addressFromReverse('x.3.2.1.in-addr.arpa'), undefined);
});

t.test('pods insecure: a-b-c-d.<ns>.pod.<zone> is that address in any namespace that exists', async (t) => {
  const { r } = cluster();
  t.same(r.answer('10-244-1-77.default.pod.cluster.local', 'A').answers, [{ type: 'A', name: '10-244-1-77.default.pod.cluster.local', ttl: 5, class: 'IN', data: '10.244.1.77' }]);
  t.same(data(r.answer('fd00--1.prod.pod.cluster.local', 'AAAA').answers), ['fd00::1']);
  t.equal(r.answer('10-244-1-77.nons.pod.cluster.local', 'A').rcode, 'NXDOMAIN');
  t.equal(r.answer('not-an-ip.default.pod.cluster.local', 'A').rcode, 'NXDOMAIN');
  t.equal(r.answer('10-244-1-77.default.pod.cluster.local', 'AAAA').rcode, 'NOERROR');
});

t.test('dns-version TXT, the zone SOA, NS naming the DNS Service, AXFR refused', async (t) => {
  const { r } = cluster();
  t.same(r.answer('dns-version.cluster.local', 'TXT').answers, [{ type: 'TXT', name: 'dns-version.cluster.local', ttl: 28800, class: 'IN', data: dnsSchemaVersion }]);
  t.equal(dnsSchemaVersion, '1.1.0');
  t.same(r.answer('cluster.local', 'SOA').answers.map((x) => x.type), ['SOA']);
  const ns = r.answer('cluster.local', 'NS');
  t.same(ns.answers, [{ type: 'NS', name: 'cluster.local', ttl: 5, class: 'IN', data: 'kube-dns.kube-system.svc.cluster.local' }]);
  t.same(ns.additionals.map((x) => [x.name, x.data]), [['kube-dns.kube-system.svc.cluster.local', '10.96.0.10']]);
  t.same(data(r.answer('ns.dns.cluster.local', 'A').answers), ['10.96.0.10']);
  const alone = new ClusterResolver(ClusterIndex.from({ namespaces: ['default'] }), { zone, ttl: 5, localIPs: ['192.0.2.1'] });
  t.same(data(alone.answer('cluster.local', 'NS').answers), ['ns.dns.cluster.local'], 'outside a cluster Service: its own address');
  t.equal(r.answer('cluster.local', 'AXFR').rcode, 'REFUSED');
});

t.test('the store follows updates: slices replaced, not-ready endpoints dropped, slices without a Service ignored', async (t) => {
  const { index, r } = cluster();
  index.setSlice(makeSlice('db', [{ ip: '10.244.9.9' }], [{ name: 'pg', port: 5432 }]));
  t.same(data(r.answer('db.default.svc.cluster.local', 'A').answers), ['10.244.9.9']);
  t.equal(r.reverse('5.1.244.10.in-addr.arpa'), undefined, 'the replaced slice\'s addresses are gone from the reverse index');
  const orphan = makeSlice('db', [{ ip: '10.244.8.8' }], [], { sliceName: 'orphan' });
  delete orphan.metadata.labels;
  index.setSlice(orphan);
  t.equal(r.reverse('8.8.244.10.in-addr.arpa'), undefined);
  const extra = makeSlice('db', [{ ip: '10.244.7.7' }], [], { sliceName: 'db-extra' });
  index.setSlice(extra);
  t.same(data(r.answer('db.default.svc.cluster.local', 'A').answers), ['10.244.9.9', '10.244.7.7'], 'addresses from every slice of the Service');
  t.same(r.answer('_pg._tcp.db.default.svc.cluster.local', 'SRV').answers.length, 1, 'a slice without ports makes no SRV');
  index.deleteSlice(extra);
  index.deleteNamespace({ metadata: { name: 'prod' } });
  t.equal(r.answer('10-0-0-1.prod.pod.cluster.local', 'A').rcode, 'NXDOMAIN');
});
