// pkg/controller/podautoscaler HorizontalController: every HPA is reconciled each sync period — the target's /scale
// read, its pods listed by the scale's selector, their metrics read from metrics.k8s.io through the API server, the
// desired count computed and normalized (actions.ts), the scale written when it changes (event SuccessfulRescale),
// and the status (currentMetrics, AbleToScale, ScalingActive, ScalingLimited) written back. The recommendations and
// scale events the windows and policies look back on are kept in memory, as upstream keeps them.
import { logger } from '../../../api/log.js';
import { parseQuantity } from '../../../api/quantity.js';
import { collectionPath, Resources, type ResourceRef } from '../../../api/resources.js';
import { formatTime } from '../../../api/time.js';
import { objectKey, type HorizontalPodAutoscaler, type HorizontalPodAutoscalerCondition, type MetricStatus, type Pod } from '../../../api/types.js';
import { queueController, type Controller, type ControllerContext } from '../controller.js';
import { normalize, rescaleReason, resourceReplicas, type PodUsage, type Recommendation, type ReplicaProposal, type ScaleEvent } from './actions.js';

const log = logger('horizontal-pod-autoscaler');

/** --horizontal-pod-autoscaler-sync-period. */
export const DEFAULT_SYNC_PERIOD_SECONDS = 15;

interface Scale {
  metadata: { name: string; namespace: string; resourceVersion?: string };
  spec: { replicas?: number };
  status: { replicas: number; selector?: string };
}

interface PodMetricsList {
  items: { metadata: { name: string }; containers: { name: string; usage: Record<string, string> }[] }[];
}

/** The scalable kinds by group/version/kind; other kinds are looked up as <kind lowercased>s. */
function scaleRef(apiVersion: string | undefined, kind: string): ResourceRef {
  const [group, version] = apiVersion?.includes('/') ? apiVersion.split('/') : ['', apiVersion ?? 'v1'];
  const known = Object.values(Resources).find((r) => r.kind === kind && r.group === group);
  return known ? { ...known, version } : { group, version, kind, plural: `${kind.toLowerCase()}s`, namespaced: true };
}

function setCondition(conds: HorizontalPodAutoscalerCondition[], c: HorizontalPodAutoscalerCondition, now: string): void {
  const i = conds.findIndex((x) => x.type === c.type);
  const old = conds[i];
  const next = { ...c, lastTransitionTime: old && old.status === c.status ? (old.lastTransitionTime ?? now) : now };
  if (i >= 0) conds[i] = next;
  else conds.push(next);
}

export function horizontalPodAutoscalerController(ctx: ControllerContext & { syncPeriodSeconds?: number }): Controller {
  const { client, informers, recorder } = ctx;
  const hpas = informers.for<HorizontalPodAutoscaler>(Resources.horizontalpodautoscalers);
  const periodMs = (ctx.syncPeriodSeconds ?? DEFAULT_SYNC_PERIOD_SECONDS) * 1000;
  const c = queueController('horizontal-pod-autoscaler', 2, sync);
  const recommendations = new Map<string, Recommendation[]>();
  const scaleEvents = new Map<string, ScaleEvent[]>();
  hpas.addHandlers({ onAdd: (h) => c.queue.add(objectKey(h)), onUpdate: (o, h) => o.metadata.generation !== h.metadata.generation && c.queue.add(objectKey(h)), onDelete: (h) => c.queue.add(objectKey(h)) });

  /** Usage per pod and container of cpu and memory, from one PodMetrics list of the selected pods. */
  async function podUsage(namespace: string, selector: string): Promise<Record<'cpu' | 'memory', Map<string, PodUsage>>> {
    let list: PodMetricsList;
    try {
      list = await client.request<PodMetricsList>('GET', `/apis/metrics.k8s.io/v1beta1/namespaces/${encodeURIComponent(namespace)}/pods?labelSelector=${encodeURIComponent(selector)}`);
    } catch (e) {
      throw new Error(`unable to get metrics for resource cpu: unable to fetch metrics from resource metrics API: ${(e as Error).message}`);
    }
    const of = (resource: 'cpu' | 'memory') => new Map<string, PodUsage>((list.items ?? []).map((pm) => [pm.metadata.name, new Map(pm.containers.map((ct) => [ct.name, parseQuantity(ct.usage[resource] ?? '0')]))]));
    return { cpu: of('cpu'), memory: of('memory') };
  }

  async function sync(key: string): Promise<void> {
    const hpa = hpas.get(key);
    if (!hpa) {
      recommendations.delete(key);
      scaleEvents.delete(key);
      return;
    }
    try {
      await reconcile(key, hpa);
    } finally {
      if (hpas.get(key)) c.queue.addAfter(key, periodMs);
    }
  }

  async function reconcile(key: string, hpa: HorizontalPodAutoscaler): Promise<void> {
    const ns = hpa.metadata.namespace!;
    const target = hpa.spec.scaleTargetRef;
    const ref = scaleRef(target.apiVersion, target.kind);
    const scalePath = `${collectionPath(ref, ns)}/${encodeURIComponent(target.name)}/scale`;
    const now = Date.now();
    const nowStr = formatTime(now);
    const conditions = structuredClone(hpa.status?.conditions ?? []);
    const writeStatus = async (status: Partial<NonNullable<HorizontalPodAutoscaler['status']>>) => {
      const next: HorizontalPodAutoscaler = { ...hpa, status: { ...(hpa.status ?? {}), ...status, observedGeneration: hpa.metadata.generation, conditions } as HorizontalPodAutoscaler['status'] };
      if (JSON.stringify(next.status) === JSON.stringify(hpa.status)) return;
      await client.updateStatus(Resources.horizontalpodautoscalers, next);
    };

    let scale: Scale;
    try {
      scale = await client.request<Scale>('GET', scalePath);
    } catch (e) {
      const msg = `the HPA controller was unable to get the target's current scale: ${(e as Error).message}`;
      setCondition(conditions, { type: 'AbleToScale', status: 'False', reason: 'FailedGetScale', message: msg }, nowStr);
      void recorder.record(hpa, 'Warning', 'FailedGetScale', (e as Error).message);
      await writeStatus({});
      return;
    }
    const current = scale.spec.replicas ?? 0;
    const min = hpa.spec.minReplicas ?? 1;
    const max = hpa.spec.maxReplicas;
    let desired = current;
    let reason = '';
    let currentMetrics: MetricStatus[] | undefined = hpa.status?.currentMetrics ?? undefined;

    if (current === 0 && min !== 0) {
      setCondition(conditions, { type: 'ScalingActive', status: 'False', reason: 'ScalingDisabled', message: 'scaling is disabled since the replica count of the target is zero' }, nowStr);
      desired = 0;
    } else if (current > max) {
      desired = max;
      reason = 'Current number of replicas above Spec.MaxReplicas';
    } else if (current < min) {
      desired = min;
      reason = 'Current number of replicas below Spec.MinReplicas';
    } else {
      let proposals: ReplicaProposal[];
      try {
        const selector = scale.status.selector ?? '';
        if (!selector) throw new Error('selector is required');
        const [pods, usage] = await Promise.all([client.list<Pod>(Resources.pods, ns, { labelSelector: selector }).then((l) => l.items), podUsage(ns, selector)]);
        proposals = (hpa.spec.metrics ?? []).map((m) => {
          if (m.type !== 'Resource' && m.type !== 'ContainerResource') throw new Error(`metric type ${m.type} is not served by kubets' metrics APIs`);
          const name = m.type === 'Resource' ? m.resource!.name : m.containerResource!.name;
          return resourceReplicas(m, current, pods, name === 'memory' ? usage.memory : usage.cpu, now);
        });
      } catch (e) {
        const msg = `the HPA was unable to compute the replica count: ${(e as Error).message}`;
        setCondition(conditions, { type: 'AbleToScale', status: 'True', reason: 'SucceededGetScale', message: 'the HPA controller was able to get the target\'s current scale' }, nowStr);
        setCondition(conditions, { type: 'ScalingActive', status: 'False', reason: 'FailedGetResourceMetric', message: msg }, nowStr);
        void recorder.record(hpa, 'Warning', 'FailedGetResourceMetric', (e as Error).message);
        void recorder.record(hpa, 'Warning', 'FailedComputeMetricsReplicas', `invalid metrics (${hpa.spec.metrics?.length ?? 0} invalid out of ${hpa.spec.metrics?.length ?? 0}), first error is: ${(e as Error).message}`);
        await writeStatus({ currentReplicas: scale.status.replicas, desiredReplicas: current, currentMetrics: null });
        return;
      }
      currentMetrics = proposals.map((p) => p.status);
      const recommended = Math.max(...proposals.map((p) => p.replicas));
      const first = proposals.reduce((a, b) => (b.replicas > a.replicas ? b : a));
      setCondition(conditions, { type: 'ScalingActive', status: 'True', reason: 'ValidMetricFound', message: `the HPA was able to successfully calculate a replica count from ${first.name}` }, nowStr);
      const history = recommendations.get(key) ?? [];
      const events = scaleEvents.get(key) ?? [];
      const n = normalize(hpa, current, recommended, history, events, now);
      // Keep what the longest window can still look at.
      const keepMs = Math.max(...[hpa.spec.behavior?.scaleUp?.stabilizationWindowSeconds ?? 0, hpa.spec.behavior?.scaleDown?.stabilizationWindowSeconds ?? 300]) * 1000;
      recommendations.set(key, [...history.filter((r) => r.timeMs > now - keepMs), { timeMs: now, replicas: recommended }]);
      desired = n.replicas;
      setCondition(conditions, n.limited, nowStr);
      setCondition(conditions, n.stabilized ? { type: 'AbleToScale', status: 'True', ...n.stabilized } : { type: 'AbleToScale', status: 'True', reason: 'ReadyForNewScale', message: 'recommended size matches current size' }, nowStr);
      reason = rescaleReason(proposals, current, desired);
    }

    if (desired === current) {
      await writeStatus({ currentReplicas: scale.status.replicas, desiredReplicas: desired, currentMetrics: currentMetrics ?? null });
      return;
    }
    try {
      await client.request('PUT', scalePath, { apiVersion: 'autoscaling/v1', kind: 'Scale', metadata: scale.metadata, spec: { replicas: desired } });
    } catch (e) {
      setCondition(conditions, { type: 'AbleToScale', status: 'False', reason: 'FailedUpdateScale', message: `the HPA controller was unable to update the target scale: ${(e as Error).message}` }, nowStr);
      void recorder.record(hpa, 'Warning', 'FailedRescale', `New size: ${desired}; reason: ${reason}; error: ${(e as Error).message}`);
      await writeStatus({ currentReplicas: scale.status.replicas, desiredReplicas: current, currentMetrics: currentMetrics ?? null });
      throw e;
    }
    scaleEvents.set(key, [...(scaleEvents.get(key) ?? []).filter((e) => e.timeMs > now - 1_800_000), { timeMs: now, change: desired - current }]);
    setCondition(conditions, { type: 'AbleToScale', status: 'True', reason: 'SucceededRescale', message: `the HPA controller was able to update the target scale to ${desired}` }, nowStr);
    void recorder.record(hpa, 'Normal', 'SuccessfulRescale', `New size: ${desired}; reason: ${reason}`);
    log.info({ hpa: key, from: current, to: desired, reason }, 'rescaled');
    await writeStatus({ lastScaleTime: nowStr, currentReplicas: scale.status.replicas, desiredReplicas: desired, currentMetrics: currentMetrics ?? null });
  }

  return c;
}
