// computeCronJobActions on plain objects: scheduled runs, concurrency policies, history limits, deadlines.
import t from 'tap';
import { parseSchedule } from '../../../api/cron.js';
import type { CronJob, Job } from '../../../api/types.js';
import { computeCronJobActions, mostRecentSchedule, sameStatus, withActive, type CronJobObserved } from './actions.js';

t.test('most recent scheduled time and missed runs', async (t) => {
  const every5 = parseSchedule('*/5 * * * *', 'UTC');
  const since = Date.parse('2026-03-01T10:00:00Z');
  t.same(mostRecentSchedule(every5, since, Date.parse('2026-03-01T10:04:59Z')), { time: undefined, missed: 0 });
  t.same(mostRecentSchedule(every5, since, Date.parse('2026-03-01T10:05:00Z')), { time: Date.parse('2026-03-01T10:05:00Z'), missed: 0 });
  t.same(mostRecentSchedule(every5, since, Date.parse('2026-03-01T10:17:00Z')), { time: Date.parse('2026-03-01T10:15:00Z'), missed: 2 });
  const long = mostRecentSchedule(parseSchedule('* * * * *', 'UTC'), since, Date.parse('2026-03-09T10:00:30Z'));
  t.equal(long.time, Date.parse('2026-03-09T10:00:00Z'), 'the latest run even after very many missed');
  t.ok(long.missed > 100);
});

const cronJob = (spec: Partial<CronJob['spec']> = {}, status?: CronJob['status']): CronJob => ({
  apiVersion: 'batch/v1',
  kind: 'CronJob',
  metadata: { name: 'tick', namespace: 'default', uid: 'cj-uid', creationTimestamp: '2026-03-01T10:01:00Z' },
  spec: { schedule: '*/5 * * * *', jobTemplate: { metadata: { labels: { from: 'tick' } }, spec: { template: { spec: { containers: [] } } } }, ...spec },
  status,
});
const job = (name: string, state: 'running' | 'Complete' | 'Failed', startTime = '2026-03-01T10:00:00Z'): Job => ({
  metadata: { name, namespace: 'default', uid: `uid-${name}` },
  spec: { template: { spec: { containers: [] } } },
  status: { startTime, ...(state === 'running' ? {} : { completionTime: startTime, conditions: [{ type: state, status: 'True' }] }) },
});
const at = (time: string, cj: CronJob, over: Partial<CronJobObserved> = {}) => computeCronJobActions({ cronJob: cj, jobs: [], listedActive: [], now: Date.parse(time), timeZone: 'UTC', ...over });
const names = (js: Job[]) => js.map((j) => j.metadata.name);

t.test('a run starts at its scheduled time, named by it, and the next one is awaited', async (t) => {
  const before = at('2026-03-01T10:04:00Z', cronJob());
  t.same([before.start, before.requeueAfterMs], [undefined, 60_000 + 200]);
  const due = at('2026-03-01T10:05:30Z', cronJob());
  const minutes = Date.parse('2026-03-01T10:05:00Z') / 60_000;
  t.equal(due.start?.metadata.name, `tick-${minutes}`);
  t.same(due.start?.metadata.labels, { from: 'tick' });
  t.same(due.start?.metadata.annotations, { 'batch.kubernetes.io/cronjob-scheduled-timestamp': '2026-03-01T10:05:00Z' });
  t.same(due.start?.metadata.ownerReferences, [{ apiVersion: 'batch/v1', kind: 'CronJob', name: 'tick', uid: 'cj-uid', controller: true, blockOwnerDeletion: true }]);
  t.equal(due.status.lastScheduleTime, '2026-03-01T10:05:00Z');
  t.equal(at('2026-03-01T10:06:00Z', cronJob({}, { lastScheduleTime: '2026-03-01T10:05:00Z' })).start, undefined, 'a run already started is not started again');
});

t.test('concurrency policies while a run is active', async (t) => {
  const running = job('tick-1', 'running');
  const status = { active: [{ apiVersion: 'batch/v1', kind: 'Job', name: 'tick-1', uid: 'uid-tick-1' }], lastScheduleTime: '2026-03-01T10:00:00Z' };
  const now = '2026-03-01T10:05:00Z';
  const allow = at(now, cronJob({}, status), { listedActive: [running] });
  t.same([names(allow.active), allow.start !== undefined, names(allow.delete)], [['tick-1'], true, []], 'Allow: both run');
  const forbid = at(now, cronJob({ concurrencyPolicy: 'Forbid' }, status), { listedActive: [running] });
  t.same([forbid.start, forbid.events.map((e) => e.reason), forbid.status.lastScheduleTime], [undefined, ['JobAlreadyActive'], '2026-03-01T10:00:00Z'], 'Forbid: skipped');
  const replace = at(now, cronJob({ concurrencyPolicy: 'Replace' }, status), { listedActive: [running] });
  t.same([names(replace.active), replace.start !== undefined, names(replace.delete)], [[], true, ['tick-1']], 'Replace: the running one goes first');
});

t.test('finished runs leave active with an event; only runs the status lists are active', async (t) => {
  const a = at('2026-03-01T10:01:00Z', cronJob(), { listedActive: [job('tick-1', 'Complete')], jobs: [job('tick-1', 'Complete'), job('manual', 'running')] });
  t.same([a.active, a.events.map((e) => e.message)], [[], ['Saw completed job: tick-1, condition: Complete']]);
  t.equal(a.status.lastSuccessfulTime, '2026-03-01T10:00:00Z');
});

t.test('finished jobs beyond the history limits are deleted, oldest first', async (t) => {
  const jobs = [
    job('ok1', 'Complete', '2026-03-01T09:00:00Z'),
    job('ok2', 'Complete', '2026-03-01T09:10:00Z'),
    job('ok3', 'Complete', '2026-03-01T09:20:00Z'),
    job('bad1', 'Failed', '2026-03-01T09:05:00Z'),
    job('bad2', 'Failed', '2026-03-01T09:15:00Z'),
    job('run', 'running', '2026-03-01T08:00:00Z'),
  ];
  t.same(names(at('2026-03-01T10:01:00Z', cronJob({ successfulJobsHistoryLimit: 2 }), { jobs }).delete), ['ok1', 'bad1']);
  t.same(names(at('2026-03-01T10:01:00Z', cronJob({ successfulJobsHistoryLimit: 0, failedJobsHistoryLimit: 0 }), { jobs }).delete), ['ok1', 'ok2', 'ok3', 'bad1', 'bad2']);
});

t.test('suspend, startingDeadlineSeconds and an unparseable schedule start nothing', async (t) => {
  t.equal(at('2026-03-01T10:05:30Z', cronJob({ suspend: true })).start, undefined);
  t.equal(at('2026-03-01T10:06:00Z', cronJob({ startingDeadlineSeconds: 30 })).start, undefined, '60 s late with a 30 s deadline');
  t.ok(at('2026-03-01T10:05:20Z', cronJob({ startingDeadlineSeconds: 30 })).start, '20 s late is in time');
  const bad = at('2026-03-01T10:05:30Z', cronJob({ schedule: 'every minute' }));
  t.same([bad.start, bad.requeueAfterMs, bad.events.map((e) => e.reason)], [undefined, undefined, ['UnparseableSchedule']]);
});

t.test('status: active runs by reference, compared by uid and times', async (t) => {
  const s = withActive({ lastScheduleTime: 'x' }, [job('a', 'running')]);
  t.same(s.active, [{ apiVersion: 'batch/v1', kind: 'Job', name: 'a', namespace: 'default', uid: 'uid-a', resourceVersion: undefined }]);
  t.same(withActive({}, []), {}, 'no active runs: no field');
  t.ok(sameStatus(s, { ...s, active: [{ ...s.active![0], resourceVersion: '9' }] }));
  t.notOk(sameStatus(s, { lastScheduleTime: 'x' }));
});
