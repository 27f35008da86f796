// kube-proxy in IPVS mode (pkg/proxy/ipvs/proxier.go). The shared plumbing (base.ts) records changes and runs one
// serialized sync; this mode's part computes, from the service and endpoint maps, the IPVS virtual servers (one per
// ClusterIP, external IP and load-balancer IP port, and per NodePort on every node address) with a real server per
// usable endpoint, the ipset entries and the addresses of the kube-ipvs0 dummy link — then applies them: the ipsets in
// one `ipset restore`, kube-proxy's small iptables rule set in one `iptables-restore --noflush`, the link over
// rtnetlink and the virtual servers over generic netlink. A real server whose endpoint went away drains first.
import { logger } from '../../../api/log.js';
import { BaseProxier, serviceChanged, type ProxierOptions, type SyncContext } from '../base.js';
import { categorizeEndpoints, type EndpointsMap } from '../endpointschange.js';
import { jumpArgs } from '../iptables/chains.js';
import { Iptables } from '../iptables/iptables.js';
import type { ServicePortMap } from '../servicechange.js';
import { ipsetJumps, ipvsChains, ipvsJumpRules, kubeForwardChain, kubeIPVSFilterChain, kubeLoadBalancerChain, kubeMarkMasqChain, kubeNodePortChain, kubePostroutingChain, kubeServicesChain, kubeSourceRangesFirewallChain } from './chains.js';
import { dummyDevice, RtLinks, type Links } from './dummy.js';
import { defaultCheckIntervalMs, GracefulTerminationManager } from './graceful.js';
import {
  entry,
  ipsetComment,
  IPSetSyncer,
  kubeClusterIPSet,
  kubeExternalIPLocalSet,
  kubeExternalIPSet,
  kubeHealthCheckNodePortSet,
  kubeIPVSSet,
  kubeLoadBalancerLocalSet,
  kubeLoadBalancerSet,
  kubeLoopBackIPSet,
  nodePortSets,
} from './ipset.js';
import { GenlIpvs, IP_VS_SVC_F_PERSISTENT, IP_VS_SVC_F_SCHED_SH_PORT, realServerKey, sameVirtualServer, virtualServerKey, type Ipvs, type RealServer, type VirtualServer } from './netlink.js';

const log = logger('proxy-ipvs');

/** kube-proxy's defaultScheduler. */
export const defaultScheduler = 'rr';

export interface IpvsProxierOptions extends ProxierOptions {
  /** IPVS scheduler of every virtual server (KubeProxyConfiguration ipvs.scheduler). Default "rr". */
  scheduler?: string;
  /** IPVS connection timeouts in seconds (ipvs.tcpTimeout, tcpFinTimeout, udpTimeout); 0 keeps the kernel's. */
  tcpTimeoutSeconds?: number;
  tcpFinTimeoutSeconds?: number;
  udpTimeoutSeconds?: number;
  /** The kernel's IPVS table; default generic netlink in this process's network namespace. */
  ipvs?: Ipvs;
  /** The kernel's links and addresses; default rtnetlink in this process's network namespace. */
  links?: Links;
  /** How often draining real servers are checked (besides every sync). Default 1 min, as kube-proxy. */
  gracefulCheckIntervalMs?: number;
}

/** One virtual server a sync wants, with its real servers. */
export interface DesiredVirtualServer {
  vs: VirtualServer;
  realServers: RealServer[];
  /** `ns/svc`: its real servers are reconciled when the service or its endpoints change. */
  serviceName: string;
}

/** Everything one sync programs, computed from the maps alone (pure). */
export interface IpvsState {
  virtualServers: Map<string, DesiredVirtualServer>;
  /** Set name → entries. */
  sets: Map<string, Set<string>>;
  /** Addresses kube-ipvs0 must hold. */
  bindAddresses: Set<string>;
}

export function computeIpvsState(
  svcPortMap: ServicePortMap,
  endpointsMap: EndpointsMap,
  nodeAddresses: Set<string>,
  scheduler: string,
): IpvsState {
  const virtualServers = new Map<string, DesiredVirtualServer>();
  const sets = new Map<string, Set<string>>();
  const add = (set: string, e: string) => {
    let s = sets.get(set);
    if (!s) sets.set(set, (s = new Set()));
    s.add(e);
  };
  const bindAddresses = new Set<string>();
  const nodeIPs = [...nodeAddresses].sort();

  for (const name of [...svcPortMap.keys()].sort()) {
    const svc = svcPortMap.get(name)!;
    const protocol = svc.protocol.toLowerCase();
    const eps = endpointsMap.get(name) ?? [];
    const { clusterEndpoints, localEndpoints } = categorizeEndpoints(eps, svc);
    const toReal = (list: typeof eps) => list.map((e) => ({ address: e.ip, port: e.port, weight: 1 }));
    // internalTrafficPolicy Local: this node's endpoints only (none: no real server, the traffic goes nowhere).
    const internal = toReal(svc.internalPolicyLocal ? localEndpoints : clusterEndpoints);
    // externalTrafficPolicy Local: this node's endpoints, or the cluster's when there are none, as kube-proxy's
    // syncEndpoint does, so pods and the node itself still reach the service.
    const external = toReal(svc.externalPolicyLocal && localEndpoints.length > 0 ? localEndpoints : clusterEndpoints);

    let flags = 0;
    let timeout = 0;
    if (svc.stickyMaxAgeSeconds) {
      flags |= IP_VS_SVC_F_PERSISTENT;
      timeout = svc.stickyMaxAgeSeconds;
    }
    if (scheduler === 'mh') flags |= IP_VS_SVC_F_SCHED_SH_PORT;
    const want = (address: string, port: number, realServers: RealServer[]) => {
      const vs: VirtualServer = { address, port, protocol: svc.protocol, scheduler, flags, timeout };
      virtualServers.set(virtualServerKey(vs), { vs, realServers, serviceName: svc.serviceName });
    };

    // Hairpin: a local endpoint reaching itself through the service is masqueraded.
    for (const e of eps) if (e.isLocal) add(kubeLoopBackIPSet, entry.ipPortIp(e.ip, protocol, e.port, e.ip));

    add(kubeClusterIPSet, entry.ipPort(svc.clusterIP, protocol, svc.port));
    want(svc.clusterIP, svc.port, internal);
    bindAddresses.add(svc.clusterIP);

    for (const ip of svc.externalIPs) {
      add(svc.externalPolicyLocal ? kubeExternalIPLocalSet : kubeExternalIPSet, entry.ipPort(ip, protocol, svc.port));
      want(ip, svc.port, external);
      // An address the node already has stays where it is.
      if (!nodeAddresses.has(ip)) bindAddresses.add(ip);
    }
    for (const ip of svc.loadBalancerIPs) {
      add(kubeLoadBalancerSet, entry.ipPort(ip, protocol, svc.port));
      if (svc.externalPolicyLocal) add(kubeLoadBalancerLocalSet, entry.ipPort(ip, protocol, svc.port));
      want(ip, svc.port, external);
      if (!nodeAddresses.has(ip)) bindAddresses.add(ip);
    }

    if (svc.nodePort !== 0 && nodeIPs.length > 0) {
      const { all, local } = nodePortSets[svc.protocol];
      // SCTP sets are hash:ip,port (one entry per node address); the others are port bitmaps.
      const entries = svc.protocol === 'SCTP' ? nodeIPs.map((ip) => entry.ipPort(ip, protocol, svc.nodePort)) : [entry.port(svc.nodePort)];
      for (const e of entries) {
        add(all, e);
        if (svc.externalPolicyLocal) add(local, e);
      }
      for (const ip of nodeIPs) want(ip, svc.nodePort, external);
    }
    if (svc.healthCheckNodePort) add(kubeHealthCheckNodePortSet, entry.port(svc.healthCheckNodePort));
  }
  for (const ip of bindAddresses) add(kubeIPVSSet, entry.ip(ip));
  return { virtualServers, sets, bindAddresses };
}

export interface IptablesRuleOptions {
  masqueradeMark: string;
  masqueradeAll?: boolean;
  clusterCIDR?: string;
}

/** kube-proxy's writeIptablesRules: the IPVS mode's whole iptables-restore document (pure). */
export function buildIptablesRules(sets: Map<string, Set<string>>, o: IptablesRuleOptions): string {
  const has = (set: string) => (sets.get(set)?.size ?? 0) > 0;
  const q = (s: string) => `"${s}"`;
  const mark = `${o.masqueradeMark}/${o.masqueradeMark}`;
  const nat: string[] = [];
  const filter: string[] = [];
  const match = (set: string, how: string) => ['-m', 'comment', '--comment', q(ipsetComment(set)), '-m', 'set', '--match-set', set, how];
  const line = (words: string[]) => words.join(' ');

  // Connections from localhost are never service traffic here.
  nat.push(line(['-A', kubeServicesChain, '-s', '127.0.0.0/8', '-j', 'RETURN']));
  for (const j of ipsetJumps) {
    if (!has(j.set)) continue;
    const l = line(['-A', j.from, ...(j.protocol ? ['-p', j.protocol] : []), ...match(j.set, j.match), '-j', j.to]);
    (j.table === 'nat' ? nat : filter).push(l);
  }
  if (has(kubeClusterIPSet)) {
    const base = ['-A', kubeServicesChain, ...match(kubeClusterIPSet, '')].filter((w) => w !== '');
    // Traffic to a ClusterIP from outside the pod network may have been routed here from off-node: masquerade it.
    if (o.masqueradeAll) nat.push(line([...base, 'dst,dst', '-j', kubeMarkMasqChain]));
    else if (o.clusterCIDR) nat.push(line([...base, 'dst,dst', '!', '-s', o.clusterCIDR, '-j', kubeMarkMasqChain]));
    else nat.push(line([...base, 'src,dst', '-j', kubeMarkMasqChain]));
  }
  const externalIPRules = (args: string[]) => {
    // Accept traffic from off the machine (not from a bridge, not local) and traffic to addresses that are local.
    nat.push(line([...args, '-m', 'physdev', '!', '--physdev-is-in', '-m', 'addrtype', '!', '--src-type', 'LOCAL', '-j', 'ACCEPT']));
    nat.push(line([...args, '-m', 'addrtype', '--dst-type', 'LOCAL', '-j', 'ACCEPT']));
  };
  if (has(kubeExternalIPSet)) {
    const args = ['-A', kubeServicesChain, ...match(kubeExternalIPSet, 'dst,dst')];
    nat.push(line([...args, '-j', kubeMarkMasqChain]));
    externalIPRules(args);
  }
  if (has(kubeExternalIPLocalSet)) externalIPRules(['-A', kubeServicesChain, ...match(kubeExternalIPLocalSet, 'dst,dst')]);
  nat.push(line(['-A', kubeServicesChain, '-m', 'addrtype', '--dst-type', 'LOCAL', '-j', kubeNodePortChain]));
  nat.push(line(['-A', kubeLoadBalancerChain, '-j', kubeMarkMasqChain]));
  filter.push(line(['-A', kubeSourceRangesFirewallChain, '-j', 'DROP']));
  // What IPVS serves is accepted, in case other rules would block it (these stay last in KUBE-SERVICES).
  for (const set of [kubeClusterIPSet, kubeLoadBalancerSet]) if (has(set)) nat.push(line(['-A', kubeServicesChain, '-m', 'set', '--match-set', set, 'dst,dst', '-j', 'ACCEPT']));
  filter.push(line(['-A', kubeForwardChain, '-m', 'comment', '--comment', q('kubernetes forwarding rules'), '-m', 'mark', '--mark', mark, '-j', 'ACCEPT']));
  filter.push(line(['-A', kubeForwardChain, '-m', 'comment', '--comment', q('kubernetes forwarding conntrack rule'), '-m', 'conntrack', '--ctstate', 'RELATED,ESTABLISHED', '-j', 'ACCEPT']));
  filter.push(line(['-A', kubeNodePortChain, ...match(kubeHealthCheckNodePortSet, 'dst'), '-j', 'ACCEPT']));
  // A VIP must not expose the node's own ports: only the service ports on it are let through.
  for (const [set, how] of [[kubeLoadBalancerSet, 'dst,dst'], [kubeClusterIPSet, 'dst,dst'], [kubeExternalIPSet, 'dst,dst'], [kubeExternalIPLocalSet, 'dst,dst'], [kubeHealthCheckNodePortSet, 'dst']] as const) {
    filter.push(line(['-A', kubeIPVSFilterChain, '-m', 'set', '--match-set', set, how, '-j', 'RETURN']));
  }
  filter.push(line(['-A', kubeIPVSFilterChain, '-m', 'conntrack', '--ctstate', 'NEW', '-m', 'set', '--match-set', kubeIPVSSet, 'dst', '-j', 'REJECT']));
  nat.push(line(['-A', kubePostroutingChain, '-m', 'mark', '!', '--mark', mark, '-j', 'RETURN']));
  // Clear the mark so a packet that re-traverses the stack is not masqueraded twice.
  nat.push(line(['-A', kubePostroutingChain, '-j', 'MARK', '--xor-mark', o.masqueradeMark]));
  nat.push(line(['-A', kubePostroutingChain, '-m', 'comment', '--comment', q('kubernetes service traffic requiring SNAT'), '-j', 'MASQUERADE', '--random-fully']));
  nat.push(line(['-A', kubeMarkMasqChain, '-j', 'MARK', '--or-mark', o.masqueradeMark]));

  const chainLines = (table: 'nat' | 'filter') => ipvsChains[table].map((c) => `:${c} - [0:0]`);
  return ['*nat', ...chainLines('nat'), ...nat, 'COMMIT', '*filter', ...chainLines('filter'), ...filter, 'COMMIT', ''].join('\n');
}

/** Whether a virtual server in the kernel is one this mode made (so it may delete it), from what the node holds. */
export function ownedVirtualServer(vs: Pick<VirtualServer, 'address' | 'port' | 'protocol'>, known: { boundAddresses: Set<string>; nodePortEntries: Set<string> }): boolean {
  if (known.boundAddresses.has(vs.address)) return true;
  const protocol = vs.protocol.toLowerCase();
  return known.nodePortEntries.has(`${protocol}:${vs.port}`) || known.nodePortEntries.has(`${protocol}:${vs.address}:${vs.port}`);
}

/** NodePort set entries as `tcp:30080` (bitmaps) and `sctp:10.0.0.1:30080` (SCTP's hash:ip,port). */
export function nodePortEntries(setEntries: (set: string) => Set<string>): Set<string> {
  const out = new Set<string>();
  for (const proto of ['TCP', 'UDP'] as const) for (const e of setEntries(nodePortSets[proto].all)) out.add(`${proto.toLowerCase()}:${e}`);
  for (const e of setEntries(nodePortSets.SCTP.all)) {
    const m = /^([\d.]+),sctp:(\d+)$/.exec(e);
    if (m) out.add(`sctp:${m[1]}:${m[2]}`);
  }
  return out;
}

export class IpvsProxier extends BaseProxier {
  private readonly iptables: Iptables;
  private readonly ipsets: IPSetSyncer;
  private readonly ipvs: Ipvs;
  private readonly links: Links;
  private readonly graceful: GracefulTerminationManager;
  private readonly scheduler: string;
  /** Real servers of virtual servers the last sync wrote, so a partial sync touches only changed services. */
  private written = new Map<string, DesiredVirtualServer>();

  constructor(protected override readonly opts: IpvsProxierOptions) {
    super('ipvs', opts, log);
    this.iptables = new Iptables(opts.exec);
    this.ipsets = new IPSetSyncer(opts.exec);
    this.ipvs = opts.ipvs ?? new GenlIpvs();
    this.links = opts.links ?? new RtLinks();
    this.scheduler = opts.scheduler || defaultScheduler;
    this.graceful = new GracefulTerminationManager(this.ipvs, log, opts.gracefulCheckIntervalMs ?? defaultCheckIntervalMs);
  }

  override syncLoop(): void {
    this.graceful.start();
    super.syncLoop();
  }

  override async close(): Promise<void> {
    await super.close();
    await this.graceful.stop();
    this.ipvs.close();
    this.links.close();
  }

  /** Real servers waiting for their connections to end. */
  terminatingRealServers(): string[] {
    return this.graceful.pending();
  }

  protected async writeRules(ctx: SyncContext): Promise<void> {
    const { full } = ctx;
    if (full) {
      await this.ensureBaseline();
      await this.ipsets.load();
    }
    await this.links.ensureDummyDevice(dummyDevice);
    const [bound, nodeAddresses] = await Promise.all([this.links.addresses(dummyDevice), this.links.localAddressesExcept(dummyDevice)]);
    const state = computeIpvsState(this.svcPortMap, this.endpointsMap, nodeAddresses, this.scheduler);
    // What this mode made before, as the kernel says: it may delete those virtual servers, and only those.
    const known = { boundAddresses: new Set([...bound, ...this.ipsets.entries(kubeIPVSSet)]), nodePortEntries: nodePortEntries((s) => this.ipsets.entries(s)) };

    await this.ipsets.apply(state.sets);
    await this.iptables.restore(buildIptablesRules(state.sets, { masqueradeMark: this.masqueradeMark, masqueradeAll: this.opts.masqueradeAll, clusterCIDR: this.opts.clusterCIDR })).catch((e: unknown) => {
      this.opts.metrics?.iptablesRestoreFailuresTotal.inc();
      throw e;
    });

    const errors: string[] = [];
    const attempt = async (what: string, fn: () => Promise<void>) => {
      try {
        await fn();
      } catch (e) {
        errors.push(`${what}: ${(e as Error).message}`);
      }
    };
    const current = new Map((await this.ipvs.getVirtualServers()).map((vs) => [virtualServerKey(vs), vs]));
    for (const ip of [...state.bindAddresses].sort()) if (!bound.has(ip)) await attempt(`bind ${ip}`, () => this.links.bindAddress(ip, dummyDevice));

    const written = new Map<string, DesiredVirtualServer>();
    for (const [key, want] of state.virtualServers) {
      const have = current.get(key);
      let fresh = false;
      if (!have) {
        await attempt(`add ${key}`, () => this.ipvs.addVirtualServer(want.vs));
        fresh = true;
      } else if (!sameVirtualServer(have, want.vs)) {
        await attempt(`update ${key}`, () => this.ipvs.updateVirtualServer(want.vs));
      }
      const changed = fresh || serviceChanged(ctx, want) || this.written.get(key)?.serviceName !== want.serviceName;
      if (changed) await attempt(`real servers of ${key}`, () => this.syncRealServers(want, full, fresh));
      written.set(key, want);
    }
    this.written = written;

    for (const [key, vs] of current) {
      if (state.virtualServers.has(key) || !ownedVirtualServer(vs, known)) continue;
      this.graceful.forgetVirtualServer(vs);
      await attempt(`delete ${key}`, () => this.ipvs.deleteVirtualServer(vs));
    }
    for (const ip of [...bound].sort()) if (!state.bindAddresses.has(ip)) await attempt(`unbind ${ip}`, () => this.links.unbindAddress(ip, dummyDevice));
    await this.graceful.check();
    if (errors.length > 0) throw new Error(`IPVS sync: ${errors.join('; ')}`);
  }

  /** kube-proxy's syncEndpoint: add the new real servers, drain the gone ones, revive draining ones that came back. */
  private async syncRealServers(want: DesiredVirtualServer, full: boolean, fresh: boolean): Promise<void> {
    const { vs } = want;
    // A virtual server added in this sync has no real servers yet: no dump to ask for.
    const current = new Map(fresh ? [] : (await this.ipvs.getRealServers(vs)).map((rs) => [realServerKey(rs), rs]));
    const wanted = new Set<string>();
    for (const rs of want.realServers) {
      const key = realServerKey(rs);
      wanted.add(key);
      const have = current.get(key);
      if (!have) await this.ipvs.addRealServer(vs, rs);
      else if (this.graceful.inTerminationList(vs, rs)) await this.graceful.revive(vs, rs);
      // After a restart a real server may have been left at weight 0 by a drain that never finished.
      else if (full && have.weight !== rs.weight) await this.ipvs.updateRealServer(vs, rs);
    }
    for (const [key, rs] of current) {
      if (wanted.has(key) || this.graceful.inTerminationList(vs, rs)) continue;
      await this.graceful.gracefulDeleteRS(vs, { address: rs.address, port: rs.port, weight: rs.weight });
    }
  }

  /** What a full sync ensures first: the sysctls IPVS mode needs, our chains and the jumps to them, IPVS timeouts. */
  private async ensureBaseline(): Promise<void> {
    // vs/conntrack lets IPVS'd packets through netfilter's NAT (masquerading); the expire_* ones drop connections
    // to deleted real servers and stale persistence templates instead of keeping them.
    const sysctls = ['net.ipv4.vs.conntrack=1', 'net.ipv4.vs.expire_nodest_conn=1', 'net.ipv4.vs.expire_quiescent_template=1', 'net.ipv4.ip_forward=1'];
    const r = await this.exec('sysctl', ['-w', ...sysctls]);
    if (r.exitCode !== 0) throw new Error(`setting ${sysctls.join(' ')}: ${r.stderr.trim()}`);
    for (const table of ['nat', 'filter'] as const) for (const c of ipvsChains[table]) await this.iptables.ensureChain(table, c);
    for (const j of ipvsJumpRules) await this.iptables.ensureRule(j.table, j.from, jumpArgs(j));
    const { tcpTimeoutSeconds: tcp = 0, tcpFinTimeoutSeconds: tcpFin = 0, udpTimeoutSeconds: udp = 0 } = this.opts;
    if (tcp || tcpFin || udp) await this.ipvs.configureTimeouts({ tcp, tcpFin, udp });
  }
}
