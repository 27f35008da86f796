// The PATCH bodies Kubernetes accepts: JSON merge patch (RFC 7386), JSON patch (RFC 6902) and strategic merge patch
// (k8s.io/apimachinery/pkg/util/strategicpatch), whose lists merge where the type's schema says so
// (x-kubernetes-patch-strategy "merge", by x-kubernetes-patch-merge-key) and which understands the directives
// kubectl's 3-way apply sends ($patch, $setElementOrder, $deleteFromPrimitiveList, $retainKeys).
import { badRequest, StatusError } from './errors.js';

type Json = null | boolean | number | string | Json[] | { [k: string]: Json };
type Obj = { [k: string]: Json };

const isObj = (v: unknown): v is Obj => typeof v === 'object' && v !== null && !Array.isArray(v);
const clone = <T>(v: T): T => (v === undefined ? v : JSON.parse(JSON.stringify(v)));

// ---- RFC 7386 ----

export function mergePatch(target: unknown, patch: unknown): unknown {
  if (!isObj(patch)) return clone(patch);
  const out: Obj = isObj(target) ? clone(target) : {};
  for (const [k, v] of Object.entries(patch)) {
    if (v === null) delete out[k];
    else out[k] = mergePatch(out[k], v) as Json;
  }
  return out;
}

// ---- RFC 6902 ----

interface Op {
  op: string;
  path: string;
  from?: string;
  value?: Json;
}

function pointer(p: string): string[] {
  if (p === '') return [];
  if (!p.startsWith('/')) throw badRequest(`JSON patch path "${p}" must start with "/"`);
  return p
    .slice(1)
    .split('/')
    .map((s) => s.replace(/~1/g, '/').replace(/~0/g, '~'));
}

function parentOf(doc: Json, parts: string[], p: string): { parent: Obj | Json[]; last: string } {
  let cur: Json = doc;
  for (const part of parts.slice(0, -1)) {
    if (Array.isArray(cur)) cur = cur[Number(part)];
    else if (isObj(cur)) cur = cur[part];
    else cur = undefined as unknown as Json;
    if (cur === undefined || cur === null) throw new StatusError(422, 'Invalid', `the server rejected our request due to an error in our request: jsonpatch: path "${p}" doesn't exist`);
  }
  if (!isObj(cur) && !Array.isArray(cur)) throw new StatusError(422, 'Invalid', `jsonpatch: path "${p}" doesn't exist`);
  return { parent: cur, last: parts[parts.length - 1] };
}

function getAt(doc: Json, p: string): Json {
  let cur: Json = doc;
  for (const part of pointer(p)) {
    if (Array.isArray(cur)) cur = cur[Number(part)];
    else if (isObj(cur)) cur = cur[part];
    else cur = undefined as unknown as Json;
    if (cur === undefined) throw new StatusError(422, 'Invalid', `jsonpatch: path "${p}" doesn't exist`);
  }
  return cur;
}

export function jsonPatch(target: unknown, ops: unknown): unknown {
  if (!Array.isArray(ops)) throw badRequest('json patch must be an array of operations');
  let doc = clone(target) as Json;
  for (const raw of ops as Op[]) {
    if (!isObj(raw as unknown) || typeof raw.path !== 'string') throw badRequest('json patch operation needs "op" and "path"');
    const parts = pointer(raw.path);
    const add = (value: Json) => {
      if (parts.length === 0) {
        doc = value;
        return;
      }
      const { parent, last } = parentOf(doc, parts, raw.path);
      if (Array.isArray(parent)) {
        const idx = last === '-' ? parent.length : Number(last);
        if (!(idx >= 0 && idx <= parent.length)) throw new StatusError(422, 'Invalid', `jsonpatch: index ${last} out of range`);
        parent.splice(idx, 0, value);
      } else parent[last] = value;
    };
    const remove = () => {
      const { parent, last } = parentOf(doc, parts, raw.path);
      if (Array.isArray(parent)) {
        const idx = Number(last);
        if (!(idx >= 0 && idx < parent.length)) throw new StatusError(422, 'Invalid', `jsonpatch: index ${last} out of range`);
        return parent.splice(idx, 1)[0];
      }
      if (!(last in parent)) throw new StatusError(422, 'Invalid', `jsonpatch: path "${raw.path}" doesn't exist`);
      const v = parent[last];
      delete parent[last];
      return v;
    };
    switch (raw.op) {
      case 'add':
        add(clone(raw.value as Json));
        break;
      case 'remove':
        remove();
        break;
      case 'replace':
        remove();
        add(clone(raw.value as Json));
        break;
      case 'move': {
        const v = getAt(doc, raw.from ?? '');
        const fromParts = pointer(raw.from ?? '');
        const { parent, last } = parentOf(doc, fromParts, raw.from ?? '');
        if (Array.isArray(parent)) parent.splice(Number(last), 1);
        else delete parent[last];
        add(v);
        break;
      }
      case 'copy':
        add(clone(getAt(doc, raw.from ?? '')));
        break;
      case 'test':
        if (JSON.stringify(getAt(doc, raw.path)) !== JSON.stringify(raw.value))
          throw new StatusError(422, 'Invalid', `testing value ${raw.path} failed`);
        break;
      default:
        throw badRequest(`unknown JSON patch operation "${raw.op}"`);
    }
  }
  return doc;
}

// ---- strategic merge patch ----

/** The strategic-merge facts of one field, as the type's schema states them (kube's strategicpatch.PatchMeta). */
export interface PatchMeta {
  /** x-kubernetes-patch-strategy, split on commas: "merge", "retainKeys", "replace". */
  strategies: string[];
  /** x-kubernetes-patch-merge-key: the field the items of a merged list are matched by. */
  mergeKey?: string;
}

/**
 * What strategic merge patch needs to know of the type it patches (kube's LookupPatchMeta): for each field, its
 * patch meta and the schema of its value (of its items, for a list). The API server answers it from the kind's
 * OpenAPI schema; without one, every list is replaced and every map merged.
 */
export interface PatchSchema {
  field(name: string): { meta: PatchMeta; schema?: PatchSchema };
}

const NO_FIELD = { meta: { strategies: [] } as PatchMeta, schema: undefined };
const fieldOf = (schema: PatchSchema | undefined, name: string) => schema?.field(name) ?? NO_FIELD;

/** Directives only mean something to the merge: a value the patch sets whole is stored without them. */
function withoutDirectives(v: Json): Json {
  if (Array.isArray(v)) return v.map(withoutDirectives);
  if (!isObj(v)) return v;
  const out: Obj = {};
  for (const [k, x] of Object.entries(v)) {
    if (k === '$patch' || k === '$retainKeys' || k.startsWith('$setElementOrder/') || k.startsWith('$deleteFromPrimitiveList/')) continue;
    out[k] = withoutDirectives(x);
  }
  return out;
}

export function strategicMergePatch(target: unknown, patch: unknown, schema?: PatchSchema): unknown {
  if (!isObj(patch)) throw badRequest('strategic merge patch must be a JSON object');
  return smpObject(isObj(target) ? clone(target) : {}, patch, schema);
}

function smpObject(target: Obj, patch: Obj, schema: PatchSchema | undefined): Obj {
  if (patch.$patch === 'replace') {
    const { $patch: _, ...rest } = patch;
    return clone(rest);
  }
  if (patch.$patch === 'delete') return {};
  const retain = patch.$retainKeys;
  for (const [k, v] of Object.entries(patch)) {
    if (k === '$patch' || k === '$retainKeys') continue;
    if (k.startsWith('$setElementOrder/')) continue; // applied after the merge, below
    if (k.startsWith('$deleteFromPrimitiveList/')) {
      const field = k.slice('$deleteFromPrimitiveList/'.length);
      const drop = new Set((Array.isArray(v) ? v : []).map((x) => JSON.stringify(x)));
      if (Array.isArray(target[field])) target[field] = (target[field] as Json[]).filter((x) => !drop.has(JSON.stringify(x)));
      continue;
    }
    if (v === null) {
      delete target[k];
      continue;
    }
    const { meta, schema: sub } = fieldOf(schema, k);
    if (meta.strategies.includes('replace')) target[k] = withoutDirectives(clone(v));
    else if (isObj(v)) target[k] = smpObject(isObj(target[k]) ? (target[k] as Obj) : {}, v, sub);
    else if (Array.isArray(v)) target[k] = smpList(Array.isArray(target[k]) ? (target[k] as Json[]) : [], v, meta, sub);
    else target[k] = v;
  }
  for (const [k, v] of Object.entries(patch)) {
    if (!k.startsWith('$setElementOrder/') || !Array.isArray(v)) continue;
    const field = k.slice('$setElementOrder/'.length);
    const list = target[field];
    if (!Array.isArray(list)) continue;
    target[field] = reorder(list, v, fieldOf(schema, field).meta.mergeKey);
  }
  if (Array.isArray(retain)) {
    const keep = new Set(retain as string[]);
    for (const k of Object.keys(target)) if (!keep.has(k)) delete target[k];
  }
  return target;
}

/** A list merges when its strategy says "merge": maps by their merge key, primitives as a union; else it is replaced. */
function smpList(target: Json[], patch: Json[], meta: PatchMeta, items: PatchSchema | undefined): Json[] {
  const key = meta.mergeKey;
  const merge = meta.strategies.includes('merge');
  if (!merge || !key) {
    if (merge) {
      const out = [...target];
      for (const v of patch) if (!out.some((x) => JSON.stringify(x) === JSON.stringify(v))) out.push(v);
      return out;
    }
    // A list without a merge key is replaced, minus any directive entries.
    return withoutDirectives(clone(patch.filter((e) => !(isObj(e) && '$patch' in e)))) as Json[];
  }
  if (patch.some((e) => isObj(e) && e.$patch === 'replace')) return clone(patch.filter((e) => !(isObj(e) && e.$patch === 'replace')));
  const out = [...target];
  for (const item of patch) {
    if (!isObj(item)) {
      out.push(item);
      continue;
    }
    const idx = out.findIndex((t) => isObj(t) && t[key] === item[key]);
    if (item.$patch === 'delete') {
      if (idx >= 0) out.splice(idx, 1);
      continue;
    }
    if (idx >= 0) out[idx] = smpObject(out[idx] as Obj, item, items);
    else out.push(smpObject({}, item, items));
  }
  return out;
}

function reorder(list: Json[], order: Json[], key: string | undefined): Json[] {
  const id = (x: Json) => (key && isObj(x) ? JSON.stringify(x[key]) : JSON.stringify(x));
  const rank = new Map(order.map((o, i) => [key && isObj(o) ? JSON.stringify(o[key]) : JSON.stringify(o), i] as const));
  return [...list].sort((a, b) => (rank.get(id(a)) ?? Infinity) - (rank.get(id(b)) ?? Infinity));
}
