import t from 'tap';
import type { IncomingMessage } from 'node:http';
import { KubeletAuth, requestAttributes, type KubeletUser, type NodeRequestAttributes, type Reviewer } from './auth.js';

t.test('request paths map to node subresources as the kubelet maps them', async (t) => {
  const sub = (m: string, p: string) => requestAttributes(m, p, 'w1');
  t.same(sub('GET', '/stats/summary'), { verb: 'get', resource: 'nodes', subresource: 'stats', name: 'w1' });
  t.equal(sub('GET', '/metrics/cadvisor').subresource, 'metrics');
  t.equal(sub('GET', '/logs/syslog').subresource, 'log');
  t.equal(sub('GET', '/containerLogs/ns/p/c').subresource, 'proxy');
  t.equal(sub('POST', '/exec/ns/p/c').verb, 'create');
  t.equal(sub('GET', '/statsfoo').subresource, 'proxy', 'a prefix is a whole segment');
});

/** A request with no client certificate and the given Authorization header. */
const request = (authorization?: string) => ({ socket: { authorized: false }, headers: authorization ? { authorization } : {} }) as unknown as IncomingMessage;

t.test('bearer tokens are reviewed once per cache lifetime; access decisions are cached', async (t) => {
  let now = 0;
  const calls = { token: 0, access: 0 };
  const alice: KubeletUser = { name: 'alice', groups: ['system:authenticated'] };
  const reviewer: Reviewer = {
    reviewToken: async (tok) => (calls.token++, tok === 'good' ? alice : undefined),
    reviewAccess: async (_u, a: NodeRequestAttributes) => (calls.access++, { allowed: a.subresource === 'stats' }),
  };
  const auth = new KubeletAuth('w1', reviewer, () => now);
  t.same(await auth.authenticate(request('Bearer good')), alice);
  await auth.authenticate(request('Bearer good'));
  t.equal(calls.token, 1, 'cached');
  await t.rejects(auth.authenticate(request('Bearer bad')), { code: 401 });
  await t.rejects(auth.authenticate(request()), { code: 401, message: 'Unauthorized' }, 'anonymous is refused');
  await auth.authorize(alice, 'GET', '/stats/summary');
  await t.rejects(auth.authorize(alice, 'POST', '/exec/ns/p/c'), { code: 403, message: 'Forbidden (user=alice, verb=create, resource=nodes, subresource=proxy)' });
  await auth.authorize(alice, 'GET', '/stats/summary');
  t.equal(calls.access, 2, 'allowed and denied decisions come from the cache');
  now += 31_000;
  await t.rejects(auth.authorize(alice, 'POST', '/exec/ns/p/c'), { code: 403 });
  t.equal(calls.access, 3, 'a denial is asked again after 30 s');
  now += 121_000;
  await auth.authenticate(request('Bearer good'));
  t.equal(calls.token, 3, 'a token is reviewed again after 2 minutes');
});

t.test('without an API to ask, only system:masters is allowed', async (t) => {
  const auth = new KubeletAuth('w1');
  await auth.authorize({ name: 'apiserver', groups: ['system:masters'] }, 'GET', '/containerLogs/a/b/c');
  await t.rejects(auth.authorize({ name: 'system:node:w2', groups: ['system:nodes'] }, 'GET', '/containerLogs/a/b/c'), { code: 403 });
  await t.rejects(auth.authenticate(request('Bearer anything')), { code: 401 }, 'no token review without an API');
});
