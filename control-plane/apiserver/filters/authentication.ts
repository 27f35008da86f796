// The authentication filter (kube: k8s.io/apiserver/pkg/endpoints/filters/authentication.go): the authenticators
// name the user; a request without usable credentials is 401 Unauthorized, and the reason goes to the log only.
import { StatusError } from '../../../api/errors.js';
import type { Authenticator } from '../authentication/index.js';
import type { Filter } from './chain.js';

export function authentication(authenticator: Authenticator): Filter {
  return async (ctx, next) => {
    const result = await authenticator.authenticate(ctx.req, ctx.info.path);
    if ('error' in result) throw new StatusError(401, 'Unauthorized', 'Unauthorized');
    return next({ ...ctx, user: result });
  };
}
