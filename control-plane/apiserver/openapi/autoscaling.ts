// autoscaling/v2 and v1 HorizontalPodAutoscaler: replicas of a scalable target follow observed metrics.
import { int32, list, obj, pkg, ref, str, typeMeta, type Definition, type Schema } from './dsl.js';
import { meta, quantity, selector, time } from './meta.js';

export const autoscalingV2 = pkg('io.k8s.api.autoscaling.v2');
export const autoscalingV1 = pkg('io.k8s.api.autoscaling.v1');
const v2 = autoscalingV2;
const q = (description: string) => ref(quantity, description);

const condition = (what: string): Record<string, Schema> => ({
  lastTransitionTime: time('When the condition last changed status.'),
  message: str('Human-readable details of the transition.'),
  reason: str('CamelCase reason for the last transition.'),
  status: str('True, False or Unknown.'),
  type: str(`Type of ${what} condition.`),
});

const targetRef = (p: (n: string) => string) =>
  obj(p('CrossVersionObjectReference'), 'Identifies the scaled object: its kind, name and API version.', {
    apiVersion: str('API version of the referent.'),
    kind: str('Kind of the referent, e.g. Deployment.'),
    name: str('Name of the referent.'),
  }, { required: ['kind', 'name'], mapType: 'atomic' });

const metricIdentifier = ref(v2('MetricIdentifier'), 'The metric by name and selector.', { default: {} });
const metricTarget = ref(v2('MetricTarget'), 'The target value, average value or average utilization of the metric.', { default: {} });

export const autoscalingDefinitions: Definition[] = [
  obj(v2('HorizontalPodAutoscaler'), 'Scales a scalable resource (a Deployment, a ReplicaSet, a StatefulSet) between minReplicas and maxReplicas so that the metrics it names stay at their targets.', {
    ...typeMeta(meta('ObjectMeta')),
    spec: ref(v2('HorizontalPodAutoscalerSpec'), 'What is scaled, between which bounds, on which metrics.', { default: {} }),
    status: ref(v2('HorizontalPodAutoscalerStatus'), 'The last observed state of the autoscaler.', { default: {} }),
  }, { gvk: [{ group: 'autoscaling', version: 'v2', kind: 'HorizontalPodAutoscaler' }] }),
  obj(v2('HorizontalPodAutoscalerSpec'), 'The desired behaviour of an autoscaler.', {
    behavior: ref(v2('HorizontalPodAutoscalerBehavior'), 'How fast the target is scaled up and down; the defaults when unset.'),
    maxReplicas: int32('The upper bound of the number of replicas; never lower than minReplicas.', { default: 0 }),
    metrics: list(v2('MetricSpec'), 'The metrics the desired replica count is computed from (the highest wins). Default: 80% average CPU utilization.', { listType: 'atomic' }),
    minReplicas: int32('The lower bound of the number of replicas; defaults to 1.'),
    scaleTargetRef: ref(targetRefName(v2), 'The object scaled: it must serve the scale subresource.', { default: {} }),
  }, { required: ['scaleTargetRef', 'maxReplicas'] }),
  targetRef(v2),
  obj(v2('HorizontalPodAutoscalerBehavior'), 'Scaling behaviour in each direction.', {
    scaleDown: ref(v2('HPAScalingRules'), 'Rules for scaling down: a 300 second stabilization window and 100% per 15 s by default.'),
    scaleUp: ref(v2('HPAScalingRules'), 'Rules for scaling up: no stabilization, the larger of 4 pods or 100% per 15 s by default.'),
  }),
  obj(v2('HPAScalingRules'), 'Limits on how fast the replica count changes in one direction.', {
    policies: list(v2('HPAScalingPolicy'), 'Policies that limit the change over a period.', { listType: 'atomic' }),
    selectPolicy: str('Which policy applies: Max (the default), Min or Disabled.'),
    stabilizationWindowSeconds: int32('Seconds of past recommendations considered, so that the count does not flap.'),
  }),
  obj(v2('HPAScalingPolicy'), 'One limit: by pods or by percent over a period.', {
    periodSeconds: int32('The window the policy holds over, 1 to 1800 seconds.', { default: 0 }),
    type: str('Pods or Percent.', { default: '' }),
    value: int32('The amount of change the policy allows.', { default: 0 }),
  }, { required: ['type', 'value', 'periodSeconds'] }),
  obj(v2('MetricSpec'), 'One metric to scale on.', {
    containerResource: ref(v2('ContainerResourceMetricSource'), 'A resource metric of one container of each pod.'),
    external: ref(v2('ExternalMetricSource'), 'A metric not tied to any Kubernetes object.'),
    object: ref(v2('ObjectMetricSource'), 'A metric describing one object.'),
    pods: ref(v2('PodsMetricSource'), 'A metric of each pod, averaged.'),
    resource: ref(v2('ResourceMetricSource'), 'A resource metric (cpu, memory) of each pod, as requests and limits know them.'),
    type: str('The type of metric source: ContainerResource, External, Object, Pods or Resource.', { default: '' }),
  }, { required: ['type'] }),
  obj(v2('ResourceMetricSource'), 'A resource metric across the pods of the target.', {
    name: str('Name of the resource: cpu or memory.', { default: '' }),
    target: metricTarget,
  }, { required: ['name', 'target'] }),
  obj(v2('ContainerResourceMetricSource'), 'A resource metric of one container across the pods of the target.', {
    container: str('Name of the container.', { default: '' }),
    name: str('Name of the resource: cpu or memory.', { default: '' }),
    target: metricTarget,
  }, { required: ['name', 'target', 'container'] }),
  obj(v2('PodsMetricSource'), 'A metric of each pod, averaged.', { metric: metricIdentifier, target: metricTarget }, { required: ['metric', 'target'] }),
  obj(v2('ExternalMetricSource'), 'A metric not tied to any Kubernetes object.', { metric: metricIdentifier, target: metricTarget }, { required: ['metric', 'target'] }),
  obj(v2('ObjectMetricSource'), 'A metric describing one object.', {
    describedObject: ref(targetRefName(v2), 'The object the metric describes.', { default: {} }),
    metric: metricIdentifier,
    target: metricTarget,
  }, { required: ['describedObject', 'target', 'metric'] }),
  obj(v2('MetricIdentifier'), 'A metric by name and selector.', {
    name: str('Name of the metric.', { default: '' }),
    selector: selector('Label selector narrowing the metric.'),
  }, { required: ['name'] }),
  obj(v2('MetricTarget'), 'The target of a metric.', {
    averageUtilization: int32('Target percentage of the resource request, averaged over the pods (Resource metrics only).'),
    averageValue: q('Target value averaged over the pods.'),
    type: str('Utilization, Value or AverageValue.', { default: '' }),
    value: q('Target value of the metric.'),
  }, { required: ['type'] }),
  obj(v2('HorizontalPodAutoscalerStatus'), 'The current state of an autoscaler.', {
    conditions: list(v2('HorizontalPodAutoscalerCondition'), 'AbleToScale, ScalingActive and ScalingLimited.', { mapKeys: ['type'], listType: 'map', mergeKey: 'type', strategy: 'merge' }),
    currentMetrics: list(v2('MetricStatus'), 'The last read value of each metric.', { listType: 'atomic' }),
    currentReplicas: int32('Replicas of the target as last seen.'),
    desiredReplicas: int32('Replicas the autoscaler last wanted.', { default: 0 }),
    lastScaleTime: time('When the autoscaler last changed the replica count.'),
    observedGeneration: { type: 'integer', format: 'int64', description: 'The most recent generation observed.' },
  }, { required: ['desiredReplicas'] }),
  obj(v2('HorizontalPodAutoscalerCondition'), 'One condition of an autoscaler.', condition('autoscaler'), { required: ['type', 'status'] }),
  obj(v2('MetricStatus'), 'The last read state of one metric.', {
    containerResource: ref(v2('ContainerResourceMetricStatus'), 'A container resource metric.'),
    external: ref(v2('ExternalMetricStatus'), 'An external metric.'),
    object: ref(v2('ObjectMetricStatus'), 'An object metric.'),
    pods: ref(v2('PodsMetricStatus'), 'A pods metric.'),
    resource: ref(v2('ResourceMetricStatus'), 'A resource metric.'),
    type: str('The type of metric source.', { default: '' }),
  }, { required: ['type'] }),
  obj(v2('ResourceMetricStatus'), 'The current value of a resource metric.', { current: ref(v2('MetricValueStatus'), 'The current value.', { default: {} }), name: str('Name of the resource.', { default: '' }) }, { required: ['name', 'current'] }),
  obj(v2('ContainerResourceMetricStatus'), 'The current value of a container resource metric.', { container: str('Name of the container.', { default: '' }), current: ref(v2('MetricValueStatus'), 'The current value.', { default: {} }), name: str('Name of the resource.', { default: '' }) }, { required: ['name', 'current', 'container'] }),
  obj(v2('PodsMetricStatus'), 'The current value of a pods metric.', { current: ref(v2('MetricValueStatus'), 'The current value.', { default: {} }), metric: metricIdentifier }, { required: ['metric', 'current'] }),
  obj(v2('ExternalMetricStatus'), 'The current value of an external metric.', { current: ref(v2('MetricValueStatus'), 'The current value.', { default: {} }), metric: metricIdentifier }, { required: ['metric', 'current'] }),
  obj(v2('ObjectMetricStatus'), 'The current value of an object metric.', { current: ref(v2('MetricValueStatus'), 'The current value.', { default: {} }), describedObject: ref(targetRefName(v2), 'The object described.', { default: {} }), metric: metricIdentifier }, { required: ['metric', 'current', 'describedObject'] }),
  obj(v2('MetricValueStatus'), 'A metric\'s current value.', {
    averageUtilization: int32('Current percentage of the resource request, averaged over the pods.'),
    averageValue: q('Current value averaged over the pods.'),
    value: q('Current value.'),
  }),

  // ---- autoscaling/v1: CPU utilization only; the rest of v2 travels in annotations ----
  obj(autoscalingV1('HorizontalPodAutoscaler'), 'Configuration of a horizontal pod autoscaler (CPU utilization only).', {
    ...typeMeta(meta('ObjectMeta')),
    spec: ref(autoscalingV1('HorizontalPodAutoscalerSpec'), 'What is scaled and between which bounds.', { default: {} }),
    status: ref(autoscalingV1('HorizontalPodAutoscalerStatus'), 'The current state of the autoscaler.', { default: {} }),
  }, { gvk: [{ group: 'autoscaling', version: 'v1', kind: 'HorizontalPodAutoscaler' }] }),
  obj(autoscalingV1('HorizontalPodAutoscalerSpec'), 'The desired behaviour of an autoscaler.', {
    maxReplicas: int32('The upper bound of the number of replicas.', { default: 0 }),
    minReplicas: int32('The lower bound of the number of replicas; defaults to 1.'),
    scaleTargetRef: ref(targetRefName(autoscalingV1), 'The object scaled.', { default: {} }),
    targetCPUUtilizationPercentage: int32('Target average CPU utilization, percent of the requested CPU; 80 when unset.'),
  }, { required: ['scaleTargetRef', 'maxReplicas'] }),
  targetRef(autoscalingV1),
  obj(autoscalingV1('HorizontalPodAutoscalerStatus'), 'The current state of an autoscaler.', {
    currentCPUUtilizationPercentage: int32('Current average CPU utilization, percent of the requested CPU.'),
    currentReplicas: int32('Replicas of the target as last seen.', { default: 0 }),
    desiredReplicas: int32('Replicas the autoscaler last wanted.', { default: 0 }),
    lastScaleTime: time('When the autoscaler last changed the replica count.'),
    observedGeneration: { type: 'integer', format: 'int64', description: 'The most recent generation observed.' },
  }, { required: ['currentReplicas', 'desiredReplicas'] }),
];

function targetRefName(p: (n: string) => string): string {
  return p('CrossVersionObjectReference');
}
