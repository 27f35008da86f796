// The revision history on plain objects and on a fake client: naming, data, matching, which revision a template is,
// renumbering on rollback, trimming, adoption and hash collisions.
import t from 'tap';
import type { ApiClient } from '../../../api/client.js';
import { alreadyExists } from '../../../api/errors.js';
import type { ControllerRevision, DaemonSet, PodTemplateSpec } from '../../../api/types.js';
import { templateHash } from '../podtemplate.js';
import { ControllerHistory, decideUpdateRevision, matchesTemplate, newRevision, ownedRevisions, revisionData, revisionName, revisionsToTrim, sortRevisions, templateOf } from './history.js';

const template = (image: string): PodTemplateSpec => ({ metadata: { labels: { app: 'agent' } }, spec: { containers: [{ name: 'c', image }] } });
const owner = (image: string, annotations?: Record<string, string>): DaemonSet => ({
  apiVersion: 'apps/v1',
  kind: 'DaemonSet',
  metadata: { name: 'agent', namespace: 'default', uid: 'ds-uid', annotations },
  spec: { selector: { matchLabels: { app: 'agent' } }, template: template(image) },
});
const rev = (image: string, revision: number, o: Partial<ControllerRevision['metadata']> = {}): ControllerRevision => {
  const r = newRevision(owner(image), 'DaemonSet', revision);
  return { ...r, metadata: { ...r.metadata, uid: `uid-${image}`, ...o } };
};
const names = (rs: ControllerRevision[]) => rs.map((r) => `${r.metadata.name}@${r.revision}`);

t.test('a revision: <owner>-<hash>, the template labels plus the hash, the owner’s annotations, controlled by it', async (t) => {
  const r = newRevision(owner('busybox:1.35', { 'kubernetes.io/change-cause': 'first' }), 'DaemonSet', 1);
  const hash = templateHash(template('busybox:1.35'));
  t.equal(r.metadata.name, `agent-${hash}`);
  t.same(r.metadata.labels, { app: 'agent', 'controller-revision-hash': hash });
  t.same(r.metadata.annotations, { 'kubernetes.io/change-cause': 'first' });
  t.same(r.metadata.ownerReferences, [{ apiVersion: 'apps/v1', kind: 'DaemonSet', name: 'agent', uid: 'ds-uid', controller: true, blockOwnerDeletion: true }]);
  t.equal(r.revision, 1);
  t.not(newRevision(owner('busybox:1.35'), 'DaemonSet', 1, 1).metadata.name, r.metadata.name, 'a collision count names it anew');
  t.equal(revisionName('x'.repeat(300), 'abc').length, 223 + 4, 'a long owner name is cut so the name stays valid');
});

t.test('data is the strategic merge patch that replaces the template, in Go’s key order', async (t) => {
  const data = revisionData(template('busybox:1.35'));
  t.equal(JSON.stringify(data), '{"spec":{"template":{"$patch":"replace","metadata":{"creationTimestamp":null,"labels":{"app":"agent"}},"spec":{"containers":[{"image":"busybox:1.35","name":"c"}]}}}}');
  t.same(templateOf({ metadata: {}, data, revision: 1 }), { metadata: { labels: { app: 'agent' } }, spec: { containers: [{ image: 'busybox:1.35', name: 'c' }] } });
  // The template as a client sends it back (other key order, nulls) still matches.
  const sent = { spec: { containers: [{ name: 'c', image: 'busybox:1.35' }] }, metadata: { creationTimestamp: null, labels: { app: 'agent' } } } as unknown as PodTemplateSpec;
  t.ok(matchesTemplate(rev('busybox:1.35', 1), sent));
  t.notOk(matchesTemplate(rev('busybox:1.35', 1), template('busybox:1.36')));
});

t.test('which revision the template is: the newest, a renumbered older one (rollback), or a new one', async (t) => {
  const history = [rev('busybox:1.36', 2), rev('busybox:1.35', 1)];
  const same = decideUpdateRevision(owner('busybox:1.36'), 'DaemonSet', history, 0);
  t.same(same.type === 'existing' && [same.revision.revision, same.renumber], [2, undefined], 'unchanged');
  const back = decideUpdateRevision(owner('busybox:1.35'), 'DaemonSet', history, 0);
  t.same(back.type === 'existing' && [back.revision.revision, back.renumber], [1, 3], 'an older template becomes the newest revision');
  const fresh = decideUpdateRevision(owner('busybox:1.37'), 'DaemonSet', history, 0);
  t.same(fresh.type === 'create' && [fresh.revision.metadata.name, fresh.revision.revision], [`agent-${templateHash(template('busybox:1.37'))}`, 3]);
  const first = decideUpdateRevision(owner('busybox:1.35'), 'DaemonSet', [], 0);
  t.same(first.type === 'create' && first.revision.revision, 1);
});

t.test('sorting, and trimming beyond the limit: oldest first, live revisions kept and not counted', async (t) => {
  const a = rev('a', 1, { creationTimestamp: '2024-01-01T00:00:02Z' });
  const b = rev('b', 1, { creationTimestamp: '2024-01-01T00:00:01Z' });
  const c = rev('c', 2);
  const d = rev('d', 3);
  const e = rev('e', 4);
  t.same(names(sortRevisions([c, a, e, b, d])), names([b, a, c, d, e]), 'by number, then creation time');
  t.same(names(revisionsToTrim([a, b, c, d, e], new Set([e.metadata.name!]), 2)), names([b, a]), 'four historic, two kept');
  t.same(names(revisionsToTrim([a, b, c, d, e], new Set([e.metadata.name!, b.metadata.name!]), 2)), names([a]), 'a revision a pod runs stays');
  t.same(revisionsToTrim([a, c], new Set(), 10), [], 'the default keeps ten');
  t.same(names(revisionsToTrim([a, c, e], new Set([e.metadata.name!]), 0)), names([a, c]), 'limit 0 keeps only live ones');
});

t.test('the owner’s revisions: its own, and orphans its selector matches', async (t) => {
  const mine = rev('a', 1);
  const orphan = { ...rev('b', 2), metadata: { ...rev('b', 2).metadata, ownerReferences: undefined } };
  const other = { ...rev('c', 3), metadata: { ...rev('c', 3).metadata, ownerReferences: [{ apiVersion: 'apps/v1', kind: 'DaemonSet', name: 'x', uid: 'x', controller: true }] } };
  const unmatched = { ...orphan, metadata: { ...orphan.metadata, name: 'z', labels: { app: 'other' } } };
  const elsewhere = { ...mine, metadata: { ...mine.metadata, namespace: 'kube-system' } };
  const { owned, orphans } = ownedRevisions([mine, orphan, other, unmatched, elsewhere], owner('a'));
  t.same([names(owned), names(orphans)], [names([mine]), names([orphan])]);
});

/** A client holding revisions by name, answering as the API server does; it records what it was asked. */
function fakeClient(stored: ControllerRevision[]) {
  const byName = new Map(stored.map((r) => [r.metadata.name!, r]));
  const calls: string[] = [];
  const client = {
    async create(_ref: unknown, _ns: string, obj: ControllerRevision) {
      calls.push(`create ${obj.metadata.name}@${obj.revision}`);
      if (byName.has(obj.metadata.name!)) throw alreadyExists('controllerrevisions', obj.metadata.name!, 'apps');
      const made = { ...obj, metadata: { ...obj.metadata, uid: `uid-${obj.metadata.name}` } };
      byName.set(obj.metadata.name!, made);
      return made;
    },
    async get(_ref: unknown, _ns: string, name: string) {
      return byName.get(name)!;
    },
    async patch(_ref: unknown, _ns: string, name: string, _type: string, patch: { revision?: number; metadata?: { ownerReferences?: unknown } }) {
      calls.push(`patch ${name} ${JSON.stringify(patch.revision ?? patch.metadata?.ownerReferences)}`);
      const r = byName.get(name)!;
      const next = { ...r, ...(patch.revision ? { revision: patch.revision } : {}), metadata: { ...r.metadata, ...(patch.metadata?.ownerReferences ? { ownerReferences: patch.metadata.ownerReferences } : {}) } } as ControllerRevision;
      byName.set(name, next);
      return next;
    },
    async delete(_ref: unknown, _ns: string, name: string) {
      calls.push(`delete ${name}`);
      byName.delete(name);
    },
  };
  return { client: client as unknown as ApiClient, calls };
}

t.test('sync: creates the new template’s revision, renumbers an older one, adopts orphans', async (t) => {
  const r1 = rev('busybox:1.35', 1);
  const { client, calls } = fakeClient([r1]);
  const h = new ControllerHistory(client, 'DaemonSet');
  const s = await h.sync(owner('busybox:1.36'), [r1]);
  t.same([s.update.revision, s.collisionCount, names(s.revisions)], [2, 0, [`${r1.metadata.name}@1`, `${s.update.metadata.name}@2`]]);
  const back = await h.sync(owner('busybox:1.35'), [r1, s.update]);
  t.same([back.update.metadata.name, back.update.revision], [r1.metadata.name, 3]);
  t.same(calls, [`create ${s.update.metadata.name}@2`, `patch ${r1.metadata.name} 3`]);

  const orphan = { ...r1, metadata: { ...r1.metadata, ownerReferences: undefined } };
  const adopting = fakeClient([orphan]);
  const adopted = await new ControllerHistory(adopting.client, 'DaemonSet').sync(owner('busybox:1.35'), [orphan]);
  t.same(adopted.update.metadata.ownerReferences?.map((o) => o.uid), ['ds-uid']);
  t.same(adopting.calls, [`patch ${r1.metadata.name} [{"apiVersion":"apps/v1","kind":"DaemonSet","name":"agent","uid":"ds-uid","controller":true,"blockOwnerDeletion":true}]`]);
});

t.test('sync: a name the cache has not shown is reused when it is this template, else the collision count grows', async (t) => {
  const mine = rev('busybox:1.36', 2);
  const cacheBehind = fakeClient([rev('busybox:1.35', 1), mine]);
  const s = await new ControllerHistory(cacheBehind.client, 'DaemonSet').sync(owner('busybox:1.36'), [rev('busybox:1.35', 1)]);
  t.same([s.update.metadata.name, s.collisionCount], [mine.metadata.name, 0], 'the revision made by an earlier sync');

  // Another template's revision under the name this template hashes to.
  const squatter = { ...rev('busybox:1.99', 1), metadata: { ...rev('busybox:1.99', 1).metadata, name: mine.metadata.name } };
  const colliding = fakeClient([squatter]);
  const c = await new ControllerHistory(colliding.client, 'DaemonSet').sync(owner('busybox:1.36'), []);
  t.equal(c.collisionCount, 1);
  t.equal(c.update.metadata.name, newRevision(owner('busybox:1.36'), 'DaemonSet', 1, 1).metadata.name);
  t.equal(c.update.metadata.labels?.['controller-revision-hash'], templateHash(template('busybox:1.36'), 1), 'pods get the hash the revision was named by');
});

t.test('trim deletes what revisionsToTrim picks, with the owner’s limit', async (t) => {
  const revs = [rev('a', 1), rev('b', 2), rev('c', 3)];
  const { client, calls } = fakeClient(revs);
  const o = { ...owner('c'), spec: { ...owner('c').spec, revisionHistoryLimit: 1 } };
  await new ControllerHistory(client, 'DaemonSet').trim(o, revs, new Set([revs[2].metadata.name!]));
  t.same(calls, [`delete ${revs[0].metadata.name}`]);
});
