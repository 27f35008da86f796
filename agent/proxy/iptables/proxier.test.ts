import t from 'tap';
import type { EndpointSlice, Service } from '../../../api/types.js';
import { makeService, makeSlice } from '../../../test/fixtures/proxy.js';
import { until } from '../../../test/until.js';
import { ProxyMetrics } from '../metrics.js';
import { jumpRules, servicePortEndpointChain as sep, serviceExternalChain as ext, servicePortPolicyClusterChain as svcChain, servicePortPolicyLocalChain as svl } from './chains.js';
import { cleanupLeftovers } from './cleanup.js';
import { applyRestores, FakeExec } from './fakeexec.js';
import { IptablesProxier, largeClusterEndpointsThreshold, listTableAboveChains, probability } from './proxier.js';

function newProxier(fake: FakeExec, extra: Partial<ConstructorParameters<typeof IptablesProxier>[0]> = {}) {
  return new IptablesProxier({ exec: fake.exec, nodeName: 'worker1', clusterCIDR: '10.244.0.0/16', ...extra });
}

const web = () => makeService('web', { type: 'NodePort', clusterIP: '10.96.0.50', ports: [{ name: 'http', port: 80, targetPort: 8080, nodePort: 30080 }] });
const webSlice = (ips: string[]) => makeSlice('web', ips.map((ip, i) => ({ ip, node: `worker${i + 1}` })), [{ name: 'http', port: 8080 }]);

t.test('chain names and probabilities follow kube-proxy', async (t) => {
  t.equal(svcChain('default/kubernetes:https', 'tcp'), 'KUBE-SVC-NPX46M4PTMTKRN6Y');
  t.equal(svcChain('kube-system/kube-dns:dns', 'udp'), 'KUBE-SVC-TCOU7JCQXEZGVUNU');
  t.equal(probability(3), '0.3333333333');
  t.equal(probability(2), '0.5000000000');
});

t.test('nothing is written until both Services and EndpointSlices are synced', async (t) => {
  const fake = new FakeExec();
  const p = newProxier(fake);
  p.onServiceAdd(web());
  p.onEndpointSliceAdd(webSlice(['10.244.1.5']));
  p.onServiceSynced();
  await p.syncProxyRules();
  t.same(fake.calls, [], 'no command before EndpointSlices are synced');
  p.onEndpointSlicesSynced();
  await p.syncProxyRules();
  t.equal(fake.restores().length, 1);
  t.match(fake.lastRestore(), /-j KUBE-SVC-/);
});

t.test('a NodePort service with two endpoints produces kube-proxy\'s ruleset', async (t) => {
  const fake = new FakeExec();
  const p = newProxier(fake);
  p.onServiceAdd(web());
  p.onEndpointSliceAdd(webSlice(['10.244.1.5', '10.244.2.6']));
  p.onServiceSynced();
  p.onEndpointSlicesSynced();
  await p.syncProxyRules();
  const name = 'default/web:http';
  const [SVC, EXT, SEP1, SEP2] = [svcChain(name, 'tcp'), ext(name, 'tcp'), sep(name, 'tcp', '10.244.1.5:8080'), sep(name, 'tcp', '10.244.2.6:8080')];
  const expected = [
    '*filter',
    ':KUBE-SERVICES - [0:0]',
    ':KUBE-EXTERNAL-SERVICES - [0:0]',
    ':KUBE-FORWARD - [0:0]',
    ':KUBE-NODEPORTS - [0:0]',
    ':KUBE-FIREWALL - [0:0]',
    '-A KUBE-FIREWALL -m comment --comment "block incoming localnet connections" -d 127.0.0.0/8 ! -s 127.0.0.0/8 -m conntrack ! --ctstate RELATED,ESTABLISHED,DNAT -j DROP',
    '-A KUBE-FORWARD -m conntrack --ctstate INVALID -j DROP',
    '-A KUBE-FORWARD -m comment --comment "kubernetes forwarding rules" -m mark --mark 0x004000/0x004000 -j ACCEPT',
    '-A KUBE-FORWARD -m comment --comment "kubernetes forwarding conntrack rule" -m conntrack --ctstate RELATED,ESTABLISHED -j ACCEPT',
    'COMMIT',
    '*nat',
    ':KUBE-SERVICES - [0:0]',
    ':KUBE-NODEPORTS - [0:0]',
    ':KUBE-POSTROUTING - [0:0]',
    ':KUBE-MARK-MASQ - [0:0]',
    `:${EXT} - [0:0]`,
    `:${SVC} - [0:0]`,
    `:${SEP1} - [0:0]`,
    `:${SEP2} - [0:0]`,
    '-A KUBE-POSTROUTING -m mark ! --mark 0x004000/0x004000 -j RETURN',
    '-A KUBE-POSTROUTING -j MARK --xor-mark 0x004000',
    '-A KUBE-POSTROUTING -m comment --comment "kubernetes service traffic requiring SNAT" -j MASQUERADE --random-fully',
    '-A KUBE-MARK-MASQ -j MARK --or-mark 0x004000',
    `-A KUBE-SERVICES -m comment --comment "default/web:http cluster IP" -m tcp -p tcp -d 10.96.0.50 --dport 80 -j ${SVC}`,
    `-A KUBE-NODEPORTS -m comment --comment default/web:http -m tcp -p tcp --dport 30080 -j ${EXT}`,
    `-A ${SVC} -m comment --comment "default/web:http cluster IP" -m tcp -p tcp -d 10.96.0.50 --dport 80 ! -s 10.244.0.0/16 -j KUBE-MARK-MASQ`,
    `-A ${EXT} -m comment --comment "masquerade traffic for default/web:http external destinations" -j KUBE-MARK-MASQ`,
    `-A ${EXT} -j ${SVC}`,
    `-A ${SVC} -m comment --comment "default/web:http -> 10.244.1.5:8080" -m statistic --mode random --probability 0.5000000000 -j ${SEP1}`,
    `-A ${SVC} -m comment --comment "default/web:http -> 10.244.2.6:8080" -j ${SEP2}`,
    `-A ${SEP1} -m comment --comment default/web:http -s 10.244.1.5/32 -j KUBE-MARK-MASQ`,
    `-A ${SEP1} -m comment --comment default/web:http -m tcp -p tcp -j DNAT --to-destination 10.244.1.5:8080`,
    `-A ${SEP2} -m comment --comment default/web:http -s 10.244.2.6/32 -j KUBE-MARK-MASQ`,
    `-A ${SEP2} -m comment --comment default/web:http -m tcp -p tcp -j DNAT --to-destination 10.244.2.6:8080`,
    '-A KUBE-SERVICES -m comment --comment "kubernetes service nodeports; NOTE: this must be the last rule in this chain" -m addrtype --dst-type LOCAL -j KUBE-NODEPORTS',
    'COMMIT',
    '',
  ].join('\n');
  t.equal(fake.lastRestore(), expected);
  t.same(fake.commands('iptables-restore')[0], ['-w', '--noflush'], 'one --noflush transaction');
});

t.test('three endpoints get probabilities 1/3, 1/2, then the rest', async (t) => {
  const fake = new FakeExec();
  const p = newProxier(fake);
  p.onServiceAdd(web());
  p.onEndpointSliceAdd(webSlice(['10.244.1.5', '10.244.2.6', '10.244.3.7']));
  p.onServiceSynced();
  p.onEndpointSlicesSynced();
  await p.syncProxyRules();
  const SVC = svcChain('default/web:http', 'tcp');
  const lines = fake.lastRestore().split('\n').filter((l) => l.startsWith(`-A ${SVC} -m comment --comment "default/web:http -> `));
  t.equal(lines.length, 3);
  t.match(lines[0], /--probability 0\.3333333333 -j KUBE-SEP-/);
  t.match(lines[1], /--probability 0\.5000000000 -j KUBE-SEP-/);
  t.notMatch(lines[2], /statistic/);
});

t.test('a service without endpoints is rejected in filter, for its ClusterIP and its NodePort', async (t) => {
  const fake = new FakeExec();
  const p = newProxier(fake);
  p.onServiceAdd(web());
  p.onServiceSynced();
  p.onEndpointSlicesSynced();
  await p.syncProxyRules();
  const doc = fake.lastRestore();
  const filter = doc.slice(0, doc.indexOf('*nat'));
  t.match(filter, '-A KUBE-SERVICES -m comment --comment "default/web:http has no endpoints" -m tcp -p tcp -d 10.96.0.50 --dport 80 -j REJECT --reject-with icmp-port-unreachable');
  t.match(filter, '-A KUBE-EXTERNAL-SERVICES -m comment --comment "default/web:http has no endpoints" -m addrtype --dst-type LOCAL -m tcp -p tcp --dport 30080 -j REJECT --reject-with icmp-port-unreachable');
  t.notMatch(doc, /KUBE-SVC-|KUBE-SEP-|KUBE-EXT-/, 'no per-service nat chains');
});

t.test('not-ready endpoints are left out; named ports are matched by name', async (t) => {
  const fake = new FakeExec();
  const p = newProxier(fake);
  p.onServiceAdd(makeService('multi', { clusterIP: '10.96.0.60', ports: [{ name: 'http', port: 80 }, { name: 'metrics', port: 9090 }] }));
  p.onEndpointSliceAdd(
    makeSlice('multi', [{ ip: '10.244.1.5' }, { ip: '10.244.1.6', ready: false }], [{ name: 'metrics', port: 9100 }, { name: 'http', port: 8080 }]),
  );
  p.onServiceSynced();
  p.onEndpointSlicesSynced();
  await p.syncProxyRules();
  const doc = fake.lastRestore();
  t.match(doc, '-j DNAT --to-destination 10.244.1.5:8080');
  t.match(doc, '-j DNAT --to-destination 10.244.1.5:9100');
  t.notMatch(doc, '10.244.1.6');
});

t.test('stale service and endpoint chains are flushed and deleted; other chains are left alone', async (t) => {
  const fake = new FakeExec();
  const p = newProxier(fake);
  const svc = web();
  const slice = webSlice(['10.244.1.5']);
  p.onServiceAdd(svc);
  p.onEndpointSliceAdd(slice);
  p.onServiceSynced();
  p.onEndpointSlicesSynced();
  await p.syncProxyRules();
  const chains = [...fake.lastRestore().matchAll(/^:(KUBE-(?:SVC|SEP|EXT)-\S+)/gm)].map((m) => m[1]!);
  t.equal(chains.length, 3);
  fake.natSave = ['*nat', ':PREROUTING ACCEPT [0:0]', ':CNI-HOSTPORT-DNAT - [0:0]', ':KUBE-SERVICES - [0:0]', ...chains.map((c) => `:${c} - [0:0]`), 'COMMIT', ''].join('\n');
  p.onServiceDelete(svc);
  p.onEndpointSliceDelete(slice);
  await p.syncProxyRules();
  const doc = fake.lastRestore();
  for (const c of chains) {
    t.match(doc, `:${c} - [0:0]`);
    t.match(doc, `\n-X ${c}\n`);
  }
  t.notMatch(doc, 'CNI-HOSTPORT-DNAT');
  t.notMatch(doc, '-X KUBE-SERVICES');
});

t.test('jumps are ensured on full syncs only; a failed restore makes the next sync full again', async (t) => {
  const fake = new FakeExec();
  const metrics = new ProxyMetrics();
  const p = newProxier(fake, { metrics });
  p.onServiceSynced();
  p.onEndpointSlicesSynced();
  await p.syncProxyRules();
  const inserts = fake.commands('iptables').filter((a) => a.includes('-I'));
  t.ok(inserts.some((a) => a.join(' ') === '-w -t nat -I PREROUTING -m comment --comment kubernetes service portals -j KUBE-SERVICES'));
  t.ok(inserts.some((a) => a.join(' ') === '-w -t nat -I POSTROUTING -m comment --comment kubernetes postrouting rules -j KUBE-POSTROUTING'));
  t.ok(inserts.some((a) => a.join(' ') === '-w -t filter -I OUTPUT -m conntrack --ctstate NEW -m comment --comment kubernetes service portals -j KUBE-SERVICES'));
  t.ok(fake.commands('sysctl').some((a) => a.join(' ') === '-w net.ipv4.conf.all.route_localnet=1'));
  t.equal(inserts.length, jumpRules.length + 2, 'every jump inserted once (plus the localnet guard)');

  fake.reset();
  p.onServiceAdd(web());
  await p.syncProxyRules();
  t.same(fake.commands('iptables'), [], 'partial sync: no jump checks');
  t.equal(fake.restores().length, 1);

  fake.reset();
  fake.failRestore = true;
  p.onEndpointSliceAdd(webSlice(['10.244.1.5']));
  await p.syncProxyRules();
  t.equal((await metrics.iptablesRestoreFailuresTotal.get()).values[0]?.value, 1);

  fake.reset();
  fake.failRestore = false;
  fake.presentRules.add('nat PREROUTING -m comment --comment kubernetes service portals -j KUBE-SERVICES');
  await p.syncProxyRules();
  const after = fake.commands('iptables');
  t.ok(after.some((a) => a.includes('-C')), 'the sync after a failure re-ensures the jumps');
  t.notOk(after.some((a) => a.includes('-I') && a.includes('PREROUTING')), 'an existing jump is not added twice');
  t.match(fake.lastRestore(), '--to-destination 10.244.1.5:8080', 'the retried full sync still has the consumed change');
  const fixed = ['KUBE-SERVICES', 'KUBE-EXTERNAL-SERVICES', 'KUBE-FORWARD', 'KUBE-NODEPORTS', 'KUBE-FIREWALL', 'KUBE-SERVICES', 'KUBE-NODEPORTS', 'KUBE-POSTROUTING', 'KUBE-MARK-MASQ'];
  t.same([...fake.lastRestore().matchAll(/^:(KUBE-\S+) /gm)].map((m) => m[1]).slice(0, fixed.length), fixed, 'and writes every fixed chain, changed or not');
  await p.close();
});

t.test('externalTrafficPolicy Local: NodePort goes to local endpoints only, pods and the node short-circuit', async (t) => {
  const fake = new FakeExec();
  const p = newProxier(fake);
  const svc = web();
  svc.spec.externalTrafficPolicy = 'Local';
  p.onServiceAdd(svc);
  p.onEndpointSliceAdd(webSlice(['10.244.1.5', '10.244.2.6'])); // the first is on worker1, this node
  p.onServiceSynced();
  p.onEndpointSlicesSynced();
  await p.syncProxyRules();
  const name = 'default/web:http';
  const [SVC, SVL, EXT, SEP1, SEP2] = [svcChain(name, 'tcp'), svl(name, 'tcp'), ext(name, 'tcp'), sep(name, 'tcp', '10.244.1.5:8080'), sep(name, 'tcp', '10.244.2.6:8080')];
  const doc = fake.lastRestore();
  t.match(doc, `-A ${EXT} -m comment --comment "pod traffic for ${name} external destinations" -s 10.244.0.0/16 -j ${SVC}`);
  t.match(doc, `-A ${EXT} -m comment --comment "route LOCAL traffic for ${name} external destinations" -m addrtype --src-type LOCAL -j ${SVC}`);
  t.match(doc, `-A ${EXT} -j ${SVL}\n`);
  t.match(doc, `-A ${SVL} -m comment --comment "${name} -> 10.244.1.5:8080" -j ${SEP1}\n`);
  t.notMatch(doc, `-A ${SVL} -m comment --comment "${name} -> 10.244.2.6:8080"`);
  t.match(doc, `-A ${SVC} -m comment --comment "${name} -> 10.244.2.6:8080" -j ${SEP2}`, 'ClusterIP still balances over every endpoint');

  // No local endpoint: external traffic is dropped (not rejected); the ClusterIP keeps working.
  p.onEndpointSliceUpdate(webSlice([]), makeSlice('web', [{ ip: '10.244.9.9', node: 'worker3' }], [{ name: 'http', port: 8080 }]));
  await p.syncProxyRules();
  const doc2 = fake.lastRestore();
  t.match(doc2, `-A KUBE-EXTERNAL-SERVICES -m comment --comment "${name} has no local endpoints" -m addrtype --dst-type LOCAL -m tcp -p tcp --dport 30080 -j DROP`);
  t.match(doc2, `-j ${SVC}\n`);
  // The local chain falls out of use: nothing jumps to or fills it, and it is deleted.
  t.notMatch(doc2, `-A ${SVL} `);
  t.notMatch(doc2, `-j ${SVL}`);
  t.match(doc2, `\n-X ${SVL}\n`);
});

t.test('UDP: conntrack entries for removed endpoints and newly served services are deleted', async (t) => {
  const fake = new FakeExec();
  const p = newProxier(fake);
  p.onServiceAdd(makeService('kube-dns', { clusterIP: '10.96.0.10', ports: [{ name: 'dns', port: 53, protocol: 'UDP' }] }, 'kube-system'));
  p.onServiceSynced();
  p.onEndpointSlicesSynced();
  await p.syncProxyRules();
  t.same(fake.commands('conntrack'), []);

  const slice = makeSlice('kube-dns', [{ ip: '10.244.1.9' }, { ip: '10.244.2.9' }], [{ name: 'dns', port: 53, protocol: 'UDP' }], { namespace: 'kube-system' });
  p.onEndpointSliceAdd(slice);
  await p.syncProxyRules();
  t.same(fake.commands('conntrack'), [['-D', '--orig-dst', '10.96.0.10', '-p', 'udp']], 'REJECT verdicts cached while it had no endpoints are flushed');
  t.match(fake.lastRestore(), '-m udp -p udp -d 10.96.0.10 --dport 53 -j KUBE-SVC-TCOU7JCQXEZGVUNU');

  fake.reset();
  p.onEndpointSliceUpdate(slice, makeSlice('kube-dns', [{ ip: '10.244.2.9' }], [{ name: 'dns', port: 53, protocol: 'UDP' }], { namespace: 'kube-system' }));
  await p.syncProxyRules();
  t.same(fake.commands('conntrack'), [['-D', '--orig-dst', '10.96.0.10', '-p', 'udp', '--dst-nat', '10.244.1.9']]);
});

t.test('the runner drives syncs: events after the synced signals reach iptables without explicit calls', async (t) => {
  const fake = new FakeExec();
  const p = newProxier(fake, { minSyncPeriodMs: 10 });
  t.teardown(() => p.close());
  p.syncLoop();
  p.onServiceAdd(web());
  p.onServiceSynced();
  p.onEndpointSlicesSynced();
  await until('the first restore', () => fake.restores().length > 0, 5000, 5);
  p.onEndpointSliceAdd(webSlice(['10.244.1.5']));
  await until('the endpoint in a restore', () => fake.lastRestore().includes('10.244.1.5:8080'), 5000, 5);
  t.pass('both changes were programmed');
});

t.test('cleanup removes jumps and owned chains only', async (t) => {
  const fake = new FakeExec();
  fake.natSave = ['*nat', ':PREROUTING ACCEPT [0:0]', ':KUBE-SERVICES - [0:0]', ':KUBE-MARK-MASQ - [0:0]', ':KUBE-SVC-AAAAAAAAAAAAAAAA - [0:0]', ':CNI-HOSTPORT-DNAT - [0:0]', 'COMMIT', ''].join('\n');
  fake.presentRules.add('nat PREROUTING -m comment --comment kubernetes service portals -j KUBE-SERVICES');
  let deleted = 0;
  const exec = fake.exec;
  const wrapped: typeof exec = async (file, args, opts) => {
    const r = await exec(file, args, opts);
    if (file === 'iptables' && args.includes('-D')) {
      deleted++;
      fake.presentRules.clear(); // deleted: the next -C fails
    }
    return r;
  };
  await cleanupLeftovers(wrapped);
  t.equal(deleted, 1);
  const nat = fake.restores()[0]!;
  t.equal(nat, ['*nat', ':KUBE-MARK-MASQ - [0:0]', ':KUBE-SERVICES - [0:0]', ':KUBE-SVC-AAAAAAAAAAAAAAAA - [0:0]', '-X KUBE-MARK-MASQ', '-X KUBE-SERVICES', '-X KUBE-SVC-AAAAAAAAAAAAAAAA', 'COMMIT', ''].join('\n'));
  t.equal(fake.restores().length, 1, 'the filter table had none of our chains');
});

t.test('ClientIP session affinity: the recent match remembers each client per endpoint chain', async (t) => {
  const fake = new FakeExec();
  const p = newProxier(fake);
  p.onServiceAdd(makeService('sticky', { sessionAffinity: 'ClientIP', sessionAffinityConfig: { clientIP: { timeoutSeconds: 600 } }, clusterIP: '10.96.0.40', ports: [{ port: 80 }] }));
  p.onEndpointSliceAdd(makeSlice('sticky', [{ ip: '10.244.1.5' }, { ip: '10.244.2.6' }], [{ port: 80 }]));
  p.onServiceSynced();
  p.onEndpointSlicesSynced();
  await p.syncProxyRules();
  const name = 'default/sticky';
  const [SVC, SEP1, SEP2] = [svcChain(name, 'tcp'), sep(name, 'tcp', '10.244.1.5:80'), sep(name, 'tcp', '10.244.2.6:80')];
  const lines = fake.lastRestore().split('\n');
  t.same(lines.filter((l) => l.startsWith(`-A ${SVC} `)).slice(1), [
    `-A ${SVC} -m comment --comment ${name} -m recent --name ${SEP1} --rcheck --seconds 600 --reap -j ${SEP1}`,
    `-A ${SVC} -m comment --comment ${name} -m recent --name ${SEP2} --rcheck --seconds 600 --reap -j ${SEP2}`,
    `-A ${SVC} -m comment --comment "${name} -> 10.244.1.5:80" -m statistic --mode random --probability 0.5000000000 -j ${SEP1}`,
    `-A ${SVC} -m comment --comment "${name} -> 10.244.2.6:80" -j ${SEP2}`,
  ]);
  t.ok(lines.includes(`-A ${SEP1} -m comment --comment ${name} -m recent --name ${SEP1} --set -m tcp -p tcp -j DNAT --to-destination 10.244.1.5:80`));
});

t.test("partial sync: a one-Service change writes only that Service's own chains and the fixed chains it changed, with no iptables-save", async (t) => {
  const fake = new FakeExec();
  let now = 0;
  const p = newProxier(fake, { now: () => now, fullSyncPeriodMs: 3_600_000 });
  const db = makeService('db', { clusterIP: '10.96.0.60', ports: [{ name: 'sql', port: 5432 }] });
  const dbSlice = makeSlice('db', [{ ip: '10.244.3.5' }, { ip: '10.244.3.6' }], [{ name: 'sql', port: 5432 }]);
  const slice = webSlice(['10.244.1.5', '10.244.2.6']);
  p.onServiceAdd(web());
  p.onEndpointSliceAdd(slice);
  p.onServiceAdd(db);
  p.onEndpointSliceAdd(dbSlice);
  p.onServiceSynced();
  p.onEndpointSlicesSynced();
  await p.syncProxyRules();
  t.equal(fake.commands('iptables-save').length, 1, 'the first (full) sync reads the kernel once');
  const full = fake.lastRestore();

  const web_ = 'default/web:http';
  const db_ = 'default/db:sql';
  const [SVC, EXT, SEP1, SEP2, SEP3] = [svcChain(web_, 'tcp'), ext(web_, 'tcp'), sep(web_, 'tcp', '10.244.1.5:8080'), sep(web_, 'tcp', '10.244.2.6:8080'), sep(web_, 'tcp', '10.244.9.9:8080')];
  const [DBSVC, DBSEP1, DBSEP2] = [svcChain(db_, 'tcp'), sep(db_, 'tcp', '10.244.3.5:5432'), sep(db_, 'tcp', '10.244.3.6:5432')];

  // web: one endpoint replaced by another.
  fake.reset();
  now += 1000;
  p.onEndpointSliceUpdate(slice, webSlice(['10.244.1.5', '10.244.9.9']));
  await p.syncProxyRules();
  t.same(fake.commands('iptables-save'), [], 'no iptables-save on a partial sync');
  t.same(fake.commands('iptables'), [], 'no jump checks either');
  const doc = fake.lastRestore();
  const declared = [...doc.matchAll(/^:(\S+) /gm)].map((m) => m[1]);
  t.same(declared, [EXT, SVC, SEP1, SEP3, SEP2], "web's own chains, then the stale one: the fixed chains did not change");
  t.notMatch(doc, '*filter', 'nothing in filter changed: the table is left out');
  t.notMatch(doc, /^-A KUBE-(SERVICES|NODEPORTS|POSTROUTING|MARK-MASQ) /m, 'no fixed chain is written');
  t.match(doc, `\n-X ${SEP2}\n`, "the replaced endpoint's chain is deleted");
  t.equal(doc.match(/^-X /gm)?.length, 1, 'nothing else is deleted');
  for (const c of [DBSVC, DBSEP1, DBSEP2]) t.notMatch(doc, c === DBSVC ? `-A ${c} ` : c, `the unchanged Service's ${c} is neither declared nor written`);
  t.match(doc, `-A ${SVC} -m comment --comment "${web_} -> 10.244.9.9:8080" -j ${SEP3}`);

  // What the kernel holds after the full then the partial restore is what a full sync of the same Services writes.
  const fullSyncOf = async (services: [Service, EndpointSlice][]) => {
    const fresh = new FakeExec();
    const q = newProxier(fresh);
    for (const [svc, sl] of services) {
      q.onServiceAdd(svc);
      q.onEndpointSliceAdd(sl);
    }
    q.onServiceSynced();
    q.onEndpointSlicesSynced();
    await q.syncProxyRules();
    return applyRestores(fresh.lastRestore());
  };
  const webNow: [Service, EndpointSlice] = [web(), webSlice(['10.244.1.5', '10.244.9.9'])];
  t.same(applyRestores(full, doc), await fullSyncOf([webNow, [db, dbSlice]]));

  // A deleted Service: its chains go; nothing is read from the kernel to find them.
  fake.reset();
  now += 1000;
  p.onServiceDelete(db);
  p.onEndpointSliceDelete(dbSlice);
  await p.syncProxyRules();
  const del = fake.lastRestore();
  t.same(fake.commands('iptables-save'), []);
  t.same([...del.matchAll(/^-X (\S+)$/gm)].map((m) => m[1]).sort(), [DBSVC, DBSEP1, DBSEP2].sort());
  t.notMatch(del, `:${SVC} `, "web's chains are left as they are");
  t.same([...del.matchAll(/^:(KUBE-\S+) /gm)].map((m) => m[1]).filter((c) => !c.startsWith('KUBE-S')), [], 'only KUBE-SERVICES of the fixed chains changed');
  t.match(del, /^:KUBE-SERVICES - \[0:0\]$/m, "KUBE-SERVICES changed (db's jump goes): it is written whole");
  t.notMatch(del, `-j ${DBSVC}`);
  t.match(del, `-j ${SVC}`);
  t.same(applyRestores(full, doc, del), await fullSyncOf([webNow]));

  // The hourly full sync reads the kernel again and writes every chain.
  fake.reset();
  now += 3_600_000;
  await p.syncProxyRules();
  t.equal(fake.commands('iptables-save').length, 1);
  t.match(fake.lastRestore(), `:${SVC} - [0:0]`);
});

t.test('a restore declaring more than listTableAboveChains chains starts with -S; a small partial one does not', async (t) => {
  const fake = new FakeExec();
  const p = newProxier(fake);
  const perService = 10;
  // Each Service declares its KUBE-SVC chain and one KUBE-SEP chain per endpoint.
  const services = Math.ceil(listTableAboveChains / (perService + 1)) + 1;
  const slices: EndpointSlice[] = [];
  for (let i = 0; i < services; i++) {
    p.onServiceAdd(makeService(`s${i}`, { clusterIP: `10.96.1.${i + 1}`, ports: [{ name: 'http', port: 80, targetPort: 8080 }] }));
    slices.push(makeSlice(`s${i}`, Array.from({ length: perService }, (_, j) => ({ ip: `10.244.${i}.${j + 1}` })), [{ name: 'http', port: 8080 }]));
    p.onEndpointSliceAdd(slices[i]!);
  }
  p.onServiceSynced();
  p.onEndpointSlicesSynced();
  await p.syncProxyRules();
  const full = fake.lastRestore().split('\n');
  t.same(full.slice(full.indexOf('*nat'), full.indexOf('*nat') + 2), ['*nat', '-S'], 'the full restore lists nat first');
  t.equal(full.filter((l) => l === '-S').length, 1, 'only nat: filter declares a handful of chains');

  // KUBE-SERVICES jumps in descending chain order, whatever the Services' names.
  const targets = full.filter((l) => l.startsWith('-A KUBE-SERVICES ') && l.includes('cluster IP')).map((l) => l.split(' -j ')[1]!);
  t.equal(targets.length, services);
  t.same(targets, [...targets].sort().reverse());

  fake.reset();
  p.onEndpointSliceUpdate(slices[3]!, makeSlice('s3', [{ ip: '10.244.3.1' }], [{ name: 'http', port: 8080 }]));
  await p.syncProxyRules();
  const partial = fake.lastRestore().split('\n');
  t.notOk(partial.includes('-S'), 'a one-Service change is restored without the listing');
  t.equal(partial.filter((l) => l.startsWith('-X ')).length, perService - 1, "the Service's dropped endpoint chains are deleted");
  t.same(applyRestores(full.join('\n'), partial.join('\n')), applyRestores((await fullSyncDocument(services, perService)).join('\n')), 'the kernel holds what a full sync writes');
  await p.close();
});

/** The document a fresh proxier's full sync writes for the Services of the test above after its change. */
async function fullSyncDocument(services: number, perService: number): Promise<string[]> {
  const fake = new FakeExec();
  const p = newProxier(fake);
  for (let i = 0; i < services; i++) {
    p.onServiceAdd(makeService(`s${i}`, { clusterIP: `10.96.1.${i + 1}`, ports: [{ name: 'http', port: 80, targetPort: 8080 }] }));
    const eps = i === 3 ? [{ ip: '10.244.3.1' }] : Array.from({ length: perService }, (_, j) => ({ ip: `10.244.${i}.${j + 1}` }));
    p.onEndpointSliceAdd(makeSlice(`s${i}`, eps, [{ name: 'http', port: 8080 }]));
  }
  p.onServiceSynced();
  p.onEndpointSlicesSynced();
  await p.syncProxyRules();
  await p.close();
  return fake.lastRestore().split('\n');
}

t.test('above largeClusterEndpointsThreshold endpoints the per-endpoint rules go without comments; crossing back rewrites every Service', async (t) => {
  const fake = new FakeExec();
  const p = newProxier(fake);
  const perService = 10;
  const services = largeClusterEndpointsThreshold / perService + 1;
  const slices: EndpointSlice[] = [];
  for (let i = 0; i < services; i++) {
    p.onServiceAdd(makeService(`s${i}`, { clusterIP: `10.96.2.${i + 1}`, ports: [{ name: 'http', port: 80, targetPort: 8080 }] }));
    slices.push(makeSlice(`s${i}`, Array.from({ length: perService }, (_, j) => ({ ip: `10.244.${i}.${j + 1}` })), [{ name: 'http', port: 8080 }]));
    p.onEndpointSliceAdd(slices[i]!);
  }
  p.onServiceSynced();
  p.onEndpointSlicesSynced();
  await p.syncProxyRules();
  const name = 'default/s0:http';
  const [SVC, SEP] = [svcChain(name, 'tcp'), sep(name, 'tcp', '10.244.0.1:8080')];
  const large = fake.lastRestore().split('\n');
  t.ok(large.includes(`-A ${SEP} -s 10.244.0.1/32 -j KUBE-MARK-MASQ`), 'the hairpin rule, without its comment');
  t.ok(large.includes(`-A ${SEP} -m tcp -p tcp -j DNAT --to-destination 10.244.0.1:8080`), 'the DNAT, without its comment');
  t.ok(large.some((l) => l.startsWith(`-A ${SVC} -m statistic `)), 'the jumps to endpoints, without theirs');
  t.ok(large.includes(`-A KUBE-SERVICES -m comment --comment "${name} cluster IP" -m tcp -p tcp -d 10.96.2.1 --dport 80 -j ${SVC}`), 'one-per-Service rules keep theirs');

  // Down to the threshold: every Service is written again, with comments, though only one changed.
  fake.reset();
  p.onEndpointSliceUpdate(slices[5]!, makeSlice('s5', [], [{ name: 'http', port: 8080 }]));
  await p.syncProxyRules();
  const small = fake.lastRestore().split('\n');
  t.ok(small.includes(`-A ${SEP} -m comment --comment ${name} -s 10.244.0.1/32 -j KUBE-MARK-MASQ`), 'an unchanged Service is rewritten with comments');
  t.same(fake.commands('iptables-save'), [], 'still a partial sync: the kernel is not read');
  await p.close();
});
