// computeEndpointSlices on plain objects: endpoint conditions, slices per port list, reuse and cleanup.
import t from 'tap';
import type { EndpointSlice, Pod, Service } from '../../../api/types.js';
import { computeEndpointSlices, sliceEndpoints } from './actions.js';

const service = (spec: Partial<Service['spec']> = {}): Service => ({
  apiVersion: 'v1',
  kind: 'Service',
  metadata: { name: 'web', namespace: 'default', uid: 'svc-uid' },
  spec: { selector: { app: 'web' }, ports: [{ name: 'http', port: 80, targetPort: 'http' }], ...spec },
});
const pod = (name: string, ip: string, s: { ready?: boolean; terminating?: boolean; port?: number } = {}): Pod => ({
  metadata: { name, namespace: 'default', uid: `uid-${name}`, labels: { app: 'web' }, ...(s.terminating ? { deletionTimestamp: '2024-01-01T00:00:00Z' } : {}) },
  spec: { nodeName: 'n1', containers: [{ name: 'app', image: 'busybox:1.35', ports: [{ name: 'http', containerPort: s.port ?? 8080 }] }] },
  status: { phase: 'Running', podIP: ip, conditions: [{ type: 'Ready', status: s.ready === false ? 'False' : 'True' }] },
});
const conds = (svc: Service, pods: Pod[]) => sliceEndpoints(svc, pods).map((e) => [e.addresses[0], e.conditions]);

t.test('endpoint conditions: ready, serving, terminating', async (t) => {
  const pods = [pod('c', '10.0.0.3', { terminating: true }), pod('a', '10.0.0.1'), pod('b', '10.0.0.2', { ready: false }), pod('d', '10.0.0.4', { ready: false, terminating: true })];
  t.same(conds(service(), pods), [
    ['10.0.0.1', { ready: true, serving: true, terminating: false }],
    ['10.0.0.2', { ready: false, serving: false, terminating: false }],
    ['10.0.0.3', { ready: false, serving: true, terminating: true }],
    ['10.0.0.4', { ready: false, serving: false, terminating: true }],
  ]);
  t.same(conds(service({ publishNotReadyAddresses: true }), [pod('b', '10.0.0.2', { ready: false })]), [['10.0.0.2', { ready: true, serving: true, terminating: false }]], 'publishNotReadyAddresses: every pod serves');
});

t.test('a new service gets one slice per port list, labelled and owned by the service', async (t) => {
  const a = computeEndpointSlices({ service: service(), pods: [pod('a', '10.0.0.1'), pod('b', '10.0.0.2', { port: 9090 })], slices: [] });
  t.same([a.update, a.delete], [[], []]);
  t.same(a.create.map((s) => [s.ports, s.endpoints?.map((e) => e.addresses[0])]), [
    [[{ name: 'http', port: 8080, protocol: 'TCP' }], ['10.0.0.1']],
    [[{ name: 'http', port: 9090, protocol: 'TCP' }], ['10.0.0.2']],
  ]);
  const s = a.create[0];
  t.equal(s.metadata.generateName, 'web-');
  t.same(s.metadata.labels, { 'kubernetes.io/service-name': 'web', 'endpointslice.kubernetes.io/managed-by': 'endpointslice-controller.k8s.io' });
  t.same(s.metadata.ownerReferences, [{ apiVersion: 'v1', kind: 'Service', name: 'web', uid: 'svc-uid', controller: true, blockOwnerDeletion: true }]);
  t.equal(s.addressType, 'IPv4');
});

t.test('a service without pods still has one empty slice', async (t) => {
  const a = computeEndpointSlices({ service: service(), pods: [], slices: [] });
  t.same(a.create.map((s) => [s.ports, s.endpoints]), [[[], []]]);
});

t.test('existing slices are reused by ports, rewritten only on change; spare ones go', async (t) => {
  const svc = service();
  const first = computeEndpointSlices({ service: svc, pods: [pod('a', '10.0.0.1')], slices: [] }).create[0];
  const stored: EndpointSlice = { ...first, metadata: { ...first.metadata, name: 'web-x1', resourceVersion: '3' } };
  const spare: EndpointSlice = { ...stored, metadata: { ...stored.metadata, name: 'web-x2' }, ports: [{ name: 'http', port: 7070, protocol: 'TCP' }] };
  t.same(computeEndpointSlices({ service: svc, pods: [pod('a', '10.0.0.1')], slices: [stored] }), { create: [], update: [], delete: [] }, 'unchanged');

  const more = computeEndpointSlices({ service: svc, pods: [pod('a', '10.0.0.1'), pod('b', '10.0.0.2', { ready: false })], slices: [spare, stored] });
  t.same(more.update.map((s) => [s.metadata.name, s.metadata.resourceVersion, s.endpoints?.length]), [['web-x1', '3', 2]], 'the slice with the same ports is updated');
  t.same(more.delete.map((s) => s.metadata.name), ['web-x2']);
  t.same(more.create, []);
});

t.test('when the service goes, or loses its selector, its slices go', async (t) => {
  const slice = computeEndpointSlices({ service: service(), pods: [], slices: [] }).create[0];
  t.same(computeEndpointSlices({ pods: [], slices: [slice] }).delete, [slice]);
  t.same(computeEndpointSlices({ service: service({ selector: undefined }), pods: [], slices: [slice] }).delete, [slice]);
});
