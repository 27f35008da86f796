// computeRootCA: created where missing, rewritten when changed, left alone when right or terminating.
import t from 'tap';
import type { Namespace } from '../../../api/types.js';
import { computeRootCA } from './actions.js';

const ns = (name: string, deleting = false): Namespace => ({ metadata: { name, ...(deleting ? { deletionTimestamp: '2026-01-01T00:00:00Z' } : {}) } }) as Namespace;
const CA = '-----BEGIN CERTIFICATE-----\nMIIB\n-----END CERTIFICATE-----\n';

t.test('kube-root-ca.crt follows the cluster CA in every active namespace', async (t) => {
  const created = computeRootCA({ namespace: ns('apps'), caPem: CA });
  t.equal(created.type, 'create');
  const cm = created.type === 'create' ? created.configMap : undefined!;
  t.same(cm.data, { 'ca.crt': CA });
  t.same(computeRootCA({ namespace: ns('apps'), current: cm as never, caPem: CA }), { type: 'none' });
  const edited = computeRootCA({ namespace: ns('apps'), current: { ...cm, data: { 'ca.crt': 'tampered' } } as never, caPem: CA });
  t.equal(edited.type, 'update');
  t.same(edited.type === 'update' && edited.configMap.data, { 'ca.crt': CA });
  t.same(computeRootCA({ namespace: ns('gone', true), caPem: CA }), { type: 'none' });
});
