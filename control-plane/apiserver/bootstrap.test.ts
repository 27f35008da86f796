// The bootstrap RBAC policy on a new store: the aggregated roles (admin, edit, view) are created holding the rules
// they aggregate, through every level, so a binding to one grants at once; a stored aggregated role is left to the
// aggregation controller.
import t from 'tap';
import type { ClusterRole, PolicyRule } from '../../api/types.js';
import { SqliteStore } from '../storage/sqlite.js';
import { bootstrapClusterRoles } from './authorization/rbac/policy.js';
import { reconcilePolicy } from './bootstrap.js';
import { findByPlural } from './registry/kinds.js';
import { GenericStore } from './registry/store.js';

const read: PolicyRule = { apiGroups: [''], resources: ['pods'], verbs: ['get'] };

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
