// Who may talk to the API server, as kube-apiserver's authenticators decide: without credentials only the health
// checks, the version and kubeadm's cluster-info (as system:anonymous), everything else 401; a bearer token nobody
// knows, or a client certificate from another CA, is 401 even where anonymous requests pass; --token-auth-file users
// are who `kubectl auth whoami` says; a TokenReview answers for good and bad tokens; a service-account JWT that was
// tampered with is refused.
import fs from 'node:fs';
import path from 'node:path';
import t from 'tap';
import { createCA, issueCert } from '../api/pki.js';
import { clientFor, kubeconfigFor, kubectlWith, tokenFileDir, type Kubectl, type TokenUser } from './identities.js';
import { startServer, type TestServer } from './server-fixture.js';

const alice: TokenUser = { token: 'alice-token-0123456789', name: 'alice', uid: '1001', groups: ['devs', 'qa'] };

let srv: TestServer;
let admin: Kubectl;
t.before(async () => {
  const { dir, args } = tokenFileDir([alice]);
  srv = await startServer({ dir, args: [...args, '--disable-controllers'] });
  admin = kubectlWith(srv);
});
t.teardown(() => srv?.destroy());

/** kube-apiserver's 401 body, word for word. */
const UNAUTHORIZED = { kind: 'Status', apiVersion: 'v1', metadata: {}, status: 'Failure', message: 'Unauthorized', reason: 'Unauthorized', code: 401 };

t.test('anonymous requests reach the health checks, the version and cluster-info only', async (t) => {
  const anonymous = clientFor(srv);
  t.teardown(() => anonymous.close());
  for (const p of ['/api', '/apis', '/api/v1/pods', '/api/v1/namespaces/default/secrets', '/api/v1/namespaces/kube-public/configmaps', '/openapi/v3', '/metrics']) {
    const r = await anonymous.raw('GET', p);
    t.equal(r.status, 401, `GET ${p}`);
    t.same(JSON.parse(r.body.toString()), UNAUTHORIZED, `GET ${p}: the Status`);
  }
  for (const p of ['/healthz', '/livez', '/readyz']) {
    const r = await anonymous.raw('GET', p);
    t.equal(r.status, 200, `GET ${p}`);
    t.equal(r.body.toString(), 'ok');
  }
  const version = await anonymous.raw('GET', '/version');
  t.equal(version.status, 200);
  t.match(JSON.parse(version.body.toString()), { major: '1', minor: '32' });
  const info = await anonymous.raw('GET', '/api/v1/namespaces/kube-public/configmaps/cluster-info');
  t.equal(info.status, 200, 'kubeadm discovery reads cluster-info before it has credentials');
  t.match(JSON.parse(info.body.toString()), { kind: 'ConfigMap', metadata: { name: 'cluster-info', namespace: 'kube-public' }, data: { kubeconfig: /certificate-authority-data/ } });
  // Anonymous may read, not write, even where it may read.
  t.equal((await anonymous.raw('POST', '/api/v1/namespaces/kube-public/configmaps/cluster-info', '{}')).status, 401);
  t.equal((await anonymous.raw('DELETE', '/api/v1/namespaces/kube-public/configmaps/cluster-info')).status, 401);
});

t.test('a bearer token nobody knows is 401 everywhere, even on /healthz', async (t) => {
  for (const token of ['not-a-token', 'abcdef.0123456789abcdef', 'a.b.c', `${alice.token}x`]) {
    const c = clientFor(srv, { token });
    for (const p of ['/healthz', '/version', '/api/v1/namespaces/kube-public/configmaps/cluster-info', '/api/v1/pods']) {
      const r = await c.raw('GET', p);
      t.equal(r.status, 401, `${token}: GET ${p}`);
      t.same(JSON.parse(r.body.toString()), UNAUTHORIZED);
    }
    c.close();
  }
  const wrong = kubectlWith(srv, kubeconfigFor(srv, 'wrong', { token: 'not-a-token' }));
  // client-go's words for a 401 in discovery, which is what kubectl meets first.
  t.match(await wrong.fails(['get', 'pods']), /\nerror: You must be logged in to the server \(the server has asked for the client to provide credentials\)$/);
});

t.test('a client certificate from another CA is 401 everywhere; one from the cluster CA names its user', async (t) => {
  const other = await createCA('impostor-ca');
  const forged = await issueCert(other, { commonName: 'kubernetes-admin', organizations: ['system:masters'], client: true });
  const c = clientFor(srv, forged);
  for (const p of ['/healthz', '/version', '/api', '/api/v1/secrets']) {
    const r = await c.raw('GET', p);
    t.equal(r.status, 401, `GET ${p}`);
    t.same(JSON.parse(r.body.toString()), UNAUTHORIZED);
  }
  c.close();
  const pki = path.join(srv.dir, 'pki');
  const ca = { certPem: fs.readFileSync(path.join(pki, 'ca.crt'), 'utf8'), keyPem: fs.readFileSync(path.join(pki, 'ca.key'), 'utf8') };
  const real = await issueCert(ca, { commonName: 'carol', organizations: ['ops', 'qa'], client: true });
  t.equal(await kubectlWith(srv, kubeconfigFor(srv, 'carol', real)).ok(['auth', 'whoami']), 'ATTRIBUTE   VALUE\nUsername    carol\nGroups      [ops qa system:authenticated]', 'CN is the user, O the groups');
  t.match(await kubectlWith(srv, kubeconfigFor(srv, 'impostor', forged)).fails(['get', 'pods']), /error: You must be logged in to the server \(the server has asked for the client to provide credentials\)$/);
});

t.test('a --token-auth-file user is who kubectl auth whoami says, and is no one special', async (t) => {
  const kc = kubectlWith(srv, kubeconfigFor(srv, 'alice', { token: alice.token }));
  t.equal(await kc.ok(['auth', 'whoami']), 'ATTRIBUTE   VALUE\nUsername    alice\nUID         1001\nGroups      [devs qa system:authenticated]');
  t.same(JSON.parse(await kc.ok(['auth', 'whoami', '-o', 'json'])).status.userInfo, { username: 'alice', uid: '1001', groups: ['devs', 'qa', 'system:authenticated'] });
  // Authenticated, and granted only what system:authenticated is (discovery, health, self reviews).
  t.equal(await kc.ok(['get', '--raw', '/healthz']), 'ok');
  t.match(await kc.ok(['api-versions']), /^v1$/m);
  t.equal(await kc.fails(['get', 'pods']), 'Error from server (Forbidden): pods is forbidden: User "alice" cannot list resource "pods" in API group "" in the namespace "default"');
  // The admin's client certificate names kubernetes-admin in system:masters.
  t.equal(await admin.ok(['auth', 'whoami']), 'ATTRIBUTE   VALUE\nUsername    kubernetes-admin\nGroups      [system:masters system:authenticated]');
});

const tokenReview = (token: string) => JSON.stringify({ apiVersion: 'authentication.k8s.io/v1', kind: 'TokenReview', spec: { token } });

t.test('TokenReview: a good token names its user, a bad one is not authenticated', async (t) => {
  const good = JSON.parse(await admin.ok(['create', '-f', '-', '-o', 'json'], tokenReview(alice.token)));
  t.match(good, { kind: 'TokenReview', apiVersion: 'authentication.k8s.io/v1', spec: { token: alice.token } });
  t.equal(good.status.authenticated, true);
  t.same(good.status.user, { username: 'alice', uid: '1001', groups: ['devs', 'qa', 'system:authenticated'] });

  const bad = JSON.parse(await admin.ok(['create', '-f', '-', '-o', 'json'], tokenReview('not-a-token')));
  t.equal(bad.status.authenticated, false);
  t.same(bad.status.user, {});

  // Nothing is stored: a review is an answer, not an object.
  t.equal(await admin.fails(['get', 'tokenreviews']), 'Error from server (MethodNotAllowed): the server does not allow this method on the requested resource');

  // Only those granted tokenreviews/create may ask (system:auth-delegator); alice may not. (--validate=false: a kind
  // without a PATCH path sends kubectl 1.32's validation to list CRDs, which alice may not either — as against
  // kube-apiserver; the server's own answer is what this checks.)
  const kc = kubectlWith(srv, kubeconfigFor(srv, 'alice', { token: alice.token }));
  t.equal(await kc.fails(['create', '--validate=false', '-f', '-'], tokenReview('x')), 'Error from server (Forbidden): error when creating "STDIN": tokenreviews.authentication.k8s.io is forbidden: User "alice" cannot create resource "tokenreviews" in API group "authentication.k8s.io" at the cluster scope');
});

/** A JWT's three parts with the claims (middle part) replaced. */
function withClaims(jwt: string, change: (claims: Record<string, unknown>) => void): string {
  const [h, p, s] = jwt.split('.');
  const claims = JSON.parse(Buffer.from(p, 'base64url').toString());
  change(claims);
  return [h, Buffer.from(JSON.stringify(claims)).toString('base64url'), s].join('.');
}

t.test('a service-account token works until it is tampered with', async (t) => {
  await admin.ok(['create', 'serviceaccount', 'robot']);
  const token = (await admin.ok(['create', 'token', 'robot', '--duration', '10m'])).trim();
  const good = clientFor(srv, { token });
  t.teardown(() => good.close());
  const who = await good.request<{ status: { userInfo: { username: string } } }>('POST', '/apis/authentication.k8s.io/v1/selfsubjectreviews', { apiVersion: 'authentication.k8s.io/v1', kind: 'SelfSubjectReview', metadata: {} });
  t.equal(who.status.userInfo.username, 'system:serviceaccount:default:robot');

  const [header, payload, signature] = token.split('.');
  const flipped = Buffer.from(signature, 'base64url');
  flipped[0] ^= 1;
  const tampered = {
    'another namespace in the claims': withClaims(token, (c) => {
      c.sub = 'system:serviceaccount:kube-system:robot';
      (c['kubernetes.io'] as { namespace: string }).namespace = 'kube-system';
    }),
    'a later expiry in the claims': withClaims(token, (c) => void (c.exp = (c.exp as number) + 3600)),
    'a flipped bit in the signature': [header, payload, flipped.toString('base64url')].join('.'),
    'no signature': `${header}.${payload}.`,
    'alg none': [Buffer.from(JSON.stringify({ alg: 'none' })).toString('base64url'), payload, ''].join('.'),
  };
  for (const [what, jwt] of Object.entries(tampered)) {
    const c = clientFor(srv, { token: jwt });
    t.equal((await c.raw('GET', '/api/v1/namespaces/default/pods')).status, 401, what);
    t.equal((await c.raw('GET', '/healthz')).status, 401, `${what}: even /healthz`);
    c.close();
    const review = JSON.parse(await admin.ok(['create', '-f', '-', '-o', 'json'], tokenReview(jwt)));
    t.equal(review.status.authenticated, false, `${what}: TokenReview`);
  }
});
