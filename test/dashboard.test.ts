// The Dashboard's server against a real `kubets server` with static-token users: it serves the app and /healthz;
// /api and /apis are proxied with the caller's own bearer token, so RBAC decides (a view-only user reads but gets 403
// on delete; an editor deletes); no token is 401 and never the dashboard's identity; a watch streams through as
// events happen. `kubets dashboard` names a bad flag in one line.
import https from 'node:https';
import { execa } from 'execa';
import t from 'tap';
import { Resources } from '../api/resources.js';
import type { KubeObject } from '../api/types.js';
import { dashboardRequest, startTestDashboard } from './dashboard-client.js';
import { tokenFileDir, type TokenUser } from './identities.js';
import { cliPath, startServer } from './server-fixture.js';

const editor: TokenUser = { token: 'dash-editor-token', name: 'erin', uid: 'u-erin', groups: ['dashboard-users'] };
const viewer: TokenUser = { token: 'dash-viewer-token', name: 'victor', uid: 'u-victor', groups: ['dashboard-users'] };

t.test('the dashboard proxies the API as the logged-in user', async (t) => {
  const { dir, args } = tokenFileDir([editor, viewer]);
  const srv = await startServer({ dir, args });
  t.teardown(() => srv.destroy());
  const admin = (a: string[]) => srv.kubectl(a).then((r) => (r.exitCode === 0 ? r.stdout : Promise.reject(new Error(r.stderr))));
  await admin(['create', 'clusterrolebinding', 'erin-edit', '--clusterrole=edit', '--user=erin']);
  await admin(['create', 'clusterrolebinding', 'victor-view', '--clusterrole=view', '--user=victor']);
  await admin(['create', 'configmap', 'web', '-n', 'default', '--from-literal=a=1']);

  const dash = await startTestDashboard(srv);
  t.teardown(() => dash.close());
  const get = (path: string, token?: string) => dashboardRequest(dash.url, 'GET', path, { token });

  t.equal((await get('/healthz')).body, 'ok', '/healthz');
  const page = await get('/pods/default/web');
  t.equal(page.status, 200, 'an app route answers with the page');
  t.match(page.body, /<script type="module" src="\/app\.js">/);
  t.match(page.headers['content-security-policy'], /default-src 'self'/);
  const app = await get('/app.js');
  t.equal(app.status, 200, 'the bundled app is served');
  t.match(app.headers['content-type'], /javascript/);
  t.ok(app.body.length > 10_000, `the bundle (${app.body.length} bytes)`);

  const anonymous = await get('/api/v1/namespaces/default/configmaps');
  t.equal(anonymous.status, 401, 'no token: 401');
  t.match(JSON.parse(anonymous.body), { kind: 'Status', reason: 'Unauthorized', code: 401 });
  const basic = await dashboardRequest(dash.url, 'GET', '/api/v1/namespaces/default/configmaps', { headers: { authorization: 'Basic YWRtaW46YWRtaW4=' } });
  t.equal(basic.status, 401, 'a credential other than a bearer token: 401');
  const wrong = await get('/api/v1/namespaces/default/configmaps', 'not-a-token');
  t.equal(wrong.status, 401, 'an unknown token: the API server says 401');

  const listed = await get('/api/v1/namespaces/default/configmaps', viewer.token);
  t.equal(listed.status, 200, 'the viewer lists');
  t.ok(JSON.parse(listed.body).items.some((c: KubeObject) => c.metadata.name === 'web'));
  const review = await dashboardRequest(dash.url, 'POST', '/apis/authentication.k8s.io/v1/selfsubjectreviews', { token: viewer.token, body: { apiVersion: 'authentication.k8s.io/v1', kind: 'SelfSubjectReview' } });
  t.equal(JSON.parse(review.body).status?.userInfo?.username, 'victor', 'the API server sees the caller, not the dashboard');

  const denied = await dashboardRequest(dash.url, 'DELETE', '/api/v1/namespaces/default/configmaps/web', { token: viewer.token });
  t.equal(denied.status, 403, 'the viewer may not delete');
  t.match(JSON.parse(denied.body).message, /User "victor" cannot delete resource "configmaps"/);
  const impersonating = await dashboardRequest(dash.url, 'GET', '/api/v1/namespaces/default/secrets', { token: viewer.token, headers: { 'impersonate-user': 'erin' } });
  t.equal(impersonating.status, 403, 'impersonation is the caller\'s too, and RBAC refuses it');
  t.ok(await srv.client.get(Resources.configmaps, 'default', 'web'), 'still there');

  // A watch streams: the event arrives while the response is still open.
  const rv = JSON.parse(listed.body).metadata.resourceVersion as string;
  const first = await new Promise<{ line: string; open: boolean }>((resolve, reject) => {
    const req = https.get(new URL(`/api/v1/namespaces/default/configmaps?watch=true&resourceVersion=${rv}`, dash.url), { rejectUnauthorized: false, headers: { authorization: `Bearer ${editor.token}` } }, (res) => {
      let buf = '';
      let ended = false;
      res.on('end', () => (ended = true));
      // A stream that ends or breaks, or an answer that is not one, fails the test with what came rather than leaving it waiting.
      res.on('close', () => reject(new Error(`the watch closed (status ${res.statusCode}) before the event came: ${buf}`)));
      res.on('data', (c: Buffer) => {
        buf += c.toString();
        // Other configmaps may come and go meanwhile (the controllers publish kube-root-ca.crt): wait for ours.
        const line = buf.split('\n').slice(0, -1).find((l) => JSON.parse(l).object?.metadata?.name === 'streamed');
        if (line) {
          resolve({ line, open: !ended });
          req.destroy();
        }
      });
      srv.client.create(Resources.configmaps, 'default', { apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: 'streamed', namespace: 'default' } } as KubeObject).catch(reject);
    });
    req.on('error', reject);
  });
  t.match(JSON.parse(first.line), { type: 'ADDED', object: { metadata: { name: 'streamed' } } }, 'the watch event streamed through');
  t.ok(first.open, 'before the watch ended');

  const deleted = await dashboardRequest(dash.url, 'DELETE', '/api/v1/namespaces/default/configmaps/web', { token: editor.token });
  t.equal(deleted.status, 200, 'the editor deletes');
});

t.test('kubets dashboard names a bad flag in one line', async (t) => {
  for (const [flag, want] of [
    [['--secure-port', 'https'], /^kubets dashboard: --secure-port "https": want a port number$/],
    [['--apiserver-host', 'http://10.0.0.1:6443'], /^kubets dashboard: --apiserver-host "http:\/\/10\.0\.0\.1:6443": want https:\/\/HOST:PORT$/],
    [['--bind-address', 'everywhere'], /^kubets dashboard: --bind-address "everywhere": want an IP address$/],
    [['--no-such-flag'], /^kubets dashboard: .*no-such-flag/],
  ] as const) {
    const r = await execa(process.execPath, [cliPath, 'dashboard', ...flag], { reject: false, timeout: 30_000 });
    t.not(r.exitCode, 0, `${flag.join(' ')}: fails`);
    t.match(String(r.stderr).split('\n')[0], want, `${flag.join(' ')}: the first line names it`);
  }
});
