// computeNamespaceActions on plain objects: contents deleted, then the namespace finalized.
import t from 'tap';
import { Resources } from '../../../api/resources.js';
import type { KubeObject, Namespace } from '../../../api/types.js';
import { computeNamespaceActions } from './actions.js';

const ns = (deleting: boolean): Namespace => ({ metadata: { name: 'team', ...(deleting ? { deletionTimestamp: '2024-01-01T00:00:00Z' } : {}) }, spec: { finalizers: ['kubernetes', 'example.com/keep'] } });
const obj = (name: string, deleting = false): KubeObject => ({ metadata: { name, namespace: 'team', ...(deleting ? { deletionTimestamp: '2024-01-01T00:00:00Z' } : {}) } });

t.test('a namespace being deleted: its contents are deleted, then it is finalized', async (t) => {
  const full = computeNamespaceActions({
    namespace: ns(true),
    contents: [
      { resource: Resources.pods, items: [obj('a'), obj('b', true)] },
      { resource: Resources.configmaps, items: [obj('c')] },
      { resource: Resources.secrets, items: [] },
    ],
  });
  t.same(full.delete.map((d) => `${d.resource.plural}/${d.name}`), ['pods/a', 'configmaps/c'], 'what is not already going');
  t.equal(full.remaining, 3);
  t.equal(full.finalize, undefined, 'not while anything remains');

  const empty = computeNamespaceActions({ namespace: ns(true), contents: [{ resource: Resources.pods, items: [] }] });
  t.same([empty.delete, empty.remaining], [[], 0]);
  t.same(empty.finalize?.spec?.finalizers, ['example.com/keep'], 'only the kubernetes finalizer is this controller’s to remove');
});

t.test('a live namespace is left alone', async (t) => {
  t.same(computeNamespaceActions({ namespace: ns(false), contents: [{ resource: Resources.pods, items: [obj('a')] }] }), { delete: [], remaining: 0 });
});
