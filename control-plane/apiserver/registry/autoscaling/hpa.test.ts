// HorizontalPodAutoscaler's v1 ↔ v2 conversion and v2 validation.
import t from 'tap';
import type { KubeObject } from '../../../../api/types.js';
import { v1ToV2, v2ToV1, validateV2 } from './hpa.js';

t.test('autoscaling/v1 and v2 convert both ways without loss', async (t) => {
  const v2 = {
    apiVersion: 'autoscaling/v2',
    kind: 'HorizontalPodAutoscaler',
    metadata: { name: 'h', namespace: 'default' },
    spec: {
      scaleTargetRef: { kind: 'Deployment', name: 'd', apiVersion: 'apps/v1' },
      minReplicas: 1,
      maxReplicas: 5,
      metrics: [
        { type: 'Resource', resource: { name: 'cpu', target: { type: 'Utilization', averageUtilization: 50 } } },
        { type: 'Resource', resource: { name: 'memory', target: { type: 'AverageValue', averageValue: '100Mi' } } },
      ],
      behavior: { scaleDown: { stabilizationWindowSeconds: 10 } },
    },
    status: { currentReplicas: 2, desiredReplicas: 3, currentMetrics: [{ type: 'Resource', resource: { name: 'cpu', current: { averageUtilization: 80 } } }], conditions: [{ type: 'AbleToScale', status: 'True' }] },
  } as unknown as KubeObject;
  const v1 = v2ToV1(v2) as any;
  t.equal(v1.apiVersion, 'autoscaling/v1');
  t.equal(v1.spec.targetCPUUtilizationPercentage, 50);
  t.equal(v1.status.currentCPUUtilizationPercentage, 80);
  t.ok(v1.metadata.annotations['autoscaling.alpha.kubernetes.io/metrics'], 'the memory metric rides in an annotation');
  t.same(v1ToV2(v1), v2, 'and comes back');
});

t.test('v2 validation', async (t) => {
  const errs = validateV2({ metadata: { name: 'h' }, spec: { scaleTargetRef: { kind: 'Deployment', name: '' }, minReplicas: 3, maxReplicas: 2, behavior: { scaleDown: { stabilizationWindowSeconds: 4000 } } } } as unknown as KubeObject);
  t.same(errs.map((e) => e.field), ['spec.scaleTargetRef.name', 'spec.maxReplicas', 'spec.behavior.scaleDown.stabilizationWindowSeconds']);
});
