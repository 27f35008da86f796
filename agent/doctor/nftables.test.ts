import t from 'tap';
import { makeService, makeSlice, type SliceEndpointSpec } from '../../test/fixtures/proxy.js';
import { expectedServicePorts } from './expected.js';
import { compareNftables, parseNftJson } from './nftables.js';
import { nftJson } from './testdata.js';

const web = makeService('web', { type: 'NodePort', clusterIP: '10.96.0.20', ports: [{ name: 'http', port: 80, targetPort: 8080, nodePort: 30080 }] });
const empty = makeService('empty', { clusterIP: '10.96.0.30', ports: [{ port: 53, protocol: 'UDP', targetPort: 53 }] });
const webSlice = (eps: SliceEndpointSpec[] = [{ ip: '10.244.1.5', node: 'kt-node' }, { ip: '10.244.2.5', node: 'worker2' }]) => makeSlice('web', eps, [{ name: 'http', port: 8080 }]);
const check = (json: string, services = [web, empty], slices = [webSlice()]) => compareNftables(expectedServicePorts(services, slices, 'kt-node'), parseNftJson(json)).map((d) => d.message);

/** The captured table with some of its objects left out. */
function without(drop: (item: Record<string, any>) => boolean, edit?: (item: Record<string, any>) => void): string {
  const doc = JSON.parse(nftJson) as { nftables: Record<string, any>[] };
  doc.nftables = doc.nftables.filter((i) => !drop(i));
  if (edit) doc.nftables.forEach(edit);
  return JSON.stringify(doc);
}

t.test('the kernel as the proxier left it matches the API', async (t) => {
  t.same(check(nftJson), []);
});

t.test('a missing service-ips or service-nodeports element is a missing service', async (t) => {
  const noElements = (name: string) => without(() => false, (i) => i.map?.name === name && delete i.map.elem);
  t.same(check(noElements('service-ips')), ['missing service default/web:http (10.96.0.20:80/TCP): no service-ips element']);
  t.same(check(noElements('service-nodeports')), ['missing service default/web:http (10.96.0.20:80/TCP): no service-nodeports element for node port 30080']);
  t.same(check(noElements('no-endpoint-services')), ['missing service default/empty (10.96.0.30:53/UDP): no no-endpoint-services element (it has no endpoints)']);
});

t.test('no table at all: every service is missing', async (t) => {
  t.same(check(''), [
    'missing service default/empty (10.96.0.30:53/UDP): no no-endpoint-services element (it has no endpoints)',
    'missing service default/web:http (10.96.0.20:80/TCP): no service-ips element',
    'missing service default/web:http (10.96.0.20:80/TCP): no service-nodeports element for node port 30080',
    'missing service default/web:http (10.96.0.20:80/TCP): no service-SUSTUHLJ-default/web/tcp/http chain',
  ]);
});

t.test('an endpoint chain without its DNAT is a missing endpoint', async (t) => {
  t.same(check(without((i) => i.rule?.chain === 'endpoint-3XXNECN6-default/web/tcp/http__10.244.2.5/8080')), [
    'missing endpoint default/web:http (10.96.0.20:80/TCP) -> 10.244.2.5:8080: endpoint-3XXNECN6-default/web/tcp/http__10.244.2.5/8080 does not DNAT to it',
  ]);
});

t.test('an endpoint that is not ready is stale while the service chain still goes to it', async (t) => {
  t.same(check(nftJson, [web, empty], [webSlice([{ ip: '10.244.1.5', node: 'kt-node' }, { ip: '10.244.2.5', node: 'worker2', ready: false }])]), [
    'stale endpoint default/web:http (10.96.0.20:80/TCP): service-SUSTUHLJ-default/web/tcp/http goes to endpoint-3XXNECN6-default/web/tcp/http__10.244.2.5/8080 (10.244.2.5:8080 is not a ready endpoint)',
  ]);
});

t.test('a new endpoint the service chain does not go to yet is missing', async (t) => {
  t.same(check(nftJson, [web, empty], [webSlice([{ ip: '10.244.1.5', node: 'kt-node' }, { ip: '10.244.2.5', node: 'worker2' }, { ip: '10.244.3.5', node: 'worker3' }])]), [
    'missing endpoint default/web:http (10.96.0.20:80/TCP) -> 10.244.3.5:8080: service-SUSTUHLJ-default/web/tcp/http does not go to endpoint-GK5TMJL4-default/web/tcp/http__10.244.3.5/8080',
  ]);
});

t.test('elements of a deleted Service are stale', async (t) => {
  t.same(check(nftJson, [empty], []), [
    'stale service default/web:http (10.96.0.20:80/TCP): service-ips has an element the API has no service port with ready endpoints for',
  ]);
});
