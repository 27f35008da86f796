import t from 'tap';
import type { Node } from '../../api/types.js';
import { vtepAnnotations } from '../network/vxlan.js';
import { compareRoutes, compareVxlan, parseIpRoutes, type FdbRecord, type IpNeighbour } from './routes.js';
import { ipRoutes } from './testdata.js';

const node = (name: string, ip: string, podCIDR: string): Node => ({
  apiVersion: 'v1',
  kind: 'Node',
  metadata: { name },
  spec: { podCIDR },
  status: { addresses: [{ type: 'InternalIP', address: ip }] },
});
const lab = [node('master', '192.168.56.10', '10.244.0.0/24'), node('worker1', '192.168.56.11', '10.244.1.0/24'), node('worker2', '192.168.56.12', '10.244.2.0/24'), node('worker3', '192.168.56.13', '10.244.3.0/24')];
const check = (nodes: Node[], routes = ipRoutes) => compareRoutes(nodes, 'worker1', parseIpRoutes(routes)).map((d) => d.message);

t.test('every other node is routed via its InternalIP', async (t) => {
  t.same(check(lab.filter((n) => n.metadata.name !== 'master')), []);
});

t.test("a node whose route is missing", async (t) => {
  t.same(check(lab), ["missing route to master's pods 10.244.0.0/24 via 192.168.56.10"]);
});

t.test('a route via the wrong address', async (t) => {
  const moved = [lab[1]!, lab[2]!, node('worker3', '192.168.56.23', '10.244.3.0/24')];
  t.same(check(moved), ["wrong route to worker3's pods 10.244.3.0/24: via 192.168.56.13, not 192.168.56.23"]);
});

t.test("a kubets route to a deleted node; other protocols' routes are not ours", async (t) => {
  t.same(check([lab[1]!, lab[2]!]), ['route to a deleted node: 10.244.3.0/24 via 192.168.56.13']);
});

// vxlan mode, as worker1 sees it: `ip -j route`, `ip -j neigh show dev kubets.1` and `bridge -j fdb show dev kubets.1`
// in the form iproute2 6.1 prints them.
const mac = (i: number) => `0a:58:0a:f4:0${i}:00`;
const vtepNode = (name: string, ip: string, podCIDR: string, i: number): Node => ({
  ...node(name, ip, podCIDR),
  metadata: { name, annotations: vtepAnnotations(mac(i), ip) },
});
const vxlanLab = [vtepNode('master', '192.168.56.10', '10.244.0.0/24', 0), vtepNode('worker1', '192.168.56.11', '10.244.1.0/24', 1), vtepNode('worker2', '192.168.56.12', '10.244.2.0/24', 2), vtepNode('worker3', '192.168.56.13', '10.244.3.0/24', 3)];
const vxRoutes = JSON.stringify([
  { dst: 'default', gateway: '192.168.56.1', dev: 'eth0', flags: [] },
  ...[0, 2, 3].map((i) => ({ dst: `10.244.${i}.0/24`, gateway: `10.244.${i}.0`, dev: 'kubets.1', protocol: '117', flags: ['onlink'] })),
  { dst: '10.244.1.0/24', dev: 'cni0', protocol: 'kernel', scope: 'link', prefsrc: '10.244.1.1', flags: [] },
]);
const vxNeigh = [0, 2, 3].map((i) => ({ dst: `10.244.${i}.0`, lladdr: mac(i), state: ['PERMANENT'], protocol: '117' }));
const vxFdb = [0, 2, 3].map((i) => ({ mac: mac(i), dst: `192.168.56.1${i}`, flags: ['self'], state: 'permanent' }));
const checkVx = (nodes: Node[], neigh: IpNeighbour[] = vxNeigh, fdb: FdbRecord[] = vxFdb, routes = vxRoutes) => compareVxlan(nodes, 'worker1', parseIpRoutes(routes), neigh, fdb).map((d) => d.message);

t.test('vxlan: routes via each podCIDR .0 through kubets.1, neighbour and FDB entries for every VTEP', async (t) => {
  t.same(checkVx(vxlanLab), []);
});

t.test('vxlan: host-gw routes are wrong routes, and the overlay entries are missing', async (t) => {
  t.same(compareVxlan(vxlanLab.slice(1), 'worker1', parseIpRoutes(ipRoutes), [], []).map((d) => d.message), [
    "wrong route to worker2's pods 10.244.2.0/24: via 192.168.56.12 dev eth0, not 10.244.2.0 dev kubets.1",
    "wrong route to worker3's pods 10.244.3.0/24: via 192.168.56.13 dev eth0, not 10.244.3.0 dev kubets.1",
    "missing neighbour entry for worker2's 10.244.2.0 → VTEP 0a:58:0a:f4:02:00 on kubets.1",
    "missing neighbour entry for worker3's 10.244.3.0 → VTEP 0a:58:0a:f4:03:00 on kubets.1",
    "missing FDB entry for worker2's VTEP 0a:58:0a:f4:02:00 → 192.168.56.12 on kubets.1",
    "missing FDB entry for worker3's VTEP 0a:58:0a:f4:03:00 → 192.168.56.13 on kubets.1",
  ]);
});

t.test('vxlan: a deleted node leaves stale route, neighbour and FDB entries', async (t) => {
  t.same(checkVx(vxlanLab.filter((n) => n.metadata.name !== 'worker3')), [
    'route to a deleted node: 10.244.3.0/24 via 10.244.3.0',
    'neighbour entry for a deleted node: 10.244.3.0 → 0a:58:0a:f4:03:00',
    'FDB entry for a deleted node: 0a:58:0a:f4:03:00 → 192.168.56.13',
  ]);
});

t.test("vxlan: a node's new VTEP MAC, and a node that published none", async (t) => {
  const moved = vxlanLab.map((n) => (n.metadata.name === 'worker2' ? vtepNode('worker2', '192.168.56.12', '10.244.2.0/24', 9) : n));
  t.same(checkVx(moved), [
    "wrong neighbour entry for worker2's 10.244.2.0: 0a:58:0a:f4:02:00, not VTEP 0a:58:0a:f4:09:00",
    "missing FDB entry for worker2's VTEP 0a:58:0a:f4:09:00 → 192.168.56.12 on kubets.1",
    'FDB entry for a deleted node: 0a:58:0a:f4:02:00 → 192.168.56.12',
  ]);
  const silent = vxlanLab.map((n) => (n.metadata.name === 'master' ? node('master', '192.168.56.10', '10.244.0.0/24') : n));
  t.same(checkVx(silent), [
    'master has published no VXLAN VTEP (annotation flannel.alpha.coreos.com/backend-data): its pods 10.244.0.0/24 are unreachable from here',
    'route to a deleted node: 10.244.0.0/24 via 10.244.0.0',
    'neighbour entry for a deleted node: 10.244.0.0 → 0a:58:0a:f4:00:00',
    'FDB entry for a deleted node: 0a:58:0a:f4:00:00 → 192.168.56.10',
  ]);
});

t.test('vxlan: neighbours without kubets\' protocol are not ours; an FDB entry to the wrong address is reported', async (t) => {
  const foreign = [...vxNeigh, { dst: '10.244.8.0', lladdr: '02:00:00:00:00:88', state: ['PERMANENT'] }];
  const wrongDst = vxFdb.map((f) => (f.mac === mac(3) ? { ...f, dst: '192.168.56.99' } : f));
  t.same(checkVx(vxlanLab, foreign, wrongDst), ["wrong FDB entry for worker3's VTEP 0a:58:0a:f4:03:00: → 192.168.56.99, not 192.168.56.13"]);
});
