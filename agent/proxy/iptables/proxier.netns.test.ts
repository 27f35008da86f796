// The proxier against the real kernel: a scratch node namespace routing to two pod namespaces, a server in each pod,
// and the proxier's rules restored into the node namespace. Traffic to the ClusterIP and a
// NodePort must reach both pods; with the endpoints gone the ClusterIP must refuse; cleanup must leave no KUBE- chain.
// Partial syncs rewrite only the changed Service's chains in the kernel and leave it as a full sync would.
import t from 'tap';
import type { EndpointSlice, Service } from '../../../api/types.js';
import { makeService, makeSlice } from '../../../test/fixtures/proxy.js';
import { createScratchNode } from '../../../test/fixtures/proxy-netns.js';
import { servicePortEndpointChain, serviceExternalChain, servicePortPolicyClusterChain } from './chains.js';
import { cleanupLeftovers } from './cleanup.js';
import { applyRestores } from './fakeexec.js';
import { IptablesProxier, listTableAboveChains } from './proxier.js';

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

t.test('partial syncs in a real network namespace', async (t) => {
  const node = await createScratchNode();
  t.teardown(() => node.close());
  const [pod1, pod2] = node.pods as [(typeof node.pods)[0], (typeof node.pods)[0]];
  const newProxier = () => new IptablesProxier({ exec: node.exec, nodeName: node.nodeName, clusterCIDR: node.clusterCIDR });
  const web = makeService('web', { type: 'NodePort', clusterIP: CLUSTER_IP, ports: [{ name: 'http', port: 80, targetPort: 8080, nodePort: NODE_PORT }] });
  const webSlice = makeSlice('web', [{ ip: pod1.ip, node: node.nodeName }, { ip: pod2.ip, node: 'other' }], [{ name: 'http', port: 8080 }]);
  const api = makeService('api', { clusterIP: '10.96.77.8', ports: [{ port: 80, targetPort: 8080 }] });
  const apiSlice = makeSlice('api', [{ ip: pod2.ip }], [{ port: 8080 }]);
  const apiMoved = makeSlice('api', [{ ip: pod1.ip }], [{ port: 8080 }]);
  const old = makeService('old', { clusterIP: '10.96.77.9', sessionAffinity: 'ClientIP', ports: [{ port: 80, targetPort: 8080 }] });
  const oldSlice = makeSlice('old', [{ ip: pod1.ip }, { ip: pod2.ip }], [{ port: 8080 }]);
  const start = async (services: [Service, EndpointSlice][]) => {
    const p = newProxier();
    t.teardown(() => p.close());
    for (const [svc, slice] of services) {
      p.onServiceAdd(svc);
      p.onEndpointSliceAdd(slice);
    }
    p.onServiceSynced();
    p.onEndpointSlicesSynced();
    await p.syncProxyRules();
    return p;
  };
  const proxier = await start([[web, webSlice], [api, apiSlice], [old, oldSlice]]);

  // Every rule has a handle in nf_tables (iptables-nft): a chain written again gets new ones. (Counters move with traffic.)
  const name = 'default/web:http';
  const webChains = [servicePortPolicyClusterChain(name, 'tcp'), serviceExternalChain(name, 'tcp'), ...[pod1, pod2].map((p) => servicePortEndpointChain(name, 'tcp', `${p.ip}:8080`))];
  const webRules = async () =>
    Promise.all(webChains.map(async (c) => (await node.run('nft', ['-a', 'list', 'chain', 'ip', 'nat', c])).replace(/counter packets \d+ bytes \d+/g, 'counter')));
  const before = await webRules();
  t.match(before[0], /# handle \d+/, 'rules carry handles');
  const kernel = async () => applyRestores(await node.run('iptables-save', []));

  t.test("a one-Service change rewrites only that Service's chains", async (t) => {
    proxier.onEndpointSliceUpdate(apiSlice, apiMoved);
    await proxier.syncProxyRules();
    t.same(await webRules(), before, "web's chains: the same rules with the same handles");
    t.same(await node.http(node.netns, 'http://10.96.77.8/', 3), ['pod1', 'pod1', 'pod1'], 'the changed Service reaches its new endpoint');
    t.same(new Set(await node.http(node.netns, `http://${CLUSTER_IP}/`, 12)), new Set(['pod1', 'pod2']), 'the unchanged one still balances');
    const apiChains = Object.keys(await kernel()).filter((c) => c.startsWith('nat KUBE-SEP-') && c.includes(servicePortEndpointChain('default/api', 'tcp', `${pod2.ip}:8080`)));
    t.same(apiChains, [], "the old endpoint's chain is gone");
  });

  t.test('a deleted Service: its chains go, the others stay as they are', async (t) => {
    proxier.onServiceDelete(old);
    proxier.onEndpointSliceDelete(oldSlice);
    await proxier.syncProxyRules();
    t.same(await webRules(), before);
    const stale = [servicePortPolicyClusterChain('default/old', 'tcp'), ...[pod1, pod2].map((p) => servicePortEndpointChain('default/old', 'tcp', `${p.ip}:8080`))];
    const chains = Object.keys(await kernel());
    t.same(stale.filter((c) => chains.includes(`nat ${c}`)), []);
    t.notMatch(await node.run('iptables-save', []), '10.96.77.9', 'no rule for its ClusterIP');
  });

  t.test('the kernel holds what a full sync from nothing writes', async (t) => {
    const afterPartial = await kernel();
    await proxier.close();
    await cleanupLeftovers(node.exec);
    t.notMatch(await node.run('iptables-save', []), /KUBE-/, 'cleaned up');
    await start([[web, webSlice], [api, apiMoved]]);
    t.same(await kernel(), afterPartial);
  });
});

t.test('a restore over listTableAboveChains chains (led by -S) and a partial sync after it, in the real kernel', async (t) => {
  const node = await createScratchNode();
  t.teardown(() => node.close());
  const p = new IptablesProxier({ exec: node.exec, nodeName: node.nodeName, clusterCIDR: node.clusterCIDR });
  t.teardown(() => p.close());
  const perService = 10;
  const services = Math.ceil(listTableAboveChains / (perService + 1)) + 1;
  const slices: EndpointSlice[] = [];
  for (let i = 0; i < services; i++) {
    p.onServiceAdd(makeService(`s${i}`, { clusterIP: `10.96.1.${i + 1}`, ports: [{ name: 'http', port: 80, targetPort: 8080 }] }));
    slices.push(makeSlice(`s${i}`, Array.from({ length: perService }, (_, j) => ({ ip: `10.244.${100 + i}.${j + 1}` })), [{ name: 'http', port: 8080 }]));
    p.onEndpointSliceAdd(slices[i]!);
  }
  p.onServiceSynced();
  p.onEndpointSlicesSynced();
  await p.syncProxyRules();
  const seps = async () => (await node.run('iptables-save', ['-t', 'nat'])).match(/^:KUBE-SEP-/gm)?.length ?? 0;
  t.equal(await seps(), services * perService, 'every endpoint chain is in the kernel');

  p.onEndpointSliceUpdate(slices[0]!, makeSlice('s0', [{ ip: '10.244.100.1' }], [{ name: 'http', port: 8080 }]));
  await p.syncProxyRules();
  t.equal(await seps(), (services - 1) * perService + 1, "the changed Service's dropped endpoint chains are gone");
  t.match(await node.run('iptables-save', ['-t', 'nat']), /-A KUBE-SERVICES .*-d 10\.96\.1\.1\/32 .*-j KUBE-SVC-/);
});
