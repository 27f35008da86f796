// The filter chain and the authentication filter, on requests built in memory.
import type { IncomingMessage, ServerResponse } from 'node:http';
import t from 'tap';
import { requestInfo } from '../requestinfo.js';
import { Authenticator } from '../authentication/index.js';
import { authentication } from './authentication.js';
import { withFilters, type Filter, type RequestContext, type UserInfo } from './chain.js';

function context(path: string, headers: Record<string, string> = {}): RequestContext {
  const url = new URL(`https://localhost${path}`);
  const req = { socket: { authorized: false }, headers } as unknown as IncomingMessage;
  return { req, res: {} as ServerResponse, url, info: requestInfo('GET', url) };
}

t.test('filters run in list order, each seeing what the one before passed on', async (t) => {
  const seen: string[] = [];
  const tag =
    (name: string): Filter =>
    (ctx, next) => {
      seen.push(`${name}:${ctx.user?.name ?? '-'}`);
      return next({ ...ctx, user: { name, groups: [] } });
    };
  let handled: RequestContext | undefined;
  await withFilters([tag('a'), tag('b'), tag('c')], async (ctx) => {
    handled = ctx;
  })(context('/api/v1/pods'));
  t.same(seen, ['a:-', 'b:a', 'c:b']);
  t.equal(handled?.user?.name, 'c');
  t.equal(handled?.info.resource, 'pods', 'the RequestInfo reaches the handler');
});

t.test('a filter may answer instead of passing on', async (t) => {
  let reached = false;
  const refuse: Filter = async (ctx) => {
    if (ctx.info.verb === 'list') throw Object.assign(new Error('no'), { code: 403 });
  };
  await t.rejects(withFilters([refuse], async () => {
    reached = true;
  })(context('/api/v1/pods')), { code: 403 });
  t.equal(reached, false);
});

t.test('authentication: bearer tokens name users; anonymous only where allowed; else 401', async (t) => {
  const tokens = new Map<string, UserInfo>([['s3cret', { name: 'kubelet', groups: ['system:nodes'] }]]);
  const users: (UserInfo | undefined)[] = [];
  const run = withFilters([authentication(new Authenticator({ staticTokens: tokens, anonymousAllowed: (p) => p === '/healthz' }))], async (ctx) => {
    users.push(ctx.user);
  });
  await run(context('/api/v1/pods', { authorization: 'Bearer s3cret' }));
  t.same(users.pop(), { name: 'kubelet', groups: ['system:nodes', 'system:authenticated'] });
  await run(context('/healthz'));
  await t.rejects(run(context('/healthz', { authorization: 'Bearer wrong' })), { code: 401 }, 'a bad token is refused even where anonymous may go');
  t.same(users.pop(), { name: 'system:anonymous', groups: ['system:unauthenticated'] });
  await t.rejects(run(context('/api/v1/pods')), { code: 401, reason: 'Unauthorized' });
  await t.rejects(run(context('/api/v1/pods', { authorization: 'Bearer wrong' })), { code: 401 });
  t.equal(users.length, 0, 'refused requests reach no handler');
});
