// certificatesigningrequests/approval (kube: pkg/registry/certificates/certificates/storage/storage.go, ApprovalREST):
// reads the request, and writes it back with Approved or Denied conditions — what `kubectl certificate approve|deny`
// and the approving controller send. Everything but the conditions stays as stored.
import { badRequest } from '../../../../api/errors.js';
import type { KubeObject } from '../../../../api/types.js';
import { methodNotAllowed, type Subresource } from '../rest.js';
import { checkName } from '../store.js';
import { csrApprovalStrategy } from './strategy.js';

export const csrApproval: Subresource = {
  async serve({ store, def, name, method, query, body, managedFields, user }) {
    if (method === 'GET') return { code: 200, object: await store.get(def, undefined, name) };
    if (method !== 'PUT') throw methodNotAllowed();
    if (!body || typeof body !== 'object' || Array.isArray(body)) throw badRequest('the body of the request must be a JSON object');
    const obj = body as KubeObject;
    if (obj.kind !== undefined && obj.kind !== def.kind) throw badRequest(`${obj.kind} in version "${obj.apiVersion ?? ''}" cannot be handled as a ${def.kind}: the object provided is unrecognized (must be of type ${def.kind})`);
    checkName(obj, name);
    obj.metadata ??= {};
    return { code: 200, object: await store.update(def, undefined, name, () => obj, { strategy: csrApprovalStrategy, managedFields, user, subresource: 'approval', dryRun: query.get('dryRun') === 'All' }) };
  },
};
