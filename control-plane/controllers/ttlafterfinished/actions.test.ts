// computeTTLAction on plain Jobs: unfinished or TTL-less jobs stay; finished ones wait out their TTL, then go.
import t from 'tap';
import type { Job } from '../../../api/types.js';
import { computeTTLAction } from './actions.js';

const job = (ttl: number | undefined, status: Job['status'] = {}): Job => ({ metadata: { name: 'j', namespace: 'default' }, spec: { ttlSecondsAfterFinished: ttl, template: { spec: { containers: [] } } }, status }) as Job;
const done = { completionTime: '2024-01-01T00:59:00Z', conditions: [{ type: 'Complete', status: 'True' as const }] };
const at = Date.parse('2024-01-01T01:00:00Z');

t.test('a finished job waits out its TTL, then is deleted', async (t) => {
  t.same(computeTTLAction(job(100, done), at), { type: 'wait', ms: 40_100 });
  t.same(computeTTLAction(job(10, done), at), { type: 'delete' });
  t.same(computeTTLAction(job(undefined, done), at), { type: 'none' }, 'no TTL, kept');
  t.same(computeTTLAction(job(10, {}), at), { type: 'none' }, 'still running');
  const failed = { conditions: [{ type: 'Failed', status: 'True' as const, lastTransitionTime: '2024-01-01T00:00:00Z' }] };
  t.same(computeTTLAction(job(0, failed), at), { type: 'delete' }, 'a failed job counts from its Failed condition');
});
