// pkg/controller/certificates/rootcacertpublisher Publisher, as a pure decision: every active namespace holds the
// ConfigMap kube-root-ca.crt with the cluster CA, so pods can verify the API server (projected token volumes mount it).
import type { KubeObject, Namespace } from '../../../api/types.js';

export const ROOT_CA_CONFIGMAP = 'kube-root-ca.crt';
const DESCRIPTION = 'Contains a CA bundle that can be used to verify the kube-apiserver when using internal endpoints such as the internal service IP or kubernetes.default.svc. No other usage is guaranteed across distributions of Kubernetes clusters.';

export interface RootCAObserved {
  namespace: Namespace;
  current?: KubeObject & { data?: Record<string, string> };
  caPem: string;
}

export type RootCAAction = { type: 'none' } | { type: 'create'; configMap: KubeObject } | { type: 'update'; configMap: KubeObject };

export function computeRootCA({ namespace, current, caPem }: RootCAObserved): RootCAAction {
  if (namespace.metadata.deletionTimestamp || namespace.status?.phase === 'Terminating') return { type: 'none' };
  const want = { 'ca.crt': caPem };
  const annotations = { 'kubernetes.io/description': DESCRIPTION };
  if (!current) return { type: 'create', configMap: { apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: ROOT_CA_CONFIGMAP, namespace: namespace.metadata.name, annotations }, data: want } };
  const same = JSON.stringify(current.data ?? {}) === JSON.stringify(want) && current.metadata.annotations?.['kubernetes.io/description'] === DESCRIPTION;
  if (same) return { type: 'none' };
  return { type: 'update', configMap: { ...current, metadata: { ...current.metadata, annotations: { ...(current.metadata.annotations ?? {}), ...annotations } }, data: want } };
}
