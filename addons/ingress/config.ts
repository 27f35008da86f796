// The ingress controller's settings (ingress-nginx's flags: --controller-class, --ingress-class, --http-port,
// --https-port, --healthz-port; the published status from the controller's own pods) as one typed config, computed
// once from flags by the CLI and passed to startIngressController().

export interface IngressConfig {
  /** Kubeconfig to reach the API server with; undefined means in-cluster credentials (the pod's service account). */
  kubeconfig?: string;
  /** spec.controller of the IngressClasses served. */
  controllerClass: string;
  /** The class name the old kubernetes.io/ingress.class annotation may carry instead of spec.ingressClassName. */
  ingressClass: string;
  /** Address the HTTP, HTTPS and health servers listen on. */
  bindAddress: string;
  /** Ports of plain HTTP, of HTTPS (TLS by SNI), and of /healthz. Port 0 picks a free port. */
  httpPort: number;
  httpsPort: number;
  healthzPort: number;
  /**
   * The controller's own pods (the DaemonSet's, by namespace and label selector): the nodes they run on are what
   * status.loadBalancer of every served Ingress lists. Unset: statuses are left alone.
   */
  statusPods?: { namespace: string; selector: string };
  /** How long a backend may take to answer (nginx's proxy_read_timeout). */
  proxyTimeoutMs: number;
  /** How soon after a change the routes are rebuilt, and how often they are anyway. */
  minSyncIntervalMs: number;
  resyncIntervalMs: number;
}

export const ingressDefaults = {
  controllerClass: 'kubets.io/ingress-controller',
  ingressClass: 'kubets',
  bindAddress: '0.0.0.0',
  httpPort: 80,
  httpsPort: 443,
  healthzPort: 10254,
  proxyTimeoutMs: 60_000,
  minSyncIntervalMs: 50,
  resyncIntervalMs: 30_000,
} satisfies Omit<IngressConfig, 'kubeconfig' | 'statusPods'>;
