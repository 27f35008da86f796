// computeGarbageCollection on plain objects: background, foreground with blockOwnerDeletion, orphan.
import t from 'tap';
import { Resources } from '../../../api/resources.js';
import type { KubeObject, OwnerReference } from '../../../api/types.js';
import { absentOwnerKey, computeGarbageCollection, FOREGROUND, ORPHAN, type GarbageActions, type GraphObject } from './actions.js';

const ref = (o: GraphObject, blockOwnerDeletion = true): OwnerReference => ({ apiVersion: 'apps/v1', kind: o.object.kind!, name: o.object.metadata.name!, uid: o.object.metadata.uid!, controller: true, blockOwnerDeletion });
const obj = (kind: 'ReplicaSet' | 'Pod', name: string, over: { owners?: OwnerReference[]; deleting?: string[] } = {}): GraphObject => {
  const object: KubeObject = {
    kind,
    metadata: {
      name,
      namespace: 'default',
      uid: `uid-${name}`,
      ownerReferences: over.owners,
      ...(over.deleting ? { deletionTimestamp: '2024-01-01T00:00:00Z', finalizers: over.deleting } : {}),
    },
  };
  return { resource: kind === 'Pod' ? Resources.pods : Resources.replicasets, object };
};
const names = (a: GarbageActions) => ({
  deleteOrphaned: a.deleteOrphaned.map((d) => d.object.metadata.name),
  deleteForeground: a.deleteForeground.map((d) => d.object.metadata.name),
  release: a.release.map((r) => [r.dependent.object.metadata.name, r.ownerReferences.map((o) => o.name)]),
  removeFinalizer: a.removeFinalizer.map((r) => [r.owner.object.metadata.name, r.finalizer]),
});
const none = { deleteOrphaned: [], deleteForeground: [], release: [], removeFinalizer: [] };

t.test('background: a dependent goes once every owner is confirmed gone', async (t) => {
  const rs = obj('ReplicaSet', 'web');
  const other = obj('ReplicaSet', 'other');
  const pod = obj('Pod', 'web-1', { owners: [ref(rs)] });
  const shared = obj('Pod', 'shared', { owners: [ref(rs), ref(other)] });
  const gone = new Set([absentOwnerKey('default', ref(rs))]);
  t.same(names(computeGarbageCollection({ objects: [pod, shared, other], absentOwners: gone })), { ...none, deleteOrphaned: ['web-1'] }, 'the pod whose one owner is gone; not the one another owner still holds');
  t.same(names(computeGarbageCollection({ objects: [rs, pod], absentOwners: new Set() })), none, 'an owner not confirmed gone keeps its dependents');
  const going = obj('Pod', 'going', { owners: [ref(rs)], deleting: [] });
  t.same(names(computeGarbageCollection({ objects: [going], absentOwners: gone })).deleteOrphaned, [], 'a dependent already being deleted is left to finish');
});

t.test('foreground: dependents are deleted in the foreground; the owner keeps its finalizer while one blocks it', async (t) => {
  const rs = obj('ReplicaSet', 'web', { deleting: [FOREGROUND] });
  const blocking = obj('Pod', 'a', { owners: [ref(rs)] });
  const terminating = obj('Pod', 'b', { owners: [ref(rs)], deleting: [] });
  const loose = obj('Pod', 'c', { owners: [ref(rs, false)] });
  t.same(names(computeGarbageCollection({ objects: [rs, blocking, terminating, loose], absentOwners: new Set() })), { ...none, deleteForeground: ['a', 'c'] }, 'a and c are deleted; a and b still block');
  t.same(names(computeGarbageCollection({ objects: [rs, terminating], absentOwners: new Set() })), none, 'a dependent on its way out still blocks');
  t.same(names(computeGarbageCollection({ objects: [rs, loose], absentOwners: new Set() })), { ...none, deleteForeground: ['c'], removeFinalizer: [['web', FOREGROUND]] }, 'dependents without blockOwnerDeletion do not hold the owner');
  t.same(names(computeGarbageCollection({ objects: [rs], absentOwners: new Set() })), { ...none, removeFinalizer: [['web', FOREGROUND]] }, 'no dependents left: the owner goes');
});

t.test('orphan: dependents lose the reference to the owner (and keep others), then the owner goes', async (t) => {
  const rs = obj('ReplicaSet', 'web', { deleting: [ORPHAN] });
  const other = obj('ReplicaSet', 'other');
  const pod = obj('Pod', 'a', { owners: [ref(rs)] });
  const shared = obj('Pod', 'b', { owners: [ref(other), ref(rs)] });
  t.same(names(computeGarbageCollection({ objects: [rs, other, pod, shared], absentOwners: new Set() })), {
    ...none,
    release: [
      ['a', []],
      ['b', ['other']],
    ],
    removeFinalizer: [['web', ORPHAN]],
  });
});

t.test('an owner deleted without a collector finalizer needs nothing', async (t) => {
  const rs = obj('ReplicaSet', 'web', { deleting: ['example.com/other'] });
  t.same(names(computeGarbageCollection({ objects: [rs, obj('Pod', 'a', { owners: [ref(rs)] })], absentOwners: new Set() })), none);
});
