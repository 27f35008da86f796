// update (kube: k8s.io/apiserver/pkg/endpoints/handlers/update.go): a PUT of a whole object, to the main resource or
// to /status, each changing only what its endpoint may.
import { sendJSON } from '../http.js';
import { checkName } from '../registry/store.js';
import { fieldValidation, readObject } from './decode.js';
import { isDryRun, managedFields, requester, strategyOf, type RequestScope } from './scope.js';

export async function update(s: RequestScope): Promise<void> {
  const obj = await readObject(s);
  fieldValidation(s.def, s.query, s.res)(obj);
  checkName(obj, s.name!);
  const updated = await s.store.update(s.def, s.namespace, s.name!, () => obj, { dryRun: isDryRun(s), managedFields: managedFields(s), strategy: strategyOf(s), ...requester(s) });
  sendJSON(s.res, 200, updated);
}
