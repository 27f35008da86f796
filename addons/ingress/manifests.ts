// ingress-nginx's deployment as a DaemonSet with host ports (its bare-metal "hostNetwork/hostPort" layout) as data:
// ServiceAccount ingress-controller, ClusterRole and ClusterRoleBinding system:kubets:ingress-controller (what the
// controller watches, and Ingress status), a Role in kube-system for finding its own pods, the IngressClass `kubets`
// marked default, and the DaemonSet running `kubets ingress-controller` from the kubets image on every worker — host
// ports 80 and 443, probes on :10254/healthz. It does not tolerate the control-plane taint: the master serves no
// Ingress traffic.
import type { ClusterRole, ClusterRoleBinding, Container, DaemonSet, IngressClass, KubeObject, Role, RoleBinding } from '../../api/types.js';
import { DEFAULT_INGRESS_CLASS_ANNOTATION } from '../../api/types.js';
import { ingressDefaults } from './config.js';

export interface IngressManifestOptions {
  /** The kubets image (built locally and imported on every node). */
  image: string;
  /** The command that runs kubets in that image (default: kubets on its PATH). */
  command?: string[];
  imagePullPolicy?: 'IfNotPresent' | 'Never' | 'Always';
}

export const ingressNames = {
  namespace: 'kube-system',
  serviceAccount: 'ingress-controller',
  clusterRole: 'system:kubets:ingress-controller',
  role: 'ingress-controller',
  daemonSet: 'ingress-controller',
  ingressClass: ingressDefaults.ingressClass,
} as const;

const labels = { 'app.kubernetes.io/name': 'ingress-controller', 'app.kubernetes.io/component': 'controller' };
const selector = 'app.kubernetes.io/name=ingress-controller';

/** The objects in the order they are applied. */
export function ingressManifests(opts: IngressManifestOptions): KubeObject[] {
  const { namespace } = ingressNames;
  const serviceAccount: KubeObject = { apiVersion: 'v1', kind: 'ServiceAccount', metadata: { name: ingressNames.serviceAccount, namespace, labels } };
  const subjects = [{ kind: 'ServiceAccount' as const, name: ingressNames.serviceAccount, namespace }];
  const clusterRole: ClusterRole = {
    apiVersion: 'rbac.authorization.k8s.io/v1',
    kind: 'ClusterRole',
    metadata: { name: ingressNames.clusterRole, labels },
    rules: [
      { apiGroups: ['networking.k8s.io'], resources: ['ingresses', 'ingressclasses'], verbs: ['get', 'list', 'watch'] },
      { apiGroups: ['networking.k8s.io'], resources: ['ingresses/status'], verbs: ['update'] },
      { apiGroups: [''], resources: ['services', 'secrets'], verbs: ['get', 'list', 'watch'] },
      { apiGroups: ['discovery.k8s.io'], resources: ['endpointslices'], verbs: ['get', 'list', 'watch'] },
    ],
  };
  const clusterBinding: ClusterRoleBinding = {
    apiVersion: 'rbac.authorization.k8s.io/v1',
    kind: 'ClusterRoleBinding',
    metadata: { name: ingressNames.clusterRole, labels },
    roleRef: { apiGroup: 'rbac.authorization.k8s.io', kind: 'ClusterRole', name: ingressNames.clusterRole },
    subjects,
  };
  // Its own pods, whose nodes are the Ingresses' addresses.
  const role: Role = {
    apiVersion: 'rbac.authorization.k8s.io/v1',
    kind: 'Role',
    metadata: { name: ingressNames.role, namespace, labels },
    rules: [{ apiGroups: [''], resources: ['pods'], verbs: ['get', 'list', 'watch'] }],
  };
  const roleBinding: RoleBinding = {
    apiVersion: 'rbac.authorization.k8s.io/v1',
    kind: 'RoleBinding',
    metadata: { name: ingressNames.role, namespace, labels },
    roleRef: { apiGroup: 'rbac.authorization.k8s.io', kind: 'Role', name: ingressNames.role },
    subjects,
  };
  const ingressClass: IngressClass = {
    apiVersion: 'networking.k8s.io/v1',
    kind: 'IngressClass',
    metadata: { name: ingressNames.ingressClass, labels, annotations: { [DEFAULT_INGRESS_CLASS_ANNOTATION]: 'true' } },
    spec: { controller: ingressDefaults.controllerClass },
  };
  const probe = (o: Record<string, number>) => ({ httpGet: { path: '/healthz', port: ingressDefaults.healthzPort, scheme: 'HTTP' }, timeoutSeconds: 1, successThreshold: 1, ...o });
  const container: Container & Record<string, unknown> = {
    name: 'controller',
    image: opts.image,
    imagePullPolicy: opts.imagePullPolicy ?? 'IfNotPresent',
    command: [...(opts.command ?? ['kubets']), 'ingress-controller'],
    args: [
      `--controller-class=${ingressDefaults.controllerClass}`,
      `--ingress-class=${ingressDefaults.ingressClass}`,
      `--http-port=${ingressDefaults.httpPort}`,
      `--https-port=${ingressDefaults.httpsPort}`,
      `--healthz-port=${ingressDefaults.healthzPort}`,
      `--status-pod-selector=${selector}`,
    ],
    env: [
      { name: 'POD_NAME', valueFrom: { fieldRef: { apiVersion: 'v1', fieldPath: 'metadata.name' } } },
      { name: 'POD_NAMESPACE', valueFrom: { fieldRef: { apiVersion: 'v1', fieldPath: 'metadata.namespace' } } },
    ],
    ports: [
      { name: 'http', containerPort: ingressDefaults.httpPort, hostPort: ingressDefaults.httpPort, protocol: 'TCP' },
      { name: 'https', containerPort: ingressDefaults.httpsPort, hostPort: ingressDefaults.httpsPort, protocol: 'TCP' },
      { name: 'healthz', containerPort: ingressDefaults.healthzPort, protocol: 'TCP' },
    ],
    livenessProbe: probe({ initialDelaySeconds: 10, periodSeconds: 10, failureThreshold: 5 }),
    readinessProbe: probe({ periodSeconds: 2, failureThreshold: 3 }),
    resources: { requests: { cpu: '100m', memory: '90Mi' } },
    securityContext: { allowPrivilegeEscalation: false, capabilities: { add: ['NET_BIND_SERVICE'], drop: ['ALL'] }, readOnlyRootFilesystem: true },
  };
  const daemonSet: DaemonSet = {
    apiVersion: 'apps/v1',
    kind: 'DaemonSet',
    metadata: { name: ingressNames.daemonSet, namespace, labels },
    spec: {
      selector: { matchLabels: { 'app.kubernetes.io/name': labels['app.kubernetes.io/name'] } },
      updateStrategy: { type: 'RollingUpdate', rollingUpdate: { maxUnavailable: 1 } },
      template: {
        metadata: { labels },
        spec: {
          serviceAccountName: ingressNames.serviceAccount,
          priorityClassName: 'system-cluster-critical',
          nodeSelector: { 'kubernetes.io/os': 'linux' },
          terminationGracePeriodSeconds: 30,
          containers: [container],
        },
      },
    },
  } as DaemonSet;
  return [serviceAccount, clusterRole, clusterBinding, role, roleBinding, ingressClass, daemonSet];
}
