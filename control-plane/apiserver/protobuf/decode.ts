// Decodes one Kubernetes protobuf message into the JSON object Go's encoding/json would print for the same Go value:
// the object kube-apiserver works on when a client sends JSON instead. Fields follow the table in schema.ts; the
// special apimachinery types (Time, IntOrString, Quantity, …) get their own JSON forms here.
import { messages } from './schema.js';
import { Reader, WireError, WireType, toInt32, toInt64 } from './wire.js';

type Scalar = 's' | 'i32' | 'i64' | 'b' | 'y' | 'f64';
const scalars = new Set<string>(['s', 'i32', 'i64', 'b', 'y', 'f64']);
const specials = new Set<string>(['Time', 'MicroTime', 'Duration', 'IntOrString', 'Quantity', 'RawExtension', 'FieldsV1', 'ExtraValue']);

interface Field {
  name: string;
  number: number;
  /** A scalar code, a special type or a message name. */
  type: string;
  shape: 'single' | 'repeated' | 'map';
  keepZero: boolean;
  /** Null in JSON when absent from the wire (a Go slice or pointer without omitempty). */
  nullIfAbsent: boolean;
  inline: boolean;
}

export class DecodeError extends Error {
  override name = 'DecodeError';
  constructor(
    message: string,
    readonly path: string,
  ) {
    super(message);
  }
}

// ---- the table, parsed once ----

const fieldSpec = /^(?:(\.\.\.)|([A-Za-z][\w]*)=)(\d+)(?::(\[|\{)?(\w+)[\]}]?)?(\*)?(!)?$/;

function parseMessage(name: string, spec: string): Map<number, Field> {
  const fields = new Map<number, Field>();
  for (const part of spec.split(' ')) {
    const m = fieldSpec.exec(part);
    if (!m) throw new Error(`protobuf schema ${name}: bad field "${part}"`);
    const type = m[5] ?? 's';
    fields.set(Number(m[3]), {
      name: m[2] ?? '',
      number: Number(m[3]),
      type,
      shape: m[4] === '[' ? 'repeated' : m[4] === '{' ? 'map' : 'single',
      keepZero: m[6] === '*',
      nullIfAbsent: m[7] === '!',
      inline: m[1] === '...',
    });
  }
  return fields;
}

const schema = new Map<string, Map<number, Field>>();
for (const [name, spec] of Object.entries(messages)) schema.set(name, parseMessage(name, spec));
for (const [name, fields] of schema)
  for (const f of fields.values())
    if (!scalars.has(f.type) && !specials.has(f.type) && !schema.has(f.type)) throw new Error(`protobuf schema ${name}.${f.name}: unknown type ${f.type}`);

// ---- decoding ----

type JSONObject = Record<string, unknown>;
const MAX_DEPTH = 100;

/** Decodes `buf` as message `type` into a plain JSON object. */
export function decodeMessage(type: string, buf: Uint8Array): JSONObject {
  const out: JSONObject = {};
  into(type, buf, out, '', 0);
  return out;
}

function join(path: string, name: string): string {
  return path ? `${path}.${name}` : name;
}

/** Reads the fields of `buf` into `out`; a message field seen twice merges, as protobuf requires. */
function into(type: string, buf: Uint8Array, out: JSONObject, path: string, depth: number): void {
  if (depth > MAX_DEPTH) throw new DecodeError('message nested too deeply', path);
  const fields = schema.get(type)!;
  const r = new Reader(buf);
  while (!r.done) {
    let tag;
    try {
      tag = r.tag();
    } catch (e) {
      throw rethrow(e, path);
    }
    const f = fields.get(tag.field);
    if (!f) {
      // Unknown to this table (a newer field): skipped, as any protobuf reader does.
      try {
        r.skip(tag.wireType);
      } catch (e) {
        throw rethrow(e, path);
      }
      continue;
    }
    const fpath = f.inline ? path : join(path, f.name);
    try {
      readField(f, tag.wireType, r, out, fpath, depth);
    } catch (e) {
      throw rethrow(e, fpath);
    }
  }
  for (const f of fields.values()) if (f.nullIfAbsent && !(f.name in out)) out[f.name] = null;
}

function rethrow(e: unknown, path: string): Error {
  if (e instanceof DecodeError) return e.path ? e : new DecodeError(e.message, path);
  if (e instanceof WireError) return new DecodeError(e.message, path);
  return e as Error;
}

function expectWire(got: WireType, want: WireType, f: Field): void {
  if (got !== want) throw new DecodeError(`field ${f.number} has wire type ${got}, want ${want}`, '');
}

function readField(f: Field, wt: WireType, r: Reader, out: JSONObject, path: string, depth: number): void {
  if (f.shape === 'map') {
    expectWire(wt, WireType.Bytes, f);
    const [key, value] = mapEntry(f.type, r.bytes(), path, depth);
    const map = (out[f.name] ??= {}) as JSONObject;
    map[key] = value;
    return;
  }
  if (f.shape === 'repeated') {
    const list = (out[f.name] ??= []) as unknown[];
    if (scalars.has(f.type) && f.type !== 's' && f.type !== 'y' && wt === WireType.Bytes) {
      // Packed: one length-delimited run of scalars.
      const packed = new Reader(r.bytes());
      const inner = f.type === 'f64' ? WireType.Fixed64 : WireType.Varint;
      while (!packed.done) list.push(readScalar(f.type as Scalar, inner, packed, f));
      return;
    }
    list.push(readValue(f.type, wt, r, f, `${path}[${list.length}]`, depth));
    return;
  }
  if (f.inline) {
    expectWire(wt, WireType.Bytes, f);
    into(f.type, r.bytes(), out, path, depth + 1);
    return;
  }
  if (schema.has(f.type)) {
    expectWire(wt, WireType.Bytes, f);
    const prev = out[f.name];
    const target = prev && typeof prev === 'object' ? (prev as JSONObject) : {};
    into(f.type, r.bytes(), target, path, depth + 1);
    out[f.name] = target;
    return;
  }
  const v = readValue(f.type, wt, r, f, path, depth);
  if (scalars.has(f.type) && !f.keepZero && isZero(v)) delete out[f.name];
  else out[f.name] = v;
}

function isZero(v: unknown): boolean {
  return v === '' || v === 0 || v === false;
}

function readValue(type: string, wt: WireType, r: Reader, f: Field, path: string, depth: number): unknown {
  if (scalars.has(type)) return readScalar(type as Scalar, wt, r, f);
  expectWire(wt, WireType.Bytes, f);
  const buf = r.bytes();
  if (specials.has(type)) return special(type, buf, path);
  const obj: JSONObject = {};
  into(type, buf, obj, path, depth + 1);
  return obj;
}

const utf8 = new TextDecoder('utf-8', { fatal: true });

function readScalar(type: Scalar, wt: WireType, r: Reader, f: Field): unknown {
  switch (type) {
    case 's':
      expectWire(wt, WireType.Bytes, f);
      try {
        return utf8.decode(r.bytes());
      } catch {
        throw new DecodeError('string is not valid UTF-8', '');
      }
    case 'y':
      expectWire(wt, WireType.Bytes, f);
      return Buffer.from(r.bytes()).toString('base64');
    case 'i32':
      expectWire(wt, WireType.Varint, f);
      return toInt32(r.varint());
    case 'i64':
      expectWire(wt, WireType.Varint, f);
      return toInt64(r.varint());
    case 'b':
      expectWire(wt, WireType.Varint, f);
      return r.varint() !== 0n;
    case 'f64': {
      expectWire(wt, WireType.Fixed64, f);
      const b = r.fixed64();
      return Buffer.from(b.buffer, b.byteOffset, 8).readDoubleLE(0);
    }
  }
}

/** A map entry: key(1) string, value(2) of the map's value type. Absent parts are Go's zero values. */
function mapEntry(valueType: string, buf: Uint8Array, path: string, depth: number): [string, unknown] {
  const r = new Reader(buf);
  const keyField: Field = { name: 'key', number: 1, type: 's', shape: 'single', keepZero: true, nullIfAbsent: false, inline: false };
  const valueField: Field = { name: 'value', number: 2, type: valueType, shape: 'single', keepZero: true, nullIfAbsent: false, inline: false };
  let key = '';
  let value: unknown;
  while (!r.done) {
    const tag = r.tag();
    if (tag.field === 1) key = readScalar('s', tag.wireType, r, keyField) as string;
    else if (tag.field === 2) value = readValue(valueType, tag.wireType, r, valueField, `${path}[${JSON.stringify(key)}]`, depth);
    else r.skip(tag.wireType);
  }
  if (value === undefined) value = zeroOf(valueType, path);
  return [key, value];
}

function zeroOf(type: string, path: string): unknown {
  switch (type) {
    case 's':
    case 'y':
      return '';
    case 'b':
      return false;
    case 'i32':
    case 'i64':
    case 'f64':
      return 0;
  }
  if (specials.has(type)) return special(type, new Uint8Array(0), path);
  return {};
}

// ---- apimachinery types with their own JSON form ----

function special(type: string, buf: Uint8Array, path: string): unknown {
  switch (type) {
    case 'Time':
    case 'MicroTime': {
      // An empty Time is Go's zero time, which marshals as null (the `creationTimestamp: null` of a new object).
      if (buf.length === 0) return null;
      const { seconds, nanos } = timestamp(buf);
      if (seconds === GO_ZERO_TIME_UNIX && nanos === 0) return null;
      return formatTime(seconds, nanos, type === 'MicroTime', path);
    }
    case 'Duration': {
      let ns = 0n;
      for (const [field, v] of varintFields(buf)) if (field === 1) ns = BigInt.asIntN(64, v);
      return formatDuration(ns);
    }
    case 'IntOrString': {
      let kind = 0n;
      let intVal = 0;
      let strVal = '';
      const r = new Reader(buf);
      while (!r.done) {
        const t = r.tag();
        if (t.field === 1 && t.wireType === WireType.Varint) kind = r.varint();
        else if (t.field === 2 && t.wireType === WireType.Varint) intVal = toInt32(r.varint());
        else if (t.field === 3 && t.wireType === WireType.Bytes) strVal = utf8.decode(r.bytes());
        else r.skip(t.wireType);
      }
      return kind === 1n ? strVal : intVal;
    }
    case 'Quantity': {
      // The string as sent; a zero Quantity prints "0".
      const s = stringField(buf, 1);
      return s === '' ? '0' : s;
    }
    case 'ExtraValue': {
      // items(1), repeated: the JSON list itself (an empty one when there are none, as Go's map decoding leaves it).
      const items: string[] = [];
      const r = new Reader(buf);
      while (!r.done) {
        const t = r.tag();
        if (t.field !== 1 || t.wireType !== WireType.Bytes) r.skip(t.wireType);
        else {
          try {
            items.push(utf8.decode(r.bytes()));
          } catch {
            throw new DecodeError('string is not valid UTF-8', path);
          }
        }
      }
      return items;
    }
    case 'FieldsV1':
    case 'RawExtension': {
      // Both carry raw JSON (field 1); an absent or empty payload marshals as null.
      const raw = bytesField(buf, 1);
      if (!raw || raw.length === 0) return null;
      try {
        return JSON.parse(utf8.decode(raw));
      } catch {
        throw new DecodeError(`${type} does not hold JSON`, path);
      }
    }
  }
  throw new DecodeError(`no decoder for ${type}`, path);
}

/** time.Time{}.Unix(): Go's zero time is January 1 of year 1. */
const GO_ZERO_TIME_UNIX = -62135596800;

function timestamp(buf: Uint8Array): { seconds: number; nanos: number } {
  let seconds = 0;
  let nanos = 0;
  for (const [field, v] of varintFields(buf)) {
    if (field === 1) seconds = toInt64(v);
    else if (field === 2) nanos = toInt32(v);
  }
  return { seconds, nanos };
}

function* varintFields(buf: Uint8Array): Generator<[number, bigint]> {
  const r = new Reader(buf);
  while (!r.done) {
    const t = r.tag();
    if (t.wireType === WireType.Varint) yield [t.field, r.varint()];
    else r.skip(t.wireType);
  }
}

function bytesField(buf: Uint8Array, field: number): Uint8Array | undefined {
  const r = new Reader(buf);
  let out: Uint8Array | undefined;
  while (!r.done) {
    const t = r.tag();
    if (t.field === field && t.wireType === WireType.Bytes) out = r.bytes();
    else r.skip(t.wireType);
  }
  return out;
}

function stringField(buf: Uint8Array, field: number): string {
  const b = bytesField(buf, field);
  return b ? utf8.decode(b) : '';
}

/** RFC 3339 in UTC: seconds for Time ("2006-01-02T15:04:05Z"), microseconds for MicroTime. */
export function formatTime(seconds: number, nanos: number, micro: boolean, path = ''): string {
  const d = new Date(seconds * 1000);
  const year = d.getUTCFullYear();
  if (Number.isNaN(d.getTime()) || year < 0 || year > 9999) throw new DecodeError(`time ${seconds}s is outside years 0-9999`, path);
  const iso = d.toISOString(); // YYYY-MM-DDTHH:MM:SS.sssZ for years 0..9999
  const base = iso.slice(0, 19);
  if (!micro) return `${base}Z`;
  const us = Math.floor(Math.max(0, Math.min(nanos, 999_999_999)) / 1000);
  return `${base}.${String(us).padStart(6, '0')}Z`;
}

/** Go's time.Duration.String(): "1h2m3.5s", "150ms", "0s". */
export function formatDuration(ns: bigint): string {
  if (ns === 0n) return '0s';
  const neg = ns < 0n;
  let u = neg ? -ns : ns;
  const sign = neg ? '-' : '';
  const frac = (v: bigint, digits: number): string => {
    // v / 10^digits with trailing zeros (and a bare point) trimmed.
    const s = v.toString().padStart(digits + 1, '0');
    const whole = s.slice(0, s.length - digits);
    const f = s.slice(s.length - digits).replace(/0+$/, '');
    return f ? `${whole}.${f}` : whole;
  };
  if (u < 1_000_000_000n) {
    if (u < 1_000n) return `${sign}${u}ns`;
    if (u < 1_000_000n) return `${sign}${frac(u, 3)}µs`;
    return `${sign}${frac(u, 6)}ms`;
  }
  const secNs = u % 60_000_000_000n;
  u /= 60_000_000_000n;
  let out = `${frac(secNs, 9)}s`;
  if (u > 0n) {
    out = `${u % 60n}m${out}`;
    u /= 60n;
    if (u > 0n) out = `${u}h${out}`;
  }
  return sign + out;
}
