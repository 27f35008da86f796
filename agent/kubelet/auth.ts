// Who may use the kubelet's API (pkg/kubelet/server/auth.go): client certificates from the cluster CA and bearer
// tokens checked with a TokenReview authenticate; every request is then authorized with a SubjectAccessReview on the
// node's nodes/<subresource> (stats, metrics, log, spec, or proxy for everything else — exec, containerLogs…),
// with kube's cache lifetimes. Anonymous requests are refused. Without an API to ask, only system:masters is allowed.
import type { IncomingMessage } from 'node:http';
import type { TLSSocket } from 'node:tls';
import type { ApiClient } from '../../api/client.js';
import { reviewAccess, reviewToken, TTLCache } from '../../api/delegatedauth.js';
import { StatusError } from '../../api/errors.js';

export interface KubeletUser {
  name: string;
  uid?: string;
  groups: string[];
  extra?: Record<string, string[]>;
}

/** What a request asks of the node, as a SubjectAccessReview's resourceAttributes. */
export interface NodeRequestAttributes {
  verb: string;
  resource: 'nodes';
  subresource: string;
  name: string;
}

/** The API calls the kubelet delegates to (TokenReview, SubjectAccessReview). */
export interface Reviewer {
  /** The user a bearer token belongs to, or undefined when the API says it is not valid. */
  reviewToken(token: string): Promise<KubeletUser | undefined>;
  reviewAccess(user: KubeletUser, attrs: NodeRequestAttributes): Promise<{ allowed: boolean; reason?: string }>;
}

const verbs: Record<string, string> = { GET: 'get', HEAD: 'get', POST: 'create', PUT: 'update', PATCH: 'patch', DELETE: 'delete' };

/** The SubjectAccessReview attributes of a kubelet request path (kubelet's GetRequestAttributes). */
export function requestAttributes(method: string, pathname: string, nodeName: string): NodeRequestAttributes {
  const sub = (prefix: string) => pathname === prefix || pathname.startsWith(`${prefix}/`);
  const subresource = sub('/stats') ? 'stats' : sub('/metrics') ? 'metrics' : sub('/logs') ? 'log' : sub('/spec') ? 'spec' : sub('/checkpoint') ? 'checkpoint' : 'proxy';
  return { verb: verbs[method] ?? method.toLowerCase(), resource: 'nodes', subresource, name: nodeName };
}

/** The user of a verified client certificate: CN is the name, O the groups (as kube-apiserver reads them). */
export function certificateUser(req: IncomingMessage): KubeletUser | undefined {
  const sock = req.socket as TLSSocket;
  if (!sock.authorized) return undefined;
  const subject = sock.getPeerCertificate()?.subject as unknown as Record<string, string | string[]> | undefined;
  if (!subject?.CN) return undefined;
  return { name: String(subject.CN), groups: [...([] as string[]).concat(subject.O ?? []), 'system:authenticated'] };
}

// kubelet defaults: authentication.webhook.cacheTTL 2m; authorization.webhook.cacheAuthorizedTTL 5m, unauthorized 30s.
const TOKEN_TTL_MS = 120_000;
const ALLOWED_TTL_MS = 300_000;
const DENIED_TTL_MS = 30_000;

export class KubeletAuth {
  private readonly tokens: TTLCache<KubeletUser | null>;
  private readonly decisions: TTLCache<{ allowed: boolean; reason?: string }>;

  constructor(
    private readonly nodeName: string,
    private readonly reviewer?: Reviewer,
    clock: () => number = Date.now,
  ) {
    this.tokens = new TTLCache(clock);
    this.decisions = new TTLCache(clock);
  }

  /** The caller, or a 401 StatusError: a certificate from the cluster CA or a bearer token the API vouches for. */
  async authenticate(req: IncomingMessage): Promise<KubeletUser> {
    const fromCert = certificateUser(req);
    if (fromCert) return fromCert;
    const header = req.headers.authorization;
    const token = typeof header === 'string' && /^bearer /i.test(header) ? header.slice(7).trim() : '';
    if (token && this.reviewer) {
      let user = this.tokens.get(token);
      if (user === undefined) {
        user = (await this.reviewer.reviewToken(token)) ?? null;
        this.tokens.set(token, user, TOKEN_TTL_MS);
      }
      if (user) return user;
    }
    throw new StatusError(401, 'Unauthorized', 'Unauthorized');
  }

  /** Passes when the user may make this request of the node; otherwise a 403 StatusError worded as the kubelet words it. */
  async authorize(user: KubeletUser, method: string, pathname: string): Promise<void> {
    const attrs = requestAttributes(method, pathname, this.nodeName);
    let decision: { allowed: boolean; reason?: string };
    if (!this.reviewer) decision = { allowed: user.groups.includes('system:masters') };
    else {
      const key = JSON.stringify([user.name, user.uid, user.groups, user.extra, attrs]);
      const cached = this.decisions.get(key);
      decision = cached ?? (await this.reviewer.reviewAccess(user, attrs));
      if (!cached) this.decisions.set(key, decision, decision.allowed ? ALLOWED_TTL_MS : DENIED_TTL_MS);
    }
    if (!decision.allowed) throw new StatusError(403, 'Forbidden', `Forbidden (user=${user.name}, verb=${attrs.verb}, resource=${attrs.resource}, subresource=${attrs.subresource})`);
  }
}

/** The API as the kubelet's reviewer: TokenReview for bearer tokens, SubjectAccessReview for access. */
export function apiReviewer(client: ApiClient): Reviewer {
  return {
    reviewToken: (token) => reviewToken(client, token),
    reviewAccess: (user, attrs) => reviewAccess(client, user, { resourceAttributes: { verb: attrs.verb, resource: attrs.resource, subresource: attrs.subresource, name: attrs.name } }),
  };
}
