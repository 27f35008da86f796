// list (kube: k8s.io/apiserver/pkg/endpoints/handlers/get.go, ListResource): a collection, filtered by label and
// field selectors, in pages, at a revision.
import { listOptions, sendEncoded, sendJSON } from '../http.js';
import { encodedListResponse, listResponse } from './response.js';
import type { RequestScope } from './scope.js';

export async function list(s: RequestScope): Promise<void> {
  const result = await s.reads.list(s.def, s.namespace, listOptions(s.query));
  const meta: Record<string, unknown> = { resourceVersion: result.resourceVersion };
  if (result.continue) meta.continue = result.continue;
  const encoded = result.encodedItems && encodedListResponse(s, meta, result.encodedItems);
  if (encoded) sendEncoded(s.res, 200, encoded);
  else sendJSON(s.res, 200, listResponse(s, result.items, meta));
}
