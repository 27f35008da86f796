// ResourceQuota usage (pkg/quota/v1/evaluator/core): what an object charges against a quota, which quota resource
// names count which kind, scope matching, and usage recomputed from the objects that exist. Quota admission in the
// API server and the resource quota controller evaluate with these same rules.
import { podResources, qosClass } from './pods.js';
import { formatQuantity } from './quantity.js';
import { Resources, type ResourceRef } from './resources.js';

type Any = any;
export type Usage = Record<string, number>;

/** Whether a pod still counts toward compute quota: not finished, not past its deletion grace. */
export function podCounts(p: Any, now = Date.now()): boolean {
  if (p.status?.phase === 'Succeeded' || p.status?.phase === 'Failed') return false;
  if (p.metadata?.deletionTimestamp) {
    const until = Date.parse(p.metadata.deletionTimestamp) + (p.metadata.deletionGracePeriodSeconds ?? 0) * 1000;
    if (now > until) return false;
  }
  return true;
}

const isCorePods = (r: ResourceRef) => r.kind === 'Pod' && !r.group;
const isCoreServices = (r: ResourceRef) => r.kind === 'Service' && !r.group;
const countName = (r: ResourceRef) => (r.group ? `count/${r.plural}.${r.group}` : `count/${r.plural}`);
const legacyCounts: Record<string, string> = { services: 'services', configmaps: 'configmaps', secrets: 'secrets', resourcequotas: 'resourcequotas', replicationcontrollers: 'replicationcontrollers', persistentvolumeclaims: 'persistentvolumeclaims' };

/** Kinds with storage of their own (events.k8s.io Events are a view of core Events and count as those). */
const countedKinds: ResourceRef[] = Object.values(Resources).filter((r) => r !== Resources.eventsV1);

/** What one object uses, in quota resource names (pods: count, compute requests and limits; services: ports…). */
export function usageOf(kind: ResourceRef, obj: Any, now = Date.now()): Usage {
  const u: Usage = { [countName(kind)]: 1 };
  if (!kind.group && legacyCounts[kind.plural]) u[legacyCounts[kind.plural]] = 1;
  if (isCorePods(kind)) {
    if (!podCounts(obj, now)) return u;
    u.pods = 1;
    for (const [r, v] of Object.entries(podResources(obj.spec, 'requests'))) {
      u[`requests.${r}`] = v;
      if (!r.includes('/')) u[r] = v;
    }
    for (const [r, v] of Object.entries(podResources(obj.spec, 'limits'))) u[`limits.${r}`] = v;
  }
  if (isCoreServices(kind)) {
    const type = obj.spec?.type;
    if (type === 'NodePort' || type === 'LoadBalancer') u['services.nodeports'] = (obj.spec?.ports ?? []).length;
    if (type === 'LoadBalancer') u['services.loadbalancers'] = 1;
  }
  return u;
}

/** The kind a quota resource name counts (undefined for names no known kind produces). */
export function kindForQuotaResource(resource: string): ResourceRef | undefined {
  if (resource.startsWith('count/')) {
    const [plural, ...group] = resource.slice('count/'.length).split('.');
    return countedKinds.find((r) => r.plural === plural && r.group === group.join('.'));
  }
  if (resource.startsWith('services.')) return Resources.services;
  if (legacyCounts[resource]) return countedKinds.find((r) => !r.group && r.plural === resource);
  return Resources.pods; // pods, cpu, memory, requests.*, limits.*: pod compute resources
}

/** Whether the quota resource name counts objects of this kind. */
export function countsKind(resource: string, kind: ResourceRef): boolean {
  const k = kindForQuotaResource(resource);
  return !!k && k.group === kind.group && k.plural === kind.plural;
}

const isBestEffort = (p: Any) => qosClass(p.spec) === 'BestEffort';

/** Whether a quota's scopes select this object: scoped quotas only ever track pods. */
export function scopesMatch(quota: Any, kind: ResourceRef, obj: Any): boolean {
  const scopes: string[] = [...(quota.spec?.scopes ?? []), ...((quota.spec?.scopeSelector?.matchExpressions ?? []) as Any[]).filter((e) => e.operator === 'Exists').map((e) => e.scopeName)];
  if (!scopes.length) return true;
  if (!isCorePods(kind)) return false;
  return scopes.every((s) => {
    switch (s) {
      case 'Terminating':
        return obj.spec?.activeDeadlineSeconds !== undefined && obj.spec?.activeDeadlineSeconds !== null;
      case 'NotTerminating':
        return obj.spec?.activeDeadlineSeconds === undefined || obj.spec?.activeDeadlineSeconds === null;
      case 'BestEffort':
        return isBestEffort(obj);
      case 'NotBestEffort':
        return !isBestEffort(obj);
      case 'PriorityClass':
        return !!obj.spec?.priorityClassName;
      default:
        return false;
    }
  });
}

/** Quota usage from the objects that exist now: for each hard resource, the sum over matching objects. */
export async function computeUsed(quota: Any, list: (kind: ResourceRef) => Promise<Any[]>, now = Date.now()): Promise<Usage> {
  const hard = Object.keys(quota.spec?.hard ?? {});
  const used: Usage = Object.fromEntries(hard.map((r) => [r, 0]));
  const kinds = new Map<string, ResourceRef>();
  for (const r of hard) {
    const k = kindForQuotaResource(r);
    if (k) kinds.set(`${k.group}/${k.plural}`, k);
  }
  for (const k of kinds.values()) {
    for (const o of await list(k)) {
      if (!scopesMatch(quota, k, o)) continue;
      const u = usageOf(k, o, now);
      for (const r of hard) if (u[r] !== undefined) used[r] += u[r];
    }
  }
  return used;
}

/** status.used as quantities, in the style of each hard value. */
export function formatUsed(quota: Any, used: Usage): Record<string, string> {
  return Object.fromEntries(Object.keys(quota.spec?.hard ?? {}).sort().map((r) => [r, formatQuantity(used[r] ?? 0, quota.spec.hard[r])]));
}
