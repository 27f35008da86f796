import t from 'tap';
import { leaseDecision } from './leaderelection.js';
import type { Lease } from './types.js';

const lease = (holder: string, renewTime: string, seconds = 15): Lease => ({ metadata: { name: 'kube-scheduler', namespace: 'kube-system' }, spec: { holderIdentity: holder, renewTime, leaseDurationSeconds: seconds } });
const now = Date.parse('2026-01-01T00:00:20Z');

t.test('a candidate creates, renews its own, waits for a live holder, and takes an expired or released lease', async (t) => {
  t.equal(leaseDecision(undefined, 'a', now, 15_000), 'create');
  t.equal(leaseDecision(lease('a', '2026-01-01T00:00:18.000000Z'), 'a', now, 15_000), 'renew');
  t.equal(leaseDecision(lease('b', '2026-01-01T00:00:10.000000Z'), 'a', now, 15_000), 'wait', 'renewed 10 s ago, 15 s lease');
  t.equal(leaseDecision(lease('b', '2026-01-01T00:00:04.000000Z'), 'a', now, 15_000), 'take', 'not renewed for 16 s');
  t.equal(leaseDecision(lease('', '2026-01-01T00:00:19.000000Z'), 'a', now, 15_000), 'take', 'released');
});
