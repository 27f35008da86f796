// The IPVS half of kube-proxy's pkg/proxy/ipvs/util (its Interface over moby/ipvs): virtual and real servers read and
// written over generic netlink, family "IPVS". The message layout follows the kernel's uapi linux/ip_vs.h: a command,
// then a nested IPVS_CMD_ATTR_SERVICE (and IPVS_CMD_ATTR_DEST) holding the service's (and destination's) attributes.
// Encoding and decoding are pure functions, tested without a kernel; GenlIpvs sends them.
import { createGenericNetlink, FlagsGet, genl, type GenericNetlinkSocket } from 'netlink';
import { ipv4Bytes, parseIPv4 } from '../../../api/net.js';
import type { Protocol } from '../servicechange.js';
import { Serial } from './serial.js';

export const IPVS_GENL_NAME = 'IPVS';
export const IPVS_GENL_VERSION = 1;

/** IPVS_CMD_*: the commands of the IPVS family. */
export const Cmd = {
  NEW_SERVICE: 1,
  SET_SERVICE: 2,
  DEL_SERVICE: 3,
  GET_SERVICE: 4,
  NEW_DEST: 5,
  SET_DEST: 6,
  DEL_DEST: 7,
  GET_DEST: 8,
  SET_CONFIG: 12,
  FLUSH: 17,
} as const;

/** IPVS_CMD_ATTR_*: the top-level attributes. */
const CMD_ATTR_SERVICE = 1;
const CMD_ATTR_DEST = 2;
const CMD_ATTR_TIMEOUT_TCP = 4;
const CMD_ATTR_TIMEOUT_TCP_FIN = 5;
const CMD_ATTR_TIMEOUT_UDP = 6;

/** IPVS_SVC_ATTR_*. */
const SVC_ATTR = { AF: 1, PROTOCOL: 2, ADDR: 3, PORT: 4, FWMARK: 5, SCHED_NAME: 6, FLAGS: 7, TIMEOUT: 8, NETMASK: 9 } as const;
/** IPVS_DEST_ATTR_*. */
const DEST_ATTR = { ADDR: 1, PORT: 2, FWD_METHOD: 3, WEIGHT: 4, U_THRESH: 5, L_THRESH: 6, ACTIVE_CONNS: 7, INACT_CONNS: 8, PERSIST_CONNS: 9, ADDR_FAMILY: 11 } as const;

const NLA_F_NESTED = 0x8000;
const NLA_TYPE_MASK = 0x3fff;
const AF_INET = 2;
/** IP_VS_CONN_F_MASQ: real servers are reached by DNAT ("Masq" in ipvsadm). */
const IP_VS_CONN_F_MASQ = 0;
/** IP_VS_SVC_F_PERSISTENT: a client sticks to its real server for the service's timeout (sessionAffinity ClientIP). */
export const IP_VS_SVC_F_PERSISTENT = 0x1;
/** IP_VS_SVC_F_HASHED: set by the kernel on every service it holds; not ours to compare. */
const IP_VS_SVC_F_HASHED = 0x2;
/** IP_VS_SVC_F_SCHED_SH_PORT: the "mh" scheduler hashes source ports too (kube-proxy's FlagSourceHash). */
export const IP_VS_SVC_F_SCHED_SH_PORT = 0x10;

const protocolNumbers: Record<Protocol, number> = { TCP: 6, UDP: 17, SCTP: 132 };

export interface VirtualServer {
  address: string;
  protocol: Protocol;
  port: number;
  /** Scheduler name ("rr", "wrr", "lc", "sh", "mh" …). */
  scheduler: string;
  /** IP_VS_SVC_F_* flags (the kernel's HASHED flag is dropped when reading). */
  flags: number;
  /** Persistence timeout in seconds (with IP_VS_SVC_F_PERSISTENT). */
  timeout: number;
}

export interface RealServer {
  address: string;
  port: number;
  weight: number;
  /** Filled when read from the kernel. */
  activeConnections?: number;
  inactiveConnections?: number;
}

/** kube-proxy's VirtualServer.String(): `10.96.0.1:443/TCP`. */
export function virtualServerKey(vs: Pick<VirtualServer, 'address' | 'port' | 'protocol'>): string {
  return `${vs.address}:${vs.port}/${vs.protocol}`;
}
/** `10.244.1.5:8080`. */
export function realServerKey(rs: Pick<RealServer, 'address' | 'port'>): string {
  return `${rs.address}:${rs.port}`;
}

/** The settings kube-proxy compares to decide whether an existing virtual server needs an update. */
export function sameVirtualServer(a: VirtualServer, b: VirtualServer): boolean {
  return virtualServerKey(a) === virtualServerKey(b) && a.scheduler === b.scheduler && a.flags === b.flags && a.timeout === b.timeout;
}

// ---- attribute encoding (struct nlattr: u16 length, u16 type, payload padded to 4 bytes) ----

/** One netlink attribute (also what rtnetlink's nested IFLA_LINKINFO holds). */
export function attr(type: number, payload: Buffer): Buffer {
  const len = 4 + payload.length;
  const out = Buffer.alloc((len + 3) & ~3);
  out.writeUInt16LE(len, 0);
  out.writeUInt16LE(type, 2);
  payload.copy(out, 4);
  return out;
}
const nested = (type: number, attrs: Buffer[]) => attr(type | NLA_F_NESTED, Buffer.concat(attrs));
const u16 = (v: number) => {
  const b = Buffer.alloc(2);
  b.writeUInt16LE(v);
  return b;
};
const u32 = (v: number) => {
  const b = Buffer.alloc(4);
  b.writeUInt32LE(v >>> 0);
  return b;
};
/** Ports travel in network byte order (__be16). */
const be16 = (v: number) => {
  const b = Buffer.alloc(2);
  b.writeUInt16BE(v);
  return b;
};
export const cstring = (s: string) => Buffer.from(`${s}\0`, 'latin1');

function ipv4(address: string): Buffer {
  const n = parseIPv4(address);
  if (n === undefined) throw new Error(`not an IPv4 address: ${address}`);
  return ipv4Bytes(n);
}

/** The attributes naming a service: family, protocol, address, port. */
function serviceIdentity(vs: Pick<VirtualServer, 'address' | 'port' | 'protocol'>): Buffer[] {
  return [attr(SVC_ATTR.AF, u16(AF_INET)), attr(SVC_ATTR.PROTOCOL, u16(protocolNumbers[vs.protocol])), attr(SVC_ATTR.ADDR, ipv4(vs.address)), attr(SVC_ATTR.PORT, be16(vs.port))];
}

/** A whole service, as NEW_SERVICE and SET_SERVICE need it (the kernel refuses one without scheduler, flags, timeout, netmask). */
function serviceFull(vs: VirtualServer): Buffer[] {
  const flags = Buffer.alloc(8);
  flags.writeUInt32LE(vs.flags >>> 0, 0);
  flags.writeUInt32LE(0xffffffff, 4); // struct ip_vs_flags: the mask covers every flag
  return [
    ...serviceIdentity(vs),
    attr(SVC_ATTR.SCHED_NAME, cstring(vs.scheduler)),
    attr(SVC_ATTR.FLAGS, flags),
    attr(SVC_ATTR.TIMEOUT, u32(vs.timeout)),
    attr(SVC_ATTR.NETMASK, u32(0xffffffff)),
  ];
}

function destination(rs: RealServer, full: boolean): Buffer[] {
  const id = [attr(DEST_ATTR.ADDR, ipv4(rs.address)), attr(DEST_ATTR.PORT, be16(rs.port))];
  if (!full) return id;
  return [
    ...id,
    attr(DEST_ATTR.FWD_METHOD, u32(IP_VS_CONN_F_MASQ)),
    attr(DEST_ATTR.WEIGHT, u32(rs.weight)),
    attr(DEST_ATTR.U_THRESH, u32(0)),
    attr(DEST_ATTR.L_THRESH, u32(0)),
    attr(DEST_ATTR.ADDR_FAMILY, u16(AF_INET)),
  ];
}

/** Connection timeouts in seconds. */
export interface IpvsTimeouts {
  tcp: number;
  tcpFin: number;
  udp: number;
}

/** One IPVS request: the command and its attribute payload (after the genl header). */
export interface IpvsRequest {
  cmd: number;
  payload: Buffer;
  dump?: boolean;
}

export const encode = {
  newService: (vs: VirtualServer): IpvsRequest => ({ cmd: Cmd.NEW_SERVICE, payload: nested(CMD_ATTR_SERVICE, serviceFull(vs)) }),
  setService: (vs: VirtualServer): IpvsRequest => ({ cmd: Cmd.SET_SERVICE, payload: nested(CMD_ATTR_SERVICE, serviceFull(vs)) }),
  delService: (vs: VirtualServer): IpvsRequest => ({ cmd: Cmd.DEL_SERVICE, payload: nested(CMD_ATTR_SERVICE, serviceIdentity(vs)) }),
  getServices: (): IpvsRequest => ({ cmd: Cmd.GET_SERVICE, payload: Buffer.alloc(0), dump: true }),
  getDests: (vs: VirtualServer): IpvsRequest => ({ cmd: Cmd.GET_DEST, payload: nested(CMD_ATTR_SERVICE, serviceIdentity(vs)), dump: true }),
  newDest: (vs: VirtualServer, rs: RealServer): IpvsRequest => ({
    cmd: Cmd.NEW_DEST,
    payload: Buffer.concat([nested(CMD_ATTR_SERVICE, serviceIdentity(vs)), nested(CMD_ATTR_DEST, destination(rs, true))]),
  }),
  setDest: (vs: VirtualServer, rs: RealServer): IpvsRequest => ({
    cmd: Cmd.SET_DEST,
    payload: Buffer.concat([nested(CMD_ATTR_SERVICE, serviceIdentity(vs)), nested(CMD_ATTR_DEST, destination(rs, true))]),
  }),
  /** `ipvsadm --set tcp tcpfin udp`; 0 keeps the kernel's value. */
  setConfig: (t: IpvsTimeouts): IpvsRequest => ({
    cmd: Cmd.SET_CONFIG,
    payload: Buffer.concat([attr(CMD_ATTR_TIMEOUT_TCP, u32(t.tcp)), attr(CMD_ATTR_TIMEOUT_TCP_FIN, u32(t.tcpFin)), attr(CMD_ATTR_TIMEOUT_UDP, u32(t.udp))]),
  }),
  delDest: (vs: VirtualServer, rs: RealServer): IpvsRequest => ({
    cmd: Cmd.DEL_DEST,
    payload: Buffer.concat([nested(CMD_ATTR_SERVICE, serviceIdentity(vs)), nested(CMD_ATTR_DEST, destination(rs, false))]),
  }),
};

// ---- decoding ----

function parseAttrs(buf: Buffer): Map<number, Buffer> {
  const out = new Map<number, Buffer>();
  let off = 0;
  while (off + 4 <= buf.length) {
    const len = buf.readUInt16LE(off);
    const type = buf.readUInt16LE(off + 2) & NLA_TYPE_MASK;
    if (len < 4 || off + len > buf.length) break;
    out.set(type, buf.subarray(off + 4, off + len));
    off += (len + 3) & ~3;
  }
  return out;
}

const protocolNames = new Map(Object.entries(protocolNumbers).map(([k, v]) => [v, k as Protocol]));
const addressOf = (b: Buffer | undefined) => (b && b.length >= 4 ? [...b.subarray(0, 4)].join('.') : '');

/** A GET_SERVICE reply's attributes (after the genl header); undefined for a non-IPv4 or firewall-mark service. */
export function decodeService(payload: Buffer): VirtualServer | undefined {
  const svc = parseAttrs(payload).get(CMD_ATTR_SERVICE);
  if (!svc) return undefined;
  const a = parseAttrs(svc);
  const af = a.get(SVC_ATTR.AF)?.readUInt16LE(0);
  const protocol = protocolNames.get(a.get(SVC_ATTR.PROTOCOL)?.readUInt16LE(0) ?? 0);
  if (af !== AF_INET || !protocol || a.has(SVC_ATTR.FWMARK) && !a.has(SVC_ATTR.ADDR)) return undefined;
  const flags = a.get(SVC_ATTR.FLAGS)?.readUInt32LE(0) ?? 0;
  const sched = a.get(SVC_ATTR.SCHED_NAME);
  return {
    address: addressOf(a.get(SVC_ATTR.ADDR)),
    protocol,
    port: a.get(SVC_ATTR.PORT)?.readUInt16BE(0) ?? 0,
    scheduler: sched ? sched.toString('latin1').replace(/\0.*$/s, '') : '',
    flags: flags & ~IP_VS_SVC_F_HASHED,
    timeout: a.get(SVC_ATTR.TIMEOUT)?.readUInt32LE(0) ?? 0,
  };
}

/** A GET_DEST reply's attributes. */
export function decodeDest(payload: Buffer): RealServer | undefined {
  const dest = parseAttrs(payload).get(CMD_ATTR_DEST);
  if (!dest) return undefined;
  const a = parseAttrs(dest);
  const family = a.get(DEST_ATTR.ADDR_FAMILY)?.readUInt16LE(0) ?? AF_INET;
  if (family !== AF_INET) return undefined;
  return {
    address: addressOf(a.get(DEST_ATTR.ADDR)),
    port: a.get(DEST_ATTR.PORT)?.readUInt16BE(0) ?? 0,
    weight: a.get(DEST_ATTR.WEIGHT)?.readUInt32LE(0) ?? 0,
    activeConnections: a.get(DEST_ATTR.ACTIVE_CONNS)?.readUInt32LE(0) ?? 0,
    inactiveConnections: a.get(DEST_ATTR.INACT_CONNS)?.readUInt32LE(0) ?? 0,
  };
}

// ---- the interface the proxier uses, and its netlink implementation ----

/** What the proxier needs from the kernel's IPVS table (kube-proxy's utilipvs.Interface). Injected; FakeIpvs fakes it. */
export interface Ipvs {
  getVirtualServers(): Promise<VirtualServer[]>;
  addVirtualServer(vs: VirtualServer): Promise<void>;
  updateVirtualServer(vs: VirtualServer): Promise<void>;
  deleteVirtualServer(vs: VirtualServer): Promise<void>;
  getRealServers(vs: VirtualServer): Promise<RealServer[]>;
  addRealServer(vs: VirtualServer, rs: RealServer): Promise<void>;
  updateRealServer(vs: VirtualServer, rs: RealServer): Promise<void>;
  deleteRealServer(vs: VirtualServer, rs: RealServer): Promise<void>;
  configureTimeouts(t: IpvsTimeouts): Promise<void>;
  close(): void;
}

export class IpvsError extends Error {
  readonly code = 'ERR_IPVS';
}

/** The kernel's IPVS table over a generic netlink socket, in this process's network namespace. */
export class GenlIpvs implements Ipvs {
  private familyId?: Promise<number>;
  private closed = false;
  private readonly serial = new Serial();

  constructor(private readonly socket: GenericNetlinkSocket = createGenericNetlink()) {}

  /** The IPVS family's id, looked up once; fails when the kernel has no IPVS. */
  private family(): Promise<number> {
    this.familyId ??= this.socket.ctrlRequest(genl.Commands.GET_FAMILY, { familyName: IPVS_GENL_NAME }).then(
      ([m]) => {
        if (m?.familyId === undefined) throw new IpvsError('generic netlink family IPVS not found');
        return m.familyId;
      },
      (e: Error) => {
        this.familyId = undefined;
        throw new IpvsError(`generic netlink family IPVS not found (is the ip_vs module loaded?): ${e.message}`);
      },
    );
    return this.familyId;
  }

  private async run(req: IpvsRequest, what: string): Promise<Buffer[]> {
    const family = await this.family();
    try {
      const [msgs] = await this.serial.run(() => this.socket.request(family, req.cmd, IPVS_GENL_VERSION, req.payload, req.dump ? { flags: FlagsGet.DUMP } : {}));
      return msgs.map((m) => m.data);
    } catch (e) {
      throw new IpvsError(`IPVS ${what}: ${(e as Error).message}`);
    }
  }

  async getVirtualServers(): Promise<VirtualServer[]> {
    return (await this.run(encode.getServices(), 'list services')).map(decodeService).filter((v): v is VirtualServer => !!v);
  }
  async addVirtualServer(vs: VirtualServer): Promise<void> {
    await this.run(encode.newService(vs), `add service ${virtualServerKey(vs)}`);
  }
  async updateVirtualServer(vs: VirtualServer): Promise<void> {
    await this.run(encode.setService(vs), `update service ${virtualServerKey(vs)}`);
  }
  async deleteVirtualServer(vs: VirtualServer): Promise<void> {
    await this.run(encode.delService(vs), `delete service ${virtualServerKey(vs)}`);
  }
  async getRealServers(vs: VirtualServer): Promise<RealServer[]> {
    return (await this.run(encode.getDests(vs), `list destinations of ${virtualServerKey(vs)}`)).map(decodeDest).filter((r): r is RealServer => !!r);
  }
  async addRealServer(vs: VirtualServer, rs: RealServer): Promise<void> {
    await this.run(encode.newDest(vs, rs), `add destination ${realServerKey(rs)} to ${virtualServerKey(vs)}`);
  }
  async updateRealServer(vs: VirtualServer, rs: RealServer): Promise<void> {
    await this.run(encode.setDest(vs, rs), `update destination ${realServerKey(rs)} of ${virtualServerKey(vs)}`);
  }
  async deleteRealServer(vs: VirtualServer, rs: RealServer): Promise<void> {
    await this.run(encode.delDest(vs, rs), `delete destination ${realServerKey(rs)} of ${virtualServerKey(vs)}`);
  }
  async configureTimeouts(t: IpvsTimeouts): Promise<void> {
    await this.run(encode.setConfig(t), 'set timeouts');
  }
  close(): void {
    if (this.closed) return;
    this.closed = true;
    this.socket.socket.close();
  }
}
