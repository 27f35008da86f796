// The authentication filter (kube: k8s.io/apiserver/pkg/endpoints/filters/authentication.go, with the x509 and
// token-file authenticators of pkg/authentication): a client certificate signed by the cluster CA (CN is the user,
// O the groups) or a static bearer token names the user; anonymous requests pass only where allowed (health checks,
// as kube-apiserver's anonymous authenticator conditions allow them); everything else is 401.
import type { IncomingMessage } from 'node:http';
import type { TLSSocket } from 'node:tls';
import { StatusError } from '../../../api/errors.js';
import type { Filter, UserInfo } from './chain.js';

export interface AuthenticationOptions {
  /** Static bearer tokens → users (e.g. for the bootstrap of other components). */
  tokens?: Map<string, UserInfo>;
  /** Paths an unauthenticated request may reach, as system:anonymous. */
  anonymous?: (path: string) => boolean;
}

const ANONYMOUS: UserInfo = { name: 'system:anonymous', groups: ['system:unauthenticated'] };

/** The user a request's credentials name, if any do. */
export function authenticate(req: IncomingMessage, tokens: Map<string, UserInfo> | undefined): UserInfo | undefined {
  const sock = req.socket as TLSSocket;
  if (sock.authorized) {
    const cert = sock.getPeerCertificate();
    const subj = cert?.subject as unknown as Record<string, string | string[]> | undefined;
    if (subj?.CN) {
      const o = subj.O;
      return { name: String(subj.CN), groups: [...(Array.isArray(o) ? o : o ? [o] : []), 'system:authenticated'] };
    }
  }
  const auth = req.headers.authorization;
  if (auth?.startsWith('Bearer ')) {
    const u = tokens?.get(auth.slice(7).trim());
    if (u) return { ...u, groups: [...u.groups, 'system:authenticated'] };
  }
  return undefined;
}

export function authentication(opts: AuthenticationOptions): Filter {
  return async (ctx, next) => {
    const user = authenticate(ctx.req, opts.tokens) ?? (opts.anonymous?.(ctx.info.path) ? ANONYMOUS : undefined);
    if (!user) throw new StatusError(401, 'Unauthorized', 'Unauthorized');
    return next({ ...ctx, user });
  };
}
