// CustomResourceDefinitions fuzzed against a real API server (kube's counterpart: the apiextensions-apiserver's
// schema fuzz and integration tests, test/integration/validation_test.go, defaulting_test.go, pruning_test.go):
// random structural schemas (types, required, enum, pattern, bounds, nullable, preserve-unknown-fields,
// int-or-string, set and map lists, maps, defaults, nesting) become CRDs, and random objects valid per schema — and
// the same mutated to break it — are created, updated, patched (merge, JSON patch, server-side apply) and listed.
// The generator knows what is valid: valid writes must succeed and read back with what was sent, invalid ones must be
// 422 with a cause at the broken field, a failed write changes nothing; broken schemas must be refused with 422. Every
// answer is 2xx or a well-formed Status, never a 5xx or a dropped connection, and the server is ready at the end.
// The PRNG is seeded: a failure names its seed, and KUBETS_CRD_FUZZ_SEED=<seed> replays the same sequence.
import t from 'tap';
import type { JSONSchemaProps } from '../api/types.js';
import { prng, type Rng } from './prng.js';
import { startServer, type TestServer } from './server-fixture.js';
import { until } from './until.js';

type Any = any;
type Json = unknown;
type Obj = Record<string, Json>;

const SEED = Number(process.env.KUBETS_CRD_FUZZ_SEED ?? 20261202);
const CRDS = Number(process.env.KUBETS_CRD_FUZZ_CRDS ?? 16);
const OBJECTS = Number(process.env.KUBETS_CRD_FUZZ_OBJECTS ?? 8);
const BROKEN_CRDS = Number(process.env.KUBETS_CRD_FUZZ_BROKEN ?? 24);
const GROUP = 'fuzz.kubets.io';
const NS = 'crdfuzz';

const isObj = (v: Json): v is Obj => typeof v === 'object' && v !== null && !Array.isArray(v);
const clone = <T>(v: T): T => structuredClone(v);

// ---- schemas ----

/** Patterns the generator can satisfy and break. */
const PATTERNS: Record<string, { ok: (r: Rng) => string; bad: string }> = {
  '^[a-z]+$': { ok: (r) => word(r, 1 + r.int(8)), bad: 'NOPE-1' },
  '^[0-9]{2,4}$': { ok: (r) => String(10 + r.int(9990)), bad: '1' },
  '^v[0-9]+(\\.[0-9]+)*$': { ok: (r) => `v${r.int(5)}.${r.int(20)}`, bad: 'version' },
  '^(red|green|blue)-[a-z]$': { ok: (r) => `${r.pick(['red', 'green', 'blue'])}-${word(r, 1)}`, bad: 'red-' },
};
const word = (r: Rng, n: number) => Array.from({ length: n }, () => String.fromCharCode(97 + r.int(26))).join('');
const FIELD_NAMES = ['alpha', 'beta', 'gamma', 'delta', 'count', 'name', 'size', 'mode', 'labels', 'items', 'target', 'replicas', 'enabled', 'ratio', 'ports', 'tags', 'config', 'x-y', 'camelCase', 'z9'];

interface GenOpts {
  depth: number;
}

/** A random structural schema node (what a CRD author may write and kube-apiserver accepts). */
function genSchema(r: Rng, o: GenOpts): JSONSchemaProps {
  const leafOnly = o.depth >= 4;
  const kinds = leafOnly ? ['string', 'string', 'integer', 'number', 'boolean', 'intOrString'] : ['string', 'string', 'integer', 'number', 'boolean', 'intOrString', 'object', 'object', 'map', 'array', 'set', 'listMap', 'preserve'];
  const kind = r.pick(kinds);
  let s: JSONSchemaProps;
  switch (kind) {
    case 'string':
      s = genString(r);
      break;
    case 'integer':
      s = genInteger(r);
      break;
    case 'number': {
      const lo = r.chance(0.5) ? r.int(20) - 10 : undefined;
      const hi = r.chance(0.5) ? (lo ?? 0) + 5 + r.int(100) : undefined;
      s = { type: 'number', ...(lo !== undefined ? { minimum: lo } : {}), ...(hi !== undefined ? { maximum: hi } : {}), ...(lo !== undefined && r.chance(0.3) ? { exclusiveMinimum: true } : {}) };
      break;
    }
    case 'boolean':
      s = { type: 'boolean' };
      break;
    case 'intOrString':
      s = { 'x-kubernetes-int-or-string': true, ...(r.chance(0.3) ? { anyOf: [{ type: 'integer' }, { type: 'string' }] } : {}) };
      break;
    case 'object':
      s = genObject(r, o.depth + 1);
      break;
    case 'preserve':
      s = { type: 'object', 'x-kubernetes-preserve-unknown-fields': true, ...(r.chance(0.5) ? { properties: { known: genSchema(r, { depth: o.depth + 1 }) } } : {}) };
      break;
    case 'map':
      s = { type: 'object', additionalProperties: genSchema(r, { depth: o.depth + 1 }), ...(r.chance(0.3) ? { maxProperties: 2 + r.int(3) } : {}), ...(r.chance(0.2) ? { 'x-kubernetes-map-type': r.pick(['atomic', 'granular']) } : {}) };
      break;
    case 'array':
      s = { type: 'array', items: genSchema(r, { depth: o.depth + 1 }), ...(r.chance(0.3) ? { maxItems: 2 + r.int(4) } : {}), ...(r.chance(0.2) ? { minItems: 1 } : {}), ...(r.chance(0.3) ? { 'x-kubernetes-list-type': 'atomic' } : {}) };
      break;
    case 'set':
      s = { type: 'array', 'x-kubernetes-list-type': 'set', items: r.chance(0.5) ? { type: 'string', ...(r.chance(0.3) ? { pattern: '^[a-z]+$' } : {}) } : { type: 'integer', minimum: 0 }, ...(r.chance(0.3) ? { maxItems: 3 + r.int(3) } : {}) };
      break;
    default: {
      // listMap: entries keyed by name (and port); keys are required scalars.
      const keys = r.chance(0.6) ? ['name'] : ['name', 'port'];
      const item = genObject(r, o.depth + 1, keys);
      item.properties!.name = { type: 'string', ...(r.chance(0.5) ? { pattern: '^[a-z]+$' } : {}) };
      if (keys.includes('port')) item.properties!.port = { type: 'integer', minimum: 1, maximum: 65535 };
      item.required = [...new Set([...(item.required ?? []), ...keys])];
      s = { type: 'array', 'x-kubernetes-list-type': 'map', 'x-kubernetes-list-map-keys': keys, items: item, ...(r.chance(0.3) ? { maxItems: 3 + r.int(3) } : {}) };
    }
  }
  if (r.chance(0.12) && !s.enum) s.nullable = true;
  return s;
}

function genString(r: Rng): JSONSchemaProps {
  switch (r.int(6)) {
    case 0:
      return { type: 'string', enum: Array.from(new Set(Array.from({ length: 2 + r.int(3) }, () => word(r, 3 + r.int(4))))) };
    case 1:
      return { type: 'string', pattern: r.pick(Object.keys(PATTERNS)) };
    case 2: {
      const min = r.int(3);
      return { type: 'string', ...(min ? { minLength: min } : {}), maxLength: min + 1 + r.int(10) };
    }
    case 3:
      return { type: 'string', format: 'date-time' };
    default:
      return { type: 'string' };
  }
}

function genInteger(r: Rng): JSONSchemaProps {
  if (r.chance(0.15)) return { type: 'integer', enum: [1, 2, 3 + r.int(10)] };
  const s: JSONSchemaProps = { type: 'integer' };
  if (r.chance(0.5)) s.minimum = r.int(15) - 5;
  if (r.chance(0.5)) s.maximum = (s.minimum ?? 0) + 12 + r.int(50);
  if (s.minimum !== undefined && r.chance(0.2)) s.exclusiveMinimum = true;
  if (s.maximum !== undefined && r.chance(0.2)) s.exclusiveMaximum = true;
  if (r.chance(0.15)) s.multipleOf = 2 + r.int(3);
  return s;
}

/** An object node with named properties, some required and some defaulted; `reserved` names are the caller's. */
function genObject(r: Rng, depth: number, reserved: string[] = []): JSONSchemaProps {
  const properties: Record<string, JSONSchemaProps> = {};
  const required: string[] = [];
  const count = 1 + r.int(depth > 2 ? 2 : 4);
  for (let i = 0; i < count; i++) {
    const name = r.pick(FIELD_NAMES);
    if (properties[name] || reserved.includes(name)) continue;
    const p = genSchema(r, { depth });
    if (r.chance(0.2) && mergesWhole(p)) p.default = genValid(r, p, { noNull: true, allRequired: true });
    properties[name] = p;
    if (r.chance(0.35)) required.push(name);
  }
  return { type: 'object', properties, ...(required.length ? { required } : {}) };
}

/**
 * Whether a value of the schema holds no set, list-map or bounded map: a defaulted field is nobody's, so server-side
 * apply merges a configuration's items into a defaulted granular list or map — the union the generator would have to
 * foresee (and which may exceed maxItems or maxProperties).
 */
function mergesWhole(s: JSONSchemaProps): boolean {
  const listType = s['x-kubernetes-list-type'];
  if (listType === 'set' || listType === 'map' || (isObj(s.additionalProperties) && s.maxProperties !== undefined)) return false;
  const children = [...Object.values(s.properties ?? {}), ...(isObj(s.items) ? [s.items] : []), ...(isObj(s.additionalProperties) ? [s.additionalProperties] : [])];
  return children.every(mergesWhole);
}

/** The whole openAPIV3Schema: spec (and sometimes status) under the root. */
function genRootSchema(r: Rng): JSONSchemaProps {
  const spec = genObject(r, 1);
  if (r.chance(0.15)) spec['x-kubernetes-preserve-unknown-fields'] = true;
  const properties: Record<string, JSONSchemaProps> = { spec };
  if (r.chance(0.3)) properties.status = genObject(r, 2);
  return { type: 'object', description: 'fuzzed', properties, ...(r.chance(0.5) ? { required: ['spec'] } : {}) };
}

// ---- values ----

interface ValueOpts {
  /** No nulls: defaults, merge patches (where null deletes) and apply configurations. */
  noNull?: boolean;
  /** Every required field, even one with a default: a default must validate as it is written. */
  allRequired?: boolean;
  /**
   * No empty lists, maps or objects: apply configurations, where a container emptied of a manager's fields is left
   * to structured-merge-diff's removal rules (which keep the key as null) rather than to the generator's knowledge.
   */
  nonEmpty?: boolean;
}

/** A value valid for the schema. */
function genValid(r: Rng, s: JSONSchemaProps, o: ValueOpts = {}, depth = 0): Json {
  if (s.nullable && !o.noNull && r.chance(0.15)) return null;
  if (s.enum) return clone(r.pick(s.enum));
  if (s['x-kubernetes-int-or-string']) return r.chance(0.5) ? r.int(100) : word(r, 1 + r.int(6));
  switch (s.type) {
    case 'string':
      if (s.pattern) return PATTERNS[s.pattern].ok(r);
      if (s.format === 'date-time') return new Date(Date.UTC(2020 + r.int(6), r.int(12), 1 + r.int(28), r.int(24), r.int(60), r.int(60))).toISOString().replace(/\.\d+Z$/, 'Z');
      return word(r, Math.max(s.minLength ?? 0, Math.min(s.maxLength ?? 12, r.int(12))));
    case 'integer': {
      const lo = s.minimum === undefined ? -50 : s.minimum + (s.exclusiveMinimum ? 1 : 0);
      const hi = s.maximum === undefined ? lo + 100 : s.maximum - (s.exclusiveMaximum ? 1 : 0);
      const m = s.multipleOf ?? 1;
      const first = Math.ceil(lo / m);
      return (first + r.int(Math.floor(hi / m) - first + 1)) * m || 0;
    }
    case 'number': {
      const lo = s.minimum ?? -100;
      const hi = s.maximum ?? lo + 200;
      return Math.round((lo + (hi - lo) * (0.1 + 0.8 * r.next())) * 100) / 100 || 0.5;
    }
    case 'boolean':
      return r.chance(0.5);
    case 'array': {
      const items = s.items!;
      const n = Math.max(s.minItems ?? 0, o.nonEmpty ? 1 : 0, Math.min(s.maxItems ?? 4, r.int(depth > 2 ? 2 : 4)));
      const listType = s['x-kubernetes-list-type'];
      const out: Json[] = [];
      const seen = new Set<string>();
      for (let tries = 0; out.length < n && tries < 20; tries++) {
        const v = genValid(r, items, { ...o, noNull: o.noNull || listType === 'set' || listType === 'map' }, depth + 1);
        const id = listType === 'set' ? JSON.stringify(v) : listType === 'map' ? JSON.stringify(s['x-kubernetes-list-map-keys']!.map((k) => (v as Obj)[k])) : String(tries);
        if (seen.has(id)) continue;
        seen.add(id);
        out.push(v);
      }
      return out;
    }
    default: {
      const out: Obj = {};
      const props = s.properties ?? {};
      for (const [k, p] of Object.entries(props)) {
        const required = s.required?.includes(k);
        // A required field with a default may be left out: defaulting fills it before validation.
        if (required ? p.default === undefined || o.allRequired || r.chance(0.7) : r.chance(0.6)) out[k] = genValid(r, p, o, depth + 1);
      }
      if (isObj(s.additionalProperties)) {
        const n = Math.max(o.nonEmpty ? 1 : 0, Math.min(s.maxProperties ?? 3, r.int(4)));
        for (let i = 0; i < n; i++) out[`k${i}-${word(r, 2)}`] = genValid(r, s.additionalProperties, o, depth + 1);
      }
      if (s['x-kubernetes-preserve-unknown-fields'] && (r.chance(0.6) || (o.nonEmpty && !Object.keys(out).length))) out[`unknown${r.int(9)}`] = r.pick<Json>(['kept', 42, { nested: [1, 'two'] }, [true]]);
      if (o.nonEmpty && !Object.keys(out).length && Object.keys(props).length) {
        const k = r.pick(Object.keys(props));
        out[k] = genValid(r, props[k], o, depth + 1);
      }
      return out;
    }
  }
}

/** One place in a value with its schema, and how to replace or remove it. */
interface Site {
  path: string;
  schema: JSONSchemaProps;
  value: Json;
  set(v: Json): void;
  /** The parent's schema and key, for a property of an object. */
  parent?: { schema: JSONSchemaProps; key: string; obj: Obj };
}

function sites(v: Json, s: JSONSchemaProps, path: string, set: (v: Json) => void, out: Site[], parent?: Site['parent']): void {
  out.push({ path, schema: s, value: v, set, parent });
  if (Array.isArray(v) && s.items) v.forEach((x, i) => sites(x, s.items!, `${path}[${i}]`, (n) => (v[i] = n), out));
  else if (isObj(v))
    for (const k of Object.keys(v)) {
      const ps = s.properties?.[k] ?? (isObj(s.additionalProperties) ? s.additionalProperties : undefined);
      if (ps) sites(v[k], ps, `${path}.${k}`, (n) => (v[k] = n), out, { schema: s, key: k, obj: v });
    }
}

/** A change that breaks the schema at `field`. */
interface Breakage {
  field: string;
  what: string;
  apply(): void;
}

/** Every way the generator knows to make the value at a site invalid. */
function breakages(r: Rng, site: Site): Breakage[] {
  const s = site.schema;
  const out: Breakage[] = [];
  const to = (what: string, v: Json, field = site.path): Breakage => ({ field, what, apply: () => site.set(v) });
  if (s['x-kubernetes-int-or-string']) out.push(to('not int or string', r.pick<Json>([true, 1.5, { a: 1 }])));
  else if (s.type) {
    const wrong: Record<string, Json[]> = { string: [7, true], integer: ['x', 1.5], number: ['x', false], boolean: ['true', 0], object: ['s', [1]], array: [{ a: 1 }, 's'] };
    out.push(to(`not ${s.type}`, r.pick(wrong[s.type])));
  }
  const v = site.value;
  if (s.enum && (typeof v === 'string' || typeof v === 'number')) out.push(to('outside the enum', typeof v === 'string' ? 'not-in-enum' : 999_999));
  if (typeof v === 'string') {
    if (s.pattern) out.push(to('against the pattern', PATTERNS[s.pattern].bad));
    if (s.maxLength !== undefined && !s.pattern) out.push(to('too long', 'a'.repeat(s.maxLength + 1)));
    if (s.minLength) out.push(to('too short', ''));
    if (s.format === 'date-time') out.push(to('not a date-time', 'yesterday'));
  }
  if (typeof v === 'number' && !s.enum) {
    if (s.maximum !== undefined) out.push(to('above the maximum', s.exclusiveMaximum ? s.maximum : s.maximum + 1));
    if (s.minimum !== undefined) out.push(to('below the minimum', s.exclusiveMinimum ? s.minimum : s.minimum - 1));
    if (s.multipleOf) out.push(to('not a multiple', v + 1));
  }
  if (Array.isArray(v)) {
    if (s.maxItems !== undefined) out.push(to('too many items', Array.from({ length: s.maxItems + 1 }, (_, i) => clone(v.length ? v[i % v.length] : genValid(r, s.items!, { noNull: true })))));
    if (s.minItems) out.push(to('too few items', []));
    const listType = s['x-kubernetes-list-type'];
    if ((listType === 'set' || listType === 'map') && v.length) out.push(to(`a duplicate ${listType} entry`, [...v, clone(v[0])]));
    if (s.items && !s.items.nullable && !s.items['x-kubernetes-int-or-string'] && s.items.type && s.items.default === undefined) out.push(to('a null item', [...v, null], `${site.path}[${v.length}]`));
  }
  if (isObj(v) && s.maxProperties !== undefined && isObj(s.additionalProperties)) {
    const more = clone(v);
    for (let i = 0; Object.keys(more).length <= s.maxProperties; i++) more[`extra${i}`] = genValid(r, s.additionalProperties, { noNull: true });
    out.push(to('too many properties', more));
  }
  if (isObj(v))
    for (const k of s.required ?? []) {
      const ps = s.properties?.[k];
      if (!ps || ps.default !== undefined) continue;
      out.push({ field: `${site.path}.${k}`, what: 'a required field missing', apply: () => delete v[k] });
      // A null where null is not allowed is dropped (there is no default), and then the field is missing.
      if (!ps.nullable) out.push({ field: `${site.path}.${k}`, what: 'a required field null', apply: () => (v[k] = null) });
    }
  return out;
}

/**
 * Breaks one random place of `value` (an object's spec); undefined when nothing there can be broken. Apply
 * configurations keep their nulls and required fields: there a null asks for a field's removal, and a field left
 * out is one the applier gives up, which may empty its parent (structured-merge-diff's removal rules, not a schema's).
 */
function breakValue(r: Rng, value: Obj, schema: JSONSchemaProps, root: string, applied = false): Breakage | undefined {
  const all: Site[] = [];
  sites(value[root], schema.properties![root], root, (n) => (value[root] = n), all);
  const options = all.flatMap((site) => breakages(r, site)).filter((b) => !applied || !/null|required/.test(b.what));
  if (!options.length) return undefined;
  const b = r.pick(options);
  b.apply();
  return b;
}

// ---- broken schemas ----

/** Ways to make a schema one kube-apiserver refuses; each names where the cause must be. */
function breakSchema(r: Rng, schema: JSONSchemaProps): { what: string; field: string } {
  const base = 'spec.versions[0].schema.openAPIV3Schema';
  const nodes: { path: string; s: JSONSchemaProps }[] = [];
  const walk = (s: JSONSchemaProps, path: string) => {
    nodes.push({ path, s });
    for (const [k, p] of Object.entries(s.properties ?? {})) walk(p, `${path}.properties[${k}]`);
    if (isObj(s.items)) walk(s.items, `${path}.items`);
    if (isObj(s.additionalProperties)) walk(s.additionalProperties, `${path}.additionalProperties`);
  };
  walk(schema, base);
  const inner = nodes.slice(1);
  const typed = inner.filter((n) => n.s.type && !n.s['x-kubernetes-preserve-unknown-fields'] && !n.s['x-kubernetes-int-or-string']);
  const objects = inner.filter((n) => n.s.type === 'object' && n.s.properties && Object.keys(n.s.properties).length);
  const arrays = inner.filter((n) => n.s.type === 'array');
  const strings = inner.filter((n) => n.s.type === 'string');
  // Each way with the nodes it needs; only those the schema has are drawn from.
  const choices: [unknown[], () => { what: string; field: string }][] = [
    [typed, () => {
      const n = r.pick(typed);
      delete n.s.type;
      delete n.s.enum;
      delete n.s['x-kubernetes-list-type'];
      delete n.s['x-kubernetes-list-map-keys'];
      delete n.s['x-kubernetes-map-type'];
      return { what: 'a field without a type', field: n.path };
    }],
    [typed, () => {
      const n = r.pick(typed);
      n.s.type = r.pick(['null', 'strin', 'object ']);
      return { what: 'an unknown type', field: n.path };
    }],
    [objects, () => {
      const n = r.pick(objects);
      n.s.additionalProperties = { type: 'string' };
      return { what: 'properties with additionalProperties', field: n.path };
    }],
    [arrays.length ? arrays : typed, () => {
      const n = r.pick(arrays.length ? arrays : typed);
      n.s.type = 'array';
      delete n.s.items;
      delete n.s['x-kubernetes-list-type'];
      delete n.s['x-kubernetes-list-map-keys'];
      return { what: 'an array without items', field: n.path };
    }],
    [inner, () => {
      const n = r.pick(inner);
      n.s['x-kubernetes-preserve-unknown-fields'] = false;
      return { what: 'preserve-unknown-fields false', field: n.path };
    }],
    [strings.length ? strings : typed, () => {
      const n = r.pick(strings.length ? strings : typed);
      n.s.type = 'string';
      delete n.s.enum;
      delete n.s.items;
      delete n.s.properties;
      delete n.s.additionalProperties;
      delete n.s.required;
      delete n.s['x-kubernetes-list-type'];
      delete n.s['x-kubernetes-list-map-keys'];
      delete n.s['x-kubernetes-map-type'];
      n.s.default = 12;
      return { what: 'a default of the wrong type', field: n.path };
    }],
    [strings.length ? strings : typed, () => {
      const n = r.pick(strings.length ? strings : typed);
      n.s.type = 'string';
      delete n.s.items;
      delete n.s.properties;
      delete n.s.additionalProperties;
      delete n.s['x-kubernetes-list-type'];
      delete n.s['x-kubernetes-list-map-keys'];
      delete n.s['x-kubernetes-map-type'];
      n.s.pattern = '([a-z';
      delete n.s.default;
      return { what: 'a pattern that does not compile', field: n.path };
    }],
    [typed, () => {
      const n = r.pick(typed);
      n.s.anyOf = [{ type: 'string' }, { type: 'integer' }];
      return { what: 'a type inside anyOf', field: n.path };
    }],
    [inner, () => {
      schema.properties!.metadata = { type: 'object', properties: { labels: { type: 'object', additionalProperties: { type: 'string' } } } };
      return { what: 'metadata with more than names', field: `${base}.properties[metadata]` };
    }],
    [inner, () => {
      schema.nullable = true;
      return { what: 'a nullable root', field: base };
    }],
    [inner, () => {
      const n = r.pick(inner);
      n.s['x-kubernetes-validations'] = [{ rule: 'self.size() > 0' }];
      return { what: 'a CEL rule', field: n.path };
    }],
    [arrays.length ? arrays : typed, () => {
      const n = r.pick(arrays.length ? arrays : typed);
      n.s.type = 'array';
      n.s.items = { type: 'object', properties: { name: { type: 'string' } } };
      n.s['x-kubernetes-list-type'] = 'map';
      n.s['x-kubernetes-list-map-keys'] = ['missing'];
      delete n.s.default;
      delete n.s.enum;
      return { what: 'map keys that are not properties', field: n.path };
    }],
  ];
  return r.pick(choices.filter(([needs]) => needs.length))[1]();
}

// ---- the server's answers ----

interface Answer {
  status: number;
  body: Any;
  text: string;
}

let srv: TestServer;
const problems: string[] = [];
let requests = 0;

/** Sends one request; a dropped connection or an answer that is neither 2xx nor a well-formed Status is a problem. */
async function send(method: string, path: string, body?: Json, contentType = 'application/json'): Promise<Answer> {
  requests++;
  const what = `${method} ${path}`;
  let res;
  try {
    res = await srv.client.raw(method, path, body === undefined ? undefined : JSON.stringify(body), body === undefined ? {} : { 'content-type': contentType });
  } catch (e) {
    problems.push(`${what}: no answer (${(e as Error).message})`);
    return { status: 0, body: undefined, text: '' };
  }
  const text = res.body.toString('utf8');
  let parsed: Any;
  try {
    parsed = JSON.parse(text);
  } catch {
    problems.push(`${what}: ${res.status} body is not JSON: ${text.slice(0, 200)}`);
  }
  if (res.status >= 500) problems.push(`${what}: server error ${res.status}: ${text.slice(0, 300)}`);
  else if (res.status >= 300 && parsed !== undefined) {
    const bad = statusProblem(res.status, parsed);
    if (bad) problems.push(`${what}: ${bad}: ${text.slice(0, 300)}`);
  }
  return { status: res.status, body: parsed, text };
}

/** What is wrong with an error answer's Status, if anything. */
function statusProblem(code: number, s: Any): string | undefined {
  if (s?.kind !== 'Status' || s.apiVersion !== 'v1') return 'error without a Status';
  if (s.status !== 'Failure') return `Status.status ${s.status}`;
  if (s.code !== code) return `Status.code ${s.code} differs from HTTP ${code}`;
  if (typeof s.reason !== 'string' || !s.reason) return 'Status without a reason';
  if (typeof s.message !== 'string' || !s.message) return 'Status without a message';
  if (code === 422) {
    const causes = s.details?.causes;
    if (!Array.isArray(causes) || !causes.length) return '422 without details.causes';
    if (causes.some((c: Any) => typeof c.field !== 'string' || !c.field || typeof c.message !== 'string')) return '422 with a cause lacking a field path';
  }
  return undefined;
}

/** Records a problem unless the answer is the expected success. */
function expectOk(a: Answer, what: string): boolean {
  if (a.status >= 200 && a.status < 300) return true;
  if (a.status) problems.push(`${what}: expected success, got ${a.status}: ${a.text.slice(0, 400)}`);
  return false;
}

/** Records a problem unless the answer is a 422 with a cause at (or under) `field`. */
function expectInvalid(a: Answer, field: string, what: string): void {
  if (a.status !== 422) {
    if (a.status) problems.push(`${what}: expected 422 at ${field}, got ${a.status}: ${a.text.slice(0, 400)}`);
    return;
  }
  const fields: string[] = (a.body?.details?.causes ?? []).map((c: Any) => String(c.field ?? ''));
  if (!fields.some((f) => f === field || f.startsWith(`${field}.`) || f.startsWith(`${field}[`))) problems.push(`${what}: 422 without a cause at ${field}: ${JSON.stringify(fields)}`);
}

/** Whether everything `sent` holds is in `got` (objects may have more: defaults; lists are compared item by item). */
function contains(got: Json, sent: Json): boolean {
  if (Array.isArray(sent)) return Array.isArray(got) && got.length === sent.length && sent.every((x, i) => contains(got[i], x));
  if (isObj(sent)) return isObj(got) && Object.entries(sent).every(([k, v]) => Object.hasOwn(got, k) && contains(got[k], v));
  return Object.is(got, sent) || got === sent;
}

// ---- one CRD's round ----

interface Kind {
  plural: string;
  kind: string;
  namespaced: boolean;
  schema: JSONSchemaProps;
  base: string;
  apiVersion: string;
  /** A second served version (same schema, the None conversion), when the CRD has one. */
  other?: { base: string; apiVersion: string };
}

function genCRD(r: Rng, n: number): { crd: Obj; kind: Kind } {
  const plural = `fz${n}${word(r, 3)}s`;
  const kind = `Fz${n}${word(r, 3)}`;
  const namespaced = r.chance(0.7);
  const schema = genRootSchema(r);
  const version = r.pick(['v1', 'v1alpha1', 'v2beta3']);
  const other = r.chance(0.3) ? 'v9beta1' : undefined;
  const columns = Object.entries(schema.properties!.spec.properties ?? {})
    .filter(([, p]) => ['string', 'integer', 'number', 'boolean'].includes(p.type ?? ''))
    .slice(0, 2)
    .map(([k, p]) => ({ name: k.toUpperCase(), type: p.type, jsonPath: `.spec.${k}` }));
  const crd = {
    apiVersion: 'apiextensions.k8s.io/v1',
    kind: 'CustomResourceDefinition',
    metadata: { name: `${plural}.${GROUP}` },
    spec: {
      group: GROUP,
      scope: namespaced ? 'Namespaced' : 'Cluster',
      names: { plural, singular: plural.slice(0, -1), kind, listKind: `${kind}List` },
      versions: [
        { name: version, served: true, storage: true, schema: { openAPIV3Schema: schema }, ...(columns.length && r.chance(0.5) ? { additionalPrinterColumns: columns } : {}) },
        ...(other ? [{ name: other, served: true, storage: false, schema: { openAPIV3Schema: schema } }] : []),
      ],
    },
  };
  const path = (v: string) => `/apis/${GROUP}/${v}${namespaced ? `/namespaces/${NS}` : ''}/${plural}`;
  return { crd, kind: { plural, kind, namespaced, schema, base: path(version), apiVersion: `${GROUP}/${version}`, ...(other ? { other: { base: path(other), apiVersion: `${GROUP}/${other}` } } : {}) } };
}

function genObjectOf(r: Rng, k: Kind, name: string, how: ValueOpts = {}): Obj {
  const o: Obj = { apiVersion: k.apiVersion, kind: k.kind, metadata: { name, ...(k.namespaced ? { namespace: NS } : {}), labels: { fuzz: r.pick(['a', 'b']) } } };
  for (const part of ['spec', 'status']) {
    const s = k.schema.properties![part];
    if (s && (part === 'spec' || r.chance(0.5))) o[part] = genValid(r, s, how);
  }
  if (k.schema.required?.includes('spec') && o.spec === undefined) o.spec = {};
  return o;
}

/** A field the schema does not know, somewhere it would be pruned; its path, or undefined when nowhere prunes. */
function addUnknown(r: Rng, o: Obj, k: Kind): { field: string; at: (string | number)[] } | undefined {
  const all: Site[] = [];
  sites(o.spec, k.schema.properties!.spec, 'spec', () => undefined, all);
  // Objects whose every field the schema names: nested ones too (pruning goes on below preserved fields' properties).
  const pruning = all.filter((x) => isObj(x.value) && !x.schema['x-kubernetes-preserve-unknown-fields'] && !isObj(x.schema.additionalProperties));
  if (!pruning.length) return undefined;
  const site = r.pick(pruning);
  (site.value as Obj).zzUnknown = 'pruned';
  const field = `${site.path}.zzUnknown`;
  return { field, at: field.split(/[.[\]]+/).filter(Boolean).map((p) => (/^\d+$/.test(p) ? Number(p) : p)) };
}

/** The value at a path of keys and indices, undefined when any step is missing. */
const at = (v: Json, path: (string | number)[]): Json => path.reduce<Json>((x, p) => (x !== null && typeof x === 'object' ? (x as Any)[p] : undefined), v);

async function read(k: Kind, name: string): Promise<Answer> {
  return send('GET', `${k.base}/${name}`);
}

/** Checks that a write that failed left the object as it was. */
async function unchanged(k: Kind, name: string, before: Any, what: string): Promise<void> {
  const now = await read(k, name);
  if (before === undefined) {
    if (now.status !== 404) problems.push(`${what}: a refused create left an object (${now.status})`);
  } else if (now.body?.metadata?.resourceVersion !== before.metadata.resourceVersion) problems.push(`${what}: a refused write changed the object (resourceVersion ${before.metadata.resourceVersion} → ${now.body?.metadata?.resourceVersion})`);
}

/** Checks that the stored object holds what was sent (and not the pruned field). */
async function holds(k: Kind, name: string, sent: Obj, what: string, pruned?: { field: string; at: (string | number)[] }): Promise<Any> {
  const got = await read(k, name);
  if (!expectOk(got, `${what}: read back`)) return undefined;
  for (const part of ['spec', 'status']) if (sent[part] !== undefined && !contains(got.body[part], sent[part])) problems.push(`${what}: ${part} read back as ${JSON.stringify(got.body[part])}, sent ${JSON.stringify(sent[part])}`);
  if (pruned && at(got.body, pruned.at) !== undefined) problems.push(`${what}: unknown field ${pruned.field} was not pruned`);
  return got.body;
}

async function fuzzKind(r: Rng, n: number): Promise<void> {
  const { crd, kind: k } = genCRD(r, n);
  const tag = `crd ${n} (${k.plural})`;
  const created = await send('POST', '/apis/apiextensions.k8s.io/v1/customresourcedefinitions', crd);
  if (!expectOk(created, `${tag}: create CRD ${JSON.stringify(k.schema)}`)) return;
  await until(`${tag} served`, async () => ((await srv.client.raw('GET', k.base)).status === 200 ? true : undefined), 10_000, 50);
  const live = new Map<string, Any>();
  for (let i = 0; i < OBJECTS; i++) {
    const name = `o${i}`;
    const what = `${tag} ${name}`;
    const applied = r.chance(0.3);
    const obj = genObjectOf(r, k, name, applied ? { noNull: true, nonEmpty: true } : {});
    // Create: by POST or by server-side apply, valid or broken.
    if (r.chance(0.3)) {
      const b = breakValue(r, obj, k.schema, 'spec', applied);
      if (b) {
        const a = applied ? await send('PATCH', `${k.base}/${name}?fieldManager=fuzz&force=true`, obj, 'application/apply-patch+yaml') : await send('POST', k.base, obj);
        expectInvalid(a, b.field, `${what}: create with ${b.what} (${JSON.stringify(obj.spec)})`);
        await unchanged(k, name, undefined, what);
        continue;
      }
    }
    // A field the schema does not know is refused under strict field validation and pruned otherwise.
    const expected = clone(obj);
    const unknown = !applied && r.chance(0.4) ? addUnknown(r, obj, k) : undefined;
    if (unknown && r.chance(0.5)) {
      const a = await send('POST', `${k.base}?fieldValidation=Strict`, obj);
      if (a.status !== 400 || !a.body?.message?.includes(`unknown field "${unknown.field}"`)) problems.push(`${what}: strict create with ${unknown.field} answered ${a.status}: ${a.text.slice(0, 300)}`);
    }
    const a = applied ? await send('PATCH', `${k.base}/${name}?fieldManager=fuzz&force=true`, obj, 'application/apply-patch+yaml') : await send('POST', k.base, obj);
    if (!expectOk(a, `${what}: ${applied ? 'apply' : 'create'} ${JSON.stringify(obj)}`)) continue;
    let current = await holds(k, name, expected, `${what}: ${applied ? 'apply' : 'create'}`, unknown);
    if (!current) continue;
    live.set(name, current);
    // Then a few changes, each valid or broken.
    for (let step = 0; step < 3; step++) {
      const broken = r.chance(0.4);
      const op = applied ? 'apply' : r.pick(['update', 'merge', 'json']);
      const next = genObjectOf(r, k, name, applied ? { noNull: true, nonEmpty: true } : {});
      let sent: Obj;
      let path = `${k.base}/${name}`;
      let body: Json;
      let ct = 'application/json';
      let b: Breakage | undefined;
      if (op === 'merge') {
        // A merge patch replacing one leaf (scalars and lists are replaced whole) of what is there now.
        const leaves: Site[] = [];
        sites(current.spec, k.schema.properties!.spec, 'spec', () => undefined, leaves);
        const targets = leaves.filter((s) => !isObj(s.value) && s.value !== null && !/\[\d+\]/.test(s.path) && s.path !== 'spec');
        if (!targets.length) continue;
        const target = r.pick(targets);
        const parts = target.path.split('.');
        const patch: Obj = {};
        let at: Obj = patch;
        for (const p of parts.slice(0, -1)) at = at[p] = {};
        const leafSite: Site = { ...target, set: (v) => (at[parts.at(-1)!] = v) };
        leafSite.set(genValid(r, target.schema, { noNull: true }));
        if (broken) {
          const options = breakages(r, { ...leafSite, value: at[parts.at(-1)!] }).filter((x) => x.field === target.path);
          if (options.length) (b = r.pick(options)).apply();
        }
        body = patch;
        ct = 'application/merge-patch+json';
        sent = patch;
      } else {
        if (broken) b = breakValue(r, next, k.schema, 'spec', op === 'apply');
        if (op === 'update') {
          body = { ...next, metadata: { ...(next.metadata as Obj), resourceVersion: current.metadata.resourceVersion } };
        } else if (op === 'json') {
          body = [{ op: 'test', path: '/metadata/name', value: name }, { op: 'add', path: '/spec', value: next.spec }, ...(next.status === undefined ? [] : [{ op: 'add', path: '/status', value: next.status }])];
          ct = 'application/json-patch+json';
        } else {
          path += '?fieldManager=fuzz&force=true';
          body = next;
          ct = 'application/apply-patch+yaml';
        }
        sent = op === 'json' ? { spec: next.spec, ...(next.status === undefined ? {} : { status: next.status }) } : next;
      }
      const method = op === 'update' ? 'PUT' : 'PATCH';
      const ans = await send(method, path, body, ct);
      const label = `${what}: ${op}${b ? ` with ${b.what}` : ''} ${JSON.stringify(body)} to ${JSON.stringify(current.spec)}`;
      if (b) {
        expectInvalid(ans, b.field, label);
        await unchanged(k, name, current, label);
        continue;
      }
      if (!expectOk(ans, label)) continue;
      current = await holds(k, name, sent, label);
      if (!current) break;
      live.set(name, current);
    }
  }
  // Lists: every live object is there, by name, as JSON and as a Table.
  const list = await send('GET', k.base);
  if (expectOk(list, `${tag}: list`)) {
    const names = (list.body.items ?? []).map((o: Any) => o.metadata.name).sort();
    if (JSON.stringify(names) !== JSON.stringify([...live.keys()].sort())) problems.push(`${tag}: list has ${JSON.stringify(names)}, expected ${JSON.stringify([...live.keys()].sort())}`);
  }
  // Through the other served version: the same objects, only their apiVersion differs.
  if (k.other) {
    const viaOther = await send('GET', k.other.base);
    if (expectOk(viaOther, `${tag}: list through ${k.other.apiVersion}`))
      for (const o of viaOther.body.items ?? []) {
        const mine = live.get(o.metadata?.name);
        if (o.apiVersion !== k.other.apiVersion || !mine || JSON.stringify(o.spec) !== JSON.stringify(mine.spec)) problems.push(`${tag}: ${o.metadata?.name} through ${k.other.apiVersion} reads ${JSON.stringify({ apiVersion: o.apiVersion, spec: o.spec })}`);
      }
  }
  // Custom resources carry no patch strategies: a strategic merge patch is refused as an unsupported media type.
  if (live.size) {
    const smp = await send('PATCH', `${k.base}/${[...live.keys()][0]}`, { metadata: { labels: { smp: 'x' } } }, 'application/strategic-merge-patch+json');
    if (smp.status !== 415) problems.push(`${tag}: strategic merge patch answered ${smp.status}, not 415: ${smp.text.slice(0, 200)}`);
  }
  const selected = await send('GET', `${k.base}?labelSelector=fuzz%3Da&limit=2`);
  expectOk(selected, `${tag}: list with a selector and a limit`);
  const table = await srv.client.raw('GET', k.base, undefined, { accept: 'application/json;as=Table;v=v1;g=meta.k8s.io' });
  requests++;
  let rows: number | undefined;
  try {
    rows = JSON.parse(table.body.toString()).rows?.length;
  } catch {
    /* reported below */
  }
  if (table.status !== 200 || rows !== live.size) problems.push(`${tag}: table list answered ${table.status}: ${table.body.toString().slice(0, 300)}`);
  // The CRD goes, and its objects with it.
  expectOk(await send('DELETE', `/apis/apiextensions.k8s.io/v1/customresourcedefinitions/${k.plural}.${GROUP}`), `${tag}: delete CRD`);
}

async function fuzzBrokenCRD(r: Rng, n: number): Promise<void> {
  const { crd, kind: k } = genCRD(r, 1000 + n);
  const broken = breakSchema(r, k.schema);
  const a = await send('POST', '/apis/apiextensions.k8s.io/v1/customresourcedefinitions', crd);
  expectInvalid(a, broken.field, `broken crd ${n}: ${broken.what} ${JSON.stringify(k.schema)}`);
}

t.before(async () => {
  srv = await startServer({ args: ['--disable-controllers'] });
  const ns = await srv.kubectl(['create', 'namespace', NS]);
  if (ns.exitCode !== 0) throw new Error(ns.stderr);
});
t.teardown(() => srv?.destroy());

t.test(`random CRDs and objects (seed ${SEED}) get the answers their schemas call for`, async (t) => {
  const r = prng(SEED);
  const start = Date.now();
  for (let n = 0; n < CRDS; n++) await fuzzKind(r, n);
  for (let n = 0; n < BROKEN_CRDS; n++) await fuzzBrokenCRD(r, n);
  t.comment(`${requests} requests in ${Date.now() - start} ms`);
  t.equal(srv.proc.exitCode, null, 'server still running');
  t.same(problems.slice(0, 15), [], `no bad answers (${problems.length}; replay with KUBETS_CRD_FUZZ_SEED=${SEED})`);
  const ready = await srv.client.raw('GET', '/readyz');
  t.equal(ready.status, 200, 'the server is ready after the fuzzing');
  t.equal(ready.body.toString(), 'ok');
});
