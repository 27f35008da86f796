// events.k8s.io/v1 ⇄ core/v1 Event conversions, both ways and back.
import t from 'tap';
import { fromCore, toCore } from './event.js';

t.test('events.k8s.io/v1 and core/v1 events convert both ways', async (t) => {
  const core = { apiVersion: 'v1', kind: 'Event', metadata: { name: 'e', namespace: 'default' }, involvedObject: { kind: 'Pod', name: 'p' }, reason: 'Pulled', message: 'pulled it', type: 'Normal', source: { component: 'kubelet', host: 'n1' }, count: 3, firstTimestamp: '2026-01-01T00:00:00Z', lastTimestamp: '2026-01-01T00:01:00Z', reportingComponent: 'kubelet', reportingInstance: 'n1' };
  const ev = fromCore(core) as any;
  t.equal(ev.apiVersion, 'events.k8s.io/v1');
  t.same(ev.regarding, core.involvedObject);
  t.equal(ev.note, 'pulled it');
  t.equal(ev.deprecatedCount, 3);
  t.same(ev.deprecatedSource, core.source);
  t.equal(ev.reportingController, 'kubelet');
  t.same(toCore(ev), core, 'round trip');
});
