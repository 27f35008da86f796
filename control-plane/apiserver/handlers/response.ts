// Answers in the form the client negotiated (kube: k8s.io/apiserver/pkg/endpoints/handlers/response.go,
// transformResponseObject): the object or list itself, a Table of the kind's printer columns, or only metadata
// (PartialObjectMetadata and its list).
import type { KubeObject } from '../../../api/types.js';
import { wireOrder } from '../http.js';
import { toTable, type IncludeObject } from '../printers.js';
import { apiVersionOf, listKindOf } from '../registry/kinds.js';
import type { WatchEventOut } from '../registry/store.js';
import type { RequestScope } from './scope.js';

function includeOf(q: URLSearchParams): IncludeObject {
  const v = q.get('includeObject');
  return v === 'Object' || v === 'None' ? v : 'Metadata';
}

const partial = (o: KubeObject) => ({ kind: 'PartialObjectMetadata', apiVersion: 'meta.k8s.io/v1', metadata: o.metadata });

export function objectResponse(s: RequestScope, o: KubeObject): unknown {
  if (s.want.table) return toTable(s.def, [o], includeOf(s.query), { resourceVersion: o.metadata.resourceVersion });
  return s.want.partial ? partial(o) : o;
}

export function listResponse(s: RequestScope, items: KubeObject[], meta: Record<string, unknown>): unknown {
  const { def } = s;
  if (s.want.table) return toTable(def, items, includeOf(s.query), meta);
  if (s.want.partial) return { kind: 'PartialObjectMetadataList', apiVersion: 'meta.k8s.io/v1', metadata: meta, items: items.map(partial) };
  return { kind: listKindOf(def), apiVersion: apiVersionOf(def), metadata: meta, items };
}

const LIST_TAIL = Buffer.from(']}\n');
const NEWLINE = Buffer.from('\n');

/**
 * The list body as encodeJSON(listResponse(…)) writes it for a client that wants the objects themselves, in pieces:
 * the list's own fields, then its items' JSON as encoded once for every reader (the watch cache's); undefined when the
 * client wants another form.
 */
export function encodedListResponse(s: RequestScope, meta: Record<string, unknown>, items: () => Buffer): Buffer[] | undefined {
  if (s.want.table || s.want.partial) return undefined;
  const head = JSON.stringify({ kind: listKindOf(s.def), apiVersion: apiVersionOf(s.def), metadata: meta });
  return [Buffer.from(`${head.slice(0, -1)},"items":[`), items(), LIST_TAIL];
}

/** The object's body as encodeJSON(objectResponse(…)) writes it, from the reader's one encoding of it, if it has one. */
export function encodedObjectResponse(s: RequestScope, o: KubeObject): Buffer[] | undefined {
  if (s.want.table || s.want.partial) return undefined;
  const bytes = s.reads.encoding?.(o);
  return bytes && [bytes, NEWLINE];
}

/** Encodes the events of one watch; a Table names its columns in the first event only. */
export function watchEventEncoder(s: RequestScope): (e: WatchEventOut) => unknown {
  let first = true;
  return (e) => {
    let object: unknown = e.object;
    if (s.want.table && e.type !== 'ERROR' && e.type !== 'BOOKMARK') {
      const o = e.object as KubeObject;
      object = toTable(s.def, [o], includeOf(s.query), { resourceVersion: o.metadata.resourceVersion }, first);
      first = false;
    } else if (s.want.partial && e.type !== 'ERROR' && e.type !== 'BOOKMARK') object = partial(e.object as KubeObject);
    return { type: e.type, object: wireOrder(object) };
  };
}
