// Roles, ClusterRoles, RoleBindings and ClusterRoleBindings in the store (kube: pkg/registry/rbac/{role,clusterrole,
// rolebinding,clusterrolebinding}/strategy.go): no status and no generation, names that only have to be path segments
// (the bootstrap roles are named system:…), the bindings' defaulting, and each kind's validation.
import * as defaults from '../defaults.js';
import { strategy, type Strategy } from '../strategy.js';
import { pathSegmentNameErrors } from '../validation.js';
import * as validation from './validation.js';

const rbacName = (name: string) => pathSegmentNameErrors('metadata.name', name);

export const roleStrategy: Strategy = strategy({ tracksGeneration: false, validate: validation.role, validateName: rbacName });
export const clusterRoleStrategy: Strategy = strategy({ tracksGeneration: false, validate: validation.clusterRole, validateName: rbacName });
export const roleBindingStrategy: Strategy = strategy({ tracksGeneration: false, defaults: defaults.roleBinding, validate: validation.roleBinding, validateName: rbacName });
export const clusterRoleBindingStrategy: Strategy = strategy({ tracksGeneration: false, defaults: defaults.roleBinding, validate: validation.clusterRoleBinding, validateName: rbacName });
