import t from 'tap';
import { makeService, makeSlice } from '../../../test/fixtures/proxy.js';
import { until } from '../../../test/until.js';
import { ProxyMetrics } from '../metrics.js';
import { servicePortChainNameBase as svcBase, servicePortEndpointChainNameBase as epBase } from './chains.js';
import { cleanupLeftovers } from './cleanup.js';
import { FakeExec } from './fakeexec.js';
import { NftablesProxier } from './proxier.js';

function newProxier(fake: FakeExec, extra: Partial<ConstructorParameters<typeof NftablesProxier>[0]> = {}) {
  return new NftablesProxier({
    exec: fake.exec,
    nodeName: 'worker1',
    clusterCIDR: '10.244.0.0/16',
    nodePortAddresses: ['192.168.56.11'],
    serviceCIDRs: ['10.96.0.0/12'],
    ...extra,
  });
}

const web = () => makeService('web', { type: 'NodePort', clusterIP: '10.96.0.50', ports: [{ name: 'http', port: 80, targetPort: 8080, nodePort: 30080 }] });
const webSlice = (ips: string[]) => makeSlice('web', ips.map((ip, i) => ({ ip, node: `worker${i + 1}` })), [{ name: 'http', port: 8080 }]);
const start = (p: NftablesProxier) => {
  p.onServiceSynced();
  p.onEndpointSlicesSynced();
};
/** The document's lines that mention a name, without the `ip kube-proxy` noise. */
const linesWith = (doc: string, s: string) => doc.split('\n').filter((l) => l.includes(s));

const WEB = 'SUSTUHLJ-default/web/tcp/http';
const EP1 = 'HGNPOIJ5-default/web/tcp/http__10.244.1.5/8080';
const EP2 = 'LRPR4IZA-default/web/tcp/http__10.244.2.6/8080';

t.test('names follow kube-proxy: HASH-ns/svc/proto/port, endpoints add __ip/port', async (t) => {
  // kube-proxy's own expectations (pkg/proxy/nftables/proxier_test.go).
  t.equal(svcBase({ namespace: 'ns1', name: 'svc1', protocol: 'tcp', port: 'p80' }), 'ULMVA6XW-ns1/svc1/tcp/p80');
  t.equal(svcBase({ namespace: 'ns2', name: 'svc2', protocol: 'tcp', port: 'p80' }), '42NFTM6N-ns2/svc2/tcp/p80');
  t.equal(epBase({ namespace: 'ns1', name: 'svc1', protocol: 'tcp', port: 'p80' }, '10.180.0.1:80'), '5OJB2KTY-ns1/svc1/tcp/p80__10.180.0.1/80');
  t.equal(epBase({ namespace: 'ns5', name: 'svc5', protocol: 'tcp', port: 'p80' }, '10.180.0.3:80'), 'GTK6MW7G-ns5/svc5/tcp/p80__10.180.0.3/80');
  t.equal(svcBase({ namespace: 'default', name: 'web', protocol: 'tcp', port: 'http' }), WEB);
});

t.test('nothing is written until both Services and EndpointSlices are synced', async (t) => {
  const fake = new FakeExec();
  const p = newProxier(fake);
  p.onServiceAdd(web());
  p.onServiceSynced();
  await p.syncProxyRules();
  t.same(fake.calls, [], 'no command before EndpointSlices are synced');
  p.onEndpointSlicesSynced();
  await p.syncProxyRules();
  t.equal(fake.runs().length, 1);
});

t.test("the first sync writes kube-proxy's whole table in one transaction", async (t) => {
  const fake = new FakeExec();
  const p = newProxier(fake);
  p.onServiceAdd(web());
  p.onEndpointSliceAdd(webSlice(['10.244.1.5', '10.244.2.6']));
  p.onServiceAdd(makeService('empty', { clusterIP: '10.96.0.60', ports: [{ port: 80 }] }));
  start(p);
  await p.syncProxyRules();
  t.same(fake.commands('nft'), [['--json', 'list', 'chains', 'ip'], ['--json', 'list', 'sets', 'ip'], ['-f', '-']], 'two listings, then one transaction');
  const expected = [
    'add table ip kube-proxy { comment "rules for kube-proxy" ; }',
    // Recreated once per process, so a changed hook or priority takes effect.
    ...['filter-forward', 'filter-input', 'filter-output', 'nat-output', 'nat-postrouting', 'nat-prerouting'].flatMap((c) => [`add chain ip kube-proxy ${c}`, `delete chain ip kube-proxy ${c}`]),
    'add chain ip kube-proxy filter-forward { type filter hook forward priority 0 ; }',
    'flush chain ip kube-proxy filter-forward',
    'add chain ip kube-proxy filter-input { type filter hook input priority 0 ; }',
    'flush chain ip kube-proxy filter-input',
    'add chain ip kube-proxy filter-output { type filter hook output priority 0 ; }',
    'flush chain ip kube-proxy filter-output',
    'add chain ip kube-proxy nat-output { type nat hook output priority -100 ; }',
    'flush chain ip kube-proxy nat-output',
    'add chain ip kube-proxy nat-postrouting { type nat hook postrouting priority 100 ; }',
    'flush chain ip kube-proxy nat-postrouting',
    'add chain ip kube-proxy nat-prerouting { type nat hook prerouting priority -100 ; }',
    'flush chain ip kube-proxy nat-prerouting',
    'add chain ip kube-proxy nodeport-endpoints-check',
    'flush chain ip kube-proxy nodeport-endpoints-check',
    'add rule ip kube-proxy filter-input ct state new jump nodeport-endpoints-check',
    'add chain ip kube-proxy service-endpoints-check',
    'flush chain ip kube-proxy service-endpoints-check',
    'add rule ip kube-proxy filter-input ct state new jump service-endpoints-check',
    'add rule ip kube-proxy filter-forward ct state new jump service-endpoints-check',
    'add rule ip kube-proxy filter-output ct state new jump service-endpoints-check',
    'add chain ip kube-proxy services',
    'flush chain ip kube-proxy services',
    'add rule ip kube-proxy nat-output jump services',
    'add rule ip kube-proxy nat-prerouting jump services',
    'add chain ip kube-proxy masquerading',
    'flush chain ip kube-proxy masquerading',
    'add rule ip kube-proxy nat-postrouting jump masquerading',
    'add chain ip kube-proxy cluster-ips-check',
    'flush chain ip kube-proxy cluster-ips-check',
    'add rule ip kube-proxy filter-forward ct state new jump cluster-ips-check',
    'add rule ip kube-proxy filter-output ct state new jump cluster-ips-check',
    'add chain ip kube-proxy mark-for-masquerade',
    'flush chain ip kube-proxy mark-for-masquerade',
    'add rule ip kube-proxy mark-for-masquerade mark set mark or 0x004000',
    'add rule ip kube-proxy masquerading mark and 0x004000 == 0 return',
    'add rule ip kube-proxy masquerading mark set mark xor 0x004000',
    'add rule ip kube-proxy masquerading masquerade fully-random',
    'add set ip kube-proxy cluster-ips { type ipv4_addr ; comment "Active ClusterIPs" ; }',
    'add rule ip kube-proxy cluster-ips-check ip daddr @cluster-ips reject comment "Reject traffic to invalid ports of ClusterIPs"',
    'add rule ip kube-proxy cluster-ips-check ip daddr { 10.96.0.0/12 } drop comment "Drop traffic to unallocated ClusterIPs"',
    'add set ip kube-proxy nodeport-ips { type ipv4_addr ; comment "IPs that accept NodePort traffic" ; }',
    'flush set ip kube-proxy nodeport-ips',
    'add element ip kube-proxy nodeport-ips { 192.168.56.11 }',
    'add map ip kube-proxy no-endpoint-services { type ipv4_addr . inet_proto . inet_service : verdict ; comment "vmap to drop or reject packets to services with no endpoints" ; }',
    'add map ip kube-proxy no-endpoint-nodeports { type inet_proto . inet_service : verdict ; comment "vmap to drop or reject packets to service nodeports with no endpoints" ; }',
    'add chain ip kube-proxy reject-chain { comment "helper for @no-endpoint-services / @no-endpoint-nodeports" ; }',
    'flush chain ip kube-proxy reject-chain',
    'add rule ip kube-proxy reject-chain reject',
    'add rule ip kube-proxy service-endpoints-check ip daddr . meta l4proto . th dport vmap @no-endpoint-services',
    'add rule ip kube-proxy nodeport-endpoints-check ip daddr @nodeport-ips meta l4proto . th dport vmap @no-endpoint-nodeports',
    'add map ip kube-proxy service-ips { type ipv4_addr . inet_proto . inet_service : verdict ; comment "ClusterIP, ExternalIP and LoadBalancer IP traffic" ; }',
    'add map ip kube-proxy service-nodeports { type inet_proto . inet_service : verdict ; comment "NodePort traffic" ; }',
    'add rule ip kube-proxy services ip daddr . meta l4proto . th dport vmap @service-ips',
    'add rule ip kube-proxy services ip daddr @nodeport-ips meta l4proto . th dport vmap @service-nodeports',
    'flush set ip kube-proxy cluster-ips',
    'flush map ip kube-proxy service-ips',
    'flush map ip kube-proxy service-nodeports',
    'flush map ip kube-proxy no-endpoint-services',
    'flush map ip kube-proxy no-endpoint-nodeports',
    // default/empty: no endpoints, so no chains; its ClusterIP port is rejected.
    'add element ip kube-proxy cluster-ips { 10.96.0.60 }',
    'add element ip kube-proxy no-endpoint-services { 10.96.0.60 . tcp . 80 comment "default/empty" : goto reject-chain }',
    // default/web:http
    `add chain ip kube-proxy endpoint-${EP1}`,
    `flush chain ip kube-proxy endpoint-${EP1}`,
    `add chain ip kube-proxy endpoint-${EP2}`,
    `flush chain ip kube-proxy endpoint-${EP2}`,
    `add chain ip kube-proxy service-${WEB}`,
    `flush chain ip kube-proxy service-${WEB}`,
    `add chain ip kube-proxy external-${WEB}`,
    `flush chain ip kube-proxy external-${WEB}`,
    'add element ip kube-proxy cluster-ips { 10.96.0.50 }',
    `add element ip kube-proxy service-ips { 10.96.0.50 . tcp . 80 : goto service-${WEB} }`,
    `add element ip kube-proxy service-nodeports { tcp . 30080 : goto external-${WEB} }`,
    `add rule ip kube-proxy service-${WEB} ip daddr 10.96.0.50 ip saddr != 10.244.0.0/16 jump mark-for-masquerade`,
    `add rule ip kube-proxy external-${WEB} jump mark-for-masquerade`,
    `add rule ip kube-proxy external-${WEB} goto service-${WEB}`,
    `add rule ip kube-proxy service-${WEB} numgen random mod 2 vmap { 0 : goto endpoint-${EP1} , 1 : goto endpoint-${EP2} }`,
    `add rule ip kube-proxy endpoint-${EP1} ip saddr 10.244.1.5 jump mark-for-masquerade`,
    `add rule ip kube-proxy endpoint-${EP1} meta l4proto tcp dnat to 10.244.1.5:8080`,
    `add rule ip kube-proxy endpoint-${EP2} ip saddr 10.244.2.6 jump mark-for-masquerade`,
    `add rule ip kube-proxy endpoint-${EP2} meta l4proto tcp dnat to 10.244.2.6:8080`,
    '',
  ].join('\n');
  t.equal(fake.lastRun(), expected);
});

t.test('NodePorts on every local address when no node-port addresses are given', async (t) => {
  const fake = new FakeExec();
  const p = newProxier(fake, { nodePortAddresses: [] });
  start(p);
  await p.syncProxyRules();
  const doc = fake.lastRun();
  t.match(doc, 'add set ip kube-proxy nodeport-ips { type ipv4_addr ; comment "IPs that accept NodePort traffic" ; }\ndelete set ip kube-proxy nodeport-ips\n', 'the set is made sure not to exist');
  t.match(doc, 'add rule ip kube-proxy services fib daddr type local ip daddr != 127.0.0.0/8 meta l4proto . th dport vmap @service-nodeports\n');
  t.match(doc, 'add rule ip kube-proxy nodeport-endpoints-check ip daddr != 127.0.0.0/8 meta l4proto . th dport vmap @no-endpoint-nodeports\n');
});

t.test('a partial sync rewrites only the changed service and writes only changed elements', async (t) => {
  const fake = new FakeExec();
  const p = newProxier(fake);
  const other = makeService('other', { clusterIP: '10.96.0.70', ports: [{ port: 80 }] });
  p.onServiceAdd(web());
  p.onServiceAdd(other);
  p.onEndpointSliceAdd(webSlice(['10.244.1.5']));
  p.onEndpointSliceAdd(makeSlice('other', [{ ip: '10.244.3.3' }], [{ port: 80 }]));
  start(p);
  await p.syncProxyRules();
  fake.reset();

  // Nothing changed: no transaction at all.
  await p.syncProxyRules();
  t.same(fake.calls, [], 'an idle sync runs no command');

  p.onEndpointSliceUpdate(webSlice(['10.244.1.5']), webSlice(['10.244.1.5', '10.244.2.6']));
  await p.syncProxyRules();
  t.same(fake.commands('nft'), [['-f', '-']], 'no listing on a partial sync');
  t.equal(
    fake.lastRun(),
    [
      `add chain ip kube-proxy endpoint-${EP1}`,
      `flush chain ip kube-proxy endpoint-${EP1}`,
      `add chain ip kube-proxy endpoint-${EP2}`,
      `flush chain ip kube-proxy endpoint-${EP2}`,
      `add chain ip kube-proxy service-${WEB}`,
      `flush chain ip kube-proxy service-${WEB}`,
      `add chain ip kube-proxy external-${WEB}`,
      `flush chain ip kube-proxy external-${WEB}`,
      `add rule ip kube-proxy service-${WEB} ip daddr 10.96.0.50 ip saddr != 10.244.0.0/16 jump mark-for-masquerade`,
      `add rule ip kube-proxy external-${WEB} jump mark-for-masquerade`,
      `add rule ip kube-proxy external-${WEB} goto service-${WEB}`,
      `add rule ip kube-proxy service-${WEB} numgen random mod 2 vmap { 0 : goto endpoint-${EP1} , 1 : goto endpoint-${EP2} }`,
      `add rule ip kube-proxy endpoint-${EP1} ip saddr 10.244.1.5 jump mark-for-masquerade`,
      `add rule ip kube-proxy endpoint-${EP1} meta l4proto tcp dnat to 10.244.1.5:8080`,
      `add rule ip kube-proxy endpoint-${EP2} ip saddr 10.244.2.6 jump mark-for-masquerade`,
      `add rule ip kube-proxy endpoint-${EP2} meta l4proto tcp dnat to 10.244.2.6:8080`,
      '',
    ].join('\n'),
    'the elements were already right; default/other is not mentioned',
  );

  // The service loses its endpoints: its map elements switch to REJECT, its chains are flushed (deleted later).
  fake.reset();
  p.onEndpointSliceDelete(webSlice(['10.244.1.5', '10.244.2.6']));
  await p.syncProxyRules();
  t.equal(
    fake.lastRun(),
    [
      `add element ip kube-proxy no-endpoint-services { 10.96.0.50 . tcp . 80 comment "default/web:http" : goto reject-chain }`,
      `add element ip kube-proxy no-endpoint-nodeports { tcp . 30080 comment "default/web:http" : goto reject-chain }`,
      `flush chain ip kube-proxy endpoint-${EP1}`,
      `flush chain ip kube-proxy endpoint-${EP2}`,
      `flush chain ip kube-proxy service-${WEB}`,
      `flush chain ip kube-proxy external-${WEB}`,
      'delete element ip kube-proxy service-ips { 10.96.0.50 . tcp . 80 }',
      'delete element ip kube-proxy service-nodeports { tcp . 30080 }',
      '',
    ].join('\n'),
  );
});

t.test('stale chains are deleted a second later, in a transaction of their own', async (t) => {
  const fake = new FakeExec();
  let now = 1_000_000;
  const p = newProxier(fake, { now: () => now });
  const slice = webSlice(['10.244.1.5']);
  p.onServiceAdd(web());
  p.onEndpointSliceAdd(slice);
  start(p);
  await p.syncProxyRules();
  p.onEndpointSliceDelete(slice);
  await p.syncProxyRules();
  t.same(linesWith(fake.lastRun(), 'delete chain'), [], 'flushed, not deleted yet');
  t.ok(fake.chains.has(`endpoint-${EP1}`));

  fake.reset();
  now += 500;
  await p.syncProxyRules();
  t.same(fake.calls, [], 'half a second later: nothing to do yet');

  now += 500;
  await p.syncProxyRules();
  t.equal(
    fake.lastRun(),
    [`delete chain ip kube-proxy endpoint-${EP1}`, `delete chain ip kube-proxy service-${WEB}`, `delete chain ip kube-proxy external-${WEB}`, ''].join('\n'),
  );
  t.same([...fake.chains].filter((c) => c.includes('/')), [], 'no per-service chain left');

  // A chain left behind by an earlier process is found by the next full sync and goes the same way.
  fake.chains.add('service-AAAAAAAA-gone/svc/tcp/p80');
  const q = newProxier(fake, { now: () => now });
  start(q);
  fake.reset();
  await q.syncProxyRules();
  t.match(fake.lastRun(), '\nflush chain ip kube-proxy service-AAAAAAAA-gone/svc/tcp/p80\n');
  now += 1000;
  await q.syncProxyRules();
  t.equal(fake.lastRun(), 'delete chain ip kube-proxy service-AAAAAAAA-gone/svc/tcp/p80\n');
});

t.test('a failed transaction makes the next sync a full one that still has the consumed change', async (t) => {
  const fake = new FakeExec();
  const metrics = new ProxyMetrics();
  const p = newProxier(fake, { metrics });
  p.onServiceAdd(web());
  start(p);
  await p.syncProxyRules();
  fake.failRun = true;
  p.onEndpointSliceAdd(webSlice(['10.244.1.5']));
  await p.syncProxyRules();
  t.equal((await metrics.nftablesSyncFailuresTotal.get()).values[0]?.value, 1);
  fake.failRun = false;
  fake.reset();
  await p.syncProxyRules();
  t.same(fake.commands('nft').slice(0, 2), [['--json', 'list', 'chains', 'ip'], ['--json', 'list', 'sets', 'ip']], 'the kernel is listed again');
  const doc = fake.lastRun();
  t.match(doc, 'flush map ip kube-proxy service-ips\n', 'maps are rewritten from scratch');
  t.notMatch(doc, 'delete chain ip kube-proxy filter-', 'base chains are recreated only once per process');
  t.match(doc, 'dnat to 10.244.1.5:8080');
});

t.test('externalTrafficPolicy Local: external traffic to local endpoints only; pods and the node short-circuit', async (t) => {
  const fake = new FakeExec();
  const p = newProxier(fake);
  const svc = makeService('lb', {
    type: 'LoadBalancer',
    externalTrafficPolicy: 'Local',
    healthCheckNodePort: 32000,
    clusterIP: '10.96.0.80',
    externalIPs: ['192.168.99.1'],
    ports: [{ name: 'http', port: 80, nodePort: 30081 }],
  });
  p.onServiceAdd(svc);
  p.onEndpointSliceAdd(makeSlice('lb', [{ ip: '10.244.1.5', node: 'worker1' }, { ip: '10.244.2.6', node: 'worker2' }], [{ name: 'http', port: 80 }]));
  start(p);
  await p.syncProxyRules();
  const base = svcBase({ namespace: 'default', name: 'lb', protocol: 'tcp', port: 'http' });
  const local = epBase({ namespace: 'default', name: 'lb', protocol: 'tcp', port: 'http' }, '10.244.1.5:80');
  const doc = fake.lastRun();
  t.same(linesWith(doc, `add rule ip kube-proxy external-${base}`), [
    `add rule ip kube-proxy external-${base} ip saddr 10.244.0.0/16 goto service-${base} comment "short-circuit pod traffic"`,
    `add rule ip kube-proxy external-${base} fib saddr type local jump mark-for-masquerade comment "masquerade local traffic"`,
    `add rule ip kube-proxy external-${base} fib saddr type local goto service-${base} comment "short-circuit local traffic"`,
    `add rule ip kube-proxy external-${base} goto local-${base}`,
  ]);
  t.same(linesWith(doc, `add rule ip kube-proxy local-${base}`), [`add rule ip kube-proxy local-${base} numgen random mod 1 vmap { 0 : goto endpoint-${local} }`]);
  t.match(doc, `add element ip kube-proxy service-ips { 192.168.99.1 . tcp . 80 : goto external-${base} }`);
  t.match(doc, /service-[^ ]+lb\/tcp\/http numgen random mod 2 /, 'the ClusterIP still balances over every endpoint');

  // No local endpoint: external destinations drop (not reject); the ClusterIP keeps working.
  p.onEndpointSliceUpdate(webSlice([]), makeSlice('lb', [{ ip: '10.244.2.6', node: 'worker2' }], [{ name: 'http', port: 80 }]));
  await p.syncProxyRules();
  const doc2 = fake.lastRun();
  t.match(doc2, 'add element ip kube-proxy no-endpoint-services { 192.168.99.1 . tcp . 80 comment "default/lb:http" : drop }');
  t.match(doc2, 'add element ip kube-proxy no-endpoint-nodeports { tcp . 30081 comment "default/lb:http" : drop }');
  t.notMatch(doc2, 'no-endpoint-services { 10.96.0.80 ');
  t.notMatch(doc2, `add rule ip kube-proxy external-${base} goto local-`);
});

t.test('internalTrafficPolicy Local without a local endpoint drops ClusterIP traffic', async (t) => {
  const fake = new FakeExec();
  const p = newProxier(fake);
  p.onServiceAdd(makeService('itp', { internalTrafficPolicy: 'Local', clusterIP: '10.96.0.90', ports: [{ port: 80 }] }));
  p.onEndpointSliceAdd(makeSlice('itp', [{ ip: '10.244.2.6', node: 'worker2' }], [{ port: 80 }]));
  start(p);
  await p.syncProxyRules();
  const doc = fake.lastRun();
  t.match(doc, 'add element ip kube-proxy no-endpoint-services { 10.96.0.90 . tcp . 80 comment "default/itp" : drop }');
  t.notMatch(doc, /add chain ip kube-proxy \S*\//, 'no per-service chain: nothing reaches an endpoint');
});

t.test('ClientIP session affinity: a set per endpoint remembers clients; it goes when affinity does', async (t) => {
  const fake = new FakeExec();
  const p = newProxier(fake);
  const sticky = makeService('sticky', { sessionAffinity: 'ClientIP', sessionAffinityConfig: { clientIP: { timeoutSeconds: 600 } }, clusterIP: '10.96.0.40', ports: [{ port: 80 }] });
  p.onServiceAdd(sticky);
  p.onEndpointSliceAdd(makeSlice('sticky', [{ ip: '10.244.1.5' }], [{ port: 80 }]));
  start(p);
  await p.syncProxyRules();
  const pn = { namespace: 'default', name: 'sticky', protocol: 'tcp', port: '' };
  const [svc, ep] = [svcBase(pn), epBase(pn, '10.244.1.5:80')];
  const doc = fake.lastRun();
  t.match(doc, `add set ip kube-proxy affinity-${ep} { type ipv4_addr ; flags dynamic,timeout ; timeout 600s ; }\n`);
  t.same(linesWith(doc, `add rule ip kube-proxy service-${svc}`).slice(1), [
    `add rule ip kube-proxy service-${svc} ip saddr @affinity-${ep} goto endpoint-${ep}`,
    `add rule ip kube-proxy service-${svc} numgen random mod 1 vmap { 0 : goto endpoint-${ep} }`,
  ]);
  t.same(linesWith(doc, `add rule ip kube-proxy endpoint-${ep}`), [
    `add rule ip kube-proxy endpoint-${ep} ip saddr 10.244.1.5 jump mark-for-masquerade`,
    `add rule ip kube-proxy endpoint-${ep} update @affinity-${ep} { ip saddr }`,
    `add rule ip kube-proxy endpoint-${ep} meta l4proto tcp dnat to 10.244.1.5:80`,
  ]);

  const plain = structuredClone(sticky);
  plain.spec.sessionAffinity = 'None';
  p.onServiceUpdate(sticky, plain);
  await p.syncProxyRules();
  t.match(fake.lastRun(), `\ndelete set ip kube-proxy affinity-${ep}\n`);
  t.notOk(fake.sets.has(`affinity-${ep}`));
});

t.test('UDP: conntrack entries of a removed endpoint are flushed after the sync', async (t) => {
  const fake = new FakeExec();
  const p = newProxier(fake);
  const dns = (ips: string[]) => makeSlice('kube-dns', ips.map((ip) => ({ ip })), [{ name: 'dns', port: 53, protocol: 'UDP' }], { namespace: 'kube-system' });
  p.onServiceAdd(makeService('kube-dns', { clusterIP: '10.96.0.10', ports: [{ name: 'dns', port: 53, protocol: 'UDP' }] }, 'kube-system'));
  p.onEndpointSliceAdd(dns(['10.244.1.9', '10.244.2.9']));
  start(p);
  await p.syncProxyRules();
  fake.reset();
  p.onEndpointSliceUpdate(dns([]), dns(['10.244.2.9']));
  await p.syncProxyRules();
  t.same(fake.commands('conntrack'), [['-D', '--orig-dst', '10.96.0.10', '-p', 'udp', '--dst-nat', '10.244.1.9']]);
});

t.test('the runner drives syncs: events after the synced signals reach nft without explicit calls', async (t) => {
  const fake = new FakeExec();
  const p = newProxier(fake, { minSyncPeriodMs: 10 });
  t.teardown(() => p.close());
  p.syncLoop();
  p.onServiceAdd(web());
  start(p);
  await until('the first transaction', () => fake.runs().length > 0, 5000, 5);
  p.onEndpointSliceAdd(webSlice(['10.244.1.5']));
  await until('the endpoint in a transaction', () => fake.lastRun().includes('dnat to 10.244.1.5:8080'), 5000, 5);
  t.pass('both changes were programmed');
});

t.test('cleanup deletes the kube-proxy table, and is idempotent', async (t) => {
  const fake = new FakeExec();
  const p = newProxier(fake);
  start(p);
  await p.syncProxyRules();
  t.ok(fake.tableExists);
  await cleanupLeftovers(fake.exec);
  t.same(fake.commands('nft').slice(-2), [['delete', 'table', 'ip', 'kube-proxy'], ['delete', 'table', 'ip6', 'kube-proxy']]);
  t.notOk(fake.tableExists);
  await cleanupLeftovers(fake.exec);
  t.pass('a missing table is not an error');
});

t.test('a partial sync removes what a dropped port or a deleted Service wrote, and nothing another port still wants', async (t) => {
  const fake = new FakeExec();
  const p = newProxier(fake);
  const ports = [
    { name: 'http', port: 80, targetPort: 8080 },
    { name: 'metrics', port: 9090, targetPort: 9090 },
  ];
  const two = makeService('two', { clusterIP: '10.96.0.80', sessionAffinity: 'ClientIP', ports });
  const twoSlice = makeSlice('two', [{ ip: '10.244.1.8' }], [{ name: 'http', port: 8080 }, { name: 'metrics', port: 9090 }]);
  p.onServiceAdd(two);
  p.onEndpointSliceAdd(twoSlice);
  p.onServiceAdd(web());
  p.onEndpointSliceAdd(webSlice(['10.244.1.5']));
  start(p);
  await p.syncProxyRules();

  // One of the two ports goes: its elements and chains go; the ClusterIP both ports had stays in cluster-ips.
  fake.reset();
  const one = makeService('two', { clusterIP: '10.96.0.80', sessionAffinity: 'ClientIP', ports: [ports[0]!] });
  p.onServiceUpdate(two, one);
  await p.syncProxyRules();
  const doc = fake.lastRun();
  const metrics = svcBase({ namespace: 'default', name: 'two', port: 'metrics', protocol: 'tcp' });
  t.match(doc, 'delete element ip kube-proxy service-ips { 10.96.0.80 . tcp . 9090 }');
  t.notMatch(doc, 'delete element ip kube-proxy cluster-ips', 'the ClusterIP is still wanted by the http port');
  t.match(doc, `flush chain ip kube-proxy service-${metrics}`);
  t.match(doc, /delete set ip kube-proxy affinity-\S+metrics__10\.244\.1\.8\/9090/, "the dropped port's affinity set goes");
  t.notMatch(doc, 'web', 'default/web is not mentioned');

  // The Service goes: every element and chain of it; default/web stays as it is.
  fake.reset();
  p.onServiceDelete(one);
  p.onEndpointSliceDelete(twoSlice);
  await p.syncProxyRules();
  const del = fake.lastRun();
  const http = svcBase({ namespace: 'default', name: 'two', port: 'http', protocol: 'tcp' });
  t.match(del, 'delete element ip kube-proxy cluster-ips { 10.96.0.80 }');
  t.match(del, 'delete element ip kube-proxy service-ips { 10.96.0.80 . tcp . 80 }');
  t.match(del, `flush chain ip kube-proxy service-${http}`);
  t.notMatch(del, `flush chain ip kube-proxy service-${metrics}`, 'a chain already flushed is not flushed again');
  t.notMatch(del, 'web');
  await p.close();
});
