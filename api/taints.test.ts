import t from 'tap';
import { tolerates } from './taints.js';

t.test('tolerations match taints as Kubernetes matches them', async (t) => {
  const taint = { key: 'node-role.kubernetes.io/control-plane', effect: 'NoSchedule' as const };
  t.ok(tolerates([{ key: 'node-role.kubernetes.io/control-plane', operator: 'Exists', effect: 'NoSchedule' }], taint));
  t.ok(tolerates([{ operator: 'Exists' }], taint), 'Exists without a key tolerates every taint');
  t.notOk(tolerates([{ key: 'node-role.kubernetes.io/control-plane', operator: 'Exists', effect: 'NoExecute' }], taint), 'another effect');
  t.ok(tolerates([{ key: 'dedicated', operator: 'Equal', value: 'gpu' }], { key: 'dedicated', value: 'gpu', effect: 'NoSchedule' }));
  t.notOk(tolerates([{ key: 'dedicated', value: 'cpu' }], { key: 'dedicated', value: 'gpu', effect: 'NoSchedule' }), 'Equal (the default) compares values');
  t.notOk(tolerates(undefined, taint));
});
