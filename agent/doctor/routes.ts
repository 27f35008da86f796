// The doctor's route check (flannel's host-gw backend has none; this checks what agent/network/routes.ts keeps): every
// other Node's podCIDR must be routed via that Node's InternalIP, and a route with kubets' route protocol whose Node
// is gone is stale. Input is `ip -j route show table main`. In vxlan mode (agent/network/vxlan.ts) the routes go via
// each podCIDR's .0 address through the VXLAN device, and its neighbour (`ip -j neigh show dev kubets.1`) and FDB
// (`bridge -j fdb show dev kubets.1`) entries must name every other Node's published VTEP.
import { desiredRoutes, KUBETS_ROUTE_PROTOCOL, type PeerRoute } from '../network/routes.js';
import { desiredPeers, desiredVxlanState, FLANNEL_ANNOTATIONS, VXLAN_DEVICE } from '../network/vxlan.js';
import type { Node } from '../../api/types.js';
import type { Difference } from './expected.js';

/** One entry of `ip -j route` output (the fields compared). */
export interface IpRoute {
  dst: string;
  gateway?: string;
  /** A name ("kernel", "static") or, for an unnamed one such as kubets' 117, the number as text. */
  protocol?: string;
  dev?: string;
}

/** Parses `ip -j route` output; ip writes a single-host destination without /32. */
export function parseIpRoutes(text: string): IpRoute[] {
  const routes = JSON.parse(text || '[]') as IpRoute[];
  return routes.filter((r) => r.dst && r.dst !== 'default').map((r) => ({ ...r, dst: r.dst.includes('/') ? r.dst : `${r.dst}/32` }));
}

export function compareRoutes(nodes: Node[], selfName: string, routes: IpRoute[]): Difference[] {
  return comparePeerRoutes(nodes, desiredRoutes(nodes, selfName), routes);
}

/** Routes against the desired ones (through `dev` when given), and kubets routes no Node wants. */
function comparePeerRoutes(nodes: Node[], desired: PeerRoute[], routes: IpRoute[], dev?: string): Difference[] {
  const out: Difference[] = [];
  const owner = new Map<string, string>();
  for (const n of nodes) if (n.spec?.podCIDR) owner.set(n.spec.podCIDR, n.metadata.name ?? '');
  const wanted = new Set(desired.map((r) => r.podCIDR));
  const through = dev ? ` dev ${dev}` : '';
  for (const want of desired) {
    const who = owner.get(want.podCIDR) ?? 'a node';
    const have = routes.filter((r) => r.dst === want.podCIDR);
    if (have.some((r) => r.gateway === want.via && (!dev || r.dev === dev))) continue;
    if (have.length === 0) out.push({ kind: 'missing-route', message: `missing route to ${who}'s pods ${want.podCIDR} via ${want.via}${through}` });
    else out.push({ kind: 'wrong-route', message: `wrong route to ${who}'s pods ${want.podCIDR}: via ${have.map((r) => `${r.gateway ?? 'a device'}${dev && r.dev ? ` dev ${r.dev}` : ''}`).join(', ')}, not ${want.via}${through}` });
  }
  for (const r of routes) {
    if (r.protocol !== String(KUBETS_ROUTE_PROTOCOL) || wanted.has(r.dst)) continue;
    out.push({ kind: 'stale-route', message: `route to a deleted node: ${r.dst} via ${r.gateway ?? '?'}` });
  }
  return out;
}

/** One entry of `ip -j neigh show dev kubets.1`. */
export interface IpNeighbour {
  dst: string;
  lladdr?: string;
  protocol?: string;
}

/** One entry of `bridge -j fdb show dev kubets.1`. */
export interface FdbRecord {
  mac: string;
  dst?: string;
  state?: string;
}

/** The VXLAN overlay's routes, neighbour and FDB entries against the other Nodes' published VTEPs. */
export function compareVxlan(nodes: Node[], selfName: string, routes: IpRoute[], neighbours: IpNeighbour[], fdb: FdbRecord[]): Difference[] {
  const peers = desiredPeers(nodes, selfName);
  const want = desiredVxlanState(peers);
  const out: Difference[] = [];
  for (const n of nodes) {
    if (n.metadata.name === selfName || !n.spec?.podCIDR || peers.some((p) => p.node === n.metadata.name)) continue;
    out.push({ kind: 'missing-vtep', message: `${n.metadata.name} has published no VXLAN VTEP (annotation ${FLANNEL_ANNOTATIONS.backendData}): its pods ${n.spec.podCIDR} are unreachable from here` });
  }
  out.push(...comparePeerRoutes(nodes, want.routes, routes, VXLAN_DEVICE));
  const nodeOf = new Map(peers.flatMap((p) => [[p.gateway, p.node], [p.vtepMAC, p.node]] as const));
  const ours = neighbours.filter((n) => n.protocol === String(KUBETS_ROUTE_PROTOCOL));
  for (const w of want.neighbours) {
    const have = neighbours.find((n) => n.dst === w.ip);
    if (!have) out.push({ kind: 'missing-neighbour', message: `missing neighbour entry for ${nodeOf.get(w.ip)}'s ${w.ip} → VTEP ${w.mac} on ${VXLAN_DEVICE}` });
    else if (have.lladdr?.toLowerCase() !== w.mac) out.push({ kind: 'wrong-neighbour', message: `wrong neighbour entry for ${nodeOf.get(w.ip)}'s ${w.ip}: ${have.lladdr ?? 'no address'}, not VTEP ${w.mac}` });
  }
  for (const n of ours) if (!want.neighbours.some((w) => w.ip === n.dst)) out.push({ kind: 'stale-neighbour', message: `neighbour entry for a deleted node: ${n.dst} → ${n.lladdr ?? '?'}` });
  const permanent = fdb.filter((f) => f.state === 'permanent' && f.dst);
  for (const w of want.fdb) {
    const have = permanent.filter((f) => f.mac.toLowerCase() === w.mac);
    if (!have.length) out.push({ kind: 'missing-fdb', message: `missing FDB entry for ${nodeOf.get(w.mac)}'s VTEP ${w.mac} → ${w.dst} on ${VXLAN_DEVICE}` });
    else if (!have.some((f) => f.dst === w.dst)) out.push({ kind: 'wrong-fdb', message: `wrong FDB entry for ${nodeOf.get(w.mac)}'s VTEP ${w.mac}: → ${have.map((f) => f.dst).join(', ')}, not ${w.dst}` });
  }
  for (const f of permanent) if (!want.fdb.some((w) => w.mac === f.mac.toLowerCase())) out.push({ kind: 'stale-fdb', message: `FDB entry for a deleted node: ${f.mac} → ${f.dst}` });
  return out;
}
