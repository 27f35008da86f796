// pkg/controller/resourcequota syncResourceQuota, as a pure decision: a quota's status is its hard limits and what
// the objects that exist use (computeUsed in api/quota.ts measures it), written only when it changes.
import { formatUsed, type Usage } from '../../../api/quota.js';
import type { KubeObject } from '../../../api/types.js';

export interface ResourceQuota extends KubeObject {
  spec?: { hard?: Record<string, string>; scopes?: string[] };
  status?: { hard?: Record<string, string>; used?: Record<string, string> };
}

/** The status for this usage, or undefined when the quota already says so. */
export function computeQuotaStatus(quota: ResourceQuota, used: Usage): NonNullable<ResourceQuota['status']> | undefined {
  const status = { hard: { ...(quota.spec?.hard ?? {}) }, used: formatUsed(quota, used) };
  return JSON.stringify(status) === JSON.stringify(quota.status ?? {}) ? undefined : status;
}

/** Whether the quota's status.hard lags its spec (a new or changed quota). */
export const hardStale = (q: ResourceQuota) => JSON.stringify(q.spec?.hard ?? {}) !== JSON.stringify(q.status?.hard ?? null);
