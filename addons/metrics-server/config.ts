// metrics-server's settings (its flags: --secure-port, --bind-address, --metric-resolution, --kubelet-port,
// --kubelet-insecure-tls, --kubelet-use-node-status-port, --kubelet-preferred-address-types) as one typed config,
// computed once from flags by the CLI and passed to startMetricsServer().

/** The group-version metrics-server serves. */
export const GROUP = 'metrics.k8s.io';
export const VERSION = 'v1beta1';

export interface MetricsServerConfig {
  /** Kubeconfig to reach the API server with; undefined means in-cluster credentials (the pod's service account). */
  kubeconfig?: string;
  bindAddress: string;
  /** HTTPS port of the metrics API; 0 picks a free one. */
  securePort: number;
  /** How often every kubelet is scraped. */
  metricResolutionMs: number;
  /** The kubelet port, unless the node's status names its own (useNodeStatusPort). */
  kubeletPort: number;
  useNodeStatusPort: boolean;
  /** Node address types tried in order for reaching a kubelet. */
  preferredAddressTypes: string[];
  /** Do not verify kubelets' serving certificates (else: the cluster CA). */
  kubeletInsecureTLS: boolean;
  /** How long one scrape of one kubelet may take. */
  scrapeTimeoutMs: number;
}

export const metricsServerDefaults = {
  bindAddress: '0.0.0.0',
  securePort: 10250,
  metricResolutionMs: 15_000,
  kubeletPort: 10250,
  useNodeStatusPort: false,
  preferredAddressTypes: ['Hostname', 'InternalDNS', 'InternalIP', 'ExternalDNS', 'ExternalIP'],
  kubeletInsecureTLS: false,
  scrapeTimeoutMs: 10_000,
} satisfies Omit<MetricsServerConfig, 'kubeconfig'>;
