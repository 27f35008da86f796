// The proxier against the real kernel: a scratch node namespace routing to two pod namespaces, a server in each pod,
// and the proxier's rules restored into the node namespace. Traffic to the ClusterIP and a
// NodePort must reach both pods; with the endpoints gone the ClusterIP must refuse; cleanup must leave no KUBE- chain.
import t from 'tap';
import { makeService, makeSlice } from '../../../test/fixtures/proxy.js';
import { createScratchNode } from '../../../test/fixtures/proxy-netns.js';
import { cleanupLeftovers } from './cleanup.js';
import { IptablesProxier } from './proxier.js';

const CLUSTER_IP = '10.96.77.7';
const NODE_PORT = 30777;

t.test('iptables proxier in a real network namespace', async (t) => {
  const node = await createScratchNode();
  t.teardown(() => node.close());
  const requestFromNode = (url: string, count: number) => node.http(node.netns, url, count);
  const sh = (file: string, args: string[]) => node.run(file, args);
  const exec = node.exec;
  const newProxier = () => new IptablesProxier({ exec, nodeName: node.nodeName, clusterCIDR: node.clusterCIDR });
  const proxier = newProxier();
  t.teardown(() => proxier.close());
  const svc = makeService('web', { type: 'NodePort', clusterIP: CLUSTER_IP, ports: [{ name: 'http', port: 80, targetPort: 8080, nodePort: NODE_PORT }] });
  const slice = makeSlice('web', [{ ip: node.pods[0]!.ip, node: node.nodeName }, { ip: node.pods[1]!.ip, node: 'other' }], [{ name: 'http', port: 8080 }]);
  proxier.onServiceAdd(svc);
  proxier.onEndpointSliceAdd(slice);
  proxier.onServiceSynced();
  proxier.onEndpointSlicesSynced();
  await proxier.syncProxyRules();
  const nat = await sh('iptables-save', ['-t', 'nat']);
  t.match(nat, /-A KUBE-SERVICES .*-d 10\.96\.77\.7\/32 .*-j KUBE-SVC-/, 'the ruleset is in the kernel');

  t.test('ClusterIP reaches both pods', async (t) => {
    const got = await requestFromNode(`http://${CLUSTER_IP}/`, 20);
    t.same(new Set(got), new Set(['pod1', 'pod2']), got.join(','));
  });

  t.test('NodePort on the node address reaches both pods', async (t) => {
    const got = await requestFromNode(`http://${node.nodeIP}:${NODE_PORT}/`, 20);
    t.same(new Set(got), new Set(['pod1', 'pod2']), got.join(','));
  });

  t.test('NodePort on 127.0.0.1 works (route_localnet)', async (t) => {
    const got = await requestFromNode(`http://127.0.0.1:${NODE_PORT}/`, 6);
    t.ok(got.every((b) => b === 'pod1' || b === 'pod2'), got.join(','));
  });

  t.test('a restarted proxier does not duplicate the jumps', async (t) => {
    const second = newProxier();
    second.onServiceAdd(svc);
    second.onEndpointSliceAdd(slice);
    second.onServiceSynced();
    second.onEndpointSlicesSynced();
    await second.syncProxyRules();
    await second.close();
    const save = await sh('iptables-save', []);
    t.equal(save.match(/^-A PREROUTING .*-j KUBE-SERVICES$/gm)?.length, 1);
    t.equal(save.match(/^-A OUTPUT .*-j KUBE-SERVICES$/gm)?.length, 2, 'one in nat, one in filter');
  });

  t.test('without endpoints the ClusterIP refuses and the service chains are gone', async (t) => {
    proxier.onEndpointSliceDelete(slice);
    await proxier.syncProxyRules();
    t.same(await requestFromNode(`http://${CLUSTER_IP}/`, 2), ['ERR:ECONNREFUSED', 'ERR:ECONNREFUSED']);
    const save = await sh('iptables-save', []);
    t.notMatch(save, /KUBE-(SVC|SEP|EXT)-/);
    t.match(save, /-A KUBE-SERVICES .*-d 10\.96\.77\.7\/32 .*-j REJECT --reject-with icmp-port-unreachable/);
  });

  t.test('cleanup leaves no KUBE- chain or jump', async (t) => {
    await cleanupLeftovers(exec);
    const save = await sh('iptables-save', []);
    t.notMatch(save, /KUBE-/);
    await cleanupLeftovers(exec);
    t.pass('cleanup is idempotent');
  });
});
