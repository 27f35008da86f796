// Decoding an object from a request body (kube: k8s.io/apiserver/pkg/endpoints/handlers/rest.go and create.go —
// the serializer's strict decoding and fieldValidation): the body's kind and version must be the URL's, JSON types
// must fit the schema, and fields the schema does not know are refused, reported or ignored as asked.
import type { ServerResponse } from 'node:http';
import { badRequest } from '../../../api/errors.js';
import type { KubeObject } from '../../../api/types.js';
import { decodeBody, readBody } from '../http.js';
import { unknownFields } from '../openapi/index.js';
import { apiVersionOf, type ResourceDef } from '../registry/kinds.js';
import { checkKind } from '../registry/store.js';
import { typeError } from '../typecheck.js';
import type { RequestScope } from './scope.js';

/** The body as an object of the URL's kind: a kind or apiVersion it states must be that one. */
export function asObject(def: ResourceDef, body: unknown): KubeObject {
  const obj = checkKind(def, body);
  if (obj.apiVersion !== undefined && obj.apiVersion !== apiVersionOf(def)) throw badRequest(`the API version in the data (${obj.apiVersion}) does not match the expected API version (${apiVersionOf(def)})`);
  if (obj.metadata !== undefined && (typeof obj.metadata !== 'object' || obj.metadata === null || Array.isArray(obj.metadata))) throw badRequest('metadata must be an object');
  obj.metadata ??= {};
  return obj;
}

/** The request body, decoded as an object of the URL's kind. */
export async function readObject(s: RequestScope): Promise<KubeObject> {
  return asObject(s.def, decodeBody(await readBody(s.req), s.req.headers['content-type']));
}

/**
 * fieldValidation=Strict (kubectl's default) rejects fields the schema doesn't know, as kube-apiserver's strict
 * decoding does; Warn reports them in Warning headers; Ignore (or no parameter) drops nothing and says nothing.
 */
export function fieldValidation(def: ResourceDef, q: URLSearchParams, res: ServerResponse): (obj: KubeObject) => void {
  const mode = q.get('fieldValidation') ?? 'Ignore';
  if (!['Strict', 'Warn', 'Ignore'].includes(mode)) throw badRequest(`fieldValidation must be one of "Ignore", "Warn", or "Strict", got "${mode}"`);
  return (obj) => {
    // Wrong JSON types fail decoding in every mode, as kube-apiserver's typed decoding does.
    // (A custom resource's wrong types are its schema validation's 422s instead, as kube-apiserver's.)
    const typeErr = def.openapi ? undefined : typeError(def.group, def.version, def.kind, obj);
    if (typeErr) throw typeErr;
    if (mode === 'Ignore') return;
    const unknown = def.unknownFields ? def.unknownFields(obj) : unknownFields(def.group, def.version, def.kind, obj);
    if (!unknown.length) return;
    if (mode === 'Strict') throw badRequest(`${def.kind} in version "${def.version}" cannot be handled as a ${def.kind}: strict decoding error: ${unknown.map((f) => `unknown field "${f}"`).join(', ')}`);
    res.setHeader('Warning', unknown.map((f) => `299 - "unknown field \\"${f}\\""`));
  };
}
