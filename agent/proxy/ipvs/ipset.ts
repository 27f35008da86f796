// kube-proxy's pkg/proxy/ipvs/ipset.go: the ipsets IPVS mode keeps (names, types and comments are kube-proxy's), their
// entry formats, and the `ipset restore` document one sync applies: every set created with -exist, then only the
// entries that differ from what is there — read with `ipset save` on full syncs, remembered in between.
import type { Protocol } from '../servicechange.js';
import type { Exec } from '../types.js';

export type SetType = 'hash:ip,port' | 'hash:ip,port,ip' | 'hash:ip,port,net' | 'hash:ip' | 'bitmap:port';

export interface IPSetInfo {
  name: string;
  type: SetType;
  comment: string;
}

export const kubeLoopBackIPSet = 'KUBE-LOOP-BACK';
export const kubeClusterIPSet = 'KUBE-CLUSTER-IP';
export const kubeExternalIPSet = 'KUBE-EXTERNAL-IP';
export const kubeExternalIPLocalSet = 'KUBE-EXTERNAL-IP-LOCAL';
export const kubeLoadBalancerSet = 'KUBE-LOAD-BALANCER';
export const kubeLoadBalancerFWSet = 'KUBE-LOAD-BALANCER-FW';
export const kubeLoadBalancerLocalSet = 'KUBE-LOAD-BALANCER-LOCAL';
export const kubeLoadBalancerSourceIPSet = 'KUBE-LOAD-BALANCER-SOURCE-IP';
export const kubeLoadBalancerSourceCIDRSet = 'KUBE-LOAD-BALANCER-SOURCE-CIDR';
export const kubeNodePortSetTCP = 'KUBE-NODE-PORT-TCP';
export const kubeNodePortLocalSetTCP = 'KUBE-NODE-PORT-LOCAL-TCP';
export const kubeNodePortSetUDP = 'KUBE-NODE-PORT-UDP';
export const kubeNodePortLocalSetUDP = 'KUBE-NODE-PORT-LOCAL-UDP';
export const kubeNodePortSetSCTP = 'KUBE-NODE-PORT-SCTP-HASH';
export const kubeNodePortLocalSetSCTP = 'KUBE-NODE-PORT-LOCAL-SCTP-HASH';
export const kubeHealthCheckNodePortSet = 'KUBE-HEALTH-CHECK-NODE-PORT';
export const kubeIPVSSet = 'KUBE-IPVS-IPS';

/** The NodePort sets of each protocol: every NodePort, and those of externalTrafficPolicy Local. */
export const nodePortSets: Record<Protocol, { all: string; local: string }> = {
  TCP: { all: kubeNodePortSetTCP, local: kubeNodePortLocalSetTCP },
  UDP: { all: kubeNodePortSetUDP, local: kubeNodePortLocalSetUDP },
  SCTP: { all: kubeNodePortSetSCTP, local: kubeNodePortLocalSetSCTP },
};

/** Every set IPVS mode uses, in kube-proxy's order. */
export const ipsetInfo: IPSetInfo[] = [
  { name: kubeLoopBackIPSet, type: 'hash:ip,port,ip', comment: 'Kubernetes endpoints dst ip:port, source ip for solving hairpin purpose' },
  { name: kubeClusterIPSet, type: 'hash:ip,port', comment: 'Kubernetes service cluster ip + port for masquerade purpose' },
  { name: kubeExternalIPSet, type: 'hash:ip,port', comment: 'Kubernetes service external ip + port for masquerade and filter purpose' },
  { name: kubeExternalIPLocalSet, type: 'hash:ip,port', comment: 'Kubernetes service external ip + port with externalTrafficPolicy=local' },
  { name: kubeLoadBalancerSet, type: 'hash:ip,port', comment: 'Kubernetes service lb portal' },
  { name: kubeLoadBalancerFWSet, type: 'hash:ip,port', comment: 'Kubernetes service load balancer ip + port for load balancer with sourceRange' },
  { name: kubeLoadBalancerLocalSet, type: 'hash:ip,port', comment: 'Kubernetes service load balancer ip + port with externalTrafficPolicy=local' },
  { name: kubeLoadBalancerSourceIPSet, type: 'hash:ip,port,ip', comment: 'Kubernetes service load balancer ip + port + source IP for packet filter purpose' },
  { name: kubeLoadBalancerSourceCIDRSet, type: 'hash:ip,port,net', comment: 'Kubernetes service load balancer ip + port + source cidr for packet filter purpose' },
  { name: kubeNodePortSetTCP, type: 'bitmap:port', comment: 'Kubernetes nodeport TCP port for masquerade purpose' },
  { name: kubeNodePortLocalSetTCP, type: 'bitmap:port', comment: 'Kubernetes nodeport TCP port with externalTrafficPolicy=local' },
  { name: kubeNodePortSetUDP, type: 'bitmap:port', comment: 'Kubernetes nodeport UDP port for masquerade purpose' },
  { name: kubeNodePortLocalSetUDP, type: 'bitmap:port', comment: 'Kubernetes nodeport UDP port with externalTrafficPolicy=local' },
  { name: kubeNodePortSetSCTP, type: 'hash:ip,port', comment: "Kubernetes nodeport SCTP port for masquerade purpose with type 'hash ip:port'" },
  { name: kubeNodePortLocalSetSCTP, type: 'hash:ip,port', comment: "Kubernetes nodeport SCTP port with externalTrafficPolicy=local with type 'hash ip:port'" },
  { name: kubeHealthCheckNodePortSet, type: 'bitmap:port', comment: 'Kubernetes health check node port' },
  { name: kubeIPVSSet, type: 'hash:ip', comment: 'Addresses on the ipvs interface' },
];

export const ipsetNames = new Set(ipsetInfo.map((s) => s.name));

export function ipsetComment(name: string): string {
  return ipsetInfo.find((s) => s.name === name)!.comment;
}

/** `create` line as kube-proxy's IPSet defaults make it (hashsize 1024, maxelem 65536, ports 0-65535). */
export function createLine(set: IPSetInfo): string {
  const shape = set.type === 'bitmap:port' ? 'range 0-65535' : 'family inet hashsize 1024 maxelem 65536';
  return `create ${set.name} ${set.type} ${shape} comment -exist`;
}

/** Entry texts, as `ipset save` prints them. `protocol` is lower case. */
export const entry = {
  ipPort: (ip: string, protocol: string, port: number) => `${ip},${protocol}:${port}`,
  ipPortIp: (ip: string, protocol: string, port: number, ip2: string) => `${ip},${protocol}:${port},${ip2}`,
  port: (port: number) => String(port),
  ip: (ip: string) => ip,
};

/** Set name → entries, from `ipset save` (only kube-proxy's sets). */
export function parseSave(text: string): Map<string, Set<string>> {
  const out = new Map<string, Set<string>>();
  for (const line of text.split('\n')) {
    const [verb, set, value] = line.trim().split(/\s+/);
    if (!set || !ipsetNames.has(set)) continue;
    if (verb === 'create' && !out.has(set)) out.set(set, new Set());
    if (verb === 'add' && value) {
      if (!out.has(set)) out.set(set, new Set());
      out.get(set)!.add(value);
    }
  }
  return out;
}

export class IPSetError extends Error {
  readonly code = 'ERR_IPSET';
}

/** The ipsets as the last sync left them, and the one `ipset restore` that brings them to what a sync wants. */
export class IPSetSyncer {
  /** What the kernel holds, as far as we know; undefined until a full sync has read it. */
  private current?: Map<string, Set<string>>;

  constructor(private readonly exec: Exec) {}

  /** Entries as of the last successful sync (for ownership checks), empty before the first. */
  entries(set: string): Set<string> {
    return this.current?.get(set) ?? new Set();
  }

  /** Reads the kernel's sets (full syncs). */
  async load(): Promise<void> {
    const r = await this.exec('ipset', ['save']);
    if (r.exitCode !== 0) throw new IPSetError(`ipset save failed (exit ${r.exitCode}): ${r.stderr.trim()}`);
    this.current = parseSave(r.stdout);
  }

  /** The restore document turning the known state into `wanted` (every set of ipsetInfo; missing means empty). */
  document(wanted: Map<string, Set<string>>): string {
    const lines: string[] = [];
    for (const set of ipsetInfo) lines.push(createLine(set));
    for (const set of ipsetInfo) {
      const want = wanted.get(set.name) ?? new Set<string>();
      const have = this.current?.get(set.name) ?? new Set<string>();
      // Only the difference is sorted: a sync that changes one Service sorts nothing of the others'.
      for (const e of [...have].filter((e) => !want.has(e)).sort()) lines.push(`del ${set.name} ${e} -exist`);
      for (const e of [...want].filter((e) => !have.has(e)).sort()) lines.push(`add ${set.name} ${e} -exist`);
    }
    return lines.join('\n') + '\n';
  }

  /** Applies the difference in one `ipset restore`; on failure the next full sync reads the kernel again. */
  async apply(wanted: Map<string, Set<string>>): Promise<void> {
    const doc = this.document(wanted);
    const r = await this.exec('ipset', ['restore'], { input: doc });
    if (r.exitCode !== 0) {
      this.current = undefined;
      throw new IPSetError(`ipset restore failed (exit ${r.exitCode}): ${r.stderr.trim()}`);
    }
    this.current = new Map(ipsetInfo.map((s) => [s.name, new Set(wanted.get(s.name) ?? [])]));
  }
}
