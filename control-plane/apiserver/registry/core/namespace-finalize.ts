// namespaces/finalize (kube: pkg/registry/core/namespace/storage/storage.go, FinalizeREST): the namespace controller
// removes its finalizer here once the namespace is empty; the store deletes the namespace when none is left.
import { badRequest } from '../../../../api/errors.js';
import type { KubeObject } from '../../../../api/types.js';
import { methodNotAllowed, type Subresource } from '../rest.js';
import { checkName } from '../store.js';
import { finalizeStrategy } from './namespace.js';

export const namespaceFinalize: Subresource = {
  async serve({ store, def, name, method, body }) {
    if (method !== 'PUT') throw methodNotAllowed();
    if (!body || typeof body !== 'object' || Array.isArray(body)) throw badRequest('the body of the request must be a JSON object');
    checkName(body as KubeObject, name);
    // The controller's own bookkeeping: no field manager records it.
    return { code: 200, object: await store.update(def, undefined, name, () => body as KubeObject, { strategy: finalizeStrategy }) };
  },
};
