// computeJobActions on plain objects: NonIndexed and Indexed completion, backoffLimit, back-off, deadline, suspend, TTL.
import t from 'tap';
import type { Job, Pod } from '../../../api/types.js';
import { COMPLETION_INDEX, computeJobActions, formatIndexes, parseIndexes, type JobActions, type JobObserved } from './actions.js';

const NOW = Date.parse('2024-01-01T01:00:00Z');
const job = (spec: Partial<Job['spec']> = {}, status?: Job['status']): Job => ({
  apiVersion: 'batch/v1',
  kind: 'Job',
  metadata: { name: 'pi', namespace: 'default', uid: 'job-uid' },
  spec: { template: { metadata: { labels: { app: 'pi' } }, spec: { restartPolicy: 'Never', containers: [{ name: 'c', image: 'busybox:1.35' }] } }, ...spec },
  status,
});
const pod = (name: string, phase: 'Pending' | 'Running' | 'Succeeded' | 'Failed', over: { index?: number; deleting?: boolean; created?: string } = {}): Pod => ({
  metadata: {
    name,
    namespace: 'default',
    creationTimestamp: over.created ?? '2024-01-01T00:00:00Z',
    ...(over.index !== undefined ? { annotations: { [COMPLETION_INDEX]: String(over.index) } } : {}),
    ...(over.deleting ? { deletionTimestamp: '2024-01-01T00:59:00Z' } : {}),
  },
  spec: { containers: [] },
  status: { phase },
});
const act = (j: Job, pods: Pod[], over: Partial<JobObserved> = {}): JobActions => computeJobActions({ job: j, pods, now: NOW, expectationsSatisfied: true, ...over });
const condition = (a: JobActions, type: string) => a.status?.conditions?.find((c) => c.type === type);
const running = (n: number) => Array.from({ length: n }, (_, i) => pod(`r${i}`, 'Running'));
const succeeded = (n: number) => Array.from({ length: n }, (_, i) => pod(`s${i}`, 'Succeeded'));
const failed = (n: number) => Array.from({ length: n }, (_, i) => pod(`f${i}`, 'Failed'));

t.test('completed index sets', async (t) => {
  t.equal(formatIndexes([4, 0, 1, 2, 7, 8]), '0-2,4,7-8');
  t.same([...parseIndexes('0-2,4,7-8')], [0, 1, 2, 4, 7, 8]);
  t.equal(formatIndexes([]), '');
});

t.test('NonIndexed: parallelism pods until completions succeed, then Complete once none runs', async (t) => {
  const j = job({ completions: 5, parallelism: 2 });
  const cases: { name: string; pods: Pod[]; create: number; del: number; complete?: boolean; criteria?: boolean }[] = [
    { name: 'a new job starts parallelism pods', pods: [], create: 2, del: 0 },
    { name: 'running pods are enough', pods: running(2), create: 0, del: 0 },
    { name: 'a success is replaced', pods: [...running(1), ...succeeded(1)], create: 1, del: 0 },
    { name: 'no more than the completions left', pods: [...running(1), ...succeeded(4)], create: 0, del: 0 },
    { name: 'completions reached: the rest are stopped, success criteria met', pods: [...running(1), ...succeeded(5)], create: 0, del: 1, criteria: true, complete: false },
    { name: 'completions reached, nothing running: Complete', pods: succeeded(5), create: 0, del: 0, criteria: true, complete: true },
  ];
  for (const c of cases) {
    const a = act(j, c.pods);
    t.same([a.create.length, a.delete.length], [c.create, c.del], c.name);
    if (c.criteria !== undefined) t.equal(condition(a, 'SuccessCriteriaMet')?.status === 'True', c.criteria, `${c.name}: SuccessCriteriaMet`);
    if (c.complete !== undefined) t.equal(condition(a, 'Complete')?.status === 'True', c.complete, `${c.name}: Complete`);
  }
  const done = act(j, succeeded(5));
  t.same(done.events, [{ type: 'Normal', reason: 'Completed', message: 'Job completed' }]);
  t.same([done.status?.succeeded, done.status?.active, done.status?.completionTime], [5, 0, '2024-01-01T01:00:00Z']);
  t.equal(act(job({}), running(1)).status?.startTime, '2024-01-01T01:00:00Z', 'startTime is set on the first sync');
});

t.test('NonIndexed without completions: done when one succeeds and the others have finished', async (t) => {
  const j = job({ parallelism: 3 });
  t.equal(act(j, []).create.length, 3);
  const one = act(j, [...running(2), ...succeeded(1)]);
  t.same([one.create.length, one.delete.length], [0, 2], 'after a success no more start; the others are stopped');
  t.equal(condition(act(j, [...succeeded(1), ...failed(1)]), 'Complete')?.status, 'True');
});

t.test('Indexed: each index runs until it succeeds; pods carry their index', async (t) => {
  const j = job({ completionMode: 'Indexed', completions: 4, parallelism: 2 });
  const first = act(j, []);
  t.same(
    first.create.map((p) => [p.metadata.generateName, p.metadata.labels?.[COMPLETION_INDEX], p.metadata.annotations?.[COMPLETION_INDEX], p.spec.hostname, p.spec.containers[0].env]),
    [
      ['pi-0-', '0', '0', 'pi-0', [{ name: 'JOB_COMPLETION_INDEX', value: '0' }]],
      ['pi-1-', '1', '1', 'pi-1', [{ name: 'JOB_COMPLETION_INDEX', value: '1' }]],
    ],
  );
  const next = act(j, [pod('a', 'Succeeded', { index: 0 }), pod('b', 'Running', { index: 1 }), pod('c', 'Failed', { index: 2 })], { lastFailure: { failed: 1, at: NOW - 60_000 } });
  t.same(next.create.map((p) => p.metadata.labels?.[COMPLETION_INDEX]), ['2'], 'the lowest index neither done nor running');
  t.equal(next.status?.completedIndexes, '0');
  const done = act(j, [0, 1, 2, 3].map((i) => pod(`p${i}`, 'Succeeded', { index: i })));
  t.same([done.status?.completedIndexes, done.status?.succeeded, condition(done, 'Complete')?.status], ['0-3', 4, 'True']);
});

t.test('backoffLimit: failures past it stop the pods and fail the job once none runs', async (t) => {
  const j = job({ completions: 3, parallelism: 2, backoffLimit: 1 });
  const within = act(j, [...running(1), ...failed(1)], { lastFailure: { failed: 1, at: NOW - 60_000 } });
  t.same([within.create.length, condition(within, 'FailureTarget')], [1, undefined], 'one failure is within the limit: replaced');
  const past = act(j, [...running(1), ...failed(2)]);
  t.same([past.create.length, past.delete.map((p) => p.metadata.name)], [0, ['r0']]);
  t.same([condition(past, 'FailureTarget')?.reason, condition(past, 'Failed')], ['BackoffLimitExceeded', undefined], 'a pod still runs: only the target');
  const settled = act(j, failed(2));
  t.same([condition(settled, 'Failed')?.reason, settled.events], ['BackoffLimitExceeded', [{ type: 'Warning', reason: 'BackoffLimitExceeded', message: 'Job has reached the specified backoff limit' }]]);
  const restarts = job({ backoffLimit: 2, template: { spec: { restartPolicy: 'OnFailure', containers: [] } } });
  const crashing = { ...pod('r', 'Running'), status: { phase: 'Running' as const, containerStatuses: [{ name: 'c', restartCount: 3, state: {}, lastState: {}, ready: false, image: '', imageID: '' }] } };
  t.equal(condition(act(restarts, [crashing]), 'FailureTarget')?.reason, 'BackoffLimitExceeded', 'OnFailure: container restarts count as failures');
});

t.test('replacements of failed pods back off exponentially from the latest failure', async (t) => {
  const j = job({ completions: 1 });
  const fresh = act(j, failed(1));
  t.same([fresh.create.length, fresh.lastFailure, fresh.requeueAfterMs], [0, { failed: 1, at: NOW }, 10_050], 'a new failure: wait 10 s');
  t.equal(act(j, failed(1), { lastFailure: { failed: 1, at: NOW - 10_000 } }).create.length, 1, '10 s later: replaced');
  const second = act(j, failed(2), { lastFailure: { failed: 2, at: NOW - 10_000 } });
  t.same([second.create.length, second.requeueAfterMs], [0, 10_050], 'the second failure waits 20 s');
});

t.test('activeDeadlineSeconds: past it the job fails; before it, a sync is due at the deadline', async (t) => {
  const start = '2024-01-01T00:59:00Z';
  const before = act(job({ activeDeadlineSeconds: 120 }, { startTime: start }), running(1));
  t.same([condition(before, 'FailureTarget'), before.requeueAfterMs], [undefined, 60_000 + 100]);
  const after = act(job({ activeDeadlineSeconds: 30 }, { startTime: start }), running(1));
  t.same([condition(after, 'FailureTarget')?.reason, after.delete.length], ['DeadlineExceeded', 1]);
});

t.test('suspend stops the pods; resuming restarts the clock', async (t) => {
  const suspended = act(job({ suspend: true }), running(2));
  t.same([suspended.delete.length, condition(suspended, 'Suspended')?.status, suspended.status?.active, suspended.events.map((e) => e.reason)], [2, 'True', 0, ['Suspended']]);
  const resumed = act(job({ suspend: false }, { startTime: '2024-01-01T00:00:00Z', conditions: [{ type: 'Suspended', status: 'True', reason: 'JobSuspended' }] }), []);
  t.same([condition(resumed, 'Suspended')?.status, resumed.status?.startTime, resumed.create.length, resumed.events.map((e) => e.reason)], ['False', '2024-01-01T01:00:00Z', 1, ['Resumed']]);
});

t.test('pending expectations, deletion and a finished job: what each leaves to do', async (t) => {
  t.same(act(job(), [], { expectationsSatisfied: false }), { create: [], delete: [], events: [] }, 'creations on their way: wait');
  const complete = job({ ttlSecondsAfterFinished: 100 }, { completionTime: '2024-01-01T00:59:00Z', conditions: [{ type: 'Complete', status: 'True' }] });
  t.same(act(complete, running(1)), { create: [], delete: [], events: [] }, 'a completed job has nothing left to do (its TTL is another controller\'s)');
  const failedJob = job({}, { conditions: [{ type: 'Failed', status: 'True' }] });
  t.same(act(failedJob, [...running(1), pod('t', 'Running', { deleting: true })]).delete.map((p) => p.metadata.name), ['r0'], 'a failed job stops its running pods');
});
