// rbac.authorization.k8s.io/v1: Roles and ClusterRoles (sets of rules), and the bindings that grant them to users,
// groups and service accounts.
import { list, obj, pkg, ref, str, strings, typeMeta, type Definition } from './dsl.js';
import { meta } from './meta.js';

export const rbac = pkg('io.k8s.api.rbac.v1');

const gvk = (kind: string) => [{ group: 'rbac.authorization.k8s.io', version: 'v1', kind }];
const rules = (whose: string) => list(rbac('PolicyRule'), `The rules of this ${whose}: what may be done to which resources (or non-resource URLs).`, { listType: 'atomic' });
const subjects = list(rbac('Subject'), 'Who the role is granted to: users, groups and service accounts.', { listType: 'atomic' });

export const rbacDefinitions: Definition[] = [
  obj(rbac('PolicyRule'), 'What a rule allows: verbs on resources of API groups (optionally only the named objects), or verbs on non-resource URLs. It says nothing about whom it applies to.', {
    apiGroups: strings('API groups of the resources; "" is the core group and "*" every group. A rule on several groups allows its verbs on the listed resources in each.', { listType: 'atomic' }),
    nonResourceURLs: strings('Partial URLs the rule allows, such as /healthz or /api/*; "*" only as the full final segment. Only ClusterRoles bound by ClusterRoleBindings may carry them, and a rule names either resources or non-resource URLs, not both.', { listType: 'atomic' }),
    resourceNames: strings('Names of the objects the rule is limited to; empty means every object.', { listType: 'atomic' }),
    resources: strings('Resources the rule applies to, with subresources as "pods/log"; "*" means all.', { listType: 'atomic' }),
    verbs: strings('Verbs the rule allows on everything it names (get, list, watch, create, update, patch, delete, deletecollection, or others); "*" means all.', { listType: 'atomic' }),
  }, { required: ['verbs'] }),

  obj(rbac('Role'), 'A namespaced set of rules, granted as a unit by a RoleBinding.', {
    ...typeMeta(meta('ObjectMeta')),
    rules: rules('Role'),
  }, { gvk: gvk('Role') }),

  obj(rbac('AggregationRule'), 'How a ClusterRole\'s rules are built from other ClusterRoles.', {
    clusterRoleSelectors: list(meta('LabelSelector'), 'Selectors of the ClusterRoles whose rules are added; a ClusterRole matching any of them contributes.', { listType: 'atomic' }),
  }),

  obj(rbac('ClusterRole'), 'A cluster-wide set of rules, granted as a unit by a RoleBinding (in one namespace) or a ClusterRoleBinding (everywhere).', {
    aggregationRule: ref(rbac('AggregationRule'), 'When set, the rules are computed by the controller from the selected ClusterRoles, and edits to rules are overwritten.'),
    ...typeMeta(meta('ObjectMeta')),
    rules: rules('ClusterRole'),
  }, { gvk: gvk('ClusterRole') }),

  obj(rbac('RoleRef'), 'The role a binding grants.', {
    apiGroup: str('API group of the role: rbac.authorization.k8s.io.'),
    kind: str('Role or ClusterRole.'),
    name: str('Name of the role.'),
  }, { required: ['apiGroup', 'kind', 'name'], mapType: 'atomic' }),

  obj(rbac('Subject'), 'Who a binding grants its role to: a user or group name, or a service account.', {
    apiGroup: str('API group of the subject: rbac.authorization.k8s.io for User and Group (the default), "" for ServiceAccount.'),
    kind: str('User, Group or ServiceAccount.'),
    name: str('Name of the user, group or service account.'),
    namespace: str('Namespace of the service account; required for service accounts in ClusterRoleBindings, empty for users and groups.'),
  }, { required: ['kind', 'name'], mapType: 'atomic' }),

  obj(rbac('RoleBinding'), 'Grants a Role of its namespace, or a ClusterRole, to subjects within the binding\'s namespace.', {
    ...typeMeta(meta('ObjectMeta')),
    roleRef: ref(rbac('RoleRef'), 'The Role in this namespace or the ClusterRole granted. It cannot be changed once set: delete and recreate the binding instead.', { default: {} }),
    subjects,
  }, { required: ['roleRef'], gvk: gvk('RoleBinding') }),

  obj(rbac('ClusterRoleBinding'), 'Grants a ClusterRole to subjects across the whole cluster.', {
    ...typeMeta(meta('ObjectMeta')),
    roleRef: ref(rbac('RoleRef'), 'The ClusterRole granted. It cannot be changed once set: delete and recreate the binding instead.', { default: {} }),
    subjects,
  }, { required: ['roleRef'], gvk: gvk('ClusterRoleBinding') }),
];
