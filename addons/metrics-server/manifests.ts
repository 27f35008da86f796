// metrics-server's deployment (kube: metrics-server's components.yaml) as data: ServiceAccount metrics-server,
// ClusterRoles system:aggregated-metrics-reader (aggregated into view, edit and admin) and system:metrics-server
// (nodes/metrics, nodes, pods), the bindings (its own role, auth-delegator, and reading
// extension-apiserver-authentication in kube-system), the Service on 443 → https, the Deployment running
// `kubets metrics-server` from the kubets image, and the APIService v1beta1.metrics.k8s.io pointing at the Service.
import type { APIService, ClusterRole, ClusterRoleBinding, KubeObject, RoleBinding, Service } from '../../api/types.js';
import { addonDeployment, kubetsContainer, type AddonImageOptions } from '../deployment.js';
import { metricsServerDefaults } from './config.js';

export type MetricsServerManifestOptions = AddonImageOptions;

export const metricsServerNames = { namespace: 'kube-system', name: 'metrics-server', apiService: 'v1beta1.metrics.k8s.io' } as const;

const labels = { 'k8s-app': 'metrics-server' };
const rbac = 'rbac.authorization.k8s.io';

export function metricsServerManifests(opts: MetricsServerManifestOptions): KubeObject[] {
  const { namespace, name } = metricsServerNames;
  const subjects = [{ kind: 'ServiceAccount' as const, name, namespace }];
  const serviceAccount: KubeObject = { apiVersion: 'v1', kind: 'ServiceAccount', metadata: { name, namespace, labels } };
  const reader: ClusterRole = {
    apiVersion: `${rbac}/v1`,
    kind: 'ClusterRole',
    metadata: { name: 'system:aggregated-metrics-reader', labels: { ...labels, [`${rbac}/aggregate-to-admin`]: 'true', [`${rbac}/aggregate-to-edit`]: 'true', [`${rbac}/aggregate-to-view`]: 'true' } },
    rules: [{ apiGroups: ['metrics.k8s.io'], resources: ['pods', 'nodes'], verbs: ['get', 'list', 'watch'] }],
  };
  const own: ClusterRole = {
    apiVersion: `${rbac}/v1`,
    kind: 'ClusterRole',
    metadata: { name: 'system:metrics-server', labels },
    rules: [
      { apiGroups: [''], resources: ['nodes/metrics'], verbs: ['get'] },
      { apiGroups: [''], resources: ['pods', 'nodes'], verbs: ['get', 'list', 'watch'] },
    ],
  };
  const authReader: RoleBinding = { apiVersion: `${rbac}/v1`, kind: 'RoleBinding', metadata: { name: 'metrics-server-auth-reader', namespace, labels }, roleRef: { apiGroup: rbac, kind: 'Role', name: 'extension-apiserver-authentication-reader' }, subjects };
  const delegator: ClusterRoleBinding = { apiVersion: `${rbac}/v1`, kind: 'ClusterRoleBinding', metadata: { name: 'metrics-server:system:auth-delegator', labels }, roleRef: { apiGroup: rbac, kind: 'ClusterRole', name: 'system:auth-delegator' }, subjects };
  const ownBinding: ClusterRoleBinding = { apiVersion: `${rbac}/v1`, kind: 'ClusterRoleBinding', metadata: { name: 'system:metrics-server', labels }, roleRef: { apiGroup: rbac, kind: 'ClusterRole', name: 'system:metrics-server' }, subjects };
  const service: Service = { apiVersion: 'v1', kind: 'Service', metadata: { name, namespace, labels }, spec: { selector: labels, ports: [{ name: 'https', port: 443, protocol: 'TCP', targetPort: 'https' }] } } as Service;
  const probe = (path: string, o: Record<string, number>) => ({ httpGet: { path, port: 'https', scheme: 'HTTPS' }, ...o });
  const deployment = addonDeployment({
    name,
    namespace,
    labels,
    strategy: { rollingUpdate: { maxUnavailable: 0 } },
    containers: [
      kubetsContainer(opts, 'metrics-server', 1000, {
        name: 'metrics-server',
        args: [`--secure-port=${metricsServerDefaults.securePort}`, '--kubelet-preferred-address-types=InternalIP,ExternalIP,Hostname', '--kubelet-use-node-status-port', '--metric-resolution=15s'],
        ports: [{ name: 'https', containerPort: metricsServerDefaults.securePort, protocol: 'TCP' }],
        readinessProbe: probe('/readyz', { initialDelaySeconds: 20, periodSeconds: 10, failureThreshold: 3 }),
        livenessProbe: probe('/livez', { periodSeconds: 10, failureThreshold: 3 }),
        resources: { requests: { cpu: '100m', memory: '200Mi' } },
      }),
    ],
  });
  const apiService: APIService = {
    apiVersion: 'apiregistration.k8s.io/v1',
    kind: 'APIService',
    metadata: { name: metricsServerNames.apiService, labels },
    spec: { group: 'metrics.k8s.io', version: 'v1beta1', service: { name, namespace, port: 443 }, insecureSkipTLSVerify: true, groupPriorityMinimum: 100, versionPriority: 100 },
  };
  return [serviceAccount, reader, own, authReader, delegator, ownBinding, service, deployment, apiService];
}
