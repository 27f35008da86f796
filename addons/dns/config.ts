// CoreDNS's Corefile for Kubernetes (kubeadm's: errors, health, ready, kubernetes, prometheus, forward, cache,
// loadbalance) as one typed config, computed once from flags by the CLI and passed to startDNS().

export interface DNSConfig {
  /** Kubeconfig to reach the API server with; undefined means in-cluster credentials (the pod's service account). */
  kubeconfig?: string;
  /** host:port the DNS server answers on, over UDP and TCP (":53" is every address). Port 0 picks a free port. */
  listen: string;
  /** The cluster domain the kubernetes plugin is authoritative for. */
  clusterDomain: string;
  /** TTL of cluster records and of the zone's SOA (the kubernetes plugin's `ttl`, default 5). */
  ttl: number;
  /** Upstream resolvers, host:port; empty means the nameservers of resolvConf (`forward . /etc/resolv.conf`). */
  upstreams: string[];
  resolvConf: string;
  /** Ports of /metrics (prometheus :9153), /health (health :8080) and /ready (ready :8181), on the listen host. */
  metricsPort: number;
  healthPort: number;
  readyPort: number;
  /** The `cache` plugin: entries per kind (success, denial) and the longest time an answer is kept. */
  cacheCapacity: number;
  cacheMaxTTL: number;
  /** The `forward` plugin's max_concurrent: queries beyond it are refused. */
  forwardMaxConcurrent: number;
}

export const dnsDefaults = {
  listen: ':53',
  clusterDomain: 'cluster.local',
  ttl: 5,
  upstreams: [] as string[],
  resolvConf: '/etc/resolv.conf',
  metricsPort: 9153,
  healthPort: 8080,
  readyPort: 8181,
  // kubeadm's Corefile: `cache 30` (the plugin's own cap would be an hour), `max_concurrent 1000`.
  cacheCapacity: 10_000,
  cacheMaxTTL: 30,
  forwardMaxConcurrent: 1000,
} satisfies Omit<DNSConfig, 'kubeconfig'>;

/** The zones the kubernetes plugin answers besides the cluster domain: reverse lookups, falling through when unknown. */
export const reverseZones = ['in-addr.arpa', 'ip6.arpa'];
