// kube-proxy's pkg/proxy/conntrack/cleanup.go, shared by every mode: UDP has no connection to end, so conntrack
// entries keep sending datagrams to an endpoint that is gone, or to the REJECT/DROP verdict recorded while a service
// had no endpoints. After a successful sync, flush exactly those entries with the conntrack tool.
import { logger } from '../../api/log.js';
import type { EndpointsUpdateResult } from './endpointschange.js';
import type { ServicePortMap, ServiceUpdateResult } from './servicechange.js';
import type { Exec } from './types.js';

const log = logger('proxy-conntrack');

/** The `conntrack -D` filters for one sync's changes (pure, so it is tested without the tool). */
export function staleConntrackFilters(svcPortMap: ServicePortMap, services: ServiceUpdateResult, endpoints: EndpointsUpdateResult): string[][] {
  const deletions: string[][] = [];
  for (const ip of services.deletedUDPClusterIPs) deletions.push(['--orig-dst', ip, '-p', 'udp']);
  for (const spn of endpoints.newlyActiveServicePorts) {
    const svc = svcPortMap.get(spn);
    if (svc?.protocol !== 'UDP') continue;
    for (const ip of [svc.clusterIP, ...svc.externalIPs, ...svc.loadBalancerIPs]) deletions.push(['--orig-dst', ip, '-p', 'udp']);
    if (svc.nodePort) deletions.push(['-p', 'udp', '--dport', String(svc.nodePort)]);
  }
  for (const { servicePortName, endpoint } of endpoints.staleEndpoints) {
    const svc = svcPortMap.get(servicePortName);
    if (svc?.protocol !== 'UDP') continue;
    for (const ip of [svc.clusterIP, ...svc.externalIPs, ...svc.loadBalancerIPs]) deletions.push(['--orig-dst', ip, '-p', 'udp', '--dst-nat', endpoint.ip]);
    if (svc.nodePort) deletions.push(['-p', 'udp', '--dport', String(svc.nodePort), '--dst-nat', endpoint.ip]);
  }
  return deletions;
}

/** Housekeeping only: failures are logged, the rules are already right. */
export async function cleanStaleConntrack(exec: Exec, svcPortMap: ServicePortMap, services: ServiceUpdateResult, endpoints: EndpointsUpdateResult): Promise<void> {
  for (const args of staleConntrackFilters(svcPortMap, services, endpoints)) {
    try {
      const r = await exec('conntrack', ['-D', ...args]);
      // conntrack exits 1 when nothing matched.
      if (r.exitCode !== 0 && !/0 flow entries/.test(r.stderr)) log.warn({ args, err: r.stderr.trim() }, 'conntrack cleanup failed');
    } catch (e) {
      log.warn({ args, err: (e as Error).message }, 'conntrack cleanup failed');
    }
  }
}
