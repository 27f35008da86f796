// The generic store over a real SQLite storage, with the strategies of the kinds whose rules differ: status reset,
// /status and /finalize writes, graceful pod deletion waiting for the kubelet, namespace deletion waiting for its
// finalizers, and admission (NamespaceLifecycle and a recorder) seeing every write.
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import t from 'tap';
import type { Tap } from '../../storage/conformance.js';
import type { KubeObject } from '../../../api/types.js';
import { SqliteStore } from '../../storage/sqlite.js';
import { admissionChain } from '../admission/chain.js';
import { NamespaceLifecycle } from '../admission/namespacelifecycle.js';
import { objectGetter } from '../admission/lister.js';
import { finalizeStrategy } from './core/namespace.js';
import { podBinding } from './core/pod-binding.js';
import type { SubresourceRequest } from './rest.js';
import { findByPlural, storeKey } from './kinds.js';
import { GenericStore, type Reads, type WriteAttributes } from './store.js';
import { Cacher } from './watchcache.js';
import { until } from '../../../test/until.js';

type Any = any;

const namespaces = findByPlural('', 'v1', 'namespaces')!;
const pods = findByPlural('', 'v1', 'pods')!;
const services = findByPlural('', 'v1', 'services')!;

async function fixture(t: Tap) {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'kubets-registry-'));
  const storage = new SqliteStore(path.join(dir, 'state.db'));
  t.teardown(async () => {
    await storage.close();
    fs.rmSync(dir, { recursive: true, force: true });
  });
  const admitted: WriteAttributes[] = [];
  const record = { name: 'record', admit: async (a: WriteAttributes) => void admitted.push(a) };
  const store = new GenericStore(storage, admissionChain([new NamespaceLifecycle(objectGetter(storage)), record]));
  await store.create(namespaces, undefined, { metadata: { name: 'default' } });
  return { store, admitted, storage };
}

const pod = (name: string, extra: Any = {}): KubeObject => ({ metadata: { name }, spec: { containers: [{ name: 'c', image: 'busybox:1.35' }], ...extra }, status: { phase: 'Running' } }) as Any;

t.test('a new pod gets the status the server gives it, a new service keeps its own', async (t) => {
  const { store } = await fixture(t);
  const p = (await store.create(pods, 'default', pod('p'))) as Any;
  t.equal(p.status.phase, 'Pending', 'the client-set status is replaced');
  t.equal(p.metadata.generation, 1);
  const s = (await store.create(services, 'default', { metadata: { name: 's' }, spec: { ports: [{ port: 80 }] }, status: { loadBalancer: { ingress: [{ ip: '1.2.3.4' }] } } } as Any)) as Any;
  t.same(s.status, { loadBalancer: { ingress: [{ ip: '1.2.3.4' }] } });
});

t.test('the main resource keeps the stored status; /status changes only the status', async (t) => {
  const { store } = await fixture(t);
  await store.create(pods, 'default', pod('p'));
  const put = (await store.update(pods, 'default', 'p', (live) => ({ ...live, metadata: { ...live.metadata, labels: { a: 'b' } }, status: { phase: 'Failed' } }) as Any)) as Any;
  t.equal(put.status.phase, 'Pending');
  t.same(put.metadata.labels, { a: 'b' });
  const status = (await store.update(pods, 'default', 'p', (live) => ({ ...live, metadata: { ...live.metadata, labels: {} }, status: { phase: 'Running' } }) as Any, { strategy: pods.statusStrategy })) as Any;
  t.equal(status.status.phase, 'Running');
  t.same(status.metadata.labels, { a: 'b' }, 'labels are not the status endpoint\'s to change');
  t.equal(status.metadata.generation, 1, 'a status write is no new generation');
});

t.test('a new generation is a changed spec, whatever the order of its keys', async (t) => {
  const { store } = await fixture(t);
  await store.create(services, 'default', { metadata: { name: 's' }, spec: { selector: { app: 'a' }, ports: [{ port: 80 }] } } as Any);
  const reordered = await store.update(services, 'default', 's', (live) => {
    const { selector, ...rest } = (live as Any).spec;
    return { ...live, spec: { ...rest, selector } } as Any;
  });
  t.equal(reordered.metadata.generation, 1, 'the same spec, its keys in another order');
  const changed = await store.update(services, 'default', 's', (live) => ({ ...live, spec: { ...(live as Any).spec, selector: { app: 'b' } } }) as Any);
  t.equal(changed.metadata.generation, 2, 'another selector');
});

t.test('pods/binding writes spec.nodeName and the PodScheduled condition in one write; a bound pod refuses another', async (t) => {
  const { store, admitted } = await fixture(t);
  const created = await store.create(pods, 'default', pod('p'));
  const bind = (node: string) => podBinding.serve({ store, reads: store, def: pods, namespace: 'default', name: 'p', method: 'POST', body: { target: { kind: 'Node', name: node } } } as unknown as SubresourceRequest);
  t.same(await bind('n1'), { code: 201, object: { kind: 'Status', apiVersion: 'v1', metadata: {}, status: 'Success', code: 201 } });
  const bound = (await store.get(pods, 'default', 'p')) as Any;
  t.equal(bound.spec.nodeName, 'n1');
  t.match(bound.status.conditions, [{ type: 'PodScheduled', status: 'True' }]);
  t.equal(Number(bound.metadata.resourceVersion), Number(created.metadata.resourceVersion) + 1, 'one write: one revision');
  t.same(admitted.filter((a) => a.subresource === 'binding').map((a) => a.operation), ['UPDATE'], 'admitted once');
  await t.rejects(bind('n2'), { code: 409, message: 'Operation cannot be fulfilled on pods "p": pod p is already assigned to node "n1"' });
});

t.test('pods/binding starts from the watch cache\'s pod without reading the store, and from the store when that copy is stale or would be changed in place', async (t) => {
  const { store, storage } = await fixture(t);
  const cacher = new Cacher(storage, store);
  t.teardown(() => cacher.close());
  cacher.prime([pods]);
  await until('the pods cache to load', () => cacher.synced(pods), 10_000, 10);
  let gets = 0;
  const get = storage.get.bind(storage);
  storage.get = (key) => (gets++, get(key));
  const bind = (name: string, node: string, reads: Reads = cacher) => podBinding.serve({ store, reads, def: pods, namespace: 'default', name, method: 'POST', body: { target: { kind: 'Node', name: node } } } as unknown as SubresourceRequest);
  const cached = (name: string) => cacher.get(pods, 'default', name, '0');

  await store.create(pods, 'default', pod('fresh'));
  t.ok(Object.isFrozen(await cached('fresh')), "the cache's copy is shared and frozen");
  gets = 0;
  await bind('fresh', 'n1');
  t.equal(gets, 0, 'bound from the cached pod: no read of the store');
  t.equal(((await store.get(pods, 'default', 'fresh')) as Any).spec.nodeName, 'n1');

  // A copy from before a label was added: its write meets a newer revision, and the binding is made on the stored pod.
  await store.create(pods, 'default', pod('stale'));
  const before = await cached('stale');
  await store.update(pods, 'default', 'stale', (live) => ({ ...live, metadata: { ...live.metadata, labels: { tier: 'web' } } }));
  const staleReads = { get: async () => before } as unknown as Reads;
  await bind('stale', 'n2', staleReads);
  const bound = (await store.get(pods, 'default', 'stale')) as Any;
  t.same([bound.spec.nodeName, bound.metadata.labels], ['n2', { tier: 'web' }], 'bound, and the newer label is kept');
  await t.rejects(bind('stale', 'n3', staleReads), { code: 409, message: 'Operation cannot be fulfilled on pods "stale": pod stale is already assigned to node "n2"' }, 'a copy from before the binding does not bind it twice');

  // A pod stored without a default the write fills in (stored by an older server): filling it into the frozen copy
  // fails, and the store's copy takes it.
  const legacy = { apiVersion: 'v1', kind: 'Pod', metadata: { name: 'legacy', namespace: 'default', uid: 'u1', creationTimestamp: '2026-01-01T00:00:00Z' }, spec: { containers: [{ name: 'c', image: 'busybox:1.35' }] }, status: { phase: 'Pending' } };
  await storage.create(storeKey(pods, 'default', 'legacy'), JSON.stringify(legacy));
  const frozen = await cached('legacy');
  t.ok(Object.isFrozen(frozen));
  t.equal((frozen as Any).spec.containers[0].terminationMessagePath, undefined);
  await bind('legacy', 'n4');
  const written = (await store.get(pods, 'default', 'legacy')) as Any;
  t.same([written.spec.nodeName, written.spec.containers[0].terminationMessagePath], ['n4', '/dev/termination-log']);
  t.equal((frozen as Any).spec.containers[0].terminationMessagePath, undefined, 'the cached copy is unchanged');
});

t.test('a bound pod waits for its kubelet; the kubelet\'s delete with grace 0 ends it', async (t) => {
  const { store } = await fixture(t);
  await store.create(pods, 'default', pod('p', { nodeName: 'n1', terminationGracePeriodSeconds: 20 }));
  const first = await store.delete(pods, 'default', 'p');
  t.equal(first.pending, true);
  t.equal(first.object.metadata.deletionGracePeriodSeconds, 20);
  const again = await store.delete(pods, 'default', 'p');
  t.equal(again.object.metadata.resourceVersion, first.object.metadata.resourceVersion, 'asking again changes nothing');
  const last = await store.delete(pods, 'default', 'p', { gracePeriodSeconds: 0 });
  t.equal(last.pending, false);
  await t.rejects(store.get(pods, 'default', 'p'), { code: 404 });
  await store.create(pods, 'default', pod('q'));
  t.equal((await store.delete(pods, 'default', 'q')).pending, false, 'a pod on no node goes at once');
});

t.test('a namespace turns Terminating and goes once /finalize leaves no finalizer', async (t) => {
  const { store } = await fixture(t);
  await store.create(namespaces, undefined, { metadata: { name: 'team' } });
  const { object, pending } = await store.delete(namespaces, undefined, 'team');
  t.equal(pending, true);
  t.equal((object as Any).status.phase, 'Terminating');
  t.same((await store.get(namespaces, undefined, 'team') as Any).spec.finalizers, ['kubernetes']);
  await t.rejects(store.create(pods, 'team', pod('p')), { code: 403 }, 'no new content in a terminating namespace');
  await store.update(namespaces, undefined, 'team', (live) => ({ ...live, spec: { finalizers: [] }, status: { phase: 'Active' } }) as Any, { strategy: finalizeStrategy });
  await t.rejects(store.get(namespaces, undefined, 'team'), { code: 404 });
});

t.test('admission sees every write, with the stored object on update', async (t) => {
  const { store, admitted } = await fixture(t);
  admitted.length = 0;
  await store.create(pods, 'default', pod('p'));
  await store.update(pods, 'default', 'p', (live) => ({ ...live, metadata: { ...live.metadata, labels: { x: 'y' } } }));
  t.same(admitted.map((a) => [a.operation, a.def.plural, a.object.metadata.name, a.oldObject?.metadata.labels]), [
    ['CREATE', 'pods', 'p', undefined],
    ['UPDATE', 'pods', 'p', undefined],
  ]);
  t.same(admitted[1].object.metadata.labels, { x: 'y' });
});

t.test('concurrent patches that name no resourceVersion both land; a stale resourceVersion still gets 409', async (t) => {
  const { store } = await fixture(t);
  const configmaps = findByPlural('', 'v1', 'configmaps')!;
  await store.create(configmaps, 'default', { metadata: { name: 'cm' }, data: { a: '0' } } as Any);
  // As a patch does: each change is applied to the object read, which carries that object's resourceVersion.
  const set = (k: string) => (live: KubeObject) => ({ ...live, data: { ...(live as Any).data, [k]: '1' } }) as KubeObject;
  await Promise.all([store.update(configmaps, 'default', 'cm', set('b')), store.update(configmaps, 'default', 'cm', set('c'))]);
  const got = (await store.get(configmaps, 'default', 'cm')) as Any;
  t.same(got.data, { a: '0', b: '1', c: '1' }, 'the second write was applied again to what the first stored');
  const stale = { ...got, metadata: { ...got.metadata, resourceVersion: '1' }, data: { a: 'x' } };
  await t.rejects(store.update(configmaps, 'default', 'cm', () => stale), { code: 409 });
});
