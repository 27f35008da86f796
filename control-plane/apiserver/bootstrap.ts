// Objects every cluster starts with (kube: pkg/controlplane's system namespaces controller and the `kubernetes`
// Service and endpoint reconciler): the system namespaces and the `kubernetes` Service in `default`, whose endpoints
// are the API server itself.
import { isAlreadyExists, isNotFound } from '../../api/errors.js';
import type { KubeObject } from '../../api/types.js';
import { findByPlural, type ResourceDef } from './registry/kinds.js';
import type { GenericStore } from './registry/store.js';

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
  for (const name of ['default', 'kube-system', 'kube-public', 'kube-node-lease']) await ensure(store, resource('namespaces'), undefined, { metadata: { name } });
  await ensure(store, resource('services'), 'default', {
    metadata: { name: 'kubernetes', labels: { component: 'apiserver', provider: 'kubernetes' } },
    spec: { type: 'ClusterIP', clusterIP: opts.serviceIP, ports: [{ name: 'https', port: 443, protocol: 'TCP', targetPort: opts.port }], sessionAffinity: 'None' },
  });
  await ensure(store, resource('endpoints'), 'default', {
    metadata: { name: 'kubernetes', labels: { 'endpointslice.kubernetes.io/skip-mirror': 'true' } },
    subsets: [{ addresses: [{ ip: opts.advertiseAddress }], ports: [{ name: 'https', port: opts.port, protocol: 'TCP' }] }],
  }, true);
  await ensure(store, resource('endpointslices', 'discovery.k8s.io'), 'default', {
    metadata: { name: 'kubernetes', labels: { 'kubernetes.io/service-name': 'kubernetes', 'endpointslice.kubernetes.io/managed-by': 'kubets-apiserver' } },
    addressType: 'IPv4',
    endpoints: [{ addresses: [opts.advertiseAddress], conditions: { ready: true, serving: true, terminating: false } }],
    ports: [{ name: 'https', port: opts.port, protocol: 'TCP' }],
  }, true);
}
