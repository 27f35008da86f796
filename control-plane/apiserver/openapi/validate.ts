// Unknown-field detection for fieldValidation=Strict/Warn: walk an object alongside its kind's schema and report
// every field the schema does not declare, in the path form kube-apiserver's strict decoding errors use
// (`spec.template.spec.containers[0].imagePullPolicyy`). Maps (additionalProperties), free-form objects and
// x-kubernetes-preserve-unknown-fields accept any keys.
import { refPrefix, type Schema } from './dsl.js';
import { resolve } from './navigator.js';
import { definitionNameFor } from './schemas.js';

const join = (path: string, key: string) => (path ? `${path}.${key}` : key);

function walk(schema: Schema, value: unknown, path: string, out: string[]): void {
  if (value === null || typeof value !== 'object') return;
  const s = resolve(schema).schema;
  if (s['x-kubernetes-preserve-unknown-fields'] === true) return;
  if (Array.isArray(value)) {
    const items = s.items as Schema | undefined;
    if (items) value.forEach((item, i) => walk(items, item, `${path}[${i}]`, out));
    return;
  }
  const properties = s.properties as Record<string, Schema> | undefined;
  const additional = s.additionalProperties;
  const valueSchema = additional && typeof additional === 'object' ? (additional as Schema) : undefined;
  // An object schema with neither properties nor a value schema is free-form (RawExtension, FieldsV1).
  if (!properties && !valueSchema) return;
  for (const [key, v] of Object.entries(value)) {
    const p = join(path, key);
    if (properties && Object.hasOwn(properties, key)) walk(properties[key], v, p, out);
    else if (valueSchema) walk(valueSchema, v, p, out);
    else if (additional !== true) out.push(p);
  }
}

/**
 * Paths of the fields of obj that the schema of group/version/kind does not declare, in document order, e.g.
 * ["spec.template.spec.containers[0].imagePullPolicyy"]. Empty when every field is known, and for kinds without a
 * schema (nothing to judge against).
 */
export function unknownFields(group: string, version: string, kind: string, obj: unknown): string[] {
  const name = definitionNameFor(group, version, kind);
  if (!name) return [];
  const out: string[] = [];
  walk({ $ref: refPrefix + name }, obj, '', out);
  return out;
}
