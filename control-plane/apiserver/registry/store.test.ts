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
import { findByPlural } from './kinds.js';
import { GenericStore, type WriteAttributes } from './store.js';

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
  return { store, admitted };
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

t.test('pods/binding writes spec.nodeName and the PodScheduled condition in one write; a bound pod refuses another', async (t) => {
  const { store, admitted } = await fixture(t);
  const created = await store.create(pods, 'default', pod('p'));
  const bind = (node: string) => podBinding.serve({ store, def: pods, namespace: 'default', name: 'p', method: 'POST', body: { target: { kind: 'Node', name: node } } } as unknown as SubresourceRequest);
  t.same(await bind('n1'), { code: 201, object: { kind: 'Status', apiVersion: 'v1', metadata: {}, status: 'Success', code: 201 } });
  const bound = (await store.get(pods, 'default', 'p')) as Any;
  t.equal(bound.spec.nodeName, 'n1');
  t.match(bound.status.conditions, [{ type: 'PodScheduled', status: 'True' }]);
  t.equal(Number(bound.metadata.resourceVersion), Number(created.metadata.resourceVersion) + 1, 'one write: one revision');
  t.same(admitted.filter((a) => a.subresource === 'binding').map((a) => a.operation), ['UPDATE'], 'admitted once');
  await t.rejects(bind('n2'), { code: 409, message: 'Operation cannot be fulfilled on pods "p": pod p is already assigned to node "n1"' });
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
