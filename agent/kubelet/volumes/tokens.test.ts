import t from 'tap';
import { FakeClock, FakeObjectReader, makePod } from '../../../test/fixtures/kubelet.js';
import { TokenManager, tokenNeedsRefresh } from './tokens.js';

const hour = 3600_000;

t.test('a token is renewed at 80 % of its lifetime, or at 24 h of age for long ones', async (t) => {
  const issued = 1_700_000_000_000;
  const short = { token: 't', expirationSeconds: 3600, expiresAt: issued + hour };
  t.equal(tokenNeedsRefresh(short, issued + 0.79 * hour), false);
  t.equal(tokenNeedsRefresh(short, issued + 0.81 * hour), true);
  t.equal(tokenNeedsRefresh(short, issued + 0.79 * hour, 0.02 * hour), true, 'the jitter renews a little earlier');
  const year = { token: 't', expirationSeconds: 365 * 24 * 3600, expiresAt: issued + 365 * 24 * hour };
  t.equal(tokenNeedsRefresh(year, issued + 23 * hour), false);
  t.equal(tokenNeedsRefresh(year, issued + 24 * hour + 1), true);
});

t.test('the token manager asks for tokens bound to the pod, caches them, renews them, and keeps a valid one on failure', async (t) => {
  const clock = new FakeClock();
  const reader = new FakeObjectReader(clock);
  const tokens = new TokenManager(reader, clock, () => 0);
  const pod = makePod();
  pod.spec.serviceAccountName = 'builder';
  const projection = { path: 'token', expirationSeconds: 3607 };
  t.equal(await tokens.token(pod, projection), 'token-1');
  t.same(reader.tokenRequests, [{ namespace: 'default', serviceAccount: 'builder', spec: { expirationSeconds: 3607, boundObjectRef: { kind: 'Pod', apiVersion: 'v1', name: 'web', uid: pod.metadata.uid } } }]);
  t.equal(await tokens.token(pod, projection), 'token-1', 'cached');
  t.equal(await tokens.token(pod, { path: 'vault-token', audience: 'vault', expirationSeconds: 600 }), 'token-2', 'another audience is another token');
  t.same(reader.tokenRequests[1].spec.audiences, ['vault']);
  clock.advance(0.81 * 3607 * 1000);
  t.equal(await tokens.token(pod, projection), 'token-3', 'renewed after 80 % of the lifetime');
  clock.advance(0.81 * 3607 * 1000);
  reader.failWith = new Error('connection refused');
  t.equal(await tokens.token(pod, projection), 'token-3', 'renewal failed: the unexpired token stays');
  clock.advance(0.2 * 3607 * 1000);
  await t.rejects(tokens.token(pod, projection), { message: 'failed to fetch token: connection refused' });
  reader.failWith = undefined;
  tokens.forgetPod(pod.metadata.uid!);
  t.equal(await tokens.token(pod, { path: 'vault-token', audience: 'vault', expirationSeconds: 600 }), 'token-4', 'forgotten with its pod');
});
