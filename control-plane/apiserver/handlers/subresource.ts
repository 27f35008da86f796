// Subresources with storage of their own (kube: k8s.io/apiserver/pkg/endpoints/handlers/rest.go, ConnectResource, and
// the create/update/patch handlers serving them): pods/binding, pods/eviction, pods/log, pods/exec, */scale,
// namespaces/finalize. The body is decoded here, except for connect subresources, which own the exchange.
import { StatusError } from '../../../api/errors.js';
import { decodeBody, readBody, sendJSON } from '../http.js';
import { subresources } from '../registry/subresources.js';
import { managedFields, type RequestScope } from './scope.js';

export async function serveSubresource(s: RequestScope): Promise<void> {
  const { req, res, subresource } = s;
  const sub = Object.hasOwn(subresources, subresource!) ? subresources[subresource!] : undefined;
  if (!sub || !s.def.subresources.includes(subresource!)) throw new StatusError(404, 'NotFound', 'the server could not find the requested resource');
  const method = req.method ?? 'GET';
  const body = method === 'GET' || method === 'DELETE' || sub.connect ? undefined : decodeBody(await readBody(req), req.headers['content-type']);
  const answer = await sub.serve({
    store: s.store,
    reads: s.reads,
    def: s.def,
    namespace: s.namespace,
    name: s.name!,
    method,
    query: s.query,
    body,
    contentType: req.headers['content-type'] ?? 'application/json',
    managedFields: managedFields(s),
    req,
    res,
    kubelet: s.kubelet,
    user: s.user,
    services: s.services,
  });
  if (answer) sendJSON(res, answer.code, answer.object);
}
