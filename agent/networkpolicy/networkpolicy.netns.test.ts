// NetworkPolicy on a real node (test/kubelet-node.ts: containerd and the bridge CNI in a namespace of their own):
// busybox httpd servers and wget clients as pods, the real sync programming `inet kubets-netpol` with nft inside the
// node's namespace. Allowed by podSelector on a named port while others are refused (default deny), allowed by ipBlock
// with except, egress deny, the node itself still reaching its pods, and each change taking effect as the policies
// change. Everything lives in the node's namespace, which the fixture removes whatever happens.
import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import t from 'tap';
import type { Namespace, NetworkPolicy, Pod } from '../../api/types.js';
import { netnsExec } from '../proxy/exec.js';
import { startKubeletNode } from '../../test/kubelet-node.js';
import { until } from '../../test/until.js';
import { NetworkPolicyController, NETPOL_FAMILY, NETPOL_TABLE } from './index.js';

const run = promisify(execFile);

t.test('NetworkPolicy enforced on a real node', { timeout: 600_000 }, async (t) => {
  const kn = await startKubeletNode(t, { prefix: 'kt-np', podCIDR: '10.88.47.0/24', nodeName: 'np-node' });
  // Bridged pod-to-pod traffic reaches the inet forward hook only with this on (the agent's network step sets it).
  await run('ip', ['netns', 'exec', kn.node.ns, 'sysctl', '-qw', 'net.bridge.bridge-nf-call-iptables=1']);

  const sleeper = (name: string, labels: Record<string, string>) => kn.pod(name, { containers: [{ name: 'c', image: 'busybox:1.35', command: ['sh', '-c', 'exec sleep 3600'] }] }, { labels });
  const web = kn.pod('web', { containers: [{ name: 'web', image: 'busybox:1.35', command: ['sh', '-c', 'mkdir /www && echo hello > /www/index.html && exec httpd -f -p 8080 -h /www'], ports: [{ name: 'http', containerPort: 8080 }] }] }, { labels: { app: 'web' } });
  const client = sleeper('client', { role: 'client' });
  const other = sleeper('other', { role: 'other' });
  const pods = [web, client, other];
  for (const p of pods) kn.manager.podUpdated(p);
  const ips = new Map<Pod, string>();
  for (const p of pods) ips.set(p, (await kn.waitStatus(p, 'Running with an IP', (s) => s.phase === 'Running' && !!s.podIP)).podIP!);
  const webURL = `http://${ips.get(web)}:8080/`;

  let policies: NetworkPolicy[] = [];
  const controller = new NetworkPolicyController(
    {
      synced: () => true,
      pods: () => pods.map((p) => ({ ...p, status: kn.latest(p.metadata.uid!) }) as Pod),
      namespaces: () => [{ metadata: { name: 'default', labels: { 'kubernetes.io/metadata.name': 'default' } } } as Namespace],
      policies: () => policies,
    },
    { nodeName: 'np-node', exec: netnsExec(kn.node.ns) },
  ).start();
  t.teardown(() => controller.close());
  const setPolicies = (...ps: NetworkPolicy[]) => {
    policies = ps.map((p) => ({ ...p, metadata: { namespace: 'default', ...p.metadata } }));
    controller.request();
  };

  /** Whether `from` gets the page within 3 s (a dropped SYN would otherwise wait for the connect timeout). */
  const fetches = async (from: Pod) => {
    const r = await kn.exec(from, ['timeout', '3', 'wget', '-q', '-O', '-', webURL]);
    return r.exitCode === 0 && r.stdout === 'hello\n';
  };
  const reaches = async (from: Pod, what: string) => {
    await until(`${from.metadata.name} reaches web (${what})`, () => fetches(from), 30_000);
    t.pass(`${from.metadata.name} reaches web: ${what}`);
  };
  const refused = async (from: Pod, what: string) => {
    await until(`${from.metadata.name} refused (${what})`, async () => !(await fetches(from)), 30_000);
    t.pass(`${from.metadata.name} is refused: ${what}`);
  };

  await until('first sync', () => controller.syncs > 0);
  const listed = await run('ip', ['netns', 'exec', kn.node.ns, 'nft', 'list', 'table', NETPOL_FAMILY, NETPOL_TABLE]);
  t.match(listed.stdout, /chain forward \{\s+type filter hook forward priority filter; policy accept;\s+ct state established,related accept\s+\}/, 'our table, nobody isolated yet');
  await reaches(client, 'no policy');
  await reaches(other, 'no policy');

  // Only clients, on the named port "http" (8080 on web): others fall to the default deny.
  setPolicies({ metadata: { name: 'web-from-clients' }, spec: { podSelector: { matchLabels: { app: 'web' } }, ingress: [{ from: [{ podSelector: { matchLabels: { role: 'client' } } }], ports: [{ protocol: 'TCP', port: 'http' }] }] } } as NetworkPolicy);
  await refused(other, 'not selected by the ingress rule');
  t.ok(await fetches(client), 'the client, selected by podSelector, on the named port');
  t.notOk(await fetches(other), 'and the other pod still refused');

  // A numbered port the server doesn't listen on: the client is refused too — ports matter.
  setPolicies({ metadata: { name: 'web-from-clients' }, spec: { podSelector: { matchLabels: { app: 'web' } }, ingress: [{ from: [{ podSelector: { matchLabels: { role: 'client' } } }], ports: [{ protocol: 'TCP', port: 9090 }] }] } } as NetworkPolicy);
  await refused(client, 'only port 9090 is allowed');

  // ipBlock: the pod network except the client's address.
  setPolicies({ metadata: { name: 'web-from-block' }, spec: { podSelector: { matchLabels: { app: 'web' } }, ingress: [{ from: [{ ipBlock: { cidr: '10.88.47.0/24', except: [`${ips.get(client)}/32`] } }] }] } } as NetworkPolicy);
  await reaches(other, 'inside the ipBlock');
  t.notOk(await fetches(client), 'the client is the ipBlock\'s except');

  // The node itself may always reach its pods (kubelet probes), even under default deny.
  setPolicies({ metadata: { name: 'deny-all-ingress' }, spec: { podSelector: {} } } as NetworkPolicy);
  await refused(other, 'default deny ingress');
  const fromNode = await run('ip', ['netns', 'exec', kn.node.ns, 'curl', '-s', '--max-time', '3', webURL]);
  t.equal(fromNode.stdout, 'hello\n', 'the node reaches its pod under default deny');

  // Egress: the client may send nothing; others, unselected, are unaffected.
  setPolicies({ metadata: { name: 'client-no-egress' }, spec: { podSelector: { matchLabels: { role: 'client' } }, policyTypes: ['Egress'] } } as NetworkPolicy);
  await reaches(other, 'web open again');
  await refused(client, 'egress denied');
  // …until an egress rule allows web's named port.
  setPolicies({ metadata: { name: 'client-to-web' }, spec: { podSelector: { matchLabels: { role: 'client' } }, policyTypes: ['Egress'], egress: [{ to: [{ podSelector: { matchLabels: { app: 'web' } } }], ports: [{ protocol: 'TCP', port: 'http' }] }] } } as NetworkPolicy);
  await reaches(client, 'egress to web:http allowed');

  // No policies: the table stays, empty of pods; everyone reaches web.
  setPolicies();
  await reaches(other, 'no policies');
  const tables = await run('ip', ['netns', 'exec', kn.node.ns, 'nft', 'list', 'tables']);
  t.match(tables.stdout, /table inet kubets-netpol/);
});
