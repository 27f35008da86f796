// policy/v1 PodDisruptionBudget (and the Eviction posted to pods/eviction), core/v1 ReplicationController.
import { core } from './core-pod.js';
import { int32, int64, list, map, obj, pkg, ref, str, strMap, typeMeta, type Definition } from './dsl.js';
import { intOrString, meta, selector, time } from './meta.js';

export const policy = pkg('io.k8s.api.policy.v1');

export const policyDefinitions: Definition[] = [
  obj(policy('PodDisruptionBudget'), 'The most voluntary disruption (eviction) a set of pods may suffer at once.', {
    ...typeMeta(meta('ObjectMeta')),
    spec: ref(policy('PodDisruptionBudgetSpec'), 'The budget wanted.', { default: {} }),
    status: ref(policy('PodDisruptionBudgetStatus'), 'The budget as last observed.', { default: {} }),
  }, { gvk: [{ group: 'policy', version: 'v1', kind: 'PodDisruptionBudget' }] }),
  obj(policy('PodDisruptionBudgetSpec'), 'What a disruption budget protects and how much.', {
    maxUnavailable: ref(intOrString, 'An eviction is allowed if at most this many selected pods (a number or a percentage) are unavailable after it. Exclusive with minAvailable.'),
    minAvailable: ref(intOrString, 'An eviction is allowed if at least this many selected pods (a number or a percentage) are still available after it. Exclusive with maxUnavailable.'),
    selector: { ...selector('The pods the budget covers. An empty selector selects every pod in the namespace; a null one none.'), 'x-kubernetes-patch-strategy': 'replace' },
    unhealthyPodEvictionPolicy: str('When not-ready pods may be evicted: IfHealthyBudget (default: only while the budget is met) or AlwaysAllow.', { enum: ['AlwaysAllow', 'IfHealthyBudget'] }),
  }),
  obj(policy('PodDisruptionBudgetStatus'), 'The observed state of a disruption budget.', {
    conditions: list(meta('Condition'), 'DisruptionAllowed: whether an eviction would be allowed now.', { mapKeys: ['type'], listType: 'map', mergeKey: 'type', strategy: 'merge' }),
    currentHealthy: int32('Healthy pods now.', { default: 0 }),
    desiredHealthy: int32('The fewest healthy pods wanted.', { default: 0 }),
    disruptedPods: map(time('When the eviction was allowed.'), 'Pods whose eviction the API server allowed and the controller has not yet seen go, with when.'),
    disruptionsAllowed: int32('How many pod disruptions are allowed now.', { default: 0 }),
    expectedPods: int32('How many pods the budget counts.', { default: 0 }),
    observedGeneration: int64('The budget generation this status reflects.'),
  }, { required: ['disruptionsAllowed', 'currentHealthy', 'desiredHealthy', 'expectedPods'] }),
  obj(policy('Eviction'), 'A request to evict a pod, honouring its disruption budgets: POSTed to the pod\'s eviction subresource.', {
    ...typeMeta(meta('ObjectMeta'), 'The pod to evict (its name and namespace).'),
    deleteOptions: ref(meta('DeleteOptions'), 'How the pod is deleted.'),
  }, { gvk: [{ group: 'policy', version: 'v1', kind: 'Eviction' }] }),

  obj(core('ReplicationController'), 'Keeps a number of pods matching its selector running (the forerunner of ReplicaSet).', {
    ...typeMeta(meta('ObjectMeta')),
    spec: ref(core('ReplicationControllerSpec'), 'Desired behaviour of the controller.', { default: {} }),
    status: ref(core('ReplicationControllerStatus'), 'Most recently observed status of the controller.', { default: {} }),
  }, { gvk: [{ group: '', version: 'v1', kind: 'ReplicationController' }] }),
  obj(core('ReplicationControllerSpec'), 'The desired state of a replication controller.', {
    minReadySeconds: int32('Seconds a new pod must be ready before it counts as available. Defaults to 0.'),
    replicas: int32('How many pods are wanted. Defaults to 1.'),
    selector: { ...strMap('The labels of the pods this controller manages; defaults to the template\'s labels.'), 'x-kubernetes-map-type': 'atomic' },
    template: ref(core('PodTemplateSpec'), 'The pod each replica is created from. Its labels must match the selector.'),
  }),
  obj(core('ReplicationControllerStatus'), 'The observed state of a replication controller.', {
    availableReplicas: int32('Pods ready for at least minReadySeconds.'),
    conditions: list(core('ReplicationControllerCondition'), 'The latest observations of the controller\'s state.', { mapKeys: ['type'], listType: 'map', mergeKey: 'type', strategy: 'merge' }),
    fullyLabeledReplicas: int32('Pods whose labels match the template\'s.'),
    observedGeneration: int64('The generation the controller last acted on.'),
    readyReplicas: int32('Ready pods.'),
    replicas: int32('The pods now.', { default: 0 }),
  }, { required: ['replicas'] }),
  obj(core('ReplicationControllerCondition'), 'One condition of a replication controller.', {
    lastTransitionTime: time('When the condition last changed status.'),
    message: str('Human-readable details of the transition.'),
    reason: str('CamelCase reason for the last transition.'),
    status: str('True, False or Unknown.', { default: '' }),
    type: str('Type of replication controller condition.', { default: '' }),
  }, { required: ['type', 'status'] }),
];
