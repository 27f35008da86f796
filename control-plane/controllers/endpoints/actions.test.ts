// computeEndpoints on plain objects: ready and not-ready addresses, named ports, publishNotReadyAddresses, terminating.
import t from 'tap';
import type { Endpoints, Pod, Service } from '../../../api/types.js';
import { selectedPods } from '../servicepods.js';
import { computeEndpoints, desiredSubsets } from './actions.js';

const service = (spec: Partial<Service['spec']> = {}): Service => ({
  apiVersion: 'v1',
  kind: 'Service',
  metadata: { name: 'web', namespace: 'default', uid: 'svc-uid', labels: { tier: 'front' } },
  spec: { selector: { app: 'web' }, ports: [{ name: 'http', port: 80, targetPort: 'http' }], ...spec },
});
const pod = (name: string, ip: string, s: { ready?: boolean; terminating?: boolean; port?: number; labels?: Record<string, string>; phase?: 'Running' | 'Succeeded' } = {}): Pod => ({
  metadata: { name, namespace: 'default', uid: `uid-${name}`, labels: s.labels ?? { app: 'web' }, ...(s.terminating ? { deletionTimestamp: '2024-01-01T00:00:00Z' } : {}) },
  spec: { nodeName: 'n1', containers: [{ name: 'app', image: 'busybox:1.35', ports: s.port === undefined ? [] : [{ name: 'http', containerPort: s.port }] }] },
  status: { phase: s.phase ?? 'Running', podIP: ip, conditions: [{ type: 'Ready', status: s.ready === false ? 'False' : 'True' }] },
});
const addr = (name: string, ip: string) => ({ ip, nodeName: 'n1', targetRef: { kind: 'Pod', namespace: 'default', name, uid: `uid-${name}` } });

t.test('the pods a service selects: matching labels, an IP, not finished', async (t) => {
  const pods = [pod('a', '10.0.0.1', { port: 8080 }), pod('other', '10.0.0.2', { labels: { app: 'db' } }), pod('done', '10.0.0.3', { phase: 'Succeeded' }), pod('noip', '', { port: 8080 })];
  t.same(selectedPods(service(), pods).map((p) => p.metadata.name), ['a']);
  t.same(selectedPods(service({ selector: {} }), pods), [], 'an empty selector selects nothing');
});

t.test('subsets: ready and not-ready addresses, named ports resolved per pod, terminating pods left out', async (t) => {
  const cases: { name: string; svc: Service; pods: Pod[]; subsets: Endpoints['subsets'] }[] = [
    {
      name: 'ready pods are addresses, sorted by IP',
      svc: service(),
      pods: [pod('b', '10.0.0.2', { port: 8080 }), pod('a', '10.0.0.1', { port: 8080 })],
      subsets: [{ addresses: [addr('a', '10.0.0.1'), addr('b', '10.0.0.2')], ports: [{ name: 'http', port: 8080, protocol: 'TCP' }] }],
    },
    {
      name: 'not-ready pods are notReadyAddresses',
      svc: service(),
      pods: [pod('a', '10.0.0.1', { port: 8080 }), pod('b', '10.0.0.2', { port: 8080, ready: false })],
      subsets: [{ addresses: [addr('a', '10.0.0.1')], notReadyAddresses: [addr('b', '10.0.0.2')], ports: [{ name: 'http', port: 8080, protocol: 'TCP' }] }],
    },
    {
      name: 'publishNotReadyAddresses makes every pod an address',
      svc: service({ publishNotReadyAddresses: true }),
      pods: [pod('b', '10.0.0.2', { port: 8080, ready: false })],
      subsets: [{ addresses: [addr('b', '10.0.0.2')], ports: [{ name: 'http', port: 8080, protocol: 'TCP' }] }],
    },
    {
      name: 'a named port resolves per pod: one subset per port number; a pod without it is left out',
      svc: service(),
      pods: [pod('a', '10.0.0.1', { port: 8080 }), pod('b', '10.0.0.2', { port: 9090 }), pod('c', '10.0.0.3')],
      subsets: [
        { addresses: [addr('a', '10.0.0.1')], ports: [{ name: 'http', port: 8080, protocol: 'TCP' }] },
        { addresses: [addr('b', '10.0.0.2')], ports: [{ name: 'http', port: 9090, protocol: 'TCP' }] },
      ],
    },
    {
      name: 'a numeric targetPort, or none, needs nothing from the pod',
      svc: service({ ports: [{ port: 80, targetPort: 8080 }, { name: 'dns', port: 53, protocol: 'UDP' }] }),
      pods: [pod('a', '10.0.0.1')],
      subsets: [{ addresses: [addr('a', '10.0.0.1')], ports: [{ port: 8080, protocol: 'TCP' }, { name: 'dns', port: 53, protocol: 'UDP' }] }],
    },
    {
      name: 'terminating pods are no endpoints',
      svc: service(),
      pods: [pod('a', '10.0.0.1', { port: 8080, terminating: true })],
      subsets: [],
    },
  ];
  for (const c of cases) t.same(desiredSubsets(c.svc, c.pods), c.subsets, c.name);
});

t.test('the object: create, update only on change, delete with the service, leave selectorless services alone', async (t) => {
  const svc = service();
  const pods = [pod('a', '10.0.0.1', { port: 8080 })];
  const created = computeEndpoints({ service: svc, pods });
  if (created.type !== 'create') return t.fail(`expected create, got ${created.type}`);
  t.same(created.endpoints.metadata, { name: 'web', namespace: 'default', labels: { tier: 'front' } });

  const current: Endpoints = { ...created.endpoints, metadata: { ...created.endpoints.metadata, resourceVersion: '7', uid: 'ep-uid' } };
  t.same(computeEndpoints({ service: svc, pods, current }), { type: 'none' });
  const changed = computeEndpoints({ service: svc, pods: [...pods, pod('b', '10.0.0.2', { port: 8080 })], current });
  if (changed.type !== 'update') return t.fail(`expected update, got ${changed.type}`);
  t.equal(changed.endpoints.metadata.resourceVersion, '7', 'an update is of the object as it is');
  t.equal(changed.endpoints.subsets?.[0].addresses?.length, 2);

  t.same(computeEndpoints({ pods: [], current }), { type: 'delete' });
  t.same(computeEndpoints({ service: service({ selector: undefined }), pods, current }), { type: 'none' });
});
