// The RBAC authorizer's view of the cluster's policy (kube: the role and binding listers the RBAC authorizer reads):
// ClusterRoles by name, Roles by namespace and name, ClusterRoleBindings, and RoleBindings by namespace — kept from
// the store's caches, so each decision is a few map lookups.
import type { ClusterRole, Role, RoleBinding } from '../../../../api/types.js';
import type { ObjectCache } from '../../registry/cache.js';
import type { RBACSource } from './rules.js';

export class PolicyIndex implements RBACSource {
  private readonly roles = new Map<string, Map<string, Role>>();
  private readonly bindings = new Map<string, Map<string, RoleBinding>>();

  constructor(
    private readonly clusterRoles: ObjectCache<ClusterRole>,
    roles: ObjectCache<Role>,
    private readonly clusterBindings: ObjectCache<RoleBinding>,
    bindings: ObjectCache<RoleBinding>,
  ) {
    byNamespace(roles, this.roles);
    byNamespace(bindings, this.bindings);
  }

  clusterRole(name: string): ClusterRole | undefined {
    return this.clusterRoles.get(name);
  }

  role(namespace: string, name: string): Role | undefined {
    return this.roles.get(namespace)?.get(name);
  }

  clusterRoleBindings(): Iterable<RoleBinding> {
    return this.clusterBindings.list();
  }

  roleBindings(namespace: string): Iterable<RoleBinding> {
    return this.bindings.get(namespace)?.values() ?? [];
  }
}

/** Keeps `index` (namespace → name → object) in step with a namespaced cache. */
function byNamespace<T extends Role | RoleBinding>(cache: ObjectCache<T>, index: Map<string, Map<string, T>>): void {
  cache.addHandlers({
    onUpsert: (o) => {
      const ns = o.metadata.namespace ?? '';
      (index.get(ns) ?? index.set(ns, new Map()).get(ns)!).set(o.metadata.name!, o);
    },
    onDelete: (o) => {
      const ns = index.get(o.metadata.namespace ?? '');
      ns?.delete(o.metadata.name!);
      if (ns && !ns.size) index.delete(o.metadata.namespace ?? '');
    },
  });
}
