// The HPA's decisions (kube: pkg/controller/podautoscaler — replica_calculator.go's GetResourceReplicas and
// groupPods, horizontal.go's stabilizeRecommendationWithBehaviors and convertDesiredReplicasWithBehaviorRate):
// desired replicas from resource metrics with the 0.1 tolerance, missing and unready pods rebalanced, then the
// stabilization windows, the scaling policies and min/max. Pure: pods, metrics, history and the time come in.
import type { HorizontalPodAutoscaler, HorizontalPodAutoscalerCondition, HPAScalingRules, MetricSpec, MetricStatus, Pod } from '../../../api/types.js';
import { parseQuantity } from '../../../api/quantity.js';

export const TOLERANCE = 0.1;
/** --horizontal-pod-autoscaler-downscale-stabilization: the scale-down window when behavior does not set one. */
export const DEFAULT_DOWNSCALE_WINDOW_SECONDS = 300;
const CPU_INITIALIZATION_PERIOD_MS = 5 * 60_000;
const INITIAL_READINESS_DELAY_MS = 30_000;

/** One pod's usage, per container, in base units (cores, bytes). */
export type PodUsage = Map<string, number>;

export interface Recommendation {
  timeMs: number;
  replicas: number;
}

export interface ScaleEvent {
  timeMs: number;
  /** Positive for replicas added, negative for removed. */
  change: number;
}

export interface ReplicaProposal {
  replicas: number;
  status: MetricStatus;
  /** kubectl describe's metric name: "cpu resource utilization (percentage of request)". */
  name: string;
}

const resourceName = (m: MetricSpec) => (m.type === 'Resource' ? m.resource! : m.containerResource!);

/**
 * groupPods: pods being deleted or failed are ignored; pods without metrics are missing; for cpu, pods still
 * starting (pending, or not ready within the initialization period) are unready.
 */
export function groupPods(pods: Pod[], usage: Map<string, PodUsage>, resource: string, nowMs: number): { ready: Pod[]; unready: Pod[]; missing: Pod[]; ignored: Pod[] } {
  const out = { ready: [] as Pod[], unready: [] as Pod[], missing: [] as Pod[], ignored: [] as Pod[] };
  for (const p of pods) {
    if (p.metadata.deletionTimestamp || p.status?.phase === 'Failed') {
      out.ignored.push(p);
      continue;
    }
    if (p.status?.phase === 'Pending') {
      out.unready.push(p);
      continue;
    }
    if (!usage.has(p.metadata.name!)) {
      out.missing.push(p);
      continue;
    }
    if (resource === 'cpu') {
      const cond = (p.status?.conditions ?? []).find((c) => c.type === 'Ready');
      const started = Date.parse(p.status?.startTime ?? '');
      let unready: boolean;
      if (!cond || Number.isNaN(started)) unready = true;
      // Still initializing: its CPU counts only once ready.
      else if (started + CPU_INITIALIZATION_PERIOD_MS > nowMs) unready = cond.status !== 'True';
      // Never ready since it started.
      else unready = cond.status === 'False' && started + INITIAL_READINESS_DELAY_MS > (Date.parse(cond.lastTransitionTime ?? '') || 0);
      if (unready) {
        out.unready.push(p);
        continue;
      }
    }
    out.ready.push(p);
  }
  return out;
}

/** The pod's request of the resource (the named container's, or the sum); undefined when a container has none. */
export function podRequest(p: Pod, resource: string, container?: string): number | undefined {
  let sum = 0;
  for (const c of p.spec.containers) {
    if (container && c.name !== container) continue;
    const r = c.resources?.requests?.[resource];
    if (r === undefined) return undefined;
    sum += parseQuantity(r);
  }
  return sum;
}

const podValue = (u: PodUsage, container?: string) => (container ? (u.get(container) ?? 0) : [...u.values()].reduce((a, b) => a + b, 0));

/**
 * The replicas one Resource or ContainerResource metric asks for (GetResourceReplicas / GetRawResourceReplicas),
 * from the pods the target selects and their usage. Throws with kube's wording when it cannot compute one.
 */
export function resourceReplicas(metric: MetricSpec, currentReplicas: number, pods: Pod[], usage: Map<string, PodUsage>, nowMs: number): ReplicaProposal {
  const src = resourceName(metric);
  const container = metric.type === 'ContainerResource' ? metric.containerResource!.container : undefined;
  const target = src.target;
  if (!pods.length) throw new Error('no pods returned by selector while calculating replica count');
  const g = groupPods(pods, usage, src.name, nowMs);
  const metricsOf = new Map<string, number>();
  for (const p of g.ready) metricsOf.set(p.metadata.name!, podValue(usage.get(p.metadata.name!)!, container));
  if (!metricsOf.size) throw new Error(`did not receive metrics for targeted pods (pods might be unready)`);
  const readyCount = g.ready.length;
  const label = container ? `${src.name} container resource` : `${src.name} resource`;

  if (target.type === 'Utilization') {
    const requests = new Map<string, number>();
    for (const p of [...g.ready, ...g.missing, ...g.unready]) {
      const r = podRequest(p, src.name, container);
      if (r === undefined || r === 0) throw new Error(`missing request for ${src.name} in container ${container ?? p.spec.containers.find((c) => c.resources?.requests?.[src.name] === undefined)?.name ?? ''} of Pod ${p.metadata.name}`);
      requests.set(p.metadata.name!, r);
    }
    const ratioOf = (m: Map<string, number>) => {
      let used = 0;
      let requested = 0;
      for (const [name, v] of m) {
        used += v;
        requested += requests.get(name)!;
      }
      const utilization = Math.trunc((used * 100) / requested);
      return { utilization, ratio: utilization / target.averageUtilization!, rawUtilization: (used * 100) / requested };
    };
    const first = ratioOf(metricsOf);
    const status: MetricStatus = metric.type === 'Resource' ? { type: 'Resource', resource: { name: src.name, current: { averageUtilization: first.utilization, averageValue: quantityOf(src.name, [...metricsOf.values()].reduce((a, b) => a + b, 0) / metricsOf.size) } } } : { type: 'ContainerResource', containerResource: { name: src.name, container: container!, current: { averageUtilization: first.utilization, averageValue: quantityOf(src.name, [...metricsOf.values()].reduce((a, b) => a + b, 0) / metricsOf.size) } } };
    const name = `${label} utilization (percentage of request)`;
    return { replicas: rebalance(first.ratio, currentReplicas, readyCount, g, metricsOf, (m) => ratioOf(m).ratio, (p) => requests.get(p.metadata.name!)!), status, name };
  }
  // AverageValue: usage per pod against the target quantity.
  const targetValue = parseQuantity(target.averageValue);
  const ratioOf = (m: Map<string, number>) => [...m.values()].reduce((a, b) => a + b, 0) / m.size / targetValue;
  const avg = [...metricsOf.values()].reduce((a, b) => a + b, 0) / metricsOf.size;
  const status: MetricStatus = metric.type === 'Resource' ? { type: 'Resource', resource: { name: src.name, current: { averageValue: quantityOf(src.name, avg) } } } : { type: 'ContainerResource', containerResource: { name: src.name, container: container!, current: { averageValue: quantityOf(src.name, avg) } } };
  return { replicas: rebalance(ratioOf(metricsOf), currentReplicas, readyCount, g, metricsOf, ratioOf, () => targetValue), status, name: `${label} (average value)` };
}

/** The usage ratio with missing pods assumed at 100% (scale down) or 0% (scale up), unready ones at 0% for scale up. */
function rebalance(ratio: number, current: number, readyCount: number, g: ReturnType<typeof groupPods>, metrics: Map<string, number>, ratioOf: (m: Map<string, number>) => number, full: (p: Pod) => number): number {
  const rebalanceIgnored = g.unready.length > 0 && ratio > 1;
  if (!rebalanceIgnored && !g.missing.length) {
    if (Math.abs(1 - ratio) <= TOLERANCE) return current;
    return Math.ceil(ratio * readyCount);
  }
  const m = new Map(metrics);
  for (const p of g.missing) m.set(p.metadata.name!, ratio < 1 ? full(p) : 0);
  if (rebalanceIgnored) for (const p of g.unready) m.set(p.metadata.name!, 0);
  const newRatio = ratioOf(m);
  if (Math.abs(1 - newRatio) <= TOLERANCE || (ratio < 1 && newRatio > 1) || (ratio > 1 && newRatio < 1)) return current;
  const proposed = Math.ceil(newRatio * m.size);
  if ((newRatio < 1 && proposed > current) || (newRatio > 1 && proposed < current)) return current;
  return proposed;
}

/** A quantity as metrics are reported: CPU in millicores ("250m"), memory in bytes. */
export function quantityOf(resource: string, v: number): string {
  return resource === 'cpu' ? `${Math.round(v * 1000)}m` : String(Math.round(v));
}

/** The scaling rules in force: behavior's, or the defaults (scale-down window 300 s). */
export function rulesOf(hpa: HorizontalPodAutoscaler): { up: Required<HPAScalingRules>; down: Required<HPAScalingRules> } {
  const b = hpa.spec.behavior;
  return {
    up: { stabilizationWindowSeconds: b?.scaleUp?.stabilizationWindowSeconds ?? 0, selectPolicy: b?.scaleUp?.selectPolicy ?? 'Max', policies: b?.scaleUp?.policies ?? [{ type: 'Pods', value: 4, periodSeconds: 15 }, { type: 'Percent', value: 100, periodSeconds: 15 }] },
    down: { stabilizationWindowSeconds: b?.scaleDown?.stabilizationWindowSeconds ?? DEFAULT_DOWNSCALE_WINDOW_SECONDS, selectPolicy: b?.scaleDown?.selectPolicy ?? 'Max', policies: b?.scaleDown?.policies ?? [{ type: 'Percent', value: 100, periodSeconds: 15 }] },
  };
}

export interface Normalized {
  replicas: number;
  /** The ScalingLimited condition (True with why the count was capped, or DesiredWithinRange). */
  limited: HorizontalPodAutoscalerCondition;
  /** Set when stabilization changed the recommendation (AbleToScale's reason). */
  stabilized?: { reason: string; message: string };
}

/**
 * From the metrics' recommendation to the replicas to set: stabilized over the windows (the lowest recent
 * recommendation going up, the highest going down), then limited by the policies over the recent scale events,
 * then kept within min and max. `history` holds earlier recommendations; this one is to be added by the caller.
 */
export function normalize(hpa: HorizontalPodAutoscaler, current: number, recommended: number, history: Recommendation[], events: ScaleEvent[], nowMs: number): Normalized {
  const { up, down } = rulesOf(hpa);
  const min = hpa.spec.minReplicas ?? 1;
  const max = hpa.spec.maxReplicas;
  let upRec = recommended;
  let downRec = recommended;
  for (const r of history) {
    if (r.timeMs > nowMs - up.stabilizationWindowSeconds * 1000) upRec = Math.min(upRec, r.replicas);
    if (r.timeMs > nowMs - down.stabilizationWindowSeconds * 1000) downRec = Math.max(downRec, r.replicas);
  }
  let stabilizedReplicas = current;
  if (stabilizedReplicas < upRec) stabilizedReplicas = upRec;
  if (stabilizedReplicas > downRec) stabilizedReplicas = downRec;
  let stabilized: Normalized['stabilized'];
  if (stabilizedReplicas !== recommended)
    stabilized = stabilizedReplicas < recommended ? { reason: 'ScaleUpStabilized', message: 'recent recommendations were lower than current one, applying the lowest recent recommendation' } : { reason: 'ScaleDownStabilized', message: 'recent recommendations were higher than current one, applying the highest recent recommendation' };

  const within: HorizontalPodAutoscalerCondition = { type: 'ScalingLimited', status: 'False', reason: 'DesiredWithinRange', message: 'the desired count is within the acceptable range' };
  const limited = (reason: string, message: string): HorizontalPodAutoscalerCondition => ({ type: 'ScalingLimited', status: 'True', reason, message });
  if (stabilizedReplicas > current) {
    let limit = scaleUpLimit(current, events, up, nowMs);
    let cond = limited('ScaleUpLimit', 'the desired replica count is increasing faster than the maximum scale rate');
    if (limit < current) limit = current;
    if (limit > max) {
      limit = max;
      cond = limited('TooManyReplicas', 'the desired replica count is more than the maximum replica count');
    }
    return stabilizedReplicas > limit ? { replicas: limit, limited: cond, stabilized } : { replicas: stabilizedReplicas, limited: within, stabilized };
  }
  if (stabilizedReplicas < current) {
    let limit = scaleDownLimit(current, events, down, nowMs);
    let cond = limited('ScaleDownLimit', 'the desired replica count is decreasing faster than the maximum scale rate');
    if (limit > current) limit = current;
    if (limit < min) {
      limit = min;
      cond = limited('TooFewReplicas', 'the desired replica count is less than the minimum replica count');
    }
    return stabilizedReplicas < limit ? { replicas: limit, limited: cond, stabilized } : { replicas: stabilizedReplicas, limited: within, stabilized };
  }
  if (stabilizedReplicas > max) return { replicas: max, limited: limited('TooManyReplicas', 'the desired replica count is more than the maximum replica count'), stabilized };
  if (stabilizedReplicas < min) return { replicas: min, limited: limited('TooFewReplicas', 'the desired replica count is less than the minimum replica count'), stabilized };
  return { replicas: stabilizedReplicas, limited: within, stabilized };
}

/** calculateScaleUpLimitWithScalingRules. */
export function scaleUpLimit(current: number, events: ScaleEvent[], rules: Required<HPAScalingRules>, nowMs: number): number {
  if (rules.selectPolicy === 'Disabled') return current;
  const pick = rules.selectPolicy === 'Min' ? Math.min : Math.max;
  let result = rules.selectPolicy === 'Min' ? Infinity : -Infinity;
  for (const p of rules.policies) {
    const added = events.filter((e) => e.change > 0 && e.timeMs > nowMs - p.periodSeconds * 1000).reduce((a, e) => a + e.change, 0);
    const start = current - added;
    const proposed = p.type === 'Pods' ? start + p.value : Math.ceil(start * (1 + p.value / 100));
    result = pick(result, proposed);
  }
  return Number.isFinite(result) ? result : current;
}

/** calculateScaleDownLimitWithBehaviors. */
export function scaleDownLimit(current: number, events: ScaleEvent[], rules: Required<HPAScalingRules>, nowMs: number): number {
  if (rules.selectPolicy === 'Disabled') return current;
  const pick = rules.selectPolicy === 'Min' ? Math.max : Math.min;
  let result = rules.selectPolicy === 'Min' ? -Infinity : Infinity;
  for (const p of rules.policies) {
    const removed = events.filter((e) => e.change < 0 && e.timeMs > nowMs - p.periodSeconds * 1000).reduce((a, e) => a - e.change, 0);
    const start = current + removed;
    const proposed = p.type === 'Pods' ? start - p.value : Math.floor(start * (1 - p.value / 100));
    result = pick(result, proposed);
  }
  return Number.isFinite(result) ? result : current;
}

/** SuccessfulRescale's reason: the first metric above target, or all below. */
export function rescaleReason(proposals: ReplicaProposal[], current: number, desired: number): string {
  if (desired > current) {
    const above = proposals.find((p) => p.replicas > current);
    if (above) return `${above.name} above target`;
  }
  return 'All metrics below target';
}
