// RBAC as kubectl meets it on kube-apiserver: Roles and ClusterRoles bound in one namespace or cluster-wide; the
// bootstrap view/edit/admin roles and their aggregation; 403s in kube-apiserver's words; escalation prevention (no
// granting what you do not hold, unless you may `bind` or `escalate`); `kubectl auth can-i [--list]` and `kubectl
// auth reconcile`; SubjectAccessReview; impersonation only with the `impersonate` verb. kubectl acts as other users
// through the admin's impersonation (--as) and as users of a token file.
import t from 'tap';
import { stringify } from 'yaml';
import { kubeconfigFor, kubectlWith, tokenFileDir, type Kubectl, type TokenUser } from './identities.js';
import { startServer, type TestServer } from './server-fixture.js';
import { until } from './until.js';

const alice: TokenUser = { token: 'alice-token-0123456789', name: 'alice', uid: '1001', groups: ['devs'] };
const dev: TokenUser = { token: 'dev-token-0123456789', name: 'dev', uid: '1002', groups: ['devs', 'qa'] };

let srv: TestServer;
let admin: Kubectl;
t.before(async () => {
  const { dir, args } = tokenFileDir([alice, dev]);
  srv = await startServer({ dir, args });
  admin = kubectlWith(srv);
  await admin.ok(['create', 'namespace', 'ns1']);
  await admin.ok(['create', 'namespace', 'ns2']);
});
t.teardown(() => srv?.destroy());

/** `kubectl auth can-i` as the admin impersonating someone (or as the admin): "yes" or "no". */
async function canI(args: string[]): Promise<string> {
  return (await admin(['auth', 'can-i', ...args])).stdout;
}

/** Bindings reach the authorizer through its caches: wait until kubectl's answer is the one wanted. */
const settle = (args: string[], want: 'yes' | 'no') => until(`can-i ${args.join(' ')} = ${want}`, async () => (await canI(args)) === want, 10_000, 100);

t.test('a Role and RoleBinding allow in their namespace only', async (t) => {
  await admin.ok(['create', 'role', 'pod-reader', '-n', 'ns1', '--verb=get,list', '--resource=pods']);
  await admin.ok(['create', 'rolebinding', 'readers', '-n', 'ns1', '--role=pod-reader', '--user=reader']);
  await settle(['list', 'pods', '-n', 'ns1', '--as', 'reader'], 'yes');
  const r = await admin(['get', 'pods', '-n', 'ns1', '--as', 'reader']);
  t.equal(r.exitCode, 0);
  t.equal(r.stderr, 'No resources found in ns1 namespace.');
  t.equal(await admin.fails(['get', 'pod', 'nope', '-n', 'ns1', '--as', 'reader']), 'Error from server (NotFound): pods "nope" not found', 'allowed, so the answer is the truth');
  t.equal(await admin.fails(['get', 'pods', '-n', 'ns2', '--as', 'reader']), 'Error from server (Forbidden): pods is forbidden: User "reader" cannot list resource "pods" in API group "" in the namespace "ns2"');
  t.equal(await admin.fails(['get', 'pods', '-A', '--as', 'reader']), 'Error from server (Forbidden): pods is forbidden: User "reader" cannot list resource "pods" in API group "" at the cluster scope');
  t.equal(await admin.fails(['delete', 'pod', 'x', '-n', 'ns1', '--as', 'reader']), 'Error from server (Forbidden): pods "x" is forbidden: User "reader" cannot delete resource "pods" in API group "" in the namespace "ns1"');
  t.equal(await admin.fails(['get', '--raw', '/api/v1/namespaces/ns1/pods/x/log', '--as', 'reader']), 'Error from server (Forbidden): pods "x" is forbidden: User "reader" cannot get resource "pods/log" in API group "" in the namespace "ns1"', 'a subresource is not its parent');
  t.equal(await admin.fails(['get', 'nodes', '--as', 'reader']), 'Error from server (Forbidden): nodes is forbidden: User "reader" cannot list resource "nodes" in API group "" at the cluster scope');
  t.equal(await admin.fails(['get', '--raw', '/metrics', '--as', 'reader']), 'Error from server (Forbidden): forbidden: User "reader" cannot get path "/metrics"');
});

t.test('a ClusterRole bound by a RoleBinding grants in that namespace; by a ClusterRoleBinding everywhere', async (t) => {
  await admin.ok(['create', 'clusterrole', 'secret-reader', '--verb=get,list', '--resource=secrets']);
  await admin.ok(['create', 'rolebinding', 'bob-secrets', '-n', 'ns1', '--clusterrole=secret-reader', '--user=bob']);
  await admin.ok(['create', 'clusterrolebinding', 'carol-secrets', '--clusterrole=secret-reader', '--user=carol']);
  await settle(['list', 'secrets', '-n', 'ns1', '--as', 'bob'], 'yes');
  await settle(['list', 'secrets', '-A', '--as', 'carol'], 'yes');
  t.equal((await admin(['get', 'secrets', '-n', 'ns1', '--as', 'bob'])).exitCode, 0);
  t.equal(await admin.fails(['get', 'secrets', '-n', 'ns2', '--as', 'bob']), 'Error from server (Forbidden): secrets is forbidden: User "bob" cannot list resource "secrets" in API group "" in the namespace "ns2"');
  t.equal(await admin.fails(['get', 'secrets', '-A', '--as', 'bob']), 'Error from server (Forbidden): secrets is forbidden: User "bob" cannot list resource "secrets" in API group "" at the cluster scope');
  for (const ns of ['ns1', 'ns2', 'kube-system']) t.equal((await admin(['get', 'secrets', '-n', ns, '--as', 'carol'])).exitCode, 0, `carol reads secrets in ${ns}`);
  t.equal((await admin(['get', 'secrets', '-A', '--as', 'carol'])).exitCode, 0);
  // A group subject: anyone in the group holds it.
  await admin.ok(['create', 'rolebinding', 'devs-secrets', '-n', 'ns2', '--clusterrole=secret-reader', '--group=devs']);
  await settle(['list', 'secrets', '-n', 'ns2', '--as', 'someone', '--as-group', 'devs'], 'yes');
  t.equal(await canI(['list', 'secrets', '-n', 'ns2', '--as', 'someone', '--as-group', 'ops']), 'no');
});

t.test('view, edit and admin behave as kube\'s', async (t) => {
  await admin.ok(['create', 'rolebinding', 'v', '-n', 'ns1', '--clusterrole=view', '--user=viewer']);
  await admin.ok(['create', 'rolebinding', 'e', '-n', 'ns1', '--clusterrole=edit', '--user=editor']);
  await admin.ok(['create', 'rolebinding', 'a', '-n', 'ns1', '--clusterrole=admin', '--user=owner']);
  for (const who of ['viewer', 'editor', 'owner']) await settle(['list', 'pods', '-n', 'ns1', '--as', who], 'yes');

  // view reads, but not secrets, and writes nothing.
  t.equal((await admin(['get', 'pods,services,configmaps,deployments', '-n', 'ns1', '--as', 'viewer'])).exitCode, 0);
  t.equal(await admin.fails(['get', 'secrets', '-n', 'ns1', '--as', 'viewer']), 'Error from server (Forbidden): secrets is forbidden: User "viewer" cannot list resource "secrets" in API group "" in the namespace "ns1"');
  t.equal(await admin.fails(['create', 'configmap', 'c', '-n', 'ns1', '--as', 'viewer']), 'error: failed to create configmap: configmaps is forbidden: User "viewer" cannot create resource "configmaps" in API group "" in the namespace "ns1"');

  // edit writes workloads and reads secrets, but may not grant.
  t.equal(await admin.ok(['create', 'configmap', 'c', '-n', 'ns1', '--from-literal=k=v', '--as', 'editor']), 'configmap/c created');
  t.equal((await admin(['get', 'secrets', '-n', 'ns1', '--as', 'editor'])).exitCode, 0);
  t.equal(await admin.fails(['create', 'rolebinding', 'x', '-n', 'ns1', '--clusterrole=view', '--user=someone', '--as', 'editor']), 'error: failed to create rolebinding: rolebindings.rbac.authorization.k8s.io is forbidden: User "editor" cannot create resource "rolebindings" in API group "rbac.authorization.k8s.io" in the namespace "ns1"');
  t.equal(await canI(['create', 'roles', '-n', 'ns1', '--as', 'editor']), 'no');

  // admin grants within the namespace what it holds itself, and nothing beyond.
  t.equal(await admin.ok(['create', 'rolebinding', 'x', '-n', 'ns1', '--clusterrole=view', '--user=someone', '--as', 'owner']), 'rolebinding.rbac.authorization.k8s.io/x created');
  const stderr = await admin.fails(['create', 'rolebinding', 'y', '-n', 'ns1', '--clusterrole=cluster-admin', '--user=someone', '--as', 'owner']);
  t.equal(stderr, 'error: failed to create rolebinding: rolebindings.rbac.authorization.k8s.io "y" is forbidden: user "owner" (groups=["system:authenticated"]) is attempting to grant RBAC permissions not currently held:\n{APIGroups:["*"], Resources:["*"], Verbs:["*"]}\n{NonResourceURLs:["*"], Verbs:["*"]}');
  t.equal(await canI(['create', 'rolebindings', '-n', 'ns2', '--as', 'owner']), 'no', 'admin of ns1 only');
});

t.test('a ClusterRole labelled aggregate-to-view joins view (and so edit and admin), and leaves it again', async (t) => {
  t.equal(await admin.fails(['get', 'leases', '-n', 'ns2', '--as', 'lease-viewer']), 'Error from server (Forbidden): leases.coordination.k8s.io is forbidden: User "lease-viewer" cannot list resource "leases" in API group "coordination.k8s.io" in the namespace "ns2"');
  await admin.ok(['create', 'rolebinding', 'lv', '-n', 'ns2', '--clusterrole=view', '--user=lease-viewer']);
  await settle(['list', 'pods', '-n', 'ns2', '--as', 'lease-viewer'], 'yes');
  t.equal(await canI(['list', 'leases.coordination.k8s.io', '-n', 'ns2', '--as', 'lease-viewer']), 'no', 'view does not read leases');

  const role = { apiVersion: 'rbac.authorization.k8s.io/v1', kind: 'ClusterRole', metadata: { name: 'leases-view', labels: { 'rbac.authorization.k8s.io/aggregate-to-view': 'true' } }, rules: [{ apiGroups: ['coordination.k8s.io'], resources: ['leases'], verbs: ['get', 'list', 'watch'] }] };
  t.equal(await admin.ok(['apply', '-f', '-'], stringify(role)), 'clusterrole.rbac.authorization.k8s.io/leases-view created');
  const aggregated = await until('view aggregates leases-view', async () => {
    const view = JSON.parse(await admin.ok(['get', 'clusterrole', 'view', '-o', 'json']));
    return view.rules.some((r: { resources?: string[] }) => r.resources?.includes('leases')) && view;
  });
  t.match(aggregated.rules, [{ apiGroups: ['coordination.k8s.io'], resources: ['leases'], verbs: ['get', 'list', 'watch'] }]);
  await settle(['list', 'leases.coordination.k8s.io', '-n', 'ns2', '--as', 'lease-viewer'], 'yes');
  const r = await admin(['get', 'leases', '-n', 'ns2', '--as', 'lease-viewer']);
  t.equal(r.exitCode, 0, 'the aggregated rule grants what it says');
  t.equal(r.stderr, 'No resources found in ns2 namespace.');
  t.equal(await canI(['watch', 'leases.coordination.k8s.io', '-n', 'ns2', '--as', 'lease-viewer']), 'yes');
  t.equal(await canI(['delete', 'leases.coordination.k8s.io', '-n', 'ns2', '--as', 'lease-viewer']), 'no', 'and nothing more');
  // view is aggregated into edit, and edit into admin: admin's rules now hold leases-view's too.
  const adminRole = await until('admin aggregates view', async () => {
    const a = JSON.parse(await admin.ok(['get', 'clusterrole', 'admin', '-o', 'json']));
    return a.rules.some((x: { resources?: string[]; verbs?: string[] }) => x.resources?.includes('leases') && x.verbs?.length === 3) && a;
  });
  t.ok(adminRole);

  await admin.ok(['label', 'clusterrole', 'leases-view', 'rbac.authorization.k8s.io/aggregate-to-view-']);
  await settle(['list', 'leases.coordination.k8s.io', '-n', 'ns2', '--as', 'lease-viewer'], 'no');
  t.pass('unlabelled, its rules leave view');
});

t.test('escalation prevention: no granting what you do not hold, unless you may bind or escalate', async (t) => {
  const kc = kubectlWith(srv, kubeconfigFor(srv, 'dev', { token: dev.token }));
  await admin.ok(['create', 'role', 'rbac-writer', '-n', 'ns1', '--verb=get,list,create,update', '--resource=roles.rbac.authorization.k8s.io,rolebindings.rbac.authorization.k8s.io', '--resource=pods']);
  await admin.ok(['create', 'rolebinding', 'dev-rbac', '-n', 'ns1', '--role=rbac-writer', '--user=dev']);
  await settle(['create', 'roles.rbac.authorization.k8s.io', '-n', 'ns1', '--as', 'dev'], 'yes');

  // What dev holds may be granted on.
  t.equal(await kc.ok(['create', 'role', 'pod-getter', '-n', 'ns1', '--verb=get', '--resource=pods']), 'role.rbac.authorization.k8s.io/pod-getter created');
  t.equal(await kc.ok(['create', 'rolebinding', 'pg', '-n', 'ns1', '--role=pod-getter', '--user=someone']), 'rolebinding.rbac.authorization.k8s.io/pg created');
  // More than dev holds: refused, listing what is missing (compacted, sorted).
  t.equal(
    await kc.fails(['create', 'role', 'too-much', '-n', 'ns1', '--verb=get,delete', '--resource=secrets,pods']),
    'Error from server (Forbidden): roles.rbac.authorization.k8s.io "too-much" is forbidden: user "dev" (groups=["devs" "qa" "system:authenticated"]) is attempting to grant RBAC permissions not currently held:\n{APIGroups:[""], Resources:["pods"], Verbs:["delete"]}\n{APIGroups:[""], Resources:["secrets"], Verbs:["get" "delete"]}',
  );
  const admin403 = await kc.fails(['create', 'rolebinding', 'dev-admin', '-n', 'ns1', '--clusterrole=admin', '--user=dev']);
  t.match(admin403, /^error: failed to create rolebinding: rolebindings\.rbac\.authorization\.k8s\.io "dev-admin" is forbidden: user "dev" \(groups=\["devs" "qa" "system:authenticated"\]\) is attempting to grant RBAC permissions not currently held:\n/);
  const missing = admin403.split('\n').slice(1);
  t.same(missing, [...missing].sort(), 'the missing rules are sorted');
  t.ok(missing.includes('{APIGroups:[""], Resources:["secrets"], Verbs:["get" "list" "watch" "create" "delete" "deletecollection" "patch" "update"]}'));
  t.notOk(missing.some((l) => l.startsWith('{APIGroups:[""], Resources:["pods"], Verbs:["get"')), 'what dev holds is not listed');

  // The bind verb on admin lets dev bind it (still without holding it).
  await admin.ok(['create', 'role', 'bind-admin', '-n', 'ns1', '--verb=bind', '--resource=clusterroles.rbac.authorization.k8s.io', '--resource-name=admin']);
  await admin.ok(['create', 'rolebinding', 'dev-bind', '-n', 'ns1', '--role=bind-admin', '--user=dev']);
  await settle(['bind', 'clusterroles.rbac.authorization.k8s.io/admin', '-n', 'ns1', '--as', 'dev'], 'yes');
  t.equal(await kc.ok(['create', 'rolebinding', 'eve-admin', '-n', 'ns1', '--clusterrole=admin', '--user=eve']), 'rolebinding.rbac.authorization.k8s.io/eve-admin created');
  t.match(await kc.fails(['create', 'rolebinding', 'eve-edit', '-n', 'ns1', '--clusterrole=edit', '--user=eve']), /is attempting to grant RBAC permissions not currently held/, 'bind names admin only');

  // The escalate verb lets dev write roles with rules dev does not hold.
  await admin.ok(['create', 'role', 'escalator', '-n', 'ns1', '--verb=escalate', '--resource=roles.rbac.authorization.k8s.io']);
  await admin.ok(['create', 'rolebinding', 'dev-escalate', '-n', 'ns1', '--role=escalator', '--user=dev']);
  await settle(['escalate', 'roles.rbac.authorization.k8s.io', '-n', 'ns1', '--as', 'dev'], 'yes');
  t.equal(await kc.ok(['create', 'role', 'too-much', '-n', 'ns1', '--verb=get,delete', '--resource=secrets,pods']), 'role.rbac.authorization.k8s.io/too-much created');
  t.equal(await canI(['get', 'secrets', '-n', 'ns1', '--as', 'dev']), 'no', 'writing the role gave dev nothing');

  // Only holders of everything may write an aggregated ClusterRole.
  await admin.ok(['create', 'clusterrole', 'cr-writer', '--verb=create', '--resource=clusterroles.rbac.authorization.k8s.io']);
  await admin.ok(['create', 'clusterrolebinding', 'dev-cr-writer', '--clusterrole=cr-writer', '--user=dev']);
  await settle(['create', 'clusterroles.rbac.authorization.k8s.io', '--as', 'dev'], 'yes');
  t.equal(await kc.fails(['create', 'clusterrole', 'gatherer', '--aggregation-rule=example.com/gather=true']), 'Error from server (Forbidden): clusterroles.rbac.authorization.k8s.io "gatherer" is forbidden: must have cluster-admin privileges to use the aggregationRule');
});

t.test('kubectl auth can-i answers yes/no, and --list lists the rules', async (t) => {
  const kc = kubectlWith(srv, kubeconfigFor(srv, 'alice', { token: alice.token }));
  await admin.ok(['create', 'role', 'cm-editor', '-n', 'ns2', '--verb=get,list,create', '--resource=configmaps', '--resource=deployments.apps']);
  await admin.ok(['create', 'rolebinding', 'alice-cm', '-n', 'ns2', '--role=cm-editor', '--user=alice']);
  await settle(['create', 'configmaps', '-n', 'ns2', '--as', 'alice'], 'yes');
  t.equal(await kc.ok(['auth', 'can-i', 'create', 'configmaps', '-n', 'ns2']), 'yes');
  t.equal(await kc.ok(['auth', 'can-i', 'list', 'deployments.apps', '-n', 'ns2']), 'yes');
  const no = await kc(['auth', 'can-i', 'delete', 'configmaps', '-n', 'ns2']);
  t.equal(no.stdout, 'no');
  t.equal(no.exitCode, 1, 'no is exit code 1');
  t.equal(await kc.ok(['auth', 'can-i', 'get', '/healthz']), 'yes', 'a non-resource URL');
  t.equal((await kc(['auth', 'can-i', 'get', '/metrics'])).stdout, 'no');
  t.equal(await canI(['create', 'configmaps', '-n', 'ns2', '--as', 'alice']), 'yes', 'the admin asks for alice by impersonating her');

  const list = await kc.ok(['auth', 'can-i', '--list', '-n', 'ns2']);
  const rows = list.split('\n');
  t.match(rows[0], /^Resources\s+Non-Resource URLs\s+Resource Names\s+Verbs$/);
  t.ok(rows.some((r) => /^configmaps\s+\[\]\s+\[\]\s+\[get list create\]$/.test(r)), 'the Role');
  t.ok(rows.some((r) => /^deployments\.apps\s+\[\]\s+\[\]\s+\[get list create\]$/.test(r)));
  t.ok(rows.some((r) => /^selfsubjectaccessreviews\.authorization\.k8s\.io\s+\[\]\s+\[\]\s+\[create\]$/.test(r)), 'system:basic-user');
  t.ok(rows.some((r) => /^\s+\[\/healthz\]\s+\[\]\s+\[get\]$/.test(r)), 'system:public-info-viewer');
  t.ok(rows.some((r) => /^secrets\s+\[\]\s+\[\]\s+\[get list\]$/.test(r)), 'through the devs group alice is in');
  t.notOk(rows.some((r) => r.startsWith('pods')));
  t.notMatch(await kc.ok(['auth', 'can-i', '--list', '-n', 'ns1']), /configmaps/, 'the Role is in ns2 only');
});

t.test('kubectl auth reconcile creates and then updates roles and bindings from a file', async (t) => {
  const doc = (verbs: string[], subjects: string[]) =>
    [
      { apiVersion: 'rbac.authorization.k8s.io/v1', kind: 'ClusterRole', metadata: { name: 'rec-pods' }, rules: [{ apiGroups: [''], resources: ['pods'], verbs }] },
      { apiVersion: 'rbac.authorization.k8s.io/v1', kind: 'Role', metadata: { name: 'rec-cm', namespace: 'ns2' }, rules: [{ apiGroups: [''], resources: ['configmaps'], verbs }] },
      { apiVersion: 'rbac.authorization.k8s.io/v1', kind: 'RoleBinding', metadata: { name: 'rec-cm', namespace: 'ns2' }, roleRef: { apiGroup: 'rbac.authorization.k8s.io', kind: 'Role', name: 'rec-cm' }, subjects: subjects.map((name) => ({ apiGroup: 'rbac.authorization.k8s.io', kind: 'User', name })) },
      { apiVersion: 'rbac.authorization.k8s.io/v1', kind: 'ClusterRoleBinding', metadata: { name: 'rec-pods' }, roleRef: { apiGroup: 'rbac.authorization.k8s.io', kind: 'ClusterRole', name: 'rec-pods' }, subjects: subjects.map((name) => ({ apiGroup: 'rbac.authorization.k8s.io', kind: 'User', name })) },
    ]
      .map((o) => stringify(o))
      .join('---\n');
  const reconciled = 'clusterrole.rbac.authorization.k8s.io/rec-pods reconciled\nrole.rbac.authorization.k8s.io/rec-cm reconciled\nrolebinding.rbac.authorization.k8s.io/rec-cm reconciled\nclusterrolebinding.rbac.authorization.k8s.io/rec-pods reconciled';
  t.equal(await admin.ok(['auth', 'reconcile', '-f', '-'], doc(['get'], ['rec-user'])), reconciled);
  await settle(['get', 'pods', '-n', 'ns1', '--as', 'rec-user'], 'yes');
  t.equal(await canI(['get', 'configmaps', '-n', 'ns2', '--as', 'rec-user']), 'yes');
  t.equal(await canI(['list', 'pods', '-n', 'ns1', '--as', 'rec-user']), 'no');

  // Again with more verbs and another subject: added to what is there, nothing removed.
  t.equal(await admin.ok(['auth', 'reconcile', '-f', '-'], doc(['get', 'list'], ['rec-user2'])), reconciled);
  await settle(['list', 'pods', '-n', 'ns1', '--as', 'rec-user2'], 'yes');
  t.equal(await canI(['list', 'pods', '-n', 'ns1', '--as', 'rec-user']), 'yes', 'the old subject keeps the binding');
  const binding = JSON.parse(await admin.ok(['get', 'rolebinding', 'rec-cm', '-n', 'ns2', '-o', 'json']));
  t.same(binding.subjects.map((s: { name: string }) => s.name), ['rec-user', 'rec-user2']);

  // --remove-extra-subjects drops what the file does not name.
  t.equal(await admin.ok(['auth', 'reconcile', '--remove-extra-subjects', '-f', '-'], doc(['get', 'list'], ['rec-user2'])), reconciled);
  await settle(['list', 'pods', '-n', 'ns1', '--as', 'rec-user'], 'no');
  // Reconciling as someone who holds less is an escalation like any other.
  const stderr = await admin.fails(['auth', 'reconcile', '-f', '-', '--as', 'viewer'], doc(['get', 'list', 'delete'], ['rec-user2']));
  t.match(stderr, /is forbidden: User "viewer" cannot (get|update) resource "clusterroles" in API group "rbac\.authorization\.k8s\.io" at the cluster scope/);
});

const sar = (spec: Record<string, unknown>, kind = 'SubjectAccessReview', namespace?: string) => JSON.stringify({ apiVersion: 'authorization.k8s.io/v1', kind, metadata: namespace ? { namespace } : {}, spec });

t.test('SubjectAccessReview: the admin asks whether another user may', async (t) => {
  const yes = JSON.parse(await admin.ok(['create', '-f', '-', '-o', 'json'], sar({ user: 'reader', resourceAttributes: { namespace: 'ns1', verb: 'list', resource: 'pods' } })));
  t.match(yes, { kind: 'SubjectAccessReview', apiVersion: 'authorization.k8s.io/v1', spec: { user: 'reader' } });
  t.same(yes.status, { allowed: true, reason: 'RBAC: allowed by RoleBinding "readers/ns1" of Role "pod-reader" to User "reader"' });
  const no = JSON.parse(await admin.ok(['create', '-f', '-', '-o', 'json'], sar({ user: 'reader', resourceAttributes: { namespace: 'ns2', verb: 'list', resource: 'pods' } })));
  t.same(no.status, { allowed: false });
  const byGroup = JSON.parse(await admin.ok(['create', '-f', '-', '-o', 'json'], sar({ user: 'x', groups: ['devs'], resourceAttributes: { namespace: 'ns2', verb: 'get', resource: 'secrets', name: 's' } })));
  t.same(byGroup.status, { allowed: true, reason: 'RBAC: allowed by RoleBinding "devs-secrets/ns2" of ClusterRole "secret-reader" to Group "devs"' });
  const cluster = JSON.parse(await admin.ok(['create', '-f', '-', '-o', 'json'], sar({ user: 'carol', resourceAttributes: { verb: 'list', resource: 'secrets' } })));
  t.same(cluster.status, { allowed: true, reason: 'RBAC: allowed by ClusterRoleBinding "carol-secrets" of ClusterRole "secret-reader" to User "carol"' });
  const url = JSON.parse(await admin.ok(['create', '-f', '-', '-o', 'json'], sar({ user: 'x', groups: ['system:authenticated'], nonResourceAttributes: { verb: 'get', path: '/version' } })));
  t.equal(url.status.allowed, true);
  // LocalSubjectAccessReview: the same question within the namespace it is created in.
  const local = JSON.parse(await admin.ok(['create', '-f', '-', '-o', 'json', '-n', 'ns1'], sar({ user: 'reader', resourceAttributes: { verb: 'get', resource: 'pods' } }, 'LocalSubjectAccessReview', 'ns1')));
  t.equal(local.status.allowed, true);
  // Asking is itself authorized: a user without subjectaccessreviews/create may not. (--validate=false: kubectl 1.32
  // validates a kind without a PATCH path by listing CRDs, which reader may not either; the server's answer is checked.)
  t.equal(await admin.fails(['create', '--validate=false', '-f', '-', '--as', 'reader'], sar({ user: 'x', resourceAttributes: { verb: 'get', resource: 'pods' } })), 'Error from server (Forbidden): error when creating "STDIN": subjectaccessreviews.authorization.k8s.io is forbidden: User "reader" cannot create resource "subjectaccessreviews" in API group "authorization.k8s.io" at the cluster scope');
});

t.test('impersonation needs the impersonate verb on the user, the groups and service accounts', async (t) => {
  const kc = kubectlWith(srv, kubeconfigFor(srv, 'alice', { token: alice.token }));
  t.equal(await kc.fails(['get', 'pods', '-n', 'ns1', '--as', 'reader']), 'Error from server (Forbidden): users "reader" is forbidden: User "alice" cannot impersonate resource "users" in API group "" at the cluster scope');
  await admin.ok(['create', 'clusterrole', 'impersonate-reader', '--verb=impersonate', '--resource=users', '--resource-name=reader']);
  await admin.ok(['create', 'clusterrolebinding', 'alice-impersonates', '--clusterrole=impersonate-reader', '--user=alice']);
  await until('alice may impersonate reader', async () => (await kc(['auth', 'whoami', '--as', 'reader'])).exitCode === 0, 10_000, 100);
  t.equal(await kc.ok(['auth', 'whoami', '--as', 'reader']), 'ATTRIBUTE   VALUE\nUsername    reader\nGroups      [system:authenticated]');
  t.equal((await kc(['get', 'pods', '-n', 'ns1', '--as', 'reader'])).exitCode, 0, 'acting as reader, alice has reader\'s rights');
  t.equal(await kc.fails(['get', 'pods', '-n', 'ns2', '--as', 'reader']), 'Error from server (Forbidden): pods is forbidden: User "reader" cannot list resource "pods" in API group "" in the namespace "ns2"');
  t.equal(await kc.fails(['get', 'pods', '-n', 'ns1', '--as', 'owner']), 'Error from server (Forbidden): users "owner" is forbidden: User "alice" cannot impersonate resource "users" in API group "" at the cluster scope', 'the resource name limits whom');
  t.equal(await kc.fails(['get', 'pods', '-n', 'ns1', '--as', 'reader', '--as-group', 'system:masters']), 'Error from server (Forbidden): groups "system:masters" is forbidden: User "alice" cannot impersonate resource "groups" in API group "" at the cluster scope', 'groups are impersonated separately');
  t.equal(await kc.fails(['get', 'pods', '-n', 'ns1', '--as', 'system:serviceaccount:ns1:default']), 'Error from server (Forbidden): serviceaccounts "default" is forbidden: User "alice" cannot impersonate resource "serviceaccounts" in API group "" in the namespace "ns1"');
  // An impersonated service account gets its groups.
  t.equal(await admin.ok(['auth', 'whoami', '--as', 'system:serviceaccount:ns1:default', '-o', 'jsonpath={.status.userInfo.groups}']), '["system:serviceaccounts","system:serviceaccounts:ns1","system:authenticated"]');
});
