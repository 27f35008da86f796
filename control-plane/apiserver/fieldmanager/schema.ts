// How each part of an object merges, read from the OpenAPI schemas the server publishes, the way kube-openapi's
// schemaconv turns them into structured-merge-diff types:
//   - lists: x-kubernetes-list-type atomic | set | map (+ x-kubernetes-list-map-keys); without a list type, a
//     strategic-merge "merge" strategy makes a list-map keyed by the merge key (a set without one); else atomic.
//   - objects: structs (properties) and maps (additionalProperties) are granular unless x-kubernetes-map-type atomic.
//   - free-form objects (RawExtension) and fields the schema does not know are "deduced" from their value.
import type { Schema } from '../openapi/dsl.js';
import { extension, patchMetaOf, resolve } from '../openapi/navigator.js';
import { schemaFor } from '../openapi/schemas.js';

export type TypeNode =
  | { kind: 'scalar' }
  | { kind: 'deduced' }
  | {
      kind: 'map';
      fields: Map<string, Schema>;
      /** Schema of keys that are not declared fields (additionalProperties), if any. */
      elem?: Schema;
      atomic: boolean;
      /** Struct fields Go always serializes (non-pointer structs, `default: {}`): absent reads as {}. */
      implicit: string[];
      /** Fields Go serializes even when unset (no omitempty): absent reads as null. */
      required: string[];
    }
  | { kind: 'list'; item?: Schema; atomic: boolean; keys?: string[]; keyDefaults: Map<string, unknown> };

const SCALAR: TypeNode = { kind: 'scalar' };
const DEDUCED: TypeNode = { kind: 'deduced' };
const cache = new WeakMap<Schema, TypeNode>();

/** The merge type of a schema; undefined (an unknown field) is deduced from the value. */
export function typeOf(s: Schema | undefined): TypeNode {
  if (!s) return DEDUCED;
  const hit = cache.get(s);
  if (hit) return hit;
  const t = mergeType(s);
  cache.set(s, t);
  return t;
}

function mergeType(s: Schema): TypeNode {
  const d = resolve(s).schema;
  const ext = (k: string) => extension(s, k);
  if (d['x-kubernetes-int-or-string'] || d.oneOf) return SCALAR;
  switch (d.type) {
    case 'string':
    case 'integer':
    case 'number':
    case 'boolean':
      return SCALAR;
    case 'array': {
      const item = d.items as Schema | undefined;
      const listType = ext('x-kubernetes-list-type');
      const patch = patchMetaOf(s);
      let keys: string[] | undefined;
      let atomic = false;
      if (listType === 'atomic') atomic = true;
      else if (listType === 'map') keys = (ext('x-kubernetes-list-map-keys') as string[] | undefined) ?? [];
      else if (listType === 'set') keys = undefined;
      else if (patch.strategies.includes('merge')) keys = patch.mergeKey ? [patch.mergeKey] : undefined;
      else atomic = true;
      const keyDefaults = new Map<string, unknown>();
      if (keys && item) {
        const props = (resolve(item).schema.properties ?? {}) as Record<string, Schema>;
        for (const k of keys) if (props[k]?.default !== undefined) keyDefaults.set(k, props[k].default);
      }
      return { kind: 'list', item, atomic, keys, keyDefaults };
    }
    case 'object': {
      const props = d.properties as Record<string, Schema> | undefined;
      const addl = d.additionalProperties;
      if (!props && !addl) return DEDUCED;
      const fields = new Map(Object.entries(props ?? {}));
      const implicit: string[] = [];
      for (const [name, f] of fields) {
        const dflt = f.default;
        if (dflt && typeof dflt === 'object' && !Array.isArray(dflt) && Object.keys(dflt).length === 0 && resolve(f).schema.type === 'object') implicit.push(name);
      }
      return {
        kind: 'map',
        fields,
        elem: addl === true ? {} : (addl as Schema | undefined),
        atomic: ext('x-kubernetes-map-type') === 'atomic',
        implicit,
        required: ((d.required as string[] | undefined) ?? []).filter((f) => fields.has(f)),
      };
    }
    default:
      return DEDUCED;
  }
}

/** What a deduced value is: maps are granular, lists atomic, the rest scalars. */
export function deduce(v: unknown): TypeNode {
  if (v && typeof v === 'object' && !Array.isArray(v)) return { kind: 'map', fields: new Map(), elem: undefined, atomic: false, implicit: [], required: [] };
  if (Array.isArray(v)) return { kind: 'list', item: undefined, atomic: true, keyDefaults: new Map() };
  return SCALAR;
}

/** The schema of a whole object of a kind; undefined when the kind has none (then everything is deduced). */
export function kindSchema(group: string, version: string, kind: string): Schema | undefined {
  return schemaFor(group, version, kind);
}
