// Service-account tokens (pkg/serviceaccount): bound JWTs signed with the cluster's service-account key (RS256),
// with kube-apiserver's claims (iss, sub system:serviceaccount:<ns>:<name>, aud, exp/iat/nbf, and the
// kubernetes.io claim naming the service account and the pod or secret it is bound to); verification against
// audiences and expiry; the user they authenticate as; and the public keys as the OIDC discovery documents serve them.
import { createHash, createPrivateKey, createPublicKey, generateKeyPairSync, randomUUID, sign, verify, type KeyObject } from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import type { UserInfo } from '../../../api/types.js';

export const DEFAULT_ISSUER = 'https://kubernetes.default.svc.cluster.local';
export const SA_USER_PREFIX = 'system:serviceaccount:';

export interface BoundObject {
  name: string;
  uid: string;
}

/** The kubernetes.io private claim of a bound token. */
export interface KubernetesClaim {
  namespace: string;
  serviceaccount: BoundObject;
  pod?: BoundObject;
  secret?: BoundObject;
  node?: BoundObject;
  /** When a kubelet should refresh the token (auto-generated pod tokens). */
  warnafter?: number;
}

export interface TokenClaims {
  iss: string;
  sub: string;
  aud: string[];
  exp: number;
  iat: number;
  nbf: number;
  jti: string;
  'kubernetes.io': KubernetesClaim;
}

/** The service-account signing key in the pki dir (sa.key / sa.pub, as kubeadm names them), created once. */
export function loadOrCreateSigningKey(pkiDir: string): KeyObject {
  const keyFile = path.join(pkiDir, 'sa.key');
  if (!fs.existsSync(keyFile)) {
    const { privateKey, publicKey } = generateKeyPairSync('rsa', { modulusLength: 2048 });
    fs.writeFileSync(keyFile, privateKey.export({ type: 'pkcs8', format: 'pem' }), { mode: 0o600 });
    fs.writeFileSync(path.join(pkiDir, 'sa.pub'), publicKey.export({ type: 'spki', format: 'pem' }));
  }
  return createPrivateKey(fs.readFileSync(keyFile));
}

const b64url = (v: Buffer | string) => Buffer.from(v).toString('base64url');

/** kube's key id: the base64url SHA-256 of the public key's DER (SubjectPublicKeyInfo). */
export function keyID(pub: KeyObject): string {
  return b64url(createHash('sha256').update(pub.export({ type: 'spki', format: 'der' })).digest());
}

export class TokenVerifyError extends Error {
  override name = 'TokenVerifyError';
}

export class ServiceAccountTokens {
  private readonly publicKey: KeyObject;
  private readonly kid: string;

  constructor(
    private readonly signingKey: KeyObject,
    readonly issuer = DEFAULT_ISSUER,
    private readonly clock: () => number = Date.now,
  ) {
    this.publicKey = createPublicKey(signingKey);
    this.kid = keyID(this.publicKey);
  }

  /** A signed token for the claim, valid `expirationSeconds` from now for these audiences. */
  issue(claim: KubernetesClaim, audiences: string[], expirationSeconds: number): { token: string; expirationTimestamp: number } {
    const now = Math.floor(this.clock() / 1000);
    const claims: TokenClaims = {
      aud: audiences,
      exp: now + expirationSeconds,
      iat: now,
      iss: this.issuer,
      jti: randomUUID(),
      'kubernetes.io': claim,
      nbf: now,
      sub: `${SA_USER_PREFIX}${claim.namespace}:${claim.serviceaccount.name}`,
    };
    const header = b64url(JSON.stringify({ alg: 'RS256', kid: this.kid }));
    const body = b64url(JSON.stringify(claims));
    const sig = sign('sha256', Buffer.from(`${header}.${body}`), this.signingKey);
    return { token: `${header}.${body}.${b64url(sig)}`, expirationTimestamp: claims.exp * 1000 };
  }

  /** Whether the token looks like one of ours (a JWT whose issuer is this one); cheap, before verifying. */
  isOurs(token: string): boolean {
    const parts = token.split('.');
    if (parts.length !== 3) return false;
    try {
      return JSON.parse(Buffer.from(parts[1], 'base64url').toString('utf8')).iss === this.issuer;
    } catch {
      return false;
    }
  }

  /** The token's claims when its signature, issuer, time window and audience hold; throws TokenVerifyError otherwise. */
  verify(token: string, audiences: string[]): TokenClaims {
    const parts = token.split('.');
    if (parts.length !== 3) throw new TokenVerifyError('token is malformed');
    let header: { alg?: string; kid?: string };
    let claims: TokenClaims;
    try {
      header = JSON.parse(Buffer.from(parts[0], 'base64url').toString('utf8'));
      claims = JSON.parse(Buffer.from(parts[1], 'base64url').toString('utf8'));
    } catch {
      throw new TokenVerifyError('token is malformed');
    }
    if (header.alg !== 'RS256') throw new TokenVerifyError(`unexpected signing algorithm ${JSON.stringify(header.alg)}`);
    if (!verify('sha256', Buffer.from(`${parts[0]}.${parts[1]}`), this.publicKey, Buffer.from(parts[2], 'base64url'))) throw new TokenVerifyError('invalid signature');
    if (claims.iss !== this.issuer) throw new TokenVerifyError('token issuer is not trusted');
    const now = Math.floor(this.clock() / 1000);
    // kube-apiserver allows a minute of clock skew on both ends.
    if (typeof claims.exp !== 'number' || now > claims.exp + 60) throw new TokenVerifyError('token has expired');
    if (typeof claims.nbf === 'number' && now < claims.nbf - 60) throw new TokenVerifyError('token is not yet valid');
    const aud = Array.isArray(claims.aud) ? claims.aud : [claims.aud];
    if (!aud.some((a) => audiences.includes(a))) throw new TokenVerifyError('token audiences do not match');
    const k = claims['kubernetes.io'];
    if (!k?.namespace || !k.serviceaccount?.name || claims.sub !== `${SA_USER_PREFIX}${k.namespace}:${k.serviceaccount.name}`) throw new TokenVerifyError('token lacks the kubernetes.io claim');
    return claims;
  }

  /** The JWKS document (/openid/v1/jwks). */
  jwks(): { keys: Record<string, unknown>[] } {
    return { keys: [{ use: 'sig', alg: 'RS256', kid: this.kid, ...(this.publicKey.export({ format: 'jwk' }) as Record<string, unknown>) }] };
  }

  /** The OIDC discovery document (/.well-known/openid-configuration). */
  openidConfiguration(): Record<string, unknown> {
    return {
      issuer: this.issuer,
      jwks_uri: `${this.issuer}/openid/v1/jwks`,
      response_types_supported: ['id_token'],
      subject_types_supported: ['public'],
      id_token_signing_alg_values_supported: ['RS256'],
    };
  }
}

/** The user a verified token authenticates as (serviceaccount.UserInfo with the bound-object extras). */
export function serviceAccountUser(claims: TokenClaims): UserInfo {
  const k = claims['kubernetes.io'];
  const extra: Record<string, string[]> = { 'authentication.kubernetes.io/credential-id': [`JTI=${claims.jti}`] };
  if (k.pod) {
    extra['authentication.kubernetes.io/pod-name'] = [k.pod.name];
    extra['authentication.kubernetes.io/pod-uid'] = [k.pod.uid];
  }
  if (k.node) {
    extra['authentication.kubernetes.io/node-name'] = [k.node.name];
    extra['authentication.kubernetes.io/node-uid'] = [k.node.uid];
  }
  return {
    name: claims.sub,
    uid: k.serviceaccount.uid,
    groups: ['system:serviceaccounts', `system:serviceaccounts:${k.namespace}`, 'system:authenticated'],
    extra,
  };
}
