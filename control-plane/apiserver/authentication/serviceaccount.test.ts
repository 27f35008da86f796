import t from 'tap';
import { generateKeyPairSync } from 'node:crypto';
import { ServiceAccountTokens, serviceAccountUser } from './serviceaccount.js';

const key = () => generateKeyPairSync('rsa', { modulusLength: 2048 }).privateKey;
const claim = { namespace: 'apps', serviceaccount: { name: 'default', uid: 'sa-uid' }, pod: { name: 'web-1', uid: 'pod-uid' } };

t.test('a bound token verifies and names the service account and its pod', async (t) => {
  let now = Date.parse('2026-01-01T00:00:00Z');
  const tokens = new ServiceAccountTokens(key(), undefined, () => now);
  const { token, expirationTimestamp } = tokens.issue(claim, ['https://kubernetes.default.svc.cluster.local'], 3600);
  t.equal(expirationTimestamp, now + 3600_000);
  t.ok(tokens.isOurs(token));
  const claims = tokens.verify(token, ['https://kubernetes.default.svc.cluster.local']);
  t.equal(claims.sub, 'system:serviceaccount:apps:default');
  const u = serviceAccountUser(claims);
  t.same(u.groups, ['system:serviceaccounts', 'system:serviceaccounts:apps', 'system:authenticated']);
  t.same(u.extra?.['authentication.kubernetes.io/pod-name'], ['web-1']);
  t.throws(() => tokens.verify(token, ['vault']), { name: 'TokenVerifyError', message: 'token audiences do not match' }, 'another audience');
  now += 3600_000 + 61_000;
  t.throws(() => tokens.verify(token, ['https://kubernetes.default.svc.cluster.local']), /expired/);
});

t.test('tampered tokens and tokens of another key are refused', async (t) => {
  const a = new ServiceAccountTokens(key());
  const b = new ServiceAccountTokens(key());
  const { token } = a.issue(claim, ['api'], 600);
  t.throws(() => b.verify(token, ['api']), /invalid signature/);
  const [h, p, s] = token.split('.');
  const body = JSON.parse(Buffer.from(p, 'base64url').toString());
  body['kubernetes.io'].namespace = 'kube-system';
  body.sub = 'system:serviceaccount:kube-system:default';
  t.throws(() => a.verify(`${h}.${Buffer.from(JSON.stringify(body)).toString('base64url')}.${s}`, ['api']), /invalid signature/);
  t.throws(() => a.verify('not-a-jwt', ['api']), /malformed/);
  const jwk = a.jwks().keys[0];
  t.equal(jwk.kty, 'RSA');
  t.equal(a.openidConfiguration().jwks_uri, 'https://kubernetes.default.svc.cluster.local/openid/v1/jwks');
});
