import t from 'tap';
import type { PodDisruptionBudget } from '../../../api/disruption.js';
import type { OwnerReference, Pod } from '../../../api/types.js';
import { computeDisruptionStatus, DELETION_TIMEOUT_MS } from './actions.js';

const NOW = Date.parse('2026-06-01T12:00:00Z');
const rs: OwnerReference = { apiVersion: 'apps/v1', kind: 'ReplicaSet', name: 'web', uid: 'rs-1', controller: true };
const pod = (name: string, ready = true, o: { owner?: OwnerReference | null; deleting?: boolean } = {}): Pod =>
  ({
    metadata: { name, namespace: 'ns', ...(o.owner === null ? {} : { ownerReferences: [o.owner ?? rs] }), ...(o.deleting ? { deletionTimestamp: '2026-06-01T11:59:00Z' } : {}) },
    spec: { containers: [] },
    status: { phase: 'Running', conditions: [{ type: 'Ready', status: ready ? 'True' : 'False' }] },
  }) as Pod;
const pdb = (spec: PodDisruptionBudget['spec'], status?: Partial<PodDisruptionBudget['status']>): PodDisruptionBudget =>
  ({ metadata: { name: 'b', namespace: 'ns', generation: 2 }, spec: { selector: { matchLabels: { app: 'web' } }, ...spec }, ...(status ? { status } : {}) }) as PodDisruptionBudget;
const scaleOf = (replicas: number | undefined) => () => replicas;

t.test('an integer minAvailable counts the pods themselves', async (t) => {
  const { status } = computeDisruptionStatus({ pdb: pdb({ minAvailable: 2 }), pods: [pod('a'), pod('b'), pod('c', false)], scaleOf: scaleOf(undefined), now: NOW });
  t.match(status, { observedGeneration: 2, currentHealthy: 2, desiredHealthy: 2, expectedPods: 3, disruptionsAllowed: 0 });
  t.match(status.conditions, [{ type: 'DisruptionAllowed', status: 'False', reason: 'InsufficientPods' }]);
});

t.test('maxUnavailable and percentages count the controllers\' scale, percentages rounded up', async (t) => {
  const pods = [pod('a'), pod('b'), pod('c')];
  t.match(computeDisruptionStatus({ pdb: pdb({ maxUnavailable: '50%' }), pods, scaleOf: scaleOf(4), now: NOW }).status, { expectedPods: 4, desiredHealthy: 2, currentHealthy: 3, disruptionsAllowed: 1 });
  t.match(computeDisruptionStatus({ pdb: pdb({ minAvailable: '50%' }), pods, scaleOf: scaleOf(3), now: NOW }).status, { expectedPods: 3, desiredHealthy: 2, disruptionsAllowed: 1 });
  t.match(computeDisruptionStatus({ pdb: pdb({ maxUnavailable: 5 }), pods, scaleOf: scaleOf(3), now: NOW }).status, { desiredHealthy: 0, disruptionsAllowed: 3 });
});

t.test('a pod without a controller makes a percentage budget allow nothing, with the reason', async (t) => {
  const d = computeDisruptionStatus({ pdb: pdb({ maxUnavailable: 1 }), pods: [pod('a'), pod('b', true, { owner: null })], scaleOf: scaleOf(2), now: NOW });
  t.equal(d.status.disruptionsAllowed, 0);
  t.same(d.failure, { reason: 'CalculateExpectedPodCountFailed', message: 'Failed to calculate the number of expected pods: found no controller ref for pod "b"' });
  t.match(d.status.conditions, [{ type: 'DisruptionAllowed', status: 'False', reason: 'SyncFailed' }]);
});

t.test('an allowed eviction not yet seen keeps its pod out of the healthy count until it goes or expires', async (t) => {
  const at = new Date(NOW - 1000).toISOString();
  const budget = pdb({ minAvailable: 1 }, { disruptedPods: { a: at, gone: at, c: new Date(NOW - DELETION_TIMEOUT_MS - 1).toISOString() } });
  const d = computeDisruptionStatus({ pdb: budget, pods: [pod('a'), pod('b'), pod('c'), pod('d', true, { deleting: true })], scaleOf: scaleOf(undefined), now: NOW });
  t.same(d.status.disruptedPods, { a: at }, 'the entry of a pod gone and an expired one are dropped');
  t.equal(d.status.currentHealthy, 2, 'b and c; a is on its way out and d is being deleted');
  t.equal(d.recheckAt, NOW - 1000 + DELETION_TIMEOUT_MS);
});
