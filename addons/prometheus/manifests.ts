// Prometheus in namespace `monitoring` (kube: the prometheus-operator's kube-prometheus and Prometheus' own
// documentation/examples/prometheus-kubernetes.yml and rbac-setup.yml) as data: Namespace monitoring, ServiceAccount and
// ClusterRole prometheus with Prometheus' RBAC, a ConfigMap whose prometheus.yml finds targets through the API — the
// API servers, every kubelet (/metrics and /metrics/cadvisor through the API server's nodes/proxy), every kube-proxy
// (:10249), the cluster DNS (:9153), the scheduler (:10259) and controller manager (:10257), annotated pods — the
// Deployment running Debian's Prometheus from its locally built image, and the Service on NodePort 30090.
// Debian's Prometheus has no Kubernetes discovery: the pod's `kubets prometheus-sd` container serves it over HTTP SD
// (discovery.ts), with kubernetes_sd_configs' labels, so the relabelling below is the one written for it.
import { stringify as toYaml } from 'yaml';
import type { ClusterRole, ClusterRoleBinding, Deployment, KubeObject, Service } from '../../api/types.js';

export const prometheusDefaults = {
  namespace: 'monitoring',
  name: 'prometheus',
  port: 9090,
  nodePort: 30090,
  scrapeInterval: '15s',
  /** The discovery companion, beside Prometheus in its pod. */
  discoveryPort: 9091,
} as const;

/** Where a pod's service-account credentials are mounted (the in-cluster defaults of kubernetes_sd_configs). */
const SA_DIR = '/var/run/secrets/kubernetes.io/serviceaccount';

export interface PrometheusConfigOptions {
  /**
   * The API server Prometheus discovers through and proxies kubelets through, with the CA and bearer token files to
   * reach it. Unset in a pod: the in-cluster service account and `kubernetes.default.svc:443`.
   */
  apiServer?: { url: string; caFile: string; tokenFile: string };
  /** The HTTP SD server (default: the companion in the pod, http://127.0.0.1:9091). */
  discoveryURL?: string;
  scrapeInterval?: string;
}

type Relabel = Record<string, unknown>;

/** prometheus.yml: one job per kind of target, each found through the API. */
export function prometheusConfig(o: PrometheusConfigOptions = {}): string {
  const api = o.apiServer;
  const caFile = api?.caFile ?? `${SA_DIR}/ca.crt`;
  const tokenFile = api?.tokenFile ?? `${SA_DIR}/token`;
  const apiAddress = api ? new URL(api.url).host : 'kubernetes.default.svc:443';
  const credentials = { authorization: { credentials_file: tokenFile } };
  const discovery = o.discoveryURL ?? `http://127.0.0.1:${prometheusDefaults.discoveryPort}`;
  const interval = o.scrapeInterval ?? prometheusDefaults.scrapeInterval;
  // kubernetes_sd_configs' roles, one namespace or all, through the HTTP SD companion.
  const sd = (role: string, namespace?: string) => ({ http_sd_configs: [{ url: `${discovery}/sd/${role}${namespace ? `?namespace=${namespace}` : ''}`, refresh_interval: interval }] });
  const keep = (labels: string[], regex: string): Relabel => ({ source_labels: labels, action: 'keep', regex });
  const nodeLabels: Relabel = { action: 'labelmap', regex: '__meta_kubernetes_node_label_(.+)' };
  const podLabels: Relabel[] = [
    { source_labels: ['__meta_kubernetes_namespace'], target_label: 'namespace' },
    { source_labels: ['__meta_kubernetes_pod_name'], target_label: 'pod' },
  ];
  /** A kubelet endpoint reached through the API server (nodes/proxy), as the API server's CA vouches for it. */
  const viaApiServer = (path: string): Relabel[] => [
    nodeLabels,
    { source_labels: ['__meta_kubernetes_node_name'], target_label: 'instance' },
    { target_label: '__address__', replacement: apiAddress },
    { source_labels: ['__meta_kubernetes_node_name'], regex: '(.+)', target_label: '__metrics_path__', replacement: `/api/v1/nodes/$1/proxy${path}` },
  ];
  /** A control-plane static pod's secure port on its (host-network) pod IP; its serving certificate is self-signed. */
  const controlPlane = (component: string, port: number) => ({
    job_name: component,
    scheme: 'https',
    tls_config: { insecure_skip_verify: true },
    ...credentials,
    ...sd('pod', 'kube-system'),
    relabel_configs: [
      keep(['__meta_kubernetes_pod_label_component'], component),
      { source_labels: ['__meta_kubernetes_pod_ip'], target_label: '__address__', replacement: `$1:${port}` },
      ...podLabels,
    ],
  });
  const config = {
    global: { scrape_interval: interval, evaluation_interval: interval },
    scrape_configs: [
      {
        job_name: 'kubernetes-apiservers',
        scheme: 'https',
        tls_config: { ca_file: caFile },
        ...credentials,
        ...sd('endpoints'),
        relabel_configs: [keep(['__meta_kubernetes_namespace', '__meta_kubernetes_service_name', '__meta_kubernetes_endpoint_port_name'], 'default;kubernetes;https')],
      },
      { job_name: 'kubernetes-nodes', scheme: 'https', tls_config: { ca_file: caFile }, ...credentials, ...sd('node'), relabel_configs: viaApiServer('/metrics') },
      { job_name: 'kubernetes-cadvisor', scheme: 'https', tls_config: { ca_file: caFile }, ...credentials, ...sd('node'), relabel_configs: viaApiServer('/metrics/cadvisor') },
      {
        job_name: 'kube-proxy',
        ...sd('node'),
        relabel_configs: [nodeLabels, { source_labels: ['__address__'], regex: '(.+):\\d+', target_label: '__address__', replacement: '$1:10249' }],
      },
      {
        job_name: 'coredns',
        ...sd('endpoints', 'kube-system'),
        relabel_configs: [keep(['__meta_kubernetes_service_name', '__meta_kubernetes_endpoint_port_name'], 'kube-dns;metrics'), ...podLabels],
      },
      controlPlane('kube-scheduler', 10259),
      controlPlane('kube-controller-manager', 10257),
      {
        // Pods that ask to be scraped: prometheus.io/scrape, /path and /port annotations.
        job_name: 'kubernetes-pods',
        ...sd('pod'),
        relabel_configs: [
          keep(['__meta_kubernetes_pod_annotation_prometheus_io_scrape'], 'true'),
          { source_labels: ['__meta_kubernetes_pod_annotation_prometheus_io_path'], regex: '(.+)', target_label: '__metrics_path__' },
          { source_labels: ['__address__', '__meta_kubernetes_pod_annotation_prometheus_io_port'], regex: '([^:]+)(?::\\d+)?;(\\d+)', replacement: '$1:$2', target_label: '__address__' },
          ...podLabels,
        ],
      },
      { job_name: 'prometheus', static_configs: [{ targets: [`localhost:${prometheusDefaults.port}`] }] },
    ],
  };
  return toYaml(config);
}

export interface PrometheusManifestOptions {
  /** The Prometheus image (built locally from Debian's package and imported on every node). */
  image: string;
  /** The kubets image, which runs the discovery companion. */
  kubetsImage: string;
  imagePullPolicy?: 'IfNotPresent' | 'Never' | 'Always';
}

const labels = { 'app.kubernetes.io/name': 'prometheus' };
const rbac = 'rbac.authorization.k8s.io';

/** Prometheus' RBAC (documentation/examples/rbac-setup.yml), with nodes/proxy for scraping kubelets through the API. */
export const prometheusRules: ClusterRole['rules'] = [
  { apiGroups: [''], resources: ['nodes', 'nodes/metrics', 'nodes/proxy', 'services', 'endpoints', 'pods'], verbs: ['get', 'list', 'watch'] },
  { apiGroups: ['discovery.k8s.io'], resources: ['endpointslices'], verbs: ['get', 'list', 'watch'] },
  { apiGroups: ['extensions', 'networking.k8s.io'], resources: ['ingresses'], verbs: ['get', 'list', 'watch'] },
  { nonResourceURLs: ['/metrics', '/metrics/cadvisor'], verbs: ['get'] },
];

export function prometheusManifests(opts: PrometheusManifestOptions): KubeObject[] {
  const { namespace, name, port, nodePort } = prometheusDefaults;
  const ns: KubeObject = { apiVersion: 'v1', kind: 'Namespace', metadata: { name: namespace, labels: { 'kubernetes.io/metadata.name': namespace } } };
  const serviceAccount: KubeObject = { apiVersion: 'v1', kind: 'ServiceAccount', metadata: { name, namespace, labels } };
  const role: ClusterRole = { apiVersion: `${rbac}/v1`, kind: 'ClusterRole', metadata: { name, labels }, rules: prometheusRules };
  const binding: ClusterRoleBinding = { apiVersion: `${rbac}/v1`, kind: 'ClusterRoleBinding', metadata: { name, labels }, roleRef: { apiGroup: rbac, kind: 'ClusterRole', name }, subjects: [{ kind: 'ServiceAccount', name, namespace }] };
  const config: KubeObject = { apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: `${name}-config`, namespace, labels }, data: { 'prometheus.yml': prometheusConfig() } } as KubeObject;
  const probe = (path: string, o: Record<string, number>) => ({ httpGet: { path, port: 'web' }, ...o });
  const deployment: Deployment = {
    apiVersion: 'apps/v1',
    kind: 'Deployment',
    metadata: { name, namespace, labels },
    spec: {
      replicas: 1,
      selector: { matchLabels: labels },
      // One TSDB directory: the old pod goes before the new one starts.
      strategy: { type: 'Recreate' },
      template: {
        metadata: { labels },
        spec: {
          serviceAccountName: name,
          nodeSelector: { 'kubernetes.io/os': 'linux' },
          containers: [
            {
              name: 'prometheus',
              image: opts.image,
              imagePullPolicy: opts.imagePullPolicy ?? 'IfNotPresent',
              args: ['--config.file=/etc/prometheus/prometheus.yml', '--storage.tsdb.path=/prometheus', '--storage.tsdb.retention.time=1d', `--web.listen-address=:${port}`],
              ports: [{ name: 'web', containerPort: port, protocol: 'TCP' }],
              readinessProbe: probe('/-/ready', { periodSeconds: 5, failureThreshold: 3 }),
              livenessProbe: probe('/-/healthy', { initialDelaySeconds: 10, periodSeconds: 10, failureThreshold: 3 }),
              resources: { requests: { cpu: '100m', memory: '200Mi' } },
              volumeMounts: [
                { name: 'config', mountPath: '/etc/prometheus' },
                { name: 'data', mountPath: '/prometheus' },
              ],
            },
            {
              name: 'discovery',
              image: opts.kubetsImage,
              imagePullPolicy: opts.imagePullPolicy ?? 'IfNotPresent',
              command: ['kubets', 'prometheus-sd', `--bind-address=127.0.0.1:${prometheusDefaults.discoveryPort}`],
              resources: { requests: { cpu: '20m', memory: '50Mi' } },
            },
          ],
          volumes: [
            { name: 'config', configMap: { name: `${name}-config` } },
            { name: 'data', emptyDir: {} },
          ],
        },
      },
    },
  } as unknown as Deployment;
  const service: Service = {
    apiVersion: 'v1',
    kind: 'Service',
    metadata: { name, namespace, labels },
    spec: { type: 'NodePort', selector: labels, ports: [{ name: 'web', port, targetPort: 'web', nodePort, protocol: 'TCP' }] },
  } as Service;
  return [ns, serviceAccount, role, binding, config, deployment, service];
}
