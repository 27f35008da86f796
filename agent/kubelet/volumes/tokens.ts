// Service-account tokens for projected volumes (kubernetes pkg/kubelet/token/token_manager.go): requested through
// the TokenRequest API bound to the pod, cached per request, and renewed once 80 % of the lifetime has passed or the
// token is 24 h old (less a random jitter of up to 10 s so that a node's tokens do not all renew at once). When a
// renewal fails, a token that has not yet expired keeps being used.
import type { Pod } from '../../../api/types.js';
import { systemClock, type Clock } from '../backoff.js';
import type { IssuedToken, PodObjectReader } from './objects.js';
import type { ServiceAccountTokenProjection } from './types.js';

const MAX_TTL_MS = 24 * 60 * 60 * 1000;
const MAX_JITTER_MS = 10_000;
/** kube's default for a projection without expirationSeconds. */
export const DEFAULT_EXPIRATION_SECONDS = 3600;

/** Whether a cached token should be renewed now (requiresRefresh). */
export function tokenNeedsRefresh(t: IssuedToken, now: number, jitterMs = 0): boolean {
  const lifetimeMs = t.expirationSeconds * 1000;
  const issuedAt = t.expiresAt - lifetimeMs;
  if (now > issuedAt + MAX_TTL_MS - jitterMs) return true;
  return now > t.expiresAt - lifetimeMs * 0.2 - jitterMs;
}

export class TokenManager {
  private readonly cache = new Map<string, { uid: string; token: IssuedToken }>();

  constructor(
    private readonly reader: PodObjectReader,
    private readonly clock: Clock = systemClock,
    private readonly jitter: () => number = () => Math.random() * MAX_JITTER_MS,
  ) {}

  /** The token a projection of the pod's service account should hold now. */
  async token(pod: Pod, p: ServiceAccountTokenProjection): Promise<string> {
    const { namespace = 'default', name = '', uid = '' } = pod.metadata;
    const sa = pod.spec.serviceAccountName || 'default';
    const expirationSeconds = p.expirationSeconds ?? DEFAULT_EXPIRATION_SECONDS;
    const audiences = p.audience ? [p.audience] : undefined;
    const key = JSON.stringify([namespace, sa, audiences ?? [], expirationSeconds, name, uid]);
    const cached = this.cache.get(key);
    const now = this.clock.now();
    if (cached && !tokenNeedsRefresh(cached.token, now, this.jitter())) return cached.token.token;
    try {
      const token = await this.reader.requestToken(namespace, sa, { ...(audiences ? { audiences } : {}), expirationSeconds, boundObjectRef: { kind: 'Pod', apiVersion: 'v1', name, uid } });
      this.cache.set(key, { uid, token });
      return token.token;
    } catch (e) {
      if (cached && now < cached.token.expiresAt) return cached.token.token;
      throw new Error(`failed to fetch token: ${(e as Error).message}`);
    }
  }

  /** Drops the tokens of a pod that is gone. */
  forgetPod(uid: string): void {
    for (const [k, v] of this.cache) if (v.uid === uid) this.cache.delete(k);
  }
}
