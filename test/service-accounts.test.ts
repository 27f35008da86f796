// Service accounts as kube-apiserver and kube-controller-manager provide them: a `default` ServiceAccount and the
// kube-root-ca.crt ConfigMap in every new namespace; `kubectl create token` (TokenRequest) whose token is a user RBAC
// governs; tokens bound to a pod that die with it; pods refused for a missing service account; the projected
// kube-api-access volume every pod gets unless it opts out; and the issuer's OIDC documents, whose key verifies the
// tokens.
import { createPublicKey, verify, type JsonWebKey } from 'node:crypto';
import t from 'tap';
import { stringify } from 'yaml';
import { Resources } from '../api/resources.js';
import type { KubeObject, Pod } from '../api/types.js';
import { caPem, clientFor, kubeconfigFor, kubectlWith, type Kubectl } from './identities.js';
import { startServer, type TestServer } from './server-fixture.js';
import { until } from './until.js';

let srv: TestServer;
let admin: Kubectl;
t.before(async () => {
  srv = await startServer();
  admin = kubectlWith(srv);
  await admin.ok(['create', 'namespace', 'sa1']);
  await admin.ok(['create', 'serviceaccount', 'robot', '-n', 'sa1']);
});
t.teardown(() => srv?.destroy());

const claimsOf = (jwt: string) => JSON.parse(Buffer.from(jwt.split('.')[1], 'base64url').toString()) as { exp: number; iat: number; sub: string; aud: string[]; 'kubernetes.io': { pod?: { name: string } } };
const pod = (name: string, spec: Record<string, unknown> = {}) => stringify({ apiVersion: 'v1', kind: 'Pod', metadata: { name, namespace: 'sa1' }, spec: { containers: [{ name: 'c', image: 'busybox:1.35' }], ...spec } });

t.test('a new namespace gets the default service account and kube-root-ca.crt', async (t) => {
  await admin.ok(['create', 'namespace', 'fresh']);
  await until('default service account', async () => (await admin(['get', 'serviceaccount', 'default', '-n', 'fresh'])).exitCode === 0);
  const cm = await until('kube-root-ca.crt', async () => {
    const r = await admin(['get', 'configmap', 'kube-root-ca.crt', '-n', 'fresh', '-o', 'json']);
    return r.exitCode === 0 && JSON.parse(r.stdout);
  });
  t.equal(cm.data['ca.crt'], caPem(srv), 'the cluster CA');
  t.same(Object.keys(cm.data), ['ca.crt']);
  // Deleted, they come back.
  await admin.ok(['delete', 'configmap', 'kube-root-ca.crt', '-n', 'fresh']);
  await admin.ok(['delete', 'serviceaccount', 'default', '-n', 'fresh']);
  await until('default service account again', async () => (await admin(['get', 'serviceaccount', 'default', '-n', 'fresh'])).exitCode === 0);
  await until('kube-root-ca.crt again', async () => (await admin(['get', 'configmap', 'kube-root-ca.crt', '-n', 'fresh'])).exitCode === 0);
});

t.test('kubectl create token: a token that lists pods only once a Role allows it', async (t) => {
  const token = await admin.ok(['create', 'token', 'robot', '-n', 'sa1', '--duration', '10m']);
  const claims = claimsOf(token);
  t.equal(claims.exp - claims.iat, 600, '--duration 10m');
  t.equal(claims.sub, 'system:serviceaccount:sa1:robot');
  t.same(claims.aud, ['https://kubernetes.default.svc.cluster.local'], 'the API server is the audience');
  const robot = kubectlWith(srv, kubeconfigFor(srv, 'robot', { token }));
  t.equal(await robot.fails(['get', 'pods', '-n', 'sa1']), 'Error from server (Forbidden): pods is forbidden: User "system:serviceaccount:sa1:robot" cannot list resource "pods" in API group "" in the namespace "sa1"');
  t.equal(await robot.ok(['auth', 'whoami', '-o', 'jsonpath={.status.userInfo.groups}']), '["system:serviceaccounts","system:serviceaccounts:sa1","system:authenticated"]');

  await admin.ok(['create', 'role', 'pod-reader', '-n', 'sa1', '--verb=get,list', '--resource=pods']);
  await admin.ok(['create', 'rolebinding', 'robot-reads', '-n', 'sa1', '--role=pod-reader', '--serviceaccount=sa1:robot']);
  const listed = await until('the token lists pods', async () => {
    const r = await robot(['get', 'pods', '-n', 'sa1']);
    return r.exitCode === 0 && r;
  });
  t.equal(listed.stderr, 'No resources found in sa1 namespace.');
  t.equal(await robot.fails(['get', 'pods', '-n', 'default']), 'Error from server (Forbidden): pods is forbidden: User "system:serviceaccount:sa1:robot" cannot list resource "pods" in API group "" in the namespace "default"', 'in its namespace only');

  t.equal(await admin.fails(['create', 'token', 'robot', '-n', 'sa1', '--duration', '1m']), 'error: failed to create token: TokenRequest.authentication.k8s.io "robot" is invalid: spec.expirationSeconds: Invalid value: 60: may not specify a duration less than 10 minutes');
  t.equal(await admin.fails(['create', 'token', 'nobody', '-n', 'sa1']), 'error: failed to create token: serviceaccounts "nobody" not found');
  // A deleted service account takes its tokens with it.
  await admin.ok(['create', 'serviceaccount', 'temp', '-n', 'sa1']);
  const temp = clientFor(srv, { token: await admin.ok(['create', 'token', 'temp', '-n', 'sa1']) });
  t.teardown(() => temp.close());
  t.equal((await temp.raw('GET', '/api')).status, 200);
  await admin.ok(['delete', 'serviceaccount', 'temp', '-n', 'sa1']);
  t.equal((await temp.raw('GET', '/api')).status, 401);
});

t.test('a token bound to a pod stops working once the pod is deleted', async (t) => {
  await admin.ok(['apply', '-f', '-'], pod('p', { serviceAccountName: 'robot' }));
  const token = await admin.ok(['create', 'token', 'robot', '-n', 'sa1', '--bound-object-kind', 'Pod', '--bound-object-name', 'p']);
  t.equal(claimsOf(token)['kubernetes.io'].pod?.name, 'p');
  const bound = kubectlWith(srv, kubeconfigFor(srv, 'bound', { token }));
  const who = JSON.parse(await bound.ok(['auth', 'whoami', '-o', 'json'])).status.userInfo;
  t.equal(who.username, 'system:serviceaccount:sa1:robot');
  t.same(who.extra['authentication.kubernetes.io/pod-name'], ['p']);
  t.equal((await bound(['get', 'pods', '-n', 'sa1'])).exitCode, 0);

  await admin.ok(['delete', 'pod', 'p', '-n', 'sa1']);
  t.match(await bound.fails(['get', 'pods', '-n', 'sa1']), /error: You must be logged in to the server \((Unauthorized|the server has asked for the client to provide credentials)\)$/);
  // A new pod of the same name is another pod: the token stays dead.
  await admin.ok(['apply', '-f', '-'], pod('p', { serviceAccountName: 'robot' }));
  const c = clientFor(srv, { token });
  t.equal((await c.raw('GET', '/api/v1/namespaces/sa1/pods')).status, 401);
  c.close();
  t.equal(await admin.fails(['create', 'token', 'robot', '-n', 'sa1', '--bound-object-kind', 'Pod', '--bound-object-name', 'gone']), 'error: failed to create token: pods "gone" not found');
  t.equal(await admin.fails(['create', 'token', 'default', '-n', 'sa1', '--bound-object-kind', 'Pod', '--bound-object-name', 'p']), 'error: failed to create token: cannot bind token for serviceaccount "default" to pod running with different serviceaccount name.');
});

t.test('a pod naming a service account that does not exist is refused', async (t) => {
  t.equal(await admin.fails(['apply', '-f', '-'], pod('orphan', { serviceAccountName: 'missing' })), 'Error from server (Forbidden): error when creating "STDIN": pods "orphan" is forbidden: error looking up service account sa1/missing: serviceaccount "missing" not found');
  t.equal((await admin(['get', 'pod', 'orphan', '-n', 'sa1'])).exitCode, 1, 'nothing was stored');
});

const MOUNT = '/var/run/secrets/kubernetes.io/serviceaccount';

t.test('every pod gets the projected kube-api-access volume, unless it or its service account opts out', async (t) => {
  await admin.ok(['apply', '-f', '-'], pod('mounted', { initContainers: [{ name: 'init', image: 'busybox:1.35' }], containers: [{ name: 'a', image: 'busybox:1.35' }, { name: 'b', image: 'busybox:1.35' }] }));
  const p = await srv.client.get<Pod>(Resources.pods, 'sa1', 'mounted');
  const spec = p.spec as Pod['spec'] & { serviceAccountName: string; volumes: { name: string; projected?: unknown }[]; initContainers: { volumeMounts?: unknown[] }[] };
  t.equal(spec.serviceAccountName, 'default', 'the default service account');
  t.equal(spec.volumes.length, 1);
  const volume = spec.volumes[0];
  t.match(volume.name, /^kube-api-access-[a-z0-9]{5}$/);
  t.same(volume.projected, {
    defaultMode: 420,
    sources: [
      { serviceAccountToken: { expirationSeconds: 3607, path: 'token' } },
      { configMap: { name: 'kube-root-ca.crt', items: [{ key: 'ca.crt', path: 'ca.crt' }] } },
      { downwardAPI: { items: [{ path: 'namespace', fieldRef: { apiVersion: 'v1', fieldPath: 'metadata.namespace' } }] } },
    ],
  });
  for (const c of [...spec.initContainers, ...spec.containers] as { name: string; volumeMounts?: unknown[] }[]) t.same(c.volumeMounts, [{ name: volume.name, readOnly: true, mountPath: MOUNT }], `container ${c.name}`);

  await admin.ok(['apply', '-f', '-'], pod('opted-out', { automountServiceAccountToken: false }));
  const out = (await srv.client.get<Pod>(Resources.pods, 'sa1', 'opted-out')).spec as Pod['spec'] & { volumes?: unknown[] };
  t.same(out.volumes ?? [], [], 'automountServiceAccountToken: false on the pod');
  t.same(out.containers[0].volumeMounts ?? [], []);

  await admin.ok(['apply', '-f', '-'], stringify({ apiVersion: 'v1', kind: 'ServiceAccount', metadata: { name: 'quiet', namespace: 'sa1' }, automountServiceAccountToken: false }));
  await admin.ok(['apply', '-f', '-'], pod('quiet', { serviceAccountName: 'quiet' }));
  t.same(((await srv.client.get<Pod>(Resources.pods, 'sa1', 'quiet')).spec as { volumes?: unknown[] }).volumes ?? [], [], 'automountServiceAccountToken: false on the service account');
  await admin.ok(['apply', '-f', '-'], pod('loud', { serviceAccountName: 'quiet', automountServiceAccountToken: true }));
  t.equal(((await srv.client.get<Pod>(Resources.pods, 'sa1', 'loud')).spec as { volumes?: unknown[] }).volumes?.length, 1, 'the pod\'s choice wins');

  // A container that mounts something of its own at the path keeps it.
  const own = { volumes: [{ name: 'mine', emptyDir: {} }], containers: [{ name: 'c', image: 'busybox:1.35', volumeMounts: [{ name: 'mine', mountPath: MOUNT }] }] };
  await admin.ok(['apply', '-f', '-'], pod('own-mount', own));
  t.same(((await srv.client.get<Pod>(Resources.pods, 'sa1', 'own-mount')).spec as { volumes?: { name: string }[] }).volumes?.map((v) => v.name), ['mine']);
});

t.test('the OIDC discovery documents answer service accounts, and their key verifies the tokens', async (t) => {
  const token = await admin.ok(['create', 'token', 'robot', '-n', 'sa1']);
  const sa = clientFor(srv, { token });
  t.teardown(() => sa.close());
  const config = await sa.raw('GET', '/.well-known/openid-configuration');
  t.equal(config.status, 200);
  t.same(JSON.parse(config.body.toString()), {
    issuer: 'https://kubernetes.default.svc.cluster.local',
    jwks_uri: 'https://kubernetes.default.svc.cluster.local/openid/v1/jwks',
    response_types_supported: ['id_token'],
    subject_types_supported: ['public'],
    id_token_signing_alg_values_supported: ['RS256'],
  });
  const jwksRes = await sa.raw('GET', '/openid/v1/jwks');
  t.equal(jwksRes.status, 200);
  t.equal(jwksRes.headers['content-type'], 'application/jwk-set+json');
  const jwks = JSON.parse(jwksRes.body.toString()) as { keys: (JsonWebKey & { kid: string; alg: string; use: string })[] };
  t.equal(jwks.keys.length, 1);
  t.match(jwks.keys[0], { kty: 'RSA', alg: 'RS256', use: 'sig', e: 'AQAB' });

  // The token's signature, checked with nothing but node:crypto and the published key.
  const [header, payload, signature] = token.split('.');
  const { kid, alg } = JSON.parse(Buffer.from(header, 'base64url').toString());
  t.equal(alg, 'RS256');
  const key = jwks.keys.find((k) => k.kid === kid);
  t.ok(key, 'the token names a published key');
  const publicKey = createPublicKey({ key: key!, format: 'jwk' });
  t.ok(verify('sha256', Buffer.from(`${header}.${payload}`), publicKey, Buffer.from(signature, 'base64url')), 'the signature verifies');
  t.notOk(verify('sha256', Buffer.from(`${header}.${payload}x`), publicKey, Buffer.from(signature, 'base64url')), 'and only over what was signed');

  // Granted to service accounts (system:service-account-issuer-discovery); anonymous requests are 401, other users 403.
  const anonymous = clientFor(srv);
  t.equal((await anonymous.raw('GET', '/openid/v1/jwks')).status, 401);
  anonymous.close();
  const reader = kubectlWith(srv, srv.kubeconfig);
  t.equal(await reader.fails(['get', '--raw', '/openid/v1/jwks', '--as', 'someone']), 'Error from server (Forbidden): forbidden: User "someone" cannot get path "/openid/v1/jwks"');
  t.same(JSON.parse(await reader.ok(['get', '--raw', '/openid/v1/jwks', '--as', 'system:serviceaccount:sa1:robot'])), jwks);
});

t.test('the projected token a pod would get is a token bound to that pod', async (t) => {
  // What a kubelet asks for the pod's volume (TokenRequest bound to the pod, the volume's lifetime), as the admin here.
  const p = await srv.client.get<Pod>(Resources.pods, 'sa1', 'mounted');
  const req = { apiVersion: 'authentication.k8s.io/v1', kind: 'TokenRequest', spec: { expirationSeconds: 3607, boundObjectRef: { kind: 'Pod', apiVersion: 'v1', name: 'mounted', uid: p.metadata.uid } } };
  const res = await srv.client.createSubresource<KubeObject & { status: { token: string; expirationTimestamp: string } }>(Resources.serviceaccounts, 'sa1', 'default', 'token', req);
  const claims = claimsOf(res.status.token);
  t.equal(claims.exp - claims.iat, 3607);
  t.equal(claims['kubernetes.io'].pod?.name, 'mounted');
  t.equal(Date.parse(res.status.expirationTimestamp) / 1000, claims.exp);
  const stale = { ...req, spec: { ...req.spec, boundObjectRef: { ...req.spec.boundObjectRef, uid: 'another-uid' } } };
  const refused = await srv.client.createSubresource(Resources.serviceaccounts, 'sa1', 'default', 'token', stale).catch((e) => e);
  t.match(refused, { code: 409, message: /the UID in the bound object reference \(another-uid\) does not match the UID in record/ });
});
