// The nftables proxier against the real kernel, in a scratch node namespace with two pods: the table it writes is
// accepted and carries traffic; a partial sync leaves other services' rules untouched in the kernel; stale chains are
// deleted by a later sync; a restarted proxier takes the table over; cleanup removes the table.
import t from 'tap';
import { makeService, makeSlice } from '../../../test/fixtures/proxy.js';
import { createScratchNode } from '../../../test/fixtures/proxy-netns.js';
import { cleanupLeftovers } from './cleanup.js';
import { NftablesProxier } from './proxier.js';

const CLUSTER_IP = '10.96.77.7';
const NODE_PORT = 30777;

t.test('nftables proxier in a real network namespace', async (t) => {
  const node = await createScratchNode();
  t.teardown(() => node.close());
  const nft = (...args: string[]) => node.run('nft', args);
  const newProxier = () =>
    new NftablesProxier({
      exec: node.exec,
      nodeName: node.nodeName,
      clusterCIDR: node.clusterCIDR,
      nodePortAddresses: [node.nodeIP],
      serviceCIDRs: [node.serviceCIDR],
      staleChainDelayMs: 0,
    });
  const proxier = newProxier();
  t.teardown(() => proxier.close());
  const svc = makeService('web', { type: 'NodePort', clusterIP: CLUSTER_IP, ports: [{ name: 'http', port: 80, targetPort: 8080, nodePort: NODE_PORT }] });
  const slice = makeSlice('web', [{ ip: node.pods[0]!.ip, node: node.nodeName }, { ip: node.pods[1]!.ip, node: 'other' }], [{ name: 'http', port: 8080 }]);
  proxier.onServiceAdd(svc);
  proxier.onEndpointSliceAdd(slice);
  proxier.onServiceSynced();
  proxier.onEndpointSlicesSynced();
  await proxier.syncProxyRules();
  const table = await nft('list', 'table', 'ip', 'kube-proxy');
  t.match(table, /chain nat-prerouting \{\n\s+type nat hook prerouting priority dstnat; policy accept;\n\s+jump services\n/, 'the base chains are hooked');
  t.match(table, /map service-ips \{[^}]*elements = \{ 10\.96\.77\.7 \. tcp \. 80 : goto service-[A-Z2-7]{8}-default\/web\/tcp\/http/, 'the ClusterIP is in the dispatch map');

  t.test('ClusterIP and NodePort reach both pods; 127.0.0.1 is no NodePort address in nftables mode', async (t) => {
    t.same(new Set(await node.http(node.netns, `http://${CLUSTER_IP}/`, 20)), new Set(['pod1', 'pod2']));
    t.same(new Set(await node.http(node.external.netns, `http://${node.nodeIP}:${NODE_PORT}/`, 20)), new Set(['pod1', 'pod2']));
    t.same(await node.http(node.netns, `http://127.0.0.1:${NODE_PORT}/`, 1), ['ERR:ECONNREFUSED']);
  });

  t.test("a partial sync leaves other services' chains as they are in the kernel", async (t) => {
    const handles = async () => (await nft('-a', 'list', 'table', 'ip', 'kube-proxy')).match(/chain service-\S+web\S* \{[^}]*\}/)![0];
    const before = await handles();
    proxier.onServiceAdd(makeService('other', { clusterIP: '10.96.77.8', ports: [{ port: 80, targetPort: 8080 }] }));
    proxier.onEndpointSliceAdd(makeSlice('other', [{ ip: node.pods[1]!.ip }], [{ port: 8080 }]));
    await proxier.syncProxyRules();
    t.equal(await handles(), before, 'same rules, same handles: not rewritten');
    t.same(await node.http(node.netns, 'http://10.96.77.8/', 3), ['pod2', 'pod2', 'pod2'], 'the new service works');
    t.same(new Set(await node.http(node.netns, `http://${CLUSTER_IP}/`, 12)), new Set(['pod1', 'pod2']), 'and the old one still does');
  });

  // A restarted kube-proxy is a new proxier on the same table; the first one is stopped.
  const second = newProxier();
  t.teardown(() => second.close());

  t.test('a restarted proxier takes the table over without duplicating anything', async (t) => {
    await proxier.close();
    second.onServiceAdd(svc);
    second.onEndpointSliceAdd(slice);
    second.onServiceSynced();
    second.onEndpointSlicesSynced();
    await second.syncProxyRules();
    const ruleset = await nft('list', 'table', 'ip', 'kube-proxy');
    t.equal(ruleset.match(/jump services$/gm)?.length, 2, 'one jump from nat-prerouting, one from nat-output');
    t.notMatch(await nft('list', 'map', 'ip', 'kube-proxy', 'service-ips'), '10.96.77.8', "the service the new proxier doesn't know is gone from the maps");
    t.same(new Set(await node.http(node.netns, `http://${CLUSTER_IP}/`, 12)), new Set(['pod1', 'pod2']));
  });

  t.test('without endpoints the ClusterIP refuses; the stale chains are deleted by the next sync', async (t) => {
    second.onEndpointSliceDelete(slice);
    await second.syncProxyRules();
    t.same(await node.http(node.netns, `http://${CLUSTER_IP}/`, 2), ['ERR:ECONNREFUSED', 'ERR:ECONNREFUSED']);
    t.match(await nft('list', 'chains', 'ip'), /endpoint-\S+__10\.245\.1\.2\/8080/, 'flushed, still there');
    await second.syncProxyRules();
    t.notMatch(await nft('list', 'chains', 'ip'), /web/, 'deleted');
    t.match(await nft('list', 'map', 'ip', 'kube-proxy', 'no-endpoint-services'), /10\.96\.77\.7 \. tcp \. 80 comment "default\/web:http" : goto reject-chain/);
  });

  t.test('cleanup deletes the table, and is idempotent', async (t) => {
    await cleanupLeftovers(node.exec);
    t.notMatch(await nft('list', 'tables'), /kube-proxy/);
    await cleanupLeftovers(node.exec);
    t.pass('a second cleanup finds nothing to do');
  });
});
