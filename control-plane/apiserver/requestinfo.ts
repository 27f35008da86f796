// What a request asks for, from its method and path alone (kube: k8s.io/apiserver/pkg/endpoints/request/requestinfo.go,
// RequestInfoFactory): whether it addresses an API resource, the verb (get, list, watch, create, update, patch,
// delete, deletecollection; log and exec are get or create of their subresource), the group, version, namespace,
// resource, name and subresource. Filters (authentication now, authorization next) decide on it; the resource
// handlers are chosen by it. The deprecated /watch/ and /proxy/ path prefixes are not served.
import { badRequest } from '../../api/errors.js';
import { parseFieldSelector } from '../../api/labels.js';
import { boolParam } from './http.js';

export interface RequestInfo {
  isResourceRequest: boolean;
  /** The URL path as sent. */
  path: string;
  /** The API verb of a resource request; the lower-case HTTP method of any other. */
  verb: string;
  /** "api" or "apis" for resource requests. */
  apiPrefix: string;
  apiGroup: string;
  apiVersion: string;
  /** "" for cluster-scoped requests (and for requests across all namespaces). */
  namespace: string;
  resource: string;
  subresource: string;
  /** The object's name: from the path, or for a list or watch the name its field selector pins down. */
  name: string;
  /** The path from the resource on: resource, name, subresource, and anything after. */
  parts: string[];
}

const API_PREFIXES = new Set(['api', 'apis']);
const GROUPLESS_API_PREFIXES = new Set(['api']);
/** Subresources of a namespace itself, as opposed to the resources in it. */
const NAMESPACE_SUBRESOURCES = new Set(['status', 'finalize']);

const VERBS: Record<string, string> = { POST: 'create', GET: 'get', HEAD: 'get', PUT: 'update', PATCH: 'patch', DELETE: 'delete' };

/**
 * The segments of an API path, percent-decoded one by one (an encoded "/" stays inside its segment), empty ones
 * skipped; undefined for paths outside the API, which are left as they are.
 */
function apiPath(path: string): string[] | undefined {
  const raw = path.split('/').filter(Boolean);
  if (!API_PREFIXES.has(raw[0])) return undefined;
  return raw.map((s) => {
    try {
      return decodeURIComponent(s);
    } catch {
      throw badRequest(`malformed escape in the request path: ${s}`);
    }
  });
}

/** A name a path segment may carry (kube's path.IsValidPathSegmentName). */
const validSegmentName = (name: string) => name !== '.' && name !== '..' && !name.includes('/') && !name.includes('%');

/** The metadata.name a field selector requires exactly, if it does. */
function selectedName(fieldSelector: string | null): string | undefined {
  try {
    const reqs = parseFieldSelector(fieldSelector);
    return reqs.find((r) => r.field === 'metadata.name' && r.op === '=')?.value;
  } catch {
    return undefined; // a malformed selector is the list handler's 400 to give
  }
}

export function requestInfo(method: string, url: URL): RequestInfo {
  const info: RequestInfo = { isResourceRequest: false, path: url.pathname, verb: method.toLowerCase(), apiPrefix: '', apiGroup: '', apiVersion: '', namespace: '', resource: '', subresource: '', name: '', parts: [] };
  let parts = apiPath(url.pathname);
  if (!parts || parts.length < 3) return info;
  const prefix = parts[0];
  parts = parts.slice(1);
  let group = '';
  if (!GROUPLESS_API_PREFIXES.has(prefix)) {
    if (parts.length < 3) return info;
    group = parts[0];
    parts = parts.slice(1);
  }
  Object.assign(info, { isResourceRequest: true, apiPrefix: prefix, apiGroup: group, apiVersion: parts[0], verb: VERBS[method] ?? '' });
  parts = parts.slice(1);
  // /namespaces/{namespace}/{resource}/…: the parts become relative to the resource.
  if (parts[0] === 'namespaces' && parts.length > 1) {
    info.namespace = parts[1];
    if (parts.length > 2 && !NAMESPACE_SUBRESOURCES.has(parts[2])) parts = parts.slice(2);
  }
  info.parts = parts;
  [info.resource = '', info.name = '', info.subresource = ''] = parts;
  const query = url.searchParams;
  if (!info.name && info.verb === 'get') {
    info.verb = boolParam(query, 'watch') ? 'watch' : 'list';
    const name = selectedName(query.get('fieldSelector'));
    if (name && validSegmentName(name)) info.name = name;
  }
  if (!info.name && info.verb === 'delete') info.verb = 'deletecollection';
  return info;
}

/**
 * Whether the path named a namespace as the scope of its resource (/namespaces/{namespace}/{resource}…), rather
 * than a namespace itself (/namespaces/{name}, /namespaces/{name}/status).
 */
export function namespaceScoped(info: RequestInfo): boolean {
  const segments = info.path.split('/').filter(Boolean).length;
  const beforeResource = info.apiGroup ? 3 : 2; // prefix, group, version
  return segments - beforeResource > info.parts.length;
}
