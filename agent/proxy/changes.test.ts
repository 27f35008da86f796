import t from 'tap';
import { categorizeEndpoints, EndpointsChangeTracker, lastChangeTriggerTimeAnnotation, type EndpointsMap } from './endpointschange.js';
import { makeService, makeSlice } from '../../test/fixtures/proxy.js';
import { ServiceChangeTracker, servicePorts, type ServicePortMap } from './servicechange.js';

t.test('service ports are keyed ns/name:port, unnamed ports without the colon; headless and ExternalName are skipped', async (t) => {
  const m = servicePorts(makeService('web', { clusterIP: '10.96.0.5', ports: [{ name: 'http', port: 80 }, { name: 'dns', port: 53, protocol: 'UDP' }] }));
  t.same([...m.keys()], ['default/web:http', 'default/web:dns']);
  t.equal(m.get('default/web:dns')?.protocol, 'UDP');
  t.same([...servicePorts(makeService('one', { clusterIP: '10.96.0.6', ports: [{ port: 80 }] })).keys()], ['default/one']);
  t.equal(servicePorts(makeService('h', { clusterIP: 'None', ports: [{ port: 80 }] })).size, 0);
  t.equal(servicePorts(makeService('x', { type: 'ExternalName', externalName: 'example.com', ports: [{ port: 80 }] })).size, 0);
  t.equal(servicePorts(makeService('c', { clusterIP: '10.96.0.7', ports: [{ port: 80, nodePort: 30001 }] })).get('default/c')?.nodePort, 0, 'a ClusterIP service has no NodePort');
});

t.test('service changes accumulate previous→current and cancel out', async (t) => {
  const tracker = new ServiceChangeTracker();
  const map: ServicePortMap = new Map();
  const a = makeService('a', { clusterIP: '10.96.0.5', ports: [{ name: 'p', port: 80 }] });
  t.ok(tracker.update(undefined, a));
  t.notOk(tracker.update(a, undefined), 'added then deleted before a sync: nothing pending');
  tracker.update(undefined, a);
  let r = tracker.applyTo(map);
  t.same([...r.updatedServices], ['default/a']);
  t.equal(map.size, 1);
  const a2 = makeService('a', { clusterIP: '10.96.0.5', ports: [{ name: 'q', port: 81, protocol: 'UDP' }] });
  tracker.update(a, a2);
  r = tracker.applyTo(map);
  t.same([...map.keys()], ['default/a:q']);
  tracker.update(a2, undefined);
  r = tracker.applyTo(map);
  t.equal(map.size, 0);
  t.same([...r.deletedUDPClusterIPs], ['10.96.0.5']);
});

t.test('endpoints: merged across slices, deduplicated, sorted; not-ready left out; ports by name', async (t) => {
  const tracker = new EndpointsChangeTracker('worker1');
  const map: EndpointsMap = new Map();
  tracker.endpointSliceUpdate(makeSlice('web', [{ ip: '10.244.2.6', node: 'worker2' }, { ip: '10.244.1.5', node: 'worker1' }], [{ name: 'http', port: 8080 }], { sliceName: 'web-1' }), false);
  tracker.endpointSliceUpdate(makeSlice('web', [{ ip: '10.244.1.5', node: 'worker1' }, { ip: '10.244.3.7', ready: false }], [{ name: 'http', port: 8080 }], { sliceName: 'web-2' }), false);
  const r = tracker.applyTo(map);
  t.same([...r.updatedServices], ['default/web']);
  t.same(map.get('default/web:http')?.map((e) => [e.endpoint, e.isLocal]), [['10.244.1.5:8080', true], ['10.244.2.6:8080', false]]);
  t.same([...r.newlyActiveServicePorts], ['default/web:http']);

  const noLabel = makeSlice('other', [{ ip: '10.244.9.9' }], [{ port: 1 }]);
  delete noLabel.metadata.labels;
  t.notOk(tracker.endpointSliceUpdate(noLabel, false), 'slices without a service-name label are ignored');
});

t.test('endpoint changes report stale endpoints and trigger times; no-op updates leave nothing pending', async (t) => {
  const tracker = new EndpointsChangeTracker('worker1');
  const map: EndpointsMap = new Map();
  const s1 = makeSlice('dns', [{ ip: '10.244.1.9' }, { ip: '10.244.2.9' }], [{ name: 'dns', port: 53, protocol: 'UDP' }]);
  tracker.endpointSliceUpdate(s1, false);
  tracker.applyTo(map);
  t.notOk(tracker.endpointSliceUpdate({ ...s1, metadata: { ...s1.metadata, resourceVersion: '999' } }, false), 'same endpoints: no change');
  const s2 = makeSlice('dns', [{ ip: '10.244.2.9' }], [{ name: 'dns', port: 53, protocol: 'UDP' }]);
  s2.metadata.annotations = { [lastChangeTriggerTimeAnnotation]: '2024-01-01T00:00:00Z' };
  t.ok(tracker.endpointSliceUpdate(s2, false));
  const r = tracker.applyTo(map);
  t.same(r.staleEndpoints.map((s) => [s.servicePortName, s.endpoint.endpoint]), [['default/dns:dns', '10.244.1.9:53']]);
  t.same(r.lastChangeTriggerTimes.map((d) => d.toISOString()), ['2024-01-01T00:00:00.000Z']);
  tracker.endpointSliceUpdate(s2, true);
  tracker.applyTo(map);
  t.equal(map.size, 0, 'deleting the last slice removes the service port');
});

t.test('categorize: ready endpoints, else serving-terminating; Local policy picks this node\'s', async (t) => {
  const tracker = new EndpointsChangeTracker('worker1');
  const map: EndpointsMap = new Map();
  tracker.endpointSliceUpdate(
    makeSlice('web', [
      { ip: '10.244.1.5', node: 'worker1', ready: false, serving: true, terminating: true },
      { ip: '10.244.2.6', node: 'worker2', ready: false, serving: true, terminating: true },
    ], [{ port: 80 }]),
    false,
  );
  tracker.applyTo(map);
  const eps = map.get('default/web')!;
  const cluster = servicePorts(makeService('web', { clusterIP: '10.96.0.5', ports: [{ port: 80 }] })).get('default/web')!;
  const c = categorizeEndpoints(eps, cluster);
  t.equal(c.clusterEndpoints.length, 2, 'falls back to serving-terminating endpoints');
  t.ok(c.hasAnyEndpoints);
  const local = servicePorts(makeService('web', { type: 'NodePort', clusterIP: '10.96.0.5', externalTrafficPolicy: 'Local', ports: [{ port: 80, nodePort: 30001 }] })).get('default/web')!;
  const l = categorizeEndpoints(eps, local);
  t.same(l.localEndpoints.map((e) => e.ip), ['10.244.1.5']);
  t.equal(l.allReachable.length, 2, 'the cluster chain still needs every endpoint');
});
