// The bootstrap RBAC policy kube-apiserver creates at start-up (plugin/pkg/auth/authorizer/rbac/bootstrappolicy):
// the user-facing roles (cluster-admin, admin/edit/view built by aggregation), the system:* roles of every component,
// one system:controller:* role per controller (for controllers running with their own service accounts), and the
// bindings that give them to the components' identities. Manifests written for Kubernetes rely on these names.
import { JOIN_GROUP } from '../../../../api/bootstraptoken.js';
import { POD_NETWORK_CONFIGMAP } from '../../../../api/podnetwork.js';
import type { ClusterRole, ClusterRoleBinding, PolicyRule, Role, RoleBinding, Subject } from '../../../../api/types.js';

const RW = ['get', 'list', 'watch', 'create', 'update', 'patch', 'delete', 'deletecollection'];
const READ = ['get', 'list', 'watch'];
const WRITE = ['create', 'delete', 'deletecollection', 'patch', 'update'];

/** A rule on resources of API groups; `[group, ...]` then resources then verbs, optional resourceNames. */
const rule = (groups: string[], resources: string[], verbs: string[], resourceNames?: string[]): PolicyRule => ({
  apiGroups: groups,
  resources,
  verbs,
  ...(resourceNames ? { resourceNames } : {}),
});
const urls = (nonResourceURLs: string[], verbs = ['get']): PolicyRule => ({ nonResourceURLs, verbs });
const events = rule(['', 'events.k8s.io'], ['events'], ['create', 'patch', 'update']);

const BOOTSTRAP_LABEL = { 'kubernetes.io/bootstrapping': 'rbac-defaults' };
const AUTOUPDATE = { 'rbac.authorization.kubernetes.io/autoupdate': 'true' };

function clusterRole(name: string, rules: PolicyRule[], labels: Record<string, string> = {}): ClusterRole {
  return { apiVersion: 'rbac.authorization.k8s.io/v1', kind: 'ClusterRole', metadata: { name, labels: { ...BOOTSTRAP_LABEL, ...labels }, annotations: { ...AUTOUPDATE } }, rules };
}

function aggregated(name: string, selectorLabel: string, labels: Record<string, string> = {}): ClusterRole {
  return { ...clusterRole(name, [], labels), aggregationRule: { clusterRoleSelectors: [{ matchLabels: { [selectorLabel]: 'true' } }] } };
}

export const user = (name: string): Subject => ({ kind: 'User', apiGroup: 'rbac.authorization.k8s.io', name });
export const group = (name: string): Subject => ({ kind: 'Group', apiGroup: 'rbac.authorization.k8s.io', name });
export const serviceAccount = (namespace: string, name: string): Subject => ({ kind: 'ServiceAccount', name, namespace });

function clusterBinding(name: string, role: string, subjects: Subject[]): ClusterRoleBinding {
  return {
    apiVersion: 'rbac.authorization.k8s.io/v1',
    kind: 'ClusterRoleBinding',
    metadata: { name, labels: { ...BOOTSTRAP_LABEL }, annotations: { ...AUTOUPDATE } },
    roleRef: { apiGroup: 'rbac.authorization.k8s.io', kind: 'ClusterRole', name: role },
    subjects,
  };
}

const TO_ADMIN = 'rbac.authorization.k8s.io/aggregate-to-admin';
const TO_EDIT = 'rbac.authorization.k8s.io/aggregate-to-edit';
const TO_VIEW = 'rbac.authorization.k8s.io/aggregate-to-view';

/** The role of the agent's NetworkPolicy enforcement, bound to group system:nodes. */
export const NETWORK_POLICY_AGENT_ROLE = 'system:kubets:network-policy-agent';

/** The component and user-facing roles (bootstrappolicy.ClusterRoles()). */
function systemRoles(): ClusterRole[] {
  return [
    clusterRole('cluster-admin', [rule(['*'], ['*'], ['*']), urls(['*'], ['*'])]),
    aggregated('admin', TO_ADMIN),
    aggregated('edit', TO_EDIT, { [TO_ADMIN]: 'true' }),
    aggregated('view', TO_VIEW, { [TO_EDIT]: 'true' }),
    clusterRole('system:aggregate-to-admin', [rule(['authorization.k8s.io'], ['localsubjectaccessreviews'], ['create']), rule(['rbac.authorization.k8s.io'], ['rolebindings', 'roles'], RW)], { [TO_ADMIN]: 'true' }),
    clusterRole(
      'system:aggregate-to-edit',
      [
        rule([''], ['pods/attach', 'pods/exec', 'pods/portforward', 'pods/proxy', 'secrets', 'services/proxy'], READ),
        rule([''], ['serviceaccounts'], ['impersonate']),
        rule([''], ['pods', 'pods/attach', 'pods/exec', 'pods/portforward', 'pods/proxy'], WRITE),
        rule([''], ['pods/eviction'], ['create']),
        rule([''], ['configmaps', 'events', 'persistentvolumeclaims', 'replicationcontrollers', 'replicationcontrollers/scale', 'secrets', 'serviceaccounts', 'services', 'services/proxy'], WRITE),
        rule([''], ['serviceaccounts/token'], ['create']),
        rule(['apps'], ['daemonsets', 'deployments', 'deployments/rollback', 'deployments/scale', 'replicasets', 'replicasets/scale', 'statefulsets', 'statefulsets/scale'], WRITE),
        rule(['autoscaling'], ['horizontalpodautoscalers'], WRITE),
        rule(['batch'], ['cronjobs', 'jobs'], WRITE),
        rule(['extensions'], ['daemonsets', 'deployments', 'deployments/rollback', 'deployments/scale', 'ingresses', 'networkpolicies', 'replicasets', 'replicasets/scale', 'replicationcontrollers/scale'], WRITE),
        rule(['policy'], ['poddisruptionbudgets'], WRITE),
        rule(['networking.k8s.io'], ['ingresses', 'networkpolicies'], WRITE),
        rule(['coordination.k8s.io'], ['leases'], RW),
      ],
      { [TO_EDIT]: 'true' },
    ),
    clusterRole(
      'system:aggregate-to-view',
      [
        rule([''], ['configmaps', 'endpoints', 'persistentvolumeclaims', 'persistentvolumeclaims/status', 'pods', 'replicationcontrollers', 'replicationcontrollers/scale', 'serviceaccounts', 'services', 'services/status'], READ),
        rule([''], ['bindings', 'events', 'limitranges', 'namespaces/status', 'pods/log', 'pods/status', 'replicationcontrollers/status', 'resourcequotas', 'resourcequotas/status'], READ),
        rule([''], ['namespaces'], READ),
        rule(['discovery.k8s.io'], ['endpointslices'], READ),
        rule(['apps'], ['controllerrevisions', 'daemonsets', 'daemonsets/status', 'deployments', 'deployments/scale', 'deployments/status', 'replicasets', 'replicasets/scale', 'replicasets/status', 'statefulsets', 'statefulsets/scale', 'statefulsets/status'], READ),
        rule(['autoscaling'], ['horizontalpodautoscalers', 'horizontalpodautoscalers/status'], READ),
        rule(['batch'], ['cronjobs', 'cronjobs/status', 'jobs', 'jobs/status'], READ),
        rule(['extensions'], ['daemonsets', 'daemonsets/status', 'deployments', 'deployments/scale', 'deployments/status', 'ingresses', 'ingresses/status', 'networkpolicies', 'replicasets', 'replicasets/scale', 'replicasets/status', 'replicationcontrollers/scale'], READ),
        rule(['policy'], ['poddisruptionbudgets', 'poddisruptionbudgets/status'], READ),
        rule(['networking.k8s.io'], ['ingresses', 'ingresses/status', 'networkpolicies'], READ),
      ],
      { [TO_VIEW]: 'true' },
    ),
    clusterRole('system:auth-delegator', [rule(['authentication.k8s.io'], ['tokenreviews'], ['create']), rule(['authorization.k8s.io'], ['subjectaccessreviews'], ['create'])]),
    clusterRole('system:basic-user', [rule(['authorization.k8s.io'], ['selfsubjectaccessreviews', 'selfsubjectrulesreviews'], ['create']), rule(['authentication.k8s.io'], ['selfsubjectreviews'], ['create'])]),
    clusterRole('system:certificates.k8s.io:certificatesigningrequests:nodeclient', [rule(['certificates.k8s.io'], ['certificatesigningrequests/nodeclient'], ['create'])]),
    clusterRole('system:certificates.k8s.io:certificatesigningrequests:selfnodeclient', [rule(['certificates.k8s.io'], ['certificatesigningrequests/selfnodeclient'], ['create'])]),
    clusterRole('system:certificates.k8s.io:kube-apiserver-client-approver', [rule(['certificates.k8s.io'], ['signers'], ['approve'], ['kubernetes.io/kube-apiserver-client'])]),
    clusterRole('system:certificates.k8s.io:kube-apiserver-client-kubelet-approver', [rule(['certificates.k8s.io'], ['signers'], ['approve'], ['kubernetes.io/kube-apiserver-client-kubelet'])]),
    clusterRole('system:certificates.k8s.io:kubelet-serving-approver', [rule(['certificates.k8s.io'], ['signers'], ['approve'], ['kubernetes.io/kubelet-serving'])]),
    clusterRole('system:certificates.k8s.io:legacy-unknown-approver', [rule(['certificates.k8s.io'], ['signers'], ['approve'], ['kubernetes.io/legacy-unknown'])]),
    clusterRole('system:discovery', [urls(['/api', '/api/*', '/apis', '/apis/*', '/healthz', '/livez', '/openapi', '/openapi/*', '/readyz', '/version', '/version/'])]),
    clusterRole('system:heapster', [rule([''], ['events', 'namespaces', 'nodes', 'pods'], READ), rule(['extensions'], ['deployments'], READ)]),
    clusterRole('system:kube-aggregator', [rule([''], ['endpoints', 'services'], READ)]),
    clusterRole('system:kube-controller-manager', [
      events,
      rule(['coordination.k8s.io'], ['leases'], ['create']),
      rule(['coordination.k8s.io'], ['leases'], ['get', 'update'], ['kube-controller-manager']),
      rule([''], ['secrets', 'serviceaccounts'], ['create']),
      rule([''], ['secrets'], ['delete']),
      rule([''], ['configmaps', 'namespaces', 'secrets', 'serviceaccounts'], ['get']),
      rule([''], ['secrets', 'serviceaccounts'], ['update']),
      rule(['authentication.k8s.io'], ['tokenreviews'], ['create']),
      rule(['authorization.k8s.io'], ['subjectaccessreviews'], ['create']),
      rule(['*'], ['*'], ['list', 'watch']),
      rule([''], ['serviceaccounts/token'], ['create']),
    ]),
    clusterRole('system:kube-dns', [rule([''], ['endpoints', 'services'], ['list', 'watch'])]),
    clusterRole('system:kube-scheduler', [
      events,
      rule(['coordination.k8s.io'], ['leases'], ['create']),
      rule(['coordination.k8s.io'], ['leases'], ['get', 'update'], ['kube-scheduler']),
      rule([''], ['nodes'], READ),
      rule([''], ['pods'], ['delete', 'get', 'list', 'watch']),
      rule([''], ['bindings', 'pods/binding'], ['create']),
      rule([''], ['pods/status'], ['patch', 'update']),
      rule([''], ['replicationcontrollers', 'services'], READ),
      rule(['apps', 'extensions'], ['replicasets'], READ),
      rule(['apps'], ['statefulsets'], READ),
      rule(['policy'], ['poddisruptionbudgets'], READ),
      rule([''], ['persistentvolumeclaims', 'persistentvolumes'], READ),
      rule(['authentication.k8s.io'], ['tokenreviews'], ['create']),
      rule(['authorization.k8s.io'], ['subjectaccessreviews'], ['create']),
      rule(['storage.k8s.io'], ['csinodes'], READ),
      rule([''], ['namespaces'], READ),
      rule(['storage.k8s.io'], ['csidrivers'], READ),
      rule(['storage.k8s.io'], ['csistoragecapacities'], READ),
    ]),
    clusterRole('system:kubelet-api-admin', [rule([''], ['nodes'], READ), rule([''], ['nodes'], ['proxy']), rule([''], ['nodes/log', 'nodes/metrics', 'nodes/proxy', 'nodes/stats'], ['*'])]),
    clusterRole('system:monitoring', [urls(['/healthz', '/healthz/*', '/livez', '/livez/*', '/metrics', '/metrics/slis', '/readyz', '/readyz/*'])]),
    clusterRole('system:node', [
      rule(['authentication.k8s.io'], ['tokenreviews'], ['create']),
      rule(['authorization.k8s.io'], ['localsubjectaccessreviews', 'subjectaccessreviews'], ['create']),
      rule([''], ['services'], READ),
      rule([''], ['nodes'], ['create', 'get', 'list', 'watch']),
      rule([''], ['nodes/status'], ['patch', 'update']),
      rule([''], ['nodes'], ['patch', 'update']),
      rule([''], ['events'], ['create', 'patch', 'update']),
      rule([''], ['pods'], READ),
      rule([''], ['pods'], ['create', 'delete']),
      rule([''], ['pods/status'], ['patch', 'update']),
      rule([''], ['pods/eviction'], ['create']),
      rule([''], ['configmaps', 'secrets'], READ),
      rule([''], ['persistentvolumeclaims', 'persistentvolumes'], ['get']),
      rule([''], ['endpoints'], ['get']),
      rule(['certificates.k8s.io'], ['certificatesigningrequests'], ['create', 'get', 'list', 'watch']),
      rule(['coordination.k8s.io'], ['leases'], ['create', 'delete', 'get', 'patch', 'update']),
      rule(['storage.k8s.io'], ['volumeattachments'], ['get']),
      rule([''], ['serviceaccounts/token'], ['create']),
      rule([''], ['persistentvolumeclaims/status'], ['get', 'patch', 'update']),
      rule(['storage.k8s.io'], ['csidrivers'], READ),
      rule(['storage.k8s.io'], ['csinodes'], ['create', 'delete', 'get', 'patch', 'update']),
      rule(['node.k8s.io'], ['runtimeclasses'], READ),
    ]),
    clusterRole('system:node-bootstrapper', [rule(['certificates.k8s.io'], ['certificatesigningrequests'], ['create', 'get', 'list', 'watch'])]),
    clusterRole('system:node-problem-detector', [rule([''], ['nodes'], ['get']), rule([''], ['nodes/status'], ['patch']), events]),
    clusterRole('system:node-proxier', [rule([''], ['endpoints', 'services'], ['list', 'watch']), rule([''], ['nodes'], READ), events, rule(['discovery.k8s.io'], ['endpointslices'], ['list', 'watch'])]),
    clusterRole('system:persistent-volume-provisioner', [
      rule([''], ['persistentvolumes'], ['create', 'delete', 'get', 'list', 'watch']),
      rule([''], ['persistentvolumeclaims'], ['get', 'list', 'update', 'watch']),
      rule(['storage.k8s.io'], ['storageclasses'], READ),
      rule([''], ['events'], ['watch']),
      events,
    ]),
    clusterRole('system:public-info-viewer', [urls(['/healthz', '/livez', '/readyz', '/version', '/version/'])]),
    clusterRole('system:service-account-issuer-discovery', [urls(['/.well-known/openid-configuration', '/openid/v1/jwks'])]),
    // kubets's own: what every node's network policy agent watches (the NetworkPolicies and the namespaces and pods
    // their selectors pick), bound to all nodes below: nodes see every pod already, namespaces and policies through this.
    clusterRole(NETWORK_POLICY_AGENT_ROLE, [rule(['networking.k8s.io'], ['networkpolicies'], ['list', 'watch']), rule([''], ['namespaces', 'pods'], ['list', 'watch'])]),
    clusterRole('system:volume-scheduler', [rule([''], ['persistentvolumes'], ['get', 'list', 'patch', 'update', 'watch']), rule(['storage.k8s.io'], ['storageclasses'], READ), rule([''], ['persistentvolumeclaims'], ['get', 'list', 'patch', 'update', 'watch'])]),
  ];
}

/** One role per controller kubets runs (bootstrappolicy.ControllerRoles()), named system:controller:<name>. */
const controllerRules: Record<string, PolicyRule[]> = {
  'certificate-controller': [
    rule(['certificates.k8s.io'], ['certificatesigningrequests'], ['delete', 'get', 'list', 'watch']),
    rule(['certificates.k8s.io'], ['certificatesigningrequests/approval', 'certificatesigningrequests/status'], ['update']),
    rule(['certificates.k8s.io'], ['signers'], ['approve'], ['kubernetes.io/kube-apiserver-client-kubelet']),
    rule(['certificates.k8s.io'], ['signers'], ['sign'], ['kubernetes.io/kube-apiserver-client', 'kubernetes.io/kube-apiserver-client-kubelet', 'kubernetes.io/kubelet-serving', 'kubernetes.io/legacy-unknown']),
    rule(['authorization.k8s.io'], ['subjectaccessreviews'], ['create']),
    events,
  ],
  'clusterrole-aggregation-controller': [rule(['rbac.authorization.k8s.io'], ['clusterroles'], ['escalate', 'get', 'list', 'patch', 'update', 'watch'])],
  'cronjob-controller': [
    rule(['batch'], ['cronjobs'], ['get', 'list', 'update', 'watch']),
    rule(['batch'], ['jobs'], ['create', 'delete', 'get', 'list', 'patch', 'update', 'watch']),
    rule(['batch'], ['cronjobs/status'], ['update']),
    rule(['batch'], ['cronjobs/finalizers'], ['update']),
    rule([''], ['pods'], ['delete', 'list', 'watch']),
    events,
  ],
  'daemon-set-controller': [
    rule(['apps', 'extensions'], ['daemonsets'], READ),
    rule(['apps', 'extensions'], ['daemonsets/status'], ['update']),
    rule(['apps', 'extensions'], ['daemonsets/finalizers'], ['update']),
    rule([''], ['nodes'], ['list', 'watch']),
    rule([''], ['pods'], ['create', 'delete', 'list', 'patch', 'watch']),
    rule([''], ['pods/binding'], ['create']),
    rule(['apps'], ['controllerrevisions'], ['create', 'delete', 'get', 'list', 'patch', 'update', 'watch']),
    events,
  ],
  'deployment-controller': [
    rule(['apps', 'extensions'], ['deployments'], ['get', 'list', 'update', 'watch']),
    rule(['apps', 'extensions'], ['deployments/status'], ['update']),
    rule(['apps', 'extensions'], ['deployments/finalizers'], ['update']),
    rule(['apps', 'extensions'], ['replicasets'], ['create', 'delete', 'get', 'list', 'patch', 'update', 'watch']),
    rule([''], ['pods'], ['get', 'list', 'update', 'watch']),
    events,
  ],
  'disruption-controller': [
    rule(['apps', 'extensions'], ['deployments'], READ),
    rule(['apps', 'extensions'], ['replicasets'], READ),
    rule([''], ['replicationcontrollers'], READ),
    rule(['policy'], ['poddisruptionbudgets'], READ),
    rule(['apps'], ['statefulsets'], READ),
    rule(['policy'], ['poddisruptionbudgets/status'], ['update']),
    rule([''], ['pods/status'], ['patch', 'update']),
    rule(['*'], ['*/scale'], ['get']),
    events,
  ],
  'endpoint-controller': [
    rule([''], ['pods', 'services'], READ),
    rule([''], ['endpoints'], ['create', 'delete', 'get', 'list', 'update', 'watch']),
    rule([''], ['endpoints/restricted'], ['create']),
    events,
  ],
  'endpointslice-controller': [
    rule([''], ['nodes', 'pods', 'services'], READ),
    rule([''], ['services/finalizers'], ['update']),
    rule(['discovery.k8s.io'], ['endpointslices'], ['create', 'delete', 'get', 'list', 'update', 'watch']),
    events,
  ],
  'generic-garbage-collector': [rule(['*'], ['*'], ['delete', 'get', 'list', 'patch', 'update', 'watch']), events],
  'horizontal-pod-autoscaler': [
    rule(['autoscaling'], ['horizontalpodautoscalers'], READ),
    rule(['autoscaling'], ['horizontalpodautoscalers/status'], ['update']),
    rule(['*'], ['*/scale'], ['get', 'update']),
    rule([''], ['pods'], ['list', 'watch']),
    rule(['metrics.k8s.io'], ['pods'], ['list', 'watch']),
    rule(['custom.metrics.k8s.io'], ['*'], READ),
    rule(['external.metrics.k8s.io'], ['*'], READ),
    events,
  ],
  'job-controller': [
    rule(['batch'], ['jobs'], ['get', 'list', 'patch', 'update', 'watch']),
    rule(['batch'], ['jobs/status'], ['update']),
    rule(['batch'], ['jobs/finalizers'], ['update']),
    rule([''], ['pods'], ['create', 'delete', 'list', 'patch', 'watch']),
    events,
  ],
  'namespace-controller': [
    rule([''], ['namespaces'], ['delete', 'get', 'list', 'watch']),
    rule([''], ['namespaces/finalize', 'namespaces/status'], ['update']),
    rule(['*'], ['*'], ['delete', 'deletecollection', 'get', 'list', 'watch']),
  ],
  'node-controller': [
    rule([''], ['nodes'], ['delete', 'get', 'list', 'patch', 'update', 'watch']),
    rule([''], ['nodes/status'], ['patch', 'update']),
    rule([''], ['pods/status'], ['patch', 'update']),
    rule([''], ['pods'], ['delete', 'get', 'list', 'watch']),
    events,
  ],
  'persistent-volume-binder': [
    rule([''], ['persistentvolumes'], ['create', 'delete', 'get', 'list', 'update', 'watch']),
    rule([''], ['persistentvolumes/status'], ['update']),
    rule([''], ['persistentvolumeclaims'], ['get', 'list', 'update', 'watch']),
    rule([''], ['persistentvolumeclaims/status'], ['update']),
    rule([''], ['pods'], ['create', 'delete', 'get', 'list', 'watch']),
    rule(['storage.k8s.io'], ['storageclasses'], READ),
    rule([''], ['nodes'], ['list', 'watch']),
    events,
    rule([''], ['events'], ['watch']),
  ],
  'pod-garbage-collector': [rule([''], ['pods'], ['delete', 'list', 'watch']), rule([''], ['nodes'], READ), rule([''], ['pods/status'], ['patch'])],
  'replicaset-controller': [
    rule(['apps', 'extensions'], ['replicasets'], ['get', 'list', 'update', 'watch']),
    rule(['apps', 'extensions'], ['replicasets/status'], ['update']),
    rule(['apps', 'extensions'], ['replicasets/finalizers'], ['update']),
    rule([''], ['pods'], ['create', 'delete', 'list', 'patch', 'watch']),
    events,
  ],
  'replication-controller': [
    rule([''], ['replicationcontrollers'], ['get', 'list', 'update', 'watch']),
    rule([''], ['replicationcontrollers/status'], ['update']),
    rule([''], ['replicationcontrollers/finalizers'], ['update']),
    rule([''], ['pods'], ['create', 'delete', 'list', 'patch', 'watch']),
    events,
  ],
  'resourcequota-controller': [rule(['*'], ['*'], ['list', 'watch']), rule([''], ['resourcequotas/status'], ['update']), events],
  'root-ca-cert-publisher': [rule([''], ['configmaps'], ['create', 'update']), events],
  'service-account-controller': [rule([''], ['serviceaccounts'], ['create']), events],
  'statefulset-controller': [
    rule([''], ['pods'], ['list', 'watch']),
    rule(['apps'], ['statefulsets'], READ),
    rule(['apps'], ['statefulsets/status'], ['update']),
    rule(['apps'], ['statefulsets/finalizers'], ['update']),
    rule([''], ['pods'], ['create', 'delete', 'get', 'patch', 'update']),
    rule(['apps'], ['controllerrevisions'], ['create', 'delete', 'get', 'list', 'patch', 'update', 'watch']),
    rule([''], ['persistentvolumeclaims'], ['create', 'get', 'list', 'watch']),
    rule([''], ['persistentvolumeclaims'], ['delete', 'update']),
    rule([''], ['pods/finalizers'], ['update']),
    events,
  ],
  'ttl-after-finished-controller': [rule(['batch'], ['jobs'], ['delete', 'get', 'list', 'watch']), events],
};

/** The service account a controller runs as, in kube-system (--use-service-account-credentials). */
export const CONTROLLER_NAMES = Object.keys(controllerRules);

export function bootstrapClusterRoles(): ClusterRole[] {
  return [...systemRoles(), ...Object.entries(controllerRules).map(([name, rules]) => clusterRole(`system:controller:${name}`, rules))];
}

export function bootstrapClusterRoleBindings(): ClusterRoleBinding[] {
  const authenticated = group('system:authenticated');
  return [
    clusterBinding('cluster-admin', 'cluster-admin', [group('system:masters')]),
    clusterBinding('system:basic-user', 'system:basic-user', [authenticated]),
    clusterBinding('system:discovery', 'system:discovery', [authenticated]),
    clusterBinding('system:public-info-viewer', 'system:public-info-viewer', [authenticated, group('system:unauthenticated')]),
    clusterBinding('system:kube-controller-manager', 'system:kube-controller-manager', [user('system:kube-controller-manager')]),
    clusterBinding('system:kube-dns', 'system:kube-dns', [serviceAccount('kube-system', 'kube-dns')]),
    clusterBinding('system:kube-scheduler', 'system:kube-scheduler', [user('system:kube-scheduler')]),
    clusterBinding('system:volume-scheduler', 'system:volume-scheduler', [user('system:kube-scheduler')]),
    clusterBinding('system:monitoring', 'system:monitoring', [group('system:monitoring')]),
    // No subjects: nodes are authorized by the Node authorizer (kube-apiserver keeps the binding empty).
    clusterBinding('system:node', 'system:node', []),
    clusterBinding('system:node-proxier', 'system:node-proxier', [user('system:kube-proxy')]),
    clusterBinding(NETWORK_POLICY_AGENT_ROLE, NETWORK_POLICY_AGENT_ROLE, [group('system:nodes')]),
    // kubets's own: every node agent runs the local-path provisioner for the claims selected to its node.
    clusterBinding('kubets:local-path-provisioner', 'system:persistent-volume-provisioner', [group('system:nodes')]),
    clusterBinding('system:service-account-issuer-discovery', 'system:service-account-issuer-discovery', [group('system:serviceaccounts')]),
    ...CONTROLLER_NAMES.map((name) => clusterBinding(`system:controller:${name}`, `system:controller:${name}`, [serviceAccount('kube-system', name)])),
  ];
}

/** Namespaced bootstrap roles (bootstrappolicy.NamespaceRoles()): bootstrap signing, token cleaning, leader locks. */
export function bootstrapRoles(): Role[] {
  const role = (namespace: string, name: string, rules: PolicyRule[]): Role => ({
    apiVersion: 'rbac.authorization.k8s.io/v1',
    kind: 'Role',
    metadata: { name, namespace, labels: { ...BOOTSTRAP_LABEL }, annotations: { ...AUTOUPDATE } },
    rules,
  });
  return [
    role('kube-public', 'system:controller:bootstrap-signer', [rule([''], ['configmaps'], READ), rule([''], ['configmaps'], ['update'], ['cluster-info']), events]),
    role('kube-system', 'system:controller:bootstrap-signer', [rule([''], ['secrets'], READ)]),
    role('kube-system', 'system:controller:token-cleaner', [rule([''], ['secrets'], ['delete', 'get', 'list', 'watch']), events]),
    role('kube-system', 'extension-apiserver-authentication-reader', [rule([''], ['configmaps'], READ, ['extension-apiserver-authentication'])]),
    role('kube-system', 'system::leader-locking-kube-controller-manager', [rule([''], ['configmaps'], ['watch']), rule([''], ['configmaps'], ['get', 'update'], ['kube-controller-manager'])]),
    role('kube-system', 'system::leader-locking-kube-scheduler', [rule([''], ['configmaps'], ['watch']), rule([''], ['configmaps'], ['get', 'update'], ['kube-scheduler'])]),
  ];
}

export function bootstrapRoleBindings(): RoleBinding[] {
  const binding = (namespace: string, name: string, subjects: Subject[], role = name): RoleBinding => ({
    apiVersion: 'rbac.authorization.k8s.io/v1',
    kind: 'RoleBinding',
    metadata: { name, namespace, labels: { ...BOOTSTRAP_LABEL }, annotations: { ...AUTOUPDATE } },
    roleRef: { apiGroup: 'rbac.authorization.k8s.io', kind: 'Role', name: role },
    subjects,
  });
  return [
    binding('kube-public', 'system:controller:bootstrap-signer', [serviceAccount('kube-system', 'bootstrap-signer')]),
    binding('kube-system', 'system:controller:bootstrap-signer', [serviceAccount('kube-system', 'bootstrap-signer')]),
    binding('kube-system', 'system:controller:token-cleaner', [serviceAccount('kube-system', 'token-cleaner')]),
    binding('kube-system', 'system::leader-locking-kube-controller-manager', [user('system:kube-controller-manager'), serviceAccount('kube-system', 'kube-controller-manager')]),
    binding('kube-system', 'system::leader-locking-kube-scheduler', [user('system:kube-scheduler'), serviceAccount('kube-system', 'kube-scheduler')]),
    binding('kube-system', 'system::extension-apiserver-authentication-reader', [user('system:kube-controller-manager'), user('system:kube-scheduler')], 'extension-apiserver-authentication-reader'),
  ];
}


/**
 * What joining nodes need, as kubeadm init sets it up: bootstrap tokens may post CSRs for node client certificates
 * (auto-approved), nodes may renew their own, anyone may read kube-public/cluster-info (kubeadm's discovery), nodes
 * may read the cluster's pod network (as kubeadm lets them read kubelet-config), and kube-proxy's service account has
 * system:node-proxier.
 */
export function joinPolicy(): { clusterRoleBindings: ClusterRoleBinding[]; roles: Role[]; roleBindings: RoleBinding[] } {
  const binding = (name: string, role: string, subjects: Subject[]) => ({ ...clusterBinding(name, role, subjects), metadata: { name } });
  return {
    clusterRoleBindings: [
      binding('kubets:kubelet-bootstrap', 'system:node-bootstrapper', [group(JOIN_GROUP)]),
      binding('kubets:node-autoapprove-bootstrap', 'system:certificates.k8s.io:certificatesigningrequests:nodeclient', [group(JOIN_GROUP)]),
      binding('kubets:node-autoapprove-certificate-rotation', 'system:certificates.k8s.io:certificatesigningrequests:selfnodeclient', [group('system:nodes')]),
      binding('kubets:node-proxier', 'system:node-proxier', [serviceAccount('kube-system', 'kube-proxy')]),
    ],
    roles: [
      {
        apiVersion: 'rbac.authorization.k8s.io/v1',
        kind: 'Role',
        metadata: { name: 'kubets:bootstrap-signer-clusterinfo', namespace: 'kube-public' },
        rules: [rule([''], ['configmaps'], ['get'], ['cluster-info'])],
      },
      {
        apiVersion: 'rbac.authorization.k8s.io/v1',
        kind: 'Role',
        metadata: { name: 'kubets:pod-network-reader', namespace: POD_NETWORK_CONFIGMAP.namespace },
        rules: [rule([''], ['configmaps'], ['get'], [POD_NETWORK_CONFIGMAP.name])],
      },
    ],
    roleBindings: [
      {
        apiVersion: 'rbac.authorization.k8s.io/v1',
        kind: 'RoleBinding',
        metadata: { name: 'kubets:bootstrap-signer-clusterinfo', namespace: 'kube-public' },
        roleRef: { apiGroup: 'rbac.authorization.k8s.io', kind: 'Role', name: 'kubets:bootstrap-signer-clusterinfo' },
        subjects: [user('system:anonymous')],
      },
      {
        apiVersion: 'rbac.authorization.k8s.io/v1',
        kind: 'RoleBinding',
        metadata: { name: 'kubets:pod-network-reader', namespace: POD_NETWORK_CONFIGMAP.namespace },
        roleRef: { apiGroup: 'rbac.authorization.k8s.io', kind: 'Role', name: 'kubets:pod-network-reader' },
        subjects: [group('system:nodes')],
      },
    ],
  };
}
