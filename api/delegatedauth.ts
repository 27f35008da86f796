// Authentication and authorization delegated to the API server (k8s.io/apiserver/pkg/authentication/authenticatorfactory
// delegating.go with the webhook token authenticator, and pkg/authorization/authorizerfactory delegating.go): a bearer
// token is checked with a TokenReview, access with a SubjectAccessReview; both answers are cached for a while. The
// kubelet and the control-plane components' secure ports share them.
import type { ApiClient } from './client.js';
import { Resources } from './resources.js';
import type { KubeObject } from './types.js';

export interface ReviewedUser {
  name: string;
  uid?: string;
  groups: string[];
  extra?: Record<string, string[]>;
}

/** A value cache with a lifetime per entry (the webhook authenticator's and authorizer's caches). */
export class TTLCache<V> {
  private readonly entries = new Map<string, { value: V; until: number }>();
  constructor(
    private readonly clock: () => number = Date.now,
    private readonly max = 10_000,
  ) {}
  get(key: string): V | undefined {
    const e = this.entries.get(key);
    if (!e) return undefined;
    if (e.until <= this.clock()) {
      this.entries.delete(key);
      return undefined;
    }
    return e.value;
  }
  set(key: string, value: V, ttlMs: number): void {
    if (this.entries.size >= this.max) this.entries.delete(this.entries.keys().next().value!);
    this.entries.set(key, { value, until: this.clock() + ttlMs });
  }
}

/** The user a bearer token belongs to, by a TokenReview; undefined when the API says it is not valid. */
export async function reviewToken(client: ApiClient, token: string): Promise<ReviewedUser | undefined> {
  const r = await client.create<KubeObject & { status?: { authenticated?: boolean; user?: { username?: string; uid?: string; groups?: string[]; extra?: Record<string, string[]> } } }>(Resources.tokenreviews, undefined, {
    apiVersion: 'authentication.k8s.io/v1',
    kind: 'TokenReview',
    metadata: {},
    spec: { token },
  });
  const u = r.status?.user;
  return r.status?.authenticated && u?.username ? { name: u.username, uid: u.uid, groups: u.groups ?? [], extra: u.extra } : undefined;
}

/** Whether the user may do this, by a SubjectAccessReview of resource or non-resource attributes. */
export async function reviewAccess(
  client: ApiClient,
  user: ReviewedUser,
  attrs: { resourceAttributes: Record<string, string> } | { nonResourceAttributes: { path: string; verb: string } },
): Promise<{ allowed: boolean; reason?: string }> {
  const r = await client.create<KubeObject & { status?: { allowed?: boolean; reason?: string } }>(Resources.subjectaccessreviews, undefined, {
    apiVersion: 'authorization.k8s.io/v1',
    kind: 'SubjectAccessReview',
    metadata: {},
    spec: { user: user.name, uid: user.uid, groups: user.groups, extra: user.extra, ...attrs },
  });
  return { allowed: !!r.status?.allowed, reason: r.status?.reason };
}
