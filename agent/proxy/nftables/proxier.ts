// kube-proxy in nftables mode (pkg/proxy/nftables/proxier.go). The shared plumbing (base.ts) records changes and runs
// one serialized sync; this mode's part writes one `nft -f` transaction for the `ip kube-proxy` table. A full sync
// (start-up, after a failure, hourly) rewrites the fixed chains and every map from scratch; a partial sync rewrites only
// the chains of Services whose ports or endpoints changed and writes only the map elements that differ from what the
// last sync wrote (kept in memory: the kernel is listed on full syncs only). Chains that fell out of use are flushed
// at once and deleted by a later sync, a second or more afterwards: kernels before 6.2 only notice a moment later
// that a deleted map element no longer references its chain.
import { logger } from '../../../api/log.js';
import { BaseProxier, serviceChanged, type ProxierOptions, type SyncContext } from '../base.js';
import { serviceTrafficPlan, type EndpointInfo } from '../endpointschange.js';
import type { ServicePortInfo } from '../servicechange.js';
import {
  affinitySetPrefix,
  baseChains,
  clusterIPsCheckChain,
  clusterIPsSet,
  clusterPolicyChainPrefix,
  endpointChainPrefix,
  externalChainPrefix,
  family,
  isAffinitySetName,
  isServiceChainName,
  jumpChains,
  kubeProxyTable,
  localPolicyChainPrefix,
  markMasqChain,
  masqueradingChain,
  noEndpointNodePortsMap,
  noEndpointServicesMap,
  nodePortEndpointsCheckChain,
  nodePortIPsSet,
  rejectChain,
  serviceEndpointsCheckChain,
  serviceIPsMap,
  serviceNodePortsMap,
  servicePortChainNameBase,
  servicePortEndpointChainNameBase,
  servicesChain,
  type PortName,
} from './chains.js';
import { joinKey, Nft, type Container, type Transaction } from './nft.js';

const log = logger('proxy-nftables');

export interface NftablesProxierOptions extends ProxierOptions {
  /**
   * The node addresses NodePorts answer on. kube-proxy's nftables mode defaults to the node's primary IP; empty
   * means every local address (never 127.0.0.0/8: nftables mode has no localhost NodePorts).
   */
  nodePortAddresses?: string[];
  /** Service ClusterIP ranges: traffic to an unallocated ClusterIP in them is dropped. */
  serviceCIDRs?: string[];
  /** How long a chain stays flushed before it is deleted. Default 1 s. */
  staleChainDelayMs?: number;
}

/**
 * The elements of one set or map as the last sync wrote them, so a sync adds only the new or changed ones and
 * deletes only those no service wanted this time (kube-proxy's nftElementStorage).
 */
class ElementStore {
  /** key → value ("" for set elements). */
  private readonly elements = new Map<string, string>();
  /** Keys not yet wanted by the sync in progress (full syncs). */
  private leftover = new Set<string>();
  /** key → how many service ports' last writes want it (a ClusterIP is wanted by every port of its Service). */
  private readonly refs = new Map<string, number>();
  /** Keys a partial sync released: deleted at its end unless wanted again. */
  private released: string[] = [];

  constructor(readonly container: Container) {}

  /** Full sync: flush the container and forget what was in it. */
  reset(tx: Transaction): void {
    this.elements.clear();
    this.leftover.clear();
    this.refs.clear();
    this.released = [];
    tx.flushContainer(this.container);
  }

  /** A service port's last write that wanted the key is replaced or gone. */
  release(key: string): void {
    const n = (this.refs.get(key) ?? 1) - 1;
    if (n > 0) this.refs.set(key, n);
    else {
      this.refs.delete(key);
      this.released.push(key);
    }
  }

  /** Partial sync: deletes the released elements nothing wants any more. */
  deleteReleased(tx: Transaction): void {
    for (const key of this.released) {
      if (this.refs.has(key) || !this.elements.has(key)) continue;
      tx.deleteElement(this.container, key);
      this.elements.delete(key);
    }
    this.released = [];
  }

  ensure(tx: Transaction, key: string, value = '', comment?: string): void {
    this.refs.set(key, (this.refs.get(key) ?? 0) + 1);
    const existing = this.elements.get(key);
    if (existing === undefined) {
      tx.addElement(this.container, key, value, comment);
      this.elements.set(key, value);
      return;
    }
    if (existing !== value) {
      tx.deleteElement(this.container, key);
      tx.addElement(this.container, key, value, comment);
      this.elements.set(key, value);
    }
    this.leftover.delete(key);
  }

  /** Deletes what this sync did not ensure; what remains is the next sync's leftover candidates. */
  cleanup(tx: Transaction): void {
    for (const key of this.leftover) {
      tx.deleteElement(this.container, key);
      this.elements.delete(key);
    }
    this.leftover = new Set(this.elements.keys());
  }
}

/** A service port's names, computed once per ServicePortInfo (a new one comes with every change to the Service). */
interface ServiceNames {
  portName: PortName;
  clusterPolicyChain: string;
  localPolicyChain: string;
  externalTrafficChain: string;
}

/** An endpoint's names, computed once per EndpointInfo (a new one comes with every change to the endpoints). */
interface EndpointNames {
  chain: string;
  affinitySet: string;
}

/** What the last write of a service port put in the table: what a later partial sync replaces or removes. */
interface Written {
  chains: string[];
  affinitySets: string[];
  elements: [ElementStore, string][];
}

const verdictMap = 'ipv4_addr . inet_proto . inet_service : verdict';
const portVerdictMap = 'inet_proto . inet_service : verdict';

export class NftablesProxier extends BaseProxier {
  private readonly nft: Nft;
  private readonly clusterIPs = new ElementStore({ kind: 'set', name: clusterIPsSet });
  private readonly serviceIPs = new ElementStore({ kind: 'map', name: serviceIPsMap });
  private readonly serviceNodePorts = new ElementStore({ kind: 'map', name: serviceNodePortsMap });
  private readonly noEndpointServices = new ElementStore({ kind: 'map', name: noEndpointServicesMap });
  private readonly noEndpointNodePorts = new ElementStore({ kind: 'map', name: noEndpointNodePortsMap });
  private readonly stores = [this.clusterIPs, this.serviceIPs, this.serviceNodePorts, this.noEndpointServices, this.noEndpointNodePorts];
  /** Per-service and per-endpoint chains in the kernel: in use, or flushed and waiting to be deleted. */
  private knownChains = new Set<string>();
  /** Chain → when it fell out of use (flushed then; deleted once staleChainDelayMs has passed). */
  private readonly staleChains = new Map<string, number>();
  private knownAffinitySets = new Set<string>();
  /** The base chains are deleted and recreated once per process, so changed hooks or priorities take effect. */
  private baseChainsRecreated = false;
  private readonly matchAllNodePorts: boolean;
  // Hashing every name on every sync would make a one-service change cost as much as the whole table.
  private readonly serviceNames = new WeakMap<ServicePortInfo, ServiceNames>();
  private readonly endpointNames = new WeakMap<EndpointInfo, EndpointNames>();
  /** Each service port's last write, by ServicePortName: what a partial sync replaces or removes. */
  private writtenByName = new Map<string, Written>();

  constructor(protected override readonly opts: NftablesProxierOptions) {
    super('nftables', opts, log);
    this.nft = new Nft(opts.exec, family, kubeProxyTable);
    this.matchAllNodePorts = !opts.nodePortAddresses?.length;
  }

  protected async writeRules(ctx: SyncContext): Promise<void> {
    const { full, start, services, endpoints } = ctx;
    await this.deleteStaleChains(start);
    // Nothing changed since the last successful sync: the table is as it should be.
    if (!full && services.updatedServices.size === 0 && endpoints.updatedServices.size === 0) return this.comeBackForStaleChains();

    const tx = this.nft.transaction();
    if (full) {
      const [chains, sets] = await Promise.all([this.nft.listChains(), this.nft.listSets()]);
      this.knownChains = new Set(chains.filter(isServiceChainName));
      for (const c of this.staleChains.keys()) if (!this.knownChains.has(c)) this.staleChains.delete(c);
      this.knownAffinitySets = new Set(sets.filter(isAffinitySetName));
      this.setup(tx);
    }

    const activeChains = new Set<string>();
    const activeAffinitySets = new Set<string>();
    if (full) {
      this.writtenByName = new Map();
      for (const svc of this.sortedServicePorts()) this.writeService(tx, svc, activeChains, activeAffinitySets);

      // Chains no service uses any more: flush now (dropping their references), delete later.
      for (const chain of this.knownChains) {
        if (activeChains.has(chain)) {
          this.staleChains.delete(chain);
        } else {
          tx.flushChain(chain);
          if (!this.staleChains.has(chain)) this.staleChains.set(chain, start);
        }
      }
      // An affinity set is only referenced from its service's chains, rewritten above: it can go at once.
      for (const set of this.knownAffinitySets) if (!activeAffinitySets.has(set)) tx.deleteContainer({ kind: 'set', name: set });
      for (const s of this.stores) s.cleanup(tx);
    } else {
      this.writeChangedServices(tx, ctx, activeChains, activeAffinitySets);
    }
    if (tx.size > 0) {
      try {
        await this.nft.run(tx);
      } catch (e) {
        this.opts.metrics?.nftablesSyncFailuresTotal.inc();
        // The flushes above did not happen; the full sync that follows a failure lists the kernel again.
        this.staleChains.clear();
        throw e;
      }
    }
    if (full) {
      this.knownChains = new Set([...activeChains, ...this.staleChains.keys()]);
      this.knownAffinitySets = activeAffinitySets;
    } else {
      for (const c of activeChains) this.knownChains.add(c);
      for (const a of activeAffinitySets) this.knownAffinitySets.add(a);
    }
    this.comeBackForStaleChains();
  }

  /**
   * A partial sync: only the service ports of changed Services are written; what their last writes had and the new
   * ones lack (chains, affinity sets, map elements) goes, as does everything of ports that no longer exist. The
   * other ports are not looked at beyond their place in the order, so the cost follows the change, not the table.
   */
  private writeChangedServices(tx: Transaction, ctx: SyncContext, activeChains: Set<string>, activeAffinitySets: Set<string>): void {
    const replaced: Written[] = [];
    for (const svc of this.sortedServicePorts()) {
      const last = this.writtenByName.get(svc.name);
      if (last && !serviceChanged(ctx, svc)) continue;
      if (last) replaced.push(last);
      this.writeService(tx, svc, activeChains, activeAffinitySets);
    }
    if (ctx.services.updatedServices.size > 0) {
      for (const [name, last] of this.writtenByName) {
        if (this.svcPortMap.has(name)) continue;
        replaced.push(last);
        this.writtenByName.delete(name);
      }
    }
    for (const c of activeChains) this.staleChains.delete(c);
    // Chains that fell out of use: flush now (dropping their references), delete later.
    for (const last of replaced) {
      for (const chain of last.chains) {
        if (activeChains.has(chain) || this.staleChains.has(chain)) continue;
        tx.flushChain(chain);
        this.staleChains.set(chain, ctx.start);
      }
    }
    for (const last of replaced) {
      for (const set of last.affinitySets) {
        if (activeAffinitySets.has(set) || !this.knownAffinitySets.delete(set)) continue;
        tx.deleteContainer({ kind: 'set', name: set });
      }
    }
    for (const last of replaced) for (const [store, key] of last.elements) store.release(key);
    for (const s of this.stores) s.deleteReleased(tx);
  }

  /** Asks for a sync to delete the stale chains even if nothing else changes. */
  private comeBackForStaleChains(): void {
    if (this.staleChains.size > 0) this.runner.retryAfter(this.staleChainDelayMs());
  }

  private staleChainDelayMs(): number {
    return this.opts.staleChainDelayMs ?? 1000;
  }

  /** A separate transaction, so a chain the kernel still considers referenced can't fail the sync. */
  private async deleteStaleChains(now: number): Promise<void> {
    const due = [...this.staleChains].filter(([, since]) => now - since >= this.staleChainDelayMs()).map(([c]) => c);
    if (due.length === 0) return;
    const tx = this.nft.transaction();
    for (const c of due) tx.deleteChain(c);
    try {
      await this.nft.run(tx);
    } catch (e) {
      this.opts.metrics?.nftablesCleanupFailuresTotal.inc();
      log.error({ err: (e as Error).message, chains: due.length }, 'unable to delete stale nftables chains; will retry');
      return;
    }
    log.debug({ chains: due.length }, 'deleted stale nftables chains');
    for (const c of due) {
      this.staleChains.delete(c);
      this.knownChains.delete(c);
    }
  }

  /** The table's fixed part, written on full syncs: base chains, jumps, masquerading, the dispatch maps. */
  private setup(tx: Transaction): void {
    tx.addTable('rules for kube-proxy');
    if (!this.baseChainsRecreated) {
      // "add" first, so the delete can't fail on a missing chain.
      for (const bc of baseChains) {
        tx.addChain(bc.name);
        tx.deleteChain(bc.name);
      }
      this.baseChainsRecreated = true;
    }
    for (const bc of baseChains) {
      tx.addChain(bc.name, { type: bc.type, hook: bc.hook, priority: bc.priority });
      tx.flushChain(bc.name);
    }
    const created = new Set<string>();
    const ensureChain = (chain: string) => {
      if (created.has(chain)) return;
      created.add(chain);
      tx.addChain(chain);
      tx.flushChain(chain);
    };
    for (const j of jumpChains) {
      ensureChain(j.to);
      tx.addRule(j.from, j.match ? `${j.match} jump ${j.to}` : `jump ${j.to}`);
    }
    for (const c of [servicesChain, clusterIPsCheckChain, masqueradingChain, markMasqChain]) ensureChain(c);

    const mark = this.masqueradeMark;
    tx.addRule(markMasqChain, `mark set mark or ${mark}`);
    tx.addRule(masqueradingChain, `mark and ${mark} == 0 return`);
    // Clear the mark so a packet that re-traverses the stack is not masqueraded twice.
    tx.addRule(masqueradingChain, `mark set mark xor ${mark}`);
    tx.addRule(masqueradingChain, 'masquerade fully-random');

    tx.addContainer(this.clusterIPs.container, { type: 'ipv4_addr', comment: 'Active ClusterIPs' });
    tx.addRule(clusterIPsCheckChain, `ip daddr @${clusterIPsSet} reject`, 'Reject traffic to invalid ports of ClusterIPs');
    if (this.opts.serviceCIDRs?.length) {
      tx.addRule(clusterIPsCheckChain, `ip daddr { ${this.opts.serviceCIDRs.join(',')} } drop`, 'Drop traffic to unallocated ClusterIPs');
    }

    // add+delete rather than a bare delete, which would fail if the set didn't exist.
    const nodePortIPs: Container = { kind: 'set', name: nodePortIPsSet };
    tx.addContainer(nodePortIPs, { type: 'ipv4_addr', comment: 'IPs that accept NodePort traffic' });
    if (this.matchAllNodePorts) {
      tx.deleteContainer(nodePortIPs);
    } else {
      tx.flushContainer(nodePortIPs);
      for (const ip of this.opts.nodePortAddresses ?? []) {
        if (ip.startsWith('127.')) {
          log.error({ address: ip }, 'nodePortAddresses includes localhost but localhost NodePorts are not supported');
          continue;
        }
        tx.addElement(nodePortIPs, ip);
      }
    }
    const nodePortMatch = this.matchAllNodePorts ? 'ip daddr != 127.0.0.0/8' : `ip daddr @${nodePortIPsSet}`;

    tx.addContainer(this.noEndpointServices.container, { type: verdictMap, comment: 'vmap to drop or reject packets to services with no endpoints' });
    tx.addContainer(this.noEndpointNodePorts.container, { type: portVerdictMap, comment: 'vmap to drop or reject packets to service nodeports with no endpoints' });
    tx.addChain(rejectChain, { comment: 'helper for @no-endpoint-services / @no-endpoint-nodeports' });
    tx.flushChain(rejectChain);
    tx.addRule(rejectChain, 'reject');
    tx.addRule(serviceEndpointsCheckChain, `ip daddr . meta l4proto . th dport vmap @${noEndpointServicesMap}`);
    tx.addRule(nodePortEndpointsCheckChain, `${nodePortMatch} meta l4proto . th dport vmap @${noEndpointNodePortsMap}`);

    tx.addContainer(this.serviceIPs.container, { type: verdictMap, comment: 'ClusterIP, ExternalIP and LoadBalancer IP traffic' });
    tx.addContainer(this.serviceNodePorts.container, { type: portVerdictMap, comment: 'NodePort traffic' });
    tx.addRule(servicesChain, `ip daddr . meta l4proto . th dport vmap @${serviceIPsMap}`);
    tx.addRule(servicesChain, `${this.matchAllNodePorts ? 'fib daddr type local ' : ''}${nodePortMatch} meta l4proto . th dport vmap @${serviceNodePortsMap}`);

    for (const s of this.stores) s.reset(tx);
  }

  /**
   * One service port: writes its chains and compares its map elements with what is there, recording both.
   */
  private writeService(tx: Transaction, svc: ServicePortInfo, activeChains: Set<string>, activeAffinitySets: Set<string>): void {
    const record: Written = { chains: [], affinitySets: [], elements: [] };
    this.writtenByName.set(svc.name, record);
    const { portName, clusterPolicyChain, localPolicyChain, externalTrafficChain } = this.namesOf(svc);
    const protocol = portName.protocol;
    const endpointChain = (ep: EndpointInfo) => this.endpointNamesOf(portName, ep).chain;
    const affinitySet = (ep: EndpointInfo) => this.endpointNamesOf(portName, ep).affinitySet;
    const ensureChain = (chain: string) => {
      record.chains.push(chain);
      if (activeChains.has(chain)) return;
      activeChains.add(chain);
      tx.addChain(chain);
      tx.flushChain(chain);
    };
    const ensure = (store: ElementStore, key: string, value?: string, comment?: string) => {
      store.ensure(tx, key, value, comment);
      record.elements.push([store, key]);
    };

    const { clusterEndpoints, localEndpoints, allReachable, hasAnyEndpoints, usesClusterPolicyChain, usesLocalPolicyChain, hasInternalEndpoints, hasExternalEndpoints, usesExternalTrafficChain } =
      serviceTrafficPlan(this.endpointsMap.get(svc.name) ?? [], svc);
    for (const ep of allReachable) {
      ensureChain(endpointChain(ep));
      if (!svc.stickyMaxAgeSeconds) continue;
      activeAffinitySets.add(affinitySet(ep));
      record.affinitySets.push(affinitySet(ep));
    }
    if (usesClusterPolicyChain) ensureChain(clusterPolicyChain);
    if (usesLocalPolicyChain) ensureChain(localPolicyChain);

    const internalTrafficChain = svc.internalPolicyLocal ? localPolicyChain : clusterPolicyChain;
    const externalPolicyChain = svc.externalPolicyLocal ? localPolicyChain : clusterPolicyChain;
    if (usesExternalTrafficChain) ensureChain(externalTrafficChain);

    // No endpoints at all: REJECT (the client sees "connection refused"); no local ones under a Local policy: DROP.
    const internalVerdict = hasAnyEndpoints ? 'drop' : `goto ${rejectChain}`;
    const externalVerdict = internalVerdict;

    ensure(this.clusterIPs, svc.clusterIP);
    const clusterIPKey = joinKey(svc.clusterIP, protocol, svc.port);
    if (hasInternalEndpoints) ensure(this.serviceIPs, clusterIPKey, `goto ${internalTrafficChain}`);
    else ensure(this.noEndpointServices, clusterIPKey, internalVerdict, svc.name);

    for (const ip of [...svc.externalIPs, ...svc.loadBalancerIPs]) {
      const key = joinKey(ip, protocol, svc.port);
      if (hasAnyEndpoints) ensure(this.serviceIPs, key, `goto ${externalTrafficChain}`);
      if (!hasExternalEndpoints) ensure(this.noEndpointServices, key, externalVerdict, svc.name);
    }
    if (svc.nodePort !== 0) {
      const key = joinKey(protocol, svc.nodePort);
      if (hasAnyEndpoints) ensure(this.serviceNodePorts, key, `goto ${externalTrafficChain}`);
      if (!hasExternalEndpoints) ensure(this.noEndpointNodePorts, key, externalVerdict, svc.name);
    }

    // Internal traffic: masquerade what comes from outside the cluster (it may be routed here from off-node).
    if (hasInternalEndpoints) {
      if (this.opts.masqueradeAll) tx.addRule(internalTrafficChain, `ip daddr ${svc.clusterIP} jump ${markMasqChain}`);
      else if (this.opts.clusterCIDR) tx.addRule(internalTrafficChain, `ip daddr ${svc.clusterIP} ip saddr != ${this.opts.clusterCIDR} jump ${markMasqChain}`);
    }

    if (usesExternalTrafficChain) {
      if (!svc.externalPolicyLocal) {
        // Cluster policy may send the packet to another node: masquerade so the reply comes back through us.
        tx.addRule(externalTrafficChain, `jump ${markMasqChain}`);
      } else {
        // Local policy keeps the client's source address; pods and the node itself are short-circuited to the
        // cluster chain, as if they had gone out to a load balancer and come back.
        if (this.opts.clusterCIDR) tx.addRule(externalTrafficChain, `ip saddr ${this.opts.clusterCIDR} goto ${clusterPolicyChain}`, 'short-circuit pod traffic');
        tx.addRule(externalTrafficChain, `fib saddr type local jump ${markMasqChain}`, 'masquerade local traffic');
        tx.addRule(externalTrafficChain, `fib saddr type local goto ${clusterPolicyChain}`, 'short-circuit local traffic');
      }
      if (hasExternalEndpoints) tx.addRule(externalTrafficChain, `goto ${externalPolicyChain}`);
    }

    if (svc.stickyMaxAgeSeconds) {
      // A client's address is remembered per endpoint, for the affinity timeout.
      for (const ep of allReachable) {
        tx.addContainer({ kind: 'set', name: affinitySet(ep) }, { type: 'ipv4_addr', flags: ['dynamic', 'timeout'], timeoutSeconds: svc.stickyMaxAgeSeconds });
      }
    }
    if (usesClusterPolicyChain) this.writeServiceToEndpointRules(tx, svc, clusterPolicyChain, clusterEndpoints, endpointChain, affinitySet);
    if (usesLocalPolicyChain) this.writeServiceToEndpointRules(tx, svc, localPolicyChain, localEndpoints, endpointChain, affinitySet);

    for (const ep of allReachable) {
      const chain = endpointChain(ep);
      // Hairpin: a pod reaching itself through the service must be masqueraded, or it would answer itself directly.
      tx.addRule(chain, `ip saddr ${ep.ip} jump ${markMasqChain}`);
      if (svc.stickyMaxAgeSeconds) tx.addRule(chain, `update @${affinitySet(ep)} { ip saddr }`);
      tx.addRule(chain, `meta l4proto ${protocol} dnat to ${ep.endpoint}`);
    }
  }

  private namesOf(svc: ServicePortInfo): ServiceNames {
    let names = this.serviceNames.get(svc);
    if (!names) {
      const [namespace, name] = svc.serviceName.split('/') as [string, string];
      const portName: PortName = { namespace, name, port: svc.portName, protocol: svc.protocol.toLowerCase() };
      const base = servicePortChainNameBase(portName);
      names = { portName, clusterPolicyChain: clusterPolicyChainPrefix + base, localPolicyChain: localPolicyChainPrefix + base, externalTrafficChain: externalChainPrefix + base };
      this.serviceNames.set(svc, names);
    }
    return names;
  }

  private endpointNamesOf(portName: PortName, ep: EndpointInfo): EndpointNames {
    let names = this.endpointNames.get(ep);
    if (!names) {
      const base = servicePortEndpointChainNameBase(portName, ep.endpoint);
      names = { chain: endpointChainPrefix + base, affinitySet: affinitySetPrefix + base };
      this.endpointNames.set(ep, names);
    }
    return names;
  }

  /** A client in an endpoint's affinity set goes back to it; the rest pick an endpoint at random. */
  private writeServiceToEndpointRules(
    tx: Transaction,
    svc: ServicePortInfo,
    chain: string,
    endpoints: EndpointInfo[],
    endpointChain: (ep: EndpointInfo) => string,
    affinitySet: (ep: EndpointInfo) => string,
  ): void {
    if (svc.stickyMaxAgeSeconds) {
      for (const ep of endpoints) tx.addRule(chain, `ip saddr @${affinitySet(ep)} goto ${endpointChain(ep)}`);
    }
    const elements = endpoints.map((ep, i) => `${i} : goto ${endpointChain(ep)}`).join(' , ');
    tx.addRule(chain, `numgen random mod ${endpoints.length} vmap { ${elements} }`);
  }
}
