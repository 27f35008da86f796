// apps/v1 workload controllers: Deployment, ReplicaSet, DaemonSet, StatefulSet, and the ControllerRevisions the last two
// keep their template history in.
import { bool, int32, int64, list, obj, pkg, ref, str, strings, typeMeta, withPatch, type Definition, type Schema } from './dsl.js';
import { core } from './core-pod.js';
import { intOrString, meta, rawExtension, selector, time } from './meta.js';

export const apps = pkg('io.k8s.api.apps.v1');
const gvk = (kind: string) => [{ group: 'apps', version: 'v1', kind }];
const objectMeta = meta('ObjectMeta');

const template = (what: string) => ref(core('PodTemplateSpec'), `The pod each ${what} is created from. Its labels must match the selector.`, { default: {} });
const podSelector = (what: string) => selector(`Label query over the pods this ${what} manages; must match the template\'s labels. Immutable after creation.`);

/** The condition shape the apps controllers share (DeploymentCondition adds lastUpdateTime). */
function condition(what: string): Record<string, Schema> {
  return {
    lastTransitionTime: time('When the condition last changed status.'),
    message: str('Human-readable details of the transition.'),
    reason: str('CamelCase reason for the last transition.'),
    status: str('True, False or Unknown.'),
    type: str(`Type of ${what} condition.`),
  };
}

const conditions = (name: string, what: string) =>
  list(apps(name), `The latest observations of the ${what}'s state.`, { mapKeys: ['type'], listType: 'map', mergeKey: 'type', strategy: 'merge' });

export const appsDefinitions: Definition[] = [
  // ---- Deployment ----
  obj(apps('Deployment'), 'Declarative updates for pods: keeps a ReplicaSet of the current template at the wanted size and rolls out template changes by scaling a new ReplicaSet up and the old ones down.', {
    ...typeMeta(objectMeta),
    spec: ref(apps('DeploymentSpec'), 'Desired behaviour of the deployment.', { default: {} }),
    status: ref(apps('DeploymentStatus'), 'Most recently observed status of the deployment.', { default: {} }),
  }, { gvk: gvk('Deployment') }),
  obj(apps('DeploymentSpec'), 'The desired state of a deployment.', {
    minReadySeconds: int32('Seconds a new pod must be ready, without crashing, before it counts as available. Defaults to 0.'),
    paused: bool('Pauses the rollout: template changes are not rolled out until it is resumed.'),
    progressDeadlineSeconds: int32('Seconds a rollout may go without progress before the Progressing condition turns False (ProgressDeadlineExceeded). Defaults to 600.'),
    replicas: int32('Number of pods wanted. Defaults to 1.'),
    revisionHistoryLimit: int32('How many old ReplicaSets to keep for rollback. Defaults to 10.'),
    selector: podSelector('deployment'),
    strategy: withPatch(ref(apps('DeploymentStrategy'), 'How old pods are replaced by new ones.', { default: {} }), { strategy: 'retainKeys' }),
    template: template('new pod'),
  }, { required: ['selector', 'template'] }),
  obj(apps('DeploymentStrategy'), 'How a deployment replaces its pods.', {
    rollingUpdate: ref(apps('RollingUpdateDeployment'), 'Parameters of a RollingUpdate; only with type RollingUpdate.'),
    type: str('Recreate (kill all old pods first) or RollingUpdate (default: replace them gradually).', { enum: ['Recreate', 'RollingUpdate'] }),
  }),
  obj(apps('RollingUpdateDeployment'), 'The pace of a rolling update.', {
    maxSurge: ref(intOrString, 'How many pods may exist above the wanted count during the update, as a number or a percentage (rounded up). Defaults to 25%. Cannot be 0 when maxUnavailable is 0.'),
    maxUnavailable: ref(intOrString, 'How many pods may be unavailable during the update, as a number or a percentage (rounded down). Defaults to 25%. Cannot be 0 when maxSurge is 0.'),
  }),
  obj(apps('DeploymentStatus'), 'The observed state of a deployment.', {
    availableReplicas: int32('Pods targeted by the deployment that have been ready for at least minReadySeconds.'),
    collisionCount: int32('Count of hash collisions for the deployment\'s ReplicaSets; used to make new ReplicaSet names unique.'),
    conditions: conditions('DeploymentCondition', 'deployment'),
    observedGeneration: int64('The generation the controller last acted on.'),
    readyReplicas: int32('Pods targeted by the deployment that are ready.'),
    replicas: int32('Pods targeted by the deployment (their labels match the selector).'),
    unavailableReplicas: int32('Pods still needed for the deployment to be fully available.'),
    updatedReplicas: int32('Pods targeted by the deployment that run the current template.'),
  }),
  obj(apps('DeploymentCondition'), 'One condition of a deployment: Available, Progressing or ReplicaFailure.', {
    ...condition('deployment'),
    lastUpdateTime: time('When the condition was last updated.'),
  }, { required: ['type', 'status'] }),

  // ---- ReplicaSet ----
  obj(apps('ReplicaSet'), 'Keeps a given number of pods matching a selector running. Usually owned and managed by a Deployment.', {
    ...typeMeta(objectMeta),
    spec: ref(apps('ReplicaSetSpec'), 'Desired behaviour of the replica set.', { default: {} }),
    status: ref(apps('ReplicaSetStatus'), 'Most recently observed status of the replica set.', { default: {} }),
  }, { gvk: gvk('ReplicaSet') }),
  obj(apps('ReplicaSetSpec'), 'The desired state of a replica set.', {
    minReadySeconds: int32('Seconds a new pod must be ready, without crashing, before it counts as available. Defaults to 0.'),
    replicas: int32('Number of pods wanted. Defaults to 1.'),
    selector: podSelector('replica set'),
    template: template('missing pod'),
  }, { required: ['selector'] }),
  obj(apps('ReplicaSetStatus'), 'The observed state of a replica set.', {
    availableReplicas: int32('Pods that have been ready for at least minReadySeconds.'),
    conditions: conditions('ReplicaSetCondition', 'replica set'),
    fullyLabeledReplicas: int32('Pods whose labels match the template\'s labels.'),
    observedGeneration: int64('The generation the controller last acted on.'),
    readyReplicas: int32('Pods that are ready.'),
    replicas: int32('Pods most recently observed.'),
  }, { required: ['replicas'] }),
  obj(apps('ReplicaSetCondition'), 'One condition of a replica set, e.g. ReplicaFailure.', condition('replica set'), { required: ['type', 'status'] }),

  // ---- DaemonSet ----
  obj(apps('DaemonSet'), 'Runs one copy of a pod on every eligible node, adding pods as nodes join and removing them as nodes leave.', {
    ...typeMeta(objectMeta),
    spec: ref(apps('DaemonSetSpec'), 'Desired behaviour of the daemon set.', { default: {} }),
    status: ref(apps('DaemonSetStatus'), 'Most recently observed status of the daemon set.', { default: {} }),
  }, { gvk: gvk('DaemonSet') }),
  obj(apps('DaemonSetSpec'), 'The desired state of a daemon set.', {
    minReadySeconds: int32('Seconds a new pod must be ready, without crashing, before it counts as available. Defaults to 0.'),
    revisionHistoryLimit: int32('How many old revisions to keep for rollback. Defaults to 10.'),
    selector: podSelector('daemon set'),
    template: template('node\'s pod'),
    updateStrategy: ref(apps('DaemonSetUpdateStrategy'), 'How pods are replaced when the template changes.', { default: {} }),
  }, { required: ['selector', 'template'] }),
  obj(apps('DaemonSetUpdateStrategy'), 'How a daemon set replaces its pods.', {
    rollingUpdate: ref(apps('RollingUpdateDaemonSet'), 'Parameters of a RollingUpdate; only with type RollingUpdate.'),
    type: str('RollingUpdate (default) or OnDelete (new pods only replace old ones that are deleted by hand).', { enum: ['OnDelete', 'RollingUpdate'] }),
  }),
  obj(apps('RollingUpdateDaemonSet'), 'The pace of a daemon set rolling update.', {
    maxSurge: ref(intOrString, 'How many nodes may run an old and a new pod at once during the update, as a number or a percentage. Defaults to 0.'),
    maxUnavailable: ref(intOrString, 'How many nodes may be without an available pod during the update, as a number or a percentage. Defaults to 1.'),
  }),
  obj(apps('DaemonSetStatus'), 'The observed state of a daemon set.', {
    collisionCount: int32('Count of hash collisions for the daemon set\'s revisions.'),
    conditions: conditions('DaemonSetCondition', 'daemon set'),
    currentNumberScheduled: int32('Nodes that run at least one daemon pod and should.'),
    desiredNumberScheduled: int32('Nodes that should run the daemon pod.'),
    numberAvailable: int32('Nodes whose daemon pod has been ready for at least minReadySeconds.'),
    numberMisscheduled: int32('Nodes that run a daemon pod but should not.'),
    numberReady: int32('Nodes whose daemon pod is ready.'),
    numberUnavailable: int32('Nodes that should run an available daemon pod and do not.'),
    observedGeneration: int64('The generation the controller last acted on.'),
    updatedNumberScheduled: int32('Nodes running the current template\'s pod.'),
  }, { required: ['currentNumberScheduled', 'numberMisscheduled', 'desiredNumberScheduled', 'numberReady'] }),
  obj(apps('DaemonSetCondition'), 'One condition of a daemon set.', condition('daemon set'), { required: ['type', 'status'] }),

  // ---- StatefulSet ----
  obj(apps('StatefulSet'), 'Runs pods with stable identities: ordinal names, stable network names through a headless service, and their own persistent volumes.', {
    ...typeMeta(objectMeta),
    spec: ref(apps('StatefulSetSpec'), 'Desired behaviour of the stateful set.', { default: {} }),
    status: ref(apps('StatefulSetStatus'), 'Most recently observed status of the stateful set.', { default: {} }),
  }, { gvk: gvk('StatefulSet') }),
  obj(apps('StatefulSetSpec'), 'The desired state of a stateful set.', {
    minReadySeconds: int32('Seconds a new pod must be ready, without crashing, before it counts as available. Defaults to 0.'),
    ordinals: ref(apps('StatefulSetOrdinals'), 'The numbering of the pods.'),
    persistentVolumeClaimRetentionPolicy: ref(apps('StatefulSetPersistentVolumeClaimRetentionPolicy'), 'Whether claims from volumeClaimTemplates are deleted when the set is deleted or scaled down.'),
    podManagementPolicy: str('OrderedReady (default: one pod at a time, in order) or Parallel.', { enum: ['OrderedReady', 'Parallel'] }),
    replicas: int32('Number of pods wanted. Defaults to 1.'),
    revisionHistoryLimit: int32('How many old revisions to keep. Defaults to 10.'),
    selector: podSelector('stateful set'),
    serviceName: str('Name of the headless service that gives the pods their network identities, <pod>.<service>.<namespace>.svc.'),
    template: template('ordinal'),
    updateStrategy: ref(apps('StatefulSetUpdateStrategy'), 'How pods are replaced when the template changes.', { default: {} }),
    volumeClaimTemplates: list(core('PersistentVolumeClaim'), 'Claims each pod gets its own copy of, named <template>-<pod>.', { listType: 'atomic' }),
  }, { required: ['selector', 'template'] }),
  obj(apps('StatefulSetOrdinals'), 'The numbering of a stateful set\'s pods.', {
    start: int32('Number of the first pod. Defaults to 0.'),
  }),
  obj(apps('StatefulSetPersistentVolumeClaimRetentionPolicy'), 'What happens to a stateful set\'s claims.', {
    whenDeleted: str('Retain (default) or Delete the claims when the set is deleted.'),
    whenScaled: str('Retain (default) or Delete the claims of pods removed by a scale-down.'),
  }),
  obj(apps('StatefulSetUpdateStrategy'), 'How a stateful set replaces its pods.', {
    rollingUpdate: ref(apps('RollingUpdateStatefulSetStrategy'), 'Parameters of a RollingUpdate.'),
    type: str('RollingUpdate (default) or OnDelete.', { enum: ['OnDelete', 'RollingUpdate'] }),
  }),
  obj(apps('RollingUpdateStatefulSetStrategy'), 'The shape of a stateful set rolling update.', {
    maxUnavailable: ref(intOrString, 'How many pods may be unavailable during the update (feature-gated). Defaults to 1.'),
    partition: int32('Only pods with an ordinal at or above this are updated. Defaults to 0.'),
  }),
  obj(apps('StatefulSetStatus'), 'The observed state of a stateful set.', {
    availableReplicas: int32('Pods that have been ready for at least minReadySeconds.'),
    collisionCount: int32('Count of hash collisions for the set\'s revisions.'),
    conditions: conditions('StatefulSetCondition', 'stateful set'),
    currentReplicas: int32('Pods running the currentRevision.'),
    currentRevision: str('The revision the pods before the update ran.'),
    observedGeneration: int64('The generation the controller last acted on.'),
    readyReplicas: int32('Pods that are ready.'),
    replicas: int32('Pods the controller created.'),
    updateRevision: str('The revision of the current template.'),
    updatedReplicas: int32('Pods running the updateRevision.'),
  }, { required: ['replicas'] }),
  obj(apps('StatefulSetCondition'), 'One condition of a stateful set.', condition('stateful set'), { required: ['type', 'status'] }),

  obj(apps('ControllerRevision'), 'An immutable snapshot of a DaemonSet\'s or StatefulSet\'s template, numbered: what rollout history and undo read.', {
    ...typeMeta(objectMeta),
    data: ref(rawExtension, 'The serialized state of this revision (a patch of the controller\'s template).'),
    revision: int64('The number of this revision; higher is newer.', { default: 0 }),
  }, { required: ['revision'], gvk: gvk('ControllerRevision') }),
];
