// Defaulting, as kube-apiserver fills unset fields before validation and storage (pkg/apis/<group>/v1/defaults.go),
// so every client reads the same complete object (and `kubectl apply` sees no difference when it re-applies a file).
import type { KubeObject } from '../../../api/types.js';
import { qosClass } from '../../../api/pods.js';

type Any = any;

function container(c: Any): void {
  c.terminationMessagePath ??= '/dev/termination-log';
  c.terminationMessagePolicy ??= 'File';
  if (c.imagePullPolicy === undefined) {
    const tag = typeof c.image === 'string' ? /:([^/:@]+)$/.exec(c.image)?.[1] : undefined;
    c.imagePullPolicy = !tag || tag === 'latest' ? 'Always' : 'IfNotPresent';
  }
  c.resources ??= {};
  for (const p of c.ports ?? []) p.protocol ??= 'TCP';
  for (const probe of [c.readinessProbe, c.livenessProbe, c.startupProbe]) {
    if (!probe) continue;
    probe.timeoutSeconds ??= 1;
    probe.periodSeconds ??= 10;
    probe.successThreshold ??= 1;
    probe.failureThreshold ??= 3;
    if (probe.httpGet) {
      probe.httpGet.path ??= '/';
      probe.httpGet.scheme ??= 'HTTP';
    }
  }
}

export function podSpec(spec: Any): void {
  if (!spec) return;
  spec.restartPolicy ??= 'Always';
  spec.terminationGracePeriodSeconds ??= 30;
  spec.dnsPolicy ??= 'ClusterFirst';
  spec.schedulerName ??= 'default-scheduler';
  spec.securityContext ??= {};
  spec.enableServiceLinks ??= true;
  // priority and preemptionPolicy are the Priority admission plugin's to set, from the pod's PriorityClass.
  // The deprecated serviceAccount field follows serviceAccountName; which account a pod uses is the ServiceAccount
  // admission plugin's to decide ("default" when none is named).
  if (spec.serviceAccountName === undefined && spec.serviceAccount !== undefined) spec.serviceAccountName = spec.serviceAccount;
  else if (spec.serviceAccountName !== undefined) spec.serviceAccount = spec.serviceAccountName;
  for (const c of spec.containers ?? []) container(c);
  for (const c of spec.initContainers ?? []) container(c);
  for (const v of spec.volumes ?? []) {
    if (v.emptyDir === undefined && v.hostPath === undefined && v.configMap === undefined && v.secret === undefined && v.persistentVolumeClaim === undefined && v.projected === undefined && v.downwardAPI === undefined) v.emptyDir = {};
  }
}

export function pod(obj: KubeObject): void {
  const p = obj as Any;
  p.spec ??= {};
  podSpec(p.spec);
  // A container that sets limits but not requests requests what it limits (SetDefaults_Pod).
  for (const c of [...(p.spec.containers ?? []), ...(p.spec.initContainers ?? [])]) {
    const limits = c?.resources?.limits;
    if (!limits || typeof limits !== 'object') continue;
    c.resources.requests ??= {};
    for (const [k, v] of Object.entries(limits)) c.resources.requests[k] ??= v;
  }
  // Not-ready and unreachable tolerations, as the DefaultTolerationSeconds admission plugin adds them.
  const tols: Any[] = (p.spec.tolerations ??= []);
  for (const key of ['node.kubernetes.io/not-ready', 'node.kubernetes.io/unreachable']) {
    if (!tols.some((t) => t.key === key || (t.operator === 'Exists' && !t.key))) tols.push({ key, operator: 'Exists', effect: 'NoExecute', tolerationSeconds: 300 });
  }
  // A new pod is Pending with its QoS class until the kubelet reports (clients read status.phase, not the table).
  p.status ??= { phase: 'Pending', qosClass: qosClass(p.spec) };
}

function template(t: Any): void {
  if (!t) return;
  t.metadata ??= {};
  podSpec(t.spec);
}

function percentOrInt(v: unknown, dflt: string): unknown {
  return v === undefined ? dflt : v;
}

export function deployment(obj: KubeObject): void {
  const d = obj as Any;
  d.spec ??= {};
  d.spec.replicas ??= 1;
  d.spec.revisionHistoryLimit ??= 10;
  d.spec.progressDeadlineSeconds ??= 600;
  d.spec.strategy ??= {};
  d.spec.strategy.type ??= 'RollingUpdate';
  if (d.spec.strategy.type === 'RollingUpdate') {
    d.spec.strategy.rollingUpdate ??= {};
    d.spec.strategy.rollingUpdate.maxSurge = percentOrInt(d.spec.strategy.rollingUpdate.maxSurge, '25%');
    d.spec.strategy.rollingUpdate.maxUnavailable = percentOrInt(d.spec.strategy.rollingUpdate.maxUnavailable, '25%');
  }
  template(d.spec.template);
}

export function replicaSet(obj: KubeObject): void {
  const r = obj as Any;
  r.spec ??= {};
  r.spec.replicas ??= 1;
  template(r.spec.template);
}

export function daemonSet(obj: KubeObject): void {
  const d = obj as Any;
  d.spec ??= {};
  d.spec.revisionHistoryLimit ??= 10;
  d.spec.updateStrategy ??= { type: 'RollingUpdate', rollingUpdate: { maxUnavailable: 1, maxSurge: 0 } };
  template(d.spec.template);
}

export function statefulSet(obj: KubeObject): void {
  const s = obj as Any;
  s.spec ??= {};
  s.spec.replicas ??= 1;
  s.spec.podManagementPolicy ??= 'OrderedReady';
  s.spec.revisionHistoryLimit ??= 10;
  s.spec.updateStrategy ??= {};
  s.spec.updateStrategy.type ??= 'RollingUpdate';
  if (s.spec.updateStrategy.type === 'RollingUpdate') {
    s.spec.updateStrategy.rollingUpdate ??= {};
    s.spec.updateStrategy.rollingUpdate.partition ??= 0;
  }
  s.spec.persistentVolumeClaimRetentionPolicy ??= {};
  s.spec.persistentVolumeClaimRetentionPolicy.whenDeleted ??= 'Retain';
  s.spec.persistentVolumeClaimRetentionPolicy.whenScaled ??= 'Retain';
  template(s.spec.template);
}

/** Job labels and selector (batch's generateSelector): pods carry the job's name and uid; the selector is the uid. */
export function job(obj: KubeObject): void {
  const j = obj as Any;
  j.spec ??= {};
  const spec = j.spec;
  if (spec.completions === undefined && spec.parallelism === undefined) {
    spec.completions = 1;
    spec.parallelism = 1;
  }
  spec.parallelism ??= 1;
  spec.backoffLimit ??= spec.backoffLimitPerIndex !== undefined ? 2147483647 : 6;
  spec.completionMode ??= 'NonIndexed';
  spec.suspend ??= false;
  if (!spec.podFailurePolicy) spec.podReplacementPolicy ??= 'TerminatingOrFailed';
  template(spec.template);
  if (spec.manualSelector === true || !spec.template || !obj.metadata.uid) return;
  const labels = (spec.template.metadata.labels ??= {});
  const name = obj.metadata.name ?? '';
  const uid = obj.metadata.uid;
  for (const k of ['job-name', 'batch.kubernetes.io/job-name']) labels[k] ??= name;
  for (const k of ['controller-uid', 'batch.kubernetes.io/controller-uid']) labels[k] ??= uid;
  spec.selector ??= {};
  spec.selector.matchLabels ??= {};
  spec.selector.matchLabels['batch.kubernetes.io/controller-uid'] ??= uid;
}

export function cronJob(obj: KubeObject): void {
  const c = obj as Any;
  c.spec ??= {};
  c.spec.concurrencyPolicy ??= 'Allow';
  c.spec.suspend ??= false;
  c.spec.successfulJobsHistoryLimit ??= 3;
  c.spec.failedJobsHistoryLimit ??= 1;
  c.spec.jobTemplate ??= {};
  c.spec.jobTemplate.spec ??= {};
  template(c.spec.jobTemplate.spec.template);
}

/** A container limit range item fills its defaults from max and min (SetDefaults_LimitRangeItem). */
export function limitRange(obj: KubeObject): void {
  for (const item of ((obj as Any).spec?.limits ?? []) as Any[]) {
    if (item?.type !== 'Container') continue;
    item.default ??= {};
    item.defaultRequest ??= {};
    for (const [k, v] of Object.entries(item.max ?? {})) item.default[k] ??= v;
    for (const [k, v] of Object.entries(item.default)) item.defaultRequest[k] ??= v;
    for (const [k, v] of Object.entries(item.min ?? {})) item.defaultRequest[k] ??= v;
  }
}

export function service(obj: KubeObject): void {
  const s = obj as Any;
  s.spec ??= {};
  s.spec.type ??= 'ClusterIP';
  s.spec.sessionAffinity ??= 'None';
  if (s.spec.type !== 'ExternalName') {
    s.spec.ipFamilies ??= ['IPv4'];
    s.spec.ipFamilyPolicy ??= 'SingleStack';
    s.spec.internalTrafficPolicy ??= 'Cluster';
  }
  if (s.spec.type === 'NodePort' || s.spec.type === 'LoadBalancer') s.spec.externalTrafficPolicy ??= 'Cluster';
  for (const p of s.spec.ports ?? []) {
    p.protocol ??= 'TCP';
    if (p.targetPort === undefined) p.targetPort = p.port;
  }
  s.status ??= { loadBalancer: {} };
}

export function namespace(obj: KubeObject): void {
  const n = obj as Any;
  n.spec ??= {};
  n.spec.finalizers ??= ['kubernetes'];
  n.status ??= {};
  n.status.phase ??= 'Active';
  n.metadata.labels = { ...(n.metadata.labels ?? {}), 'kubernetes.io/metadata.name': n.metadata.name };
}

/**
 * A Secret's type defaults to Opaque, and its write-only stringData is merged into data (base64), overriding keys
 * of the same name, as the v1 → internal conversion does; stringData itself is never stored.
 */
export function secret(obj: KubeObject): void {
  const s = obj as Any;
  s.type ??= 'Opaque';
  if (s.stringData && typeof s.stringData === 'object' && !Array.isArray(s.stringData)) {
    s.data = { ...(s.data ?? {}) };
    for (const [k, v] of Object.entries(s.stringData)) s.data[k] = Buffer.from(String(v), 'utf8').toString('base64');
  }
  delete s.stringData;
}

const RBAC_GROUP = 'rbac.authorization.k8s.io';

/** RoleBindings and ClusterRoleBindings: the roleRef's group, and each subject's (rbac/v1 defaults.go). */
export function roleBinding(obj: KubeObject): void {
  const b = obj as Any;
  if (b.roleRef && typeof b.roleRef === 'object' && !b.roleRef.apiGroup) b.roleRef.apiGroup = RBAC_GROUP;
  for (const s of Array.isArray(b.subjects) ? b.subjects : []) {
    // Users and groups are RBAC's own subjects; service accounts are core objects (group "").
    if (s && typeof s === 'object' && !s.apiGroup && (s.kind === 'User' || s.kind === 'Group')) s.apiGroup = RBAC_GROUP;
  }
}

/** A ReplicationController's selector and labels default to its template's labels (SetDefaults_ReplicationController). */
export function replicationController(obj: KubeObject): void {
  const r = obj as Any;
  r.spec ??= {};
  r.spec.replicas ??= 1;
  const labels = r.spec.template?.metadata?.labels;
  if (labels && (!r.spec.selector || !Object.keys(r.spec.selector).length)) r.spec.selector = { ...labels };
  if (labels && (!r.metadata.labels || !Object.keys(r.metadata.labels).length)) r.metadata.labels = { ...labels };
  if (r.spec.template) template(r.spec.template);
}
