// The doctor's route check (flannel's host-gw backend has none; this checks what agent/network/routes.ts keeps): every
// other Node's podCIDR must be routed via that Node's InternalIP, and a route with kubets' route protocol whose Node
// is gone is stale. Input is `ip -j route show table main`.
import { desiredRoutes, KUBETS_ROUTE_PROTOCOL } from '../network/routes.js';
import type { Node } from '../../api/types.js';
import type { Difference } from './expected.js';

/** One entry of `ip -j route` output (the fields compared). */
export interface IpRoute {
  dst: string;
  gateway?: string;
  /** A name ("kernel", "static") or, for an unnamed one such as kubets' 117, the number as text. */
  protocol?: string;
}

/** Parses `ip -j route` output; ip writes a single-host destination without /32. */
export function parseIpRoutes(text: string): IpRoute[] {
  const routes = JSON.parse(text || '[]') as IpRoute[];
  return routes.filter((r) => r.dst && r.dst !== 'default').map((r) => ({ ...r, dst: r.dst.includes('/') ? r.dst : `${r.dst}/32` }));
}

export function compareRoutes(nodes: Node[], selfName: string, routes: IpRoute[]): Difference[] {
  const out: Difference[] = [];
  const owner = new Map<string, string>();
  for (const n of nodes) if (n.spec?.podCIDR) owner.set(n.spec.podCIDR, n.metadata.name ?? '');
  const desired = desiredRoutes(nodes, selfName);
  const wanted = new Set(desired.map((r) => r.podCIDR));
  for (const want of desired) {
    const who = owner.get(want.podCIDR) ?? 'a node';
    const have = routes.filter((r) => r.dst === want.podCIDR);
    if (have.some((r) => r.gateway === want.via)) continue;
    if (have.length === 0) out.push({ kind: 'missing-route', message: `missing route to ${who}'s pods ${want.podCIDR} via ${want.via}` });
    else out.push({ kind: 'wrong-route', message: `wrong route to ${who}'s pods ${want.podCIDR}: via ${have.map((r) => r.gateway ?? 'a device').join(', ')}, not ${want.via}` });
  }
  for (const r of routes) {
    if (r.protocol !== String(KUBETS_ROUTE_PROTOCOL) || wanted.has(r.dst)) continue;
    out.push({ kind: 'stale-route', message: `route to a deleted node: ${r.dst} via ${r.gateway ?? '?'}` });
  }
  return out;
}
