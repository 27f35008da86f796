// The doctor against real rules: in a scratch node namespace the real proxier (iptables, then nftables) programs a
// NodePort Service with two endpoints and the node has its host-gw route to a peer. The doctor sees no difference;
// a rule deleted by hand is reported and is back after the proxier's next sync; an endpoint the API no longer has,
// a peer's missing route and a route to a deleted Node are reported too. Only the scratch namespaces are touched.
import t from 'tap';
import type { EndpointSlice, Node } from '../../api/types.js';
import { makeService, makeSlice, staticApiClient } from '../../test/fixtures/proxy.js';
import { createScratchNode, type ScratchNode } from '../../test/fixtures/proxy-netns.js';
import { IptablesProxier } from '../proxy/iptables/proxier.js';
import { NftablesProxier } from '../proxy/nftables/proxier.js';
import type { Provider } from '../proxy/types.js';
import { KUBETS_ROUTE_PROTOCOL } from '../network/routes.js';
import { checkNetwork } from './index.js';

const CLUSTER_IP = '10.96.77.7';
const NODE_PORT = 30777;
const PEER_POD_CIDR = '10.245.9.0/24';

function makeNode(name: string, ip: string, podCIDR: string): Node {
  return { apiVersion: 'v1', kind: 'Node', metadata: { name }, spec: { podCIDR }, status: { addresses: [{ type: 'InternalIP', address: ip }] } };
}

const modes = {
  iptables: (node: ScratchNode) => new IptablesProxier({ exec: node.exec, nodeName: node.nodeName, clusterCIDR: node.clusterCIDR }),
  nftables: (node: ScratchNode) =>
    new NftablesProxier({ exec: node.exec, nodeName: node.nodeName, clusterCIDR: node.clusterCIDR, nodePortAddresses: [node.nodeIP], serviceCIDRs: [node.serviceCIDR], staleChainDelayMs: 0 }),
};

for (const mode of ['iptables', 'nftables'] as const) {
  t.test(`network doctor in ${mode} mode, in a real network namespace`, async (t) => {
    const node = await createScratchNode();
    t.teardown(() => node.close());
    const proxiers: Provider[] = [];
    t.teardown(() => Promise.all(proxiers.map((p) => p.close())));
    const svc = makeService('web', { type: 'NodePort', clusterIP: CLUSTER_IP, ports: [{ name: 'http', port: 80, targetPort: 8080, nodePort: NODE_PORT }] });
    const slice = makeSlice('web', [{ ip: node.pods[0]!.ip, node: node.nodeName }, { ip: node.pods[1]!.ip, node: 'other' }], [{ name: 'http', port: 8080 }]);
    const startProxier = async (slices: EndpointSlice[]) => {
      const p = modes[mode](node);
      proxiers.push(p);
      p.onServiceAdd(svc);
      for (const s of slices) p.onEndpointSliceAdd(s);
      p.onServiceSynced();
      p.onEndpointSlicesSynced();
      await (p as IptablesProxier | NftablesProxier).syncProxyRules();
      return p as IptablesProxier | NftablesProxier;
    };
    const proxier = await startProxier([slice]);

    const services = [svc];
    const slices = [slice];
    const nodes = [makeNode(node.nodeName, node.nodeIP, '10.245.0.0/24'), makeNode('peer', node.external.ip, PEER_POD_CIDR)];
    const client = staticApiClient(services, slices, nodes);
    const doctor = async () => (await checkNetwork({ client, exec: node.exec, nodeName: node.nodeName, proxyMode: mode })).differences.map((d) => d.message);
    const web = `default/web:http (${CLUSTER_IP}:80/TCP)`;
    const [ep1, ep2] = node.pods.map((p) => `${p.ip}:8080`);

    t.same(await doctor(), [`missing route to peer's pods ${PEER_POD_CIDR} via ${node.external.ip}`], 'only the peer route the agent would add is missing');
    await node.run('ip', ['route', 'add', PEER_POD_CIDR, 'via', node.external.ip, 'proto', String(KUBETS_ROUTE_PROTOCOL)]);
    t.same(await doctor(), [], 'the kernel has what the API says');

    t.test('a rule deleted by hand is reported, and the next sync restores it', async (t) => {
      if (mode === 'iptables') {
        // The cluster chain's jump to the first endpoint's chain.
        const rules = (await node.run('iptables', ['-t', 'nat', '-S'])).split('\n');
        const jump = rules.find((r) => r.startsWith('-A KUBE-SVC-') && r.includes(`-> ${ep1}`))!;
        t.ok(jump, 'the jump to the first endpoint is there');
        const chain = jump.split(' ')[1]!;
        const position = rules.filter((r) => r.startsWith(`-A ${chain} `)).indexOf(jump) + 1;
        await node.run('iptables', ['-t', 'nat', '-D', chain, String(position)]);
        const differences = await doctor();
        t.equal(differences.length, 1, differences.join('\n'));
        t.match(differences[0], new RegExp(`^missing endpoint ${web.replace(/[().]/g, '\\$&')} -> ${ep1}: no jump from KUBE-SVC-\\w+ to KUBE-SEP-\\w+$`));
      } else {
        const element = `{ ${CLUSTER_IP} . tcp . 80 }`;
        await node.run('nft', ['delete', 'element', 'ip', 'kube-proxy', 'service-ips', element]);
        t.same(await doctor(), [`missing service ${web}: no service-ips element`]);
      }
      // A partial sync writes only what changed since the last one, as kube-proxy's; a full sync (a restart, or the
      // periodic one) reads the kernel and rewrites every chain.
      await proxier.close();
      await startProxier([slice]);
      t.same(await doctor(), [], 'restored');
    });

    t.test('an endpoint the API no longer has is stale until the proxy catches up', async (t) => {
      const fewer = makeSlice('web', [{ ip: node.pods[0]!.ip, node: node.nodeName }], [{ name: 'http', port: 8080 }]);
      slices.splice(0, 1, fewer);
      const differences = await doctor();
      t.equal(differences.length, 1, differences.join('\n'));
      t.match(differences[0], `stale endpoint ${web}: `);
      t.match(differences[0], `(${ep2} is not a ready endpoint)`);
      const p = proxiers[proxiers.length - 1] as IptablesProxier | NftablesProxier;
      p.onEndpointSliceUpdate(slice, fewer);
      await p.syncProxyRules();
      t.same(await doctor(), []);
    });

    t.test('a Service the API no longer has is stale', async (t) => {
      services.splice(0, 1);
      slices.splice(0, 1);
      const differences = await doctor();
      t.equal(differences.length, 1, differences.join('\n'));
      t.match(differences[0], /^stale service default\/web:http \(10\.96\.77\.7:80\/TCP\): /);
    });

    t.test('a route to a deleted Node is reported', async (t) => {
      nodes.splice(1, 1);
      const differences = await doctor();
      t.equal(differences.length, 2, 'the stale service, and the route');
      t.equal(differences[1], `route to a deleted node: ${PEER_POD_CIDR} via ${node.external.ip}`);
    });
  });
}
