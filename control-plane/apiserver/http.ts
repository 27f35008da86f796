// The wire (kube: k8s.io/apiserver/pkg/endpoints/handlers — rest.go's limited body read, negotiation/, responsewriters/):
// reading a request body within the size limit and decoding it (JSON, YAML, Kubernetes protobuf), which output the
// client asked for (a Table, PartialObjectMetadata), query parameters as kube-apiserver converts them, and writing
// JSON answers and Status errors.
import type { IncomingMessage, ServerResponse } from 'node:http';
import { parse as parseYaml } from 'yaml';
import { badRequest, StatusError } from '../../api/errors.js';
import { decodeProtobuf, isProtobuf } from './protobuf/index.js';

const MAX_BODY = 3 * 1024 * 1024;

// ---- requests ----

/** The request's URL; origin-form paths only ("//api" is a path here, not a host). Anything unparsable is a 400. */
export function requestURL(req: IncomingMessage): URL {
  try {
    return new URL(`https://localhost${req.url?.startsWith('/') ? req.url : `/${req.url ?? ''}`}`);
  } catch {
    throw badRequest('malformed request URI');
  }
}

export function readBody(req: IncomingMessage): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    let size = 0;
    let failed = false;
    req.on('data', (c: Buffer) => {
      size += c.length;
      if (size > MAX_BODY && !failed) {
        failed = true;
        reject(new StatusError(413, 'RequestEntityTooLarge', `Request entity too large: limit is ${MAX_BODY}`));
        req.resume();
        return;
      }
      if (!failed) chunks.push(c);
    });
    req.on('end', () => failed || resolve(Buffer.concat(chunks)));
    req.on('error', reject);
  });
}

/** Decodes a request body: JSON, or YAML (apply patches, and any body that is not JSON). Malformed input is a 400 naming the problem. */
export function decodeBody(buf: Buffer, contentType: string | undefined): unknown {
  // kubectl's typed clients (create deployment|namespace|configmap|secret…) send Kubernetes protobuf.
  if (isProtobuf(contentType)) return decodeProtobuf(buf);
  const text = buf.toString('utf8');
  if (!text.trim()) throw badRequest('the request body is empty');
  const ct = (contentType ?? 'application/json').split(';')[0].trim();
  // Parsers and the code after them recurse per level: a stack overflow deep inside V8 (a regex compiled at the
  // limit) kills the process instead of throwing, so absurd nesting is refused before parsing.
  const depth = nestingDepth(text, ct.endsWith('yaml'));
  if (depth > MAX_NESTING) throw badRequest(`the object provided is nested too deeply: more than ${MAX_NESTING} levels`);
  if (ct.endsWith('yaml')) {
    try {
      return parseYaml(text);
    } catch (e) {
      throw badRequest(`error converting YAML to JSON: ${(e as Error).message.split('\n')[0]}`);
    }
  }
  try {
    return JSON.parse(text);
  } catch (e) {
    // YAML is read wherever JSON is (kube-apiserver's JSON serializer converts YAML first), so a manifest file sent
    // as it is (`kubectl create --raw … -f pod.yaml`) is decoded; text that is neither stays a 400.
    const yaml = parseYamlObject(text);
    if (yaml !== undefined) return yaml;
    throw badRequest(`the object provided is unrecognized (must be of type JSON): ${(e as Error).message}`);
  }
}

/** A YAML document that is a mapping, or undefined for anything else (a scalar, a list, a syntax error). */
function parseYamlObject(text: string): Record<string, unknown> | undefined {
  try {
    const v = parseYaml(text) as unknown;
    return v && typeof v === 'object' && !Array.isArray(v) ? (v as Record<string, unknown>) : undefined;
  } catch {
    return undefined;
  }
}

const MAX_NESTING = 500;

/**
 * An upper bound of the nesting depth: brackets outside JSON strings, plus (for YAML) the number of ever-deeper
 * indentation levels in force at a line.
 */
function nestingDepth(text: string, yaml: boolean): number {
  let max = 0;
  let flow = 0;
  let inString = false;
  const indents: number[] = [];
  let lineStart = true;
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i);
    if (yaml && lineStart) {
      lineStart = false;
      let j = i;
      while (text.charCodeAt(j) === 32) j++;
      if (j < text.length && text[j] !== '\n' && text[j] !== '#') {
        const indent = j - i;
        while (indents.length && indents[indents.length - 1] >= indent) indents.pop();
        indents.push(indent);
      }
    }
    if (c === 10) lineStart = true;
    if (inString) {
      if (c === 92) i++; // backslash escapes the next character
      else if (c === 34) inString = false;
      continue;
    }
    if (c === 34 && !yaml) inString = true;
    else if (c === 91 || c === 123) flow++;
    else if ((c === 93 || c === 125) && flow > 0) flow--;
    max = Math.max(max, flow + indents.length);
    if (max > MAX_NESTING) return max;
  }
  return max;
}

// ---- negotiation ----

/** The output the client asked for in Accept: the object itself, a Table, or PartialObjectMetadata. */
export interface Wanted {
  table: boolean;
  partial: boolean;
}

export function negotiate(accept: string | undefined): Wanted {
  const first = (accept ?? '').split(',').map((s) => s.trim());
  for (const m of first) {
    if (m.includes('as=Table')) return { table: true, partial: false };
    if (m.includes('as=PartialObjectMetadata')) return { table: false, partial: true };
    if (m.startsWith('application/json') || m.startsWith('*/*') || m === '') return { table: false, partial: false };
  }
  return { table: false, partial: false };
}

// ---- query parameters ----

/**
 * A boolean query parameter as kube-apiserver converts it: anything but "", "false" and "0" (any case) is true —
 * the Python client sends `watch=True`.
 */
export function boolParam(q: URLSearchParams, name: string): boolean {
  const v = q.get(name);
  return v !== null && !['', 'false', '0'].includes(v.toLowerCase());
}

/** An integer query parameter, as kube-apiserver converts it (int64); anything else is a 400, not a NaN downstream. */
export function intParam(q: URLSearchParams, name: string): number | undefined {
  const v = q.get(name);
  if (v === null || v === '') return undefined;
  if (!/^[+-]?\d{1,18}$/.test(v.trim())) throw badRequest(`invalid value for query parameter ${name}: ${JSON.stringify(v)}: must be an integer`);
  return Number(v.trim());
}

/** ListOptions from the query: selectors, paging, the revision to read at. */
export function listOptions(q: URLSearchParams) {
  const limit = intParam(q, 'limit');
  return {
    labelSelector: q.get('labelSelector') ?? undefined,
    fieldSelector: q.get('fieldSelector') ?? undefined,
    limit: limit !== undefined && limit > 0 ? Math.min(limit, Number.MAX_SAFE_INTEGER) : undefined,
    continue: q.get('continue') ?? undefined,
    resourceVersion: q.get('resourceVersion') ?? undefined,
    resourceVersionMatch: q.get('resourceVersionMatch') ?? undefined,
  };
}

// ---- responses ----

/**
 * kube-apiserver encodes Go structs: TypeMeta (kind, apiVersion) first, then metadata, then the kind's own fields, and
 * its JSON encoder ends the body with a newline. Stored objects keep whatever order their writer used, so the object
 * (and each item of a list) is put in that order on the way out.
 */
export function wireOrder(v: unknown): unknown {
  if (!v || typeof v !== 'object' || Array.isArray(v)) return v;
  const o = v as Record<string, unknown>;
  if (!('kind' in o) && !('apiVersion' in o)) return v;
  const { kind, apiVersion, metadata, items, ...rest } = o;
  const out: Record<string, unknown> = {};
  if (kind !== undefined) out.kind = kind;
  if (apiVersion !== undefined) out.apiVersion = apiVersion;
  if (metadata !== undefined) out.metadata = metadata;
  if (items !== undefined) out.items = Array.isArray(items) ? items.map(wireOrder) : items;
  return Object.assign(out, rest);
}

/** One JSON body as kube-apiserver writes it (see wireOrder). */
export function encodeJSON(body: unknown): string {
  return `${JSON.stringify(wireOrder(body))}\n`;
}

export function sendJSON(res: ServerResponse, code: number, body: unknown, contentType = 'application/json'): void {
  sendEncoded(res, code, encodeJSON(body), contentType);
}

/** A JSON body already encoded (see encodeJSON), whole or in pieces written one after the other. */
export function sendEncoded(res: ServerResponse, code: number, body: string | Buffer | Buffer[], contentType = 'application/json'): void {
  const length = Array.isArray(body) ? body.reduce((n, b) => n + b.length, 0) : Buffer.byteLength(body);
  res.writeHead(code, { 'content-type': contentType, 'content-length': length, 'cache-control': 'no-cache, private' });
  if (!Array.isArray(body)) return void res.end(body);
  // One write to the socket for all the pieces (writev), rather than one per piece.
  res.cork();
  for (const b of body) res.write(b);
  res.end();
}

export function sendStatus(res: ServerResponse, e: StatusError): void {
  sendJSON(res, e.code, e.toStatus());
}

/** Starts a streamed JSON answer (watch events, one per line). */
export function startStream(res: ServerResponse): void {
  res.writeHead(200, { 'content-type': 'application/json', 'transfer-encoding': 'chunked', 'cache-control': 'no-cache, private' });
}
