// Service change tracking shared by every backend, as kube-proxy's servicechangetracker.go: handlers record
// {previous, current} per Service (previous being the state before the first unsynced change), and the sync applies
// the accumulated changes to the ServicePortMap in one step.
import type { Service } from '../../api/types.js';

export type Protocol = 'TCP' | 'UDP' | 'SCTP';

/** One proxied service port. `name` is kube-proxy's ServicePortName string: `ns/svc:port` (`ns/svc` if unnamed). */
export interface ServicePortInfo {
  name: string;
  /** `ns/svc`, the unit changes are tracked in. */
  serviceName: string;
  portName: string;
  protocol: Protocol;
  clusterIP: string;
  port: number;
  nodePort: number;
  externalIPs: string[];
  loadBalancerIPs: string[];
  externalPolicyLocal: boolean;
  internalPolicyLocal: boolean;
  /** ClientIP session affinity: how long a client sticks to its endpoint, in seconds; 0 without affinity. */
  stickyMaxAgeSeconds: number;
  /** The health check node port of a LoadBalancer Service with externalTrafficPolicy Local; else 0. */
  healthCheckNodePort: number;
}

/** The API's default for sessionAffinityConfig.clientIP.timeoutSeconds (3 hours). */
export const defaultStickyMaxAgeSeconds = 10_800;

export type ServicePortMap = Map<string, ServicePortInfo>;

/** Services carrying this label are handled by another proxy, as in kube-proxy. */
export const serviceProxyNameLabel = 'service.kubernetes.io/service-proxy-name';

export function servicePortName(namespace: string, name: string, portName: string): string {
  return `${namespace}/${name}${portName ? `:${portName}` : ''}`;
}

/** IPv4 single-stack: anything without an IPv4 cluster IP (headless, ExternalName, IPv6) is not proxied. */
export function servicePorts(svc: Service): ServicePortMap {
  const out: ServicePortMap = new Map();
  const spec = svc.spec;
  const clusterIP = spec.clusterIP ?? '';
  if (!clusterIP || clusterIP === 'None' || clusterIP.includes(':') || spec.type === 'ExternalName') return out;
  if (svc.metadata.labels?.[serviceProxyNameLabel] !== undefined) return out;
  const ns = svc.metadata.namespace ?? 'default';
  const serviceName = `${ns}/${svc.metadata.name}`;
  const externallyVisibleType = spec.type === 'NodePort' || spec.type === 'LoadBalancer';
  const v4 = (ip: string) => ip !== '' && !ip.includes(':');
  for (const p of spec.ports ?? []) {
    const portName = p.name ?? '';
    const info: ServicePortInfo = {
      name: servicePortName(ns, svc.metadata.name ?? '', portName),
      serviceName,
      portName,
      protocol: p.protocol ?? 'TCP',
      clusterIP,
      port: p.port,
      nodePort: externallyVisibleType ? (p.nodePort ?? 0) : 0,
      externalIPs: (spec.externalIPs ?? []).filter(v4),
      loadBalancerIPs: spec.type === 'LoadBalancer' ? (svc.status?.loadBalancer?.ingress ?? []).map((i) => i.ip ?? '').filter(v4) : [],
      externalPolicyLocal: false,
      internalPolicyLocal: spec.internalTrafficPolicy === 'Local',
      stickyMaxAgeSeconds: spec.sessionAffinity === 'ClientIP' ? (spec.sessionAffinityConfig?.clientIP?.timeoutSeconds ?? defaultStickyMaxAgeSeconds) : 0,
      // Only a LoadBalancer with the Local policy is health-checked, as kube-proxy's NeedsHealthCheck.
      healthCheckNodePort: spec.type === 'LoadBalancer' && spec.externalTrafficPolicy === 'Local' ? (spec.healthCheckNodePort ?? 0) : 0,
    };
    // Only traffic to an external destination (NodePort, external or LB IP) is subject to externalTrafficPolicy.
    info.externalPolicyLocal = spec.externalTrafficPolicy === 'Local' && externallyAccessible(info);
    out.set(info.name, info);
  }
  return out;
}

export function externallyAccessible(s: ServicePortInfo): boolean {
  return s.nodePort !== 0 || s.externalIPs.length > 0 || s.loadBalancerIPs.length > 0;
}
/**
 * Whether some traffic to this port is routed with the "Cluster" policy (to endpoints on any node). Externally
 * accessible ports always are: even with externalTrafficPolicy Local, traffic from pods and the node itself to an
 * external destination short-circuits to the cluster chain, as in kube-proxy.
 */
export function usesClusterEndpoints(s: ServicePortInfo): boolean {
  return !s.internalPolicyLocal || externallyAccessible(s);
}
/** Whether some traffic to this port is routed with the "Local" policy (to this node's endpoints only). */
export function usesLocalEndpoints(s: ServicePortInfo): boolean {
  return s.internalPolicyLocal || s.externalPolicyLocal;
}

interface ServiceChange {
  previous: ServicePortMap;
  current: ServicePortMap;
}

export interface ServiceUpdateResult {
  /** `ns/svc` of every Service whose ports changed. */
  updatedServices: Set<string>;
  /** Cluster IPs of UDP ports that went away: their conntrack entries must be flushed. */
  deletedUDPClusterIPs: Set<string>;
}

export class ServiceChangeTracker {
  private readonly items = new Map<string, ServiceChange>();

  /** Records a change (either side may be missing: add, delete). Returns whether any change is pending. */
  update(previous: Service | undefined, current: Service | undefined): boolean {
    const svc = current ?? previous;
    if (!svc) return this.items.size > 0;
    const key = `${svc.metadata.namespace ?? 'default'}/${svc.metadata.name}`;
    let change = this.items.get(key);
    if (!change) {
      change = { previous: previous ? servicePorts(previous) : new Map(), current: new Map() };
      this.items.set(key, change);
    }
    change.current = current ? servicePorts(current) : new Map();
    if (samePorts(change.previous, change.current)) this.items.delete(key);
    return this.items.size > 0;
  }


  /** Applies and forgets every pending change. */
  applyTo(map: ServicePortMap): ServiceUpdateResult {
    const result: ServiceUpdateResult = { updatedServices: new Set(), deletedUDPClusterIPs: new Set() };
    for (const [serviceName, change] of this.items) {
      result.updatedServices.add(serviceName);
      for (const name of change.previous.keys()) map.delete(name);
      for (const [name, info] of change.current) map.set(name, info);
      for (const [name, old] of change.previous) {
        if (old.protocol === 'UDP' && !change.current.has(name)) result.deletedUDPClusterIPs.add(old.clusterIP);
      }
    }
    this.items.clear();
    return result;
  }
}

function samePorts(a: ServicePortMap, b: ServicePortMap): boolean {
  if (a.size !== b.size) return false;
  for (const [k, v] of a) {
    const w = b.get(k);
    if (!w || JSON.stringify(v) !== JSON.stringify(w)) return false;
  }
  return true;
}
