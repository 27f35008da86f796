// get (kube: k8s.io/apiserver/pkg/endpoints/handlers/get.go, GetResource): one object, in the negotiated form.
import { boolParam, sendEncoded, sendJSON } from '../http.js';
import { encodedObjectResponse, objectResponse } from './response.js';
import type { RequestScope } from './scope.js';
import { watch } from './watch.js';

export async function get(s: RequestScope): Promise<void> {
  // A watch on one named object is a watch on its collection narrowed to that name (the legacy form).
  if (boolParam(s.query, 'watch')) {
    const narrowed = new URLSearchParams(s.query);
    narrowed.set('fieldSelector', [`metadata.name=${s.name}`, s.query.get('fieldSelector')].filter(Boolean).join(','));
    return watch({ ...s, name: undefined, query: narrowed });
  }
  const o = await s.reads.get(s.def, s.namespace, s.name!, s.query.get('resourceVersion') ?? undefined);
  const encoded = encodedObjectResponse(s, o);
  if (encoded) sendEncoded(s.res, 200, encoded);
  else sendJSON(s.res, 200, objectResponse(s, o));
}
