// The Dashboard's settings (kubernetes/dashboard's flags: --bind-address, --port, --apiserver-host, --kubeconfig) as
// one typed config, computed once from flags by the CLI and passed to startDashboard().

export interface DashboardConfig {
  /**
   * Where the API server is: a kubeconfig whose cluster (server and CA) is used — never its credentials, the
   * dashboard acts only with each caller's token — or, when undefined, in-cluster (KUBERNETES_SERVICE_HOST/PORT and
   * the service account's ca.crt).
   */
  kubeconfig?: string;
  /** Overrides the API server's URL (https://host:port), keeping the CA found as above. */
  apiServerHost?: string;
  bindAddress: string;
  /** HTTPS port; 0 picks a free one. */
  securePort: number;
}

export const dashboardDefaults = {
  bindAddress: '0.0.0.0',
  securePort: 8443,
} satisfies Omit<DashboardConfig, 'kubeconfig' | 'apiServerHost'>;
