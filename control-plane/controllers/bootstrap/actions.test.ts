// computeSignedClusterInfo and computeExpiredTokens: cluster-info carries one signature per valid signing token,
// verifiable with that token; expired tokens are found and go.
import t from 'tap';
import { parseToken, tokenSecret, verifyDetached } from '../../../api/bootstraptoken.js';
import { computeExpiredTokens, computeSignedClusterInfo, type SecretObject } from './actions.js';

const NOW = Date.parse('2026-01-01T00:00:00Z');
const stored = (token: string, o: { ttlSeconds?: number; signing?: boolean } = {}): SecretObject => {
  const s = tokenSecret(parseToken(token)!, { ttlSeconds: o.ttlSeconds, now: NOW });
  const data = { ...s.stringData, ...(o.signing === false ? { 'usage-bootstrap-signing': 'false' } : {}) };
  return { metadata: s.metadata, type: s.type, data: Object.fromEntries(Object.entries(data).map(([k, v]) => [k, Buffer.from(v).toString('base64')])) };
};
const clusterInfo = { metadata: { name: 'cluster-info', namespace: 'kube-public' }, data: { kubeconfig: 'apiVersion: v1\nkind: Config\n', 'jws-kubeconfig-gone00': 'stale..sig' } };

t.test('cluster-info is signed by each valid signing token, and only those', async (t) => {
  const secrets = [stored('abcdef.0123456789abcdef', { ttlSeconds: 3600 }), stored('zzzzzz.0123456789abcdef', { signing: false }), stored('old000.0123456789abcdef', { ttlSeconds: -1 })];
  const signed = computeSignedClusterInfo(clusterInfo, secrets, NOW)!;
  t.same(Object.keys(signed.data!).sort(), ['jws-kubeconfig-abcdef', 'kubeconfig']);
  t.ok(verifyDetached(signed.data!['jws-kubeconfig-abcdef'], clusterInfo.data.kubeconfig, parseToken('abcdef.0123456789abcdef')!));
  t.equal(computeSignedClusterInfo(signed, secrets, NOW), undefined, 'nothing to change the second time');
});

t.test('expired tokens are found; the next expiry is known', async (t) => {
  const secrets = [stored('abcdef.0123456789abcdef', { ttlSeconds: 3600 }), stored('old000.0123456789abcdef', { ttlSeconds: -1 }), stored('forevr.0123456789abcdef')];
  const r = computeExpiredTokens(secrets, NOW);
  t.same(r.expired.map((s) => s.metadata.name), ['bootstrap-token-old000']);
  t.equal(r.nextExpiry, NOW + 3600_000);
});
