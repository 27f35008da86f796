// `kubets doctor network`: gathers what this node's kernel has programmed — `iptables-save`,
// `nft -j list table ip kube-proxy` or `ipvsadm -Sn` with kube-ipvs0's addresses for the proxy mode the node runs, and `ip -j route` (with the VXLAN device's
// neighbour and FDB entries in vxlan mode) — in the current network namespace, read-only, with the Services,
// EndpointSlices and Nodes the API has, and compares them (expected.ts, iptables.ts, nftables.ts, ipvs.ts, routes.ts are the
// pure comparisons).
import type { ApiClient } from '../../api/client.js';
import { Resources } from '../../api/resources.js';
import type { EndpointSlice, Node, Service } from '../../api/types.js';
import type { ProxyMode } from '../proxy/modes.js';
import type { Exec } from '../proxy/types.js';
import { kubeProxyTable, family } from '../proxy/nftables/chains.js';
import { expectedServicePorts, serviceMaps, type Difference } from './expected.js';
import { compareIpvs, parseIpvsadmSave } from './ipvs.js';
import { dummyDevice } from '../proxy/ipvs/dummy.js';
import { compareIptables, parseIptablesSave } from './iptables.js';
import { compareNftables, parseNftJson } from './nftables.js';
import { compareRoutes, compareVxlan, parseIpRoutes, type FdbRecord, type IpNeighbour } from './routes.js';
import type { PodNetworkMode } from '../../api/podnetwork.js';
import { FLANNEL_ANNOTATIONS, VXLAN_DEVICE } from '../network/vxlan.js';

export { type Difference } from './expected.js';

export class DoctorError extends Error {
  readonly code = 'ERR_DOCTOR';
}

export interface NetworkDoctorOptions {
  client: ApiClient;
  /** Runs iptables-save, nft and ip in the namespace being checked. */
  exec: Exec;
  /** This node's name; default: the Node whose InternalIP is an address here. */
  nodeName?: string;
  /** The proxy mode to check; default: what the proxy on this node answers at /proxyMode. */
  proxyMode?: ProxyMode;
  /** Asks the node's proxy for its mode (127.0.0.1:10249/proxyMode). */
  fetchProxyMode?: () => Promise<string>;
  /** The pod network to check; default: vxlan when this node has published a VTEP on its Node, else host-gw. */
  podNetwork?: PodNetworkMode;
}

export interface NetworkReport {
  nodeName: string;
  proxyMode: ProxyMode;
  podNetwork: PodNetworkMode;
  servicePorts: number;
  routes: number;
  differences: Difference[];
}

export async function fetchProxyModeFromMetrics(url = 'http://127.0.0.1:10249/proxyMode'): Promise<string> {
  const res = await fetch(url, { signal: AbortSignal.timeout(3000) });
  if (!res.ok) throw new DoctorError(`${url}: HTTP ${res.status}`);
  return (await res.text()).trim();
}

async function run(exec: Exec, file: string, args: string[], okFailure?: RegExp): Promise<string> {
  const r = await exec(file, args);
  if (r.exitCode === 0) return r.stdout;
  if (okFailure?.test(r.stderr)) return '';
  throw new DoctorError(`${file} ${args.join(' ')}: exit ${r.exitCode}: ${r.stderr.trim().split('\n')[0]}`);
}

/** This namespace's links and addresses (`ip -j addr`). */
type IpLink = { ifname?: string; addr_info?: { family?: string; local?: string }[] };

/** The Node whose InternalIP is one of this namespace's addresses. */
function selfNode(links: IpLink[], nodes: Node[]): string {
  const local = new Set(links.flatMap((l) => (l.addr_info ?? []).map((a) => a.local)));
  const match = nodes.filter((n) => n.status?.addresses?.some((a) => a.type === 'InternalIP' && local.has(a.address)));
  if (match.length !== 1) throw new DoctorError(`cannot tell which Node this is (${match.length} Nodes have an InternalIP here); pass --node`);
  return match[0]!.metadata.name!;
}

export async function checkNetwork(opts: NetworkDoctorOptions): Promise<NetworkReport> {
  const [services, slices, nodes] = await Promise.all([
    opts.client.list<Service>(Resources.services),
    opts.client.list<EndpointSlice>(Resources.endpointslices),
    opts.client.list<Node>(Resources.nodes),
  ]);
  // Read once, for telling which Node this is and for IPVS mode's node addresses.
  let linksRead: Promise<IpLink[]> | undefined;
  const ipLinks = () => (linksRead ??= run(opts.exec, 'ip', ['-j', 'addr', 'show']).then((text) => JSON.parse(text) as IpLink[]));
  const nodeName = opts.nodeName ?? selfNode(await ipLinks(), nodes.items);
  let proxyMode = opts.proxyMode;
  if (!proxyMode) {
    const answer = await (opts.fetchProxyMode ?? fetchProxyModeFromMetrics)().catch((e: Error) => {
      throw new DoctorError(`cannot ask this node's proxy for its mode (${e.message}); pass --proxy-mode`);
    });
    if (answer !== 'iptables' && answer !== 'nftables' && answer !== 'ipvs') throw new DoctorError(`this node's proxy runs in ${answer || 'an unknown'} mode, which the doctor does not check`);
    proxyMode = answer;
  }

  const expected = expectedServicePorts(services.items, slices.items, nodeName);
  const differences: Difference[] = [];
  if (proxyMode === 'iptables') {
    differences.push(...compareIptables(expected, parseIptablesSave(await run(opts.exec, 'iptables-save', []))));
  } else if (proxyMode === 'nftables') {
    // No table at all: every service is missing, which the comparison reports one by one.
    const text = await run(opts.exec, 'nft', ['-j', 'list', 'table', family, kubeProxyTable], /No such file or directory/);
    differences.push(...compareNftables(expected, parseNftJson(text)));
  } else if (proxyMode === 'ipvs') {
    const { svcPortMap, endpointsMap } = serviceMaps(services.items, slices.items, nodeName);
    const here = await ipLinks();
    const v4 = (l: IpLink) => (l.addr_info ?? []).filter((a) => a.family === 'inet' && a.local).map((a) => a.local!);
    const dummy = here.find((l) => l.ifname === dummyDevice);
    const nodeAddresses = new Set(here.filter((l) => l !== dummy).flatMap(v4).filter((ip) => !ip.startsWith('127.') && !ip.startsWith('169.254.')));
    const table = parseIpvsadmSave(await run(opts.exec, 'ipvsadm', ['-Sn']));
    differences.push(...compareIpvs(svcPortMap, endpointsMap, { table, bound: dummy && new Set(v4(dummy)), nodeAddresses }));
  } else {
    throw new DoctorError(`the doctor does not check ${proxyMode} mode`);
  }
  const routes = parseIpRoutes(await run(opts.exec, 'ip', ['-j', 'route', 'show', 'table', 'main']));
  const self = nodes.items.find((n) => n.metadata.name === nodeName);
  const podNetwork = opts.podNetwork ?? (self?.metadata.annotations?.[FLANNEL_ANNOTATIONS.backendType] === 'vxlan' ? 'vxlan' : 'host-gw');
  if (podNetwork === 'vxlan') {
    const missing = /does not exist|Cannot find device/;
    const device = await run(opts.exec, 'ip', ['-j', 'link', 'show', 'dev', VXLAN_DEVICE], missing);
    if (!device.trim()) differences.push({ kind: 'missing-device', message: `no VXLAN device ${VXLAN_DEVICE}: this node reaches no other node's pods` });
    const neighbours = device.trim() ? (JSON.parse((await run(opts.exec, 'ip', ['-j', 'neigh', 'show', 'dev', VXLAN_DEVICE], missing)) || '[]') as IpNeighbour[]) : [];
    const fdb = device.trim() ? (JSON.parse((await run(opts.exec, 'bridge', ['-j', 'fdb', 'show', 'dev', VXLAN_DEVICE], missing)) || '[]') as FdbRecord[]) : [];
    differences.push(...compareVxlan(nodes.items, nodeName, routes, neighbours, fdb));
  } else {
    differences.push(...compareRoutes(nodes.items, nodeName, routes));
  }
  return { nodeName, proxyMode, podNetwork, servicePorts: expected.length, routes: nodes.items.filter((n) => n.metadata.name !== nodeName && n.spec?.podCIDR).length, differences };
}
