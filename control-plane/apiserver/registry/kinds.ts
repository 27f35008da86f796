// The kinds the API server serves (kube: the storage providers of pkg/controlplane, pkg/registry/*/rest): where each
// lives, its discovery facts (short names, categories, subresources) and the strategy the generic store follows for it.
import { apiVersionOf, type ResourceRef } from '../../../api/resources.js';
import type { KubeObject, StatusCause } from '../../../api/types.js';
import { csrStatusStrategy, csrStrategy } from './certificates/strategy.js';
import { podStrategy } from './core/pod.js';
import { namespaceStrategy } from './core/namespace.js';
import { serviceStrategy } from './core/service.js';
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
}

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
  def({ group: '', version: 'v1', plural: 'pods', singular: 'pod', kind: 'Pod', namespaced: true, shortNames: ['po'], categories: ['all'], subresources: ['status', 'binding', 'eviction', 'log', 'exec', 'proxy'], strategy: podStrategy }),
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
  def({ group: 'certificates.k8s.io', version: 'v1', plural: 'certificatesigningrequests', singular: 'certificatesigningrequest', kind: 'CertificateSigningRequest', namespaced: false, shortNames: ['csr'], subresources: ['status', 'approval'], strategy: csrStrategy, statusStrategy: csrStatusStrategy }),
  def({ group: 'events.k8s.io', version: 'v1', plural: 'events', singular: 'event', kind: 'Event', namespaced: true, shortNames: ['ev'], strategy: eventsV1.eventsV1Strategy, storage: { group: '', plural: 'events', toStorage: eventsV1.toCore, fromStorage: eventsV1.fromCore } }),
];

/** The review kinds: create-only, nothing stored (registry/reviews.ts). */
kinds.push(...reviewKinds);

export function findByPlural(group: string, version: string, plural: string): ResourceDef | undefined {
  return kinds.find((d) => d.group === group && d.version === version && d.plural === plural);
}

export function groupVersions(): { group: string; version: string }[] {
  const seen = new Map<string, { group: string; version: string }>();
  for (const d of kinds) seen.set(`${d.group}/${d.version}`, { group: d.group, version: d.version });
  return [...seen.values()];
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
