// certificatesigningrequests/approval (kube: pkg/registry/certificates/certificates/storage/storage.go, ApprovalREST):
// reads the request, and writes it back with Approved or Denied conditions — what `kubectl certificate approve|deny`
// and the approving controller send. Everything but the conditions stays as stored.
import { methodNotAllowed, type Subresource } from '../rest.js';
import { checkKind, checkName } from '../store.js';
import { csrApprovalStrategy } from './strategy.js';

export const csrApproval: Subresource = {
  async serve({ store, def, name, method, query, body, managedFields, user }) {
    if (method === 'GET') return { code: 200, object: await store.get(def, undefined, name) };
    if (method !== 'PUT') throw methodNotAllowed();
    const obj = checkKind(def, body);
    checkName(obj, name);
    obj.metadata ??= {};
    return { code: 200, object: await store.update(def, undefined, name, () => obj, { strategy: csrApprovalStrategy, managedFields, user, subresource: 'approval', dryRun: query.get('dryRun') === 'All' }) };
  },
};
