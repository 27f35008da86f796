import t from 'tap';
import type { Pod } from '../../api/types.js';
import { until } from '../../test/until.js';
import { activeTimers } from '../../test/timers.js';
import { PodWorkers } from './podworkers.js';

t.test('pod workers: one sync at a time per pod, updates coalesce to the newest object', async (t) => {
  const seen: (string | undefined)[] = [];
  let release!: () => void;
  let first = true;
  const workers = new PodWorkers(async (_uid, pod) => {
    seen.push(pod?.metadata.resourceVersion);
    if (first) {
      first = false;
      await new Promise<void>((r) => (release = r));
    }
    return pod ? {} : { done: true };
  });
  const pod = (rv: string): Pod => ({ metadata: { uid: 'u1', resourceVersion: rv }, spec: { containers: [] } });
  workers.update('u1', pod('1'));
  workers.update('u1', pod('2'));
  workers.update('u1', pod('3'));
  await new Promise((r) => setImmediate(r));
  t.same(seen, ['1'], 'busy: later updates wait');
  release();
  await until('a second sync', () => seen.length === 2, 5_000, 5);
  t.same(seen, ['1', '3'], 'then one sync with the newest object');
  workers.update('u1', undefined);
  await until('the worker dropped', () => !workers.has('u1'), 5_000, 5);
  // The worker is serial: with the deletion synced, any further sync of the older updates would be in seen.
  t.same(seen, ['1', '3', undefined], 'no sync of an older object after the newest; the deletion synced once');
  t.equal(workers.has('u1'), false, 'a finished pod drops its worker');
  await workers.close();
});

t.test('close: a sync still running when it is called leaves no timer behind', async (t) => {
  let release!: () => void;
  let started = false;
  const workers = new PodWorkers(async () => {
    started = true;
    await new Promise<void>((r) => (release = r));
    return {};
  });
  workers.update('u1', { metadata: { uid: 'u1' }, spec: { containers: [] } });
  await until('the sync to start', () => started, 5_000, 5);
  const before = activeTimers();
  const closing = workers.close();
  release();
  await closing;
  t.equal(activeTimers(), before, 'the sync that ended after close() scheduled no resync (its timer would keep the process up)');
});
