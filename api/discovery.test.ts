// Client-side discovery parsing: preferred group versions, resources without subresources, verbs.
import t from 'tap';
import { preferredGroupVersions, resourcesOf, supportsVerbs } from './discovery.js';

t.test('each group is read in its preferred version, the core group first', async (t) => {
  const gvs = preferredGroupVersions(
    { versions: ['v1'] },
    {
      groups: [
        { name: 'apps', preferredVersion: { groupVersion: 'apps/v1', version: 'v1' }, versions: [{ groupVersion: 'apps/v1', version: 'v1' }] },
        { name: 'batch', preferredVersion: { groupVersion: 'batch/v1', version: 'v1' }, versions: [{ groupVersion: 'batch/v1', version: 'v1' }, { groupVersion: 'batch/v1beta1', version: 'v1beta1' }] },
      ],
    },
  );
  t.same(gvs, ['v1', 'apps/v1', 'batch/v1']);
});

t.test('a resource list gives resources, not subresources, with their group, version and verbs', async (t) => {
  const rs = resourcesOf({
    groupVersion: 'apps/v1',
    resources: [
      { name: 'deployments', namespaced: true, kind: 'Deployment', verbs: ['create', 'delete', 'get', 'list'] },
      { name: 'deployments/scale', namespaced: true, kind: 'Scale', verbs: ['get', 'patch', 'update'] },
    ],
  });
  t.same(rs, [{ group: 'apps', version: 'v1', plural: 'deployments', kind: 'Deployment', namespaced: true, verbs: ['create', 'delete', 'get', 'list'] }]);
  t.equal(resourcesOf({ groupVersion: 'v1', resources: [{ name: 'pods', namespaced: true, kind: 'Pod', verbs: [] }] })[0].group, '');
  t.ok(supportsVerbs(rs[0], ['list', 'delete']));
  t.notOk(supportsVerbs(rs[0], ['list', 'watch']));
});
