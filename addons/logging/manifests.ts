// The logging add-on as data (kube: cluster/addons/fluentd-elasticsearch's fluentd-es-ds.yaml and es-statefulset.yaml,
// es-service.yaml): ServiceAccount log-collector with a ClusterRole to get/list/watch pods (labels for the lines),
// the DaemonSet log-collector on every node (tolerating every taint) reading /var/log/pods and keeping its position
// file under a hostPath directory of /var/log (node-local, as fluentd's pos_file), shipping to the Service
// cluster-logs; the store's claim, its Deployment (Recreate: one writer of the database) and the Service on port 80.
import { parseQuantity } from '../../api/quantity.js';
import type { ClusterRole, ClusterRoleBinding, DaemonSet, Deployment, KubeObject, Service } from '../../api/types.js';
import { collectorDefaults, storeDefaults } from './config.js';

export interface LoggingManifestOptions {
  image: string;
  command?: string[];
  imagePullPolicy?: 'IfNotPresent' | 'Never' | 'Always';
  /** Size of the store's claim (and so its size limit: 90% of it). */
  storage?: string;
}

export const loggingNames = { namespace: 'kube-system', collector: 'log-collector', store: 'cluster-logs', port: 80 } as const;

const rbac = 'rbac.authorization.k8s.io';
const STORE_PORT = Number(storeDefaults.listen.split(':').pop());

export function loggingManifests(opts: LoggingManifestOptions): KubeObject[] {
  const { namespace, collector, store } = loggingNames;
  const command = opts.command ?? ['kubets'];
  const pullPolicy = opts.imagePullPolicy ?? 'IfNotPresent';
  const collectorLabels = { 'k8s-app': collector };
  const storeLabels = { 'k8s-app': store };
  const positionDir = collectorDefaults.positionFile.slice(0, collectorDefaults.positionFile.lastIndexOf('/'));

  const serviceAccount: KubeObject = { apiVersion: 'v1', kind: 'ServiceAccount', metadata: { name: collector, namespace, labels: collectorLabels } };
  const role: ClusterRole = {
    apiVersion: `${rbac}/v1`,
    kind: 'ClusterRole',
    metadata: { name: collector, labels: collectorLabels },
    rules: [{ apiGroups: [''], resources: ['pods'], verbs: ['get', 'list', 'watch'] }],
  };
  const binding: ClusterRoleBinding = {
    apiVersion: `${rbac}/v1`,
    kind: 'ClusterRoleBinding',
    metadata: { name: collector, labels: collectorLabels },
    roleRef: { apiGroup: rbac, kind: 'ClusterRole', name: collector },
    subjects: [{ kind: 'ServiceAccount', name: collector, namespace }],
  };
  const daemonSet = {
    apiVersion: 'apps/v1',
    kind: 'DaemonSet',
    metadata: { name: collector, namespace, labels: collectorLabels },
    spec: {
      selector: { matchLabels: collectorLabels },
      updateStrategy: { type: 'RollingUpdate', rollingUpdate: { maxUnavailable: 1 } },
      template: {
        metadata: { labels: collectorLabels },
        spec: {
          priorityClassName: 'system-node-critical',
          serviceAccountName: collector,
          // Every node's logs, the control plane's too.
          tolerations: [{ operator: 'Exists' }],
          nodeSelector: { 'kubernetes.io/os': 'linux' },
          containers: [
            {
              name: collector,
              image: opts.image,
              imagePullPolicy: pullPolicy,
              command: [...command, 'log-collector'],
              args: ['--node-name=$(NODE_NAME)', `--store-url=http://${store}.${namespace}.svc:${loggingNames.port}`, `--pod-log-dir=${collectorDefaults.podLogDir}`, `--position-file=${collectorDefaults.positionFile}`],
              env: [{ name: 'NODE_NAME', valueFrom: { fieldRef: { apiVersion: 'v1', fieldPath: 'spec.nodeName' } } }],
              resources: { requests: { cpu: '50m', memory: '100Mi' }, limits: { memory: '300Mi' } },
              securityContext: { readOnlyRootFilesystem: true, allowPrivilegeEscalation: false },
              volumeMounts: [
                { name: 'pod-logs', mountPath: collectorDefaults.podLogDir, readOnly: true },
                { name: 'positions', mountPath: positionDir },
              ],
            },
          ],
          volumes: [
            { name: 'pod-logs', hostPath: { path: collectorDefaults.podLogDir } },
            { name: 'positions', hostPath: { path: positionDir, type: 'DirectoryOrCreate' } },
          ],
        },
      },
    },
  } as unknown as DaemonSet;

  const storage = opts.storage ?? '2Gi';
  const claim: KubeObject = {
    apiVersion: 'v1',
    kind: 'PersistentVolumeClaim',
    metadata: { name: store, namespace, labels: storeLabels },
    spec: { accessModes: ['ReadWriteOnce'], resources: { requests: { storage } } },
  } as KubeObject;
  const maxBytes = Math.floor(parseQuantity(storage) * 0.9) || storeDefaults.maxBytes;
  const probe = (o: Record<string, number>) => ({ httpGet: { path: '/readyz', port: 'http' }, ...o });
  const deployment = {
    apiVersion: 'apps/v1',
    kind: 'Deployment',
    metadata: { name: store, namespace, labels: storeLabels },
    spec: {
      replicas: 1,
      selector: { matchLabels: storeLabels },
      strategy: { type: 'Recreate' },
      template: {
        metadata: { labels: storeLabels },
        spec: {
          priorityClassName: 'system-cluster-critical',
          automountServiceAccountToken: false,
          nodeSelector: { 'kubernetes.io/os': 'linux' },
          containers: [
            {
              name: store,
              image: opts.image,
              imagePullPolicy: pullPolicy,
              command: [...command, 'cluster-logs'],
              args: [`--listen=0.0.0.0:${STORE_PORT}`, `--data-dir=${storeDefaults.dataDir}`, '--retention-age=168h', `--retention-bytes=${maxBytes}`],
              ports: [{ name: 'http', containerPort: STORE_PORT, protocol: 'TCP' }],
              readinessProbe: probe({ periodSeconds: 5 }),
              livenessProbe: probe({ periodSeconds: 10, failureThreshold: 3 }),
              resources: { requests: { cpu: '100m', memory: '200Mi' } },
              securityContext: { readOnlyRootFilesystem: true, allowPrivilegeEscalation: false, capabilities: { drop: ['ALL'] } },
              volumeMounts: [{ name: 'data', mountPath: storeDefaults.dataDir }],
            },
          ],
          volumes: [{ name: 'data', persistentVolumeClaim: { claimName: store } }],
        },
      },
    },
  } as unknown as Deployment;
  const service = {
    apiVersion: 'v1',
    kind: 'Service',
    metadata: { name: store, namespace, labels: storeLabels },
    spec: { selector: storeLabels, ports: [{ name: 'http', port: loggingNames.port, protocol: 'TCP', targetPort: 'http' }] },
  } as unknown as Service;
  return [serviceAccount, role, binding, daemonSet, claim, deployment, service];
}
