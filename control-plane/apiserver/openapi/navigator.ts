// Walking the served OpenAPI schemas, as kube-openapi's proto.Schema visitors do (k8s.io/kube-openapi/pkg/util/proto,
// k8s.io/apimachinery/pkg/util/strategicpatch PatchMetaFromOpenAPI): references resolved, the extensions of a field
// read, and the strategic-merge patch meta (merge key, patch strategy) of every field looked up from them. Field
// validation, typed decoding, server-side apply and strategic merge patch all read the schemas through here.
import type { PatchMeta, PatchSchema } from '../../../api/patch.js';
import { refPrefix, type Schema } from './dsl.js';
import { definition } from './schemas.js';

/** Follows $ref and the single-entry allOf wrapper kube-openapi puts around described references. */
export function resolve(schema: Schema): { schema: Schema; name?: string } {
  let name: string | undefined;
  for (let depth = 0; depth < 32; depth++) {
    const ref = schema.$ref;
    if (typeof ref === 'string') {
      name = ref.slice(refPrefix.length);
      schema = definition(name) ?? {};
      continue;
    }
    const allOf = schema.allOf as Schema[] | undefined;
    if (allOf?.length === 1 && !schema.properties) {
      schema = allOf[0];
      continue;
    }
    break;
  }
  return { schema, name };
}

/** An extension of a field: set beside the reference (a described field) or on the type it refers to. */
export function extension(field: Schema, key: string): unknown {
  return field[key] ?? resolve(field).schema[key];
}

/** The schema of a field of an object schema: a declared property, else the map's value schema. */
function fieldOf(object: Schema, name: string): Schema | undefined {
  const properties = object.properties as Record<string, Schema> | undefined;
  if (properties && Object.hasOwn(properties, name)) return properties[name];
  const additional = object.additionalProperties;
  return additional && typeof additional === 'object' ? (additional as Schema) : undefined;
}

/** x-kubernetes-patch-strategy (split on commas) and x-kubernetes-patch-merge-key of a field. */
export function patchMetaOf(field: Schema): PatchMeta {
  const strategy = extension(field, 'x-kubernetes-patch-strategy');
  const mergeKey = extension(field, 'x-kubernetes-patch-merge-key');
  return {
    strategies: typeof strategy === 'string' ? strategy.split(',').map((s) => s.trim()).filter(Boolean) : [],
    ...(typeof mergeKey === 'string' ? { mergeKey } : {}),
  };
}

const NO_META: PatchMeta = { strategies: [] };
const lookups = new WeakMap<Schema, PatchSchema>();

/**
 * What strategic merge patch needs of a schema: for each field, its patch meta and the schema below it (a list's
 * items). Fields the schema does not know have no meta: their lists are replaced and their maps merged.
 */
export function patchSchema(schema: Schema | undefined): PatchSchema | undefined {
  if (!schema) return undefined;
  const hit = lookups.get(schema);
  if (hit) return hit;
  const lookup: PatchSchema = {
    field(name) {
      const field = fieldOf(resolve(schema).schema, name);
      if (!field) return { meta: NO_META };
      const value = resolve(field).schema;
      const below = value.type === 'array' ? (value.items as Schema | undefined) : field;
      return { meta: patchMetaOf(field), schema: patchSchema(below) };
    },
  };
  lookups.set(schema, lookup);
  return lookup;
}
