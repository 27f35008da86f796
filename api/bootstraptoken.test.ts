import t from 'tap';
import { createCA } from './pki.js';
import { caCertHash, expired, formatToken, generateToken, parseToken, signDetached, tokenSecret, verifyDetached } from './bootstraptoken.js';

t.test('tokens: format, parse, generate', async (t) => {
  t.same(parseToken('abcdef.0123456789abcdef'), { id: 'abcdef', secret: '0123456789abcdef' });
  for (const bad of ['abcdef0123456789abcdef', 'ABCDEF.0123456789abcdef', 'abcde.0123456789abcdef', 'abcdef.0123456789abcde!']) t.equal(parseToken(bad), undefined, bad);
  const g = generateToken();
  t.match(formatToken(g), /^[a-z0-9]{6}\.[a-z0-9]{16}$/);
});

t.test('detached JWS verifies with the right token only, and not for another payload', async (t) => {
  const tok = parseToken('abcdef.0123456789abcdef')!;
  const jws = signDetached('kubeconfig-text', tok);
  t.match(jws, /^[A-Za-z0-9_-]+\.\.[A-Za-z0-9_-]+$/);
  t.ok(verifyDetached(jws, 'kubeconfig-text', tok));
  t.notOk(verifyDetached(jws, 'kubeconfig-text!', tok), 'payload changed');
  t.notOk(verifyDetached(jws, 'kubeconfig-text', parseToken('abcdef.0123456789abcdeX'.toLowerCase())!), 'other secret');
  t.notOk(verifyDetached('garbage', 'kubeconfig-text', tok));
});

t.test('CA hash pins the public key; token secrets expire', async (t) => {
  const a = await createCA();
  const b = await createCA();
  t.match(caCertHash(a.certPem), /^sha256:[0-9a-f]{64}$/);
  t.not(caCertHash(a.certPem), caCertHash(b.certPem));
  const s = tokenSecret(parseToken('abcdef.0123456789abcdef')!, { ttlSeconds: 60, now: Date.parse('2026-01-01T00:00:00Z') });
  t.equal(s.metadata.name, 'bootstrap-token-abcdef');
  t.equal(s.stringData.expiration, '2026-01-01T00:01:00Z');
  t.notOk(expired(s.stringData, Date.parse('2026-01-01T00:00:59Z')));
  t.ok(expired(s.stringData, Date.parse('2026-01-01T00:01:00Z')));
});
