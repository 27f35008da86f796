// Walks over object values guided by their merge types (schema.ts), as structured-merge-diff's typed values do:
// the set of fields a value sets, the comparison of two values (added / modified / removed fields), the merge of
// an applied configuration onto a live object, and the removal of a set of fields from a value.
// `undefined` is an absent field; `null` is a value of its own (an explicit null is owned like any value).
import { fieldName, fieldPE, FieldSet, indexPE, keyPE, valuePE, type Path, type PathElement } from './fieldset.js';
import { deepEqual } from '../equality.js';
import { deduce, typeOf, type TypeNode } from './schema.js';
import type { Schema } from '../openapi/dsl.js';
import type { StatusCause } from '../../../api/types.js';
import { duplicate, invalidGo } from '../registry/validation.js';

type Json = unknown;
type Obj = Record<string, Json>;
type ListNode = Extract<TypeNode, { kind: 'list' }>;
type MapNode = Extract<TypeNode, { kind: 'map' }>;

const isObj = (v: Json): v is Obj => typeof v === 'object' && v !== null && !Array.isArray(v);

function nodeOf(schema: Schema | undefined, ...values: Json[]): TypeNode {
  const t = typeOf(schema);
  if (t.kind !== 'deduced') return t;
  return deduce(values.find((v) => v !== undefined && v !== null));
}

function fieldSchema(node: MapNode, key: string): Schema | undefined {
  return node.fields.get(key) ?? node.elem;
}

/** The path element of a list item: its key for list-maps, its value for sets, else its position. */
export function itemPE(node: ListNode, item: Json, index: number): PathElement {
  if (node.keys) {
    if (!isObj(item) || node.keys.length === 0) return indexPE(index);
    const fields: [string, Json][] = [];
    for (const k of node.keys) {
      if (item[k] !== undefined) fields.push([k, item[k]]);
      else if (node.keyDefaults.has(k)) fields.push([k, node.keyDefaults.get(k)]);
    }
    return fields.length ? keyPE(fields) : indexPE(index);
  }
  if (item === null || typeof item === 'object') return indexPE(index);
  return valuePE(item);
}

/** Items of a list by path element, first occurrence wins; order of first appearance kept. */
function indexItems(node: ListNode, list: Json[] | undefined): { order: PathElement[]; byPE: Map<PathElement, Json> } {
  const order: PathElement[] = [];
  const byPE = new Map<PathElement, Json>();
  (list ?? []).forEach((item, i) => {
    const pe = itemPE(node, item, i);
    if (byPE.has(pe)) return;
    byPE.set(pe, item);
    order.push(pe);
  });
  return { order, byPE };
}

/**
 * What structured-merge-diff refuses in an applied configuration ("failed to create typed patch object"): a list or
 * map field given a value of another shape (merging would replace it, pruning then drop it unseen), and items of a
 * set or list-map that repeat an earlier item's value or key ("duplicate entries for key", where merging would keep
 * the first). Field paths as validation writes them: `spec.ports[1]`.
 */
export function configErrors(value: Json, schema: Schema | undefined, path = ''): StatusCause[] {
  const out: StatusCause[] = [];
  const node = nodeOf(schema, value);
  const shape = (want: string) => out.push(invalidGo(path, JSON.stringify(value), `expected ${want}, got ${Array.isArray(value) ? 'list' : isObj(value) ? 'map' : typeof value}`));
  if (node.kind === 'list') {
    if (value === null || value === undefined) return out;
    if (!Array.isArray(value)) {
      shape('list');
      return out;
    }
    const seen = new Set<PathElement>();
    value.forEach((item, i) => {
      const field = `${path}[${i}]`;
      if (!node.atomic) {
        const pe = itemPE(node, item, i);
        if (seen.has(pe)) out.push(duplicate(field, JSON.parse(pe.slice(2))));
        else if (!pe.startsWith('i:')) seen.add(pe);
        out.push(...configErrors(item, node.item, field));
      }
    });
  } else if (node.kind === 'map' && (node.fields.size || node.elem)) {
    if (value === null || value === undefined) return out;
    if (!isObj(value)) {
      shape('map');
      return out;
    }
    if (!node.atomic) for (const [k, v] of Object.entries(value)) out.push(...configErrors(v, fieldSchema(node, k), path ? `${path}.${k}` : k));
  }
  return out;
}

// ---- the fields a value sets ----

/** Every field a value sets: scalars, atomic lists and maps, list items, map keys, empty or null fields. */
export function toFieldSet(value: Json, schema: Schema | undefined): FieldSet {
  const set = new FieldSet();
  walkFields(value, schema, [], set);
  return set;
}

function walkFields(v: Json, schema: Schema | undefined, path: Path, set: FieldSet): void {
  const node = nodeOf(schema, v);
  if (node.kind === 'scalar' || node.kind === 'deduced') {
    set.insert(path);
    return;
  }
  if (node.kind === 'list') {
    if (node.atomic) {
      set.insert(path);
      return;
    }
    if (!Array.isArray(v)) return;
    v.forEach((item, i) => {
      const p = [...path, itemPE(node, item, i)];
      walkFields(item, node.item, p, set);
      set.insert(p);
    });
    return;
  }
  if (node.atomic) {
    set.insert(path);
    return;
  }
  if (!isObj(v)) return;
  for (const [k, val] of Object.entries(v)) {
    if (val === undefined) continue;
    const p = [...path, fieldPE(k)];
    walkFields(val, fieldSchema(node, k), p, set);
    if (val === null || (isObj(val) && Object.keys(val).length === 0) || !node.fields.has(k)) set.insert(p);
  }
}

// ---- comparison ----

export interface Comparison {
  added: FieldSet;
  modified: FieldSet;
  removed: FieldSet;
}

/** What changed from lhs to rhs, field by field. */
export function compare(lhs: Json, rhs: Json, schema: Schema | undefined): Comparison {
  const c: Comparison = { added: new FieldSet(), modified: new FieldSet(), removed: new FieldSet() };
  walkCompare(lhs, rhs, schema, [], c);
  return c;
}

function walkCompare(l: Json, r: Json, schema: Schema | undefined, path: Path, c: Comparison): void {
  const node = nodeOf(schema, r, l);
  let leaf = false;
  const doLeaf = () => {
    leaf = true;
    if (l === undefined) c.added.insert(path);
    else if (r === undefined) c.removed.insert(path);
    else if (!deepEqual(l, r)) c.modified.insert(path);
  };
  if (node.kind === 'scalar' || node.kind === 'deduced') doLeaf();
  else if (node.kind === 'list') {
    const ll = Array.isArray(l) ? l : undefined;
    const rl = Array.isArray(r) ? r : undefined;
    if (node.atomic || (!ll?.length && !rl?.length)) doLeaf();
    else {
      const li = indexItems(node, ll);
      const ri = indexItems(node, rl);
      const all = [...li.order, ...ri.order.filter((pe) => !li.byPE.has(pe))];
      for (const pe of all) walkCompare(li.byPE.get(pe), ri.byPE.get(pe), node.item, [...path, pe], c);
    }
  } else {
    const lm = isObj(l) ? l : undefined;
    const rm = isObj(r) ? r : undefined;
    const empty = (m?: Obj) => !m || Object.keys(m).length === 0;
    if (node.atomic || (empty(lm) && empty(rm))) doLeaf();
    else {
      const keys = [...new Set([...Object.keys(lm ?? {}), ...Object.keys(rm ?? {})])];
      for (const k of keys) {
        const lv = lm?.[k];
        const rv = rm?.[k];
        if (lv === undefined && rv === undefined) continue;
        walkCompare(lv, rv, fieldSchema(node, k), [...path, fieldPE(k)], c);
      }
    }
  }
  if (!leaf && path.length) {
    if (l === undefined) c.added.insert(path);
    else if (r === undefined) c.removed.insert(path);
  }
}

// ---- merge ----

/** The applied configuration (rhs) merged onto the live object (lhs): rhs wins for every field it sets. */
export function merge(lhs: Json, rhs: Json, schema: Schema | undefined): Json {
  const node = nodeOf(schema, rhs, lhs);
  const leaf = () => structuredClone(rhs !== undefined ? rhs : lhs);
  if (node.kind === 'scalar' || node.kind === 'deduced') return leaf();
  if (node.kind === 'list') {
    const ll = Array.isArray(lhs) ? lhs : undefined;
    const rl = Array.isArray(rhs) ? rhs : undefined;
    // null reads as an empty list; a value of another shape replaces the list whole.
    if (node.atomic || (!ll?.length && !rl?.length) || (rhs != null && !rl) || (lhs != null && !ll)) return leaf();
    return mergeList(node, ll, rl);
  }
  const lm = isObj(lhs) ? lhs : undefined;
  const rm = isObj(rhs) ? rhs : undefined;
  const empty = (m?: Obj) => !m || Object.keys(m).length === 0;
  // null reads as an empty map (the live fields stay); a value of another shape replaces the map whole.
  if (node.atomic || (empty(lm) && empty(rm)) || (rhs != null && !rm) || (lhs != null && !lm)) return leaf();
  const out: Obj = {};
  for (const k of new Set([...Object.keys(lm ?? {}), ...Object.keys(rm ?? {})])) {
    const lv = lm?.[k];
    const rv = rm?.[k];
    if (lv === undefined && rv === undefined) continue;
    const v = merge(lv, rv, fieldSchema(node, k));
    if (v !== undefined) out[k] = v;
  }
  return Object.keys(out).length ? out : undefined;
}

/**
 * Items merge by path element. The order keeps the live items where they are and places the applied items in
 * the applied order relative to the items both share (structured-merge-diff's ordering).
 */
function mergeList(node: ListNode, lhs: Json[] | undefined, rhs: Json[] | undefined): Json[] | undefined {
  const l = indexItems(node, lhs);
  const r = indexItems(node, rhs);
  const shared = r.order.filter((pe) => l.byPE.has(pe));
  let nextShared = shared.shift();
  const merged = new Set<PathElement>();
  const out: Json[] = [];
  const push = (pe: PathElement) => {
    const v = merge(l.byPE.get(pe), r.byPE.get(pe), node.item);
    if (v !== undefined) out.push(v);
  };
  let li = 0;
  let ri = 0;
  while (li < l.order.length || ri < r.order.length) {
    if (li < l.order.length && ri < r.order.length) {
      const pe = l.order[li];
      if (pe === r.order[ri]) {
        merged.add(pe);
        push(pe);
        li++;
        ri++;
        nextShared = shared.shift();
        continue;
      }
      if (r.byPE.has(pe) && nextShared !== undefined && nextShared !== pe) {
        li++;
        continue;
      }
    }
    if (li < l.order.length) {
      const pe = l.order[li];
      if (!r.byPE.has(pe)) {
        push(pe);
        li++;
        continue;
      } else if (merged.has(pe)) li++;
    }
    if (ri < r.order.length) {
      const pe = r.order[ri];
      merged.add(pe);
      push(pe);
      ri++;
      if (nextShared === pe) nextShared = shared.shift();
    }
  }
  return out.length ? out : undefined;
}

// ---- removal ----

/** The value without the members of `set` (a member removes the field or item with all that is below it). */
export function removeItems(value: Json, set: FieldSet, schema: Schema | undefined): Json {
  if (set.isEmpty()) return value;
  const node = nodeOf(schema, value);
  if (node.kind === 'list') {
    if (!Array.isArray(value) || value.length === 0 || node.atomic) return value;
    const out: Json[] = [];
    value.forEach((item, i) => {
      const pe = itemPE(node, item, i);
      if (set.members.has(pe)) return;
      const sub = set.children.get(pe);
      out.push(sub ? removeItems(item, sub, node.item) : item);
    });
    return out.length ? out : undefined;
  }
  if (node.kind === 'map') {
    if (!isObj(value) || Object.keys(value).length === 0 || node.atomic) return value;
    const out: Obj = {};
    for (const [k, v] of Object.entries(value)) {
      const pe = fieldPE(k);
      if (set.members.has(pe)) continue;
      const sub = set.children.get(pe);
      const kept = sub ? removeItems(v, sub, fieldSchema(node, k)) : v;
      if (kept !== undefined) out[k] = kept;
    }
    return Object.keys(out).length ? out : undefined;
  }
  return value;
}

/** Struct fields that have owned paths below them become members too, so that removing them removes the field. */
export function ensureNamedFieldsAreMembers(set: FieldSet, schema: Schema | undefined): FieldSet {
  const node = typeOf(schema);
  const out = new FieldSet();
  for (const m of set.members) out.members.add(m);
  for (const [pe, child] of set.children) {
    const name = fieldName(pe);
    let childSchema: Schema | undefined;
    if (node.kind === 'map' && name !== undefined) {
      if (node.fields.has(name)) out.members.add(pe);
      childSchema = fieldSchema(node, name);
    } else if (node.kind === 'list' && !pe.startsWith('f:')) childSchema = node.item;
    out.children.set(pe, ensureNamedFieldsAreMembers(child, childSchema));
  }
  return out;
}

// ---- typed view ----

/**
 * The value as Go's typed objects see it: struct fields that are not pointers are always present, as {} when
 * unset, and fields without omitempty (the required ones) as null. Comparisons use this view, so that `spec`
 * of a new Deployment counts as changed, not as added, as in kube-apiserver's managedFields.
 */
export function materialize(value: Json, schema: Schema | undefined, depth = 0): Json {
  if (depth > 40) return value;
  const node = nodeOf(schema, value);
  if (node.kind === 'map' && !node.atomic && isObj(value)) {
    const out: Obj = {};
    for (const [k, v] of Object.entries(value)) out[k] = v === undefined ? v : materialize(v, fieldSchema(node, k), depth + 1);
    for (const f of node.implicit) if (value[f] === undefined) out[f] = materialize({}, node.fields.get(f), depth + 1);
    for (const f of node.required) if (out[f] === undefined) out[f] = null;
    return out;
  }
  if (node.kind === 'list' && !node.atomic && Array.isArray(value)) return value.map((item) => materialize(item, node.item, depth + 1));
  return value;
}
