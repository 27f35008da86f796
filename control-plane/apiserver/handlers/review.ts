// The review kinds' one endpoint (kube: the create handler over a review's REST storage): a POST to the collection
// whose answer is computed, not stored — 201 with the object and its status.
import { StatusError } from '../../../api/errors.js';
import { sendJSON } from '../http.js';
import { methodNotAllowed } from '../registry/rest.js';
import { readObject } from './decode.js';
import type { RequestScope } from './scope.js';

export async function review(s: RequestScope): Promise<void> {
  if (s.name !== undefined) throw new StatusError(404, 'NotFound', 'the server could not find the requested resource');
  if (s.req.method !== 'POST') throw methodNotAllowed();
  if (!s.services || !s.user) throw new StatusError(503, 'ServiceUnavailable', 'this API server cannot answer reviews');
  const body = await readObject(s);
  sendJSON(s.res, 201, await s.def.review!(body, { user: s.user, namespace: s.namespace, services: s.services }));
}
