// Strategies on plain objects: what each endpoint may change, and the graceful-deletion rules of pods and namespaces.
import t from 'tap';
import type { KubeObject } from '../../../api/types.js';
import { finalizeStrategy, namespaceStrategy } from './core/namespace.js';
import { podStrategy } from './core/pod.js';
import { serviceStrategy } from './core/service.js';
import { statusStrategy, strategy } from './strategy.js';

type Any = any;

t.test('a kind with a status endpoint neither sets nor changes status through the main resource', async (t) => {
  const s = strategy({ statusSubresource: true });
  const obj = { metadata: { name: 'a' }, spec: { x: 1 }, status: { ready: true } } as Any;
  s.prepareForCreate(obj);
  t.equal(obj.status, undefined);
  const next = s.prepareForUpdate({ metadata: { name: 'a' }, spec: { x: 2 }, status: { ready: false } } as Any, { metadata: { name: 'a' }, spec: { x: 1 }, status: { ready: true } } as Any) as Any;
  t.same(next, { metadata: { name: 'a' }, spec: { x: 2 }, status: { ready: true } });
  const plain = strategy().prepareForUpdate({ metadata: {}, status: { ready: false } } as Any, { metadata: {}, status: { ready: true } } as Any) as Any;
  t.same(plain.status, { ready: false }, 'without a status endpoint the object is written whole');
});

t.test('/status changes the status and nothing else', async (t) => {
  const old = { metadata: { name: 'a', labels: { k: 'v' } }, spec: { x: 1 }, status: { ready: false } } as Any;
  const next = statusStrategy(strategy({ statusSubresource: true })).prepareForUpdate({ metadata: { name: 'a' }, spec: { x: 9 }, status: { ready: true } } as Any, old) as Any;
  t.same(next, { metadata: { name: 'a', labels: { k: 'v' } }, spec: { x: 1 }, status: { ready: true } });
});

t.test('names: DNS subdomains by default, labels for namespaces, DNS-1035 labels for services', async (t) => {
  const named = (name: string) => ({ metadata: { name } }) as KubeObject;
  t.same(strategy().validate(named('a.b')), []);
  t.equal(namespaceStrategy.validate(named('a.b')).length, 1);
  t.equal(serviceStrategy.validate({ ...named('1abc'), spec: { type: 'ClusterIP', ports: [{ port: 80, protocol: 'TCP' }] } } as Any).length, 1);
});

t.test('pods: a grace period only on a node and while running; waiting for the kubelet', async (t) => {
  const pod = (spec: Any, status: Any = {}, meta: Any = {}) => ({ metadata: { name: 'p', ...meta }, spec, status }) as KubeObject;
  t.equal(podStrategy.gracePeriod(pod({}), undefined), 0, 'not scheduled: goes at once');
  t.equal(podStrategy.gracePeriod(pod({ nodeName: 'n' }), undefined), 30);
  t.equal(podStrategy.gracePeriod(pod({ nodeName: 'n', terminationGracePeriodSeconds: 5 }), undefined), 5);
  t.equal(podStrategy.gracePeriod(pod({ nodeName: 'n' }), 10), 10);
  t.equal(podStrategy.gracePeriod(pod({ nodeName: 'n' }, {}, { deletionGracePeriodSeconds: 3 }), 10), 3, 'never longer than the one set');
  t.equal(podStrategy.gracePeriod(pod({ nodeName: 'n' }, { phase: 'Succeeded' }), undefined), 0, 'a finished pod goes at once');
  t.equal(podStrategy.awaitsFinalization(pod({ nodeName: 'n' }, {}, { deletionGracePeriodSeconds: 30 })), true);
  t.equal(podStrategy.awaitsFinalization(pod({ nodeName: 'n' }, {}, { deletionGracePeriodSeconds: 0 })), false);
});

t.test('namespaces: Terminating on delete, kept until spec.finalizers are gone, which only /finalize changes', async (t) => {
  const ns = { metadata: { name: 'team' }, spec: { finalizers: ['kubernetes'] }, status: { phase: 'Active' } } as Any;
  t.equal(namespaceStrategy.awaitsFinalization(ns), true);
  namespaceStrategy.prepareForDelete(ns);
  t.equal(ns.status.phase, 'Terminating');
  const finalized = finalizeStrategy.prepareForUpdate({ metadata: { name: 'team', labels: { x: 'y' } }, spec: { finalizers: [] }, status: { phase: 'Active' } } as Any, ns) as Any;
  t.same(finalized, { metadata: { name: 'team' }, spec: { finalizers: [] }, status: { phase: 'Terminating' } });
  t.equal(namespaceStrategy.awaitsFinalization(finalized), false);
});
