// The impersonation filter (kube: k8s.io/apiserver/pkg/endpoints/filters/impersonation.go): Impersonate-User,
// Impersonate-Uid, Impersonate-Group and Impersonate-Extra-* headers replace the requester, each allowed only by the
// `impersonate` verb on users / uids / groups / serviceaccounts / userextras/<key> for the one asking (kubectl --as,
// --as-group).
import { StatusError } from '../../../api/errors.js';
import type { Attributes, UserInfo } from '../../../api/types.js';
import { forbidden, type Authorizer } from '../authorization/index.js';
import type { Filter } from './chain.js';

const SA_PREFIX = 'system:serviceaccount:';

export function impersonation(authorizer: Authorizer): Filter {
  return async (ctx, next) => {
    const h = ctx.req.headers;
    const userHeader = h['impersonate-user'];
    const groups = ([] as string[]).concat(h['impersonate-group'] ?? []).flatMap((g) => g.split(',').map((x) => x.trim())).filter(Boolean);
    const uid = h['impersonate-uid'];
    const extraKeys = Object.keys(h).filter((k) => k.startsWith('impersonate-extra-'));
    if (userHeader === undefined && !groups.length && uid === undefined && !extraKeys.length) return next(ctx);
    if (typeof userHeader !== 'string' || !userHeader) throw new StatusError(500, 'InternalError', 'Internal error occurred: requested impersonation is missing the user name (Impersonate-User)');
    const asker = ctx.user!;
    const check = (resource: string, name: string, apiGroup = '', subresource?: string) => {
      const attrs: Attributes = { user: asker, verb: 'impersonate', isResourceRequest: true, apiGroup, resource, subresource, name };
      const sa = resource === 'serviceaccounts' ? /^system:serviceaccount:([^:]+):(.+)$/.exec(name) : null;
      if (sa) Object.assign(attrs, { namespace: sa[1], name: sa[2] });
      const d = authorizer.authorize(attrs);
      if (!d.allowed) throw forbidden(attrs, d.reason);
    };
    if (userHeader.startsWith(SA_PREFIX)) check('serviceaccounts', userHeader);
    else check('users', userHeader);
    for (const g of groups) check('groups', g);
    if (typeof uid === 'string') check('uids', uid, 'authentication.k8s.io');
    const extra: Record<string, string[]> = {};
    for (const k of extraKeys) {
      const key = decodeURIComponent(k.slice('impersonate-extra-'.length));
      const values = ([] as string[]).concat(h[k] ?? []);
      for (const v of values) check('userextras', v, 'authentication.k8s.io', key);
      extra[key] = values;
    }
    // An impersonated user is authenticated (unless anonymous); a service account gets its groups.
    const impersonated: UserInfo = { name: userHeader, groups: [...groups], ...(typeof uid === 'string' ? { uid } : {}), ...(extraKeys.length ? { extra } : {}) };
    const sa = /^system:serviceaccount:([^:]+):(.+)$/.exec(userHeader);
    if (sa && !groups.length) impersonated.groups.push('system:serviceaccounts', `system:serviceaccounts:${sa[1]}`);
    if (userHeader !== 'system:anonymous' && !impersonated.groups.includes('system:authenticated')) impersonated.groups.push('system:authenticated');
    return next({ ...ctx, user: impersonated });
  };
}
