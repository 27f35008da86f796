// flannel's vxlan backend (pkg/backend/vxlan): one VXLAN device per node (VNI 1, UDP 8472, no learning) whose MAC is
// the node's VTEP, published on its Node as flannel's annotations; for every other node a route to its podCIDR via the
// podCIDR's .0 address onlink through the device, a permanent neighbour entry for that .0 address → the node's VTEP
// MAC, and an FDB entry VTEP MAC → the node's public IP. Everything is programmed over rtnetlink: links, addresses,
// neighbours (AF_INET), FDB entries (AF_BRIDGE, NTF_SELF) and routes.
import { AttrStream, createRtNetlink, FlagsNew, ifla, type RtNetlinkSocket, type StreamData } from 'netlink';
import { formatIPv4, ipv4Bytes, parseCIDR, parseIPv4 } from '../../api/net.js';
import type { Node } from '../../api/types.js';
import { findLink, KUBETS_ROUTE_PROTOCOL, RouteSyncer, type PeerRoute } from './routes.js';

/** The VXLAN device (flannel's is flannel.<VNI>). */
export const VXLAN_DEVICE = 'kubets.1';
export const VXLAN_VNI = 1;
/** The Linux kernel's historical VXLAN port, which flannel uses (not IANA's 4789). */
export const VXLAN_PORT = 8472;
/** Outer IPv4 (20) + UDP (8) + VXLAN (8) + inner Ethernet (14) headers. */
export const VXLAN_OVERHEAD = 50;

/** flannel's Node annotations, so tools that know flannel read kubets' VTEPs. */
export const FLANNEL_ANNOTATIONS = {
  backendType: 'flannel.alpha.coreos.com/backend-type',
  backendData: 'flannel.alpha.coreos.com/backend-data',
  publicIP: 'flannel.alpha.coreos.com/public-ip',
} as const;

const AF_INET = 2;
const AF_BRIDGE = 7;
/** NDA_PROTOCOL of kubets' neighbour entries (`ip neigh show proto 117`), as its routes carry the same number. */
const NEIGH_PROTOCOL = Buffer.from([KUBETS_ROUTE_PROTOCOL]);

/** Another node's VTEP, from its Node. */
export interface VtepPeer {
  node: string;
  podCIDR: string;
  /** The podCIDR's network address: the gateway of the route and the neighbour entry (flannel's "subnet IP"). */
  gateway: string;
  vtepMAC: string;
  /** Where its VXLAN packets go: its public-ip annotation. */
  publicIP: string;
}

/** The annotations a node publishes for its VTEP (flannel's backend-data is `{"VNI":1,"VtepMAC":"…"}`). */
export function vtepAnnotations(vtepMAC: string, publicIP: string): Record<string, string> {
  return {
    [FLANNEL_ANNOTATIONS.backendType]: 'vxlan',
    [FLANNEL_ANNOTATIONS.backendData]: JSON.stringify({ VNI: VXLAN_VNI, VtepMAC: vtepMAC }),
    [FLANNEL_ANNOTATIONS.publicIP]: publicIP,
  };
}

const MAC = /^[0-9a-f]{2}(:[0-9a-f]{2}){5}$/;

/** The node's VTEP, or undefined while it has not published a usable one (or runs another backend). */
export function vtepPeer(n: Node): VtepPeer | undefined {
  const a = n.metadata.annotations ?? {};
  const cidr = n.spec?.podCIDR?.includes('/') ? parseCIDR(n.spec.podCIDR) : undefined;
  if (a[FLANNEL_ANNOTATIONS.backendType] !== 'vxlan' || !cidr) return undefined;
  let data: { VNI?: unknown; VtepMAC?: unknown };
  try {
    data = JSON.parse(a[FLANNEL_ANNOTATIONS.backendData] ?? '') as typeof data;
  } catch {
    return undefined;
  }
  const mac = typeof data.VtepMAC === 'string' ? data.VtepMAC.toLowerCase() : '';
  const publicIP = a[FLANNEL_ANNOTATIONS.publicIP] ?? '';
  if (data.VNI !== VXLAN_VNI || !MAC.test(mac) || parseIPv4(publicIP) === undefined) return undefined;
  return { node: n.metadata.name ?? '', podCIDR: `${formatIPv4(cidr.base)}/${cidr.prefix}`, gateway: formatIPv4(cidr.base), vtepMAC: mac, publicIP };
}

/** Every other node's VTEP, sorted by podCIDR. */
export function desiredPeers(nodes: Node[], selfName: string): VtepPeer[] {
  return nodes
    .filter((n) => n.metadata.name !== selfName)
    .map(vtepPeer)
    .filter((p): p is VtepPeer => !!p)
    .sort((a, b) => a.podCIDR.localeCompare(b.podCIDR));
}

export interface Neighbour {
  ip: string;
  mac: string;
}
export interface FdbEntry {
  mac: string;
  dst: string;
}

/** What the device's tables should hold for a set of peers. */
export interface VxlanState {
  routes: PeerRoute[];
  neighbours: Neighbour[];
  fdb: FdbEntry[];
}

export function desiredVxlanState(peers: VtepPeer[]): VxlanState {
  return {
    routes: peers.map((p) => ({ podCIDR: p.podCIDR, via: p.gateway })),
    neighbours: peers.map((p) => ({ ip: p.gateway, mac: p.vtepMAC })),
    fdb: peers.map((p) => ({ mac: p.vtepMAC, dst: p.publicIP })),
  };
}

export function vxlanMTU(uplinkMTU: number): number {
  return uplinkMTU - VXLAN_OVERHEAD;
}

/** The adds, replacements and deletions that turn `have` into `want`, entries keyed by `key`. */
export function planEntries<T>(have: T[], want: T[], key: (e: T) => string, same: (a: T, b: T) => boolean): { add: T[]; replace: T[]; remove: T[] } {
  const haveBy = new Map(have.map((e) => [key(e), e] as const));
  const wantKeys = new Set(want.map(key));
  const add: T[] = [];
  const replace: T[] = [];
  for (const w of want) {
    const h = haveBy.get(key(w));
    if (!h) add.push(w);
    else if (!same(h, w)) replace.push(w);
  }
  return { add, replace, remove: have.filter((h) => !wantKeys.has(key(h))) };
}

export interface VxlanSyncResult {
  routes: { added: PeerRoute[]; replaced: PeerRoute[]; deleted: PeerRoute[]; conflicts: string[] };
  neighbours: { add: Neighbour[]; replace: Neighbour[]; remove: Neighbour[] };
  fdb: { add: FdbEntry[]; replace: FdbEntry[]; remove: FdbEntry[] };
}

export interface VtepDevice {
  index: number;
  mac: string;
  mtu: number;
}

export interface DeviceOptions {
  /** The node's InternalIP: the VTEP's source address, and the uplink's (whose MTU the device's follows). */
  localIP: string;
  /** The node's podCIDR: the device holds its .0 address as a /32. */
  podCIDR: string;
}

const macText = (b: Buffer | undefined) => (b ? [...b].map((x) => x.toString(16).padStart(2, '0')).join(':') : '');
const macBytes = (s: string) => Buffer.from(s.split(':').map((x) => parseInt(x, 16)));
const ipText = (b: Buffer | undefined) => (b ? [...b].join('.') : '');
const ipBytes = (s: string) => ipv4Bytes(parseIPv4(s)!);

/** A nested attribute stream as the Buffer the typings ask for (IFLA_LINKINFO, IFLA_INFO_DATA). */
function attrBytes(data: StreamData): Buffer {
  const s = new AttrStream();
  s.emit(data);
  return Buffer.concat(s.bufs);
}

/** Keeps the VXLAN device and its routes, neighbour and FDB entries equal to the other nodes' VTEPs. */
export class VxlanSyncer {
  private readonly socket: RtNetlinkSocket;
  /** close() closes the socket only when the syncer opened it; a socket handed in stays its owner's. */
  private readonly ownsSocket: boolean;
  private readonly routes: RouteSyncer;
  private closed = false;

  constructor(socket?: RtNetlinkSocket) {
    this.socket = socket ?? createRtNetlink();
    this.ownsSocket = !socket;
    this.routes = new RouteSyncer(this.socket, { device: VXLAN_DEVICE });
  }

  /** The uplink: the link holding the node's address, among `links`. */
  private async uplink(localIP: string, links: Awaited<ReturnType<RtNetlinkSocket['getLinks']>>): Promise<{ index: number; mtu: number }> {
    const want = ipBytes(localIP);
    const addr = (await this.socket.getAddresses({ family: AF_INET })).find((a) => (a.attrs.local ?? a.attrs.address)?.equals(want));
    if (!addr?.data.index) throw new Error(`no link holds the node address ${localIP}`);
    const link = links.find((l) => l.data.index === addr.data.index);
    if (!link?.attrs.mtu) throw new Error(`the link holding ${localIP} has no MTU`);
    return { index: addr.data.index, mtu: link.attrs.mtu };
  }

  /**
   * Creates the device (or keeps one that matches), sets its MTU to the uplink's less VXLAN's overhead, its address to
   * the podCIDR's .0/32, and brings it up. A device of that name with other VXLAN settings is replaced.
   */
  async ensureDevice(opts: DeviceOptions): Promise<VtepDevice> {
    const links = await this.socket.getLinks();
    const up = await this.uplink(opts.localIP, links);
    const mtu = vxlanMTU(up.mtu);
    const vx = { id: VXLAN_VNI, local: ipBytes(opts.localIP), link: up.index, port: Buffer.from([VXLAN_PORT >> 8, VXLAN_PORT & 0xff]), learning: 0 };
    let link = links.find((l) => l.attrs.ifname === VXLAN_DEVICE);
    if (link) {
      const info = link.attrs.linkinfo ? ifla.parseInfo(link.attrs.linkinfo) : undefined;
      const have = info?.kind === 'vxlan' && info.data ? ifla.parseVxlan(info.data) : undefined;
      const matches = have && have.id === vx.id && have.local?.equals(vx.local) && have.link === vx.link && have.port?.equals(vx.port) && have.learning === 0;
      if (!matches) {
        await this.socket.delLink({ index: link.data.index });
        link = undefined;
      }
    }
    if (!link) {
      const linkinfo = attrBytes(ifla.formatInfo({ kind: 'vxlan', data: attrBytes(ifla.formatVxlan(vx)) }));
      await this.socket.newLink({}, { ifname: VXLAN_DEVICE, mtu, linkinfo }, { flags: FlagsNew.CREATE | FlagsNew.EXCL });
      link = await findLink(this.socket, VXLAN_DEVICE);
      if (!link) throw new Error(`${VXLAN_DEVICE} was created but is not there`);
    }
    const index = link.data.index!;
    if (link.attrs.mtu !== mtu) await this.socket.setLink({ index }, { mtu });
    if (!link.data.flags?.up) await this.socket.setLink({ index, flags: { up: true }, change: { up: true } });

    const cidr = parseCIDR(opts.podCIDR);
    if (!cidr) throw new Error(`podCIDR ${opts.podCIDR} is not a CIDR`);
    const own = ipv4Bytes(cidr.base);
    let present = false;
    for (const a of await this.socket.getAddresses({ family: AF_INET })) {
      if (a.data.index !== index) continue;
      const local = a.attrs.local ?? a.attrs.address;
      if (local?.equals(own) && a.data.prefixlen === 32) present = true;
      else await this.socket.delAddress({ family: AF_INET, prefixlen: a.data.prefixlen, index }, { local, address: a.attrs.address });
    }
    if (!present) await this.socket.newAddress({ family: AF_INET, prefixlen: 32, index }, { local: own, address: own }, { flags: FlagsNew.CREATE | FlagsNew.REPLACE });
    return { index, mac: macText(link.attrs.address), mtu };
  }

  /** The device's kubets entries: routes through it, its proto-117 neighbours, and its permanent FDB entries. */
  async current(): Promise<VxlanState> {
    const link = await findLink(this.socket, VXLAN_DEVICE);
    if (!link) return { routes: [], neighbours: [], fdb: [] };
    return { routes: await this.routes.current(), ...(await this.entries(link.data.index)) };
  }

  /** The device's proto-117 neighbours and permanent FDB entries. */
  private async entries(index: number | undefined): Promise<Pick<VxlanState, 'neighbours' | 'fdb'>> {
    const neighbours = (await this.socket.getNeighbors({ family: AF_INET }))
      .filter((n) => n.data.ifindex === index && n.attrs.protocol?.equals(NEIGH_PROTOCOL) && n.attrs.dst && n.attrs.lladdr)
      .map((n) => ({ ip: ipText(n.attrs.dst), mac: macText(n.attrs.lladdr) }));
    // The device is kubets' own: every permanent unicast entry in its forwarding database was put there by a sync.
    const fdb = (await this.socket.getNeighbors({ family: AF_BRIDGE }))
      .filter((n) => n.data.ifindex === index && n.data.state?.permanent && n.attrs.dst && n.attrs.lladdr)
      .map((n) => ({ mac: macText(n.attrs.lladdr), dst: ipText(n.attrs.dst) }));
    return { neighbours, fdb };
  }

  /** Makes the device's routes, neighbours and FDB entries those of `peers`. The device must exist (ensureDevice). */
  async sync(peers: VtepPeer[]): Promise<VxlanSyncResult> {
    const link = await findLink(this.socket, VXLAN_DEVICE);
    if (!link) throw new Error(`no ${VXLAN_DEVICE} device: ensureDevice first`);
    const ifindex = link.data.index;
    const want = desiredVxlanState(peers);
    // Routes are read by the route syncer itself, below.
    const have = await this.entries(ifindex);
    const replace = FlagsNew.CREATE | FlagsNew.REPLACE;

    // FDB and neighbours before routes, so a route never points at a VTEP the device cannot reach yet.
    const fdb = planEntries(have.fdb, want.fdb, (e) => e.mac, (a, b) => a.dst === b.dst);
    const fdbMsg = { family: AF_BRIDGE, ifindex, state: { permanent: true }, flags: { self: true } } as const;
    for (const e of [...fdb.add, ...fdb.replace]) {
      // An entry's destination is changed by removing the old one: a VXLAN FDB entry may hold several.
      if (fdb.replace.includes(e)) await this.socket.delNeighbor(fdbMsg, { lladdr: macBytes(e.mac) });
      await this.socket.newNeighbor(fdbMsg, { lladdr: macBytes(e.mac), dst: ipBytes(e.dst) }, { flags: replace });
    }
    const neighbours = planEntries(have.neighbours, want.neighbours, (e) => e.ip, (a, b) => a.mac === b.mac);
    const neighMsg = { family: AF_INET, ifindex, state: { permanent: true } } as const;
    for (const e of [...neighbours.add, ...neighbours.replace]) await this.socket.newNeighbor(neighMsg, { dst: ipBytes(e.ip), lladdr: macBytes(e.mac), protocol: NEIGH_PROTOCOL }, { flags: replace });

    const routes = await this.routes.sync(want.routes);

    for (const e of neighbours.remove) await this.socket.delNeighbor(neighMsg, { dst: ipBytes(e.ip) });
    for (const e of fdb.remove) await this.socket.delNeighbor(fdbMsg, { lladdr: macBytes(e.mac), dst: ipBytes(e.dst) });
    return { routes, neighbours, fdb };
  }

  close(): void {
    if (this.closed) return;
    this.closed = true;
    this.routes.close();
    if (this.ownsSocket) this.socket.socket.close();
  }
}

/** Removes the VXLAN device (with it go its routes, neighbours and FDB entries); whether there was one. */
export async function removeVxlanDevice(socket?: RtNetlinkSocket): Promise<boolean> {
  const s = socket ?? createRtNetlink();
  try {
    const link = await findLink(s, VXLAN_DEVICE);
    if (!link) return false;
    await s.delLink({ index: link.data.index });
    return true;
  } finally {
    if (!socket) s.socket.close();
  }
}
