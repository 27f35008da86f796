import t from 'tap';
import { makeService, makeSlice, type SliceEndpointSpec } from '../../test/fixtures/proxy.js';
import { serviceMaps } from './expected.js';
import { compareIpvs, parseIpvsadmSave } from './ipvs.js';

const web = makeService('web', { type: 'NodePort', clusterIP: '10.96.0.20', ports: [{ name: 'http', port: 80, targetPort: 8080, nodePort: 30080 }] });
const dns = makeService('dns', { clusterIP: '10.96.0.10', ports: [{ port: 53, protocol: 'UDP', targetPort: 53 }] });
const webSlice = (eps: SliceEndpointSpec[] = [{ ip: '10.244.1.5', node: 'kt-node' }, { ip: '10.244.2.5', node: 'worker2' }]) => makeSlice('web', eps, [{ name: 'http', port: 8080 }]);
const dnsSlice = makeSlice('dns', [{ ip: '10.244.2.9', node: 'worker2' }], [{ port: 53, protocol: 'UDP' }]);

/** `ipvsadm -Sn` as the proxier leaves it for web and dns on a node at 192.168.56.11. */
const saved = `-A -t 10.96.0.20:80 -s rr
-a -t 10.96.0.20:80 -r 10.244.1.5:8080 -m -w 1
-a -t 10.96.0.20:80 -r 10.244.2.5:8080 -m -w 1
-A -t 192.168.56.11:30080 -s rr
-a -t 192.168.56.11:30080 -r 10.244.1.5:8080 -m -w 1
-a -t 192.168.56.11:30080 -r 10.244.2.5:8080 -m -w 1
-A -u 10.96.0.10:53 -s rr
-a -u 10.96.0.10:53 -r 10.244.2.9:53 -m -w 1
`;
const node = { bound: new Set(['10.96.0.20', '10.96.0.10']), nodeAddresses: new Set(['192.168.56.11']) };
const check = (text: string, slices = [webSlice(), dnsSlice], kernel: Partial<typeof node> = {}) => {
  const { svcPortMap, endpointsMap } = serviceMaps([web, dns], slices, 'kt-node');
  return compareIpvs(svcPortMap, endpointsMap, { table: parseIpvsadmSave(text), ...node, ...kernel }).map((d) => d.message);
};
const drop = (re: RegExp) => saved.split('\n').filter((l) => !re.test(l)).join('\n');

t.test('parses virtual servers, their protocol and their real servers with weights', async (t) => {
  const table = parseIpvsadmSave(saved);
  t.same([...table.keys()], ['10.96.0.20:80/TCP', '192.168.56.11:30080/TCP', '10.96.0.10:53/UDP']);
  t.same(Object.fromEntries(table.get('10.96.0.20:80/TCP')!), { '10.244.1.5:8080': 1, '10.244.2.5:8080': 1 });
  t.same(Object.fromEntries(parseIpvsadmSave('-A -t 10.96.0.1:443 -s rr -p 10800\n-a -t 10.96.0.1:443 -r 10.0.0.1:6443 -m -w 0\n').get('10.96.0.1:443/TCP')!), { '10.0.0.1:6443': 0 });
});

t.test('the kernel as the proxier left it matches the API', async (t) => {
  t.same(check(saved), []);
});

t.test('a deleted real server is a missing endpoint; a missing virtual server a missing service', async (t) => {
  t.same(check(drop(/-a -t 10\.96\.0\.20:80 -r 10\.244\.2\.5/)), ['missing endpoint default/web (10.96.0.20:80/TCP) -> 10.244.2.5:8080: no real server']);
  t.same(check(drop(/-u 10\.96\.0\.10:53/)), ['missing service default/dns (10.96.0.10:53/UDP): no IPVS virtual server']);
});

t.test('a real server of an endpoint no longer ready is stale, unless it is draining at weight 0', async (t) => {
  const onlyFirst = [webSlice([{ ip: '10.244.1.5', node: 'kt-node' }]), dnsSlice];
  t.same(check(saved, onlyFirst), [
    'stale endpoint default/web (10.96.0.20:80/TCP): real server 10.244.2.5:8080 is not a ready endpoint',
    'stale endpoint default/web (192.168.56.11:30080/TCP): real server 10.244.2.5:8080 is not a ready endpoint',
  ]);
  t.same(check(saved.replace(/(10\.244\.2\.5:8080 -m -w) 1/g, '$1 0'), onlyFirst), []);
});

t.test("a virtual server on the proxy's addresses that no service wants is stale; others are not the proxy's", async (t) => {
  const extra = `${saved}-A -t 10.96.0.99:80 -s rr\n-A -t 172.16.0.1:80 -s rr\n`;
  t.same(check(extra, undefined, { bound: new Set([...node.bound, '10.96.0.99']) }), ['stale service 10.96.0.99:80/TCP: an IPVS virtual server the API has no service port for']);
});

t.test('addresses missing from kube-ipvs0, or no kube-ipvs0 at all', async (t) => {
  t.same(check(saved, undefined, { bound: new Set(['10.96.0.20']) }), ['missing service address 10.96.0.10: not bound on kube-ipvs0']);
  t.same(check(saved, undefined, { bound: undefined }), ['no kube-ipvs0 device: no service address is bound on this node']);
});
