// The Services and EndpointSlices the proxy benches sync (as kube-proxy's BenchmarkSyncProxyRules makes its own):
// ClusterIP Services with one port, each with `endpoints` endpoints on other nodes, in namespace "bench". Shared by
// bench/proxy.ts (this host's kernel) and bench/proxy-vm.ts (IPVS beside iptables in a VM).
import type { BaseProxier } from '../agent/proxy/base.js';
import type { EndpointSlice, Service } from '../api/types.js';
import { makeService, makeSlice } from '../test/fixtures/proxy.js';

const NS = 'bench';
const v4 = (base: number, n: number) => `10.${base + (n >> 16)}.${(n >> 8) & 255}.${n & 255}`;

/** Service i: ClusterIP 10.96.x.y, port 80 → 8080. */
export function benchService(i: number): Service {
  return makeService(`svc-${i}`, { clusterIP: v4(96, i + 1), ports: [{ name: 'http', port: 80, targetPort: 8080 }] }, NS);
}

/** Service i's slice with `endpoints` endpoints; `perService` (the run's usual count) spaces the addresses so a slice
 * grown by one endpoint still overlaps no other Service's. */
export function benchSlice(i: number, endpoints: number, perService: number): EndpointSlice {
  const eps = Array.from({ length: endpoints }, (_, j) => ({ ip: v4(128, i * (perService + 1) + j + 1), node: `node-${j}` }));
  return makeSlice(`svc-${i}`, eps, [{ name: 'http', port: 8080 }], { namespace: NS });
}

/** Tells a proxier of `size` Services and their slices, then that both have synced (the state a full sync writes). */
export function feedProxier(proxier: BaseProxier, size: number, slices: EndpointSlice[]): void {
  for (let i = 0; i < size; i++) {
    proxier.onServiceAdd(benchService(i));
    proxier.onEndpointSliceAdd(slices[i]!);
  }
  proxier.onServiceSynced();
  proxier.onEndpointSlicesSynced();
}
