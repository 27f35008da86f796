// Strategic-merge patch meta read from the served schemas: the merge keys and strategies kube's types declare.
import t from 'tap';
import { strategicMergePatch, type PatchSchema } from '../../../api/patch.js';
import { patchSchema } from './navigator.js';
import { schemaFor } from './schemas.js';

type Any = any;

const kind = (group: string, k: string) => patchSchema(schemaFor(group, 'v1', k))!;
/** The meta of the field at the end of a path of field names, stepping into list items on the way. */
function metaAt(schema: PatchSchema, path: string[]) {
  let s: PatchSchema | undefined = schema;
  let meta;
  for (const f of path) ({ meta, schema: s } = s!.field(f));
  return meta;
}

t.test('merge keys and strategies come from the schemas', async (t) => {
  const pod = kind('', 'Pod');
  t.same(metaAt(pod, ['spec', 'containers']), { strategies: ['merge'], mergeKey: 'name' });
  t.same(metaAt(pod, ['spec', 'containers', 'ports']), { strategies: ['merge'], mergeKey: 'containerPort' });
  t.same(metaAt(pod, ['spec', 'initContainers', 'volumeMounts']), { strategies: ['merge'], mergeKey: 'mountPath' });
  t.same(metaAt(pod, ['spec', 'volumes']), { strategies: ['merge', 'retainKeys'], mergeKey: 'name' });
  t.same(metaAt(pod, ['metadata', 'finalizers']), { strategies: ['merge'] }, 'a primitive list merges as a set');
  t.same(metaAt(pod, ['metadata', 'ownerReferences']), { strategies: ['merge'], mergeKey: 'uid' });
  t.same(metaAt(pod, ['spec', 'tolerations']), { strategies: [] }, 'no strategy: replaced');
  t.same(metaAt(pod, ['status', 'containerStatuses']), { strategies: [] });
  t.same(metaAt(pod, ['metadata', 'labels', 'app']), { strategies: [] }, 'map values have no meta');
  t.same(metaAt(kind('', 'Service'), ['spec', 'ports']), { strategies: ['merge'], mergeKey: 'port' });
  t.same(metaAt(kind('', 'Endpoints'), ['subsets', 'ports']), { strategies: [] });
  t.same(metaAt(kind('apps', 'Deployment'), ['spec', 'strategy']), { strategies: ['retainKeys'] }, 'a struct field\'s strategy sits beside its reference');
  t.same(metaAt(kind('apps', 'Deployment'), ['spec', 'template', 'spec', 'containers', 'env']), { strategies: ['merge'], mergeKey: 'name' });
  t.same(metaAt(pod, ['spec', 'bogus']), { strategies: [] }, 'unknown fields have none');
});

t.test('strategic merge patch of a Deployment through its schema', async (t) => {
  const live = {
    metadata: { name: 'web', finalizers: ['a'] },
    spec: { template: { spec: { containers: [{ name: 'httpd', image: 'busybox:1.35', ports: [{ containerPort: 80 }] }], tolerations: [{ key: 'a', operator: 'Exists' }] } } },
  };
  const out = strategicMergePatch(live, { metadata: { finalizers: ['b'] }, spec: { template: { spec: { containers: [{ name: 'side', image: 'x' }, { name: 'httpd', ports: [{ containerPort: 81 }] }], tolerations: [{ key: 'b', operator: 'Exists' }] } } } }, kind('apps', 'Deployment')) as Any;
  t.same(out.spec.template.spec.containers.map((c: Any) => c.name), ['httpd', 'side']);
  t.same(out.spec.template.spec.containers[0].ports, [{ containerPort: 80 }, { containerPort: 81 }]);
  t.same(out.spec.template.spec.tolerations, [{ key: 'b', operator: 'Exists' }]);
  t.same(out.metadata.finalizers, ['a', 'b']);
});
