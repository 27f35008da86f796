// Admission for namespace resource policy, as kube-apiserver's LimitRanger and ResourceQuota plugins do it:
// LimitRanges fill container requests/limits defaults and enforce min/max/ratio; ResourceQuotas charge each new
// object against `status.used` (a compare-and-swap on the quota, so concurrent creates cannot both take the last
// unit) and reject what would exceed `hard` with a 403. The resource quota controller recomputes `used` from what
// exists, which releases usage when objects go away.
import { StatusError } from '../../api/errors.js';
import { formatQuantity, parseQuantity } from '../../api/quantity.js';
import type { KubeObject } from '../../api/types.js';
import { RevisionConflictError, type Store } from '../storage/store.js';
import { registry, storePrefix, type ResourceDef } from './registry.js';
import type { Admission } from './rest.js';
import { computeUsed, countsKind, formatUsed, scopesMatch, usageOf, type Usage } from '../../api/quota.js';
import { podResources, qosClass } from '../../api/pods.js';
import { type ResourceRef } from '../../api/resources.js';

type Any = any;

/** Runs admission plugins in order: mutating ones (limits) before the ones that charge or allocate. */
export function composeAdmission(...plugins: Admission[]): Admission {
  return {
    async beforeCreate(def, obj) {
      for (const p of plugins) await p.beforeCreate?.(def, obj);
    },
    async beforeUpdate(def, obj, old) {
      for (const p of plugins) await p.beforeUpdate?.(def, obj, old);
    },
    async afterDelete(def, obj) {
      for (const p of plugins) await p.afterDelete?.(def, obj);
    },
  };
}

const forbidden = (def: ResourceDef, obj: KubeObject, message: string) => {
  const name = obj.metadata.name ?? '';
  const qualified = def.group ? `${def.plural}.${def.group}` : def.plural;
  return new StatusError(403, 'Forbidden', `${qualified} "${name}" is forbidden: ${message}`, { name, group: def.group || undefined, kind: def.plural });
};

/** Go's error aggregate: one message alone, several in brackets. */
const aggregate = (errs: string[]) => (errs.length === 1 ? errs[0] : `[${errs.join(', ')}]`);

async function listIn(store: Store, def: ResourceRef, namespace: string): Promise<Any[]> {
  const page = await store.list(storePrefix(def, namespace));
  return page.items.map((kv) => JSON.parse(kv.value));
}

const quotas = registry.find((d) => d.kind === 'ResourceQuota')!;
const limitRanges = registry.find((d) => d.kind === 'LimitRange')!;

const computeNames = new Set(['cpu', 'memory', 'requests.cpu', 'requests.memory', 'limits.cpu', 'limits.memory']);

/** Quotas on cpu or memory require every container to state them (kube's backward-compatible rule). */
function missingResources(quota: Any, pod: Any): string | undefined {
  const required = Object.keys(quota.spec?.hard ?? {}).filter((r) => computeNames.has(r));
  if (!required.length) return undefined;
  const missing = new Map<string, Set<string>>();
  for (const c of pod.spec?.containers ?? []) {
    for (const r of required) {
      const [which, res] = r.startsWith('limits.') ? ['limits', r.slice(7)] : ['requests', r.replace(/^requests\./, '')];
      if (c.resources?.[which]?.[res] === undefined) (missing.get(r) ?? missing.set(r, new Set()).get(r)!).add(c.name);
    }
  }
  if (!missing.size) return undefined;
  return 'must specify ' + [...missing.keys()].sort().map((r) => `${r} for: ${[...missing.get(r)!].sort().join(',')}`).join('; ');
}

const pretty = (u: Usage, names: string[], hard: Any) => names.map((r) => `${r}=${formatQuantity(u[r] ?? 0, hard[r])}`).join(',');

export class QuotaAdmission implements Admission {
  constructor(
    private readonly store: Store,
    private readonly clock: () => number = Date.now,
  ) {}

  async beforeCreate(def: ResourceDef, obj: KubeObject): Promise<void> {
    if (!def.namespaced || def.storage) return;
    const namespace = obj.metadata.namespace!;
    for (let attempt = 0; ; attempt++) {
      try {
        return await this.charge(def, obj, namespace);
      } catch (e) {
        // Another write charged the same quota first: read it again and re-decide.
        if (e instanceof RevisionConflictError && attempt < 10) continue;
        throw e;
      }
    }
  }

  private async charge(def: ResourceDef, obj: KubeObject, namespace: string): Promise<void> {
    const page = await this.store.list(storePrefix(quotas, namespace));
    if (!page.items.length) return;
    const usage = usageOf(def, obj, this.clock());
    const writes: { key: string; rev: number; quota: Any }[] = [];
    const sorted = page.items.map((kv) => ({ kv, quota: JSON.parse(kv.value) as Any })).sort((a, b) => String(a.quota.metadata.name).localeCompare(b.quota.metadata.name));
    for (const { kv, quota } of sorted) {
      const hard: Any = quota.spec?.hard ?? {};
      if (!scopesMatch(quota, def, obj)) continue;
      const names = Object.keys(hard).filter((r) => countsKind(r, def)).sort();
      if (!names.length) continue;
      if (def.kind === 'Pod' && !def.group) {
        const missing = missingResources(quota, obj);
        if (missing) throw forbidden(def, obj, `failed quota: ${quota.metadata.name}: ${missing}`);
      }
      const requested = names.filter((r) => usage[r] !== undefined);
      if (!requested.length) continue;
      // The ledger is status.used while it describes the current spec; else count what exists now.
      const fresh = JSON.stringify(quota.status?.hard ?? null) === JSON.stringify(hard) && quota.status?.used;
      const used: Usage = fresh
        ? Object.fromEntries(Object.keys(hard).map((r) => [r, parseQuantity(quota.status.used[r] ?? '0')]))
        : await computeUsed(quota, (d) => listIn(this.store, d, namespace), this.clock());
      const next: Usage = { ...used };
      for (const r of requested) next[r] = (next[r] ?? 0) + usage[r];
      const exceeded = requested.filter((r) => next[r] > parseQuantity(hard[r]) + 1e-9);
      if (exceeded.length)
        throw forbidden(def, obj, `exceeded quota: ${quota.metadata.name}, requested: ${pretty(usage, exceeded, hard)}, used: ${pretty(used, exceeded, hard)}, limited: ${exceeded.map((r) => `${r}=${hard[r]}`).join(',')}`);
      writes.push({ key: kv.key, rev: kv.modRevision, quota: { ...quota, status: { hard: { ...hard }, used: formatUsed(quota, next) } } });
    }
    for (const w of writes) {
      const { resourceVersion: _, ...meta } = w.quota.metadata;
      await this.store.update(w.key, JSON.stringify({ ...w.quota, metadata: meta }), w.rev);
    }
  }
}

// ---- limit ranges ----

const limitAnnotation = 'kubernetes.io/limit-ranger';

function applyDefaults(c: Any, item: Any, prefix: string, notes: string[]): void {
  c.resources ??= {};
  const set = { limits: [] as string[], requests: [] as string[] };
  for (const [which, from] of [['limits', item.default], ['requests', item.defaultRequest]] as const) {
    for (const [r, v] of Object.entries(from ?? {})) {
      c.resources[which] ??= {};
      if (c.resources[which][r] === undefined) {
        c.resources[which][r] = v;
        set[which].push(r);
      }
    }
  }
  if (set.requests.length) notes.push(`${set.requests.sort().join(', ')} request for ${prefix} ${c.name}`);
  if (set.limits.length) notes.push(`${set.limits.sort().join(', ')} limit for ${prefix} ${c.name}`);
}

/** min / max / maxLimitRequestRatio of one item against one container's (or the pod's) requests and limits. */
function checkItem(item: Any, kind: string, requests: Record<string, unknown>, limits: Record<string, unknown>, errs: string[]): void {
  for (const [r, min] of Object.entries(item.min ?? {})) {
    const m = parseQuantity(min as string);
    if (requests[r] === undefined) errs.push(`minimum ${r} usage per ${kind} is ${min}.  No request is specified`);
    else if (parseQuantity(requests[r] as string) < m) errs.push(`minimum ${r} usage per ${kind} is ${min}, but request is ${requests[r]}`);
    else if (limits[r] !== undefined && parseQuantity(limits[r] as string) < m) errs.push(`minimum ${r} usage per ${kind} is ${min}, but limit is ${limits[r]}`);
  }
  for (const [r, max] of Object.entries(item.max ?? {})) {
    const m = parseQuantity(max as string);
    if (limits[r] === undefined) errs.push(`maximum ${r} usage per ${kind} is ${max}.  No limit is specified`);
    else if (parseQuantity(limits[r] as string) > m) errs.push(`maximum ${r} usage per ${kind} is ${max}, but limit is ${limits[r]}`);
    else if (requests[r] !== undefined && parseQuantity(requests[r] as string) > m) errs.push(`maximum ${r} usage per ${kind} is ${max}, but request is ${requests[r]}`);
  }
  for (const [r, ratio] of Object.entries(item.maxLimitRequestRatio ?? {})) {
    const req = parseQuantity(requests[r] as string);
    const lim = parseQuantity(limits[r] as string);
    if (requests[r] === undefined || req === 0) {
      if (limits[r] !== undefined) errs.push(`${r} max limit to request ratio per ${kind} is ${ratio}, but no request is specified or request is 0`);
      continue;
    }
    if (limits[r] === undefined) {
      errs.push(`${r} max limit to request ratio per ${kind} is ${ratio}, but no limit is specified`);
      continue;
    }
    const observed = lim / req;
    if (observed > parseQuantity(ratio as string)) errs.push(`${r} max limit to request ratio per ${kind} is ${ratio}, but provided ratio is ${observed.toFixed(6)}`);
  }
}

const toStrings = (u: Usage): Record<string, string> => Object.fromEntries(Object.entries(u).map(([r, v]) => [r, formatQuantity(v)]));

export class LimitRanger implements Admission {
  constructor(private readonly store: Store) {}

  async beforeCreate(def: ResourceDef, obj: KubeObject): Promise<void> {
    if (def.kind !== 'Pod' || def.group) return;
    const ranges = await listIn(this.store, limitRanges, obj.metadata.namespace!);
    if (!ranges.length) return;
    const pod = obj as Any;
    const notes: string[] = [];
    const errs: string[] = [];
    for (const lr of ranges.sort((a, b) => String(a.metadata.name).localeCompare(b.metadata.name))) {
      const items: Any[] = lr.spec?.limits ?? [];
      for (const item of items.filter((i) => i.type === 'Container')) {
        for (const c of pod.spec?.containers ?? []) applyDefaults(c, item, 'container', notes);
        for (const c of pod.spec?.initContainers ?? []) applyDefaults(c, item, 'init container', notes);
      }
      for (const item of items) {
        if (item.type === 'Container') {
          for (const c of [...(pod.spec?.containers ?? []), ...(pod.spec?.initContainers ?? [])]) checkItem(item, 'Container', c.resources?.requests ?? {}, c.resources?.limits ?? {}, errs);
        } else if (item.type === 'Pod') {
          checkItem(item, 'Pod', toStrings(podResources(pod.spec, 'requests')), toStrings(podResources(pod.spec, 'limits')), errs);
        }
      }
    }
    if (errs.length) throw forbidden(def, obj, aggregate(errs));
    if (notes.length) {
      pod.metadata.annotations = { ...(pod.metadata.annotations ?? {}), [limitAnnotation]: `LimitRanger plugin set: ${notes.join('; ')}` };
      if (pod.status?.qosClass) pod.status.qosClass = qosClass(pod.spec);
    }
  }
}
