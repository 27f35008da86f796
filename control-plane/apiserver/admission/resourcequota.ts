// The ResourceQuota admission plugin (kube: plugin/pkg/admission/resourcequota), validating: each new object is
// charged against its namespace's quotas' `status.used` (a compare-and-swap on the quota, so concurrent creates cannot
// both take the last unit) and what would exceed `hard` is refused with a 403. The resource quota controller
// recomputes `used` from what exists, which releases usage when objects go away.
import { formatQuantity, parseQuantity } from '../../../api/quantity.js';
import { computeUsed, countsKind, formatUsed, scopesMatch, usageOf, type Usage } from '../../../api/quota.js';
import type { KubeObject } from '../../../api/types.js';
import { RevisionConflictError, type Store } from '../../storage/store.js';
import { findByPlural, storeKey, type ResourceDef } from '../registry/kinds.js';
import type { WriteAttributes } from '../registry/store.js';
import { forbidden, type AdmissionPlugin } from './chain.js';
import type { NamespaceLister } from './lister.js';

type Any = any;

const quotas = findByPlural('', 'v1', 'resourcequotas')!;

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

export class ResourceQuota implements AdmissionPlugin {
  readonly name = 'ResourceQuota';

  constructor(
    private readonly store: Store,
    private readonly list: NamespaceLister,
    private readonly clock: () => number = Date.now,
  ) {}

  async validate({ operation, def, object: obj }: WriteAttributes): Promise<void> {
    if (operation !== 'CREATE' || !def.namespaced || def.storage) return;
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
    const found: Any[] = await this.list(quotas, namespace);
    if (!found.length) return;
    const usage = usageOf(def, obj, this.clock());
    const writes: { key: string; rev: number; quota: Any }[] = [];
    for (const quota of found.sort((a, b) => String(a.metadata.name).localeCompare(b.metadata.name))) {
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
        : await computeUsed(quota, (d) => this.list(d, namespace), this.clock());
      const next: Usage = { ...used };
      for (const r of requested) next[r] = (next[r] ?? 0) + usage[r];
      const exceeded = requested.filter((r) => next[r] > parseQuantity(hard[r]) + 1e-9);
      if (exceeded.length)
        throw forbidden(def, obj, `exceeded quota: ${quota.metadata.name}, requested: ${pretty(usage, exceeded, hard)}, used: ${pretty(used, exceeded, hard)}, limited: ${exceeded.map((r) => `${r}=${hard[r]}`).join(',')}`);
      writes.push({ key: storeKey(quotas, namespace, quota.metadata.name), rev: Number(quota.metadata.resourceVersion), quota: { ...quota, status: { hard: { ...hard }, used: formatUsed(quota, next) } } });
    }
    for (const w of writes) {
      const { resourceVersion: _, ...meta } = w.quota.metadata;
      await this.store.update(w.key, JSON.stringify({ ...w.quota, metadata: meta }), w.rev);
    }
  }
}
