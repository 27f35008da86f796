// pods/eviction (kube: pkg/registry/core/pod/storage/eviction.go): an eviction deletes the pod with the delete
// options it carries.
import { methodNotAllowed, success, type Subresource } from '../rest.js';
import type { DeleteOptions } from '../store.js';

export const podEviction: Subresource = {
  async serve({ store, def, namespace, name, method, body, user }) {
    if (method !== 'POST') throw methodNotAllowed();
    const opts = ((body as { deleteOptions?: DeleteOptions } | undefined)?.deleteOptions ?? {}) as DeleteOptions;
    await store.delete(def, namespace, name, opts, { user, subresource: 'eviction' });
    return { code: 201, object: success(201) };
  },
};
