// Where each kind lives in the REST API. Clients build URLs from these; the API server serves the same table.
export interface ResourceRef {
  group: string;
  version: string;
  plural: string;
  kind: string;
  namespaced: boolean;
}

const r = (group: string, version: string, plural: string, kind: string, namespaced: boolean): ResourceRef => ({ group, version, plural, kind, namespaced });

export const Resources = {
  namespaces: r('', 'v1', 'namespaces', 'Namespace', false),
  nodes: r('', 'v1', 'nodes', 'Node', false),
  pods: r('', 'v1', 'pods', 'Pod', true),
  services: r('', 'v1', 'services', 'Service', true),
  endpoints: r('', 'v1', 'endpoints', 'Endpoints', true),
  events: r('', 'v1', 'events', 'Event', true),
  configmaps: r('', 'v1', 'configmaps', 'ConfigMap', true),
  secrets: r('', 'v1', 'secrets', 'Secret', true),
  serviceaccounts: r('', 'v1', 'serviceaccounts', 'ServiceAccount', true),
  deployments: r('apps', 'v1', 'deployments', 'Deployment', true),
  replicasets: r('apps', 'v1', 'replicasets', 'ReplicaSet', true),
  daemonsets: r('apps', 'v1', 'daemonsets', 'DaemonSet', true),
  endpointslices: r('discovery.k8s.io', 'v1', 'endpointslices', 'EndpointSlice', true),
  leases: r('coordination.k8s.io', 'v1', 'leases', 'Lease', true),
  statefulsets: r('apps', 'v1', 'statefulsets', 'StatefulSet', true),
  jobs: r('batch', 'v1', 'jobs', 'Job', true),
  cronjobs: r('batch', 'v1', 'cronjobs', 'CronJob', true),
  resourcequotas: r('', 'v1', 'resourcequotas', 'ResourceQuota', true),
  limitranges: r('', 'v1', 'limitranges', 'LimitRange', true),
  roles: r('rbac.authorization.k8s.io', 'v1', 'roles', 'Role', true),
  rolebindings: r('rbac.authorization.k8s.io', 'v1', 'rolebindings', 'RoleBinding', true),
  clusterroles: r('rbac.authorization.k8s.io', 'v1', 'clusterroles', 'ClusterRole', false),
  clusterrolebindings: r('rbac.authorization.k8s.io', 'v1', 'clusterrolebindings', 'ClusterRoleBinding', false),
  networkpolicies: r('networking.k8s.io', 'v1', 'networkpolicies', 'NetworkPolicy', true),
  ingresses: r('networking.k8s.io', 'v1', 'ingresses', 'Ingress', true),
  ingressclasses: r('networking.k8s.io', 'v1', 'ingressclasses', 'IngressClass', false),
  podtemplates: r('', 'v1', 'podtemplates', 'PodTemplate', true),
  replicationcontrollers: r('', 'v1', 'replicationcontrollers', 'ReplicationController', true),
  poddisruptionbudgets: r('policy', 'v1', 'poddisruptionbudgets', 'PodDisruptionBudget', true),
  controllerrevisions: r('apps', 'v1', 'controllerrevisions', 'ControllerRevision', true),
  priorityclasses: r('scheduling.k8s.io', 'v1', 'priorityclasses', 'PriorityClass', false),
  runtimeclasses: r('node.k8s.io', 'v1', 'runtimeclasses', 'RuntimeClass', false),
  persistentvolumes: r('', 'v1', 'persistentvolumes', 'PersistentVolume', false),
  persistentvolumeclaims: r('', 'v1', 'persistentvolumeclaims', 'PersistentVolumeClaim', true),
  storageclasses: r('storage.k8s.io', 'v1', 'storageclasses', 'StorageClass', false),
  customresourcedefinitions: r('apiextensions.k8s.io', 'v1', 'customresourcedefinitions', 'CustomResourceDefinition', false),
  certificatesigningrequests: r('certificates.k8s.io', 'v1', 'certificatesigningrequests', 'CertificateSigningRequest', false),
  tokenreviews: r('authentication.k8s.io', 'v1', 'tokenreviews', 'TokenReview', false),
  subjectaccessreviews: r('authorization.k8s.io', 'v1', 'subjectaccessreviews', 'SubjectAccessReview', false),
  apiservices: r('apiregistration.k8s.io', 'v1', 'apiservices', 'APIService', false),
  horizontalpodautoscalers: r('autoscaling', 'v2', 'horizontalpodautoscalers', 'HorizontalPodAutoscaler', true),
  /** events.k8s.io/v1 view of the same stored events as core/v1. */
  eventsV1: r('events.k8s.io', 'v1', 'events', 'Event', true),
} as const;

export function apiVersionOf(ref: ResourceRef): string {
  return ref.group ? `${ref.group}/${ref.version}` : ref.version;
}

/** The collection path, e.g. /api/v1/namespaces/default/pods or /apis/apps/v1/deployments (all namespaces). */
export function collectionPath(ref: ResourceRef, namespace?: string): string {
  const base = ref.group ? `/apis/${ref.group}/${ref.version}` : `/api/${ref.version}`;
  return ref.namespaced && namespace ? `${base}/namespaces/${namespace}/${ref.plural}` : `${base}/${ref.plural}`;
}

export function objectPath(ref: ResourceRef, namespace: string | undefined, name: string, subresource?: string): string {
  const p = `${collectionPath(ref, namespace)}/${encodeURIComponent(name)}`;
  return subresource ? `${p}/${subresource}` : p;
}
