// Admission order: every mutating plugin in list order (before the store validates), then every validating one; the
// first refusal ends the write.
import t from 'tap';
import type { KubeObject } from '../../../api/types.js';
import { findByPlural } from '../registry/kinds.js';
import type { WriteAttributes } from '../registry/store.js';
import { admissionChain, type AdmissionPlugin } from './chain.js';

const attributes = (): WriteAttributes => ({ operation: 'CREATE', def: findByPlural('', 'v1', 'pods')!, object: { metadata: { name: 'p', namespace: 'default' } } as KubeObject, dryRun: false });

function plugin(name: string, calls: string[], refuse?: 'admit' | 'validate'): AdmissionPlugin {
  return {
    name,
    async admit(a) {
      calls.push(`admit ${name}`);
      a.object.metadata.labels = { ...a.object.metadata.labels, [name]: 'seen' };
      if (refuse === 'admit') throw new Error(`${name} refuses`);
    },
    async validate() {
      calls.push(`validate ${name}`);
      if (refuse === 'validate') throw new Error(`${name} refuses`);
    },
  };
}

t.test('mutating plugins all run before any validating one', async (t) => {
  const calls: string[] = [];
  const a = attributes();
  const validateOnly: AdmissionPlugin = { name: 'quota', validate: async (x) => void calls.push(`validate quota sees ${Object.keys(x.object.metadata.labels ?? {}).join(',')}`) };
  const chain = admissionChain([plugin('limits', calls), validateOnly, plugin('services', calls)]);
  await chain.admit(a);
  await chain.validate(a);
  t.same(calls, ['admit limits', 'admit services', 'validate limits', 'validate quota sees limits,services', 'validate services']);
});

t.test('the first refusal ends admission', async (t) => {
  const calls: string[] = [];
  const refusesValidating = admissionChain([plugin('a', calls, 'validate'), plugin('b', calls)]);
  await refusesValidating.admit(attributes());
  await t.rejects(refusesValidating.validate(attributes()), { message: 'a refuses' });
  t.same(calls, ['admit a', 'admit b', 'validate a']);
  calls.length = 0;
  await t.rejects(admissionChain([plugin('a', calls, 'admit'), plugin('b', calls)]).admit(attributes()), { message: 'a refuses' });
  t.same(calls, ['admit a'], 'a mutating refusal stops before the other plugins');
});
