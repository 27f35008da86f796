// The RBAC kinds and CertificateSigningRequests through kubectl 1.32, as kube-apiserver serves them: kubectl's typed
// creates (protobuf), get and describe with kube's columns, explain, 422s that name the fields, roleRef that never
// changes, CSRs that record their requester, and `kubectl certificate approve|deny`.
import t from 'tap';
import { createCSR } from '../api/pki.js';
import { Resources } from '../api/resources.js';
import { StatusError } from '../api/errors.js';
import type { CertificateSigningRequest, KubeObject } from '../api/types.js';
import { kubectlExpecting, startServer, type TestServer } from './server-fixture.js';

let srv: TestServer;
t.before(async () => {
  srv = await startServer({ args: ['--disable-controllers'] });
});
t.teardown(() => srv?.destroy());

const { ok, fails } = kubectlExpecting(() => srv);


const TIME = '\\d{4}-\\d\\d-\\d\\dT\\d\\d:\\d\\d:\\d\\dZ';

t.test('kubectl create role|clusterrole|rolebinding|clusterrolebinding, then get and describe them', async (t) => {
  await ok(['create', 'namespace', 'team']);
  t.equal(await ok(['create', 'role', 'reader', '-n', 'team', '--verb=get,list', '--resource=pods,deployments.apps']), 'role.rbac.authorization.k8s.io/reader created');
  t.equal(await ok(['create', 'clusterrole', 'urls', '--verb=get', '--non-resource-url=/healthz', '--non-resource-url=/logs/*']), 'clusterrole.rbac.authorization.k8s.io/urls created');
  t.equal(await ok(['create', 'clusterrole', 'monitoring', '--aggregation-rule=rbac.example.com/aggregate-to-monitoring=true']), 'clusterrole.rbac.authorization.k8s.io/monitoring created');
  t.equal(await ok(['create', 'rolebinding', 'readers', '-n', 'team', '--role=reader', '--user=alice', '--group=devs', '--serviceaccount=team:robot']), 'rolebinding.rbac.authorization.k8s.io/readers created');
  t.equal(await ok(['create', 'clusterrolebinding', 'viewers', '--clusterrole=view', '--user=bob', '--serviceaccount=kube-system:ctrl']), 'clusterrolebinding.rbac.authorization.k8s.io/viewers created');

  t.match(await ok(['get', 'roles', '-n', 'team']), new RegExp(`^NAME\\s+CREATED AT\\nreader\\s+${TIME}$`));
  t.match(await ok(['get', 'clusterroles', 'urls', 'monitoring']), new RegExp(`^NAME\\s+CREATED AT\\nurls\\s+${TIME}\\nmonitoring\\s+${TIME}$`));
  t.match(await ok(['get', 'rolebindings', '-n', 'team']), /^NAME\s+ROLE\s+AGE\nreaders\s+Role\/reader\s+\d+s$/);
  t.match(await ok(['get', 'rolebindings', '-n', 'team', '-o', 'wide']), /^NAME\s+ROLE\s+AGE\s+USERS\s+GROUPS\s+SERVICEACCOUNTS\nreaders\s+Role\/reader\s+\d+s\s+alice\s+devs\s+team\/robot$/);
  t.match(await ok(['get', 'clusterrolebindings', 'viewers']), /^NAME\s+ROLE\s+AGE\nviewers\s+ClusterRole\/view\s+\d+s$/);
  t.match(await ok(['get', 'clusterrolebindings', 'viewers', '-o', 'wide']), /^NAME\s+ROLE\s+AGE\s+USERS\s+GROUPS\s+SERVICEACCOUNTS\nviewers\s+ClusterRole\/view\s+\d+s\s+bob\s+kube-system\/ctrl$/);

  const role = await ok(['describe', 'role', 'reader', '-n', 'team']);
  t.match(role, /PolicyRule:\n\s+Resources\s+Non-Resource URLs\s+Resource Names\s+Verbs\n/);
  t.match(role, /\n\s+pods\s+\[\]\s+\[\]\s+\[get list\]\n/);
  t.match(role, /\n\s+deployments\.apps\s+\[\]\s+\[\]\s+\[get list\]/);
  t.match(await ok(['describe', 'clusterrole', 'urls']), /\[\/healthz\]\s+\[\]\s+\[get\]\n\s+\[\/logs\/\*\]\s+\[\]\s+\[get\]/);
  const binding = await ok(['describe', 'rolebinding', 'readers', '-n', 'team']);
  t.match(binding, /Role:\n\s+Kind:\s+Role\n\s+Name:\s+reader\n/);
  t.match(binding, /Subjects:\n\s+Kind\s+Name\s+Namespace\n.*\n\s+User\s+alice\s*\n\s+Group\s+devs\s*\n\s+ServiceAccount\s+robot\s+team/);

  // What was stored: defaulted API groups, and the aggregated role's rules null, as kube-apiserver stores them.
  const rb = await srv.client.get<KubeObject & { roleRef: unknown; subjects: unknown[] }>(Resources.rolebindings, 'team', 'readers');
  t.same(rb.roleRef, { apiGroup: 'rbac.authorization.k8s.io', kind: 'Role', name: 'reader' });
  t.same(rb.subjects, [
    { kind: 'User', apiGroup: 'rbac.authorization.k8s.io', name: 'alice' },
    { kind: 'Group', apiGroup: 'rbac.authorization.k8s.io', name: 'devs' },
    { kind: 'ServiceAccount', name: 'robot', namespace: 'team' },
  ]);
  const monitoring = JSON.parse(await ok(['get', 'clusterrole', 'monitoring', '-o', 'json']));
  t.equal(monitoring.rules, null);
  t.same(monitoring.aggregationRule, { clusterRoleSelectors: [{ matchLabels: { 'rbac.example.com/aggregate-to-monitoring': 'true' } }] });

  const resources = await ok(['api-resources', '--api-group=rbac.authorization.k8s.io', '--no-headers']);
  t.same(resources.split('\n').map((l) => l.split(/\s+/).join(' ')).sort(), [
    'clusterrolebindings rbac.authorization.k8s.io/v1 false ClusterRoleBinding',
    'clusterroles rbac.authorization.k8s.io/v1 false ClusterRole',
    'rolebindings rbac.authorization.k8s.io/v1 true RoleBinding',
    'roles rbac.authorization.k8s.io/v1 true Role',
  ]);
});

t.test('kubectl explain reads the RBAC and CSR schemas', async (t) => {
  const rules = await ok(['explain', 'role.rules']);
  t.match(rules, /GROUP:\s+rbac\.authorization\.k8s\.io\nKIND:\s+Role\nVERSION:\s+v1\n/);
  t.match(rules, /FIELD: rules <\[\]PolicyRule>/);
  for (const f of ['apiGroups', 'nonResourceURLs', 'resourceNames', 'resources']) t.match(rules, new RegExp(`\\n {2}${f}\\t<\\[\\]string>\\n`), f);
  t.match(rules, /\n {2}verbs\t<\[\]string> -required-\n/);
  t.match(await ok(['explain', 'clusterrolebinding.roleRef']), /FIELD: roleRef <RoleRef>[\s\S]*apiGroup\t<string> -required-[\s\S]*kind\t<string> -required-/);
  t.match(await ok(['explain', 'clusterrole.aggregationRule.clusterRoleSelectors']), /FIELD: clusterRoleSelectors <\[\]LabelSelector>/);
  t.match(await ok(['explain', 'csr.spec.usages']), /FIELD: usages <\[\]string>\n[\s\S]*"client auth"/);
  t.match(await ok(['explain', 'csr.status.conditions']), /FIELD: conditions <\[\]CertificateSigningRequestCondition>/);
});

t.test('invalid RBAC objects are 422s that name their fields', async (t) => {
  const role = await fails(['create', '-f', '-'], JSON.stringify({
    apiVersion: 'rbac.authorization.k8s.io/v1',
    kind: 'Role',
    metadata: { name: 'bad', namespace: 'team' },
    rules: [{ resources: ['pods'] }, { verbs: ['get'], nonResourceURLs: ['/healthz'] }],
  }));
  t.equal(role, [
    'The Role "bad" is invalid: ',
    '* rules[0].verbs: Required value: verbs must contain at least one value',
    '* rules[0].apiGroups: Required value: resource rules must supply at least one api group',
    '* rules[1].nonResourceURLs: Invalid value: []string{"/healthz"}: namespaced rules cannot apply to non-resource URLs',
  ].join('\n'));
  const crb = await fails(['create', '-f', '-'], JSON.stringify({
    apiVersion: 'rbac.authorization.k8s.io/v1',
    kind: 'ClusterRoleBinding',
    metadata: { name: 'bad' },
    roleRef: { kind: 'Role', name: 'reader' },
    subjects: [{ kind: 'ServiceAccount', name: 'robot' }, { kind: 'Robot', name: 'r2d2' }],
  }));
  t.match(crb, /roleRef\.kind: Unsupported value: "Role": supported values: "ClusterRole"/);
  t.match(crb, /subjects\[0\]\.namespace: Required value/);
  t.match(crb, /subjects\[1\]\.kind: Unsupported value: "Robot": supported values: "ServiceAccount", "User", "Group"/);

  // The API's answer: a 422 Status whose causes carry the field paths.
  const e = await srv.client.create(Resources.roles, 'team', { metadata: { name: 'a/b' }, rules: [{ verbs: [], apiGroups: [''], resources: ['pods'] }] } as KubeObject).catch((x) => x);
  t.ok(e instanceof StatusError, 'a Status error');
  t.equal((e as StatusError).code, 422);
  t.same((e as StatusError).details?.causes?.map((c) => c.field), ['metadata.name', 'rules[0].verbs']);
});

t.test('a binding\'s roleRef cannot change; its subjects can', async (t) => {
  const binding = (role: string, users: string[]) =>
    JSON.stringify({ apiVersion: 'rbac.authorization.k8s.io/v1', kind: 'RoleBinding', metadata: { name: 'editors', namespace: 'team' }, roleRef: { apiGroup: 'rbac.authorization.k8s.io', kind: 'ClusterRole', name: role }, subjects: users.map((name) => ({ kind: 'User', name })) });
  t.equal(await ok(['apply', '-f', '-'], binding('edit', ['alice'])), 'rolebinding.rbac.authorization.k8s.io/editors created');
  t.equal(await ok(['apply', '-f', '-'], binding('edit', ['alice', 'bob'])), 'rolebinding.rbac.authorization.k8s.io/editors configured');
  t.equal(await ok(['set', 'subject', 'rolebinding', 'editors', '-n', 'team', '--group=devs']), 'rolebinding.rbac.authorization.k8s.io/editors subjects updated');
  t.equal(
    await fails(['apply', '-f', '-'], binding('admin', ['alice'])),
    'The RoleBinding "editors" is invalid: roleRef: Invalid value: rbac.RoleRef{APIGroup:"rbac.authorization.k8s.io", Kind:"ClusterRole", Name:"admin"}: cannot change roleRef',
  );
  t.equal(
    await fails(['patch', 'clusterrolebinding', 'viewers', '--type=merge', '-p', '{"roleRef":{"name":"edit"}}']),
    'The ClusterRoleBinding "viewers" is invalid: roleRef: Invalid value: rbac.RoleRef{APIGroup:"rbac.authorization.k8s.io", Kind:"ClusterRole", Name:"edit"}: cannot change roleRef',
  );
  t.match(await ok(['get', 'rolebinding', 'editors', '-n', 'team', '-o', 'wide']), /editors\s+ClusterRole\/edit\s+\d+s\s+alice, bob\s+devs/);
});

/** A CertificateSigningRequest manifest for a fresh key; signer example.com/… so that no controller acts on it. */
async function csrManifest(name: string, spec: Record<string, unknown> = {}): Promise<string> {
  const { csrPem } = await createCSR({ commonName: name, organizations: ['devs'] });
  return JSON.stringify({
    apiVersion: 'certificates.k8s.io/v1',
    kind: 'CertificateSigningRequest',
    metadata: { name },
    spec: { request: Buffer.from(csrPem).toString('base64'), signerName: 'example.com/test-signer', usages: ['digital signature', 'key encipherment', 'client auth'], ...spec },
  });
}

t.test('CSRs: the server records the requester; kubectl certificate approve and deny set the condition', async (t) => {
  // The body claims another user and group: the server records who actually asked.
  t.equal(await ok(['create', '-f', '-'], await csrManifest('jane', { expirationSeconds: 86400, username: 'mallory', groups: ['system:masters'], uid: 'forged' })), 'certificatesigningrequest.certificates.k8s.io/jane created');
  t.equal(await ok(['create', '-f', '-'], await csrManifest('joe')), 'certificatesigningrequest.certificates.k8s.io/joe created');
  const jane = await srv.client.get<CertificateSigningRequest>(Resources.certificatesigningrequests, undefined, 'jane');
  t.equal(jane.spec.username, 'kubernetes-admin');
  t.same(jane.spec.groups, ['system:masters', 'system:authenticated']);
  t.equal(jane.spec.uid, undefined);

  t.match(await ok(['get', 'csr']), /^NAME\s+AGE\s+SIGNERNAME\s+REQUESTOR\s+REQUESTEDDURATION\s+CONDITION\njane\s+\d+s\s+example\.com\/test-signer\s+kubernetes-admin\s+24h\s+Pending\njoe\s+\d+s\s+example\.com\/test-signer\s+kubernetes-admin\s+<none>\s+Pending$/);

  t.equal(await ok(['certificate', 'approve', 'jane']), 'certificatesigningrequest.certificates.k8s.io/jane approved');
  t.equal(await ok(['certificate', 'deny', 'joe']), 'certificatesigningrequest.certificates.k8s.io/joe denied');
  t.match(await ok(['get', 'csr']), /\njane\s+\d+s\s+\S+\s+kubernetes-admin\s+24h\s+Approved\njoe\s+\d+s\s+\S+\s+kubernetes-admin\s+<none>\s+Denied$/);
  const approved = await srv.client.get<CertificateSigningRequest>(Resources.certificatesigningrequests, undefined, 'jane');
  t.match(approved.status?.conditions, [{ type: 'Approved', status: 'True', reason: 'KubectlApprove', message: 'This CSR was approved by kubectl certificate approve.', lastUpdateTime: new RegExp(`^${TIME}$`), lastTransitionTime: new RegExp(`^${TIME}$`) }]);
  t.same(approved.spec, jane.spec, 'the approval changed nothing but the conditions');

  const describe = await ok(['describe', 'csr', 'jane']);
  t.match(describe, /Requesting User:\s+kubernetes-admin\nSigner:\s+example\.com\/test-signer\nRequested Duration:\s+24h\nStatus:\s+Approved\nSubject:\n\s+Common Name:\s+jane\n/);

  // An approved request cannot also be denied, and the spec stays as created whatever an update says.
  t.match(await fails(['certificate', 'deny', 'jane']), /certificate signing request "jane" is already Approved/);
  const both = { ...approved, status: { conditions: [...approved.status!.conditions!, { type: 'Denied', status: 'True', reason: 'ChangedMyMind' }] } };
  const refused = await srv.client.request('PUT', '/apis/certificates.k8s.io/v1/certificatesigningrequests/jane/approval', both).catch((e) => e);
  t.equal((refused as StatusError).code, 422);
  t.match((refused as StatusError).message, /status\.conditions\[1\]\.type: Invalid value: "Denied": Approved and Denied conditions are mutually exclusive/);
  const edited = { ...approved, spec: { ...approved.spec, signerName: 'example.com/other' } };
  await ok(['replace', '-f', '-'], JSON.stringify(edited));
  t.equal(await ok(['get', 'csr', 'jane', '-o', 'jsonpath={.spec.signerName}']), 'example.com/test-signer');
});

t.test('invalid CSRs are 422s that name their fields', async (t) => {
  const bad = JSON.parse(await csrManifest('bad', { signerName: 'nodomain', expirationSeconds: 100, usages: ['client auth', 'flying'] }));
  bad.spec.request = Buffer.from('hello').toString('base64');
  const stderr = await fails(['create', '-f', '-'], JSON.stringify(bad));
  t.match(stderr, /^The CertificateSigningRequest "bad" is invalid: \n/);
  t.match(stderr, /\* spec\.request: Invalid value: \[\]byte\{0x68, 0x65, 0x6c, 0x6c, 0x6f\}: PEM block type must be CERTIFICATE REQUEST\n/);
  t.match(stderr, /\* spec\.usages\[1\]: Unsupported value: "flying": supported values: "any", /);
  t.match(stderr, /\* spec\.signerName: Invalid value: "nodomain": must be a fully qualified domain and path of the form 'example\.com\/signer-name'\n/);
  t.match(stderr, /\* spec\.expirationSeconds: Invalid value: 100: may not specify a duration less than 600 seconds \(10 minutes\)$/);
  t.match(await fails(['create', '-f', '-'], await csrManifest('nousage', { usages: [] })), /spec\.usages: Required value/);
});
