// host-gw routing: every other node's podCIDR is reached via that node's InternalIP. Routes kubets installs carry
// their own route protocol number, so a sync only ever changes routes it made itself. The same syncer, bound to a
// device, keeps the VXLAN backend's onlink routes through that device (vxlan.ts); unbound, it leaves that device's
// routes alone. netlink sockets act in the network namespace of the process that opens them — the node's, since the
// agent runs inside it.
import { createRtNetlink, FlagsNew, type RtNetlinkSocket, type rt } from 'netlink';
import { formatCIDR, ipv4Bytes, parseCIDR, parseIPv4 } from '../../api/net.js';
import type { Node } from '../../api/types.js';

/** Route protocol that marks kubets' routes (`ip route show proto 117`); unassigned in iproute2's rt_protos. */
export const KUBETS_ROUTE_PROTOCOL = 117;
// The typings list only the named protocols; the kernel stores any 8-bit value.
const PROTOCOL = KUBETS_ROUTE_PROTOCOL as unknown as rt.RouteProtocol;
const AF_INET = 2;
const RT_TABLE_MAIN = 254;
/** RTNH_F_ONLINK in rtm_flags: the gateway is on the link even though no address of the link covers it. */
const RTNH_F_ONLINK = 4;

export interface PeerRoute {
  /** Destination, e.g. 10.244.2.0/24. */
  podCIDR: string;
  /** The other node's InternalIP. */
  via: string;
}

/** The routes this node needs: one per other node that has both a podCIDR and an InternalIP. */
export function desiredRoutes(nodes: Node[], selfName: string): PeerRoute[] {
  const out: PeerRoute[] = [];
  for (const n of nodes) {
    if (n.metadata.name === selfName) continue;
    const podCIDR = n.spec?.podCIDR;
    const via = n.status?.addresses?.find((a) => a.type === 'InternalIP')?.address;
    const dst = podCIDR && normalizeCIDR(podCIDR);
    if (dst && via && parseIPv4(via) !== undefined) out.push({ podCIDR: dst, via });
  }
  return out.sort((a, b) => a.podCIDR.localeCompare(b.podCIDR));
}

/** A podCIDR in the form the kernel stores it (host bits cleared), or undefined when it is not a CIDR. */
function normalizeCIDR(s: string): string | undefined {
  const c = s.includes('/') ? parseCIDR(s) : undefined;
  return c && formatCIDR(c);
}

/** The route's destination and gateway as netlink attributes. */
function routeAttrs(dst: string, via: string) {
  const c = parseCIDR(dst)!;
  return { dstLen: c.prefix, attrs: { dst: ipv4Bytes(c.base), gateway: ipv4Bytes(parseIPv4(via)!) } };
}

export interface RouteSyncResult {
  added: PeerRoute[];
  replaced: PeerRoute[];
  deleted: PeerRoute[];
  /** Destinations skipped because a route kubets did not make already claims them. */
  conflicts: string[];
}

export interface RouteSyncerOptions {
  /**
   * Bind the syncer to this device: it keeps only routes through it, installed onlink (the VXLAN backend). Unbound,
   * the syncer keeps the gateway routes of host-gw and never touches routes through `otherDevice`.
   */
  device?: string;
  /** The device whose kubets routes belong to a bound syncer (the VXLAN device), ignored by an unbound one. */
  otherDevice?: string;
}

/** The link of that name, or undefined when there is none (the one lookup routes.ts and vxlan.ts share). */
export async function findLink(socket: RtNetlinkSocket, name: string) {
  return (await socket.getLinks()).find((l) => l.attrs.ifname === name);
}

/** Keeps the main routing table's kubets routes equal to a desired list. */
export class RouteSyncer {
  private readonly socket: RtNetlinkSocket;
  /** close() closes the socket only when the syncer opened it; a socket handed in stays its owner's. */
  private readonly ownsSocket: boolean;
  private closed = false;

  constructor(socket?: RtNetlinkSocket, private readonly opts: RouteSyncerOptions = {}) {
    this.socket = socket ?? createRtNetlink();
    this.ownsSocket = !socket;
  }

  /** The interface index of a device, or undefined when there is none by that name. */
  private async linkIndex(name: string | undefined): Promise<number | undefined> {
    return name ? (await findLink(this.socket, name))?.data.index : undefined;
  }

  /** Our routes currently in the main table. */
  async current(): Promise<PeerRoute[]> {
    return (await this.currentWithForeign()).ours;
  }

  private async currentWithForeign(): Promise<{ ours: PeerRoute[]; foreign: Set<string>; oif?: number }> {
    const ours: PeerRoute[] = [];
    const foreign = new Set<string>();
    const oif = await this.linkIndex(this.opts.device);
    const other = await this.linkIndex(this.opts.otherDevice);
    if (this.opts.device && oif === undefined) return { ours, foreign };
    for (const r of await this.socket.getRoutes({ family: AF_INET })) {
      const table = r.attrs.table ?? r.data.table;
      if (table !== RT_TABLE_MAIN || !r.attrs.dst) continue;
      const dst = `${[...r.attrs.dst].join('.')}/${r.data.dstLen}`;
      const kubets = Number(r.data.protocol) === KUBETS_ROUTE_PROTOCOL && r.attrs.gateway;
      // A kubets route through the other syncer's device is neither ours nor in our way.
      if (kubets && other !== undefined && r.attrs.oif === other) continue;
      if (kubets && (oif === undefined || r.attrs.oif === oif)) ours.push({ podCIDR: dst, via: [...r.attrs.gateway!].join('.') });
      else foreign.add(dst);
    }
    return { ours, foreign, oif };
  }

  async sync(desired: PeerRoute[]): Promise<RouteSyncResult> {
    const result: RouteSyncResult = { added: [], replaced: [], deleted: [], conflicts: [] };
    const { ours, foreign, oif } = await this.currentWithForeign();
    if (this.opts.device && oif === undefined) throw new Error(`no device ${this.opts.device} to route through`);
    const have = new Map(ours.map((r) => [r.podCIDR, r] as const));
    const want = new Map(desired.map((r) => [normalizeCIDR(r.podCIDR)!, r] as const));
    for (const [dst, r] of want) {
      const existing = have.get(dst);
      if (existing?.via === r.via) continue;
      if (!existing && foreign.has(dst)) {
        result.conflicts.push(dst);
        continue;
      }
      await this.install(dst, r.via, existing ? FlagsNew.REPLACE : FlagsNew.EXCL, oif);
      (existing ? result.replaced : result.added).push({ podCIDR: dst, via: r.via });
    }
    for (const [dst, r] of have) {
      if (want.has(dst)) continue;
      const { dstLen, attrs } = routeAttrs(dst, r.via);
      await this.socket.delRoute({ family: AF_INET, dstLen, table: RT_TABLE_MAIN, protocol: PROTOCOL }, oif === undefined ? attrs : { ...attrs, oif });
      result.deleted.push(r);
    }
    return result;
  }

  private async install(dst: string, via: string, mode: number, oif: number | undefined): Promise<void> {
    const { dstLen, attrs } = routeAttrs(dst, via);
    const route = { family: AF_INET, dstLen, table: RT_TABLE_MAIN, protocol: PROTOCOL, scope: 'UNIVERSE', type: 'UNICAST' } as const;
    if (oif === undefined) await this.socket.newRoute(route, attrs, { flags: FlagsNew.CREATE | mode });
    else await this.socket.newRoute({ ...route, flags: { __unknown: RTNH_F_ONLINK } }, { ...attrs, oif }, { flags: FlagsNew.CREATE | mode });
  }

  close(): void {
    if (this.closed) return;
    this.closed = true;
    if (this.ownsSocket) this.socket.socket.close();
  }
}
