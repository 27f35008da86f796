// Service IP and NodePort allocation (kube: pkg/registry/core/service/ipallocator and portallocator), as a mutating
// admission plugin: a Service gets a ClusterIP from the service CIDR and NodePorts from the node-port range. What is
// in use is read from the stored Services, so a deleted Service frees its addresses.
import { invalid, StatusError } from '../../../api/errors.js';
import { formatIPv4, parseCIDR, parseIPv4, type CIDR } from '../../../api/net.js';
import type { Service } from '../../../api/types.js';
import type { Store } from '../../storage/store.js';
import type { WriteAttributes } from '../registry/store.js';
import { invalidValue } from '../registry/validation.js';
import type { AdmissionPlugin } from './chain.js';

/** Serializes async sections (allocation reads then writes). */
class Mutex {
  private tail: Promise<void> = Promise.resolve();
  run<T>(fn: () => Promise<T>): Promise<T> {
    const result = this.tail.then(fn);
    this.tail = result.then(
      () => undefined,
      () => undefined,
    );
    return result;
  }
}

export class ServiceAllocation implements AdmissionPlugin {
  readonly name = 'ServiceAllocation';
  private readonly lock = new Mutex();
  private readonly cidr: CIDR;

  constructor(
    private readonly store: Store,
    serviceCIDR: string,
    private readonly nodePortRange: [number, number],
  ) {
    const cidr = parseCIDR(serviceCIDR);
    if (!cidr) throw new Error(`invalid service CIDR ${JSON.stringify(serviceCIDR)}`);
    this.cidr = cidr;
  }

  private async inUse(): Promise<{ ips: Set<string>; ports: Set<number> }> {
    const page = await this.store.list('/registry/core/services/');
    const ips = new Set<string>();
    const ports = new Set<number>();
    for (const kv of page.items) {
      const s = JSON.parse(kv.value) as Service;
      if (s.spec?.clusterIP && s.spec.clusterIP !== 'None') ips.add(s.spec.clusterIP);
      for (const p of s.spec?.ports ?? []) if (p.nodePort) ports.add(p.nodePort);
    }
    return { ips, ports };
  }

  private inRange(ip: string): boolean {
    const n = parseIPv4(ip);
    if (n === undefined) return false;
    return n > this.cidr.base && n < this.cidr.base + this.cidr.size - 1;
  }

  async admit({ operation, def, object, oldObject }: WriteAttributes): Promise<void> {
    if (def.kind !== 'Service' || def.group) return;
    if (operation === 'CREATE') return this.lock.run(() => this.allocate(object as Service, undefined));
    const s = object as Service;
    const o = oldObject as Service;
    // Keep what was allocated unless the user set it; a type change may need NodePorts.
    s.spec.clusterIP ||= o.spec.clusterIP;
    s.spec.clusterIPs = s.spec.clusterIP && s.spec.clusterIP !== 'None' ? [s.spec.clusterIP] : s.spec.clusterIPs;
    for (const p of s.spec.ports ?? []) {
      const was = (o.spec.ports ?? []).find((q) => q.port === p.port && (q.protocol ?? 'TCP') === (p.protocol ?? 'TCP'));
      if (!p.nodePort && was?.nodePort && needsNodePorts(s)) p.nodePort = was.nodePort;
    }
    await this.lock.run(() => this.allocate(s, o));
  }

  private async allocate(s: Service, old: Service | undefined): Promise<void> {
    if (s.spec.type === 'ExternalName') return;
    const used = await this.inUse();
    const name = s.metadata.name ?? '';
    if (old) {
      used.ips.delete(old.spec.clusterIP ?? '');
      for (const p of old.spec.ports ?? []) if (p.nodePort) used.ports.delete(p.nodePort);
    }
    if (s.spec.clusterIP === 'None') s.spec.clusterIPs = ['None'];
    else if (s.spec.clusterIP) {
      if (!this.inRange(s.spec.clusterIP)) throw invalid('Service', name, [invalidValue('spec.clusterIPs', [s.spec.clusterIP], `failed to allocate IP ${s.spec.clusterIP}: the provided IP (${s.spec.clusterIP}) is not in the valid range. The range of valid IPs is ${formatIPv4(this.cidr.base)}/${this.cidr.prefix}`)]);
      if (used.ips.has(s.spec.clusterIP)) throw invalid('Service', name, [invalidValue('spec.clusterIPs', [s.spec.clusterIP], `failed to allocate IP ${s.spec.clusterIP}: provided IP is already allocated`)]);
      s.spec.clusterIPs = [s.spec.clusterIP];
    } else {
      const ip = this.pick((n) => !used.ips.has(formatIPv4(n)), this.cidr.base + 2, this.cidr.base + this.cidr.size - 2);
      if (ip === undefined) throw new StatusError(500, 'InternalError', 'Internal error occurred: failed to allocate a serviceIP: range is full');
      s.spec.clusterIP = formatIPv4(ip);
      s.spec.clusterIPs = [s.spec.clusterIP];
    }
    if (!needsNodePorts(s)) return;
    const [lo, hi] = this.nodePortRange;
    (s.spec.ports ?? []).forEach((p, i) => {
      if (p.nodePort) {
        if (p.nodePort < lo || p.nodePort > hi) throw invalid('Service', name, [invalidValue(`spec.ports[${i}].nodePort`, p.nodePort, `provided port is not in the valid range. The range of valid ports is ${lo}-${hi}`)]);
        if (used.ports.has(p.nodePort)) throw invalid('Service', name, [invalidValue(`spec.ports[${i}].nodePort`, p.nodePort, 'provided port is already allocated')]);
      } else {
        const port = this.pick((n) => !used.ports.has(n), lo, hi);
        if (port === undefined) throw new StatusError(500, 'InternalError', 'Internal error occurred: failed to allocate a nodePort: range is full');
        p.nodePort = port;
      }
      used.ports.add(p.nodePort);
    });
  }

  /** A random free value in [lo, hi], scanning on from a random start (as the bitmap allocators do). */
  private pick(free: (n: number) => boolean, lo: number, hi: number): number | undefined {
    const span = hi - lo + 1;
    const start = Math.floor(Math.random() * span);
    for (let i = 0; i < span; i++) {
      const n = lo + ((start + i) % span);
      if (free(n)) return n;
    }
    return undefined;
  }
}

function needsNodePorts(s: Service): boolean {
  return s.spec.type === 'NodePort' || s.spec.type === 'LoadBalancer';
}
