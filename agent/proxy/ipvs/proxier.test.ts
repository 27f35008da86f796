import t from 'tap';
import { makeService, makeSlice } from '../../../test/fixtures/proxy.js';
import { FakeExec } from '../iptables/fakeexec.js';
import { FakeIpvs, FakeLinks } from './fake.js';
import { IpvsProxier } from './proxier.js';

function setup(extra: Partial<ConstructorParameters<typeof IpvsProxier>[0]> = {}) {
  const exec = new FakeExec();
  const ipvs = new FakeIpvs();
  const links = new FakeLinks(['192.168.56.11', '10.0.2.15']);
  const p = new IpvsProxier({ exec: exec.exec, nodeName: 'worker1', clusterCIDR: '10.244.0.0/16', ipvs, links, ...extra });
  t.teardown(() => p.close());
  const start = async () => {
    p.onServiceSynced();
    p.onEndpointSlicesSynced();
    await p.syncProxyRules();
  };
  return { exec, ipvs, links, p, start };
}

const web = () => makeService('web', { type: 'NodePort', clusterIP: '10.96.0.50', ports: [{ name: 'http', port: 80, targetPort: 8080, nodePort: 30080 }] });
const webSlice = (ips: string[]) => makeSlice('web', ips.map((ip, i) => ({ ip, node: `worker${i + 1}` })), [{ name: 'http', port: 8080 }]);

t.test('nothing is programmed until both Services and EndpointSlices are synced', async (t) => {
  const { exec, ipvs, links, p } = setup();
  p.onServiceAdd(web());
  p.onServiceSynced();
  await p.syncProxyRules();
  t.same(exec.calls, []);
  t.same(ipvs.calls, []);
  t.equal(links.links.size, 0);
});

t.test('a NodePort service: virtual servers, real servers, kube-ipvs0, ipsets and the iptables rules', async (t) => {
  const { exec, ipvs, links, p, start } = setup();
  p.onServiceAdd(web());
  p.onEndpointSliceAdd(webSlice(['10.244.1.5', '10.244.2.7']));
  await start();

  t.same(ipvs.dump(), [
    'TCP 10.0.2.15:30080 rr',
    '  -> 10.244.1.5:8080 1',
    '  -> 10.244.2.7:8080 1',
    'TCP 10.96.0.50:80 rr',
    '  -> 10.244.1.5:8080 1',
    '  -> 10.244.2.7:8080 1',
    'TCP 192.168.56.11:30080 rr',
    '  -> 10.244.1.5:8080 1',
    '  -> 10.244.2.7:8080 1',
  ], 'one virtual server per ClusterIP port and per NodePort on every node address');
  t.same([...(links.links.get('kube-ipvs0') ?? [])], ['10.96.0.50'], 'the ClusterIP is on kube-ipvs0, node addresses are not');

  t.same(exec.commands('sysctl'), [['-w', 'net.ipv4.vs.conntrack=1', 'net.ipv4.vs.expire_nodest_conn=1', 'net.ipv4.vs.expire_quiescent_template=1', 'net.ipv4.ip_forward=1']]);
  t.ok(exec.commands('iptables').some((a) => a.join(' ') === '-w -t filter -I INPUT -m comment --comment kubernetes ipvs access filter -j KUBE-IPVS-FILTER'), 'jumps are ensured');
  const restore = exec.calls.filter((c) => c.file === 'ipset' && c.args[0] === 'restore');
  t.equal(restore.length, 1, 'one ipset restore');
  const doc = restore[0]!.input!;
  t.match(doc, /^create KUBE-LOOP-BACK hash:ip,port,ip family inet hashsize 1024 maxelem 65536 comment -exist$/m);
  t.match(doc, /^create KUBE-NODE-PORT-TCP bitmap:port range 0-65535 comment -exist$/m);
  t.same(doc.split('\n').filter((l) => l.startsWith('add')), [
    'add KUBE-LOOP-BACK 10.244.1.5,tcp:8080,10.244.1.5 -exist',
    'add KUBE-CLUSTER-IP 10.96.0.50,tcp:80 -exist',
    'add KUBE-NODE-PORT-TCP 30080 -exist',
    'add KUBE-IPVS-IPS 10.96.0.50 -exist',
  ], 'only the local endpoint is in KUBE-LOOP-BACK');

  t.equal(exec.lastRestore(), [
    '*nat',
    ':KUBE-SERVICES - [0:0]',
    ':KUBE-POSTROUTING - [0:0]',
    ':KUBE-NODE-PORT - [0:0]',
    ':KUBE-LOAD-BALANCER - [0:0]',
    ':KUBE-MARK-MASQ - [0:0]',
    '-A KUBE-SERVICES -s 127.0.0.0/8 -j RETURN',
    '-A KUBE-POSTROUTING -m comment --comment "Kubernetes endpoints dst ip:port, source ip for solving hairpin purpose" -m set --match-set KUBE-LOOP-BACK dst,dst,src -j MASQUERADE',
    '-A KUBE-NODE-PORT -p tcp -m comment --comment "Kubernetes nodeport TCP port for masquerade purpose" -m set --match-set KUBE-NODE-PORT-TCP dst -j KUBE-MARK-MASQ',
    '-A KUBE-SERVICES -m comment --comment "Kubernetes service cluster ip + port for masquerade purpose" -m set --match-set KUBE-CLUSTER-IP dst,dst ! -s 10.244.0.0/16 -j KUBE-MARK-MASQ',
    '-A KUBE-SERVICES -m addrtype --dst-type LOCAL -j KUBE-NODE-PORT',
    '-A KUBE-LOAD-BALANCER -j KUBE-MARK-MASQ',
    '-A KUBE-SERVICES -m set --match-set KUBE-CLUSTER-IP dst,dst -j ACCEPT',
    '-A KUBE-POSTROUTING -m mark ! --mark 0x004000/0x004000 -j RETURN',
    '-A KUBE-POSTROUTING -j MARK --xor-mark 0x004000',
    '-A KUBE-POSTROUTING -m comment --comment "kubernetes service traffic requiring SNAT" -j MASQUERADE --random-fully',
    '-A KUBE-MARK-MASQ -j MARK --or-mark 0x004000',
    'COMMIT',
    '*filter',
    ':KUBE-FORWARD - [0:0]',
    ':KUBE-NODE-PORT - [0:0]',
    ':KUBE-PROXY-FIREWALL - [0:0]',
    ':KUBE-SOURCE-RANGES-FIREWALL - [0:0]',
    ':KUBE-IPVS-FILTER - [0:0]',
    ':KUBE-IPVS-OUT-FILTER - [0:0]',
    '-A KUBE-SOURCE-RANGES-FIREWALL -j DROP',
    '-A KUBE-FORWARD -m comment --comment "kubernetes forwarding rules" -m mark --mark 0x004000/0x004000 -j ACCEPT',
    '-A KUBE-FORWARD -m comment --comment "kubernetes forwarding conntrack rule" -m conntrack --ctstate RELATED,ESTABLISHED -j ACCEPT',
    '-A KUBE-NODE-PORT -m comment --comment "Kubernetes health check node port" -m set --match-set KUBE-HEALTH-CHECK-NODE-PORT dst -j ACCEPT',
    '-A KUBE-IPVS-FILTER -m set --match-set KUBE-LOAD-BALANCER dst,dst -j RETURN',
    '-A KUBE-IPVS-FILTER -m set --match-set KUBE-CLUSTER-IP dst,dst -j RETURN',
    '-A KUBE-IPVS-FILTER -m set --match-set KUBE-EXTERNAL-IP dst,dst -j RETURN',
    '-A KUBE-IPVS-FILTER -m set --match-set KUBE-EXTERNAL-IP-LOCAL dst,dst -j RETURN',
    '-A KUBE-IPVS-FILTER -m set --match-set KUBE-HEALTH-CHECK-NODE-PORT dst -j RETURN',
    '-A KUBE-IPVS-FILTER -m conntrack --ctstate NEW -m set --match-set KUBE-IPVS-IPS dst -j REJECT',
    'COMMIT',
    '',
  ].join('\n'));
});

t.test('scheduler from config; ClientIP affinity makes the virtual server persistent for its timeout', async (t) => {
  const { ipvs, p, start } = setup({ scheduler: 'lc' });
  p.onServiceAdd(makeService('sticky', { sessionAffinity: 'ClientIP', sessionAffinityConfig: { clientIP: { timeoutSeconds: 600 } }, clusterIP: '10.96.0.60', ports: [{ name: 'http', port: 80 }] }));
  p.onEndpointSliceAdd(makeSlice('sticky', [{ ip: '10.244.1.5' }], [{ name: 'http', port: 8080 }]));
  await start();
  t.same(ipvs.dump(), ['TCP 10.96.0.60:80 lc persistent 600', '  -> 10.244.1.5:8080 1']);
  const vs = [...ipvs.services.values()][0]!.vs;
  t.equal(vs.flags, 1, 'IP_VS_SVC_F_PERSISTENT');

  // A change of scheduler updates the virtual server in place (its real servers stay).
  await p.close();
  const again = new IpvsProxier({ exec: new FakeExec().exec, nodeName: 'worker1', clusterCIDR: '10.244.0.0/16', ipvs, links: new FakeLinks(), scheduler: 'rr' });
  t.teardown(() => again.close());
  again.onServiceAdd(makeService('sticky', { sessionAffinity: 'ClientIP', sessionAffinityConfig: { clientIP: { timeoutSeconds: 600 } }, clusterIP: '10.96.0.60', ports: [{ name: 'http', port: 80 }] }));
  again.onEndpointSliceAdd(makeSlice('sticky', [{ ip: '10.244.1.5' }], [{ name: 'http', port: 8080 }]));
  again.onServiceSynced();
  again.onEndpointSlicesSynced();
  ipvs.calls.length = 0;
  await again.syncProxyRules();
  t.same(ipvs.calls, ['update-service 10.96.0.60:80/TCP']);
});

t.test('graceful termination: a removed real server drains at weight 0, then goes', async (t) => {
  const { ipvs, p, start } = setup();
  const svc = makeService('db', { clusterIP: '10.96.0.70', ports: [{ name: 'pg', port: 5432 }] });
  const both = makeSlice('db', [{ ip: '10.244.1.5' }, { ip: '10.244.2.7' }], [{ name: 'pg', port: 5432 }]);
  p.onServiceAdd(svc);
  p.onEndpointSliceAdd(both);
  await start();
  ipvs.setConnections('10.96.0.70:5432/TCP', '10.244.2.7:5432', 1, 2);

  const one = makeSlice('db', [{ ip: '10.244.1.5' }], [{ name: 'pg', port: 5432 }]);
  p.onEndpointSliceUpdate(both, one);
  await p.syncProxyRules();
  t.same(ipvs.dump(), ['TCP 10.96.0.70:5432 rr', '  -> 10.244.1.5:5432 1', '  -> 10.244.2.7:5432 0'], 'weight 0 while it has connections');
  t.same(p.terminatingRealServers(), ['10.96.0.70:5432/TCP/10.244.2.7:5432']);

  // It comes back while draining: it takes new connections again.
  p.onEndpointSliceUpdate(one, both);
  await p.syncProxyRules();
  t.same(ipvs.dump(), ['TCP 10.96.0.70:5432 rr', '  -> 10.244.1.5:5432 1', '  -> 10.244.2.7:5432 1']);
  t.same(p.terminatingRealServers(), []);

  p.onEndpointSliceUpdate(both, one);
  await p.syncProxyRules();
  ipvs.setConnections('10.96.0.70:5432/TCP', '10.244.2.7:5432', 0, 1);
  p.onServiceAdd(makeService('other', { clusterIP: '10.96.0.71', ports: [{ port: 80 }] }));
  await p.syncProxyRules();
  t.same(ipvs.dump().slice(0, 3), ['TCP 10.96.0.70:5432 rr', '  -> 10.244.1.5:5432 1', '  -> 10.244.2.7:5432 0'], 'an inactive connection still holds it');
  ipvs.setConnections('10.96.0.70:5432/TCP', '10.244.2.7:5432', 0, 0);
  p.onServiceDelete(makeService('other', { clusterIP: '10.96.0.71', ports: [{ port: 80 }] }));
  await p.syncProxyRules();
  t.same(ipvs.dump(), ['TCP 10.96.0.70:5432 rr', '  -> 10.244.1.5:5432 1'], 'deleted once its connections are 0 (checked at the next sync)');
  t.same(p.terminatingRealServers(), []);
});

t.test('a real server without connections, or of a UDP service, is deleted at once', async (t) => {
  const { ipvs, p, start } = setup();
  const udp = makeService('dns', { clusterIP: '10.96.0.10', ports: [{ name: 'dns', port: 53, protocol: 'UDP' }, { name: 'dns-tcp', port: 53, protocol: 'TCP' }] });
  const ports = [{ name: 'dns', port: 53, protocol: 'UDP' }, { name: 'dns-tcp', port: 53 }];
  const both = makeSlice('dns', [{ ip: '10.244.1.5' }, { ip: '10.244.2.7' }], ports);
  p.onServiceAdd(udp);
  p.onEndpointSliceAdd(both);
  await start();
  ipvs.setConnections('10.96.0.10:53/UDP', '10.244.2.7:53', 5, 0);
  p.onEndpointSliceUpdate(both, makeSlice('dns', [{ ip: '10.244.1.5' }], ports));
  await p.syncProxyRules();
  t.same(ipvs.dump(), ['TCP 10.96.0.10:53 rr', '  -> 10.244.1.5:53 1', 'UDP 10.96.0.10:53 rr', '  -> 10.244.1.5:53 1']);
});

t.test('a deleted Service: its virtual servers, address and set entries go; virtual servers we did not make stay', async (t) => {
  const { exec, ipvs, links, p, start } = setup();
  await ipvs.addVirtualServer({ address: '172.16.0.9', port: 443, protocol: 'TCP', scheduler: 'wlc', flags: 0, timeout: 0 });
  p.onServiceAdd(web());
  p.onEndpointSliceAdd(webSlice(['10.244.1.5']));
  await start();
  t.equal(ipvs.services.size, 4);
  exec.reset();
  p.onServiceDelete(web());
  await p.syncProxyRules();
  t.same(ipvs.dump(), ['TCP 172.16.0.9:443 wlc'], 'only the foreign virtual server is left');
  t.same([...links.links.get('kube-ipvs0')!], [], 'the ClusterIP is unbound');
  const doc = exec.calls.find((c) => c.file === 'ipset' && c.args[0] === 'restore')!.input!;
  t.same(doc.split('\n').filter((l) => /^(add|del) /.test(l)), [
    'del KUBE-LOOP-BACK 10.244.1.5,tcp:8080,10.244.1.5 -exist',
    'del KUBE-CLUSTER-IP 10.96.0.50,tcp:80 -exist',
    'del KUBE-NODE-PORT-TCP 30080 -exist',
    'del KUBE-IPVS-IPS 10.96.0.50 -exist',
  ], 'a partial sync deletes only what it added, without listing the sets');
  t.same(exec.commands('ipset').map((a) => a[0]), ['restore']);
});

t.test('a failed IPVS call fails the sync, and the retry (a full sync) programs it', async (t) => {
  const { ipvs, p, start } = setup();
  const add = ipvs.addVirtualServer.bind(ipvs);
  let fail = true;
  ipvs.addVirtualServer = async (vs) => {
    if (fail) throw new Error('Request rejected: ENOMEM');
    return add(vs);
  };
  p.onServiceAdd(makeService('a', { clusterIP: '10.96.0.80', ports: [{ port: 80 }] }));
  await start();
  t.equal(ipvs.services.size, 0);
  fail = false;
  await p.syncProxyRules();
  t.same(ipvs.dump(), ['TCP 10.96.0.80:80 rr']);
});
