// pkg/controller/serviceaccount ServiceAccountsController, as a pure decision: every active namespace has the
// service accounts it should (the "default" one), created again if deleted.
import type { Namespace, KubeObject } from '../../../api/types.js';

export const DEFAULT_SERVICE_ACCOUNTS = ['default'];

export interface ServiceAccountObserved {
  namespace: Namespace;
  /** Names of the service accounts the namespace has. */
  existing: Set<string>;
}

/** The service accounts to create in the namespace (none while it is terminating). */
export function computeServiceAccounts({ namespace, existing }: ServiceAccountObserved): KubeObject[] {
  if (namespace.metadata.deletionTimestamp || namespace.status?.phase === 'Terminating') return [];
  return DEFAULT_SERVICE_ACCOUNTS.filter((n) => !existing.has(n)).map((name) => ({ apiVersion: 'v1', kind: 'ServiceAccount', metadata: { name, namespace: namespace.metadata.name } }));
}
