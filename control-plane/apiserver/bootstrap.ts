// Objects every cluster starts with (kube: pkg/controlplane's system namespaces controller, the scheduling post-start
// hook and the `kubernetes` Service and endpoint reconciler): the system namespaces, the system priority classes, the
// `kubernetes` Service in `default`, whose endpoints are the API server itself; and the default StorageClass
// `standard` (as k3s ships local-path).
import { isAlreadyExists, isNotFound } from '../../api/errors.js';
import { NET_CONF_KEY, POD_NETWORK_CONFIGMAP, renderNetConf, type PodNetworkMode } from '../../api/podnetwork.js';
import { settledAggregation } from '../../api/rbac.js';
import { DEFAULT_STORAGE_CLASS_ANNOTATION, LOCAL_PATH_PROVISIONER, type ClusterRole, type KubeObject } from '../../api/types.js';
import { findByPlural, type ResourceDef } from './registry/kinds.js';
import type { GenericStore } from './registry/store.js';
import { IMMORTAL_NAMESPACES } from './admission/namespacelifecycle.js';
import { SYSTEM_PRIORITY_CLASSES } from './registry/scheduling/priorityclass.js';

type Any = any;

const resource = (plural: string, group = ''): ResourceDef => findByPlural(group, 'v1', plural)!;

/**
 * Creates the object unless it exists (a restart, or another server on the same etcd); with `refresh`, an existing
 * one is brought up to date (the endpoints follow the server's address).
 */
async function ensure(store: GenericStore, def: ResourceDef, namespace: string | undefined, obj: KubeObject, refresh = false): Promise<void> {
  const existing = await store.get(def, namespace, obj.metadata.name!).catch((e) => (isNotFound(e) ? undefined : Promise.reject(e)));
  if (existing && !refresh) return;
  try {
    await store.create(def, namespace, obj);
  } catch (e) {
    if (!isAlreadyExists(e)) throw e;
    if (refresh) await store.update(def, namespace, obj.metadata.name!, (cur) => ({ ...obj, metadata: { ...cur.metadata } }));
  }
}

export async function bootstrap(store: GenericStore, opts: { serviceIP: string; advertiseAddress: string; port: number }): Promise<void> {
  for (const name of IMMORTAL_NAMESPACES) await ensure(store, resource('namespaces'), undefined, { metadata: { name } });
  for (const pc of SYSTEM_PRIORITY_CLASSES) await ensure(store, resource('priorityclasses', 'scheduling.k8s.io'), undefined, structuredClone(pc));
  await ensure(store, resource('services'), 'default', {
    metadata: { name: 'kubernetes', labels: { component: 'apiserver', provider: 'kubernetes' } },
    spec: { type: 'ClusterIP', clusterIP: opts.serviceIP, ports: [{ name: 'https', port: 443, protocol: 'TCP', targetPort: opts.port }], sessionAffinity: 'None' },
  });
  await ensure(store, resource('endpoints'), 'default', {
    metadata: { name: 'kubernetes', labels: { 'endpointslice.kubernetes.io/skip-mirror': 'true' } },
    subsets: [{ addresses: [{ ip: opts.advertiseAddress }], ports: [{ name: 'https', port: opts.port, protocol: 'TCP' }] }],
  }, true);
  // The default StorageClass, served by the local-path provisioner every node agent runs.
  await ensure(store, findByPlural('storage.k8s.io', 'v1', 'storageclasses')!, undefined, {
    metadata: { name: 'standard', annotations: { [DEFAULT_STORAGE_CLASS_ANNOTATION]: 'true' } },
    provisioner: LOCAL_PATH_PROVISIONER,
    reclaimPolicy: 'Delete',
    volumeBindingMode: 'WaitForFirstConsumer',
  } as KubeObject);
  await ensure(store, resource('endpointslices', 'discovery.k8s.io'), 'default', {
    metadata: { name: 'kubernetes', labels: { 'kubernetes.io/service-name': 'kubernetes', 'endpointslice.kubernetes.io/managed-by': 'kubets-apiserver' } },
    addressType: 'IPv4',
    endpoints: [{ addresses: [opts.advertiseAddress], conditions: { ready: true, serving: true, terminating: false } }],
    ports: [{ name: 'https', port: opts.port, protocol: 'TCP' }],
  }, true);
}

/**
 * The bootstrap RBAC policy, reconciled at every start as kube-apiserver's rbac/bootstrap-roles post-start hook does:
 * missing roles and bindings are created; those still marked rbac.authorization.kubernetes.io/autoupdate=true get
 * back the rules and subjects they are missing (a user's additions stay).
 */
export async function reconcilePolicy(store: GenericStore, objects: { clusterRoles: KubeObject[]; clusterRoleBindings: KubeObject[]; roles: KubeObject[]; roleBindings: KubeObject[] }): Promise<void> {
  const rbac = (plural: string) => findByPlural('rbac.authorization.k8s.io', 'v1', plural)!;
  const sets: [ResourceDef, KubeObject[], 'rules' | 'subjects'][] = [
    [rbac('clusterroles'), settledAggregation(objects.clusterRoles as ClusterRole[]), 'rules'],
    [rbac('clusterrolebindings'), objects.clusterRoleBindings, 'subjects'],
    [rbac('roles'), objects.roles, 'rules'],
    [rbac('rolebindings'), objects.roleBindings, 'subjects'],
  ];
  for (const [def, list, field] of sets) {
    for (const want of list) {
      const ns = want.metadata.namespace;
      const have = await store.get(def, ns, want.metadata.name!).catch((e) => (isNotFound(e) ? undefined : Promise.reject(e)));
      if (!have) {
        await store.create(def, ns, want).catch((e) => (isAlreadyExists(e) ? undefined : Promise.reject(e)));
        continue;
      }
      if (have.metadata.annotations?.['rbac.authorization.kubernetes.io/autoupdate'] !== 'true') continue;
      // Aggregated roles already stored get their rules from the aggregation controller, not from here.
      if (field === 'rules' && (want as { aggregationRule?: unknown }).aggregationRule) continue;
      const current = ((have as Any)[field] ?? []) as unknown[];
      const missing = ((want as Any)[field] ?? []).filter((x: unknown) => !current.some((c) => JSON.stringify(c) === JSON.stringify(x)));
      if (!missing.length) continue;
      await store.update(def, ns, want.metadata.name!, (cur) => ({ ...cur, [field]: [...(((cur as Any)[field] ?? []) as unknown[]), ...missing] }) as KubeObject);
    }
  }
}

/**
 * kubeadm's discovery document: kube-public/cluster-info holds a kubeconfig naming the API server and its CA, which the
 * bootstrap signer signs per token and a joining node reads anonymously.
 */
export async function publishClusterInfo(store: GenericStore, server: string, caPem: string): Promise<void> {
  const kubeconfig = [
    'apiVersion: v1',
    'clusters:',
    '- cluster:',
    `    certificate-authority-data: ${Buffer.from(caPem).toString('base64')}`,
    `    server: ${server}`,
    '  name: ""',
    'contexts: null',
    'current-context: ""',
    'kind: Config',
    'preferences: {}',
    'users: null',
    '',
  ].join('\n');
  const def = resource('configmaps');
  const have = await store.get(def, 'kube-public', 'cluster-info').catch((e) => (isNotFound(e) ? undefined : Promise.reject(e)));
  if (!have) await store.create(def, 'kube-public', { metadata: { name: 'cluster-info', namespace: 'kube-public' }, data: { kubeconfig } }).catch((e) => (isAlreadyExists(e) ? undefined : Promise.reject(e)));
  else if ((have as Any).data?.kubeconfig !== kubeconfig) await store.update(def, 'kube-public', 'cluster-info', (cur) => ({ ...cur, data: { ...((cur as Any).data ?? {}), kubeconfig } }) as KubeObject);
}

/**
 * The cluster's pod network backend for the node agents, in flannel's net-conf.json form (its kube-flannel-cfg
 * ConfigMap), kept equal to the server's config at every start.
 */
export async function publishPodNetwork(store: GenericStore, clusterCIDR: string, mode: PodNetworkMode): Promise<void> {
  const { namespace, name } = POD_NETWORK_CONFIGMAP;
  const data = { [NET_CONF_KEY]: renderNetConf(clusterCIDR, mode) };
  const def = resource('configmaps');
  const have = await store.get(def, namespace, name).catch((e) => (isNotFound(e) ? undefined : Promise.reject(e)));
  if (!have) await store.create(def, namespace, { metadata: { name, namespace }, data }).catch((e) => (isAlreadyExists(e) ? undefined : Promise.reject(e)));
  else if ((have as Any).data?.[NET_CONF_KEY] !== data[NET_CONF_KEY]) await store.update(def, namespace, name, (cur) => ({ ...cur, data: { ...((cur as Any).data ?? {}), ...data } }) as KubeObject);
}
