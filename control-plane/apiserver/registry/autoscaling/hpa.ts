// HorizontalPodAutoscaler (kube: pkg/registry/autoscaling/horizontalpodautoscaler/strategy.go, pkg/apis/autoscaling
// v1 and v2 defaults, validation and conversion): autoscaling/v2 is the storage version; autoscaling/v1 reads and
// writes the same objects, its CPU target converted field by field and what it cannot express kept in the
// `autoscaling.alpha.kubernetes.io/*` annotations, so a round trip through v1 loses nothing.
import type { HorizontalPodAutoscaler, KubeObject, MetricSpec, MetricStatus, StatusCause } from '../../../../api/types.js';
import { strategy } from '../strategy.js';
import { invalidValue, notSupported, required } from '../validation.js';

type Any = any;

export const ANNOTATION_METRICS = 'autoscaling.alpha.kubernetes.io/metrics';
export const ANNOTATION_CURRENT_METRICS = 'autoscaling.alpha.kubernetes.io/current-metrics';
export const ANNOTATION_CONDITIONS = 'autoscaling.alpha.kubernetes.io/conditions';
export const ANNOTATION_BEHAVIOR = 'autoscaling.alpha.kubernetes.io/behavior';

/** The target when none is given: 80% of the requested CPU (kube's DefaultCPUUtilization). */
export const DEFAULT_CPU_UTILIZATION = 80;

const isCPUUtilization = (m: MetricSpec) => m.type === 'Resource' && m.resource?.name === 'cpu' && m.resource.target.type === 'Utilization';

/** v2 defaults (SetDefaults_HorizontalPodAutoscaler, SetDefaults_HorizontalPodAutoscalerBehavior). */
export function defaultV2(o: KubeObject): void {
  const hpa = o as HorizontalPodAutoscaler;
  hpa.spec ??= {} as HorizontalPodAutoscaler['spec'];
  hpa.spec.minReplicas ??= 1;
  if (!hpa.spec.metrics?.length) hpa.spec.metrics = [{ type: 'Resource', resource: { name: 'cpu', target: { type: 'Utilization', averageUtilization: DEFAULT_CPU_UTILIZATION } } }];
  const b = hpa.spec.behavior;
  if (b) {
    b.scaleUp = { stabilizationWindowSeconds: 0, selectPolicy: 'Max', policies: [{ type: 'Pods', value: 4, periodSeconds: 15 }, { type: 'Percent', value: 100, periodSeconds: 15 }], ...(b.scaleUp ?? {}) };
    b.scaleDown = { selectPolicy: 'Max', policies: [{ type: 'Percent', value: 100, periodSeconds: 15 }], ...(b.scaleDown ?? {}) };
    if (b.scaleUp.policies === undefined || b.scaleUp.policies === null) delete b.scaleUp.policies;
  }
}

export function defaultV1(o: KubeObject): void {
  (o as Any).spec ??= {};
  (o as Any).spec.minReplicas ??= 1;
}

function commonErrors(spec: Any): StatusCause[] {
  const errs: StatusCause[] = [];
  if (!spec?.scaleTargetRef?.kind) errs.push(required('spec.scaleTargetRef.kind'));
  if (!spec?.scaleTargetRef?.name) errs.push(required('spec.scaleTargetRef.name'));
  if (spec?.minReplicas !== undefined && spec.minReplicas < 1) errs.push(invalidValue('spec.minReplicas', spec.minReplicas, 'must be greater than or equal to 1'));
  if (!(spec?.maxReplicas >= 1)) errs.push(invalidValue('spec.maxReplicas', spec?.maxReplicas ?? 0, 'must be greater than 0'));
  else if (spec.minReplicas !== undefined && spec.maxReplicas < spec.minReplicas) errs.push(invalidValue('spec.maxReplicas', spec.maxReplicas, 'must be greater than or equal to `minReplicas`'));
  return errs;
}

/** ValidateHorizontalPodAutoscaler, the parts kubets' controller relies on. */
export function validateV2(o: KubeObject): StatusCause[] {
  const spec = (o as HorizontalPodAutoscaler).spec;
  const errs = commonErrors(spec);
  const types = ['ContainerResource', 'External', 'Object', 'Pods', 'Resource'];
  (spec?.metrics ?? []).forEach((m, i) => {
    const at = `spec.metrics[${i}]`;
    if (!types.includes(m.type)) return errs.push(notSupported(`${at}.type`, m.type, types));
    const source = m.type === 'Resource' ? m.resource : m.type === 'ContainerResource' ? m.containerResource : undefined;
    if ((m.type === 'Resource' || m.type === 'ContainerResource') && !source) return errs.push(required(`${at}.${m.type === 'Resource' ? 'resource' : 'containerResource'}`, `must populate information for the given metric source`));
    const target = source?.target;
    if (!target) return;
    const tpath = `${at}.${m.type === 'Resource' ? 'resource' : 'containerResource'}.target`;
    if (!['Utilization', 'Value', 'AverageValue'].includes(target.type)) errs.push(notSupported(`${tpath}.type`, target.type, ['AverageValue', 'Utilization', 'Value']));
    if (target.type === 'Utilization' && !(Number(target.averageUtilization) > 0)) errs.push(invalidValue(`${tpath}.averageUtilization`, target.averageUtilization ?? 0, 'must be greater than 0'));
  });
  for (const dir of ['scaleUp', 'scaleDown'] as const) {
    const r = spec?.behavior?.[dir];
    const w = r?.stabilizationWindowSeconds;
    if (w !== undefined && (w < 0 || w > 3600)) errs.push(invalidValue(`spec.behavior.${dir}.stabilizationWindowSeconds`, w, w < 0 ? 'must be greater than or equal to zero' : 'must be less than or equal to 3600'));
    (r?.policies ?? []).forEach((p, i) => {
      if (!(p.periodSeconds > 0 && p.periodSeconds <= 1800)) errs.push(invalidValue(`spec.behavior.${dir}.policies[${i}].periodSeconds`, p.periodSeconds, 'must be greater than zero and less than or equal to 1800'));
      if (!(p.value > 0)) errs.push(invalidValue(`spec.behavior.${dir}.policies[${i}].value`, p.value, 'must be greater than zero'));
    });
  }
  return errs;
}

export function validateV1(o: KubeObject): StatusCause[] {
  const spec = (o as Any).spec;
  const errs = commonErrors(spec);
  if (spec?.targetCPUUtilizationPercentage !== undefined && spec.targetCPUUtilizationPercentage < 1) errs.push(invalidValue('spec.targetCPUUtilizationPercentage', spec.targetCPUUtilizationPercentage, 'must be greater than or equal to 1'));
  return errs;
}

const parseAnnotation = (annotations: Record<string, string>, key: string): Any => {
  const raw = annotations[key];
  delete annotations[key];
  if (!raw) return undefined;
  try {
    return JSON.parse(raw);
  } catch {
    return undefined;
  }
};

/** autoscaling/v1 → autoscaling/v2 (the stored shape). */
export function v1ToV2(o: KubeObject): KubeObject {
  const v1 = structuredClone(o) as Any;
  const annotations: Record<string, string> = { ...(v1.metadata?.annotations ?? {}) };
  const otherMetrics: MetricSpec[] = parseAnnotation(annotations, ANNOTATION_METRICS) ?? [];
  const otherCurrent: MetricStatus[] = parseAnnotation(annotations, ANNOTATION_CURRENT_METRICS) ?? [];
  const conditions = parseAnnotation(annotations, ANNOTATION_CONDITIONS);
  const behavior = parseAnnotation(annotations, ANNOTATION_BEHAVIOR);
  const metadata = { ...v1.metadata };
  if (Object.keys(annotations).length) metadata.annotations = annotations;
  else delete metadata.annotations;
  const spec = v1.spec ?? {};
  const cpu: MetricSpec[] = spec.targetCPUUtilizationPercentage !== undefined ? [{ type: 'Resource', resource: { name: 'cpu', target: { type: 'Utilization', averageUtilization: spec.targetCPUUtilizationPercentage } } }] : [];
  const metrics = [...cpu, ...otherMetrics];
  const st = v1.status;
  const out: Any = {
    apiVersion: 'autoscaling/v2',
    kind: 'HorizontalPodAutoscaler',
    metadata,
    spec: {
      scaleTargetRef: spec.scaleTargetRef,
      ...(spec.minReplicas !== undefined ? { minReplicas: spec.minReplicas } : {}),
      maxReplicas: spec.maxReplicas,
      ...(metrics.length ? { metrics } : {}),
      ...(behavior ? { behavior } : {}),
    },
  };
  if (st) {
    const current: MetricStatus[] = st.currentCPUUtilizationPercentage !== undefined ? [{ type: 'Resource', resource: { name: 'cpu', current: { averageUtilization: st.currentCPUUtilizationPercentage } } }] : [];
    out.status = {
      ...(st.observedGeneration !== undefined ? { observedGeneration: st.observedGeneration } : {}),
      ...(st.lastScaleTime ? { lastScaleTime: st.lastScaleTime } : {}),
      currentReplicas: st.currentReplicas ?? 0,
      desiredReplicas: st.desiredReplicas ?? 0,
      ...(current.length || otherCurrent.length ? { currentMetrics: [...current, ...otherCurrent] } : {}),
      ...(conditions ? { conditions } : {}),
    };
  }
  return out;
}

/** autoscaling/v2 (stored) → autoscaling/v1. */
export function v2ToV1(o: KubeObject): KubeObject {
  const v2 = structuredClone(o) as HorizontalPodAutoscaler;
  const annotations: Record<string, string> = { ...(v2.metadata?.annotations ?? {}) };
  const metrics = v2.spec?.metrics ?? [];
  const cpu = metrics.find(isCPUUtilization);
  const others = metrics.filter((m) => m !== cpu);
  if (others.length) annotations[ANNOTATION_METRICS] = JSON.stringify(others);
  if (v2.spec?.behavior) annotations[ANNOTATION_BEHAVIOR] = JSON.stringify(v2.spec.behavior);
  const st = v2.status;
  const currentCPU = st?.currentMetrics?.find((m) => m.type === 'Resource' && m.resource?.name === 'cpu' && m.resource.current.averageUtilization !== undefined);
  const otherCurrent = (st?.currentMetrics ?? []).filter((m) => m !== currentCPU);
  if (otherCurrent.length) annotations[ANNOTATION_CURRENT_METRICS] = JSON.stringify(otherCurrent);
  if (st?.conditions?.length) annotations[ANNOTATION_CONDITIONS] = JSON.stringify(st.conditions);
  const metadata = { ...v2.metadata, ...(Object.keys(annotations).length ? { annotations } : {}) };
  const out: Any = {
    apiVersion: 'autoscaling/v1',
    kind: 'HorizontalPodAutoscaler',
    metadata,
    spec: {
      scaleTargetRef: v2.spec?.scaleTargetRef,
      ...(v2.spec?.minReplicas !== undefined ? { minReplicas: v2.spec.minReplicas } : {}),
      maxReplicas: v2.spec?.maxReplicas,
      ...(cpu ? { targetCPUUtilizationPercentage: cpu.resource!.target.averageUtilization } : {}),
    },
  };
  if (st)
    out.status = {
      ...(st.observedGeneration !== undefined ? { observedGeneration: st.observedGeneration } : {}),
      ...(st.lastScaleTime ? { lastScaleTime: st.lastScaleTime } : {}),
      currentReplicas: st.currentReplicas ?? 0,
      desiredReplicas: st.desiredReplicas ?? 0,
      ...(currentCPU ? { currentCPUUtilizationPercentage: currentCPU.resource!.current.averageUtilization } : {}),
    };
  return out;
}

export const hpaV2Strategy = strategy({ statusSubresource: true, defaults: defaultV2, validate: validateV2 });
export const hpaV1Strategy = strategy({ statusSubresource: true, defaults: defaultV1, validate: validateV1 });
