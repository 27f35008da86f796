// pkg/controller/bootstrap (bootstrapsigner.go, tokencleaner.go) as pure decisions: the signatures the kube-public
// cluster-info ConfigMap should carry (one detached JWS per valid signing token, over its kubeconfig), and which
// bootstrap token Secrets have expired and go.
import { decodeSecretData, expired, JWS_KEY_PREFIX, parseToken, signDetached, TOKEN_SECRET_TYPE } from '../../../api/bootstraptoken.js';
import type { KubeObject } from '../../../api/types.js';

export type SecretObject = KubeObject & { type?: string; data?: Record<string, string> };
export type ConfigMapObject = KubeObject & { data?: Record<string, string> };

/** The tokens that may sign cluster-info: bootstrap token Secrets allowed to sign and not expired. */
function signingTokens(secrets: SecretObject[], now: number): { id: string; secret: string }[] {
  const out: { id: string; secret: string }[] = [];
  for (const s of secrets) {
    if (s.type !== TOKEN_SECRET_TYPE || s.metadata.deletionTimestamp) continue;
    const data = decodeSecretData(s);
    if (data['usage-bootstrap-signing'] !== 'true' || expired(data, now)) continue;
    const token = parseToken(`${data['token-id']}.${data['token-secret']}`);
    if (token && s.metadata.name === `bootstrap-token-${token.id}`) out.push(token);
  }
  return out;
}

/** The cluster-info ConfigMap with exactly the signatures it should carry, or undefined when it already does. */
export function computeSignedClusterInfo(clusterInfo: ConfigMapObject, secrets: SecretObject[], now: number): ConfigMapObject | undefined {
  const kubeconfig = clusterInfo.data?.kubeconfig;
  const data: Record<string, string> = {};
  for (const [k, v] of Object.entries(clusterInfo.data ?? {})) if (!k.startsWith(JWS_KEY_PREFIX)) data[k] = v;
  if (kubeconfig) for (const t of signingTokens(secrets, now)) data[`${JWS_KEY_PREFIX}${t.id}`] = signDetached(kubeconfig, t);
  const before = clusterInfo.data ?? {};
  const same = Object.keys(data).length === Object.keys(before).length && Object.entries(data).every(([k, v]) => before[k] === v);
  return same ? undefined : { ...clusterInfo, data };
}

/** Expired bootstrap token Secrets (to delete) and, for the others, when the next one expires. */
export function computeExpiredTokens(secrets: SecretObject[], now: number): { expired: SecretObject[]; nextExpiry?: number } {
  const out: SecretObject[] = [];
  let next: number | undefined;
  for (const s of secrets) {
    if (s.type !== TOKEN_SECRET_TYPE || s.metadata.deletionTimestamp) continue;
    const data = decodeSecretData(s);
    if (expired(data, now)) out.push(s);
    else if (data.expiration) next = Math.min(next ?? Infinity, Date.parse(data.expiration));
  }
  return { expired: out, nextExpiry: next };
}
