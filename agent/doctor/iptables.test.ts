import t from 'tap';
import { makeService, makeSlice, type SliceEndpointSpec } from '../../test/fixtures/proxy.js';
import { FakeExec } from '../proxy/iptables/fakeexec.js';
import { IptablesProxier } from '../proxy/iptables/proxier.js';
import { expectedServicePorts } from './expected.js';
import { compareIptables, parseIptablesSave } from './iptables.js';
import { iptablesSave } from './testdata.js';

const web = makeService('web', { type: 'NodePort', clusterIP: '10.96.0.20', ports: [{ name: 'http', port: 80, targetPort: 8080, nodePort: 30080 }] });
const empty = makeService('empty', { clusterIP: '10.96.0.30', ports: [{ port: 53, protocol: 'UDP', targetPort: 53 }] });
const webSlice = (eps: SliceEndpointSpec[] = [{ ip: '10.244.1.5', node: 'kt-node' }, { ip: '10.244.2.5', node: 'worker2' }]) => makeSlice('web', eps, [{ name: 'http', port: 8080 }]);
const check = (save: string, services = [web, empty], slices = [webSlice()]) => compareIptables(expectedServicePorts(services, slices, 'kt-node'), parseIptablesSave(save)).map((d) => d.message);
const without = (pattern: RegExp) => iptablesSave.split('\n').filter((l) => !pattern.test(l)).join('\n');

t.test('the kernel as the proxier left it matches the API', async (t) => {
  t.same(check(iptablesSave), []);
});

t.test('a missing ClusterIP jump is a missing service', async (t) => {
  t.same(check(without(/^-A KUBE-SERVICES -d 10\.96\.0\.20\//)), ['missing service default/web:http (10.96.0.20:80/TCP): no KUBE-SERVICES rule']);
});

t.test('a missing NodePort jump', async (t) => {
  t.same(check(without(/^-A KUBE-NODEPORTS .*--dport 30080/)), ['missing service default/web:http (10.96.0.20:80/TCP): no KUBE-NODEPORTS rule for node port 30080']);
});

t.test('a Service without endpoints needs its REJECT rule', async (t) => {
  t.same(check(without(/REJECT/)), ['missing service default/empty (10.96.0.30:53/UDP): no REJECT rule in filter KUBE-SERVICES (it has no endpoints)']);
});

t.test('a missing KUBE-SEP jump or DNAT is a missing endpoint', async (t) => {
  t.same(check(without(/^-A KUBE-SVC-\S+ .*-> 10\.244\.2\.5:8080/)), [
    'missing endpoint default/web:http (10.96.0.20:80/TCP) -> 10.244.2.5:8080: no jump from KUBE-SVC-CDGGSHYLG3RE2FKL to KUBE-SEP-OAIGUPJHOE4YU7HS',
  ]);
  t.same(check(without(/DNAT --to-destination 10\.244\.1\.5:8080/)), [
    'missing endpoint default/web:http (10.96.0.20:80/TCP) -> 10.244.1.5:8080: KUBE-SEP-AFGSLHOD2HFNCBX4 does not DNAT to it',
  ]);
});

t.test('an endpoint that is not ready (or gone) is stale while the rules still send traffic to it', async (t) => {
  const stale = ['stale endpoint default/web:http (10.96.0.20:80/TCP): KUBE-SVC-CDGGSHYLG3RE2FKL jumps to KUBE-SEP-OAIGUPJHOE4YU7HS (10.244.2.5:8080 is not a ready endpoint)'];
  t.same(check(iptablesSave, [web, empty], [webSlice([{ ip: '10.244.1.5', node: 'kt-node' }, { ip: '10.244.2.5', node: 'worker2', ready: false }])]), stale);
  t.same(check(iptablesSave, [web, empty], [webSlice([{ ip: '10.244.1.5', node: 'kt-node' }])]), stale);
});

t.test('rules of a deleted Service are stale', async (t) => {
  t.same(check(iptablesSave, [empty], []), [
    'stale service default/web:http (10.96.0.20:80/TCP): KUBE-SERVICES jumps to KUBE-SVC-CDGGSHYLG3RE2FKL, but the API has no such service port with ready endpoints',
  ]);
});

t.test("the proxier's own ruleset matches, whatever the traffic policies and affinity", async (t) => {
  const services = [
    web,
    empty,
    makeService('local', { type: 'NodePort', clusterIP: '10.96.0.40', externalTrafficPolicy: 'Local', internalTrafficPolicy: 'Local', ports: [{ port: 443, targetPort: 8443, nodePort: 30443 }] }),
    makeService('sticky', { clusterIP: '10.96.0.50', sessionAffinity: 'ClientIP', ports: [{ name: 'dns', port: 53, protocol: 'UDP', targetPort: 5353 }] }),
  ];
  const slices = [
    webSlice(),
    makeSlice('local', [{ ip: '10.244.1.7', node: 'kt-node' }, { ip: '10.244.3.7', node: 'worker3' }], [{ port: 8443 }]),
    makeSlice('sticky', [{ ip: '10.244.2.8', node: 'worker2' }, { ip: '10.244.3.8', node: 'worker3', ready: false, serving: true, terminating: true }], [{ name: 'dns', port: 5353, protocol: 'UDP' }]),
  ];
  const fake = new FakeExec();
  const proxier = new IptablesProxier({ exec: fake.exec, nodeName: 'kt-node', clusterCIDR: '10.244.0.0/16' });
  for (const s of services) proxier.onServiceAdd(s);
  for (const s of slices) proxier.onEndpointSliceAdd(s);
  proxier.onServiceSynced();
  proxier.onEndpointSlicesSynced();
  await proxier.syncProxyRules();
  await proxier.close();
  t.same(check(fake.lastRestore(), services, slices), []);
  // Only the terminating endpoint left: kube-proxy falls back to it, so the ready one's rules are stale.
  const onlyTerminating = makeSlice('sticky', [{ ip: '10.244.3.8', node: 'worker3', ready: false, serving: true, terminating: true }], [{ name: 'dns', port: 5353, protocol: 'UDP' }]);
  t.same(check(fake.lastRestore(), services, [...slices.slice(0, 2), onlyTerminating]), [
    'missing endpoint default/sticky:dns (10.96.0.50:53/UDP) -> 10.244.3.8:5353: no jump from KUBE-SVC-76DGK2EVNAE6X6A3 to KUBE-SEP-PVXZYG7QGTIHUOOY',
    'stale endpoint default/sticky:dns (10.96.0.50:53/UDP): KUBE-SVC-76DGK2EVNAE6X6A3 jumps to KUBE-SEP-F5RHPDBQCC3GE3KW (10.244.2.8:5353 is not a ready endpoint)',
  ]);
});

t.test('parsing keeps quoted comments whole and negated options apart', async (t) => {
  const [rule] = parseIptablesSave('*nat\n-A KUBE-SVC-X ! -s 10.244.0.0/16 -d 10.96.0.1/32 -m comment --comment "a \\"b\\" c" -j KUBE-MARK-MASQ\n').rules;
  t.equal(rule!.opts.get('!-s'), '10.244.0.0/16');
  t.equal(rule!.opts.get('-d'), '10.96.0.1/32');
  t.equal(rule!.opts.get('--comment'), 'a "b" c');
  t.equal(rule!.opts.get('-j'), 'KUBE-MARK-MASQ');
});
