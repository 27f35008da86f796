import t from 'tap';
import { bootstrapClusterRoleBindings, bootstrapClusterRoles, group, serviceAccount, user } from './policy.js';
import { settledAggregation } from '../../../../api/rbac.js';
import { authorize, formatRule, rulesFor, ruleAllows, uncoveredRules, type RBACSource } from './rules.js';
import type { Attributes, ClusterRole, PolicyRule, Role, RoleBinding, UserInfo } from '../../../../api/types.js';

/** An in-memory source with the bootstrap policy (aggregated roles filled as the aggregation controller would). */
function source(extra: { roles?: Role[]; clusterRoles?: ClusterRole[]; bindings?: RoleBinding[]; clusterBindings?: RoleBinding[] } = {}): RBACSource {
  const clusterRoles = new Map<string, ClusterRole>();
  for (const r of settledAggregation([...bootstrapClusterRoles(), ...(extra.clusterRoles ?? [])])) clusterRoles.set(r.metadata.name!, r);
  const roles = extra.roles ?? [];
  const bindings = extra.bindings ?? [];
  return {
    clusterRole: (n) => clusterRoles.get(n),
    role: (ns, n) => roles.find((r) => r.metadata.namespace === ns && r.metadata.name === n),
    clusterRoleBindings: () => [...bootstrapClusterRoleBindings(), ...(extra.clusterBindings ?? [])],
    roleBindings: (ns) => bindings.filter((b) => b.metadata.namespace === ns),
  };
}

const alice: UserInfo = { name: 'alice', groups: ['system:authenticated'] };
const req = (u: UserInfo, verb: string, resource: string, o: Partial<Attributes> = {}): Attributes => ({ user: u, verb, isResourceRequest: true, apiGroup: '', resource, ...o });
const rb = (ns: string, name: string, kind: 'Role' | 'ClusterRole', role: string, subjects = [user('alice')]): RoleBinding => ({ metadata: { name, namespace: ns }, roleRef: { apiGroup: 'rbac.authorization.k8s.io', kind, name: role }, subjects });

t.test('rule matching: verbs, groups, resources, subresources, names, URLs', async (t) => {
  const r: PolicyRule = { verbs: ['get'], apiGroups: ['apps'], resources: ['deployments', '*/scale'], resourceNames: ['web'] };
  t.ok(ruleAllows(req(alice, 'get', 'deployments', { apiGroup: 'apps', name: 'web' }), r));
  t.notOk(ruleAllows(req(alice, 'get', 'deployments', { apiGroup: 'apps', name: 'db' }), r), 'resourceNames limit');
  t.notOk(ruleAllows(req(alice, 'list', 'deployments', { apiGroup: 'apps' }), r), 'a list has no name');
  t.ok(ruleAllows(req(alice, 'get', 'replicasets', { apiGroup: 'apps', subresource: 'scale', name: 'web' }), r), '*/scale');
  t.notOk(ruleAllows(req(alice, 'get', 'deployments', { apiGroup: 'apps', subresource: 'status', name: 'web' }), r), 'a subresource is not its parent');
  const u: PolicyRule = { verbs: ['get'], nonResourceURLs: ['/healthz', '/apis/*'] };
  t.ok(ruleAllows({ user: alice, verb: 'get', isResourceRequest: false, path: '/apis/apps/v1' }, u));
  t.notOk(ruleAllows({ user: alice, verb: 'get', isResourceRequest: false, path: '/metrics' }, u));
});

t.test('bootstrap policy: masters are admins, authenticated users discover, nobody else reads secrets', async (t) => {
  const src = source();
  const admin: UserInfo = { name: 'kubernetes-admin', groups: ['system:masters', 'system:authenticated'] };
  t.equal(authorize(src, req(admin, 'delete', 'nodes')).decision, 'Allow');
  t.equal(authorize(src, { user: alice, verb: 'get', isResourceRequest: false, path: '/apis' }).decision, 'Allow', 'system:discovery');
  t.equal(authorize(src, req(alice, 'create', 'selfsubjectaccessreviews', { apiGroup: 'authorization.k8s.io' })).decision, 'Allow', 'system:basic-user');
  t.equal(authorize(src, req(alice, 'list', 'secrets', { namespace: 'default' })).decision, 'NoOpinion');
  const anonymous: UserInfo = { name: 'system:anonymous', groups: ['system:unauthenticated'] };
  t.equal(authorize(src, { user: anonymous, verb: 'get', isResourceRequest: false, path: '/version' }).decision, 'Allow', 'public info');
  t.equal(authorize(src, { user: anonymous, verb: 'get', isResourceRequest: false, path: '/api' }).decision, 'NoOpinion', 'discovery needs authentication');
  const proxy: UserInfo = { name: 'system:kube-proxy', groups: ['system:authenticated'] };
  t.equal(authorize(src, req(proxy, 'watch', 'endpointslices', { apiGroup: 'discovery.k8s.io' })).decision, 'Allow');
  t.equal(authorize(src, req(proxy, 'create', 'pods', { namespace: 'default' })).decision, 'NoOpinion');
});

t.test('view, edit and admin are built by aggregation and nest', async (t) => {
  const src = source({ bindings: [rb('dev', 'v', 'ClusterRole', 'view'), rb('ops', 'e', 'ClusterRole', 'edit', [group('ops')]), rb('own', 'a', 'ClusterRole', 'admin')] });
  t.equal(authorize(src, req(alice, 'list', 'pods', { namespace: 'dev' })).decision, 'Allow', 'view reads pods');
  t.equal(authorize(src, req(alice, 'get', 'secrets', { namespace: 'dev' })).decision, 'NoOpinion', 'view does not read secrets');
  t.equal(authorize(src, req(alice, 'list', 'pods', { namespace: 'other' })).decision, 'NoOpinion', 'a RoleBinding is namespaced');
  const bob: UserInfo = { name: 'bob', groups: ['ops', 'system:authenticated'] };
  t.equal(authorize(src, req(bob, 'delete', 'deployments', { apiGroup: 'apps', namespace: 'ops' })).decision, 'Allow', 'edit writes workloads (group subject)');
  t.equal(authorize(src, req(bob, 'create', 'rolebindings', { apiGroup: 'rbac.authorization.k8s.io', namespace: 'ops' })).decision, 'NoOpinion', 'edit does not grant');
  t.equal(authorize(src, req(alice, 'create', 'rolebindings', { apiGroup: 'rbac.authorization.k8s.io', namespace: 'own' })).decision, 'Allow', 'admin grants');
  t.equal(authorize(src, req(alice, 'get', 'pods', { namespace: 'own', subresource: 'log' })).decision, 'Allow', 'admin includes view');
});

t.test('service accounts, missing roles, Roles', async (t) => {
  const role: Role = { metadata: { name: 'pod-reader', namespace: 'apps' }, rules: [{ verbs: ['get', 'list'], apiGroups: [''], resources: ['pods'] }] };
  const sa: UserInfo = { name: 'system:serviceaccount:apps:default', groups: ['system:serviceaccounts', 'system:serviceaccounts:apps', 'system:authenticated'] };
  const src = source({ roles: [role], bindings: [rb('apps', 'r', 'Role', 'pod-reader', [{ kind: 'ServiceAccount', name: 'default' }]), rb('apps', 'gone', 'Role', 'nope', [{ kind: 'ServiceAccount', name: 'default' }])] });
  t.equal(authorize(src, req(sa, 'list', 'pods', { namespace: 'apps' })).decision, 'Allow', 'a ServiceAccount subject without namespace is the binding\'s');
  const denied = authorize(src, req(sa, 'delete', 'pods', { namespace: 'apps' }));
  t.equal(denied.decision, 'NoOpinion');
  t.equal(denied.reason, 'RBAC: role.rbac.authorization.k8s.io "nope" not found');
  t.same(serviceAccount('kube-system', 'x'), { kind: 'ServiceAccount', name: 'x', namespace: 'kube-system' });
});

t.test('escalation: only what you hold can be granted', async (t) => {
  const src = source({ bindings: [rb('dev', 'e', 'ClusterRole', 'edit')] });
  const held = rulesFor(src, alice, 'dev').rules;
  t.same(uncoveredRules(held, [{ verbs: ['get', 'list'], apiGroups: [''], resources: ['pods'] }]), []);
  const missing = uncoveredRules(held, [{ verbs: ['get'], apiGroups: ['rbac.authorization.k8s.io'], resources: ['roles'] }, { verbs: ['update'], apiGroups: ['apps'], resources: ['deployments/scale'] }]);
  t.same(missing.map(formatRule), ['{APIGroups:["rbac.authorization.k8s.io"], Resources:["roles"], Verbs:["get"]}']);
  t.same(uncoveredRules([{ verbs: ['get'], apiGroups: ['*'], resources: ['*/scale'] }], [{ verbs: ['get'], apiGroups: ['apps'], resources: ['deployments'] }]).length, 1, '*/scale does not cover the parent');
  t.same(uncoveredRules([{ verbs: ['*'], nonResourceURLs: ['/logs/*'] }], [{ verbs: ['get'], nonResourceURLs: ['/logs/a'] }]), []);
});
