// Field sets, merge and managedFields bookkeeping, checked against what kube-apiserver records for the same
// writes (the FieldsV1 shapes below are the ones a Kubernetes 1.32 cluster shows for these objects).
import t from 'tap';
import type { KubeObject } from '../../../api/types.js';
import { kinds as registry, type ResourceDef } from '../registry/kinds.js';
import { FieldSet, keyPE, pathString, valuePE } from './fieldset.js';
import { applyConfig, ConflictError, decodeManagedFields, encodeManagedFields, recordUpdate, type Managers } from './managers.js';
import { kindSchema } from './schema.js';
import { merge, toFieldSet } from './typed.js';
import { FieldManager, trackingContext } from './fieldmanager.js';

type Any = any;
const def = (kind: string): ResourceDef => registry.find((d) => d.kind === kind)!;
const deploymentSchema = kindSchema('apps', 'v1', 'Deployment');
const ctxFor = (kind: string, subresource?: string) => ({ ...trackingContext(def(kind), subresource), now: '2024-05-01T10:00:00Z' });

const deployment = (replicas: number, labels: Record<string, string> = { app: 'web' }): KubeObject =>
  ({
    apiVersion: 'apps/v1',
    kind: 'Deployment',
    metadata: { name: 'web', labels },
    spec: {
      replicas,
      selector: { matchLabels: { app: 'web' } },
      template: {
        metadata: { labels: { app: 'web' } },
        spec: { containers: [{ name: 'httpd', image: 'busybox:1.35', ports: [{ containerPort: 80 }] }] },
      },
    },
  }) as KubeObject;

/** The object as stored after a write: the given managers encoded into it. */
function stored(obj: KubeObject, managers: Managers): KubeObject {
  const o = structuredClone(obj);
  o.metadata.uid = 'uid-1';
  o.metadata.managedFields = encodeManagedFields(managers);
  return o;
}

const entries = (m: Managers) => encodeManagedFields(m)!.map((e) => ({ manager: e.manager, operation: e.operation, subresource: e.subresource, fields: e.fieldsV1 }));

t.test('FieldSet: set algebra and the FieldsV1 form', async (t) => {
  const a = FieldSet.of(['f:spec', 'f:replicas'], ['f:metadata', 'f:labels', 'f:app'], ['f:metadata', 'f:labels']);
  const b = FieldSet.of(['f:spec', 'f:replicas'], ['f:spec', 'f:paused']);
  t.same(a.toFieldsV1(), { 'f:metadata': { 'f:labels': { '.': {}, 'f:app': {} } }, 'f:spec': { 'f:replicas': {} } });
  t.ok(FieldSet.fromFieldsV1(a.toFieldsV1()).equals(a), 'round trip keeps members and "."');
  t.same(a.intersection(b).paths(), [['f:spec', 'f:replicas']]);
  t.same(a.difference(b).paths(), [['f:metadata', 'f:labels'], ['f:metadata', 'f:labels', 'f:app']]);
  t.same(a.difference(FieldSet.of(['f:metadata'])).paths().length, 3, 'difference does not reach below a member');
  t.same(a.recursiveDifference(FieldSet.of(['f:metadata'])).paths(), [['f:spec', 'f:replicas']], 'recursiveDifference does');
  t.same(a.union(b).paths().length, 4);
  t.equal(keyPE([['protocol', 'TCP'], ['containerPort', 80]]), 'k:{"containerPort":80,"protocol":"TCP"}', 'key fields sorted');
  t.equal(pathString(['f:spec', 'f:containers', keyPE([['name', 'web']]), 'f:image']), '.spec.containers[name="web"].image');
  t.equal(pathString(['f:metadata', 'f:finalizers', valuePE('a/b')]), '.metadata.finalizers[="a/b"]');
  // Keys spelled differently (other key order) read back as the same element.
  t.ok(FieldSet.fromFieldsV1({ 'f:ports': { 'k:{"protocol":"TCP","containerPort":80}': {} } }).has(['f:ports', 'k:{"containerPort":80,"protocol":"TCP"}']));
  t.throws(() => FieldSet.fromFieldsV1([]), /JSON object/);
});

t.test('toFieldSet: atomic selector, list-map items by key with defaulted key fields, map keys', async (t) => {
  const set = toFieldSet(deployment(2), deploymentSchema);
  t.same(set.toFieldsV1(), {
    'f:apiVersion': {},
    'f:kind': {},
    'f:metadata': { 'f:labels': { 'f:app': {} }, 'f:name': {} },
    'f:spec': {
      'f:replicas': {},
      'f:selector': {},
      'f:template': {
        'f:metadata': { 'f:labels': { 'f:app': {} } },
        'f:spec': {
          'f:containers': {
            'k:{"name":"httpd"}': {
              '.': {},
              'f:image': {},
              'f:name': {},
              'f:ports': { 'k:{"containerPort":80,"protocol":"TCP"}': { '.': {}, 'f:containerPort': {} } },
            },
          },
        },
      },
    },
  });
  const pod = toFieldSet({ metadata: { finalizers: ['a', 'b'] }, spec: { containers: [{ name: 'c', args: ['x', 'y'] }] } }, kindSchema('', 'v1', 'Pod'));
  t.ok(pod.has(['f:metadata', 'f:finalizers', valuePE('a')]), 'set items by value');
  t.ok(pod.has(['f:spec', 'f:containers', keyPE([['name', 'c']]), 'f:args']), 'atomic list is one field');
  t.notOk(pod.has(['f:spec', 'f:containers', keyPE([['name', 'c']]), 'f:args', valuePE('x')]));
});

t.test('merge: list-maps by key keep live items, atomic lists and maps are replaced, sets are unions', async (t) => {
  const live = { spec: { containers: [{ name: 'a', image: 'x', args: ['1', '2'] }, { name: 'b', image: 'y' }] }, metadata: { finalizers: ['f1'] } };
  const cfg = { spec: { containers: [{ name: 'a', args: ['3'] }, { name: 'c', image: 'z' }] }, metadata: { finalizers: ['f2'] } };
  const out = merge(live, cfg, kindSchema('', 'v1', 'Pod')) as Any;
  t.same(out.spec.containers, [{ name: 'a', image: 'x', args: ['3'] }, { name: 'b', image: 'y' }, { name: 'c', image: 'z' }]);
  t.same(out.metadata.finalizers, ['f1', 'f2']);
  const sel = merge({ spec: { selector: { matchLabels: { a: '1', b: '2' } } } }, { spec: { selector: { matchLabels: { c: '3' } } } }, deploymentSchema) as Any;
  t.same(sel.spec.selector, { matchLabels: { c: '3' } }, 'LabelSelector is an atomic struct');
  const labels = merge({ metadata: { labels: { a: '1' } } }, { metadata: { labels: { b: '2' } } }, deploymentSchema) as Any;
  t.same(labels.metadata.labels, { a: '1', b: '2' }, 'labels merge key by key');
});

t.test('apply: create, re-apply is a no-op, omitted fields are pruned unless someone else owns them', async (t) => {
  const ctx = ctxFor('Deployment');
  const created = applyConfig({ metadata: {} } as KubeObject, deployment(2, { app: 'web', tier: 'fe' }), new Map(), { manager: 'kubectl', force: false }, ctx);
  t.ok(created.changed);
  t.same(entries(created.managers).map((e) => [e.manager, e.operation]), [['kubectl', 'Apply']]);
  t.same((created.object as Any).metadata.labels, { app: 'web', tier: 'fe' });
  const live = stored(created.object, created.managers);

  const again = applyConfig(live, deployment(2, { app: 'web', tier: 'fe' }), decodeManagedFields(live.metadata.managedFields), { manager: 'kubectl', force: false }, { ...ctx, now: '2024-05-01T11:00:00Z' });
  t.notOk(again.changed, 'nothing changes');
  t.same(encodeManagedFields(again.managers), live.metadata.managedFields, 'ownership and times unchanged');

  // Another manager starts managing the tier label with the same value: it stays when kubectl drops it.
  const shared = applyConfig(live, { apiVersion: 'apps/v1', kind: 'Deployment', metadata: { name: 'web', labels: { tier: 'fe' } } } as KubeObject, decodeManagedFields(live.metadata.managedFields), { manager: 'labeller', force: false }, ctx);
  t.notOk(shared.changed);
  const live2 = stored(shared.object, shared.managers);
  const dropped = applyConfig(live2, deployment(2, { app: 'web' }), decodeManagedFields(live2.metadata.managedFields), { manager: 'kubectl', force: false }, ctx);
  t.same((dropped.object as Any).metadata.labels, { app: 'web', tier: 'fe' }, 'co-owned label kept');
  const alone = applyConfig(live, deployment(2, { app: 'web' }), decodeManagedFields(live.metadata.managedFields), { manager: 'kubectl', force: false }, ctx);
  t.same((alone.object as Any).metadata.labels, { app: 'web' }, 'label only kubectl owned is removed');
  const noPorts = deployment(2);
  delete (noPorts as Any).spec.template.spec.containers[0].ports;
  const pruned = applyConfig(live, noPorts, decodeManagedFields(live.metadata.managedFields), { manager: 'kubectl', force: false }, ctx);
  t.notOk('ports' in (pruned.object as Any).spec.template.spec.containers[0], 'list-map items it applied before are removed');
});

t.test('apply: conflicts with other managers, force takes ownership', async (t) => {
  const ctx = ctxFor('Deployment');
  const created = recordUpdate(undefined, deployment(3), new Map(), 'kubectl-client-side-apply', ctx);
  const live = stored(deployment(3), created);
  t.same(entries(created)[0].fields, {
    'f:metadata': { 'f:labels': { '.': {}, 'f:app': {} } },
    'f:spec': {
      'f:replicas': {},
      'f:selector': {},
      'f:template': {
        'f:metadata': { 'f:labels': { '.': {}, 'f:app': {} } },
        'f:spec': {
          'f:containers': {
            'k:{"name":"httpd"}': {
              '.': {},
              'f:image': {},
              'f:name': {},
              'f:ports': { '.': {}, 'k:{"containerPort":80,"protocol":"TCP"}': { '.': {}, 'f:containerPort': {} } },
              'f:resources': {},
            },
          },
        },
      },
    },
  }, 'a create owns what it set; structs Go always has (spec, template) are not members, maps and pointers are');
  let err: unknown;
  try {
    applyConfig(live, deployment(2), decodeManagedFields(live.metadata.managedFields), { manager: 'other', force: false }, ctx);
  } catch (e) {
    err = e;
  }
  t.ok(err instanceof ConflictError);
  const status = (err as ConflictError).toStatusError().toStatus();
  t.equal(status.code, 409);
  t.equal(status.reason, 'Conflict');
  t.equal(status.message, 'Apply failed with 1 conflict: conflict with "kubectl-client-side-apply" using apps/v1: .spec.replicas');
  t.same(status.details?.causes, [{ reason: 'FieldManagerConflict', message: 'conflict with "kubectl-client-side-apply" using apps/v1', field: '.spec.replicas' }]);

  const forced = applyConfig(live, deployment(2), decodeManagedFields(live.metadata.managedFields), { manager: 'other', force: true }, ctx);
  t.equal((forced.object as Any).spec.replicas, 2);
  const csa = entries(forced.managers).find((e) => e.manager === 'kubectl-client-side-apply')!;
  t.notOk((csa.fields as Any)['f:spec']['f:replicas'], 'the old owner lost the field');
  t.ok((entries(forced.managers).find((e) => e.manager === 'other')!.fields as Any)['f:spec']['f:replicas']);

  // Two conflicts name every field.
  const two = structuredClone(deployment(2)) as Any;
  two.spec.template.spec.containers[0].image = 'busybox:1.36';
  try {
    applyConfig(live, two, decodeManagedFields(live.metadata.managedFields), { manager: 'other', force: false }, ctx);
  } catch (e) {
    t.equal((e as Error).message, 'Apply failed with 2 conflicts: conflicts with "kubectl-client-side-apply" using apps/v1:\n- .spec.replicas\n- .spec.template.spec.containers[name="httpd"].image');
  }
});

t.test('apply by kubectl takes fields its last client-side apply set and nobody changed since', async (t) => {
  const ctx = ctxFor('Deployment');
  const obj = deployment(3) as Any;
  obj.metadata.annotations = { 'kubectl.kubernetes.io/last-applied-configuration': JSON.stringify(deployment(3)) };
  const live = stored(obj, recordUpdate(undefined, obj, new Map(), 'kubectl-client-side-apply', ctx));
  const r = applyConfig(live, deployment(5), decodeManagedFields(live.metadata.managedFields), { manager: 'kubectl', force: false }, ctx);
  t.equal((r.object as Any).spec.replicas, 5);
  t.match((r.object as Any).metadata.annotations['kubectl.kubernetes.io/last-applied-configuration'], /"replicas":5/, 'the annotation follows the applied configuration');
  t.throws(() => applyConfig(live, deployment(5), decodeManagedFields(live.metadata.managedFields), { manager: 'someone-else', force: false }, ctx), { message: /conflict with "kubectl-client-side-apply"/ });
});

t.test('update: ownership moves to the writer, removed fields are owned by nobody, no-op keeps everything', async (t) => {
  const ctx = ctxFor('Deployment');
  const applied = applyConfig({ metadata: {} } as KubeObject, deployment(2), new Map(), { manager: 'kubectl', force: false }, ctx);
  const live = stored(applied.object, applied.managers);
  const next = structuredClone(live) as Any;
  delete next.metadata.managedFields;
  next.spec.replicas = 4;
  delete next.metadata.labels;
  const after = recordUpdate(live, next, decodeManagedFields(live.metadata.managedFields), 'kubectl-edit', { ...ctx, now: '2024-05-01T12:00:00Z' });
  const e = entries(after);
  t.same(e.map((x) => [x.manager, x.operation]), [['kubectl', 'Apply'], ['kubectl-edit', 'Update']]);
  t.same(e[1].fields, { 'f:spec': { 'f:replicas': {} } });
  t.notOk((e[0].fields as Any)['f:metadata'], 'the removed labels are nobody\'s');
  t.notOk((e[0].fields as Any)['f:spec']['f:replicas']);
  const noop = recordUpdate(live, { ...structuredClone(live), metadata: { ...live.metadata, managedFields: undefined } } as KubeObject, decodeManagedFields(live.metadata.managedFields), 'kubectl-edit', { ...ctx, now: '2030-01-01T00:00:00Z' });
  t.same(encodeManagedFields(noop), live.metadata.managedFields, 'a write that changes nothing changes no bookkeeping');
});

t.test('status: the main resource may not own status, /status owns only status', async (t) => {
  const main = ctxFor('Deployment');
  const withStatus = { ...deployment(1), status: { replicas: 7 } } as KubeObject;
  const r = applyConfig({ metadata: {} } as KubeObject, withStatus, new Map(), { manager: 'kubectl', force: false }, main);
  t.notOk((entries(r.managers)[0].fields as Any)['f:status']);
  const live = stored(deployment(1), r.managers);
  const status = ctxFor('Deployment', 'status');
  const next = { ...structuredClone(live), status: { replicas: 1, readyReplicas: 1 } } as Any;
  delete next.metadata.managedFields;
  const after = recordUpdate(live, next, decodeManagedFields(live.metadata.managedFields), 'kube-controller-manager', status);
  const ctrl = entries(after).find((e) => e.manager === 'kube-controller-manager')!;
  t.equal(ctrl.subresource, 'status');
  t.same(ctrl.fields, { 'f:status': { 'f:readyReplicas': {}, 'f:replicas': {} } }, 'status is a struct Go always has: no "."');
});

t.test('more than ten update managers fold into ancient-changes', async (t) => {
  const ctx = ctxFor('ConfigMap');
  let managers: Managers = new Map();
  let live: KubeObject | undefined;
  for (let i = 0; i < 12; i++) {
    const next = { apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: 'c' }, data: { ...((live as Any)?.data ?? {}), [`k${i}`]: 'v' } } as KubeObject;
    managers = recordUpdate(live, next, managers, `writer-${String(i).padStart(2, '0')}`, { ...ctx, now: `2024-05-01T10:00:${String(i).padStart(2, '0')}Z` });
    live = stored(next, managers);
  }
  const names = entries(managers).map((e) => e.manager);
  t.equal(names.length, 10);
  t.ok(names.includes('ancient-changes'));
  t.notOk(names.includes('writer-00'));
});

t.test('apply refuses what the merge cannot type: repeated keys, a list given a scalar (a 422, not a silent merge)', async (t) => {
  const fm = new FieldManager(def('Deployment'));
  const twice = deployment(1) as Any;
  twice.spec.template.spec.containers.push({ name: 'httpd', image: 'other' });
  const e = t.throws(() => fm.apply(undefined, twice, 'fuzz', true)) as Any;
  t.equal(e.code, 422);
  t.same(e.details.causes, [{ reason: 'FieldValueDuplicate', field: 'spec.template.spec.containers[1]', message: 'Duplicate value: {"name":"httpd"}' }]);
  const scalar = deployment(1) as Any;
  scalar.spec.template.spec.containers[0].ports = 'eighty';
  t.match((t.throws(() => fm.apply(undefined, scalar, 'fuzz', true)) as Any).details.causes, [{ field: 'spec.template.spec.containers[0].ports', message: 'Invalid value: "eighty": expected list, got string' }]);
  const map = deployment(1) as Any;
  map.metadata.labels = ['app'];
  t.match((t.throws(() => fm.apply(undefined, map, 'fuzz', true)) as Any).details.causes, [{ field: 'metadata.labels', message: /expected map, got list/ }]);
  t.ok(fm.apply(undefined, deployment(1), 'fuzz', true).object, 'a well-formed configuration applies');
});
