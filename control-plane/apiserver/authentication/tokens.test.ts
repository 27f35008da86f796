import t from 'tap';
import { tokenSecret } from '../../../api/bootstraptoken.js';
import { authenticateBootstrapToken, parseTokenFile } from './tokens.js';

t.test('token file: kube-apiserver CSV with quoted groups; bad lines named', async (t) => {
  const users = parseTokenFile('# comment\nt0k3n,alice,1001,"dev,ops"\nbot-token,ci-bot,,\n');
  t.same(users.get('t0k3n'), { name: 'alice', uid: '1001', groups: ['dev', 'ops'] });
  t.same(users.get('bot-token'), { name: 'ci-bot', uid: undefined, groups: [] });
  t.throws(() => parseTokenFile('onlytoken\n'), /line 1: expected token,user,uid/);
  t.throws(() => parseTokenFile('a,b,c\na,d,e\n'), /line 2: duplicate token/);
  t.throws(() => parseTokenFile('a,b,c,"x\n'), /line 1: unterminated quote/);
});

t.test('bootstrap tokens authenticate joining nodes until they expire', async (t) => {
  const now = Date.parse('2026-01-01T00:00:00Z');
  const s = tokenSecret({ id: 'abcdef', secret: '0123456789abcdef' }, { ttlSeconds: 600, now });
  const stored = { type: s.type, data: Object.fromEntries(Object.entries(s.stringData).map(([k, v]) => [k, Buffer.from(v).toString('base64')])) };
  const lookup = async (name: string) => (name === 'bootstrap-token-abcdef' ? stored : undefined);
  t.same(await authenticateBootstrapToken('abcdef.0123456789abcdef', lookup, now), { user: { name: 'system:bootstrap:abcdef', groups: ['system:bootstrappers', 'system:bootstrappers:kubets:default-node-token', 'system:authenticated'] } });
  t.same(await authenticateBootstrapToken('abcdef.0123456789abcdeX'.toLowerCase(), lookup, now), { error: 'bootstrap token abcdef does not match its secret' });
  t.same(await authenticateBootstrapToken('abcdef.0123456789abcdef', lookup, now + 601_000), { error: 'bootstrap token abcdef expired at 2026-01-01T00:10:00Z' });
  t.same(await authenticateBootstrapToken('zzzzzz.0123456789abcdef', lookup, now), { error: 'no secret for bootstrap token zzzzzz' });
  t.equal(await authenticateBootstrapToken('not-a-bootstrap-token', lookup, now), undefined, 'left to other authenticators');
});
