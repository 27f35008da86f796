// RBAC validation as kube-apiserver words it, case by case; and the bootstrap policy the server creates passes it.
import t from 'tap';
import type { KubeObject, StatusCause } from '../../../../api/types.js';
import { bootstrapClusterRoleBindings, bootstrapClusterRoles, bootstrapRoleBindings, bootstrapRoles } from '../../authorization/rbac/policy.js';
import { clusterRoleBindingStrategy, clusterRoleStrategy, roleBindingStrategy, roleStrategy } from './strategy.js';

const lines = (causes: StatusCause[]) => causes.map((c) => `${c.field}: ${c.message}`);
const role = (rules: unknown, name = 'r'): KubeObject => ({ metadata: { name, namespace: 'team' }, rules }) as KubeObject;
const binding = (roleRef: unknown, subjects: unknown[] = [], name = 'b'): KubeObject => ({ metadata: { name }, roleRef, subjects }) as KubeObject;
/** Defaulted, then validated, as the store does. */
const check = (s: typeof roleStrategy, obj: KubeObject) => {
  s.defaults(obj);
  return lines(s.validate(obj));
};

t.test('rules', async (t) => {
  t.same(check(roleStrategy, role([{ verbs: ['get'], apiGroups: [''], resources: ['pods'] }])), []);
  t.same(check(roleStrategy, role(null)), [], 'a role may have no rules');
  t.same(check(roleStrategy, role([{ resources: ['pods'] }])), [
    'rules[0].verbs: Required value: verbs must contain at least one value',
    'rules[0].apiGroups: Required value: resource rules must supply at least one api group',
  ]);
  t.same(check(roleStrategy, role([{ verbs: ['get'], apiGroups: [''] }])), ['rules[0].resources: Required value: resource rules must supply at least one resource']);
  t.same(check(roleStrategy, role([{ verbs: ['get'], nonResourceURLs: ['/healthz', '/logs/*'] }])), ['rules[0].nonResourceURLs: Invalid value: []string{"/healthz", "/logs/*"}: namespaced rules cannot apply to non-resource URLs']);
  t.same(check(clusterRoleStrategy, role([{ verbs: ['get'], nonResourceURLs: ['/healthz'] }])), [], 'a ClusterRole may');
  t.same(check(clusterRoleStrategy, role([{ verbs: ['get'], nonResourceURLs: ['/healthz'], resources: ['pods'] }])), ['rules[0].nonResourceURLs: Invalid value: []string{"/healthz"}: rules cannot apply to both regular resources and non-resource URLs']);
});

t.test('names are path segments; aggregation rules need valid selectors', async (t) => {
  t.same(check(clusterRoleStrategy, role([], 'system:controller:job-controller')), []);
  t.same(check(roleStrategy, role([], 'a/b%c')), ['metadata.name: Invalid value: "a/b%c": may not contain \'/\'', 'metadata.name: Invalid value: "a/b%c": may not contain \'%\'']);
  t.same(check(roleStrategy, role([], '..')), ['metadata.name: Invalid value: "..": may not be \'..\'']);
  const agg = (aggregationRule: unknown) => ({ metadata: { name: 'agg' }, aggregationRule }) as KubeObject;
  t.same(check(clusterRoleStrategy, agg({ clusterRoleSelectors: [{ matchLabels: { 'example.com/aggregate': 'true' } }] })), []);
  t.same(check(clusterRoleStrategy, agg({})), ['aggregationRule.clusterRoleSelectors: Required value: at least one clusterRoleSelector required if aggregationRule is non-nil']);
  t.same(check(clusterRoleStrategy, agg({ clusterRoleSelectors: [{ matchExpressions: [{ key: 'a', operator: 'In' }, { key: 'b', operator: 'Exists', values: ['x'] }, { key: 'c', operator: 'Near' }] }] })), [
    "aggregationRule.clusterRoleSelectors[0].matchExpressions[0].values: Required value: must be specified when `operator` is 'In' or 'NotIn'",
    "aggregationRule.clusterRoleSelectors[0].matchExpressions[1].values: Forbidden: may not be specified when `operator` is 'Exists' or 'DoesNotExist'",
    'aggregationRule.clusterRoleSelectors[0].matchExpressions[2].operator: Invalid value: "Near": not a valid selector operator',
  ]);
});

t.test('bindings: roleRef and subjects, defaulted then validated', async (t) => {
  const ref = (kind: string, name = 'reader') => ({ kind, name });
  const ok = binding(ref('Role'), [{ kind: 'User', name: 'alice' }, { kind: 'Group', name: 'devs' }, { kind: 'ServiceAccount', name: 'robot' }]);
  t.same(check(roleBindingStrategy, ok), []);
  t.same((ok as never as { roleRef: unknown }).roleRef, { kind: 'Role', name: 'reader', apiGroup: 'rbac.authorization.k8s.io' }, 'roleRef.apiGroup is defaulted');
  t.same((ok as never as { subjects: { apiGroup?: string }[] }).subjects.map((s) => s.apiGroup), ['rbac.authorization.k8s.io', 'rbac.authorization.k8s.io', undefined], 'users and groups get the RBAC group');

  t.same(check(clusterRoleBindingStrategy, binding(ref('Role'))), ['roleRef.kind: Unsupported value: "Role": supported values: "ClusterRole"']);
  t.same(check(roleBindingStrategy, binding({ apiGroup: 'example.com', kind: 'Thing', name: '' })), [
    'roleRef.apiGroup: Unsupported value: "example.com": supported values: "rbac.authorization.k8s.io"',
    'roleRef.kind: Unsupported value: "Thing": supported values: "Role", "ClusterRole"',
    'roleRef.name: Required value',
  ]);
  t.same(check(clusterRoleBindingStrategy, binding(ref('ClusterRole', 'view'), [
    { kind: 'ServiceAccount', name: 'robot' },
    { kind: 'ServiceAccount', name: 'Robot_1', namespace: 'team', apiGroup: 'v1' },
    { kind: 'Robot', name: 'r2' },
    { kind: 'User', name: 'carol', apiGroup: 'example.com' },
    { kind: 'Group', name: '' },
  ])), [
    'subjects[0].namespace: Required value',
    `subjects[1].name: Invalid value: "Robot_1": a lowercase RFC 1123 subdomain must consist of lower case alphanumeric characters, '-' or '.', and must start and end with an alphanumeric character (e.g. 'example.com', regex used for validation is '[a-z0-9]([-a-z0-9]*[a-z0-9])?(\\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*')`,
    'subjects[1].apiGroup: Unsupported value: "v1": supported values: ""',
    'subjects[2].kind: Unsupported value: "Robot": supported values: "ServiceAccount", "User", "Group"',
    'subjects[3].apiGroup: Unsupported value: "example.com": supported values: "rbac.authorization.k8s.io"',
    'subjects[4].name: Required value',
  ]);
});

t.test('roleRef cannot change; subjects can', async (t) => {
  for (const [s, kind] of [[roleBindingStrategy, 'Role'], [clusterRoleBindingStrategy, 'ClusterRole']] as const) {
    const old = binding({ kind, name: 'reader' }, [{ kind: 'User', name: 'alice' }]);
    s.defaults(old);
    const more = s.prepareForUpdate(binding({ kind, name: 'reader' }, [{ kind: 'User', name: 'alice' }, { kind: 'User', name: 'bob' }]), old);
    s.defaults(more);
    t.same(lines(s.validateUpdate(more, old)), [], `${kind}: another subject`);
    const other = s.prepareForUpdate(binding({ kind: 'ClusterRole', name: 'admin' }), old);
    s.defaults(other);
    t.same(lines(s.validateUpdate(other, old)), ['roleRef: Invalid value: rbac.RoleRef{APIGroup:"rbac.authorization.k8s.io", Kind:"ClusterRole", Name:"admin"}: cannot change roleRef'], `${kind}: another role`);
  }
});

t.test('the bootstrap policy passes validation', async (t) => {
  const all: [typeof roleStrategy, KubeObject[]][] = [
    [clusterRoleStrategy, bootstrapClusterRoles()],
    [clusterRoleBindingStrategy, bootstrapClusterRoleBindings()],
    [roleStrategy, bootstrapRoles()],
    [roleBindingStrategy, bootstrapRoleBindings()],
  ];
  for (const [s, objects] of all) for (const o of objects) t.same(check(s, structuredClone(o)), [], `${o.kind} ${o.metadata.name}`);
});
