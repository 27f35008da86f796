// computeServiceAccounts: the default account appears in active namespaces, never in terminating ones.
import t from 'tap';
import type { Namespace } from '../../../api/types.js';
import { computeServiceAccounts } from './actions.js';

const ns = (name: string, extra: Partial<Namespace> = {}): Namespace => ({ metadata: { name }, ...extra }) as Namespace;

t.test('a namespace without its default service account gets one', async (t) => {
  t.same(computeServiceAccounts({ namespace: ns('apps'), existing: new Set(['builder']) }), [{ apiVersion: 'v1', kind: 'ServiceAccount', metadata: { name: 'default', namespace: 'apps' } }]);
  t.same(computeServiceAccounts({ namespace: ns('apps'), existing: new Set(['default']) }), []);
  t.same(computeServiceAccounts({ namespace: ns('gone', { metadata: { name: 'gone', deletionTimestamp: '2026-01-01T00:00:00Z' } }), existing: new Set() }), [], 'not while terminating');
  t.same(computeServiceAccounts({ namespace: ns('gone', { status: { phase: 'Terminating' } }), existing: new Set() }), []);
});
