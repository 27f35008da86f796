// pkg/controller/ttlafterfinished, as a pure decision: a finished Job with ttlSecondsAfterFinished is deleted once
// that many seconds have passed since it finished; until then, when to look again.
import type { Job } from '../../../api/types.js';
import { jobFinished } from '../job/actions.js';

/** setTimeout caps out at 2^31 ms; a day is the longest a look-again waits. */
const MAX_WAIT_MS = 24 * 3600_000;

export type TTLAction = { type: 'none' } | { type: 'wait'; ms: number } | { type: 'delete' };

export function computeTTLAction(job: Job, now: number): TTLAction {
  const ttl = job.spec.ttlSecondsAfterFinished;
  if (ttl === undefined || ttl === null || job.metadata.deletionTimestamp || !jobFinished(job)) return { type: 'none' };
  const doneAt = job.status?.completionTime ?? job.status?.conditions?.find((x) => (x.type === 'Complete' || x.type === 'Failed') && x.status === 'True')?.lastTransitionTime;
  const expireAt = Date.parse(doneAt ?? '') + ttl * 1000;
  if (Number.isNaN(expireAt)) return { type: 'none' };
  return now < expireAt ? { type: 'wait', ms: Math.min(expireAt - now + 100, MAX_WAIT_MS) } : { type: 'delete' };
}
