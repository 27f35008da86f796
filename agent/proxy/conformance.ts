// The Service behaviour every proxy mode must have (kube-proxy's e2e network tests, in small), as one tap suite each
// mode's test runs with its own proxier: real traffic in a scratch node (test/fixtures/proxy-netns.ts) from the node
// itself, from its pods and from an outside client. One proxier serves every subtest, each with Services of its own,
// so later subtests also exercise syncs that change a table already full of other Services. The health check server
// listens in this process's namespace, on loopback: it is asked directly rather than through the node's address.
import type tap from 'tap';
import { createServer } from 'node:net';
import { makeService, makeSlice, type SliceEndpointSpec } from '../../test/fixtures/proxy.js';
import { createScratchNode, type ScratchNode, type ScratchNodeOptions } from '../../test/fixtures/proxy-netns.js';
import { ServiceHealthServer } from './servicehealth.js';
import type { Exec, Provider } from './types.js';

export type Tap = Parameters<Parameters<typeof tap.test>[0]>[0];

export interface ConformanceProxier extends Provider {
  /** Runs one sync now. */
  syncProxyRules(): Promise<void>;
}

export interface ProxierFactoryOptions {
  /** Runs the mode's tools inside the scratch node's namespace. */
  exec: Exec;
  nodeName: string;
  nodeIP: string;
  clusterCIDR: string;
  serviceCIDR: string;
  serviceHealth: ServiceHealthServer;
}

/** A port nothing listens on now, for a health check node port. */
function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const s = createServer();
    s.once('error', reject);
    s.listen(0, '127.0.0.1', () => {
      const port = (s.address() as { port: number }).port;
      s.close(() => resolve(port));
    });
  });
}

const distinct = (answers: string[]) => [...new Set(answers)].sort();

/** Where a mode behaves unlike iptables and nftables — as upstream kube-proxy's same mode does. */
export interface ModeBehaviour {
  /** A ClusterIP whose internalTrafficPolicy Local leaves no endpoint on this node: dropped (a timeout), or refused
   * (IPVS: a virtual server without real servers answers ICMP port unreachable). */
  internalLocalWithoutEndpoint?: 'ERR:ETIMEDOUT' | 'ERR:ECONNREFUSED';
  /** Outside traffic to an externalTrafficPolicy Local NodePort on a node without a local endpoint: dropped; or (IPVS)
   * sent, unmasqueraded, to the cluster's endpoints — kube-proxy's IPVS mode falls back to them so that this node's
   * pods still reach the service, and off a flat network the endpoint's reply never returns to the client. */
  externalLocalWithoutEndpoint?: 'dropped' | 'forwarded';
}

export function serviceConformance(
  t: Tap,
  newProxier: (o: ProxierFactoryOptions) => ConformanceProxier,
  { scratch = {}, behaviour = {} }: { scratch?: ScratchNodeOptions; behaviour?: ModeBehaviour } = {},
): void {
  t.test('Service behaviour with real traffic', async (t) => {
    const node: ScratchNode = await createScratchNode(scratch);
    t.teardown(() => node.close());
    const serviceHealth = new ServiceHealthServer({ addresses: ['127.0.0.1'] });
    t.teardown(() => serviceHealth.close());
    const proxier = newProxier({ exec: node.exec, nodeName: node.nodeName, nodeIP: node.nodeIP, clusterCIDR: node.clusterCIDR, serviceCIDR: node.serviceCIDR, serviceHealth });
    t.teardown(() => proxier.close());
    proxier.onServiceSynced();
    proxier.onEndpointSlicesSynced();
    await proxier.syncProxyRules();

    const [pod1, pod2] = node.pods as [ScratchNode['pods'][0], ScratchNode['pods'][0]];
    // pod1 runs on this node; pod2 stands for a pod on another node (routable from here, as over the pod network).
    const local: SliceEndpointSpec = { ip: pod1.ip, node: node.nodeName };
    const remote: SliceEndpointSpec = { ip: pod2.ip, node: 'other-node' };
    const httpPorts = [{ name: 'http', port: 8080 }];
    const fromNode = (url: string, n: number, timeoutMs?: number) => node.http(node.netns, url, n, timeoutMs);
    const fromOutside = (url: string, n: number, timeoutMs?: number) => node.http(node.external.netns, url, n, timeoutMs);
    const synced = async (apply: () => void) => {
      apply();
      await proxier.syncProxyRules();
    };

    t.test('ClusterIP: both endpoints are reached', async (t) => {
      await synced(() => {
        proxier.onServiceAdd(makeService('cip', { clusterIP: '10.96.10.1', ports: [{ name: 'http', port: 80, targetPort: 8080 }] }));
        proxier.onEndpointSliceAdd(makeSlice('cip', [local, remote], httpPorts));
      });
      const got = await fromNode('http://10.96.10.1/', 20);
      t.same(distinct(got), ['pod1', 'pod2'], got.join(','));
      t.same(distinct(await node.http(pod1.netns, 'http://10.96.10.1/', 10)), ['pod1', 'pod2'], 'from a pod too');
    });

    t.test('NodePort on the node IP reaches both endpoints from outside the node', async (t) => {
      await synced(() => {
        proxier.onServiceAdd(makeService('np', { type: 'NodePort', clusterIP: '10.96.10.2', ports: [{ name: 'http', port: 80, targetPort: 8080, nodePort: 30102 }] }));
        proxier.onEndpointSliceAdd(makeSlice('np', [local, remote], httpPorts));
      });
      const got = await fromOutside(`http://${node.nodeIP}:30102/`, 20);
      t.same(distinct(got), ['pod1', 'pod2'], got.join(','));
      t.same(distinct(await fromNode(`http://${node.nodeIP}:30102/`, 10)), ['pod1', 'pod2'], 'and from the node itself');
    });

    t.test('a Service without endpoints refuses connections (REJECT, not a timeout)', async (t) => {
      await synced(() => proxier.onServiceAdd(makeService('empty', { type: 'NodePort', clusterIP: '10.96.10.3', ports: [{ name: 'http', port: 80, nodePort: 30103 }] })));
      t.same(await fromNode('http://10.96.10.3/', 2), ['ERR:ECONNREFUSED', 'ERR:ECONNREFUSED'], 'ClusterIP from the node');
      t.same(await node.http(pod1.netns, 'http://10.96.10.3/', 1), ['ERR:ECONNREFUSED'], 'ClusterIP from a pod');
      t.same(await fromOutside(`http://${node.nodeIP}:30103/`, 1), ['ERR:ECONNREFUSED'], 'NodePort from outside');
    });

    t.test('when endpoints change, the old endpoint is no longer reached', async (t) => {
      const before = makeSlice('moving', [local], httpPorts);
      await synced(() => {
        proxier.onServiceAdd(makeService('moving', { clusterIP: '10.96.10.4', ports: [{ name: 'http', port: 80 }] }));
        proxier.onEndpointSliceAdd(before);
      });
      t.same(distinct(await fromNode('http://10.96.10.4/', 6)), ['pod1']);
      await synced(() => proxier.onEndpointSliceUpdate(before, makeSlice('moving', [remote], httpPorts)));
      t.same(distinct(await fromNode('http://10.96.10.4/', 10)), ['pod2']);
    });

    t.test('sessionAffinity ClientIP: a client reaches the same endpoint every time', async (t) => {
      await synced(() => {
        proxier.onServiceAdd(makeService('sticky', { sessionAffinity: 'ClientIP', clusterIP: '10.96.10.5', ports: [{ name: 'http', port: 80 }] }));
        proxier.onEndpointSliceAdd(makeSlice('sticky', [local, remote], httpPorts));
      });
      for (const [who, netns] of [['the node', node.netns], ['a pod', pod2.netns]] as const) {
        const got = await node.http(netns, 'http://10.96.10.5/', 15);
        t.equal(distinct(got).length, 1, `${who}: ${got.join(',')}`);
      }
    });

    t.test('a multi-port Service: each port reaches its own target port', async (t) => {
      await synced(() => {
        proxier.onServiceAdd(makeService('multi', { clusterIP: '10.96.10.6', ports: [{ name: 'http', port: 80 }, { name: 'alt', port: 81 }] }));
        proxier.onEndpointSliceAdd(makeSlice('multi', [local, remote], [{ name: 'alt', port: 8081 }, { name: 'http', port: 8080 }]));
      });
      t.same(distinct(await fromNode('http://10.96.10.6:80/', 12)), ['pod1', 'pod2']);
      t.same(distinct(await fromNode('http://10.96.10.6:81/', 12)), ['pod1:8081', 'pod2:8081']);
    });

    t.test("internalTrafficPolicy Local: only this node's endpoints; without one, traffic goes nowhere", async (t) => {
      const both = makeSlice('itp', [local, remote], httpPorts);
      await synced(() => {
        proxier.onServiceAdd(makeService('itp', { internalTrafficPolicy: 'Local', clusterIP: '10.96.10.7', ports: [{ name: 'http', port: 80 }] }));
        proxier.onEndpointSliceAdd(both);
      });
      t.same(distinct(await fromNode('http://10.96.10.7/', 10)), ['pod1']);
      await synced(() => proxier.onEndpointSliceUpdate(both, makeSlice('itp', [remote], httpPorts)));
      const nowhere = behaviour.internalLocalWithoutEndpoint ?? 'ERR:ETIMEDOUT';
      t.same(await fromNode('http://10.96.10.7/', 1, 1500), [nowhere], nowhere === 'ERR:ETIMEDOUT' ? 'dropped, not refused' : 'refused');
    });

    t.test('externalTrafficPolicy Local: local endpoints only, client address kept, health check 200 then 503', async (t) => {
      const hcPort = await freePort();
      const both = makeSlice('etp', [local, remote], httpPorts);
      await synced(() => {
        proxier.onServiceAdd(
          makeService('etp', { type: 'LoadBalancer', externalTrafficPolicy: 'Local', healthCheckNodePort: hcPort, clusterIP: '10.96.10.8', ports: [{ name: 'http', port: 80, nodePort: 30108 }] }),
        );
        proxier.onEndpointSliceAdd(both);
      });
      t.same(distinct(await fromOutside(`http://${node.nodeIP}:30108/client`, 10)), [`pod1 ${node.external.ip}`], 'only the local pod, seeing the real client');
      const health = async () => {
        const r = await fetch(`http://127.0.0.1:${hcPort}/`);
        return { status: r.status, body: (await r.json()) as { localEndpoints: number } };
      };
      t.match(await health(), { status: 200, body: { localEndpoints: 1 } });

      await synced(() => proxier.onEndpointSliceUpdate(both, makeSlice('etp', [remote], httpPorts)));
      t.match(await health(), { status: 503, body: { localEndpoints: 0 } }, 'no local endpoint: 503, so load balancers skip this node');
      if ((behaviour.externalLocalWithoutEndpoint ?? 'dropped') === 'dropped') {
        t.same(await fromOutside(`http://${node.nodeIP}:30108/`, 1, 1500), ['ERR:ETIMEDOUT'], 'outside traffic is dropped');
      } else {
        t.same(distinct(await fromOutside(`http://${node.nodeIP}:30108/client`, 4)), [`pod2 ${node.external.ip}`], 'outside traffic goes to the other endpoint, unmasqueraded');
      }
      t.same(distinct(await fromNode(`http://${node.nodeIP}:30108/`, 4)), ['pod2'], 'the node itself is short-circuited to every endpoint');
      t.same(distinct(await fromNode('http://10.96.10.8/', 4)), ['pod2'], 'the ClusterIP keeps working');
    });

    t.test('UDP: both endpoints answer; when an endpoint goes, its conntrack entries go too', async (t) => {
      const udpPorts = [{ name: 'dns', port: 5353, protocol: 'UDP' }];
      const both = makeSlice('udp', [local, remote], udpPorts);
      await synced(() => {
        proxier.onServiceAdd(makeService('udp', { clusterIP: '10.96.10.9', ports: [{ name: 'dns', port: 53, protocol: 'UDP' }] }));
        proxier.onEndpointSliceAdd(both);
      });
      t.same(distinct(await node.udp(node.netns, '10.96.10.9', 53, 20)), ['pod1', 'pod2'], 'fresh sockets spread over both');
      // One client address and port: conntrack would keep it on its first endpoint unless the proxy flushes it.
      const sourcePort = 40000 + Math.floor(Math.random() * 20000);
      const onlyPod1 = makeSlice('udp', [local], udpPorts);
      await synced(() => proxier.onEndpointSliceUpdate(both, onlyPod1));
      t.same(await node.udp(node.netns, '10.96.10.9', 53, 2, { sourcePort }), ['pod1', 'pod1']);
      await synced(() => proxier.onEndpointSliceUpdate(onlyPod1, makeSlice('udp', [remote], udpPorts)));
      t.same(await node.udp(node.netns, '10.96.10.9', 53, 2, { sourcePort }), ['pod2', 'pod2'], 'the same client moved to the new endpoint');
    });

    t.test('hairpin: a pod reaches itself through its Service', async (t) => {
      await synced(() => {
        proxier.onServiceAdd(makeService('self', { clusterIP: '10.96.10.10', ports: [{ name: 'http', port: 80 }] }));
        proxier.onEndpointSliceAdd(makeSlice('self', [local], httpPorts));
      });
      t.same(await node.http(pod1.netns, 'http://10.96.10.10/', 4), ['pod1', 'pod1', 'pod1', 'pod1']);
    });
  });
}
