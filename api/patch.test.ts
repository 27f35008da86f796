import t from 'tap';
import { jsonPatch, mergePatch, strategicMergePatch, type PatchSchema } from './patch.js';

/** A small schema, as the API server derives it from OpenAPI: fields with their patch strategy, merge key and type. */
type Shape = { [field: string]: { strategy?: string; key?: string; of?: Shape } };
function schemaOf(shape: Shape): PatchSchema {
  return {
    field(name) {
      const f = shape[name];
      if (!f) return { meta: { strategies: [] } };
      return { meta: { strategies: f.strategy ? f.strategy.split(',') : [], mergeKey: f.key }, schema: f.of && schemaOf(f.of) };
    },
  };
}
const container: Shape = { ports: { strategy: 'merge', key: 'containerPort' }, env: { strategy: 'merge', key: 'name' } };
const podSchema = schemaOf({
  metadata: { of: { finalizers: { strategy: 'merge' } } },
  spec: { of: { containers: { strategy: 'merge', key: 'name', of: container }, volumes: { strategy: 'merge,retainKeys', key: 'name' }, tolerations: {} } },
  status: { of: { containerStatuses: {} } },
});
const serviceSchema = schemaOf({ spec: { of: { ports: { strategy: 'merge', key: 'port' } } } });
const deploymentSchema = schemaOf({ spec: { of: { strategy: { strategy: 'retainKeys' } } } });

const pod = () => ({
  metadata: { name: 'p', labels: { a: '1', b: '2' }, finalizers: ['x'] },
  spec: {
    containers: [
      { name: 'web', image: 'busybox:1.35', ports: [{ containerPort: 80, protocol: 'TCP' }], env: [{ name: 'A', value: '1' }] },
      { name: 'side', image: 'busybox:1.35' },
    ],
    tolerations: [{ key: 'k', operator: 'Exists' }],
  },
});

t.test('merge patch (RFC 7386): objects merge, null deletes, lists replace', async (t) => {
  const out: any = mergePatch(pod(), { metadata: { labels: { a: null, c: '3' } }, spec: { containers: [{ name: 'only' }] } });
  t.same(out.metadata.labels, { b: '2', c: '3' });
  t.same(out.spec.containers, [{ name: 'only' }]);
});

t.test('json patch (RFC 6902)', async (t) => {
  const out: any = jsonPatch(pod(), [
    { op: 'replace', path: '/spec/containers/0/image', value: 'busybox:1.36' },
    { op: 'add', path: '/metadata/labels/c', value: '3' },
    { op: 'remove', path: '/metadata/labels/a' },
    { op: 'add', path: '/spec/containers/-', value: { name: 'third', image: 'x' } },
    { op: 'test', path: '/metadata/name', value: 'p' },
    { op: 'copy', from: '/metadata/name', path: '/metadata/generateName' },
    { op: 'move', from: '/metadata/labels/b', path: '/metadata/labels/moved' },
  ]);
  t.equal(out.spec.containers[0].image, 'busybox:1.36');
  t.same(out.metadata.labels, { c: '3', moved: '2' });
  t.equal(out.spec.containers[2].name, 'third');
  t.equal(out.metadata.generateName, 'p');
  t.throws(() => jsonPatch(pod(), [{ op: 'test', path: '/metadata/name', value: 'q' }]), { code: 422 });
  t.throws(() => jsonPatch(pod(), [{ op: 'remove', path: '/spec/nothing/here' }]), { code: 422 });
  t.throws(() => jsonPatch(pod(), { op: 'add' }), { code: 400 });
});

t.test('strategic merge: containers merge by name, ports by containerPort, env by name', async (t) => {
  const out: any = strategicMergePatch(pod(), {
    spec: { containers: [{ name: 'web', image: 'busybox:1.36', ports: [{ containerPort: 8080 }], env: [{ name: 'B', value: '2' }] }, { name: 'new', image: 'y' }] },
  }, podSchema);
  t.same(out.spec.containers.map((c: any) => c.name), ['web', 'side', 'new']);
  t.equal(out.spec.containers[0].image, 'busybox:1.36');
  t.same(out.spec.containers[0].ports.map((p: any) => p.containerPort), [80, 8080]);
  t.same(out.spec.containers[0].env.map((e: any) => e.name), ['A', 'B']);
  t.same(out.spec.tolerations, [{ key: 'k', operator: 'Exists' }], 'untouched lists stay');
});

t.test('strategic merge: lists without merge keys replace; finalizers union', async (t) => {
  const out: any = strategicMergePatch(pod(), { spec: { tolerations: [{ key: 'other', operator: 'Exists' }] }, metadata: { finalizers: ['y'] } }, podSchema);
  t.same(out.spec.tolerations, [{ key: 'other', operator: 'Exists' }]);
  t.same(out.metadata.finalizers, ['x', 'y']);
});

t.test('strategic merge directives from kubectl apply', async (t) => {
  const out: any = strategicMergePatch(pod(), {
    spec: {
      $setElementOrder$containers: undefined,
      '$setElementOrder/containers': [{ name: 'side' }, { name: 'web' }],
      containers: [{ name: 'web', $patch: 'delete' }],
    },
    metadata: { '$deleteFromPrimitiveList/finalizers': ['x'], labels: { a: null } },
  }, podSchema);
  t.same(out.spec.containers.map((c: any) => c.name), ['side']);
  t.same(out.metadata.finalizers, []);
  t.same(out.metadata.labels, { b: '2' });
  const replaced: any = strategicMergePatch(pod(), { spec: { containers: [{ name: 'z', image: 'z' }, { $patch: 'replace' }] } }, podSchema);
  t.same(replaced.spec.containers, [{ name: 'z', image: 'z' }]);
  const retained: any = strategicMergePatch({ spec: { strategy: { type: 'RollingUpdate', rollingUpdate: { maxSurge: 1 } } } }, { spec: { strategy: { $retainKeys: ['type'], type: 'Recreate' } } }, deploymentSchema);
  t.same(retained.spec.strategy, { type: 'Recreate' });
  const reordered: any = strategicMergePatch(pod(), { spec: { '$setElementOrder/containers': [{ name: 'side' }, { name: 'web' }] } }, podSchema);
  t.same(reordered.spec.containers.map((c: any) => c.name), ['side', 'web']);
});

t.test('service ports merge by port', async (t) => {
  const svc = { spec: { ports: [{ port: 80, targetPort: 8080, protocol: 'TCP' }, { port: 443, protocol: 'TCP' }] } };
  const out: any = strategicMergePatch(svc, { spec: { ports: [{ port: 80, targetPort: 9090 }] } }, serviceSchema);
  t.same(out.spec.ports, [{ port: 80, targetPort: 9090, protocol: 'TCP' }, { port: 443, protocol: 'TCP' }]);
});

t.test('strategic merge follows the schema, not the field name', async (t) => {
  const svc = { spec: { ports: [{ port: 80, protocol: 'TCP' }] } };
  const unknown: any = strategicMergePatch(svc, { spec: { ports: [{ port: 443 }] } });
  t.same(unknown.spec.ports, [{ port: 443 }], 'without a schema every list is replaced');
  const containers: any = strategicMergePatch(pod(), { spec: { containers: [{ name: 'web', image: 'busybox:1.36' }] } });
  t.same(containers.spec.containers, [{ name: 'web', image: 'busybox:1.36' }]);
  const volumes: any = strategicMergePatch({ spec: { volumes: [{ name: 'a', emptyDir: {} }] } }, { spec: { volumes: [{ name: 'b', emptyDir: {} }] } }, podSchema);
  t.same(volumes.spec.volumes.map((v: any) => v.name), ['a', 'b'], '"merge,retainKeys" merges by the key');
  const replaced: any = strategicMergePatch({ spec: { strategy: { type: 'RollingUpdate', rollingUpdate: { maxSurge: 1 } } } }, { spec: { strategy: { type: 'Recreate' } } }, schemaOf({ spec: { of: { strategy: { strategy: 'replace' } } } }));
  t.same(replaced.spec.strategy, { type: 'Recreate' }, '"replace" sets the field whole');
});

t.test('a replaced list is stored without the directives inside it', async (t) => {
  const live = { status: { containerStatuses: [{ name: 'web', state: { waiting: { reason: 'ContainerCreating' } } }] } };
  const out: any = strategicMergePatch(live, { status: { containerStatuses: [{ name: 'web', state: { $patch: 'replace', running: { startedAt: 't' } } }] } }, podSchema);
  t.same(out.status.containerStatuses, [{ name: 'web', state: { running: { startedAt: 't' } } }]);
});
