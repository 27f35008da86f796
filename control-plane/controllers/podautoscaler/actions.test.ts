// The HPA's replica calculation and normalization, table by table against upstream's rules.
import t from 'tap';
import type { HorizontalPodAutoscaler, MetricSpec, Pod } from '../../../api/types.js';
import { normalize, resourceReplicas, scaleDownLimit, scaleUpLimit, rulesOf, type PodUsage } from './actions.js';

const NOW = Date.parse('2026-01-01T12:00:00Z');
const long = new Date(NOW - 3600_000).toISOString();
const cpu50: MetricSpec = { type: 'Resource', resource: { name: 'cpu', target: { type: 'Utilization', averageUtilization: 50 } } };

function pod(name: string, o: { phase?: string; ready?: boolean; request?: string } = {}): Pod {
  return {
    metadata: { name, namespace: 'default' },
    spec: { containers: [{ name: 'c', image: 'x', resources: o.request === undefined ? { requests: { cpu: '100m' } } : o.request ? { requests: { cpu: o.request } } : {} }] },
    status: { phase: o.phase ?? 'Running', startTime: long, conditions: [{ type: 'Ready', status: o.ready === false ? 'False' : 'True', lastTransitionTime: long }] },
  } as unknown as Pod;
}
const usage = (entries: [string, number][]) => new Map<string, PodUsage>(entries.map(([n, v]) => [n, new Map([['c', v]])]));

t.test('utilization: ceil(ratio × ready pods), within the 0.1 tolerance nothing changes', async (t) => {
  const pods = [pod('a'), pod('b')];
  const r = resourceReplicas(cpu50, 2, pods, usage([['a', 0.1], ['b', 0.1]]), NOW);
  t.equal(r.replicas, 4, '100% of request against a 50% target doubles');
  t.equal(r.status.resource?.current.averageUtilization, 100);
  t.equal(r.name, 'cpu resource utilization (percentage of request)');
  t.equal(resourceReplicas(cpu50, 2, pods, usage([['a', 0.054], ['b', 0.054]]), NOW).replicas, 2, '54% is within 10% of 50%');
  t.equal(resourceReplicas(cpu50, 2, pods, usage([['a', 0.01], ['b', 0.01]]), NOW).replicas, 1, '10% of request: ceil(0.2 × 2)');
});

t.test('missing metrics count as 100% going down and 0% going up; unready pods as 0% going up', async (t) => {
  // b has no metrics: for a scale-down it is assumed at its request, which holds the count.
  t.equal(resourceReplicas(cpu50, 2, [pod('a'), pod('b')], usage([['a', 0.02]]), NOW).replicas, 2);
  // Going up, the pending pod c counts as using nothing.
  t.equal(resourceReplicas(cpu50, 2, [pod('a'), pod('b'), pod('c', { phase: 'Pending' })], usage([['a', 0.15], ['b', 0.15]]), NOW).replicas, 6, '(150+150+0)/3 = 100% → ceil(2 × 3)');
  t.throws(() => resourceReplicas(cpu50, 1, [pod('a', { request: '' })], usage([['a', 0.1]]), NOW), /missing request for cpu/);
  t.throws(() => resourceReplicas(cpu50, 1, [], usage([]), NOW), /no pods returned by selector/);
});

t.test('average value targets', async (t) => {
  const m: MetricSpec = { type: 'Resource', resource: { name: 'memory', target: { type: 'AverageValue', averageValue: '100Mi' } } };
  const mem = new Map<string, PodUsage>([['a', new Map([['c', 200 * 2 ** 20]])]]);
  t.equal(resourceReplicas(m, 1, [pod('a')], mem, NOW).replicas, 2);
});

const hpa = (behavior?: HorizontalPodAutoscaler['spec']['behavior']): HorizontalPodAutoscaler => ({ metadata: { name: 'h' }, spec: { scaleTargetRef: { kind: 'Deployment', name: 'd' }, minReplicas: 1, maxReplicas: 10, behavior } }) as HorizontalPodAutoscaler;

t.test('scale-down waits out the stabilization window (300 s by default)', async (t) => {
  const history = [{ timeMs: NOW - 200_000, replicas: 5 }];
  const n = normalize(hpa(), 5, 2, history, [], NOW);
  t.equal(n.replicas, 5, 'a higher recommendation 200 s ago holds the count');
  t.equal(n.stabilized?.reason, 'ScaleDownStabilized');
  t.equal(normalize(hpa(), 5, 2, [{ timeMs: NOW - 301_000, replicas: 5 }], [], NOW).replicas, 2, 'past the window it goes');
  t.equal(normalize(hpa({ scaleDown: { stabilizationWindowSeconds: 10 } }), 5, 2, history, [], NOW).replicas, 2, 'behavior sets the window');
});

t.test('scale-up policies: the larger of 4 pods or 100% per 15 s; max and min bound it', async (t) => {
  const up = rulesOf(hpa()).up;
  t.equal(scaleUpLimit(2, [], up, NOW), 6, '2 + 4 beats 2 × 2');
  t.equal(scaleUpLimit(10, [], up, NOW), 20, '100% beats 4 pods');
  t.equal(scaleUpLimit(6, [{ timeMs: NOW - 5_000, change: 4 }], up, NOW), 6, 'replicas added in the period count against it');
  const n = normalize(hpa(), 2, 50, [], [], NOW);
  t.equal(n.replicas, 6);
  t.equal(n.limited.reason, 'ScaleUpLimit');
  const capped = normalize({ ...hpa(), spec: { ...hpa().spec, maxReplicas: 4 } }, 2, 50, [], [], NOW);
  t.same([capped.replicas, capped.limited.reason], [4, 'TooManyReplicas']);
  const floor = normalize(hpa({ scaleDown: { stabilizationWindowSeconds: 0 } }), 3, 0, [], [], NOW);
  t.same([floor.replicas, floor.limited.reason], [1, 'TooFewReplicas']);
  t.equal(normalize(hpa(), 3, 3, [], [], NOW).limited.reason, 'DesiredWithinRange');
  t.equal(scaleDownLimit(10, [], { stabilizationWindowSeconds: 0, selectPolicy: 'Max', policies: [{ type: 'Pods', value: 2, periodSeconds: 60 }] }, NOW), 8);
  t.equal(scaleUpLimit(3, [], { stabilizationWindowSeconds: 0, selectPolicy: 'Disabled', policies: [] }, NOW), 3, 'Disabled keeps the count');
});
