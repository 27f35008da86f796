// In-memory IPVS table and links for the IPVS proxier's tests (kube-proxy's pkg/proxy/ipvs/util/testing fake): they
// keep what was programmed, count the calls, and let a test set a real server's connection counts.
import type { Links } from './dummy.js';
import { realServerKey, virtualServerKey, type Ipvs, type IpvsTimeouts, type RealServer, type VirtualServer } from './netlink.js';

export class FakeIpvs implements Ipvs {
  readonly services = new Map<string, { vs: VirtualServer; dests: Map<string, RealServer> }>();
  readonly calls: string[] = [];
  timeouts?: IpvsTimeouts;

  private svc(vs: VirtualServer) {
    const s = this.services.get(virtualServerKey(vs));
    if (!s) throw new Error(`Request rejected: ESRCH (${virtualServerKey(vs)})`);
    return s;
  }
  async getVirtualServers(): Promise<VirtualServer[]> {
    return [...this.services.values()].map((s) => ({ ...s.vs }));
  }
  async addVirtualServer(vs: VirtualServer): Promise<void> {
    this.calls.push(`add-service ${virtualServerKey(vs)}`);
    if (this.services.has(virtualServerKey(vs))) throw new Error('Request rejected: EEXIST');
    this.services.set(virtualServerKey(vs), { vs: { ...vs }, dests: new Map() });
  }
  async updateVirtualServer(vs: VirtualServer): Promise<void> {
    this.calls.push(`update-service ${virtualServerKey(vs)}`);
    this.svc(vs).vs = { ...vs };
  }
  async deleteVirtualServer(vs: VirtualServer): Promise<void> {
    this.calls.push(`delete-service ${virtualServerKey(vs)}`);
    this.svc(vs);
    this.services.delete(virtualServerKey(vs));
  }
  async getRealServers(vs: VirtualServer): Promise<RealServer[]> {
    return [...this.svc(vs).dests.values()].map((d) => ({ activeConnections: 0, inactiveConnections: 0, ...d }));
  }
  async addRealServer(vs: VirtualServer, rs: RealServer): Promise<void> {
    this.calls.push(`add-dest ${virtualServerKey(vs)} ${realServerKey(rs)} weight ${rs.weight}`);
    this.svc(vs).dests.set(realServerKey(rs), { address: rs.address, port: rs.port, weight: rs.weight });
  }
  async updateRealServer(vs: VirtualServer, rs: RealServer): Promise<void> {
    this.calls.push(`update-dest ${virtualServerKey(vs)} ${realServerKey(rs)} weight ${rs.weight}`);
    const d = this.svc(vs).dests.get(realServerKey(rs));
    if (!d) throw new Error('Request rejected: ENOENT');
    d.weight = rs.weight;
  }
  async deleteRealServer(vs: VirtualServer, rs: RealServer): Promise<void> {
    this.calls.push(`delete-dest ${virtualServerKey(vs)} ${realServerKey(rs)}`);
    this.svc(vs).dests.delete(realServerKey(rs));
  }
  async configureTimeouts(t: IpvsTimeouts): Promise<void> {
    this.timeouts = t;
  }
  close(): void {}

  /** Sets a real server's connection counts, as traffic would. */
  setConnections(vsKey: string, rsKey: string, active: number, inactive = 0): void {
    const d = this.services.get(vsKey)?.dests.get(rsKey);
    if (!d) throw new Error(`no real server ${rsKey} in ${vsKey}`);
    d.activeConnections = active;
    d.inactiveConnections = inactive;
  }

  /** `ipvsadm -Ln`-like summary: `TCP 10.96.0.1:80 rr [persistent 10800]` then `-> 10.244.1.2:8080 1`. */
  dump(): string[] {
    const out: string[] = [];
    for (const key of [...this.services.keys()].sort()) {
      const { vs, dests } = this.services.get(key)!;
      out.push(`${vs.protocol} ${vs.address}:${vs.port} ${vs.scheduler}${vs.timeout ? ` persistent ${vs.timeout}` : ''}`);
      for (const k of [...dests.keys()].sort()) out.push(`  -> ${k} ${dests.get(k)!.weight}`);
    }
    return out;
  }
}

export class FakeLinks implements Links {
  readonly links = new Map<string, Set<string>>();
  constructor(
    /** The node's own addresses (on links other than the dummy one). */
    readonly nodeAddresses: string[] = ['192.168.56.11'],
  ) {}
  async ensureDummyDevice(name: string): Promise<void> {
    if (!this.links.has(name)) this.links.set(name, new Set());
  }
  async deleteDummyDevice(name: string): Promise<void> {
    this.links.delete(name);
  }
  async addresses(name: string): Promise<Set<string>> {
    return new Set(this.links.get(name) ?? []);
  }
  async bindAddress(ip: string, name: string): Promise<void> {
    const l = this.links.get(name);
    if (!l) throw new Error(`link ${name} not found`);
    l.add(ip);
  }
  async unbindAddress(ip: string, name: string): Promise<void> {
    this.links.get(name)?.delete(ip);
  }
  async localAddressesExcept(): Promise<Set<string>> {
    return new Set(this.nodeAddresses);
  }
  close(): void {}
}
