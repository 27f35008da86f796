// Who is asking (kube: k8s.io/apiserver/pkg/authentication and the authenticators kube-apiserver builds in
// pkg/kubeapiserver/authenticator): a client certificate from the cluster CA (CN the user, O the groups), then a bearer
// token — the static token file, a bootstrap token, a service-account JWT — and, only where allowed, anonymous.
// A token that is present but unknown or invalid is a 401 even where anonymous access would pass (as kube does).
import type { IncomingMessage } from 'node:http';
import type { TLSSocket } from 'node:tls';
import { logger } from '../../../api/log.js';
import type { KubeObject, UserInfo } from '../../../api/types.js';
import { ServiceAccountTokens, serviceAccountUser, TokenVerifyError, type TokenClaims } from './serviceaccount.js';
import { authenticateBootstrapToken } from './tokens.js';

const log = logger('apiserver.authentication');

export const ANONYMOUS: UserInfo = { name: 'system:anonymous', groups: ['system:unauthenticated'] };

/** Reads of the objects token authentication depends on (secrets for bootstrap tokens, SAs and pods for JWTs). */
export interface AuthenticationLookups {
  secret(namespace: string, name: string): Promise<KubeObject | undefined>;
  serviceAccount(namespace: string, name: string): Promise<KubeObject | undefined>;
  pod(namespace: string, name: string): Promise<KubeObject | undefined>;
  node?(name: string): Promise<KubeObject | undefined>;
}

export interface AuthenticatorOptions {
  /** --token-auth-file: token → user. */
  staticTokens?: Map<string, UserInfo>;
  serviceAccounts?: ServiceAccountTokens;
  /** Audiences a service-account token must carry one of (--api-audiences). */
  apiAudiences?: string[];
  lookups?: AuthenticationLookups;
  /** Where an unauthenticated request may go, as system:anonymous. */
  anonymousAllowed?: (path: string, method: string) => boolean;
}

export type AuthResult = { user: UserInfo } | { error: string } | undefined;

const withAuthenticated = (u: UserInfo): UserInfo => ({ ...u, groups: u.groups.includes('system:authenticated') ? u.groups : [...u.groups, 'system:authenticated'] });

/**
 * The user of each connection's verified client certificate, read once per connection: getPeerCertificate() builds a
 * new object from the X.509 on every call, a few percent of a small request's CPU. (The server refuses renegotiation,
 * so the certificate cannot change on a connection.)
 */
const connectionUsers = new WeakMap<TLSSocket, UserInfo | null>();

export function certificateUser(req: IncomingMessage): UserInfo | undefined {
  const sock = req.socket as TLSSocket;
  if (!sock.authorized) return undefined;
  let user = connectionUsers.get(sock);
  if (user === undefined) {
    const subj = sock.getPeerCertificate()?.subject as unknown as Record<string, string | string[]> | undefined;
    const o = subj?.O;
    user = subj?.CN ? withAuthenticated({ name: String(subj.CN), groups: Array.isArray(o) ? o : o ? [o] : [] }) : null;
    connectionUsers.set(sock, user);
  }
  // A copy: what a request does with its user must not reach the next request's.
  return user ? { ...user, groups: [...user.groups] } : undefined;
}

/** Why the client certificate presented does not verify, if one was presented and it does not. */
function untrustedCertificate(req: IncomingMessage): string | undefined {
  const sock = req.socket as TLSSocket;
  if (sock.authorized || typeof sock.getPeerCertificate !== 'function') return undefined;
  const peer = sock.getPeerCertificate();
  if (!peer || !Object.keys(peer).length) return undefined;
  return `verifying certificate ${JSON.stringify(peer.subject?.CN ?? '')} failed: ${sock.authorizationError ?? 'not trusted'}`;
}

export function bearerToken(req: IncomingMessage): string | undefined {
  const auth = req.headers.authorization;
  if (typeof auth !== 'string' || !/^bearer\s/i.test(auth)) return undefined;
  return auth.slice(7).trim() || undefined;
}

const CLUSTER_INFO = '/api/v1/namespaces/kube-public/configmaps/cluster-info';

/**
 * Where an unauthenticated request may go, as system:anonymous: the health checks and the version (bound to
 * system:public-info-viewer) and kubeadm's discovery document, cluster-info, which a joining node reads before it
 * trusts the server; everything else is 401.
 */
export function anonymousPath(path: string, method: string): boolean {
  const p = path.replace(/\/+$/, '') || '/';
  if (method !== 'GET' && method !== 'HEAD') return false;
  return ['/healthz', '/livez', '/readyz'].some((r) => p === r || p.startsWith(`${r}/`)) || p === '/version' || p === CLUSTER_INFO;
}

export class Authenticator {
  constructor(private readonly o: AuthenticatorOptions) {}

  /** A bearer token's user (TokenReview, and the filter): undefined when no authenticator knows the token. */
  async authenticateToken(token: string, audiences?: string[]): Promise<AuthResult> {
    const fromFile = this.o.staticTokens?.get(token);
    if (fromFile) return { user: withAuthenticated(fromFile) };
    if (this.o.lookups) {
      const boot = await authenticateBootstrapToken(token, (name) => this.o.lookups!.secret('kube-system', name) as never);
      if (boot) return 'user' in boot ? boot : { error: boot.error };
    }
    const sa = this.o.serviceAccounts;
    if (sa?.isOurs(token)) {
      let claims: TokenClaims;
      try {
        claims = sa.verify(token, audiences ?? this.o.apiAudiences ?? [sa.issuer]);
      } catch (e) {
        if (e instanceof TokenVerifyError) return { error: `service account token: ${e.message}` };
        throw e;
      }
      const stale = await this.boundObjectsGone(claims);
      if (stale) return { error: `service account token: ${stale}` };
      return { user: serviceAccountUser(claims) };
    }
    return undefined;
  }

  /** A bound token stops working once its service account, pod or secret is gone or replaced (kube's validator). */
  private async boundObjectsGone(claims: TokenClaims): Promise<string | undefined> {
    const l = this.o.lookups;
    if (!l) return undefined;
    const k = claims['kubernetes.io'];
    const sa = await l.serviceAccount(k.namespace, k.serviceaccount.name);
    if (!sa || sa.metadata.uid !== k.serviceaccount.uid) return `service account ${k.namespace}/${k.serviceaccount.name} has been deleted`;
    if (k.pod) {
      const pod = await l.pod(k.namespace, k.pod.name);
      if (!pod || pod.metadata.uid !== k.pod.uid) return `pod ${k.namespace}/${k.pod.name} has been deleted`;
      if (pod.metadata.deletionTimestamp) return `pod ${k.namespace}/${k.pod.name} is being deleted`;
    }
    if (k.secret) {
      const secret = await l.secret(k.namespace, k.secret.name);
      if (!secret || secret.metadata.uid !== k.secret.uid) return `secret ${k.namespace}/${k.secret.name} has been deleted`;
    }
    return undefined;
  }

  /** The request's user: 401 (an Error with the reason for the log) when it has bad credentials, or none where they are needed. */
  async authenticate(req: IncomingMessage, path: string): Promise<UserInfo | { error: string }> {
    const fromCert = certificateUser(req);
    if (fromCert) return fromCert;
    // A client certificate that does not verify (another CA, expired) is bad credentials, as a bad token is: kube's
    // authenticators fail the request rather than fall through to anonymous.
    const unverified = untrustedCertificate(req);
    if (unverified) {
      log.info({ reason: unverified, path, remote: req.socket.remoteAddress }, 'authentication failed');
      return { error: unverified };
    }
    const token = bearerToken(req);
    if (token) {
      const r = await this.authenticateToken(token);
      if (r && 'user' in r) return r.user;
      const why = r?.error ?? 'invalid bearer token';
      log.info({ reason: why, path, remote: req.socket.remoteAddress }, 'authentication failed');
      return { error: why };
    }
    if (this.o.anonymousAllowed?.(path, req.method ?? 'GET')) return ANONYMOUS;
    return { error: 'no credentials' };
  }
}
