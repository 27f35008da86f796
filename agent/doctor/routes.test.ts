import t from 'tap';
import type { Node } from '../../api/types.js';
import { compareRoutes, parseIpRoutes } from './routes.js';
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
