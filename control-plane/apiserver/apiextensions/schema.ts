// What a custom resource's structural schema does to its objects (kube: k8s.io/apiextensions-apiserver/pkg/apiserver/
// schema — pruning/algorithm.go, defaulting/algorithm.go and prunenulls.go, listtype/validation.go — and the
// kube-openapi validator behind pkg/apiserver/validation): unknown fields pruned (their paths are what strict field
// validation reports), nulls of non-nullable fields dropped and defaults filled, values checked against types,
// formats, enums, bounds and required fields, and list-type set/map entries checked for uniqueness. Errors are field
// causes worded as kube-apiserver's: `spec.replicas: Invalid value: "string": spec.replicas in body must be of type
// integer: "string"`.
import type { JSONSchemaProps } from '../../../api/types.js';
import type { StatusCause } from '../../../api/types.js';
import { deepEqual } from '../equality.js';
import { duplicate, invalidGo, invalidValue, notSupported, required, tooLong } from '../registry/validation.js';

type Json = unknown;
type Obj = Record<string, Json>;

const isObj = (v: Json): v is Obj => typeof v === 'object' && v !== null && !Array.isArray(v);
const child = (path: string, key: string) => (path ? `${path}.${key}` : key);
const index = (path: string, i: number) => `${path}[${i}]`;

/** The fields every object has besides its schema's: a resource (the root, an embedded one) keeps its type and metadata. */
const RESOURCE_FIELDS = ['apiVersion', 'kind', 'metadata'];

// ---- Go's formatting of values in messages ----

/** Go's %v of a float64 (strconv's shortest 'g'): exponent form below 1e-4 and from 1e6 up ("1e+06"). */
export function goFloat(n: number): string {
  if (n === 0 || !Number.isFinite(n)) return String(n);
  const [mantissa, e] = n.toExponential().split('e');
  const exp = Number(e);
  if (exp < -4 || exp >= 6) return `${mantissa}e${exp < 0 ? '-' : '+'}${String(Math.abs(exp)).padStart(2, '0')}`;
  return String(n);
}

/** Go's %#v of a decoded JSON value, as field errors print maps and lists (`map[string]interface {}{"name":"a"}`). */
export function goSyntax(v: Json): string {
  if (v === null || v === undefined) return 'interface {}(nil)';
  if (typeof v === 'string') return JSON.stringify(v);
  if (typeof v === 'number') return Number.isInteger(v) ? String(v) : goFloat(v);
  if (typeof v === 'boolean') return String(v);
  if (Array.isArray(v)) return `[]interface {}{${v.map(goSyntax).join(', ')}}`;
  return `map[string]interface {}{${Object.keys(v as Obj).sort().map((k) => `${JSON.stringify(k)}:${goSyntax((v as Obj)[k])}`).join(', ')}}`;
}

/** A field error's bad value as Go prints it: strings quoted, numbers and booleans plain, the rest as %#v. */
function badValue(v: Json): string {
  if (typeof v === 'string') return JSON.stringify(v);
  if (typeof v === 'number') return Number.isInteger(v) ? String(v) : goFloat(v);
  if (typeof v === 'boolean') return String(v);
  if (v === null || v === undefined) return 'null';
  return goSyntax(v);
}

const invalid = (path: string, value: Json, detail: string): StatusCause =>
  typeof value === 'string' || typeof value === 'number' ? invalidValue(path, value, detail) : invalidGo(path, badValue(value), detail);
const typeInvalid = (path: string, value: string, detail: string): StatusCause => ({ reason: 'FieldValueTypeInvalid', field: path, message: `Invalid value: ${JSON.stringify(value)}: ${detail}` });
const tooMany = (path: string, actual: number, max: number): StatusCause => ({ reason: 'FieldValueTooMany', field: path, message: `Too many: ${actual}: must have at most ${max} items` });

// ---- pruning ----

/**
 * Removes the fields the schema does not specify (kube's pruning), keeping those under
 * x-kubernetes-preserve-unknown-fields and a resource's apiVersion, kind and metadata; returns their paths.
 */
export function prune(v: Json, schema: JSONSchemaProps, resource = true): string[] {
  const pruned: string[] = [];
  if (isObj(v)) pruneObject(v, schema, '', resource, pruned);
  else pruneValue(v, schema, '', pruned);
  return pruned;
}

function pruneValue(v: Json, s: JSONSchemaProps | undefined, path: string, out: string[]): void {
  if (!s) return;
  if (Array.isArray(v)) {
    if (s.items) v.forEach((item, i) => pruneValue(item, s.items, index(path, i), out));
    return;
  }
  if (isObj(v)) pruneObject(v, s, path, !!s['x-kubernetes-embedded-resource'], out);
}

function pruneObject(obj: Obj, s: JSONSchemaProps, path: string, resource: boolean, out: string[]): void {
  const props = s.properties ?? {};
  const addl = s.additionalProperties;
  const preserve = s['x-kubernetes-preserve-unknown-fields'] === true;
  for (const key of Object.keys(obj)) {
    const p = child(path, key);
    if (resource && RESOURCE_FIELDS.includes(key)) {
      // metadata is ObjectMeta's, never the schema's; apiVersion and kind are checked as the kind's own.
      if (key !== 'metadata' && Object.hasOwn(props, key)) pruneValue(obj[key], props[key], p, out);
      continue;
    }
    if (Object.hasOwn(props, key)) pruneValue(obj[key], props[key], p, out);
    else if (addl && typeof addl === 'object') pruneValue(obj[key], addl, p, out);
    else if (addl === true || preserve) continue;
    else {
      delete obj[key];
      out.push(p);
    }
  }
}

// ---- defaulting ----

/**
 * Fills defaults (kube's structural defaulting): a field that is absent, or null where the schema does not allow
 * null, takes its default; a null without a default is dropped. Defaults are copied, never shared.
 */
export function applyDefaults(v: Json, s: JSONSchemaProps | undefined): void {
  if (!s) return;
  if (Array.isArray(v)) {
    if (!s.items) return;
    v.forEach((item, i) => {
      if (item === null && !s.items!.nullable && s.items!.default !== undefined) v[i] = structuredClone(s.items!.default);
      applyDefaults(v[i], s.items);
    });
    return;
  }
  if (!isObj(v)) return;
  const fill = (key: string, ps: JSONSchemaProps) => {
    if (v[key] === null && !ps.nullable) {
      if (ps.default === undefined) delete v[key];
      else v[key] = structuredClone(ps.default);
    } else if (v[key] === undefined && ps.default !== undefined) v[key] = structuredClone(ps.default);
    applyDefaults(v[key], ps);
  };
  for (const [key, ps] of Object.entries(s.properties ?? {})) if (key !== 'metadata' || !s['x-kubernetes-embedded-resource']) fill(key, ps);
  const addl = s.additionalProperties;
  if (addl && typeof addl === 'object') for (const key of Object.keys(v)) if (!s.properties || !Object.hasOwn(s.properties, key)) fill(key, addl);
}

// ---- validation ----

/** The JSON type of a decoded value, as kube-openapi names it (an integral number is an "integer"). */
function jsonType(v: Json): string {
  if (Array.isArray(v)) return 'array';
  if (v === null) return 'null';
  if (typeof v === 'number') return Number.isInteger(v) ? 'integer' : 'number';
  return typeof v === 'object' ? 'object' : typeof v;
}

const FORMATS: Record<string, (s: string) => boolean> = {
  'date-time': (s) => /^\d{4}-\d\d-\d\d[Tt ]\d\d:\d\d:\d\d(\.\d+)?([Zz]|[+-]\d\d:\d\d)$/.test(s) && !Number.isNaN(Date.parse(s.replace(' ', 'T'))),
  date: (s) => /^\d{4}-\d\d-\d\d$/.test(s) && !Number.isNaN(Date.parse(s)),
  uuid: (s) => /^[0-9a-f]{8}-?[0-9a-f]{4}-?[0-9a-f]{4}-?[0-9a-f]{4}-?[0-9a-f]{12}$/i.test(s),
  ipv4: (s) => /^((25[0-5]|2[0-4]\d|1\d\d|[1-9]?\d)\.){3}(25[0-5]|2[0-4]\d|1\d\d|[1-9]?\d)$/.test(s),
  byte: (s) => /^(?:[A-Za-z0-9+/]{4})*(?:[A-Za-z0-9+/]{2}==|[A-Za-z0-9+/]{3}=)?$/.test(s),
  email: (s) => /^[^@\s]+@[^@\s]+$/.test(s),
};

const regexCache = new Map<string, RegExp | null>();
/** The schema's pattern as an ECMAScript regex (Go's RE2 syntax is close enough for what schemas use). */
export function compilePattern(pattern: string): RegExp | null {
  if (!regexCache.has(pattern)) {
    let re: RegExp | null;
    try {
      re = new RegExp(pattern, 'u');
    } catch {
      re = null;
    }
    regexCache.set(pattern, re);
  }
  return regexCache.get(pattern)!;
}

/**
 * Field errors of a value against its schema; a resource's metadata is left to ObjectMeta's rules. The causes' fields
 * start with `prefix` when given (a default's schema path), the messages name the value's own path as kube-openapi does.
 */
export function validateValue(v: Json, s: JSONSchemaProps, prefix = '', resource = true): StatusCause[] {
  const out: StatusCause[] = [];
  check(v, s, '', resource, out);
  if (prefix) for (const c of out) c.field = c.field ? `${prefix}.${c.field}` : prefix;
  return out;
}

const inBody = (path: string, what: string) => `${path} in body ${what}`;

function check(v: Json, s: JSONSchemaProps, path: string, resource: boolean, out: StatusCause[]): void {
  const types = s['x-kubernetes-int-or-string'] ? ['integer', 'string'] : s.type ? [s.type] : [];
  if (v === null || v === undefined) {
    if (types.length && !s.nullable) out.push(typeInvalid(path, 'null', inBody(path, `must be of type ${types.join(',')}: "null"`)));
    return;
  }
  const t = jsonType(v);
  if (types.length && !types.includes(t) && !(t === 'integer' && types.includes('number'))) {
    out.push(typeInvalid(path, t, inBody(path, `must be of type ${types.join(',')}: ${JSON.stringify(t)}`)));
    return;
  }
  if (s.enum && !s.enum.some((e) => deepEqual(e, v))) out.push(notSupported(path, v, s.enum.map((e) => (typeof e === 'string' ? e : JSON.stringify(e)))));
  if (typeof v === 'string') checkString(v, s, path, out);
  else if (typeof v === 'number') checkNumber(v, s, path, out);
  else if (Array.isArray(v)) {
    if (s.minItems !== undefined && v.length < s.minItems) out.push(invalid(path, v.length, inBody(path, `should have at least ${s.minItems} items`)));
    if (s.maxItems !== undefined && v.length > s.maxItems) out.push(tooMany(path, v.length, s.maxItems));
    if (s.items) v.forEach((item, i) => check(item, s.items!, index(path, i), false, out));
  } else if (isObj(v)) checkObject(v, s, path, resource || !!s['x-kubernetes-embedded-resource'], out);
  for (const sub of s.allOf ?? []) check(v, sub, path, false, out);
  if (s.anyOf?.length && !s.anyOf.some((sub) => passes(v, sub))) out.push(invalid(path, v, inBody(path, 'must validate at least one schema (anyOf)')));
  if (s.oneOf?.length && s.oneOf.filter((sub) => passes(v, sub)).length !== 1) out.push(invalid(path, v, inBody(path, 'must validate one and only one schema (oneOf)')));
  if (s.not && passes(v, s.not)) out.push(invalid(path, v, inBody(path, 'must not validate the schema (not)')));
}

function passes(v: Json, s: JSONSchemaProps): boolean {
  const out: StatusCause[] = [];
  check(v, s, '', false, out);
  return out.length === 0;
}

function checkString(v: string, s: JSONSchemaProps, path: string, out: StatusCause[]): void {
  const length = [...v].length;
  if (s.maxLength !== undefined && length > s.maxLength) out.push(tooLong(path, s.maxLength));
  if (s.minLength !== undefined && length < s.minLength) out.push(invalid(path, v, inBody(path, `should be at least ${s.minLength} chars long`)));
  if (s.pattern !== undefined && !compilePattern(s.pattern)?.test(v)) out.push(invalid(path, v, inBody(path, `should match '${s.pattern}'`)));
  const format = s.format && Object.hasOwn(FORMATS, s.format) ? FORMATS[s.format] : undefined;
  if (format && !format(v)) out.push(invalid(path, v, inBody(path, `must be of type ${s.format}: ${JSON.stringify(v)}`)));
}

function checkNumber(v: number, s: JSONSchemaProps, path: string, out: StatusCause[]): void {
  if (s.multipleOf !== undefined && s.multipleOf > 0 && !Number.isInteger(v / s.multipleOf)) out.push(invalid(path, v, inBody(path, `should be a multiple of ${goFloat(s.multipleOf)}`)));
  if (s.maximum !== undefined && (s.exclusiveMaximum ? v >= s.maximum : v > s.maximum))
    out.push(invalid(path, v, inBody(path, `should be less than ${s.exclusiveMaximum ? '' : 'or equal to '}${goFloat(s.maximum)}`)));
  if (s.minimum !== undefined && (s.exclusiveMinimum ? v <= s.minimum : v < s.minimum))
    out.push(invalid(path, v, inBody(path, `should be greater than ${s.exclusiveMinimum ? '' : 'or equal to '}${goFloat(s.minimum)}`)));
}

function checkObject(v: Obj, s: JSONSchemaProps, path: string, resource: boolean, out: StatusCause[]): void {
  const size = Object.keys(v).length;
  if (s.minProperties !== undefined && size < s.minProperties) out.push(invalid(path, size, inBody(path, `should have at least ${s.minProperties} properties`)));
  if (s.maxProperties !== undefined && size > s.maxProperties) out.push(tooMany(path, size, s.maxProperties));
  for (const k of s.required ?? []) if (!Object.hasOwn(v, k) || v[k] === undefined) out.push(required(child(path, k)));
  const addl = s.additionalProperties;
  for (const [k, value] of Object.entries(v)) {
    if (resource && k === 'metadata') continue;
    if (s.properties && Object.hasOwn(s.properties, k)) check(value, s.properties[k], child(path, k), false, out);
    else if (addl && typeof addl === 'object') check(value, addl, child(path, k), false, out);
  }
}

// ---- list types ----

/** Duplicate entries of x-kubernetes-list-type set and map lists (kube's ValidateListSetsAndMaps). */
export function validateListTypes(v: Json, s: JSONSchemaProps | undefined, path = ''): StatusCause[] {
  const out: StatusCause[] = [];
  walkLists(v, s, path, out);
  return out;
}

function walkLists(v: Json, s: JSONSchemaProps | undefined, path: string, out: StatusCause[]): void {
  if (!s) return;
  if (Array.isArray(v)) {
    const type = s['x-kubernetes-list-type'];
    if (type === 'set') for (const i of repeats(v)) out.push(duplicateOf(index(path, i), v[i]));
    else if (type === 'map') {
      const keys = s['x-kubernetes-list-map-keys'] ?? [];
      const bad = v.findIndex((x) => x !== null && !isObj(x));
      if (bad >= 0) out.push(invalid(index(path, bad), v[bad], 'must be an object for an array of list-type map'));
      else {
        const keyOf = (x: Json) => {
          const k: Obj = {};
          if (isObj(x)) for (const f of keys) if (x[f] !== undefined) k[f] = x[f];
          return k;
        };
        const keyed = v.map(keyOf);
        for (const i of repeats(keyed)) out.push(duplicateOf(index(path, i), keyed[i]));
      }
    }
    if (s.items) v.forEach((item, i) => walkLists(item, s.items, index(path, i), out));
    return;
  }
  if (!isObj(v)) return;
  const addl = s.additionalProperties;
  for (const [k, value] of Object.entries(v)) {
    if (s.properties && Object.hasOwn(s.properties, k)) walkLists(value, s.properties[k], child(path, k), out);
    else if (addl && typeof addl === 'object') walkLists(value, addl, child(path, k), out);
  }
}

/** Indices of the second occurrence of each value that occurs more than once. */
function repeats(values: Json[]): number[] {
  const seen = new Map<string, number>();
  const out: number[] = [];
  values.forEach((x, i) => {
    const key = JSON.stringify(canonical(x));
    const times = seen.get(key) ?? 0;
    if (times === 1) out.push(i);
    seen.set(key, times + 1);
  });
  return out;
}

const canonical = (x: Json): Json => (Array.isArray(x) ? x.map(canonical) : isObj(x) ? Object.fromEntries(Object.keys(x).sort().map((k) => [k, canonical(x[k])])) : x);

const duplicateOf = (path: string, value: Json): StatusCause =>
  typeof value === 'string' || typeof value === 'number' || typeof value === 'boolean' ? duplicate(path, value) : { reason: 'FieldValueDuplicate', field: path, message: `Duplicate value: ${goSyntax(value)}` };
