// The authorization filter (kube: k8s.io/apiserver/pkg/endpoints/filters/authorization.go): the request's
// attributes — its RequestInfo and the user — are put to the authorizer; anything not allowed is 403 Forbidden in
// kube-apiserver's words, and logged.
import { logger } from '../../../api/log.js';
import type { Attributes } from '../../../api/types.js';
import { forbidden, type Authorizer } from '../authorization/index.js';
import type { RequestContext } from './chain.js';
import type { Filter } from './chain.js';

const log = logger('apiserver.authorization');

/** The authorizer's attributes of a request. */
export function attributesOf(ctx: RequestContext): Attributes {
  const i = ctx.info;
  return i.isResourceRequest
    ? { user: ctx.user!, verb: i.verb, isResourceRequest: true, path: i.path, apiGroup: i.apiGroup, apiVersion: i.apiVersion, namespace: i.namespace || undefined, resource: i.resource, subresource: i.subresource || undefined, name: i.name || undefined }
    : { user: ctx.user!, verb: i.verb, isResourceRequest: false, path: i.path };
}

export function authorization(authorizer: Authorizer): Filter {
  return async (ctx, next) => {
    const attrs = attributesOf(ctx);
    const d = authorizer.authorize(attrs);
    if (!d.allowed) {
      log.info({ user: attrs.user.name, verb: attrs.verb, resource: attrs.resource, namespace: attrs.namespace, path: attrs.isResourceRequest ? undefined : attrs.path, reason: d.reason }, 'forbidden');
      throw forbidden(attrs, d.reason);
    }
    return next(ctx);
  };
}
