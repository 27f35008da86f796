// The protobuf encoding of a Swagger 2.0 document (kube: github.com/google/gnostic-models openapiv2, the message
// `openapi.v2.Document` that kube-openapi serves as application/com.github.proto-openapi.spec.v2@v1.0+protobuf and
// client-go's OpenAPISchema() reads). Maps are repeated (name, value) pairs in document order; free-form values
// (defaults, enums, vendor extensions) are `Any` messages carrying their YAML text, which JSON text is.
import { Writer } from '../protobuf/wire.js';
import type { Schema } from './dsl.js';

const w = () => new Writer();

/** openapi.v2.Any: value = 1 (google.protobuf.Any, unused), yaml = 2. */
const any = (v: unknown) => w().string(2, JSON.stringify(v));
/** openapi.v2.NamedAny: name = 1, value = 2. */
const namedAny = (name: string, v: unknown) => w().string(1, name).message(2, any(v));

function vendorExtensions(out: Writer, field: number, o: Schema): void {
  for (const [k, v] of Object.entries(o)) if (k.startsWith('x-')) out.message(field, namedAny(k, v));
}

const num = (v: unknown) => (typeof v === 'number' ? v : undefined);
const bool = (v: unknown) => v === true;

/** openapi.v2.Schema. */
function schema(s: Schema): Writer {
  const out = w();
  out.string(1, s.$ref as string | undefined).string(2, s.format as string | undefined).string(3, s.title as string | undefined).string(4, s.description as string | undefined);
  if (s.default !== undefined) out.message(5, any(s.default));
  out.double(6, num(s.multipleOf)).double(7, num(s.maximum)).bool(8, bool(s.exclusiveMaximum)).double(9, num(s.minimum)).bool(10, bool(s.exclusiveMinimum));
  out.int64(11, num(s.maxLength)).int64(12, num(s.minLength)).string(13, s.pattern as string | undefined);
  out.int64(14, num(s.maxItems)).int64(15, num(s.minItems)).bool(16, bool(s.uniqueItems)).int64(17, num(s.maxProperties)).int64(18, num(s.minProperties));
  out.strings(19, s.required as string[] | undefined);
  for (const e of (s.enum as unknown[] | undefined) ?? []) out.message(20, any(e));
  // AdditionalPropertiesItem: schema = 1 | boolean = 2.
  if (typeof s.additionalProperties === 'boolean') out.message(21, w().bool(2, s.additionalProperties, true));
  else if (s.additionalProperties) out.message(21, w().message(1, schema(s.additionalProperties as Schema)));
  // TypeItem: value = 1; ItemsItem: schema = 1 (repeated).
  if (s.type !== undefined) out.message(22, w().strings(1, Array.isArray(s.type) ? s.type : [s.type as string]));
  if (s.items) out.message(23, w().message(1, schema(s.items as Schema)));
  for (const a of (s.allOf as Schema[] | undefined) ?? []) out.message(24, schema(a));
  // Properties: additional_properties = 1, each a NamedSchema (name = 1, value = 2).
  if (s.properties) {
    const props = w();
    for (const [name, p] of Object.entries(s.properties as Record<string, Schema>)) props.message(1, w().string(1, name).message(2, schema(p)));
    out.message(25, props);
  }
  out.string(26, s.discriminator as string | undefined).bool(27, bool(s.readOnly));
  if (s.example !== undefined) out.message(30, any(s.example));
  vendorExtensions(out, 31, s);
  return out;
}

/** openapi.v2.ParametersItem { parameter = 1: Parameter { body_parameter = 1 | non_body_parameter = 2 } }. */
function parameter(p: Schema): Writer {
  let param: Writer;
  if (p.in === 'body') {
    // BodyParameter: description = 1, name = 2, in = 3, required = 4, schema = 5.
    const body = w().string(1, p.description as string | undefined).string(2, p.name as string).string(3, 'body').bool(4, bool(p.required)).message(5, schema((p.schema as Schema) ?? {}));
    param = w().message(1, body);
  } else {
    // NonBodyParameter: query_parameter_sub_schema = 3 (allow_empty_value = 5 shifts the rest by one), path = 4.
    const query = p.in === 'query';
    const sub = w().bool(1, bool(p.required)).string(2, p.in as string).string(3, p.description as string | undefined).string(4, p.name as string);
    const base = query ? 6 : 5;
    sub.string(base, p.type as string | undefined).string(base + 1, p.format as string | undefined).bool(base + 14, bool(p.uniqueItems));
    param = w().message(2, w().message(query ? 3 : 4, sub));
  }
  return w().message(1, param);
}

/** openapi.v2.Operation. */
function operation(op: Schema): Writer {
  const out = w().strings(1, op.tags as string[] | undefined).string(3, op.description as string | undefined).string(5, op.operationId as string | undefined);
  out.strings(6, op.produces as string[] | undefined).strings(7, op.consumes as string[] | undefined);
  for (const p of (op.parameters as Schema[] | undefined) ?? []) out.message(8, parameter(p));
  // Responses { response_code = 1: NamedResponseValue { name, value: ResponseValue { response = 1: Response } } }.
  const responses = w();
  for (const [code, r] of Object.entries((op.responses as Record<string, Schema> | undefined) ?? {})) {
    const response = w().string(1, r.description as string | undefined);
    if (r.schema) response.message(2, w().message(1, schema(r.schema as Schema)));
    responses.message(1, w().string(1, code).message(2, w().message(1, response)));
  }
  out.message(9, responses).strings(10, op.schemes as string[] | undefined);
  vendorExtensions(out, 13, op);
  return out;
}

const pathMethods = { get: 2, put: 3, post: 4, delete: 5, options: 6, head: 7, patch: 8 } as const;

/** openapi.v2.PathItem. */
function pathItem(item: Schema): Writer {
  const out = w();
  for (const [m, field] of Object.entries(pathMethods)) if (item[m]) out.message(field, operation(item[m] as Schema));
  for (const p of (item.parameters as Schema[] | undefined) ?? []) out.message(9, parameter(p));
  return out;
}

/** openapi.v2.Document of a Swagger 2.0 document as swaggerDocument() builds it. */
export function encodeDocument(doc: Schema): Buffer {
  const out = w().string(1, doc.swagger as string);
  const info = doc.info as { title: string; version: string };
  out.message(2, w().string(1, info.title).string(2, info.version));
  // Paths: path = 2 (NamedPathItem).
  const paths = w();
  for (const [p, item] of Object.entries(doc.paths as Record<string, Schema>)) paths.message(2, w().string(1, p).message(2, pathItem(item)));
  out.message(8, paths);
  // Definitions: additional_properties = 1 (NamedSchema).
  const defs = w();
  for (const [name, s] of Object.entries(doc.definitions as Record<string, Schema>)) defs.message(1, w().string(1, name).message(2, schema(s)));
  out.message(9, defs);
  // security = 12: SecurityRequirement { additional_properties = 1: NamedStringArray { name, value: StringArray } }.
  for (const req of (doc.security as Record<string, string[]>[] | undefined) ?? []) {
    const r = w();
    for (const [name, scopes] of Object.entries(req)) r.message(1, w().string(1, name).message(2, w().strings(1, scopes)));
    out.message(12, r);
  }
  // security_definitions = 13: NamedSecurityDefinitionsItem { value: SecurityDefinitionsItem { api_key_security = 2 } }.
  const secDefs = w();
  for (const [name, d] of Object.entries((doc.securityDefinitions as Record<string, Schema> | undefined) ?? {})) {
    const apiKey = w().string(1, d.type as string).string(2, d.name as string).string(3, d.in as string).string(4, d.description as string | undefined);
    secDefs.message(1, w().string(1, name).message(2, w().message(2, apiKey)));
  }
  out.message(13, secDefs);
  return out.finish();
}
