// create (kube: k8s.io/apiserver/pkg/endpoints/handlers/create.go): a POST to a collection, the field manager
// recording the creator's fields, the store defaulting, validating, admitting and storing the object.
import { sendJSON } from '../http.js';
import { fieldValidation, readObject } from './decode.js';
import { isDryRun, managedFields, requester, type RequestScope } from './scope.js';

export async function create(s: RequestScope): Promise<void> {
  const obj = await readObject(s);
  fieldValidation(s.def, s.query, s.res)(obj);
  const created = await s.store.create(s.def, s.namespace, obj, { dryRun: isDryRun(s), managedFields: managedFields(s), owned: true, ...requester(s) });
  sendJSON(s.res, 201, created);
}
