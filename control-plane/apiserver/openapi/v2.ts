// The Swagger 2.0 document at /openapi/v2 (kube: k8s.io/kube-openapi/pkg/handler, builder): every served kind's
// definitions and paths in one document, derived from the same group-version documents /openapi/v3 serves. kubectl
// reads it in gnostic's protobuf encoding to validate what `apply`/`create` send when the server's own validation
// can't be asked (a `kind: List` file) and to learn which kinds accept `fieldValidation`; Helm reads it as JSON.
import { createHash } from 'node:crypto';
import { groupVersions, type ResourceDef } from '../registry/kinds.js';
import { gvPathOf, openapiDocument, openapiIndex } from './document.js';
import { refPrefix, type Schema } from './dsl.js';
import { encodeDocument } from './gnostic.js';

const v2RefPrefix = '#/definitions/';
/** What every operation answers in, as kube-apiserver lists it. */
const produces = ['application/json', 'application/yaml', 'application/vnd.kubernetes.protobuf'];
const watchable = [...produces, 'application/json;stream=watch', 'application/vnd.kubernetes.protobuf;stream=watch'];

const v2Ref = (ref: string) => (ref.startsWith(refPrefix) ? v2RefPrefix + ref.slice(refPrefix.length) : ref);

/** Keywords OpenAPI v3 and structural schemas have and Swagger 2.0 lacks; kube-apiserver drops them from v2. */
const v3Only = new Set(['oneOf', 'anyOf', 'not', 'nullable', 'x-kubernetes-validations']);

/** One schema in Swagger 2.0's dialect: `#/definitions/` references, a field's `allOf` wrapper back to a bare `$ref`. */
export function toV2Schema(s: unknown): unknown {
  if (Array.isArray(s)) return s.map(toV2Schema);
  if (!s || typeof s !== 'object') return s;
  const src = s as Schema;
  const out: Schema = {};
  const wrapped = Array.isArray(src.allOf) && src.allOf.length === 1 && typeof (src.allOf[0] as Schema).$ref === 'string';
  for (const [k, v] of Object.entries(src)) {
    if (v3Only.has(k)) continue;
    if (k === '$ref' && typeof v === 'string') out.$ref = v2Ref(v);
    else if (wrapped && k === 'allOf') out.$ref = v2Ref((v as Schema[])[0].$ref as string);
    else if (wrapped && k === 'default') continue; // a referenced struct's default ({}) is not written in v2
    else if (k === 'properties' && v && typeof v === 'object') out.properties = Object.fromEntries(Object.entries(v).map(([name, p]) => [name, toV2Schema(p)]));
    else if (k === 'enum' || k === 'default' || k === 'example' || k.startsWith('x-')) out[k] = v;
    else out[k] = toV2Schema(v);
  }
  // A scalar of several types (IntOrString, Quantity) is a string in v2, the type every other form can be written as.
  if ((src.oneOf || src.anyOf) && out.type === undefined && out.$ref === undefined) out.type = 'string';
  if (src.nullable === true && out.$ref === undefined) delete out.type; // null must validate too
  return out;
}

/** A v3 parameter ({name, in, schema: {type}}) as v2 writes it, its schema's keywords inline. */
function toV2Parameter(p: Schema): Schema {
  const { schema, ...rest } = p;
  return { ...(rest.description ? { description: rest.description } : {}), in: rest.in, name: rest.name, ...(rest.required ? { required: true } : {}), ...(schema as Schema) };
}

function toV2Operation(op: Schema, action: string): Schema {
  const out: Schema = {};
  if (op.description) out.description = op.description;
  const body = op.requestBody as { content: Record<string, { schema?: Schema }>; required?: boolean } | undefined;
  const contentTypes = body ? Object.keys(body.content) : [];
  out.consumes = action === 'patch' ? contentTypes : ['*/*'];
  out.produces = action === 'list' ? watchable : produces;
  out.schemes = ['https'];
  out.tags = op.tags;
  out.operationId = op.operationId;
  const params: Schema[] = [];
  if (body) {
    const schema = Object.values(body.content)[0]?.schema;
    params.push({ in: 'body', name: 'body', ...(body.required ? { required: true } : {}), schema: toV2Schema(schema ?? { type: 'object' }) });
  }
  for (const p of (op.parameters as Schema[] | undefined) ?? []) params.push(toV2Parameter(p));
  if (params.length) out.parameters = params;
  const responses: Record<string, Schema> = {};
  for (const [code, r] of Object.entries(op.responses as Record<string, Schema>)) {
    const schema = (r.content as Record<string, { schema?: Schema }> | undefined)?.['application/json']?.schema;
    responses[code] = { description: r.description, ...(schema ? { schema: toV2Schema(schema) } : {}) };
  }
  out.responses = responses;
  for (const [k, v] of Object.entries(op)) if (k.startsWith('x-')) out[k] = v;
  return out;
}

const methods = ['get', 'put', 'post', 'delete', 'options', 'head', 'patch'] as const;

function toV2Path(item: Schema): Schema {
  const out: Schema = {};
  for (const m of methods) {
    const op = item[m] as Schema | undefined;
    if (op) out[m] = toV2Operation(op, (op['x-kubernetes-action'] as string | undefined) ?? m);
  }
  const params = (item.parameters as Schema[] | undefined) ?? [];
  if (params.length) out.parameters = params.map(toV2Parameter);
  return out;
}

const sorted = <T>(o: Record<string, T>): Record<string, T> => Object.fromEntries(Object.keys(o).sort().map((k) => [k, o[k]]));

/** The Swagger 2.0 document of the served kinds. */
export function swaggerDocument(kinds: readonly ResourceDef[]): Schema {
  const paths: Record<string, Schema> = {};
  const definitions: Record<string, Schema> = {};
  for (const { group, version } of groupVersions(kinds)) {
    const doc = openapiDocument(gvPathOf(group, version), kinds);
    if (!doc) continue;
    for (const [p, item] of Object.entries(doc.paths as Record<string, Schema>)) paths[p] = toV2Path(item);
    const schemas = (doc.components as { schemas: Record<string, Schema> }).schemas;
    for (const [name, s] of Object.entries(schemas)) definitions[name] = toV2Schema(s) as Schema;
  }
  return {
    swagger: '2.0',
    info: { title: 'Kubernetes', version: 'v1.32.0' },
    paths: sorted(paths),
    definitions: sorted(definitions),
    securityDefinitions: { BearerToken: { description: 'Bearer Token authentication', type: 'apiKey', name: 'authorization', in: 'header' } },
    security: [{ BearerToken: [] }],
  };
}

export interface SwaggerEncodings {
  json: Buffer;
  protobuf: Buffer;
  /** kube-openapi's ETag: the upper-case hex SHA-512 of the JSON document, quoted. */
  etag: string;
}

let cache: { key: string; value: SwaggerEncodings } | undefined;

/** The document in both encodings, rebuilt only when a served group-version's document changed. */
export function swagger(kinds: readonly ResourceDef[]): SwaggerEncodings {
  const key = Object.values(openapiIndex(kinds).paths).map((p) => p.serverRelativeURL).join(' ');
  if (cache?.key === key) return cache.value;
  const doc = swaggerDocument(kinds);
  const json = Buffer.from(JSON.stringify(doc));
  const value = { json, protobuf: encodeDocument(doc), etag: `"${createHash('sha512').update(json).digest('hex').toUpperCase()}"` };
  cache = { key, value };
  return value;
}
