// kubeadm's CoreDNS add-on (cmd/kubeadm/app/phases/addons/dns/manifests.go) as data: ServiceAccount coredns,
// ClusterRole and ClusterRoleBinding system:coredns, Deployment coredns (2 replicas spread over nodes, critical
// priority, probes on /health and /ready) and Service kube-dns at the cluster DNS address — running `kubets dns`
// from the locally built kubets image.
import type { ClusterRole, ClusterRoleBinding, Container, Deployment, KubeObject, Service } from '../../api/types.js';
import { dnsDefaults } from './config.js';

export interface CorednsManifestOptions {
  /** The kubets image (built locally and imported on every node). */
  image: string;
  /** The command that runs kubets in that image (default: kubets on its PATH). */
  command?: string[];
  /** kube-dns's ClusterIP: what every kubelet's --cluster-dns names. */
  clusterIP?: string;
  clusterDomain?: string;
  replicas?: number;
  imagePullPolicy?: 'IfNotPresent' | 'Never' | 'Always';
}

export const corednsNames = { namespace: 'kube-system', serviceAccount: 'coredns', clusterRole: 'system:coredns', deployment: 'coredns', service: 'kube-dns' } as const;

const labels = { 'k8s-app': 'kube-dns' };

/** The objects in the order they are applied. */
export function corednsManifests(opts: CorednsManifestOptions): KubeObject[] {
  const { namespace } = corednsNames;
  const domain = opts.clusterDomain ?? dnsDefaults.clusterDomain;
  const serviceAccount: KubeObject = { apiVersion: 'v1', kind: 'ServiceAccount', metadata: { name: corednsNames.serviceAccount, namespace } };
  const clusterRole: ClusterRole = {
    apiVersion: 'rbac.authorization.k8s.io/v1',
    kind: 'ClusterRole',
    metadata: { name: corednsNames.clusterRole, labels: { 'kubernetes.io/bootstrapping': 'rbac-defaults' } },
    rules: [
      { apiGroups: [''], resources: ['endpoints', 'services', 'pods', 'namespaces'], verbs: ['list', 'watch'] },
      { apiGroups: ['discovery.k8s.io'], resources: ['endpointslices'], verbs: ['list', 'watch'] },
    ],
  };
  const binding: ClusterRoleBinding = {
    apiVersion: 'rbac.authorization.k8s.io/v1',
    kind: 'ClusterRoleBinding',
    metadata: { name: corednsNames.clusterRole, labels: { 'kubernetes.io/bootstrapping': 'rbac-defaults' }, annotations: { 'rbac.authorization.kubernetes.io/autoupdate': 'true' } },
    roleRef: { apiGroup: 'rbac.authorization.k8s.io', kind: 'ClusterRole', name: corednsNames.clusterRole },
    subjects: [{ kind: 'ServiceAccount', name: corednsNames.serviceAccount, namespace }],
  };
  const container: Container & Record<string, unknown> = {
    name: 'coredns',
    image: opts.image,
    imagePullPolicy: opts.imagePullPolicy ?? 'IfNotPresent',
    command: [...(opts.command ?? ['kubets']), 'dns'],
    args: ['--listen', dnsDefaults.listen, '--cluster-domain', domain, '--metrics-port', String(dnsDefaults.metricsPort)],
    resources: { limits: { memory: '170Mi' }, requests: { cpu: '100m', memory: '70Mi' } },
    ports: [
      { name: 'dns', containerPort: 53, protocol: 'UDP' },
      { name: 'dns-tcp', containerPort: 53, protocol: 'TCP' },
      { name: 'metrics', containerPort: dnsDefaults.metricsPort, protocol: 'TCP' },
    ],
    livenessProbe: { httpGet: { path: '/health', port: dnsDefaults.healthPort, scheme: 'HTTP' }, initialDelaySeconds: 60, timeoutSeconds: 5, successThreshold: 1, failureThreshold: 5 },
    readinessProbe: { httpGet: { path: '/ready', port: dnsDefaults.readyPort, scheme: 'HTTP' } },
    securityContext: { allowPrivilegeEscalation: false, capabilities: { add: ['NET_BIND_SERVICE'], drop: ['ALL'] }, readOnlyRootFilesystem: true },
  };
  const deployment: Deployment = {
    apiVersion: 'apps/v1',
    kind: 'Deployment',
    metadata: { name: corednsNames.deployment, namespace, labels },
    spec: {
      replicas: opts.replicas ?? 2,
      strategy: { type: 'RollingUpdate', rollingUpdate: { maxUnavailable: 1 } },
      selector: { matchLabels: labels },
      template: {
        metadata: { labels },
        spec: {
          priorityClassName: 'system-cluster-critical',
          serviceAccountName: corednsNames.serviceAccount,
          tolerations: [{ key: 'CriticalAddonsOnly', operator: 'Exists' }, { key: 'node-role.kubernetes.io/control-plane', effect: 'NoSchedule' }],
          nodeSelector: { 'kubernetes.io/os': 'linux' },
          affinity: {
            podAntiAffinity: {
              preferredDuringSchedulingIgnoredDuringExecution: [
                { weight: 100, podAffinityTerm: { labelSelector: { matchExpressions: [{ key: 'k8s-app', operator: 'In', values: ['kube-dns'] }] }, topologyKey: 'kubernetes.io/hostname' } },
              ],
            },
          },
          containers: [container],
          // The DNS server's own upstreams are the node's: it must not ask itself.
          dnsPolicy: 'Default',
        },
      },
    },
  };
  const service: Service = {
    apiVersion: 'v1',
    kind: 'Service',
    metadata: {
      name: corednsNames.service,
      namespace,
      labels: { ...labels, 'kubernetes.io/cluster-service': 'true', 'kubernetes.io/name': 'CoreDNS' },
      annotations: { 'prometheus.io/port': String(dnsDefaults.metricsPort), 'prometheus.io/scrape': 'true' },
    },
    spec: {
      selector: labels,
      clusterIP: opts.clusterIP ?? '10.96.0.10',
      ports: [
        { name: 'dns', port: 53, protocol: 'UDP', targetPort: 53 },
        { name: 'dns-tcp', port: 53, protocol: 'TCP', targetPort: 53 },
        { name: 'metrics', port: dnsDefaults.metricsPort, protocol: 'TCP', targetPort: dnsDefaults.metricsPort },
      ],
    },
  };
  return [serviceAccount, clusterRole, binding, deployment, service];
}
