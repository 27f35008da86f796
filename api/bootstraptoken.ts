// Bootstrap tokens and kubeadm's discovery protocol (k8s.io/cluster-bootstrap): the "abcdef.0123456789abcdef" token
// format, the kube-system Secret that holds it, the detached JWS (HS256, keyed by the token) over the cluster-info
// kubeconfig, and the CA public-key pin (`--discovery-token-ca-cert-hash sha256:…`). The server side signs, a joining
// node verifies: both use this file. At its end, what `kubets token` and the lab do with an admin kubeconfig.
import { createHash, createHmac, randomInt, timingSafeEqual, X509Certificate } from 'node:crypto';
import { ApiClient, loadKubeconfig } from './client.js';
import { isNotFound } from './errors.js';
import { Resources } from './resources.js';
import type { KubeObject } from './types.js';

/** The group every token made by `kubets token create` authenticates into, besides system:bootstrappers (kubeadm's default-node-token). */
export const JOIN_GROUP = 'system:bootstrappers:kubets:default-node-token';
import { formatTime, parseDuration } from './time.js';

export const TOKEN_PATTERN = /^([a-z0-9]{6})\.([a-z0-9]{16})$/;
export const TOKEN_SECRET_TYPE = 'bootstrap.kubernetes.io/token';
export const TOKEN_SECRET_PREFIX = 'bootstrap-token-';
/** The group every bootstrap token authenticates into, besides any extra groups the Secret lists. */
export const BOOTSTRAPPERS_GROUP = 'system:bootstrappers';
export const JWS_KEY_PREFIX = 'jws-kubeconfig-';

export interface BootstrapToken {
  id: string;
  secret: string;
}

export function parseToken(token: string): BootstrapToken | undefined {
  const m = TOKEN_PATTERN.exec(token.trim());
  return m ? { id: m[1], secret: m[2] } : undefined;
}

export function formatToken(t: BootstrapToken): string {
  return `${t.id}.${t.secret}`;
}

const ALPHABET = 'abcdefghijklmnopqrstuvwxyz0123456789';
const random = (n: number) => Array.from({ length: n }, () => ALPHABET[randomInt(ALPHABET.length)]).join('');

export function generateToken(): BootstrapToken {
  return { id: random(6), secret: random(16) };
}

const b64url = (b: Buffer | string) => Buffer.from(b).toString('base64url');

/** Detached JWS (compact form with an empty payload: "header..signature") over `payload`, HS256 keyed by the token. */
export function signDetached(payload: string, token: BootstrapToken): string {
  const header = b64url(JSON.stringify({ alg: 'HS256', kid: token.id }));
  const sig = createHmac('sha256', formatToken(token)).update(`${header}.${b64url(payload)}`).digest();
  return `${header}..${b64url(sig)}`;
}

/** Whether `jws` is the detached signature of `payload` made with this token. */
export function verifyDetached(jws: string, payload: string, token: BootstrapToken): boolean {
  const [header, empty, sig] = jws.split('.');
  if (header === undefined || empty !== '' || sig === undefined) return false;
  let h: { alg?: string; kid?: string };
  try {
    h = JSON.parse(Buffer.from(header, 'base64url').toString('utf8'));
  } catch {
    return false;
  }
  if (h.alg !== 'HS256' || h.kid !== token.id) return false;
  const want = createHmac('sha256', formatToken(token)).update(`${header}.${b64url(payload)}`).digest();
  const got = Buffer.from(sig, 'base64url');
  return got.length === want.length && timingSafeEqual(got, want);
}

/** "sha256:<hex>" of the CA certificate's SubjectPublicKeyInfo, as kubeadm pins it. */
export function caCertHash(caPem: string): string {
  const spki = new X509Certificate(caPem).publicKey.export({ type: 'spki', format: 'der' });
  return `sha256:${createHash('sha256').update(spki).digest('hex')}`;
}

/** The Secret in kube-system that makes a token valid (bootstrap.kubernetes.io/token). */
export function tokenSecret(t: BootstrapToken, o: { ttlSeconds?: number; description?: string; groups?: string[]; now?: number } = {}) {
  const data: Record<string, string> = {
    'token-id': t.id,
    'token-secret': t.secret,
    'usage-bootstrap-authentication': 'true',
    'usage-bootstrap-signing': 'true',
    'auth-extra-groups': (o.groups ?? [JOIN_GROUP]).join(','),
  };
  if (o.ttlSeconds) data.expiration = formatTime((o.now ?? Date.now()) + o.ttlSeconds * 1000);
  if (o.description) data.description = o.description;
  return {
    apiVersion: 'v1',
    kind: 'Secret',
    type: TOKEN_SECRET_TYPE,
    metadata: { name: `${TOKEN_SECRET_PREFIX}${t.id}`, namespace: 'kube-system' },
    stringData: data,
  };
}

/** A token Secret's data, decoded from base64 (what the API returns). */
export function decodeSecretData(secret: { data?: Record<string, string> }): Record<string, string> {
  return Object.fromEntries(Object.entries(secret.data ?? {}).map(([k, v]) => [k, Buffer.from(v, 'base64').toString('utf8')]));
}

/** Whether a token Secret's expiration (RFC 3339) has passed. */
export function expired(data: Record<string, string>, now = Date.now()): boolean {
  return !!data.expiration && Date.parse(data.expiration) <= now;
}

// ---- admin operations (kubeadm token's counterpart) ----

/** "24h", "90m", "1h30m", "0" (never) → seconds. */
export function parseTTL(text: string): number {
  if (/^\d+$/.test(text.trim())) return Number(text.trim()); // bare seconds, as before
  try {
    return Math.floor(parseDuration(text) / 1000);
  } catch {
    throw new Error(`--ttl "${text}": want a duration such as 24h, 90m or 0 (never expires)`);
  }
}

export async function createToken(kubeconfig: string, o: { ttlSeconds: number; description?: string; token?: string }): Promise<string> {
  const token = o.token ? parseToken(o.token) : generateToken();
  if (!token) throw new Error(`--token "${o.token}" is not of the form [a-z0-9]{6}.[a-z0-9]{16}`);
  const client = ApiClient.fromKubeconfig(kubeconfig, 'kubets-token');
  try {
    await client.create(Resources.secrets, 'kube-system', tokenSecret(token, { ttlSeconds: o.ttlSeconds || undefined, description: o.description }) as unknown as KubeObject);
  } finally {
    client.close();
  }
  return formatToken(token);
}

/** The `kubets join` line for this cluster and token: the API server from the kubeconfig, the CA pinned by hash. */
export function joinCommand(kubeconfig: string, token: string): string {
  const c = loadKubeconfig(kubeconfig);
  return `kubets join ${c.server} --token ${token} --discovery-token-ca-cert-hash ${caCertHash(String(c.ca))}`;
}

function humanTTL(seconds: number): string {
  if (seconds >= 3600) return `${Math.floor(seconds / 3600)}h`;
  if (seconds >= 60) return `${Math.floor(seconds / 60)}m`;
  return `${Math.max(0, seconds)}s`;
}

export async function listTokens(kubeconfig: string, now = Date.now()): Promise<string> {
  const client = ApiClient.fromKubeconfig(kubeconfig, 'kubets-token');
  try {
    const secrets = (await client.list<KubeObject & { type?: string; data?: Record<string, string> }>(Resources.secrets, 'kube-system', { fieldSelector: `type=${TOKEN_SECRET_TYPE}` })).items;
    const rows = [['TOKEN', 'TTL', 'EXPIRES', 'USAGES', 'DESCRIPTION', 'EXTRA GROUPS']];
    for (const s of secrets) {
      const d = decodeSecretData(s);
      if (expired(d, now)) continue;
      const usages = ['authentication', 'signing'].filter((u) => d[`usage-bootstrap-${u}`] === 'true').join(',');
      rows.push([`${d['token-id']}.${d['token-secret']}`, d.expiration ? humanTTL(Math.round((Date.parse(d.expiration) - now) / 1000)) : '<forever>', d.expiration ?? '<never>', usages, d.description || '<none>', d['auth-extra-groups'] || '<none>']);
    }
    const widths = rows[0].map((_, i) => Math.max(...rows.map((r) => r[i].length)));
    return rows.map((r) => r.map((c, i) => (i === r.length - 1 ? c : c.padEnd(widths[i] + 3))).join('').trimEnd()).join('\n') + '\n';
  } finally {
    client.close();
  }
}

export async function deleteToken(kubeconfig: string, idOrToken: string): Promise<string> {
  const id = parseToken(idOrToken)?.id ?? (/^[a-z0-9]{6}$/.test(idOrToken) ? idOrToken : undefined);
  if (!id) throw new Error(`"${idOrToken}" is neither a token id ([a-z0-9]{6}) nor a token`);
  const client = ApiClient.fromKubeconfig(kubeconfig, 'kubets-token');
  try {
    await client.delete(Resources.secrets, 'kube-system', `${TOKEN_SECRET_PREFIX}${id}`);
    return `bootstrap token "${id}" deleted`;
  } catch (e) {
    if (isNotFound(e)) throw new Error(`bootstrap token "${id}" not found`);
    throw e;
  } finally {
    client.close();
  }
}
