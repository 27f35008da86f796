// kubeadm's kube-proxy add-on (cmd/kubeadm/app/phases/addons/proxy) as data: ServiceAccount kube-proxy, the ConfigMap
// kube-proxy (config.conf: a KubeProxyConfiguration; kubeconfig.conf: the API server by its real address with the
// pod's service-account token), the DaemonSet kube-proxy running `kubets proxy` on every node's host network, and
// the Role letting joining nodes read that ConfigMap (how `kubets join` learns the cluster runs kube-proxy itself).
// The ClusterRoleBinding to system:node-proxier is one of the API server's bootstrap bindings (joinPolicy).
import { JOIN_GROUP } from '../../api/bootstraptoken.js';
import type { Container, DaemonSet, KubeObject, Role, RoleBinding } from '../../api/types.js';
import { serviceAccountDir } from '../../api/client.js';
import { proxyConfigFileText, proxyDefaults } from './config.js';
import type { ProxyMode } from './modes.js';

export interface ProxyManifestOptions {
  /** The kubets image (built locally and imported on every node). */
  image: string;
  /** The API server as nodes reach it (https://IP:6443): not the kubernetes Service, which kube-proxy itself makes work. */
  apiServer: string;
  mode?: ProxyMode;
  clusterCIDR?: string;
  /** Where /metrics and /proxyMode listen (kube's default 127.0.0.1:10249). */
  metricsBindAddress?: string;
}

export const proxyNames = { namespace: 'kube-system', name: 'kube-proxy', configDir: '/var/lib/kube-proxy' } as const;

/**
 * The label an agent that runs kube-proxy itself (k3s's way, any mode it was given) puts on its Node: the DaemonSet's
 * pods stay off that node, so one node can run IPVS in a cluster whose kube-proxy ConfigMap says nftables.
 */
export const embeddedProxyLabel = { key: 'kubets.io/kube-proxy', value: 'embedded' } as const;

/** The kubeconfig a kube-proxy pod uses: its own token and CA, read from the files the kubelet mounts (and refreshes). */
export function proxyKubeconfigText(apiServer: string): string {
  return [
    'apiVersion: v1',
    'kind: Config',
    'clusters:',
    '- cluster:',
    `    certificate-authority: ${serviceAccountDir}/ca.crt`,
    `    server: ${apiServer}`,
    '  name: default',
    'contexts:',
    '- context:',
    '    cluster: default',
    '    namespace: default',
    '    user: default',
    '  name: default',
    'current-context: default',
    'users:',
    '- name: default',
    '  user:',
    `    tokenFile: ${serviceAccountDir}/token`,
    '',
  ].join('\n');
}

/** The objects in the order they are applied. */
export function proxyManifests(opts: ProxyManifestOptions): KubeObject[] {
  const { namespace, name, configDir } = proxyNames;
  const labels = { 'k8s-app': name };
  const serviceAccount: KubeObject = { apiVersion: 'v1', kind: 'ServiceAccount', metadata: { name, namespace } };
  const configMap: KubeObject & { data: Record<string, string> } = {
    apiVersion: 'v1',
    kind: 'ConfigMap',
    metadata: { name, namespace, labels: { app: name } },
    data: {
      'config.conf': proxyConfigFileText({ mode: opts.mode ?? proxyDefaults.mode, clusterCIDR: opts.clusterCIDR ?? proxyDefaults.clusterCIDR, metricsBindAddress: opts.metricsBindAddress }),
      'kubeconfig.conf': proxyKubeconfigText(opts.apiServer),
    },
  };
  const container: Container & Record<string, unknown> = {
    name,
    image: opts.image,
    imagePullPolicy: 'IfNotPresent',
    command: ['kubets', 'proxy', `--config=${configDir}/config.conf`, '--hostname-override=$(NODE_NAME)'],
    env: [{ name: 'NODE_NAME', valueFrom: { fieldRef: { apiVersion: 'v1', fieldPath: 'spec.nodeName' } } }],
    // Rules go into the node's own network namespace.
    securityContext: { privileged: true },
    volumeMounts: [
      { name, mountPath: configDir },
      { name: 'xtables-lock', mountPath: '/run/xtables.lock' },
      { name: 'lib-modules', mountPath: '/lib/modules', readOnly: true },
    ],
  };
  const daemonSet: DaemonSet = {
    apiVersion: 'apps/v1',
    kind: 'DaemonSet',
    metadata: { name, namespace, labels },
    spec: {
      selector: { matchLabels: labels },
      updateStrategy: { type: 'RollingUpdate', rollingUpdate: { maxUnavailable: 1 } },
      template: {
        metadata: { labels },
        spec: {
          priorityClassName: 'system-node-critical',
          serviceAccountName: name,
          hostNetwork: true,
          // Every node, whatever its taints: Services must work everywhere. Except where the agent runs kube-proxy.
          tolerations: [{ operator: 'Exists' }],
          nodeSelector: { 'kubernetes.io/os': 'linux' },
          affinity: {
            nodeAffinity: {
              requiredDuringSchedulingIgnoredDuringExecution: {
                nodeSelectorTerms: [{ matchExpressions: [{ key: embeddedProxyLabel.key, operator: 'NotIn', values: [embeddedProxyLabel.value] }] }],
              },
            },
          },
          containers: [container],
          volumes: [
            { name, configMap: { name } },
            { name: 'xtables-lock', hostPath: { path: '/run/xtables.lock', type: 'FileOrCreate' } },
            { name: 'lib-modules', hostPath: { path: '/lib/modules' } },
          ],
        },
      },
    },
  };
  const role: Role = {
    apiVersion: 'rbac.authorization.k8s.io/v1',
    kind: 'Role',
    metadata: { name, namespace },
    rules: [{ apiGroups: [''], resources: ['configmaps'], resourceNames: [name], verbs: ['get'] }],
  };
  const roleBinding: RoleBinding = {
    apiVersion: 'rbac.authorization.k8s.io/v1',
    kind: 'RoleBinding',
    metadata: { name, namespace },
    roleRef: { apiGroup: 'rbac.authorization.k8s.io', kind: 'Role', name },
    subjects: [{ apiGroup: 'rbac.authorization.k8s.io', kind: 'Group', name: JOIN_GROUP }],
  };
  return [serviceAccount, configMap, daemonSet, role, roleBinding];
}
