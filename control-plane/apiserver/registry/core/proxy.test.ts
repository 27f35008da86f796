// Where the proxy subresources go, as kube-apiserver's ResourceLocation functions decide: ids, pod IPs and ports,
// Service ports by number and name, endpoints whose pods still have their IP, and the addresses refused.
import t from 'tap';
import type { Endpoints, Pod, Service } from '../../../../api/types.js';
import { isGlobalUnicast, isProxyableIP, podLocation, proxyPath, serviceLocation, splitSchemeNamePort } from './proxy.js';

t.test('ids: name, name:port, scheme:name:port', async (t) => {
  t.same(splitSchemeNamePort('web'), { scheme: '', name: 'web', port: '' });
  t.same(splitSchemeNamePort('web:8080'), { scheme: '', name: 'web', port: '8080' });
  t.same(splitSchemeNamePort('https:web:metrics'), { scheme: 'https', name: 'web', port: 'metrics' });
  t.equal(splitSchemeNamePort('ftp:web:21'), undefined, 'only http and https');
  t.equal(splitSchemeNamePort(':80'), undefined, 'a name is needed');
  t.equal(splitSchemeNamePort('a:b:c:d'), undefined);
});

t.test('the path after /proxy keeps its encoding and trailing slash', async (t) => {
  t.equal(proxyPath('/api/v1/nodes/worker1/proxy/stats/summary', 'worker1'), '/stats/summary');
  t.equal(proxyPath('/api/v1/namespaces/kube-system/services/cluster-logs:80/proxy/search', 'cluster-logs:80'), '/search');
  t.equal(proxyPath('/api/v1/namespaces/d/services/web%3A80/proxy/a%20b/', 'web:80'), '/a%20b/');
  t.equal(proxyPath('/api/v1/namespaces/d/pods/p/proxy', 'p'), '/');
});

t.test('addresses', async (t) => {
  for (const ip of ['10.244.1.5', '192.168.56.11', '2001:db8::1']) t.ok(isGlobalUnicast(ip) && isProxyableIP(ip), ip);
  for (const ip of ['127.0.0.1', '127.3.2.1', '169.254.1.1', '0.0.0.0', '::1', 'fe80::1', '::ffff:127.0.0.1']) t.notOk(isProxyableIP(ip), `${ip} is not proxyable`);
  for (const ip of ['224.0.0.1', '255.255.255.255', '', 'nonsense']) t.notOk(isGlobalUnicast(ip), `${ip} is not global unicast`);
});

const pod = (ip: string | undefined, ports: number[] = []): Pod =>
  ({ apiVersion: 'v1', kind: 'Pod', metadata: { name: 'p', namespace: 'd' }, spec: { containers: [{ name: 'c', image: 'i', ports: ports.map((containerPort) => ({ containerPort })) }] }, status: ip ? { podIP: ip, podIPs: [{ ip }] } : {} }) as Pod;

t.test('pods/proxy: the pod IP and the given or first container port', async (t) => {
  t.same(podLocation(pod('10.244.1.5', [8080, 9090]), 'p'), { scheme: 'http', host: '10.244.1.5', port: 8080 });
  t.same(podLocation(pod('10.244.1.5', [8080]), 'https:p:8443'), { scheme: 'https', host: '10.244.1.5', port: 8443 });
  t.same(podLocation(pod('10.244.1.5'), 'p'), { scheme: 'http', host: '10.244.1.5' }, 'no port: the scheme default');
  t.throws(() => podLocation(pod('127.0.0.1', [80]), 'p'), { code: 400, message: 'address not allowed' });
  t.throws(() => podLocation(pod(undefined, [80]), 'p'), { code: 400, message: 'address not allowed' }, 'a pod without an IP');
});

const svc: Service = { apiVersion: 'v1', kind: 'Service', metadata: { name: 'web', namespace: 'd' }, spec: { ports: [{ name: 'http', port: 80 }, { name: 'metrics', port: 9100 }] } } as Service;
const eps = (subsets: Endpoints['subsets']): Endpoints => ({ apiVersion: 'v1', kind: 'Endpoints', metadata: { name: 'web', namespace: 'd' }, subsets });
const ref = (name: string) => ({ kind: 'Pod', namespace: 'd', name });
const ips: Record<string, string[]> = { a: ['10.244.1.5'], b: ['10.244.2.6'], moved: ['10.244.3.9'] };
const podIPs = (_ns: string, name: string) => ips[name];

t.test('services/proxy: a ready endpoint of the port asked for', async (t) => {
  const e = eps([{ addresses: [{ ip: '10.244.1.5', targetRef: ref('a') }, { ip: '10.244.2.6', targetRef: ref('b') }], ports: [{ name: 'http', port: 8080 }, { name: 'metrics', port: 9100 }] }]);
  t.same(serviceLocation(svc, e, 'web:80', podIPs, () => 0), { scheme: 'http', host: '10.244.1.5', port: 8080 }, 'port number → its name → the endpoint port');
  t.same(serviceLocation(svc, e, 'https:web:metrics', podIPs, () => 0.99), { scheme: 'https', host: '10.244.2.6', port: 9100 }, 'by name, from a random start');
  t.throws(() => serviceLocation(svc, e, 'web:81', podIPs), { code: 503, message: 'no service port 81 found for service "web"' });
  t.throws(() => serviceLocation(svc, eps([]), 'web', podIPs), { code: 503, message: 'no endpoints available for service "web"' });
  t.throws(() => serviceLocation(svc, undefined, 'web', podIPs), { code: 503, message: 'no endpoints available for service "web"' });
  t.throws(() => serviceLocation(svc, e, 'web', podIPs), { code: 503, message: 'no endpoints available for service "web"' }, 'no unnamed port');
  const stale = eps([{ addresses: [{ ip: '10.244.1.99', targetRef: ref('moved') }, { ip: '10.244.7.7' }], ports: [{ name: 'http', port: 8080 }] }]);
  t.throws(() => serviceLocation(svc, stale, 'web:http', podIPs), { code: 503, message: 'no endpoints available for service "web:http"' }, "an address whose pod has another IP, or no pod, is skipped");
  const unready = eps([{ notReadyAddresses: [{ ip: '10.244.1.5', targetRef: ref('a') }], ports: [{ name: 'http', port: 8080 }] }]);
  t.throws(() => serviceLocation(svc, unready, 'web:http', podIPs), { code: 503 }, 'not-ready addresses are not used');
});
