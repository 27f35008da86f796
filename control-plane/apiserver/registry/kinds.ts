// The kinds the API server serves (kube: the storage providers of pkg/controlplane, pkg/registry/*/rest): where each
// lives, its discovery facts (short names, categories, subresources) and the strategy the generic store follows for it.
import { apiVersionOf, type ResourceRef } from '../../../api/resources.js';
import type { KubeObject, StatusCause } from '../../../api/types.js';
import type { Schema } from '../openapi/dsl.js';
import { schemaFor } from '../openapi/schemas.js';
import type { Printer } from '../columns.js';
import { crdStatusStrategy, crdStrategy } from './apiextensions/customresourcedefinition.js';
import { csrStatusStrategy, csrStrategy } from './certificates/strategy.js';
import { apiServiceStrategy } from './apiregistration/apiservice.js';
import { hpaV1Strategy, hpaV2Strategy, v1ToV2, v2ToV1 } from './autoscaling/hpa.js';
import { podStrategy } from './core/pod.js';
import { podTemplateStrategy } from './core/podtemplate.js';
import { controllerRevisionStrategy } from './apps/controllerrevision.js';
import { runtimeClassStrategy } from './node/runtimeclass.js';
import { priorityClassStrategy } from './scheduling/priorityclass.js';
import { podDisruptionBudgetStrategy } from './policy/poddisruptionbudget.js';
import { namespaceStrategy } from './core/namespace.js';
import { serviceStrategy } from './core/service.js';
import { persistentVolumeClaimStrategy, persistentVolumeStrategy } from './core/persistentvolume.js';
import { storageClassStrategy } from './storage/storageclass.js';
import { ingressClassStrategy, ingressStrategy } from './networking/ingress.js';
import { networkPolicyStrategy } from './networking/networkpolicy.js';
import * as defaults from './defaults.js';
import * as eventsV1 from './events/event.js';
import { clusterRoleBindingStrategy, clusterRoleStrategy, roleBindingStrategy, roleStrategy } from './rbac/strategy.js';
import { statusStrategy, strategy, type Strategy } from './strategy.js';
import { reviewKinds, type Review } from './reviews.js';
import * as validation from './validation.js';

type Any = any;

export interface ResourceDef extends ResourceRef {
  singular: string;
  shortNames?: string[];
  categories?: string[];
  /** Subresources served: "status", "scale", "binding", "log", "exec", "eviction", "finalize", "approval". */
  subresources: string[];
  /** How the generic store creates, updates and deletes objects of this kind. */
  strategy: Strategy;
  /** Writes through /status, when served. */
  statusStrategy?: Strategy;
  /**
   * Served from another kind's storage (events.k8s.io Events are the core/v1 Events): where they live, and the
   * conversions between this version's shape and the stored one.
   */
  storage?: { group: string; plural: string; toStorage(obj: KubeObject): KubeObject; fromStorage(obj: KubeObject): KubeObject };
  /** A review kind: create-only, answered by this, nothing stored. */
  review?: Review;
  /** The kind of its lists, when not <Kind>List (a CRD's spec.names.listKind). */
  listKind?: string;
  /** Its OpenAPI definitions when they are not in the built-in catalog (a custom resource's, from its CRD). */
  openapi?: KindOpenAPI;
  /** Table columns of its own (a CRD's additionalPrinterColumns); else the printers' for its kind. */
  printer?: Printer;
  /** Where its scale subresource reads and writes (a CRD's scale paths); else spec.replicas and status.replicas. */
  scale?: ScalePaths;
  /** PATCH content types it accepts, when not all of PATCH_TYPES (custom resources take no strategic merge patch). */
  patchTypes?: readonly string[];
  /** The fields of an object its schema does not know, when not judged by the catalog (a custom resource's pruning). */
  unknownFields?(obj: KubeObject): string[];
  /** Served while its definition is being deleted: objects are read, changed and deleted, never created. */
  terminating?: boolean;
}

export interface KindOpenAPI {
  /** The definition name of the kind (com.example.v1.Widget); its list is this name with "List". */
  name: string;
  /** The kind's schema, its $refs into the catalog (ObjectMeta). */
  schema: Schema;
  /** Definitions the OpenAPI document adds for it: the kind and its list. */
  definitions: Record<string, Schema>;
  /** Changes whenever the definitions do: the documents are rebuilt then. */
  revision: string;
}

export interface ScalePaths {
  specReplicasPath: string;
  statusReplicasPath: string;
  labelSelectorPath?: string;
}

/** The PATCH content types the API server knows, and every kind accepts unless its patchTypes say otherwise. */
export const PATCH_TYPES: readonly string[] = ['application/json-patch+json', 'application/merge-patch+json', 'application/strategic-merge-patch+json', 'application/apply-patch+yaml'];

/** The verbs a kind serves: every one for stored kinds, create alone for the reviews. */
const verbsFor = (d: ResourceDef) => (d.review ? ['create'] : ['create', 'delete', 'deletecollection', 'get', 'list', 'patch', 'update', 'watch']);
export { verbsFor, apiVersionOf };

function def(d: Omit<ResourceDef, 'subresources' | 'strategy'> & { subresources?: string[]; strategy?: Strategy }): ResourceDef {
  const subresources = d.subresources ?? [];
  const main = d.strategy ?? strategy();
  return { ...d, subresources, strategy: main, ...(subresources.includes('status') ? { statusStrategy: d.statusStrategy ?? statusStrategy(main) } : {}) };
}

/** A kind with a /status endpoint, its defaults and validation. */
const withStatus = (defaults?: (o: KubeObject) => void, validate?: (o: KubeObject, old?: KubeObject) => StatusCause[], fields?: (o: KubeObject) => Record<string, string>) =>
  strategy({ statusSubresource: true, defaults, validate, fields });

export const kinds: ResourceDef[] = [
  def({ group: '', version: 'v1', plural: 'namespaces', singular: 'namespace', kind: 'Namespace', namespaced: false, shortNames: ['ns'], subresources: ['status', 'finalize'], strategy: namespaceStrategy }),
  def({ group: '', version: 'v1', plural: 'nodes', singular: 'node', kind: 'Node', namespaced: false, shortNames: ['no'], subresources: ['status', 'proxy'], strategy: withStatus(undefined, validation.node, (o: Any) => ({ 'spec.unschedulable': String(o.spec?.unschedulable ?? false) })) }),
  def({ group: '', version: 'v1', plural: 'pods', singular: 'pod', kind: 'Pod', namespaced: true, shortNames: ['po'], categories: ['all'], subresources: ['status', 'binding', 'eviction', 'log', 'exec', 'attach', 'portforward', 'ephemeralcontainers', 'proxy'], strategy: podStrategy }),
  def({ group: '', version: 'v1', plural: 'services', singular: 'service', kind: 'Service', namespaced: true, shortNames: ['svc'], categories: ['all'], subresources: ['status', 'proxy'], strategy: serviceStrategy }),
  def({ group: '', version: 'v1', plural: 'endpoints', singular: 'endpoints', kind: 'Endpoints', namespaced: true, shortNames: ['ep'], strategy: strategy({ tracksGeneration: false }) }),
  def({ group: '', version: 'v1', plural: 'events', singular: 'event', kind: 'Event', namespaced: true, shortNames: ['ev'], strategy: strategy({ tracksGeneration: false, validate: validation.event, fields: (o: Any) => ({ 'involvedObject.kind': o.involvedObject?.kind ?? '', 'involvedObject.name': o.involvedObject?.name ?? '', 'involvedObject.apiVersion': o.involvedObject?.apiVersion ?? '', 'involvedObject.resourceVersion': o.involvedObject?.resourceVersion ?? '', 'involvedObject.fieldPath': o.involvedObject?.fieldPath ?? '', reportingComponent: o.reportingComponent ?? '', 'involvedObject.namespace': o.involvedObject?.namespace ?? '', 'involvedObject.uid': o.involvedObject?.uid ?? '', reason: o.reason ?? '', type: o.type ?? '', source: o.source?.component ?? '' }) }) }),
  def({ group: '', version: 'v1', plural: 'configmaps', singular: 'configmap', kind: 'ConfigMap', namespaced: true, shortNames: ['cm'], strategy: strategy({ tracksGeneration: false, validate: validation.dataSizeErrors }) }),
  def({ group: '', version: 'v1', plural: 'secrets', singular: 'secret', kind: 'Secret', namespaced: true, strategy: strategy({ tracksGeneration: false, defaults: defaults.secret, validate: validation.dataSizeErrors, fields: (o: Any) => ({ type: o.type ?? '' }) }) }),
  def({ group: '', version: 'v1', plural: 'serviceaccounts', singular: 'serviceaccount', kind: 'ServiceAccount', namespaced: true, shortNames: ['sa'], subresources: ['token'], strategy: strategy({ tracksGeneration: false }) }),
  def({ group: 'apps', version: 'v1', plural: 'deployments', singular: 'deployment', kind: 'Deployment', namespaced: true, shortNames: ['deploy'], categories: ['all'], subresources: ['status', 'scale'], strategy: withStatus(defaults.deployment, validation.deployment) }),
  def({ group: 'apps', version: 'v1', plural: 'replicasets', singular: 'replicaset', kind: 'ReplicaSet', namespaced: true, shortNames: ['rs'], categories: ['all'], subresources: ['status', 'scale'], strategy: withStatus(defaults.replicaSet, validation.replicaSet) }),
  def({ group: 'apps', version: 'v1', plural: 'daemonsets', singular: 'daemonset', kind: 'DaemonSet', namespaced: true, shortNames: ['ds'], categories: ['all'], subresources: ['status'], strategy: withStatus(defaults.daemonSet, validation.daemonSet) }),
  def({ group: 'discovery.k8s.io', version: 'v1', plural: 'endpointslices', singular: 'endpointslice', kind: 'EndpointSlice', namespaced: true, strategy: strategy({ tracksGeneration: false, validate: validation.endpointSlice }) }),
  def({ group: 'coordination.k8s.io', version: 'v1', plural: 'leases', singular: 'lease', kind: 'Lease', namespaced: true }),
  def({ group: 'apps', version: 'v1', plural: 'statefulsets', singular: 'statefulset', kind: 'StatefulSet', namespaced: true, shortNames: ['sts'], categories: ['all'], subresources: ['status', 'scale'], strategy: withStatus(defaults.statefulSet, validation.statefulSet) }),
  def({ group: 'batch', version: 'v1', plural: 'jobs', singular: 'job', kind: 'Job', namespaced: true, categories: ['all'], subresources: ['status'], strategy: withStatus(defaults.job, validation.job, (o: Any) => ({ 'status.successful': String(o.status?.succeeded ?? 0) })) }),
  def({ group: 'batch', version: 'v1', plural: 'cronjobs', singular: 'cronjob', kind: 'CronJob', namespaced: true, shortNames: ['cj'], categories: ['all'], subresources: ['status'], strategy: withStatus(defaults.cronJob, validation.cronJob) }),
  def({ group: '', version: 'v1', plural: 'resourcequotas', singular: 'resourcequota', kind: 'ResourceQuota', namespaced: true, shortNames: ['quota'], subresources: ['status'], strategy: withStatus(undefined, validation.resourceQuota) }),
  def({ group: '', version: 'v1', plural: 'limitranges', singular: 'limitrange', kind: 'LimitRange', namespaced: true, shortNames: ['limits'], strategy: strategy({ defaults: defaults.limitRange, validate: validation.limitRange }) }),
  def({ group: 'rbac.authorization.k8s.io', version: 'v1', plural: 'roles', singular: 'role', kind: 'Role', namespaced: true, strategy: roleStrategy }),
  def({ group: 'rbac.authorization.k8s.io', version: 'v1', plural: 'rolebindings', singular: 'rolebinding', kind: 'RoleBinding', namespaced: true, strategy: roleBindingStrategy }),
  def({ group: 'rbac.authorization.k8s.io', version: 'v1', plural: 'clusterroles', singular: 'clusterrole', kind: 'ClusterRole', namespaced: false, strategy: clusterRoleStrategy }),
  def({ group: 'rbac.authorization.k8s.io', version: 'v1', plural: 'clusterrolebindings', singular: 'clusterrolebinding', kind: 'ClusterRoleBinding', namespaced: false, strategy: clusterRoleBindingStrategy }),
  def({ group: 'networking.k8s.io', version: 'v1', plural: 'networkpolicies', singular: 'networkpolicy', kind: 'NetworkPolicy', namespaced: true, shortNames: ['netpol'], strategy: networkPolicyStrategy }),
  def({ group: 'networking.k8s.io', version: 'v1', plural: 'ingresses', singular: 'ingress', kind: 'Ingress', namespaced: true, shortNames: ['ing'], subresources: ['status'], strategy: ingressStrategy }),
  def({ group: 'networking.k8s.io', version: 'v1', plural: 'ingressclasses', singular: 'ingressclass', kind: 'IngressClass', namespaced: false, strategy: ingressClassStrategy }),
  def({ group: 'certificates.k8s.io', version: 'v1', plural: 'certificatesigningrequests', singular: 'certificatesigningrequest', kind: 'CertificateSigningRequest', namespaced: false, shortNames: ['csr'], subresources: ['status', 'approval'], strategy: csrStrategy, statusStrategy: csrStatusStrategy }),
  def({ group: 'apiextensions.k8s.io', version: 'v1', plural: 'customresourcedefinitions', singular: 'customresourcedefinition', kind: 'CustomResourceDefinition', namespaced: false, shortNames: ['crd', 'crds'], categories: ['api-extensions'], subresources: ['status'], strategy: crdStrategy, statusStrategy: crdStatusStrategy }),
  def({ group: '', version: 'v1', plural: 'replicationcontrollers', singular: 'replicationcontroller', kind: 'ReplicationController', namespaced: true, shortNames: ['rc'], categories: ['all'], subresources: ['status', 'scale'], strategy: withStatus(defaults.replicationController, validation.replicationController) }),
  def({ group: 'policy', version: 'v1', plural: 'poddisruptionbudgets', singular: 'poddisruptionbudget', kind: 'PodDisruptionBudget', namespaced: true, shortNames: ['pdb'], subresources: ['status'], strategy: podDisruptionBudgetStrategy }),
  def({ group: '', version: 'v1', plural: 'podtemplates', singular: 'podtemplate', kind: 'PodTemplate', namespaced: true, strategy: podTemplateStrategy }),
  def({ group: 'apps', version: 'v1', plural: 'controllerrevisions', singular: 'controllerrevision', kind: 'ControllerRevision', namespaced: true, strategy: controllerRevisionStrategy }),
  def({ group: 'scheduling.k8s.io', version: 'v1', plural: 'priorityclasses', singular: 'priorityclass', kind: 'PriorityClass', namespaced: false, shortNames: ['pc'], strategy: priorityClassStrategy }),
  def({ group: 'node.k8s.io', version: 'v1', plural: 'runtimeclasses', singular: 'runtimeclass', kind: 'RuntimeClass', namespaced: false, strategy: runtimeClassStrategy }),
  def({ group: '', version: 'v1', plural: 'persistentvolumes', singular: 'persistentvolume', kind: 'PersistentVolume', namespaced: false, shortNames: ['pv'], subresources: ['status'], strategy: persistentVolumeStrategy }),
  def({ group: '', version: 'v1', plural: 'persistentvolumeclaims', singular: 'persistentvolumeclaim', kind: 'PersistentVolumeClaim', namespaced: true, shortNames: ['pvc'], subresources: ['status'], strategy: persistentVolumeClaimStrategy }),
  def({ group: 'events.k8s.io', version: 'v1', plural: 'events', singular: 'event', kind: 'Event', namespaced: true, shortNames: ['ev'], strategy: eventsV1.eventsV1Strategy, storage: { group: '', plural: 'events', toStorage: eventsV1.toCore, fromStorage: eventsV1.fromCore } }),
  def({ group: 'storage.k8s.io', version: 'v1', plural: 'storageclasses', singular: 'storageclass', kind: 'StorageClass', namespaced: false, shortNames: ['sc'], strategy: storageClassStrategy }),
];

kinds.push(
  def({ group: 'apiregistration.k8s.io', version: 'v1', plural: 'apiservices', singular: 'apiservice', kind: 'APIService', namespaced: false, categories: ['api-extensions'], subresources: ['status'], strategy: apiServiceStrategy }),
  def({ group: 'autoscaling', version: 'v2', plural: 'horizontalpodautoscalers', singular: 'horizontalpodautoscaler', kind: 'HorizontalPodAutoscaler', namespaced: true, shortNames: ['hpa'], categories: ['all'], subresources: ['status'], strategy: hpaV2Strategy }),
  // autoscaling/v1 reads and writes the stored v2 objects.
  def({ group: 'autoscaling', version: 'v1', plural: 'horizontalpodautoscalers', singular: 'horizontalpodautoscaler', kind: 'HorizontalPodAutoscaler', namespaced: true, shortNames: ['hpa'], categories: ['all'], subresources: ['status'], strategy: hpaV1Strategy, storage: { group: 'autoscaling', plural: 'horizontalpodautoscalers', toStorage: v1ToV2, fromStorage: v2ToV1 } }),
);

/** The review kinds: create-only, nothing stored (registry/reviews.ts). */
kinds.push(...reviewKinds);

/** The kind its lists have. */
export const listKindOf = (d: ResourceDef) => d.listKind ?? `${d.kind}List`;

/** The OpenAPI schema of a kind: its own (a custom resource's) or the catalog's. */
export const schemaOf = (d: ResourceDef): Schema | undefined => d.openapi?.schema ?? schemaFor(d.group, d.version, d.kind);

/** The kind of a group, version and resource among `defs` (the built-in kinds unless given). */
export function findByPlural(group: string, version: string, plural: string, defs: readonly ResourceDef[] = kinds): ResourceDef | undefined {
  return defs.find((d) => d.group === group && d.version === version && d.plural === plural);
}

/**
 * The group-versions the kinds make, groups in order of first appearance, each group's versions by kube's version
 * priority (v2 > v1 > v1beta2 > v1beta1 > v1alpha1 > other names, alphabetically): the first is the preferred one.
 */
export function groupVersions(defs: readonly ResourceDef[] = kinds): { group: string; version: string }[] {
  const byGroup = new Map<string, Set<string>>();
  for (const d of defs) {
    if (!byGroup.has(d.group)) byGroup.set(d.group, new Set());
    byGroup.get(d.group)!.add(d.version);
  }
  return [...byGroup].flatMap(([group, versions]) => [...versions].sort(compareVersions).map((version) => ({ group, version })));
}

/** kube's version priority order (CompareKubeAwareVersionStrings), highest first. */
function compareVersions(a: string, b: string): number {
  const parse = (v: string) => {
    const m = /^v(\d+)(?:(alpha|beta)(\d+))?$/.exec(v);
    return m ? { major: Number(m[1]), stability: m[2] === 'alpha' ? 0 : m[2] === 'beta' ? 1 : 2, minor: Number(m[3] ?? 0) } : undefined;
  };
  const x = parse(a);
  const y = parse(b);
  if (!x || !y) return x ? -1 : y ? 1 : a.localeCompare(b);
  return y.stability - x.stability || y.major - x.major || y.minor - x.minor;
}

/** Where objects live in the store: /registry/<group or core>/<plural>/<namespace>/<name>. */
export function storeKey(d: ResourceRef, namespace: string | undefined, name: string): string {
  return d.namespaced ? `${storePrefix(d)}${namespace}/${name}` : `${storePrefix(d)}${name}`;
}

export function storePrefix(d: ResourceRef, namespace?: string): string {
  const at = (d as Partial<ResourceDef>).storage ?? d;
  const base = `/registry/${at.group || 'core'}/${at.plural}/`;
  return d.namespaced && namespace ? `${base}${namespace}/` : base;
}
