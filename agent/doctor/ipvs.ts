// The doctor's IPVS check: parses `ipvsadm -Sn` (the table as ipvsadm commands) and the addresses on kube-ipvs0, and
// compares them with what the IPVS proxier's own computeIpvsState wants for the API's Services — so the doctor and the
// proxier never disagree. A real server at weight 0 is draining (graceful termination), not stale.
import { computeIpvsState, defaultScheduler } from '../proxy/ipvs/proxier.js';
import { realServerKey } from '../proxy/ipvs/netlink.js';
import type { EndpointsMap } from '../proxy/endpointschange.js';
import type { Protocol, ServicePortMap } from '../proxy/servicechange.js';
import type { Difference } from './expected.js';

/** Virtual server key (`10.96.0.10:53/UDP`) → real server (`10.244.1.5:53`) → weight. */
export type IpvsTable = Map<string, Map<string, number>>;

const protocolFlags: Record<string, Protocol> = { '-t': 'TCP', '-u': 'UDP', '--sctp-service': 'SCTP' };

/** Parses `ipvsadm -Sn`: `-A -t 10.96.0.10:53 -s rr` and `-a -t 10.96.0.10:53 -r 10.244.1.5:53 -m -w 1` lines. */
export function parseIpvsadmSave(text: string): IpvsTable {
  const table: IpvsTable = new Map();
  for (const line of text.split('\n')) {
    const words = line.trim().split(/\s+/);
    const flag = words.findIndex((w) => w in protocolFlags);
    if (flag < 0 || !words[flag + 1]) continue;
    const vs = `${words[flag + 1]}/${protocolFlags[words[flag]!]}`;
    if (!table.has(vs)) table.set(vs, new Map());
    if (words[0] === '-a') {
      const rs = words[words.indexOf('-r') + 1];
      const w = words.indexOf('-w');
      if (rs) table.get(vs)!.set(rs, w >= 0 ? Number(words[w + 1]) : 1);
    }
  }
  return table;
}

export interface IpvsKernelState {
  table: IpvsTable;
  /** Addresses on kube-ipvs0 (undefined: no such device). */
  bound?: Set<string>;
  /** The node's own addresses, kube-ipvs0's and loopback excepted (where NodePorts are served). */
  nodeAddresses: Set<string>;
}

export function compareIpvs(svcPortMap: ServicePortMap, endpointsMap: EndpointsMap, kernel: IpvsKernelState): Difference[] {
  const out: Difference[] = [];
  const want = computeIpvsState(svcPortMap, endpointsMap, kernel.nodeAddresses, defaultScheduler);
  const describe = (serviceName: string, vsKey: string) => `${serviceName} (${vsKey})`;
  if (!kernel.bound) out.push({ kind: 'missing-device', message: 'no kube-ipvs0 device: no service address is bound on this node' });
  for (const [key, desired] of want.virtualServers) {
    const what = describe(desired.serviceName, key);
    const got = kernel.table.get(key);
    if (!got) {
      out.push({ kind: 'missing-service', message: `missing service ${what}: no IPVS virtual server` });
      continue;
    }
    const wanted = new Set(desired.realServers.map(realServerKey));
    for (const rs of wanted) if (!got.has(rs) || got.get(rs) === 0) out.push({ kind: 'missing-endpoint', message: `missing endpoint ${what} -> ${rs}: no real server${got.get(rs) === 0 ? ' with weight' : ''}` });
    for (const [rs, weight] of got) if (!wanted.has(rs) && weight > 0) out.push({ kind: 'stale-endpoint', message: `stale endpoint ${what}: real server ${rs} is not a ready endpoint` });
  }
  if (kernel.bound) {
    for (const ip of want.bindAddresses) if (!kernel.bound.has(ip)) out.push({ kind: 'missing-service', message: `missing service address ${ip}: not bound on kube-ipvs0` });
  }
  // Virtual servers on addresses the proxy owns (kube-ipvs0's and the node's own) that no service wants.
  const owned = new Set([...(kernel.bound ?? []), ...kernel.nodeAddresses]);
  for (const key of kernel.table.keys()) {
    if (want.virtualServers.has(key)) continue;
    if (owned.has(key.slice(0, key.lastIndexOf(':')))) out.push({ kind: 'stale-service', message: `stale service ${key}: an IPVS virtual server the API has no service port for` });
  }
  return out;
}
