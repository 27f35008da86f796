// patch (kube: k8s.io/apiserver/pkg/endpoints/handlers/patch.go): JSON patch, JSON merge patch and strategic merge
// patch (its merge keys and strategies from the kind's OpenAPI schema) applied to the stored object; server-side
// apply for application/apply-patch+yaml.
import { badRequest, conflict, StatusError } from '../../../api/errors.js';
import { jsonPatch, mergePatch, strategicMergePatch, type PatchSchema } from '../../../api/patch.js';
import type { KubeObject } from '../../../api/types.js';
import { decodeBody, readBody, sendJSON } from '../http.js';
import { patchSchema } from '../openapi/navigator.js';
import { PATCH_TYPES, schemaOf } from '../registry/kinds.js';
import { apply } from './apply.js';
import { fieldValidation } from './decode.js';
import { isDryRun, managedFields, requester, strategyOf, type RequestScope } from './scope.js';

type Any = any;

/** The 415 for a PATCH type the kind does not take, naming those it does (the built-in kinds' list leaves out apply). */
function unsupported(accepted: readonly string[]): StatusError {
  const listed = accepted.filter((t) => t !== 'application/apply-patch+yaml' || accepted.length < PATCH_TYPES.length);
  return new StatusError(415, 'UnsupportedMediaType', `the body of the request was in an unknown format - accepted media types include: ${listed.join(', ')}`);
}

function applyPatch(contentType: string, live: KubeObject, patch: unknown, schema: PatchSchema | undefined): unknown {
  if (contentType.startsWith('application/merge-patch+json')) return mergePatch(live, patch);
  if (contentType.startsWith('application/json-patch+json')) return jsonPatch(live, patch);
  if (contentType.startsWith('application/strategic-merge-patch+json')) return strategicMergePatch(live, patch, schema);
  throw unsupported(PATCH_TYPES);
}

export async function patch(s: RequestScope): Promise<void> {
  const { def, name } = s;
  const contentType = s.req.headers['content-type'] ?? '';
  const accepted = def.patchTypes ?? PATCH_TYPES;
  if (!accepted.some((t) => contentType.startsWith(t))) throw unsupported(accepted);
  if (contentType.startsWith('application/apply-patch')) return apply(s);
  const body = decodeBody(await readBody(s.req), 'application/json');
  const checkFields = fieldValidation(def, s.query, s.res);
  const schema = patchSchema(schemaOf(def));
  const patched = (live: KubeObject): KubeObject => {
    const obj = applyPatch(contentType, live, body, schema) as Any;
    if (!obj || typeof obj !== 'object' || typeof obj.metadata !== 'object' || obj.metadata === null) throw badRequest('the patch removed the object\'s metadata');
    checkFields(obj);
    if (obj.metadata.uid && obj.metadata.uid !== live.metadata.uid)
      throw conflict(def.plural, name!, `Precondition failed: UID in precondition: ${obj.metadata.uid}, UID in object meta: ${live.metadata.uid}`, def.group);
    return obj;
  };
  const updated = await s.store.update(def, s.namespace, name!, patched, { dryRun: isDryRun(s), managedFields: managedFields(s), strategy: strategyOf(s), ...requester(s) });
  sendJSON(s.res, 200, updated);
}
