// Resource requests to their handlers (kube: k8s.io/apiserver/pkg/endpoints/installer.go, the routes it installs per
// resource): the kind from the RequestInfo, the namespace scope checked, then the handler of the verb — on the
// collection (list, watch, create, deletecollection), on one object (get, update, patch, delete), on /status
// (get, update, patch), or a subresource's own.
import { StatusError } from '../../../api/errors.js';
import { fieldManagerFor, managerOf } from '../fieldmanager/fieldmanager.js';
import type { Handler } from '../filters/chain.js';
import { negotiate } from '../http.js';
import type { KubeletClientConfig } from '../registry/core/kubelet-client.js';
import { methodNotAllowed, type ApiServices } from '../registry/rest.js';
import type { ServedKinds } from '../registry/served.js';
import type { GenericStore, Reads } from '../registry/store.js';
import { namespaceScoped } from '../requestinfo.js';
import { create } from './create.js';
import { deleteCollection, deleteObject } from './delete.js';
import { get } from './get.js';
import { list } from './list.js';
import { patch } from './patch.js';
import type { RequestScope, VerbHandler } from './scope.js';
import { serveSubresource } from './subresource.js';
import { review } from './review.js';
import { update } from './update.js';
import { watch } from './watch.js';

export interface ResourceHandlerOptions {
  store: GenericStore;
  /** What get, list and watch read through (default: the store). */
  reads?: Reads;
  /** The kinds served now: the built-in ones and the established custom resources. */
  kinds: ServedKinds;
  /** Client certificate for reaching kubelets (pods/log, pods/exec). */
  kubelet?: KubeletClientConfig;
  services?: ApiServices;
}

const notFound = (details?: { group: string; kind: string }) => new StatusError(404, 'NotFound', 'the server could not find the requested resource', details);

const onCollection: Record<string, VerbHandler> = {
  GET: (s) => (s.info.verb === 'watch' ? watch(s) : list(s)),
  POST: create,
  DELETE: deleteCollection,
};
const onObject: Record<string, VerbHandler> = { GET: get, PUT: update, PATCH: patch, DELETE: deleteObject };
const onStatus: Record<string, VerbHandler> = { GET: get, PUT: update, PATCH: patch };

export function resourceHandler(opts: ResourceHandlerOptions): Handler {
  return async ({ req, res, info, user, url }) => {
    const def = opts.kinds.find(info.apiGroup, info.apiVersion, info.resource);
    if (!def) throw notFound({ group: info.apiGroup, kind: info.resource });
    const scoped = namespaceScoped(info);
    if (scoped && !def.namespaced) throw notFound();
    // The name and subresource the path gives (a list's RequestInfo may name the object its field selector picks).
    const [, name, subresource] = info.parts as (string | undefined)[];
    if (def.namespaced && name !== undefined && !scoped) throw notFound();
    const s: RequestScope = {
      req,
      res,
      info,
      user,
      query: url.searchParams,
      def,
      namespace: scoped ? info.namespace : undefined,
      name,
      subresource,
      store: opts.store,
      reads: opts.reads ?? opts.store,
      fieldManager: fieldManagerFor(def),
      manager: managerOf(url.searchParams, req.headers['user-agent']),
      want: negotiate(req.headers.accept),
      kubelet: opts.kubelet,
      services: opts.services,
    };
    if (def.review) return review(s);
    if (subresource && subresource !== 'status') return serveSubresource(s);
    if (subresource === 'status' && !def.subresources.includes('status')) throw notFound();
    const routes = name === undefined ? onCollection : subresource ? onStatus : onObject;
    const handler = Object.hasOwn(routes, req.method ?? '') ? routes[req.method!] : undefined;
    if (!handler) throw methodNotAllowed();
    return handler(s);
  };
}
