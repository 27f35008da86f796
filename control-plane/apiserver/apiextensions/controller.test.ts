// A CRD's life in the registry over a real SQLite store: created with the server's status, named and established,
// its resource served (create refused while it terminates), pruned and defaulted; deleted, it keeps its cleanup
// finalizer until its objects are gone, then goes and stops being served. Name conflicts, as a pure decision.
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import t from 'tap';
import type { CustomResourceDefinition, KubeObject } from '../../../api/types.js';
import { SqliteStore } from '../../storage/sqlite.js';
import { findByPlural } from '../registry/kinds.js';
import { ServedKinds } from '../registry/served.js';
import { GenericStore } from '../registry/store.js';
import { until } from '../../../test/until.js';
import { computeNames, CustomResourceDefinitionController } from './controller.js';

type Any = any;
const crds = findByPlural('apiextensions.k8s.io', 'v1', 'customresourcedefinitions')!;
const namespaces = findByPlural('', 'v1', 'namespaces')!;

const definition = (name = 'widgets', shortNames = ['wd']): CustomResourceDefinition => ({
  metadata: { name: `${name}.example.com` },
  spec: {
    group: 'example.com',
    scope: 'Namespaced',
    names: { plural: name, kind: name === 'widgets' ? 'Widget' : 'Gadget', shortNames },
    versions: [{ name: 'v1', served: true, storage: true, schema: { openAPIV3Schema: { type: 'object', properties: { spec: { type: 'object', properties: { size: { type: 'integer', default: 3 } } } } } } }],
  },
});

t.test('create, establish, serve, delete with cleanup', async (t) => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'kubets-crd-'));
  const storage = new SqliteStore(path.join(dir, 'state.db'));
  const store = new GenericStore(storage);
  const served = new ServedKinds();
  const controller = new CustomResourceDefinitionController(store, served).start();
  t.teardown(async () => {
    controller.close();
    await storage.close();
    fs.rmSync(dir, { recursive: true, force: true });
  });
  await store.create(namespaces, undefined, { metadata: { name: 'default' } });

  const created = (await store.create(crds, undefined, definition() as KubeObject)) as CustomResourceDefinition;
  t.same(created.status, { acceptedNames: { plural: '', kind: '' }, storedVersions: ['v1'] }, 'the status is the server\'s');
  t.match(created.spec, { names: { singular: 'widget', listKind: 'WidgetList' }, conversion: { strategy: 'None' } }, 'v1 defaults');

  const widgets = await until('served', () => served.find('example.com', 'v1', 'widgets'));
  const established = (await store.get(crds, undefined, 'widgets.example.com')) as CustomResourceDefinition;
  t.same(established.status?.conditions?.map((c) => `${c.type}=${c.status}`), ['NamesAccepted=True', 'Established=True']);
  t.match(widgets, { kind: 'Widget', listKind: 'WidgetList', shortNames: ['wd'], namespaced: true });

  const w = (await store.create(widgets, 'default', { apiVersion: 'example.com/v1', kind: 'Widget', metadata: { name: 'w' }, spec: { color: 'dropped' } } as KubeObject)) as Any;
  t.same(w.spec, { size: 3 }, 'pruned, then defaulted');

  // A second CRD wanting a short name the first holds is not accepted, and not served.
  await store.create(crds, undefined, definition('gadgets', ['wd']) as KubeObject);
  const gadgets = await until('named', async () => {
    const g = (await store.get(crds, undefined, 'gadgets.example.com')) as CustomResourceDefinition;
    return g.status?.conditions?.length ? g : undefined;
  });
  t.match(gadgets.status?.conditions, [{ type: 'NamesAccepted', status: 'False', reason: 'ShortNamesConflict' }, { type: 'Established', status: 'False', reason: 'NotAccepted' }]);
  t.equal(served.find('example.com', 'v1', 'gadgets'), undefined);

  // Deleting: the finalizer and the Terminating condition first; the object goes; then the CRD; then the serving.
  await store.update(widgets, 'default', 'w', (live) => ({ ...live, metadata: { ...live.metadata, finalizers: ['example.com/hold'] } }));
  const deleting = await store.delete(crds, undefined, 'widgets.example.com');
  t.equal(deleting.pending, true);
  t.same(deleting.object.metadata.finalizers, ['customresourcecleanup.apiextensions.k8s.io']);
  t.match((deleting.object as CustomResourceDefinition).status?.conditions?.find((c) => c.type === 'Terminating'), { status: 'True', reason: 'InstanceDeletionPending' });
  await until('create refused while terminating', async () => {
    const err = await store.create(served.find('example.com', 'v1', 'widgets')!, 'default', { metadata: { name: 'late' } } as KubeObject).catch((e) => e);
    return err?.code === 403 && err;
  }).then((e) => t.equal(e.message, 'widgets.example.com "late" is forbidden: create not allowed while custom resource definition is terminating'));
  const held = await until('the object marked deleted', async () => ((await store.get(widgets, 'default', 'w')).metadata.deletionTimestamp ? true : undefined));
  t.ok(held);
  t.ok(await store.get(crds, undefined, 'widgets.example.com'), 'the CRD waits for the object with a finalizer');
  await store.update(widgets, 'default', 'w', (live) => ({ ...live, metadata: { ...live.metadata, finalizers: [] } }));
  await until('the CRD gone', () => store.get(crds, undefined, 'widgets.example.com').then(() => false, (e) => e.code === 404));
  await until('no longer served', () => served.find('example.com', 'v1', 'widgets') === undefined);

  // Its names freed, the other CRD takes them.
  await until('gadgets accepted', async () => ((await store.get(crds, undefined, 'gadgets.example.com')) as CustomResourceDefinition).status?.conditions?.some((c) => c.type === 'Established' && c.status === 'True'));
  t.ok(served.find('example.com', 'v1', 'gadgets'));
});

t.test('computeNames: a name another CRD of the group accepted is a conflict; other groups do not count', async (t) => {
  const other = { ...definition(), metadata: { name: 'widgets.example.com' }, status: { acceptedNames: { plural: 'widgets', singular: 'widget', kind: 'Widget', listKind: 'WidgetList', shortNames: ['wd'] } } } as CustomResourceDefinition;
  const elsewhere = { ...other, metadata: { name: 'widgets.other.com' }, spec: { ...other.spec, group: 'other.com' }, status: { acceptedNames: { plural: 'gadgets', kind: 'Gadget' } } } as CustomResourceDefinition;
  const mine = definition('gadgets', ['g']);
  mine.spec.names.kind = 'Widget';
  const r = computeNames(mine, [other, elsewhere]);
  t.match(r.namesAccepted, { status: 'False', reason: 'KindConflict', message: '"Widget" is already in use' });
  t.match(r.names, { plural: 'gadgets', shortNames: ['g'] });
  t.notOk(r.names.kind, 'the kind is not taken');
  t.match(r.established, { status: 'False', reason: 'NotAccepted' });
  const free = computeNames(definition('gadgets', ['g']), [other, elsewhere]);
  t.match(free.namesAccepted, { status: 'True', reason: 'NoConflicts', message: 'no conflicts found' });
  t.match(free.established, { status: 'False', reason: 'Installing', message: 'the initial names have been accepted' });
});
