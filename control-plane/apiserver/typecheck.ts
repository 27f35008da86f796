// Decoding as kube-apiserver's typed decoding does it: a field whose JSON type disagrees with its schema (a string
// where PodSpec is expected, a fraction where an int32 is) makes the whole body undecodable — a 400 naming the
// field, before defaulting or validation ever see the object.
import { badRequest, type StatusError } from '../../api/errors.js';
import type { Schema } from './openapi/dsl.js';
import { resolve } from './openapi/navigator.js';
import { schemaFor } from './openapi/schemas.js';

/** The Go type name kube-apiserver's message would use: v1.PodSpec, []v1.Container, map[string]string, int32. */
function goType(schema: Schema): string {
  const { schema: s, name } = resolve(schema);
  if (name && s.type === 'object' && s.properties) return name.split('.').slice(-2).join('.');
  if (s['x-kubernetes-int-or-string']) return 'intstr.IntOrString';
  switch (s.type) {
    case 'array':
      return `[]${goType((s.items as Schema) ?? {})}`;
    case 'object':
      return s.additionalProperties && typeof s.additionalProperties === 'object' ? `map[string]${goType(s.additionalProperties as Schema)}` : 'map[string]interface {}';
    case 'integer':
      return s.format === 'int32' ? 'int32' : 'int64';
    case 'number':
      return 'float64';
    case 'boolean':
      return 'bool';
    default:
      return String(s.type ?? 'interface {}');
  }
}

function jsonType(v: unknown): string {
  if (Array.isArray(v)) return 'array';
  if (typeof v === 'number') return 'number';
  if (typeof v === 'boolean') return 'bool';
  return typeof v;
}

function fits(type: unknown, v: unknown): boolean {
  switch (type) {
    case 'object':
      return typeof v === 'object' && !Array.isArray(v);
    case 'array':
      return Array.isArray(v);
    case 'string':
      return typeof v === 'string';
    case 'integer':
      return typeof v === 'number' && Number.isInteger(v);
    case 'number':
      return typeof v === 'number' && Number.isFinite(v);
    case 'boolean':
      return typeof v === 'boolean';
    default:
      return true;
  }
}

/** The first field of value that its schema cannot hold, as [path, Go type], or undefined. */
function mismatch(schema: Schema, value: unknown, path: string, depth: number): [string, string, unknown] | undefined {
  if (value === null || value === undefined) return undefined; // null decodes to the zero value
  if (depth > 64) return [path, 'object nested too deeply', value];
  const { schema: s } = resolve(schema);
  const oneOf = s.oneOf as Schema[] | undefined;
  if (oneOf && !oneOf.some((o) => fits(o.type, value))) return [path, goType(schema), value];
  if (!fits(s.type, value)) return [path, goType(schema), value];
  if (Array.isArray(value)) {
    const items = s.items as Schema | undefined;
    if (!items) return undefined;
    const itemType = resolve(items).schema.type;
    for (let i = 0; i < value.length; i++) {
      // A null element of a list of structs is no object the server could default or validate.
      if (value[i] === null && itemType === 'object') return [`${path}[${i}]`, goType(items), null];
      const m = mismatch(items, value[i], `${path}[${i}]`, depth + 1);
      if (m) return m;
    }
    return undefined;
  }
  if (typeof value === 'object') {
    const properties = s.properties as Record<string, Schema> | undefined;
    const additional = s.additionalProperties && typeof s.additionalProperties === 'object' ? (s.additionalProperties as Schema) : undefined;
    for (const [k, v] of Object.entries(value as Record<string, unknown>)) {
      const p = path ? `${path}.${k}` : k;
      const sub = properties && Object.hasOwn(properties, k) ? properties[k] : additional;
      if (!sub) continue;
      const m = mismatch(sub, v, p, depth + 1);
      if (m) return m;
    }
  }
  return undefined;
}

/** A 400 when obj's fields don't have their schema's JSON types; undefined for a well-typed object. */
export function typeError(group: string, version: string, kind: string, obj: unknown): StatusError | undefined {
  const schema = schemaFor(group, version, kind);
  if (!schema) return undefined;
  const m = mismatch(schema, obj, '', 0);
  if (!m) return undefined;
  const [path, type, value] = m;
  return badRequest(`${kind} in version "${version}" cannot be handled as a ${kind}: json: cannot unmarshal ${value === null ? 'null' : jsonType(value)} into Go struct field ${kind}.${path} of type ${type}`);
}
