// Prometheus' Kubernetes discovery over HTTP SD (addons/prometheus/discovery.ts) against a real `kubets server`: the
// targets are kept by list+watch, so a node or pod made after the first poll is answered without listing again; a
// poll before the first lists is a 503.
import t from 'tap';
import { DiscoveryServer, type TargetGroup } from '../addons/prometheus/discovery.js';
import { ApiClient, loadKubeconfig } from '../api/client.js';
import { Resources } from '../api/resources.js';
import type { KubeObject } from '../api/types.js';
import { startServer, type TestServer } from './server-fixture.js';
import { until } from './until.js';

let srv: TestServer;
t.before(async () => {
  srv = await startServer({ args: ['--disable-controllers'] });
});
t.teardown(() => srv?.destroy());

t.test('the HTTP SD roles answer from watched caches, not a list per poll', async (t) => {
  const node = async (name: string, address: string) => {
    await srv.client.create(Resources.nodes, undefined, { apiVersion: 'v1', kind: 'Node', metadata: { name } } as KubeObject);
    await srv.client.patch(Resources.nodes, undefined, name, 'merge', { status: { addresses: [{ type: 'InternalIP', address }] } }, 'status');
  };
  const pod = async (namespace: string, name: string, ip: string) => {
    await srv.client.create(Resources.pods, namespace, { apiVersion: 'v1', kind: 'Pod', metadata: { name, namespace }, spec: { containers: [{ name: 'web', image: 'busybox:1.35', ports: [{ containerPort: 8080 }] }] } } as KubeObject);
    await srv.client.patch(Resources.pods, namespace, name, 'merge', { status: { podIP: ip, podIPs: [{ ip }] } }, 'status');
  };
  await node('sd-a', '192.0.2.1');
  await pod('default', 'web-a', '198.51.100.1');

  // The discovery server's own client, its lists counted.
  const client = ApiClient.fromKubeconfig(srv.kubeconfig);
  const lists: string[] = [];
  const list = client.list.bind(client);
  client.list = ((ref, ns, opts) => (lists.push(ref.plural), list(ref, ns, opts))) as typeof client.list;
  const sd = new DiscoveryServer(client, '127.0.0.1:0');
  await sd.listen();
  t.teardown(async () => {
    await sd.close();
    client.close();
  });
  const poll = async (role: string, query = ''): Promise<TargetGroup[]> => {
    const r = await fetch(`http://127.0.0.1:${sd.port()}/sd/${role}${query}`);
    t.equal(r.status, 200, `/sd/${role}${query}`);
    return (await r.json()) as TargetGroup[];
  };
  const targets = (groups: TargetGroup[]) => groups.flatMap((g) => g.targets).sort();

  t.same(targets(await poll('node')), ['192.0.2.1:10250'], 'the node at its address and the kubelet port');
  t.same(targets(await poll('pod')), ['198.51.100.1:8080'], 'the pod at its container port');
  t.same([...lists].sort(), ['endpoints', 'nodes', 'pods', 'services'], 'one list of each kind to start with');

  await node('sd-b', '192.0.2.2');
  await pod('kube-system', 'web-b', '198.51.100.2');
  await until('the new node and pod answered', async () => targets(await poll('node')).length === 2 && targets(await poll('pod')).length === 2);
  t.same(targets(await poll('node')), ['192.0.2.1:10250', '192.0.2.2:10250']);
  t.same(targets(await poll('pod', '?namespace=kube-system')), ['198.51.100.2:8080'], 'one namespace when asked');
  t.equal(lists.length, 4, 'no list since: the watches brought them');

  await srv.client.delete(Resources.nodes, undefined, 'sd-a');
  await until('the deleted node gone', async () => targets(await poll('node')).length === 1);
  t.same(targets(await poll('node')), ['192.0.2.2:10250']);
  t.equal(lists.length, 4);

  t.equal((await fetch(`http://127.0.0.1:${sd.port()}/sd/ingress`)).status, 404, 'an unknown role is 404');
});

t.test('a poll before the first lists is answered 503 with what is missing', async (t) => {
  const { ca, server } = loadKubeconfig(srv.kubeconfig);
  // A token the server does not know: every list is refused, so nothing is ever listed.
  const client = new ApiClient({ server: String(server), ca, token: 'not-a-token' });
  const sd = new DiscoveryServer(client, '127.0.0.1:0', { syncWaitMs: 200 });
  await sd.listen();
  t.teardown(async () => {
    await sd.close();
    client.close();
  });
  const r = await fetch(`http://127.0.0.1:${sd.port()}/sd/pod`);
  t.equal(r.status, 503);
  t.equal(await r.text(), 'not yet listed: nodes, pods, endpoints, services\n');
});
