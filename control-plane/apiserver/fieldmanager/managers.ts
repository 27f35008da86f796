// managedFields bookkeeping, as kube-apiserver's field manager keeps it: one entry per manager, operation
// (Apply or Update), API version and subresource, each owning a field set.
//   - update: a PUT/PATCH/POST makes its manager own every field it added or changed; fields it changed or
//     removed are taken from the other managers (updates always win).
//   - apply: the applier owns exactly the fields of its configuration; fields it owned before and now omits
//     are removed from the object unless someone else owns them; changing a field another manager owns is a
//     conflict unless forced, in which case ownership moves to the applier.
import { StatusError } from '../../../api/errors.js';
import type { KubeObject, StatusCause } from '../../../api/types.js';
import type { Schema } from '../openapi/dsl.js';
import { fieldPE, FieldSet, pathString, type Path } from './fieldset.js';
import { compare, ensureNamedFieldsAreMembers, materialize, merge, removeItems, toFieldSet, type Comparison } from './typed.js';

type Any = any;

export interface ManagedFieldsEntry {
  manager?: string;
  operation?: 'Apply' | 'Update';
  apiVersion?: string;
  time?: string;
  fieldsType?: 'FieldsV1';
  fieldsV1?: Record<string, unknown>;
  subresource?: string;
}

export interface Managed {
  set: FieldSet;
  apiVersion: string;
  applied: boolean;
  time?: string;
}

/** Managers by identifier: the JSON of {manager, operation, apiVersion (Update only), subresource}. */
export type Managers = Map<string, Managed>;

/** How the writes of one request are tracked. */
export interface TrackingContext {
  /** The kind's schema (undefined: every field is deduced from its value). */
  schema: Schema | undefined;
  /** group/version of the kind. */
  apiVersion: string;
  /** The subresource written through ("status", "scale"), if any. */
  subresource?: string;
  /** RFC 3339 time, to the second. */
  now: string;
  /** Drops the fields this endpoint may not own (resetFilter). */
  filter: (s: FieldSet) => FieldSet;
}

export const LAST_APPLIED = 'kubectl.kubernetes.io/last-applied-configuration';
const MAX_UPDATE_MANAGERS = 10;

export function managerId(manager: string, operation: 'Apply' | 'Update', apiVersion: string, subresource?: string): string {
  return JSON.stringify({ manager: manager || 'unknown', operation, ...(operation === 'Update' ? { apiVersion } : {}), ...(subresource ? { subresource } : {}) });
}

function parseId(id: string): { manager: string; operation: 'Apply' | 'Update'; apiVersion?: string; subresource?: string } {
  return JSON.parse(id);
}

/** `"kubectl" with subresource "status" using apps/v1`, as conflicts name a manager. */
export function printManager(id: string): string {
  let e: ReturnType<typeof parseId>;
  try {
    e = parseId(id);
  } catch {
    return JSON.stringify(id);
  }
  let s = JSON.stringify(e.manager);
  if (e.subresource) s = `${s} with subresource ${JSON.stringify(e.subresource)}`;
  if (e.operation === 'Update') s = `${s} using ${e.apiVersion}`;
  return s;
}

/** Reads managedFields; throws a 500-class Error for entries the server could not have written. */
export function decodeManagedFields(entries: unknown): Managers {
  const out: Managers = new Map();
  if (entries === undefined || entries === null) return out;
  if (!Array.isArray(entries)) throw new Error('managedFields must be a list');
  entries.forEach((raw, i) => {
    const e = raw as ManagedFieldsEntry;
    if (!e || typeof e !== 'object') throw new Error(`managed fields entry ${i} must be an object`);
    if (e.operation !== 'Apply' && e.operation !== 'Update') throw new Error('operation must be `Apply` or `Update`');
    if (!e.apiVersion) throw new Error('apiVersion must not be empty');
    if (!e.fieldsType) throw new Error(`missing fieldsType in managed fields entry ${i}`);
    if (e.fieldsType !== 'FieldsV1') throw new Error(`invalid fieldsType "${e.fieldsType}" in managed fields entry ${i}`);
    const id = managerId(e.manager ?? '', e.operation, e.apiVersion, e.subresource);
    out.set(id, { set: FieldSet.fromFieldsV1(e.fieldsV1 ?? {}), apiVersion: e.apiVersion, applied: e.operation === 'Apply', ...(e.time ? { time: e.time } : {}) });
  });
  return out;
}

const seconds = (t?: string) => (t ? Math.floor(Date.parse(t) / 1000) : 0);

/** Writes managedFields in kube-apiserver's order: Apply before Update, then by time, manager, version, subresource. */
export function encodeManagedFields(managers: Managers): ManagedFieldsEntry[] | undefined {
  const entries: ManagedFieldsEntry[] = [];
  for (const [id, m] of managers) {
    if (m.set.isEmpty()) continue;
    const who = parseId(id);
    entries.push({
      manager: who.manager,
      operation: m.applied ? 'Apply' : 'Update',
      apiVersion: m.apiVersion,
      ...(m.time ? { time: m.time } : {}),
      fieldsType: 'FieldsV1',
      fieldsV1: m.set.toFieldsV1(),
      ...(who.subresource ? { subresource: who.subresource } : {}),
    });
  }
  if (!entries.length) return undefined;
  const cmp = (a: string | undefined, b: string | undefined) => ((a ?? '') < (b ?? '') ? -1 : (a ?? '') > (b ?? '') ? 1 : 0);
  return entries.sort((p, q) => cmp(p.operation, q.operation) || seconds(p.time) - seconds(q.time) || cmp(p.manager, q.manager) || cmp(p.apiVersion, q.apiVersion) || cmp(p.subresource, q.subresource));
}

function copyManagers(m: Managers): Managers {
  return new Map([...m].map(([id, v]) => [id, { ...v, set: v.set.copy() }]));
}

// ---- conflicts ----

export interface Conflict {
  manager: string;
  path: Path;
}

export class ConflictError extends Error {
  constructor(readonly conflicts: Conflict[]) {
    super(conflictMessage(conflicts));
  }

  toStatusError(): StatusError {
    const causes: StatusCause[] = this.conflicts.map((c) => ({ reason: 'FieldManagerConflict', message: `conflict with ${printManager(c.manager)}`, field: pathString(c.path) }));
    return new StatusError(409, 'Conflict', this.message, { causes });
  }
}

function conflictMessage(conflicts: Conflict[]): string {
  if (conflicts.length === 1) return `Apply failed with 1 conflict: conflict with ${printManager(conflicts[0].manager)}: ${pathString(conflicts[0].path)}`;
  const byManager = new Map<string, Path[]>();
  for (const c of conflicts) byManager.set(c.manager, [...(byManager.get(c.manager) ?? []), c.path]);
  const lines: string[] = [];
  for (const m of [...byManager.keys()].sort()) {
    lines.push(`conflicts with ${printManager(m)}:`);
    for (const p of byManager.get(m)!) lines.push(`- ${pathString(p)}`);
  }
  return `Apply failed with ${conflicts.length} conflicts: ${lines.join('\n')}`;
}

// ---- the update and apply algorithms ----

/** Fields the server sets, which no manager owns. */
const serverOwned = FieldSet.of(
  ['f:apiVersion'],
  ['f:kind'],
  ['f:metadata'],
  ...['name', 'namespace', 'creationTimestamp', 'selfLink', 'uid', 'clusterName', 'generation', 'managedFields', 'resourceVersion'].map((f) => ['f:metadata', fieldPE(f)]),
);

/**
 * Fields a write through this endpoint may not own: status through the main resource of kinds with a status
 * subresource, everything but status through /status (kube-apiserver's "reset fields").
 */
export function resetFilter(subresource: string | undefined, hasStatus: boolean): (s: FieldSet) => FieldSet {
  if (subresource === 'status') return (s) => s.only(['f:status']);
  if (hasStatus) {
    const status = FieldSet.of(['f:status']);
    return (s) => s.recursiveDifference(status);
  }
  return (s) => s;
}

/** The object as the comparisons see it: without the bookkeeping, in Go's typed view. */
function typedView(obj: unknown, schema: Schema | undefined): unknown {
  if (!obj || typeof obj !== 'object') return obj;
  const o = obj as Any;
  const { managedFields: _mf, resourceVersion: _rv, ...meta } = o.metadata ?? {};
  // Go's typed objects cannot tell an explicit null from an unset field: neither counts as a value.
  return materialize(dropNulls({ ...o, metadata: meta }), schema);
}

function filtered(c: Comparison, filter: (s: FieldSet) => FieldSet): Comparison {
  return { added: filter(c.added), modified: filter(c.modified), removed: filter(c.removed) };
}

/**
 * Ownership after live became next: fields next changed or added are taken from every manager but `self`
 * (a conflict when not forced), and fields it removed are owned by nobody any more.
 */
function transfer(live: unknown, next: unknown, managers: Managers, self: string, force: boolean, ctx: TrackingContext): Comparison {
  const c = filtered(compare(typedView(live, ctx.schema), typedView(next, ctx.schema), ctx.schema), ctx.filter);
  const changed = c.modified.union(c.added);
  const conflicts: Conflict[] = [];
  const taken = new Map<string, FieldSet>();
  for (const [id, m] of managers) {
    if (id === self) continue;
    const lost = m.set.intersection(changed);
    if (lost.isEmpty()) continue;
    taken.set(id, lost);
    for (const path of lost.paths()) conflicts.push({ manager: id, path });
  }
  if (!force && conflicts.length) throw new ConflictError(conflicts.sort((a, b) => (a.manager < b.manager ? -1 : a.manager > b.manager ? 1 : 0)));
  for (const [id, lost] of taken) managers.get(id)!.set = managers.get(id)!.set.difference(lost);
  if (!c.removed.isEmpty()) for (const [id, m] of managers) if (id !== self) m.set = m.set.difference(c.removed);
  for (const [id, m] of managers) if (m.set.isEmpty()) managers.delete(id);
  return c;
}

/** Folds the oldest Update managers into "ancient-changes" once there are more than ten of them. */
function capUpdateManagers(managers: Managers): void {
  const updaters = [...managers].filter(([, m]) => !m.applied).map(([id]) => id);
  if (updaters.length <= MAX_UPDATE_MANAGERS) return;
  updaters.sort((a, b) => seconds(managers.get(a)!.time) - seconds(managers.get(b)!.time) || (a < b ? -1 : a > b ? 1 : 0));
  const firstByVersion = new Map<string, string>();
  let count = updaters.length;
  for (let i = 0; i < updaters.length && count > MAX_UPDATE_MANAGERS; i++) {
    const id = updaters[i];
    const m = managers.get(id)!;
    const bucket = managerId('ancient-changes', 'Update', m.apiVersion);
    const first = firstByVersion.get(m.apiVersion);
    if (first === undefined) {
      firstByVersion.set(m.apiVersion, id);
      continue;
    }
    if (!managers.has(bucket)) {
      managers.set(bucket, managers.get(first)!);
      managers.delete(first);
    }
    const b = managers.get(bucket)!;
    managers.set(bucket, { set: m.set.union(b.set), apiVersion: m.apiVersion, applied: false, time: m.time });
    managers.delete(id);
    count--;
  }
}

/**
 * Records an update (create, PUT, non-apply PATCH) by `manager`: returns the managers afterwards. `live` is
 * undefined on create.
 */
export function recordUpdate(live: KubeObject | undefined, next: KubeObject, managers: Managers, manager: string, ctx: TrackingContext): Managers {
  const out = copyManagers(managers);
  const self = '\0current-operation';
  const c = transfer(live ?? {}, next, out, self, true, ctx);
  const owned = c.modified.union(c.added).difference(serverOwned);
  if (!owned.isEmpty()) {
    const id = managerId(manager, 'Update', ctx.apiVersion, ctx.subresource);
    const prev = out.get(id);
    out.set(id, { set: prev ? prev.set.union(owned) : owned, apiVersion: ctx.apiVersion, applied: false, time: ctx.now });
  }
  capUpdateManagers(out);
  return out;
}

export interface ApplyOptions {
  manager: string;
  force: boolean;
}

export interface ApplyResult {
  object: KubeObject;
  managers: Managers;
  /** False when the object is exactly as it was (ownership may still have changed). */
  changed: boolean;
}

/** Applies `config` onto `live` (an empty object to create one) for `opts.manager`. Throws ConflictError. */
export function applyConfig(live: KubeObject, config: KubeObject, managers: Managers, opts: ApplyOptions, ctx: TrackingContext): ApplyResult {
  let base = managers;
  if (base.size === 0) {
    // The fields of an object nobody tracked yet belong to a manager of their own, so that the first apply
    // neither conflicts with nor removes them.
    base = recordUpdate({ metadata: {} } as KubeObject, live, base, 'before-first-apply', ctx);
  }
  try {
    return applyOnce(live, config, base, opts, ctx);
  } catch (e) {
    if (!(e instanceof ConflictError) || opts.manager !== 'kubectl') throw e;
    // kubectl moving from client-side apply: fields whose live value is still what it last applied may be taken.
    const allowed = allowedFromLastApplied(live, ctx);
    if (!allowed) throw e;
    const remaining = e.conflicts.filter((c) => !allowed.has(c.path));
    if (remaining.length) throw new ConflictError(remaining);
    return applyOnce(live, config, base, { ...opts, force: true }, ctx);
  }
}

function applyOnce(live: KubeObject, config: KubeObject, managers: Managers, opts: ApplyOptions, ctx: TrackingContext): ApplyResult {
  const { schema } = ctx;
  const out = copyManagers(managers);
  const id = managerId(opts.manager, 'Apply', ctx.apiVersion, ctx.subresource);
  const liveValue = withoutBookkeeping(live);
  const merged = merge(liveValue, config, schema) as KubeObject;
  const last = out.get(id);
  const set = ctx.filter(toFieldSet(config, schema));
  out.set(id, { set, apiVersion: ctx.apiVersion, applied: true, ...(last?.time ? { time: last.time } : {}) });
  const pruned = last && !last.set.isEmpty() ? prune(merged, out, last.set, schema) : merged;
  const c = transfer(liveValue, pruned, out, id, opts.force, ctx);
  const mine = out.get(id);
  if (mine) {
    mine.set = mine.set.difference(serverOwned);
    if (mine.set.isEmpty()) out.delete(id);
  }
  // Changes to fields this endpoint may not write (status through the main resource) do not count.
  const changed = !(c.added.isEmpty() && c.modified.isEmpty() && c.removed.isEmpty());
  if (changed && out.has(id)) out.get(id)!.time = ctx.now;
  let object = changed ? (dropNulls(pruned) as KubeObject) : structuredClone(liveValue);
  if (opts.manager === 'kubectl' && object.metadata?.annotations?.[LAST_APPLIED]) object = withLastApplied(object, config);
  return { object, managers: out, changed };
}

/**
 * Removes what the applier owned last time and no longer names, unless another manager owns it; paths that
 * were never the applier's stay.
 */
function prune(merged: unknown, managers: Managers, lastSet: FieldSet, schema: Schema | undefined): unknown {
  const ensure = (s: FieldSet) => ensureNamedFieldsAreMembers(s, schema);
  const last = ensure(lastSet);
  const mergedSet = ensure(toFieldSet(merged, schema));
  const firstCut = removeItems(merged, last, schema);
  let owned = new FieldSet();
  for (const m of managers.values()) owned = owned.union(m.set);
  const keptSet = ensure(toFieldSet(firstCut, schema)).union(ensure(owned));
  const withOwned = removeItems(merged, mergedSet.difference(keptSet), schema);
  const gone = mergedSet.difference(ensure(toFieldSet(withOwned, schema))).intersection(last);
  return removeItems(merged, gone, schema) ?? {};
}

/** Fields of kubectl's last client-side apply whose live value is still the applied one. */
function allowedFromLastApplied(live: KubeObject, ctx: TrackingContext): FieldSet | undefined {
  const text = live.metadata?.annotations?.[LAST_APPLIED];
  if (!text) return undefined;
  let last: Any;
  try {
    last = JSON.parse(text);
  } catch {
    return undefined;
  }
  if (!last || typeof last !== 'object' || last.apiVersion !== ctx.apiVersion) return undefined;
  const c = compare(last, typedView(live, ctx.schema), ctx.schema);
  return toFieldSet(last, ctx.schema).difference(c.modified).difference(c.added).difference(c.removed);
}

/** The applied configuration becomes kubectl's last-applied annotation, as client-side apply would write it. */
function withLastApplied(obj: KubeObject, config: KubeObject): KubeObject {
  const applied = structuredClone(config) as Any;
  if (applied.metadata?.annotations) delete applied.metadata.annotations[LAST_APPLIED];
  const out = structuredClone(obj);
  out.metadata.annotations = { ...out.metadata.annotations, [LAST_APPLIED]: JSON.stringify(sortKeys(applied)) + '\n' };
  return out;
}

function sortKeys(v: unknown): unknown {
  if (Array.isArray(v)) return v.map(sortKeys);
  if (v && typeof v === 'object') return Object.fromEntries(Object.keys(v).sort().map((k) => [k, sortKeys((v as Any)[k])]));
  return v;
}

function withoutBookkeeping(obj: KubeObject): KubeObject {
  const o = structuredClone(obj);
  o.metadata ??= {};
  delete o.metadata.managedFields;
  return o;
}

/** An applied null clears a field: the stored object simply leaves it out. */
function dropNulls(v: unknown): unknown {
  if (Array.isArray(v)) return v.map(dropNulls);
  if (v && typeof v === 'object') {
    const out: Any = {};
    for (const [k, x] of Object.entries(v)) if (x !== null && x !== undefined) out[k] = dropNulls(x);
    return out;
  }
  return v;
}
