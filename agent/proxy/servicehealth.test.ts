import t from 'tap';
import { makeService, makeSlice } from '../../test/fixtures/proxy.js';
import { EndpointsChangeTracker, type EndpointsMap } from './endpointschange.js';
import { healthCheckNodePorts, localReadyEndpoints, ServiceHealthServer } from './servicehealth.js';
import { servicePorts, type ServicePortMap } from './servicechange.js';

t.test('only LoadBalancers with externalTrafficPolicy Local are health-checked; local ready endpoints are counted', async (t) => {
  const svcs: ServicePortMap = new Map();
  const lb = makeService('lb', { type: 'LoadBalancer', externalTrafficPolicy: 'Local', healthCheckNodePort: 32100, clusterIP: '10.96.0.5', ports: [{ name: 'a', port: 80, nodePort: 30001 }, { name: 'b', port: 81, nodePort: 30002 }] });
  const np = makeService('np', { type: 'NodePort', externalTrafficPolicy: 'Local', healthCheckNodePort: 32101, clusterIP: '10.96.0.6', ports: [{ port: 80, nodePort: 30003 }] });
  for (const s of [lb, np]) for (const [k, v] of servicePorts(s)) svcs.set(k, v);
  t.same([...healthCheckNodePorts(svcs)], [['default/lb', 32100]]);

  const tracker = new EndpointsChangeTracker('worker1');
  tracker.endpointSliceUpdate(
    makeSlice('lb', [{ ip: '10.244.1.5', node: 'worker1' }, { ip: '10.244.1.6', node: 'worker1', ready: false }, { ip: '10.244.2.6', node: 'worker2' }], [{ name: 'a', port: 8080 }, { name: 'b', port: 8081 }]),
    false,
  );
  const eps: EndpointsMap = new Map();
  tracker.applyTo(eps);
  t.same([...localReadyEndpoints(eps)], [['default/lb', 1]], 'one local ready pod, counted once over both ports');
});

t.test('a health check port per service: 200 with local endpoints, 503 without, closed when no longer wanted', async (t) => {
  let proxyHealthy = true;
  const hc = new ServiceHealthServer({ addresses: ['127.0.0.1'], proxyHealth: { isHealthy: () => proxyHealthy } });
  t.teardown(() => hc.close());
  await hc.syncServices(new Map([['default/lb', 0]])); // port 0: any free port
  const port = hc.port('default/lb')!;
  t.ok(port > 0);
  const get = async () => {
    const r = await fetch(`http://127.0.0.1:${port}/`);
    return { status: r.status, body: await r.text() };
  };
  let r = await get();
  t.equal(r.status, 503, 'no endpoints known yet');
  hc.syncEndpoints(new Map([['default/lb', 2]]));
  r = await get();
  t.equal(r.status, 200);
  t.equal(r.body, '{\n\t"service": {\n\t\t"namespace": "default",\n\t\t"name": "lb"\n\t},\n\t"localEndpoints": 2,\n\t"serviceProxyHealthy": true\n}', "kube-proxy's body");
  proxyHealthy = false;
  t.equal((await get()).status, 503, 'an unhealthy proxy fails every service check');
  proxyHealthy = true;
  hc.syncEndpoints(new Map());
  r = await get();
  t.equal(r.status, 503);
  t.match(r.body, '"localEndpoints": 0');

  await hc.syncServices(new Map([['default/lb', 0]]));
  t.equal(hc.port('default/lb'), port, 'an unchanged service keeps its server');
  await hc.syncServices(new Map());
  t.equal(hc.port('default/lb'), undefined);
  await t.rejects(get(), 'the port is closed');
});
