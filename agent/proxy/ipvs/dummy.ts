// kube-proxy's pkg/proxy/ipvs/netlink_linux.go: the `kube-ipvs0` dummy link that holds every ClusterIP and external
// IP (so the kernel treats them as local and IPVS sees the packets in INPUT), and the node's other local addresses,
// where NodePorts get a virtual server each. Over rtnetlink, in this process's network namespace.
import { createRtNetlink, FlagsNew, type RtNetlinkSocket } from 'netlink';
import { ipv4Bytes, parseIPv4 } from '../../../api/net.js';
import { attr, cstring } from './netlink.js';
import { Serial } from './serial.js';

/** kube-proxy's defaultDummyDevice. */
export const dummyDevice = 'kube-ipvs0';

/** What the proxier needs from the kernel's links (kube-proxy's NetLinkHandle). Injected; FakeLinks fakes it. */
export interface Links {
  /** Creates the dummy link unless it exists. */
  ensureDummyDevice(name: string): Promise<void>;
  /** Deletes the link; no error when it doesn't exist. */
  deleteDummyDevice(name: string): Promise<void>;
  /** IPv4 addresses on the link (none if it doesn't exist). */
  addresses(name: string): Promise<Set<string>>;
  bindAddress(ip: string, name: string): Promise<void>;
  unbindAddress(ip: string, name: string): Promise<void>;
  /** IPv4 addresses on every other link, without loopback and link-local ones: where NodePorts answer. */
  localAddressesExcept(name: string): Promise<Set<string>>;
  close(): void;
}

const AF_INET = 2;
/** IFLA_INFO_KIND inside IFLA_LINKINFO. */
const IFLA_INFO_KIND = 1;

const linkInfoKind = (kind: string) => attr(IFLA_INFO_KIND, cstring(kind));

const dotted = (b: Buffer | undefined) => (b && b.length === 4 ? [...b].join('.') : undefined);

export class RtLinks implements Links {
  private closed = false;
  private readonly serial = new Serial();

  constructor(private readonly socket: RtNetlinkSocket = createRtNetlink()) {}

  /** Link name → index, as last looked up: every sync starts with ensureDummyDevice's fresh lookup, and the reads
   * and binds after it reuse it (a links dump per bound address made a 1000-Service full sync send 1000 dumps). */
  private readonly indexes = new Map<string, number>();
  /** The address dump under way: the proxier's two concurrent reads share it. */
  private addressDump?: Promise<{ ip: string; index: number }[]>;

  private async index(name: string): Promise<number | undefined> {
    const links = await this.serial.run(() => this.socket.getLinks());
    const index = links.find((l) => l.attrs.ifname === name)?.data.index;
    if (index === undefined) this.indexes.delete(name);
    else this.indexes.set(name, index);
    return index;
  }

  private async knownIndex(name: string): Promise<number | undefined> {
    return this.indexes.get(name) ?? this.index(name);
  }

  /** Runs an address change on the link's known index, once more on a fresh one if the link went (ENODEV). */
  private async onLink(name: string, fn: (index: number) => Promise<void>): Promise<boolean> {
    const known = await this.knownIndex(name);
    if (known === undefined) return false;
    try {
      await fn(known);
    } catch (e) {
      if (!/ENODEV/.test((e as Error).message)) throw e;
      const fresh = await this.index(name);
      if (fresh === undefined || fresh === known) throw e;
      await fn(fresh);
    }
    return true;
  }

  async ensureDummyDevice(name: string): Promise<void> {
    if ((await this.index(name)) !== undefined) return;
    try {
      await this.serial.run(() => this.socket.newLink({}, { ifname: name, linkinfo: linkInfoKind('dummy') }, { flags: FlagsNew.CREATE | FlagsNew.EXCL }));
    } catch (e) {
      throw new Error(`creating dummy link ${name}: ${(e as Error).message} (does this kernel have dummy link support?)`);
    }
  }

  async deleteDummyDevice(name: string): Promise<void> {
    const index = await this.index(name);
    this.indexes.delete(name);
    if (index !== undefined) await this.serial.run(() => this.socket.delLink({ index }));
  }

  private addressList(): Promise<{ ip: string; index: number }[]> {
    this.addressDump ??= this.serial
      .run(() => this.socket.getAddresses({ family: AF_INET }))
      .then((addresses) => {
        const out: { ip: string; index: number }[] = [];
        for (const a of addresses) {
          const ip = dotted(a.attrs.local) ?? dotted(a.attrs.address);
          if (ip && a.data.index !== undefined) out.push({ ip, index: a.data.index });
        }
        return out;
      })
      .finally(() => (this.addressDump = undefined));
    return this.addressDump;
  }

  async addresses(name: string): Promise<Set<string>> {
    const index = await this.knownIndex(name);
    if (index === undefined) return new Set();
    return new Set((await this.addressList()).filter((a) => a.index === index).map((a) => a.ip));
  }

  async bindAddress(ip: string, name: string): Promise<void> {
    const bytes = ipv4Bytes(parseIPv4(ip)!);
    const found = await this.onLink(name, async (index) => {
      try {
        await this.serial.run(() => this.socket.newAddress({ family: AF_INET, prefixlen: 32, index }, { local: bytes, address: bytes }, { flags: FlagsNew.CREATE | FlagsNew.EXCL }));
      } catch (e) {
        if (/ENODEV/.test((e as Error).message)) throw e;
        if (!/EEXIST/.test((e as Error).message)) throw new Error(`binding ${ip} to ${name}: ${(e as Error).message}`);
      }
    });
    if (!found) throw new Error(`link ${name} not found`);
  }

  async unbindAddress(ip: string, name: string): Promise<void> {
    const bytes = ipv4Bytes(parseIPv4(ip)!);
    await this.onLink(name, async (index) => {
      try {
        await this.serial.run(() => this.socket.delAddress({ family: AF_INET, prefixlen: 32, index }, { local: bytes, address: bytes }));
      } catch (e) {
        if (/ENODEV/.test((e as Error).message)) throw e;
        if (!/EADDRNOTAVAIL|ENOENT/.test((e as Error).message)) throw new Error(`unbinding ${ip} from ${name}: ${(e as Error).message}`);
      }
    });
  }

  async localAddressesExcept(name: string): Promise<Set<string>> {
    const skip = await this.knownIndex(name);
    const out = new Set<string>();
    for (const a of await this.addressList()) {
      if (a.index === skip || a.ip.startsWith('127.') || a.ip.startsWith('169.254.')) continue;
      out.add(a.ip);
    }
    return out;
  }

  close(): void {
    if (this.closed) return;
    this.closed = true;
    this.socket.socket.close();
  }
}
