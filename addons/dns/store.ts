// CoreDNS's kubernetes plugin controller (plugin/kubernetes/controller.go, object/): Services, EndpointSlices and
// Namespaces reduced to what DNS answers need, indexed by name and by IP. Informer handlers feed it one object at a
// time; a test builds one from a snapshot with ClusterIndex.from().
import { isIP } from 'node:net';
import type { EndpointSlice, Namespace, Service } from '../../api/types.js';
import { serviceNameLabel } from '../../agent/proxy/endpointschange.js';

export interface PortEntry {
  name: string;
  /** -1 when the slice lists no ports (CoreDNS's sentinel: addresses answer A queries but make no SRV). */
  port: number;
  protocol: string;
}

export interface ServiceEntry {
  namespace: string;
  name: string;
  type: string;
  headless: boolean;
  clusterIPs: string[];
  externalName?: string;
  ports: PortEntry[];
}

export interface AddressEntry {
  ip: string;
  hostname?: string;
}

export interface SliceEntry {
  namespace: string;
  name: string;
  service: string;
  /** Ready addresses only: a not-ready endpoint is not served (the EndpointSlice controller marks
   * publishNotReadyAddresses Services' endpoints ready). */
  addresses: AddressEntry[];
  ports: PortEntry[];
}

/** What the record computation reads. */
export interface ClusterView {
  service(namespace: string, name: string): ServiceEntry | undefined;
  slicesOf(namespace: string, service: string): SliceEntry[];
  namespaceExists(name: string): boolean;
  servicesByIP(ip: string): ServiceEntry[];
  slicesByIP(ip: string): SliceEntry[];
  /** Unix seconds of the last change: the SOA serial. */
  serial(): number;
}

/** An address in the form index keys and reverse lookups share (IPv6 compressed, lower case). */
export function canonicalIP(ip: string): string {
  const v = isIP(ip);
  if (v === 4) return ip;
  if (v === 6) return new URL(`http://[${ip}]/`).hostname.slice(1, -1);
  return ip;
}

const key = (namespace: string, name: string) => `${namespace}/${name}`;

function addTo<K, V>(m: Map<K, Set<V>>, k: K, v: V): void {
  let s = m.get(k);
  if (!s) m.set(k, (s = new Set()));
  s.add(v);
}

function removeFrom<K, V>(m: Map<K, Set<V>>, k: K, v: V): void {
  const s = m.get(k);
  if (!s) return;
  s.delete(v);
  if (!s.size) m.delete(k);
}

export function serviceEntry(svc: Service): ServiceEntry {
  const spec = svc.spec ?? {};
  const clusterIPs = (spec.clusterIPs?.length ? spec.clusterIPs : spec.clusterIP ? [spec.clusterIP] : []).filter((ip) => ip && ip !== 'None').map(canonicalIP);
  return {
    namespace: svc.metadata.namespace ?? 'default',
    name: svc.metadata.name ?? '',
    type: spec.type ?? 'ClusterIP',
    headless: spec.clusterIP === 'None',
    clusterIPs,
    externalName: spec.type === 'ExternalName' ? spec.externalName : undefined,
    ports: (spec.ports ?? []).map((p) => ({ name: p.name ?? '', port: p.port, protocol: p.protocol ?? 'TCP' })),
  };
}

/** Undefined for a slice that belongs to no Service or holds FQDNs rather than addresses. */
export function sliceEntry(slice: EndpointSlice): SliceEntry | undefined {
  const service = slice.metadata.labels?.[serviceNameLabel];
  if (!service || slice.addressType === 'FQDN') return undefined;
  const ports = slice.ports?.length ? slice.ports.map((p) => ({ name: p.name ?? '', port: p.port ?? -1, protocol: p.protocol ?? 'TCP' })) : [{ name: '', port: -1, protocol: '' }];
  const addresses: AddressEntry[] = [];
  for (const ep of slice.endpoints ?? []) {
    // An unset condition means unknown, which consumers read as ready.
    if (ep.conditions?.ready === false) continue;
    for (const ip of ep.addresses ?? []) addresses.push({ ip: canonicalIP(ip), hostname: ep.hostname || undefined });
  }
  return { namespace: slice.metadata.namespace ?? 'default', name: slice.metadata.name ?? '', service, addresses, ports };
}

export class ClusterIndex implements ClusterView {
  private readonly services = new Map<string, ServiceEntry>();
  private readonly slices = new Map<string, SliceEntry>();
  private readonly slicesOfService = new Map<string, Set<string>>();
  private readonly serviceIPs = new Map<string, Set<string>>();
  private readonly sliceIPs = new Map<string, Set<string>>();
  private readonly namespaces = new Set<string>();
  private modified: number;

  constructor(private readonly now: () => number = Date.now) {
    this.modified = Math.floor(now() / 1000);
  }

  static from(objects: { services?: Service[]; slices?: EndpointSlice[]; namespaces?: string[] }, now?: () => number): ClusterIndex {
    const index = new ClusterIndex(now);
    for (const ns of objects.namespaces ?? []) index.setNamespace({ metadata: { name: ns } });
    for (const s of objects.services ?? []) index.setService(s);
    for (const s of objects.slices ?? []) index.setSlice(s);
    return index;
  }

  private touch(): void {
    this.modified = Math.floor(this.now() / 1000);
  }

  setService(svc: Service): void {
    this.dropService(key(svc.metadata.namespace ?? 'default', svc.metadata.name ?? ''));
    const e = serviceEntry(svc);
    const k = key(e.namespace, e.name);
    this.services.set(k, e);
    for (const ip of e.clusterIPs) addTo(this.serviceIPs, ip, k);
    this.touch();
  }

  deleteService(svc: Service): void {
    this.dropService(key(svc.metadata.namespace ?? 'default', svc.metadata.name ?? ''));
    this.touch();
  }

  private dropService(k: string): void {
    const old = this.services.get(k);
    if (!old) return;
    for (const ip of old.clusterIPs) removeFrom(this.serviceIPs, ip, k);
    this.services.delete(k);
  }

  setSlice(slice: EndpointSlice): void {
    this.dropSlice(key(slice.metadata.namespace ?? 'default', slice.metadata.name ?? ''));
    const e = sliceEntry(slice);
    if (e) {
      const k = key(e.namespace, e.name);
      this.slices.set(k, e);
      addTo(this.slicesOfService, key(e.namespace, e.service), k);
      for (const a of e.addresses) addTo(this.sliceIPs, a.ip, k);
    }
    this.touch();
  }

  deleteSlice(slice: EndpointSlice): void {
    this.dropSlice(key(slice.metadata.namespace ?? 'default', slice.metadata.name ?? ''));
    this.touch();
  }

  private dropSlice(k: string): void {
    const old = this.slices.get(k);
    if (!old) return;
    removeFrom(this.slicesOfService, key(old.namespace, old.service), k);
    for (const a of old.addresses) removeFrom(this.sliceIPs, a.ip, k);
    this.slices.delete(k);
  }

  setNamespace(ns: Namespace): void {
    this.namespaces.add(ns.metadata.name ?? '');
    this.touch();
  }

  deleteNamespace(ns: Namespace): void {
    this.namespaces.delete(ns.metadata.name ?? '');
    this.touch();
  }

  service(namespace: string, name: string): ServiceEntry | undefined {
    return this.services.get(key(namespace, name));
  }

  slicesOf(namespace: string, service: string): SliceEntry[] {
    return [...(this.slicesOfService.get(key(namespace, service)) ?? [])].sort().map((k) => this.slices.get(k)!);
  }

  namespaceExists(name: string): boolean {
    return this.namespaces.has(name);
  }

  servicesByIP(ip: string): ServiceEntry[] {
    return [...(this.serviceIPs.get(canonicalIP(ip)) ?? [])].sort().map((k) => this.services.get(k)!);
  }

  slicesByIP(ip: string): SliceEntry[] {
    return [...(this.sliceIPs.get(canonicalIP(ip)) ?? [])].sort().map((k) => this.slices.get(k)!);
  }

  serial(): number {
    return this.modified;
  }
}
