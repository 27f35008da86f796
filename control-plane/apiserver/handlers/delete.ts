// delete and deletecollection (kube: k8s.io/apiserver/pkg/endpoints/handlers/delete.go): DeleteOptions from the body
// and the query; 200 with the deleted object, or 202 when it stays for finalizers or its grace period.
import { badRequest, StatusError } from '../../../api/errors.js';
import type { KubeObject } from '../../../api/types.js';
import { decodeBody, intParam, listOptions, readBody, sendJSON } from '../http.js';
import { apiVersionOf, listKindOf } from '../registry/kinds.js';
import type { DeleteOptions } from '../registry/store.js';
import { requester, type RequestScope } from './scope.js';

function deleteOptions(body: unknown, q: URLSearchParams): DeleteOptions {
  if (body !== undefined && (!body || typeof body !== 'object' || Array.isArray(body))) throw badRequest('the body of a delete must be a DeleteOptions object');
  const o = (body ?? {}) as DeleteOptions;
  const b = o as Record<string, unknown>;
  if (b.gracePeriodSeconds !== undefined && b.gracePeriodSeconds !== null && !Number.isSafeInteger(b.gracePeriodSeconds)) throw badRequest('DeleteOptions.gracePeriodSeconds must be an integer');
  if (b.preconditions !== undefined && b.preconditions !== null && (typeof b.preconditions !== 'object' || Array.isArray(b.preconditions))) throw badRequest('DeleteOptions.preconditions must be an object');
  if (b.dryRun !== undefined && b.dryRun !== null && !Array.isArray(b.dryRun)) throw badRequest('DeleteOptions.dryRun must be a list');
  if (b.propagationPolicy !== undefined && b.propagationPolicy !== null && typeof b.propagationPolicy !== 'string') throw badRequest('DeleteOptions.propagationPolicy must be a string');
  const grace = intParam(q, 'gracePeriodSeconds');
  if (grace !== undefined) o.gracePeriodSeconds = grace;
  const policy = q.get('propagationPolicy');
  if (policy) o.propagationPolicy = policy as DeleteOptions['propagationPolicy'];
  if (q.get('dryRun')) o.dryRun = [q.get('dryRun')!];
  if (o.propagationPolicy && !['Foreground', 'Background', 'Orphan'].includes(o.propagationPolicy))
    throw new StatusError(422, 'Invalid', `DeleteOptions.meta.k8s.io "" is invalid: propagationPolicy: Unsupported value: "${o.propagationPolicy}": supported values: "Foreground", "Background", "Orphan"`);
  return o;
}

async function readDeleteOptions(s: RequestScope): Promise<DeleteOptions> {
  const body = await readBody(s.req);
  return deleteOptions(body.length ? decodeBody(body, s.req.headers['content-type']) : undefined, s.query);
}

export async function deleteObject(s: RequestScope): Promise<void> {
  const opts = await readDeleteOptions(s);
  const { object, pending } = await s.store.delete(s.def, s.namespace, s.name!, opts, requester(s));
  sendJSON(s.res, pending ? 202 : 200, object);
}

export async function deleteCollection(s: RequestScope): Promise<void> {
  const opts = await readDeleteOptions(s);
  const list = await s.store.list(s.def, s.namespace, listOptions(s.query));
  const deleted: KubeObject[] = [];
  for (const o of list.items) deleted.push(await s.store.delete(s.def, o.metadata.namespace, o.metadata.name!, opts, requester(s)).then((r) => r.object, () => o));
  sendJSON(s.res, 200, { kind: listKindOf(s.def), apiVersion: apiVersionOf(s.def), metadata: {}, items: deleted });
}
