// kube-proxy in iptables mode (pkg/proxy/iptables/proxier.go). The shared plumbing (base.ts) records changes and runs
// one serialized sync; this mode's part builds kube-proxy's ruleset — chains in `nat` and `filter`, per-service
// KUBE-SVC/SVL/EXT/SEP chains, ClientIP affinity with the `recent` match — and applies it in one
// `iptables-restore --noflush` transaction. A full sync (start-up, after a failure, hourly) ensures the jumps from the
// built-in chains (-C, then -I), reads the kernel's nat chains once and writes every chain; a partial sync writes the
// per-service chains of changed Services only, and of the fixed chains (KUBE-SERVICES, KUBE-NODEPORTS, …) those whose
// rules differ from what the last restore wrote to them; it knows the chains in the kernel from what it wrote: no
// iptables-save. Chains no Service uses any more are deleted in the same transaction. A partial sync's cost follows
// the changed Services, not the table: names are hashed once per service port and endpoint, and stale chains are found
// from the changed ports' own last writes.
import { logger } from '../../../api/log.js';
import { BaseProxier, LastWrites, type ProxierOptions, type SyncContext } from '../base.js';
import { serviceTrafficPlan, type EndpointInfo } from '../endpointschange.js';
import type { ServicePortInfo } from '../servicechange.js';
import {
  firewallJumpRules,
  isServiceChainName,
  jumpArgs,
  jumpRules,
  kubeExternalServicesChain,
  kubeFirewallChain,
  kubeForwardChain,
  kubeMarkMasqChain,
  kubeNodePortsChain,
  kubePostroutingChain,
  kubeServicesChain,
  serviceExternalChain,
  servicePortEndpointChain,
  servicePortPolicyClusterChain,
  servicePortPolicyLocalChain,
  portProtoHash,
} from './chains.js';
import { chainsFromSave, Iptables, type Table } from './iptables.js';

const log = logger('proxy-iptables');

export interface IptablesProxierOptions extends ProxierOptions {
  /** Answer NodePorts on 127.0.0.1 too (sets route_localnet=1 and installs kube-proxy's localnet guard). Default true. */
  localhostNodePorts?: boolean;
}

/** kube-proxy formats 1/n with ten decimals ("0.3333333333"). */
export function probability(n: number): string {
  return (1 / n).toFixed(10);
}

/** Builds iptables-restore lines; a comment with spaces is quoted, as iptables-restore parses it. */
class LineBuffer {
  readonly lines: string[] = [];
  write(...words: (string | string[])[]): void {
    // One string built as it goes: a full sync writes tens of thousands of lines, flat() + join() allocated twice each.
    let line = '';
    for (const w of words) {
      if (typeof w === 'string') line = line ? `${line} ${w}` : w;
      else for (const x of w) line = line ? `${line} ${x}` : x;
    }
    this.lines.push(line);
  }
}

const quote = (s: string) => `"${s}"`;

/**
 * A restore declaring more chains than this starts with `-S`. iptables-nft (1.8) gathers the names of the chains a
 * restore's commands name, and their jump targets, into a sorted linked list (so as to fetch only those chains): one
 * walk of the list per command, quadratic in a document with thousands of chains (about 20 s for 1000 Services × 10
 * endpoints here). A command that names no chain makes it fetch the whole table instead, and `-S` is the one such
 * command that changes nothing: it lists the table, on stdout, which is left unread. Small partial restores go
 * without it: the listing would cost more than the walks.
 */
export const listTableAboveChains = 1000;

/**
 * kube-proxy's largeClusterEndpointsThreshold: above this many endpoints in all, the rules that come once per
 * endpoint (in KUBE-SEP chains and the service chains' jumps to them) go without their `-m comment`, which makes the
 * document much smaller (31 % at 3000 Services × 10 endpoints; iptables-nft's CPU for it hardly changes).
 */
export const largeClusterEndpointsThreshold = 1000;
const chainLine = (chain: string) => `:${chain} - [0:0]`;

/** The chains every restore of a full sync declares whole, by table (the per-service chains are the others). */
const natFixedChains = [kubeServicesChain, kubeNodePortsChain, kubePostroutingChain, kubeMarkMasqChain];
const filterFixedChains = (localhostNodePorts: boolean) =>
  [kubeServicesChain, kubeExternalServicesChain, kubeForwardChain, kubeNodePortsChain, ...(localhostNodePorts ? [kubeFirewallChain] : [])];

/** Whether two lists of rules are the same, line for line (unchanged Services' lines are the very same strings). */
function sameLines(a: string[] | undefined, b: string[]): boolean {
  if (a?.length !== b.length) return false;
  for (let i = 0; i < b.length; i++) if (a[i] !== b[i]) return false;
  return true;
}

/** What one service port writes: rules in the fixed chains, and its own chains with their rules. */
interface ServiceRules {
  filterRules: string[];
  /** Its rules in KUBE-SERVICES and KUBE-NODEPORTS. */
  natRules: string[];
  /** Its own nat chains (KUBE-EXT/SVC/SVL/SEP), in the order they are declared. */
  chains: string[];
  chainRules: string[];
}

/** What a partial sync replays for an unchanged service port: its own chains' rules are in the kernel already. */
type WrittenService = Omit<ServiceRules, 'chainRules'> & { chainRuleCount: number };

export class IptablesProxier extends BaseProxier {
  private readonly iptables: Iptables;
  private readonly localhostNodePorts: boolean;
  /** kube-proxy's per-service nat chains in the kernel: read on a full sync, else as the last restore left them. */
  private serviceChainsInKernel = new Set<string>();
  /** Each service port's own chains as last written, by ServicePortName: where a partial sync finds stale chains. */
  private chainsByPort = new Map<string, string[]>();
  private readonly written = new LastWrites<WrittenService>();
  /** The fixed chains' rules as the last successful restore wrote them, by `table chain`. */
  private readonly fixedWritten = new Map<string, string[]>();
  /** Whether the last sync wrote the ruleset in large-cluster mode (no per-endpoint comments). */
  private largeClusterMode = false;
  /** Endpoint chain names, hashed once per endpoint (a new EndpointInfo comes with every change to the endpoints). */
  private readonly endpointChains = new WeakMap<EndpointInfo, { of: string; chain: string }>();

  constructor(protected override readonly opts: IptablesProxierOptions) {
    super('iptables', opts, log);
    this.iptables = new Iptables(opts.exec);
    this.localhostNodePorts = opts.localhostNodePorts ?? true;
  }

  /**
   * Service ports in descending order of their KUBE-SVC chain names (kube-proxy's own order is a map's, i.e. none).
   * iptables-nft's walk of its sorted chain list (see listTableAboveChains) stops at the first name above the one it
   * inserts: KUBE-SERVICES jumps in descending order keep a partial restore at 10 000 Services linear.
   */
  protected override orderServicePorts(names: string[]): string[] {
    const key = new Map(names.map((n) => [n, portProtoHash(n, this.svcPortMap.get(n)!.protocol.toLowerCase())]));
    return names.sort((a, b) => (key.get(a)! < key.get(b)! ? 1 : key.get(a)! > key.get(b)! ? -1 : 0));
  }

  private endpointChain(name: string, protocol: string, ep: EndpointInfo): string {
    const of = name + protocol;
    let cached = this.endpointChains.get(ep);
    if (cached?.of !== of) {
      cached = { of, chain: servicePortEndpointChain(name, protocol, ep.endpoint) };
      this.endpointChains.set(ep, cached);
    }
    return cached.chain;
  }

  protected async writeRules(ctx: SyncContext): Promise<void> {
    if (ctx.full) {
      await this.ensureBaseline();
      this.serviceChainsInKernel = new Set([...chainsFromSave(await this.iptables.save('nat'))].filter(isServiceChainName));
    }
    // Every service port's rules change with the mode: its first sync in a new mode rewrites them all.
    const large = this.totalEndpoints() > largeClusterEndpointsThreshold;
    const modeChanged = large !== this.largeClusterMode;
    this.largeClusterMode = large;
    const ruleset = this.buildRuleset(modeChanged ? { ...ctx, full: true } : ctx);
    await this.iptables.restore(ruleset.data).catch((e: unknown) => {
      this.opts.metrics?.iptablesRestoreFailuresTotal.inc();
      // What the kernel holds is unknown now; the full sync that follows a failure writes every chain anyway.
      this.fixedWritten.clear();
      throw e;
    });
    for (const [key, rules] of ruleset.fixed) this.fixedWritten.set(key, rules);
    // The restore is one transaction: the kernel now has exactly the chains it declared and did not delete.
    for (const c of ruleset.deleted) this.serviceChainsInKernel.delete(c);
    for (const c of ruleset.declared) this.serviceChainsInKernel.add(c);
    this.opts.metrics?.iptablesRulesTotal.set({ table: 'filter' }, ruleset.filterRules);
    this.opts.metrics?.iptablesRulesTotal.set({ table: 'nat' }, ruleset.natRules);
  }

  private totalEndpoints(): number {
    let n = 0;
    for (const name of this.svcPortMap.keys()) n += this.endpointsMap.get(name)?.length ?? 0;
    return n;
  }

  /** kube-proxy's appendServiceCommentLocked: the comment, unless in large-cluster mode. */
  private endpointComment(comment: string): string[] {
    return this.largeClusterMode ? [] : ['-m', 'comment', '--comment', comment];
  }

  /** What a full sync ensures before the restore: our chains exist and are jumped to; route_localnet is set. */
  private async ensureBaseline(): Promise<void> {
    const jumps = this.localhostNodePorts ? [...jumpRules, ...firewallJumpRules] : jumpRules;
    for (const j of jumps) {
      await this.iptables.ensureChain(j.table, j.to);
      await this.iptables.ensureRule(j.table, j.from, jumpArgs(j));
    }
    if (this.localhostNodePorts) {
      const r = await this.exec('sysctl', ['-w', 'net.ipv4.conf.all.route_localnet=1']);
      if (r.exitCode !== 0) throw new Error(`setting net.ipv4.conf.all.route_localnet=1: ${r.stderr.trim()}`);
    }
  }

  /**
   * The kube-proxy-owned ruleset as one iptables-restore document: the fixed chains whole (on a partial sync only
   * those whose rules changed), each service port's own chains when it changed (all on a full sync), and the deletion
   * of chains no service port uses any more.
   */
  private buildRuleset(ctx: SyncContext): { data: string; filterRules: number; natRules: number; declared: string[]; deleted: string[]; fixed: [string, string[]][] } {
    const mark = `${this.masqueradeMark}/${this.masqueradeMark}`;
    const filterChains = new LineBuffer();
    const filterRules = new LineBuffer();
    const natChains = new LineBuffer();
    const natRules = new LineBuffer();

    for (const c of [kubeServicesChain, kubeExternalServicesChain, kubeForwardChain, kubeNodePortsChain]) filterChains.write(chainLine(c));
    for (const c of natFixedChains) natChains.write(chainLine(c));

    natRules.write('-A', kubePostroutingChain, '-m', 'mark', '!', '--mark', mark, '-j', 'RETURN');
    // Clear the mark so a packet that re-traverses the stack is not masqueraded twice.
    natRules.write('-A', kubePostroutingChain, '-j', 'MARK', '--xor-mark', this.masqueradeMark);
    natRules.write('-A', kubePostroutingChain, '-m', 'comment', '--comment', quote('kubernetes service traffic requiring SNAT'), '-j', 'MASQUERADE', '--random-fully');
    natRules.write('-A', kubeMarkMasqChain, '-j', 'MARK', '--or-mark', this.masqueradeMark);

    if (this.localhostNodePorts) {
      // route_localnet lets 127.0.0.1:NodePort be DNATed out; this guard keeps martian localnet traffic out.
      filterChains.write(chainLine(kubeFirewallChain));
      filterRules.write(
        '-A', kubeFirewallChain, '-m', 'comment', '--comment', quote('block incoming localnet connections'),
        '-d', '127.0.0.0/8', '!', '-s', '127.0.0.0/8', '-m', 'conntrack', '!', '--ctstate', 'RELATED,ESTABLISHED,DNAT', '-j', 'DROP',
      );
    }

    // Rules in the service ports' own chains left as they are in the kernel (counted for the metric).
    let skippedNatRules = 0;
    // Chains this restore declares (and so writes) and chains it deletes.
    const declared: string[] = [];
    let stale: string[] = [];
    const chainsByPort = ctx.full ? new Map<string, string[]>() : this.chainsByPort;
    for (const svc of this.sortedServicePorts()) {
      let written = this.written.replayable(ctx, svc);
      let chainRules: string[] | undefined;
      if (!written) {
        const rules = this.serviceRules(svc);
        chainRules = rules.chainRules;
        written = this.written.record(svc, { filterRules: rules.filterRules, natRules: rules.natRules, chains: rules.chains, chainRuleCount: chainRules.length });
      }
      for (const l of written.filterRules) filterRules.lines.push(l);
      for (const l of written.natRules) natRules.lines.push(l);
      if (chainRules) {
        for (const c of written.chains) {
          natChains.lines.push(chainLine(c));
          declared.push(c);
        }
        for (const l of chainRules) natRules.lines.push(l);
        if (!ctx.full) {
          const now = new Set(written.chains);
          for (const c of chainsByPort.get(svc.name) ?? []) if (!now.has(c)) stale.push(c);
        }
        chainsByPort.set(svc.name, written.chains);
      } else {
        skippedNatRules += written.chainRuleCount;
      }
    }

    if (ctx.full) {
      // Everything in the kernel that this restore does not write again.
      const active = new Set(declared);
      stale = [...this.serviceChainsInKernel].filter((c) => !active.has(c));
    } else if (ctx.services.updatedServices.size > 0) {
      // Service ports that went away with their Service (or a port of it): all their chains go.
      for (const [name, chains] of chainsByPort) {
        if (this.svcPortMap.has(name)) continue;
        stale.push(...chains);
        chainsByPort.delete(name);
      }
    }
    this.chainsByPort = chainsByPort;

    // Per-service chains that no longer exist: a chain line flushes each, then -X deletes it.
    stale.sort();
    for (const chain of stale) {
      natChains.write(chainLine(chain));
      natRules.write('-X', chain);
    }

    // NodePorts answer on every local address; this must stay the last rule of KUBE-SERVICES.
    natRules.write(
      '-A', kubeServicesChain, '-m', 'comment', '--comment', quote('kubernetes service nodeports; NOTE: this must be the last rule in this chain'),
      '-m', 'addrtype', '--dst-type', 'LOCAL', ...(this.localhostNodePorts ? [] : ['!', '-d', '127.0.0.0/8']), '-j', kubeNodePortsChain,
    );

    filterRules.write('-A', kubeForwardChain, '-m', 'conntrack', '--ctstate', 'INVALID', '-j', 'DROP');
    // Marked (service) traffic is forwarded even when the FORWARD policy is DROP, and so are its replies.
    filterRules.write('-A', kubeForwardChain, '-m', 'comment', '--comment', quote('kubernetes forwarding rules'), '-m', 'mark', '--mark', mark, '-j', 'ACCEPT');
    filterRules.write('-A', kubeForwardChain, '-m', 'comment', '--comment', quote('kubernetes forwarding conntrack rule'), '-m', 'conntrack', '--ctstate', 'RELATED,ESTABLISHED', '-j', 'ACCEPT');

    const filterCount = filterRules.lines.length;
    const natCount = natRules.lines.length + skippedNatRules - stale.length;
    const filter = this.leaveOutUnchanged(ctx, 'filter', filterFixedChains(this.localhostNodePorts), filterChains.lines, filterRules.lines);
    const nat = this.leaveOutUnchanged(ctx, 'nat', natFixedChains, natChains.lines, natRules.lines);
    const listNat = nat.chains.length > listTableAboveChains ? ['-S'] : [];
    // A table with nothing to write is left out; the nat table is always there, so a restore is never empty.
    const filterPart = filter.chains.length || filter.rules.length ? ['*filter', ...filter.chains, ...filter.rules, 'COMMIT'] : [];
    const data = [...filterPart, '*nat', ...listNat, ...nat.chains, ...nat.rules, 'COMMIT', ''].join('\n');
    return { data, filterRules: filterCount, natRules: natCount, declared, deleted: stale, fixed: [...filter.fixed, ...nat.fixed] };
  }

  /**
   * A partial restore leaves out each fixed chain whose rules are line for line those the last successful restore
   * wrote to it: KUBE-SERVICES holds one jump per Service, and iptables-nft fetches every chain a restored rule jumps
   * to, so writing it unchanged made a one-Service change cost as much as the whole table. A full sync writes them all
   * (so a rule deleted by hand in one is put back by the next full sync). Returns the lines to restore and each fixed
   * chain's rules, to be recorded once the restore succeeded.
   */
  private leaveOutUnchanged(ctx: SyncContext, table: Table, fixedChains: readonly string[], chainLines: string[], ruleLines: string[]) {
    const byChain = new Map<string, string[]>(fixedChains.map((c) => [c, []]));
    for (const l of ruleLines) {
      if (!l.startsWith('-A ')) continue;
      byChain.get(l.slice(3, l.indexOf(' ', 3)))?.push(l);
    }
    const fixed: [string, string[]][] = [...byChain].map(([c, rules]) => [`${table} ${c}`, rules]);
    if (ctx.full) return { chains: chainLines, rules: ruleLines, fixed };
    const unchanged = new Set<string>();
    for (const [c, rules] of byChain) if (sameLines(this.fixedWritten.get(`${table} ${c}`), rules)) unchanged.add(c);
    if (unchanged.size === 0) return { chains: chainLines, rules: ruleLines, fixed };
    return {
      chains: chainLines.filter((l) => !unchanged.has(l.slice(1, l.indexOf(' ')))),
      rules: ruleLines.filter((l) => !l.startsWith('-A ') || !unchanged.has(l.slice(3, l.indexOf(' ', 3)))),
      fixed,
    };
  }

  /** One service port's rules (pure: the port and its endpoints in, lines out). */
  private serviceRules(svc: ServicePortInfo): ServiceRules {
    const filterRules = new LineBuffer();
    const natRules = new LineBuffer();
    const chains: string[] = [];
    const chainRules = new LineBuffer();
    const protocol = svc.protocol.toLowerCase();
    const name = svc.name;
    const proto = ['-m', protocol, '-p', protocol];
    const { clusterEndpoints, localEndpoints, allReachable, hasAnyEndpoints, usesClusterPolicyChain, usesLocalPolicyChain, hasInternalEndpoints, hasExternalEndpoints, usesExternalTrafficChain } =
      serviceTrafficPlan(this.endpointsMap.get(name) ?? [], svc);

    const clusterPolicyChain = servicePortPolicyClusterChain(name, protocol);
    const localPolicyChain = servicePortPolicyLocalChain(name, protocol);
    const externalTrafficChain = serviceExternalChain(name, protocol);
    const internalTrafficChain = svc.internalPolicyLocal ? localPolicyChain : clusterPolicyChain;
    const externalPolicyChain = svc.externalPolicyLocal ? localPolicyChain : clusterPolicyChain;

    // No endpoints at all: REJECT (the client sees "connection refused"); no local ones under a Local policy: DROP.
    const filterComment = quote(hasAnyEndpoints ? `${name} has no local endpoints` : `${name} has no endpoints`);
    const filterJump = hasAnyEndpoints ? ['-j', 'DROP'] : ['-j', 'REJECT', '--reject-with', 'icmp-port-unreachable'];
    const filterRule = (chain: string, matches: string[]) => filterRules.write('-A', chain, '-m', 'comment', '--comment', filterComment, ...matches, ...filterJump);

    // Cluster IP.
    const clusterIPMatch = [...proto, '-d', svc.clusterIP, '--dport', String(svc.port)];
    if (hasInternalEndpoints) {
      natRules.write('-A', kubeServicesChain, '-m', 'comment', '--comment', quote(`${name} cluster IP`), ...clusterIPMatch, '-j', internalTrafficChain);
    } else {
      filterRule(kubeServicesChain, clusterIPMatch);
    }

    // External IPs and load-balancer IPs go through the external chain.
    for (const [ips, what] of [[svc.externalIPs, 'external IP'], [svc.loadBalancerIPs, 'loadbalancer IP']] as const) {
      for (const ip of ips) {
        const match = [...proto, '-d', ip, '--dport', String(svc.port)];
        if (hasAnyEndpoints) natRules.write('-A', kubeServicesChain, '-m', 'comment', '--comment', quote(`${name} ${what}`), ...match, '-j', externalTrafficChain);
        if (!hasExternalEndpoints) filterRule(kubeExternalServicesChain, match);
      }
    }

    // NodePort.
    if (svc.nodePort !== 0) {
      if (hasAnyEndpoints) natRules.write('-A', kubeNodePortsChain, '-m', 'comment', '--comment', name, ...proto, '--dport', String(svc.nodePort), '-j', externalTrafficChain);
      if (!hasExternalEndpoints) filterRule(kubeExternalServicesChain, ['-m', 'addrtype', '--dst-type', 'LOCAL', ...proto, '--dport', String(svc.nodePort)]);
    }

    // Internal traffic: masquerade what comes from outside the cluster (it may be routed here from off-node).
    if (hasInternalEndpoints) {
      const args = ['-m', 'comment', '--comment', quote(`${name} cluster IP`), ...clusterIPMatch];
      if (this.opts.masqueradeAll) chainRules.write('-A', internalTrafficChain, ...args, '-j', kubeMarkMasqChain);
      else if (this.opts.clusterCIDR) chainRules.write('-A', internalTrafficChain, ...args, '!', '-s', this.opts.clusterCIDR, '-j', kubeMarkMasqChain);
    }

    if (usesExternalTrafficChain) {
      chains.push(externalTrafficChain);
      if (!svc.externalPolicyLocal) {
        // Cluster policy may send the packet to another node: masquerade so the reply comes back through us.
        chainRules.write('-A', externalTrafficChain, '-m', 'comment', '--comment', quote(`masquerade traffic for ${name} external destinations`), '-j', kubeMarkMasqChain);
      } else {
        // Local policy keeps the client's source address; pods and the node itself are short-circuited to the
        // cluster chain, as if they had gone out to a load balancer and come back.
        if (this.opts.clusterCIDR) {
          chainRules.write('-A', externalTrafficChain, '-m', 'comment', '--comment', quote(`pod traffic for ${name} external destinations`), '-s', this.opts.clusterCIDR, '-j', clusterPolicyChain);
        }
        chainRules.write('-A', externalTrafficChain, '-m', 'comment', '--comment', quote(`masquerade LOCAL traffic for ${name} external destinations`), '-m', 'addrtype', '--src-type', 'LOCAL', '-j', kubeMarkMasqChain);
        chainRules.write('-A', externalTrafficChain, '-m', 'comment', '--comment', quote(`route LOCAL traffic for ${name} external destinations`), '-m', 'addrtype', '--src-type', 'LOCAL', '-j', clusterPolicyChain);
      }
      if (hasExternalEndpoints) chainRules.write('-A', externalTrafficChain, '-j', externalPolicyChain);
    }

    if (usesClusterPolicyChain) {
      chains.push(clusterPolicyChain);
      this.writeServiceToEndpointRules(chainRules, svc, clusterPolicyChain, clusterEndpoints, protocol);
    }
    if (usesLocalPolicyChain) {
      chains.push(localPolicyChain);
      this.writeServiceToEndpointRules(chainRules, svc, localPolicyChain, localEndpoints, protocol);
    }

    for (const ep of allReachable) {
      const chain = this.endpointChain(name, protocol, ep);
      chains.push(chain);
      // Hairpin: a pod reaching itself through the service must be masqueraded, or it would answer itself directly.
      const comment = this.endpointComment(name);
      chainRules.write('-A', chain, ...comment, '-s', `${ep.ip}/32`, '-j', kubeMarkMasqChain);
      // ClientIP affinity: remember the client's address under this endpoint's chain name.
      const affinity = svc.stickyMaxAgeSeconds ? ['-m', 'recent', '--name', chain, '--set'] : [];
      chainRules.write('-A', chain, ...comment, ...affinity, ...proto, '-j', 'DNAT', '--to-destination', ep.endpoint);
    }
    return { filterRules: filterRules.lines, natRules: natRules.lines, chains, chainRules: chainRules.lines };
  }

  /**
   * A client seen within the affinity timeout goes back to its endpoint; the rest are balanced at random: rule i of
   * n matches with probability 1/(n-i), so every endpoint gets 1/n overall.
   */
  private writeServiceToEndpointRules(rules: LineBuffer, svc: ServicePortInfo, chain: string, endpoints: EndpointInfo[], protocol: string): void {
    if (svc.stickyMaxAgeSeconds) {
      for (const ep of endpoints) {
        const sep = this.endpointChain(svc.name, protocol, ep);
        rules.write('-A', chain, ...this.endpointComment(svc.name), '-m', 'recent', '--name', sep, '--rcheck', '--seconds', String(svc.stickyMaxAgeSeconds), '--reap', '-j', sep);
      }
    }
    endpoints.forEach((ep, i) => {
      const statistic = i < endpoints.length - 1 ? ['-m', 'statistic', '--mode', 'random', '--probability', probability(endpoints.length - i)] : [];
      rules.write('-A', chain, ...this.endpointComment(quote(`${svc.name} -> ${ep.endpoint}`)), ...statistic, '-j', this.endpointChain(svc.name, protocol, ep));
    });
  }
}
