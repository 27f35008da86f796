// Bearer-token authenticators besides service-account JWTs: the static token file (--token-auth-file, kube-apiserver's
// CSV format: token,user,uid,"group1,group2") and bootstrap tokens (plugin/pkg/auth/authenticator/token/bootstrap),
// which authenticate joining nodes as system:bootstrap:<token-id> in system:bootstrappers until they expire.
import { timingSafeEqual } from 'node:crypto';
import { BOOTSTRAPPERS_GROUP, decodeSecretData, expired, parseToken, TOKEN_SECRET_PREFIX, TOKEN_SECRET_TYPE } from '../../../api/bootstraptoken.js';
import type { UserInfo } from '../../../api/types.js';

export class TokenFileError extends Error {
  override name = 'TokenFileError';
}

/** Splits one CSV record, honouring double quotes ("a,b" is one field; "" is a quote). */
function csvFields(line: string): string[] {
  const out: string[] = [];
  let cur = '';
  let quoted = false;
  for (let i = 0; i < line.length; i++) {
    const c = line[i];
    if (quoted) {
      if (c === '"' && line[i + 1] === '"') (cur += '"'), i++;
      else if (c === '"') quoted = false;
      else cur += c;
    } else if (c === '"') quoted = true;
    else if (c === ',') out.push(cur), (cur = '');
    else cur += c;
  }
  if (quoted) throw new TokenFileError('unterminated quote');
  out.push(cur);
  return out.map((f) => f.trim());
}

/** token → user, from the text of a token file; each bad line is an error naming its line number. */
export function parseTokenFile(text: string): Map<string, UserInfo> {
  const users = new Map<string, UserInfo>();
  text.split('\n').forEach((raw, i) => {
    const line = raw.trim();
    if (!line || line.startsWith('#')) return;
    let f: string[];
    try {
      f = csvFields(line);
    } catch (e) {
      throw new TokenFileError(`token file line ${i + 1}: ${(e as Error).message}`);
    }
    if (f.length < 3 || !f[0] || !f[1]) throw new TokenFileError(`token file line ${i + 1}: expected token,user,uid[,"group1,group2"]`);
    if (users.has(f[0])) throw new TokenFileError(`token file line ${i + 1}: duplicate token`);
    const groups = f[3] ? f[3].split(',').map((g) => g.trim()).filter(Boolean) : [];
    users.set(f[0], { name: f[1], uid: f[2] || undefined, groups });
  });
  return users;
}

/** Why a bootstrap token did not authenticate, for the log (the client only ever sees 401). */
export type BootstrapResult = { user: UserInfo } | { error: string };

/**
 * Authenticates a bootstrap token against its Secret (kube-system/bootstrap-token-<id>, fetched by `lookup`): the
 * right type, allowed for authentication, not expired, the secret half equal.
 */
export async function authenticateBootstrapToken(token: string, lookup: (name: string) => Promise<{ type?: string; data?: Record<string, string>; metadata?: { deletionTimestamp?: string } } | undefined>, now = Date.now()): Promise<BootstrapResult | undefined> {
  const t = parseToken(token);
  if (!t) return undefined; // not a bootstrap token: another authenticator may know it
  const secret = await lookup(`${TOKEN_SECRET_PREFIX}${t.id}`);
  if (!secret) return { error: `no secret for bootstrap token ${t.id}` };
  if (secret.type !== TOKEN_SECRET_TYPE) return { error: `secret ${TOKEN_SECRET_PREFIX}${t.id} has type ${secret.type}, not ${TOKEN_SECRET_TYPE}` };
  if (secret.metadata?.deletionTimestamp) return { error: `bootstrap token ${t.id} is being deleted` };
  const data = decodeSecretData(secret);
  const a = Buffer.from(data['token-secret'] ?? '');
  const b = Buffer.from(t.secret);
  if (a.length !== b.length || !timingSafeEqual(a, b) || data['token-id'] !== t.id) return { error: `bootstrap token ${t.id} does not match its secret` };
  if (expired(data, now)) return { error: `bootstrap token ${t.id} expired at ${data.expiration}` };
  if (data['usage-bootstrap-authentication'] !== 'true') return { error: `bootstrap token ${t.id} is not for authentication` };
  const extra = (data['auth-extra-groups'] ?? '').split(',').map((g) => g.trim()).filter(Boolean);
  const bad = extra.find((g) => !g.startsWith(`${BOOTSTRAPPERS_GROUP}:`));
  if (bad) return { error: `bootstrap token ${t.id} names group ${bad}, which is not under ${BOOTSTRAPPERS_GROUP}:` };
  return { user: { name: `system:bootstrap:${t.id}`, groups: [BOOTSTRAPPERS_GROUP, ...extra, 'system:authenticated'] } };
}
