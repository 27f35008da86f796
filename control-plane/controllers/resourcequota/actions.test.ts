// computeQuotaStatus on plain objects: hard and used, written only on change.
import t from 'tap';
import { computeQuotaStatus, hardStale, type ResourceQuota } from './actions.js';

const quota = (status?: ResourceQuota['status']): ResourceQuota => ({ metadata: { name: 'q', namespace: 'team' }, spec: { hard: { pods: '4', 'requests.memory': '1Gi' } }, status });

t.test('status: the hard limits and the usage, in the style of each limit', async (t) => {
  const status = computeQuotaStatus(quota(), { pods: 2, 'requests.memory': 512 * 1024 ** 2 });
  t.same(status, { hard: { pods: '4', 'requests.memory': '1Gi' }, used: { pods: '2', 'requests.memory': '512Mi' } });
  t.equal(computeQuotaStatus(quota(status), { pods: 2, 'requests.memory': 512 * 1024 ** 2 }), undefined, 'unchanged: nothing to write');
  t.same(computeQuotaStatus(quota(status), { pods: 1, 'requests.memory': 0 })?.used, { pods: '1', 'requests.memory': '0' }, 'released usage is written');
});

t.test('a quota whose status.hard lags its spec is stale', async (t) => {
  t.ok(hardStale(quota()));
  t.notOk(hardStale(quota({ hard: { pods: '4', 'requests.memory': '1Gi' } })));
});
