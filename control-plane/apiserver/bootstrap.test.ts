// The bootstrap RBAC policy on a new store: the aggregated roles (admin, edit, view) are created holding the rules
// they aggregate, through every level, so a binding to one grants at once; a stored aggregated role is left to the
// aggregation controller.
import t from 'tap';
import type { ClusterRole, PolicyRule } from '../../api/types.js';
import { SqliteStore } from '../storage/sqlite.js';
import { bootstrapClusterRoles } from './authorization/rbac/policy.js';
import { reconcilePolicy, settledAggregation } from './bootstrap.js';
import { findByPlural } from './registry/kinds.js';
import { GenericStore } from './registry/store.js';

const role = (name: string, labels: Record<string, string>, rules: PolicyRule[], picks?: string): ClusterRole => ({
  apiVersion: 'rbac.authorization.k8s.io/v1',
  kind: 'ClusterRole',
  metadata: { name, labels },
  rules,
  ...(picks ? { aggregationRule: { clusterRoleSelectors: [{ matchLabels: { [picks]: 'true' } }] } } : {}),
});
const read: PolicyRule = { apiGroups: [''], resources: ['pods'], verbs: ['get'] };
const write: PolicyRule = { apiGroups: [''], resources: ['pods'], verbs: ['create'] };
const own: PolicyRule = { apiGroups: [''], resources: ['secrets'], verbs: ['delete'] };

t.test('settledAggregation fills each aggregated role through every level, whatever the order', async (t) => {
  const roles = [
    role('top', {}, [], 'to-top'),
    role('middle', { 'to-top': 'true' }, [], 'to-middle'),
    role('bottom', { 'to-middle': 'true' }, [], 'to-bottom'),
    role('reads', { 'to-bottom': 'true' }, [read]),
    role('writes', { 'to-middle': 'true' }, [write]),
    role('owns', { 'to-top': 'true' }, [own]),
    role('unpicked', {}, [{ apiGroups: ['*'], resources: ['*'], verbs: ['*'] }]),
  ];
  const settled = new Map(settledAggregation(roles).map((r) => [r.metadata.name!, r.rules]));
  t.same(settled.get('bottom'), [read]);
  t.same(new Set(settled.get('middle')), new Set([read, write]), 'the level below, and its own picks');
  t.same(new Set(settled.get('top')), new Set([read, write, own]), 'two levels down');
  t.same(settled.get('reads'), [read], 'a role without an aggregationRule is as it was');
  t.same(roles[0].rules, [], 'the roles given are not changed');
});

t.test('a new store gets view, edit and admin with their rules; a stored one is not reconciled here', async (t) => {
  const storage = new SqliteStore(':memory:');
  t.teardown(() => storage.close());
  const store = new GenericStore(storage);
  const def = findByPlural('rbac.authorization.k8s.io', 'v1', 'clusterroles')!;
  const none = { clusterRoleBindings: [], roles: [], roleBindings: [] };
  await reconcilePolicy(store, { clusterRoles: bootstrapClusterRoles(), ...none });
  const rules = async (name: string) => ((await store.get(def, undefined, name)) as ClusterRole).rules ?? [];
  const grants = (rs: PolicyRule[], verb: string, resource: string) => rs.some((r) => r.verbs.includes(verb) && (r.resources ?? []).includes(resource));
  const [view, edit, admin] = [await rules('view'), await rules('edit'), await rules('admin')];
  t.ok(grants(view, 'list', 'configmaps'), 'view lists configmaps');
  t.notOk(grants(view, 'delete', 'configmaps'), 'view deletes nothing');
  t.ok(grants(edit, 'delete', 'configmaps') && grants(edit, 'list', 'configmaps'), 'edit holds its own rules and view\'s');
  t.ok(grants(admin, 'create', 'rolebindings') && grants(admin, 'delete', 'configmaps'), 'admin holds its own rules and edit\'s');

  // A stored aggregated role's rules belong to the aggregation controller: a restart does not rewrite them.
  await store.update(def, undefined, 'view', (cur) => ({ ...cur, rules: [read] }) as ClusterRole);
  await reconcilePolicy(store, { clusterRoles: bootstrapClusterRoles(), ...none });
  t.same(await rules('view'), [read]);
});
