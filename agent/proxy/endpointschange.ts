// EndpointSlice change tracking shared by every backend, as kube-proxy's endpointschangetracker.go and
// endpointslicecache.go: slices are grouped by the Service they belong to (`kubernetes.io/service-name` label),
// a handler only records the Service as changed (remembering its endpoints as last applied), and the sync turns the
// slices of changed Services into the EndpointsMap: per service port name, the usable endpoints (ready, or
// serving-and-terminating for kube-proxy's fallback), matched to service ports by port name.
import type { EndpointSlice } from '../../api/types.js';
import { externallyAccessible, servicePortName, usesClusterEndpoints, usesLocalEndpoints, type ServicePortInfo } from './servicechange.js';

export const serviceNameLabel = 'kubernetes.io/service-name';
export const lastChangeTriggerTimeAnnotation = 'endpoints.kubernetes.io/last-change-trigger-time';

export interface EndpointInfo {
  ip: string;
  port: number;
  /** `ip:port`, as kube-proxy's Endpoint.String(); also part of the KUBE-SEP hash. */
  endpoint: string;
  ready: boolean;
  serving: boolean;
  terminating: boolean;
  /** The endpoint runs on this node. */
  isLocal: boolean;
}

/** Service port name (`ns/svc:port`) → usable endpoints, sorted by `ip:port`. */
export type EndpointsMap = Map<string, EndpointInfo[]>;

export interface StaleEndpoint {
  servicePortName: string;
  endpoint: EndpointInfo;
}

export interface EndpointsUpdateResult {
  /** `ns/svc` of every Service whose endpoints changed. */
  updatedServices: Set<string>;
  /** Endpoints that went away: UDP conntrack entries DNATed to them must be flushed. */
  staleEndpoints: StaleEndpoint[];
  /** Service ports that went from no ready endpoint to some: UDP conntrack entries for them must be flushed. */
  newlyActiveServicePorts: Set<string>;
  /** When each applied change was triggered (from the slice annotation), for the network programming metric. */
  lastChangeTriggerTimes: Date[];
}

export class EndpointsChangeTracker {
  /** `ns/svc` → slice name → slice: the current state of every slice. */
  private readonly slices = new Map<string, Map<string, EndpointSlice>>();
  /** `ns/svc` → its endpoints as of the last applyTo, for Services changed since. */
  private readonly pending = new Map<string, EndpointsMap>();
  private triggerTimes: Date[] = [];

  constructor(private readonly nodeName: string) {}

  /** Records a slice add/update (removed=false) or delete (removed=true). Returns whether any change is pending. */
  endpointSliceUpdate(slice: EndpointSlice, removed: boolean): boolean {
    const svc = slice.metadata.labels?.[serviceNameLabel];
    if (!svc || slice.addressType !== 'IPv4') return this.pending.size > 0;
    const key = `${slice.metadata.namespace ?? 'default'}/${svc}`;
    if (!this.pending.has(key)) this.pending.set(key, this.endpointsOf(key));
    let bySlice = this.slices.get(key);
    if (!bySlice) this.slices.set(key, (bySlice = new Map()));
    if (removed) bySlice.delete(slice.metadata.name ?? '');
    else bySlice.set(slice.metadata.name ?? '', slice);
    if (bySlice.size === 0) this.slices.delete(key);
    if (sameEndpoints(this.pending.get(key)!, this.endpointsOf(key))) this.pending.delete(key);
    else if (!removed) {
      const t = slice.metadata.annotations?.[lastChangeTriggerTimeAnnotation];
      const when = t ? new Date(t) : undefined;
      if (when && !Number.isNaN(when.getTime())) this.triggerTimes.push(when);
    }
    return this.pending.size > 0;
  }


  /** Applies and forgets every pending change. */
  applyTo(map: EndpointsMap): EndpointsUpdateResult {
    const result: EndpointsUpdateResult = {
      updatedServices: new Set(),
      staleEndpoints: [],
      newlyActiveServicePorts: new Set(),
      lastChangeTriggerTimes: this.triggerTimes,
    };
    this.triggerTimes = [];
    for (const [key, previous] of this.pending) {
      result.updatedServices.add(key);
      const current = this.endpointsOf(key);
      for (const name of previous.keys()) map.delete(name);
      for (const [name, eps] of current) map.set(name, eps);
      for (const [name, oldEps] of previous) {
        const now = new Set((current.get(name) ?? []).map((e) => e.endpoint));
        for (const e of oldEps) if (!now.has(e.endpoint)) result.staleEndpoints.push({ servicePortName: name, endpoint: e });
      }
      for (const [name, eps] of current) {
        const hadReady = (previous.get(name) ?? []).some((e) => e.ready);
        if (!hadReady && eps.some((e) => e.ready)) result.newlyActiveServicePorts.add(name);
      }
    }
    this.pending.clear();
    return result;
  }

  /** The endpoints of one Service, merged from all its slices. */
  private endpointsOf(serviceKey: string): EndpointsMap {
    const out: EndpointsMap = new Map();
    const bySlice = this.slices.get(serviceKey);
    if (!bySlice) return out;
    const [ns, svc] = serviceKey.split('/') as [string, string];
    const seen = new Map<string, Set<string>>();
    for (const name of [...bySlice.keys()].sort()) {
      const slice = bySlice.get(name)!;
      for (const p of slice.ports ?? []) {
        if (typeof p.port !== 'number') continue;
        const spn = servicePortName(ns, svc, p.name ?? '');
        let list = out.get(spn);
        if (!list) out.set(spn, (list = []));
        let dedup = seen.get(spn);
        if (!dedup) seen.set(spn, (dedup = new Set()));
        for (const e of slice.endpoints ?? []) {
          const ip = e.addresses?.[0];
          if (!ip) continue;
          const ready = e.conditions?.ready ?? true;
          const serving = e.conditions?.serving ?? ready;
          const terminating = e.conditions?.terminating ?? false;
          if (!ready && !(serving && terminating)) continue;
          const endpoint = `${ip}:${p.port}`;
          if (dedup.has(endpoint)) continue;
          dedup.add(endpoint);
          list.push({ ip, port: p.port, endpoint, ready, serving, terminating, isLocal: e.nodeName === this.nodeName });
        }
      }
    }
    for (const [name, list] of out) {
      if (list.length === 0) out.delete(name);
      else list.sort((a, b) => (a.endpoint < b.endpoint ? -1 : a.endpoint > b.endpoint ? 1 : 0));
    }
    return out;
  }
}

function sameEndpoints(a: EndpointsMap, b: EndpointsMap): boolean {
  if (a.size !== b.size) return false;
  for (const [k, v] of a) {
    const w = b.get(k);
    if (!w || JSON.stringify(v) !== JSON.stringify(w)) return false;
  }
  return true;
}

export interface CategorizedEndpoints {
  /** Endpoints for "Cluster"-policy traffic. */
  clusterEndpoints: EndpointInfo[];
  /** Endpoints for "Local"-policy traffic (this node's). */
  localEndpoints: EndpointInfo[];
  /** Every endpoint some traffic can reach from this node: each needs its own endpoint chain. */
  allReachable: EndpointInfo[];
  /** The service has a usable endpoint anywhere in the cluster. */
  hasAnyEndpoints: boolean;
}

/** kube-proxy's CategorizeEndpoints (without topology hints): ready endpoints, else serving-terminating ones. */
export function categorizeEndpoints(endpoints: EndpointInfo[], svc: ServicePortInfo): CategorizedEndpoints {
  const pick = (eps: EndpointInfo[]) => {
    const ready = eps.filter((e) => e.ready);
    return ready.length > 0 ? ready : eps.filter((e) => e.serving && e.terminating);
  };
  const usable = pick(endpoints);
  const hasAnyEndpoints = usable.length > 0;
  const clusterEndpoints = usesClusterEndpoints(svc) ? usable : [];
  if (!usesLocalEndpoints(svc)) return { clusterEndpoints, localEndpoints: [], allReachable: clusterEndpoints, hasAnyEndpoints };
  const localEndpoints = pick(endpoints.filter((e) => e.isLocal));
  const allReachable = usesClusterEndpoints(svc)
    ? [...clusterEndpoints, ...localEndpoints.filter((e) => !clusterEndpoints.includes(e))]
    : localEndpoints;
  return { clusterEndpoints, localEndpoints, allReachable, hasAnyEndpoints };
}

/** What one service port needs programmed in any mode: which policy chains, and where each kind of traffic goes. */
export interface ServiceTrafficPlan extends CategorizedEndpoints {
  /** Cluster-policy chain balancing over clusterEndpoints (KUBE-SVC-, service-). */
  usesClusterPolicyChain: boolean;
  /** Local-policy chain balancing over localEndpoints (KUBE-SVL-, local-). */
  usesLocalPolicyChain: boolean;
  /** ClusterIP traffic goes to a policy chain; otherwise it is rejected (no endpoints) or dropped (no local ones). */
  hasInternalEndpoints: boolean;
  /** NodePort/external traffic goes to a policy chain. */
  hasExternalEndpoints: boolean;
  /** The external chain exists — even without external endpoints: local traffic still short-circuits to the cluster chain. */
  usesExternalTrafficChain: boolean;
}

export function serviceTrafficPlan(endpoints: EndpointInfo[], svc: ServicePortInfo): ServiceTrafficPlan {
  const c = categorizeEndpoints(endpoints, svc);
  return {
    ...c,
    usesClusterPolicyChain: c.clusterEndpoints.length > 0 && usesClusterEndpoints(svc),
    usesLocalPolicyChain: c.localEndpoints.length > 0 && usesLocalEndpoints(svc),
    hasInternalEndpoints: c.hasAnyEndpoints && (!svc.internalPolicyLocal || c.localEndpoints.length > 0),
    hasExternalEndpoints: c.hasAnyEndpoints && (!svc.externalPolicyLocal || c.localEndpoints.length > 0),
    usesExternalTrafficChain: c.hasAnyEndpoints && externallyAccessible(svc),
  };
}
