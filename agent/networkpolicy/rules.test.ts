// The NetworkPolicy decisions on plain objects: who is isolated, and what each selected pod may receive and send.
import t from 'tap';
import type { Namespace, NetworkPolicy, Pod } from '../../api/types.js';
import { computeNodeRules, type Observed } from './rules.js';

const pod = (ns: string, name: string, ip: string, labels: Record<string, string>, node = 'n1', ports: { name: string; containerPort: number; protocol?: string }[] = []): Pod =>
  ({
    metadata: { namespace: ns, name, labels },
    spec: { nodeName: node, containers: [{ name: 'c', image: 'busybox:1.35', ports }] },
    status: { phase: 'Running', podIP: ip },
  }) as Pod;
const ns = (name: string, labels: Record<string, string> = {}): Namespace => ({ metadata: { name, labels: { 'kubernetes.io/metadata.name': name, ...labels } } }) as Namespace;
const policy = (namespace: string, name: string, spec: Partial<NetworkPolicy['spec']>): NetworkPolicy => ({ metadata: { namespace, name }, spec: { podSelector: {}, ...spec } }) as NetworkPolicy;

const web = pod('shop', 'web', '10.244.1.10', { app: 'web' }, 'n1', [{ name: 'http', containerPort: 8080 }, { name: 'dns', containerPort: 53, protocol: 'UDP' }]);
const db = pod('shop', 'db', '10.244.1.11', { app: 'db' });
const client = pod('shop', 'client', '10.244.2.20', { app: 'client' }, 'n2');
const other = pod('other', 'client', '10.244.2.21', { app: 'client' }, 'n2');
const monitor = pod('ops', 'prom', '10.244.2.22', { app: 'prom' }, 'n2', [{ name: 'metrics', containerPort: 9090 }]);
const namespaces = [ns('shop'), ns('other'), ns('ops', { team: 'ops' })];
const base: Omit<Observed, 'policies'> = { nodeName: 'n1', pods: [web, db, client, other, monitor], namespaces };
const decide = (...policies: NetworkPolicy[]) => computeNodeRules({ ...base, policies });

t.test('no policies: nobody is isolated', async (t) => {
  t.same(decide(), { ingress: [], egress: [] });
});

t.test('default deny ingress: every pod of the namespace on this node, nothing allowed; other namespaces untouched', async (t) => {
  const r = decide(policy('shop', 'deny', {}));
  t.same(r.ingress, [
    { pod: 'shop/db', ip: '10.244.1.11', allow: [] },
    { pod: 'shop/web', ip: '10.244.1.10', allow: [] },
  ]);
  t.same(r.egress, [], 'an Ingress policy leaves egress open');
  t.same(decide(policy('other', 'deny', {})), { ingress: [], egress: [] }, 'a policy of another namespace selects none of our pods');
});

t.test('default deny egress', async (t) => {
  const r = decide(policy('shop', 'deny-out', { policyTypes: ['Egress'] }));
  t.same(r.ingress, []);
  t.same(r.egress.map((p) => [p.pod, p.allow]), [['shop/db', []], ['shop/web', []]]);
});

t.test('podSelector: only the selected pods are isolated; peers are pods of the policy namespace', async (t) => {
  const r = decide(policy('shop', 'web', { podSelector: { matchLabels: { app: 'web' } }, ingress: [{ from: [{ podSelector: { matchLabels: { app: 'client' } } }] }] }));
  t.same(r.ingress, [{ pod: 'shop/web', ip: '10.244.1.10', allow: [{ cidrs: ['10.244.2.20/32'] }] }], 'shop/client only: other/client is in another namespace');
});

t.test('namespaceSelector alone, and with a podSelector', async (t) => {
  const alone = decide(policy('shop', 'from-ops', { podSelector: { matchLabels: { app: 'db' } }, ingress: [{ from: [{ namespaceSelector: { matchLabels: { team: 'ops' } } }] }] }));
  t.same(alone.ingress, [{ pod: 'shop/db', ip: '10.244.1.11', allow: [{ cidrs: ['10.244.2.22/32'] }] }]);
  const both = decide(policy('shop', 'clients-anywhere', { podSelector: { matchLabels: { app: 'db' } }, ingress: [{ from: [{ namespaceSelector: {}, podSelector: { matchLabels: { app: 'client' } } }] }] }));
  t.same(both.ingress[0]!.allow, [{ cidrs: ['10.244.2.21/32', '10.244.2.20/32'] }], 'clients of every namespace, nothing else');
  const none = decide(policy('shop', 'nobody', { podSelector: { matchLabels: { app: 'db' } }, ingress: [{ from: [{ podSelector: { matchLabels: { app: 'nothing' } } }] }] }));
  t.same(none.ingress[0]!.allow, [], 'a peer that selects no pod allows nothing (not everything)');
});

t.test('ipBlock with except', async (t) => {
  const r = decide(policy('shop', 'block', { podSelector: { matchLabels: { app: 'web' } }, ingress: [{ from: [{ ipBlock: { cidr: '10.244.0.0/16', except: ['10.244.2.0/24'] } }, { ipBlock: { cidr: '192.168.56.7/24' } }] }] }));
  t.same(r.ingress[0]!.allow, [{ cidrs: ['10.244.0.0/16'], except: ['10.244.2.0/24'] }, { cidrs: ['192.168.56.0/24'] }], 'host bits cleared');
});

t.test('ports: numbers, ranges, protocols, and named ports resolved on the receiving pod', async (t) => {
  const r = decide(policy('shop', 'ports', {
    ingress: [{ ports: [{ protocol: 'TCP', port: 80 }, { protocol: 'TCP', port: 8000, endPort: 8100 }, { protocol: 'UDP' }, { protocol: 'TCP', port: 'http' }, { protocol: 'UDP', port: 'dns' }, { protocol: 'TCP', port: 'dns' }] }],
  }));
  const byPod = Object.fromEntries(r.ingress.map((p) => [p.pod, p.allow]));
  t.same(byPod['shop/web'], [{ ports: [{ protocol: 'TCP', port: 80 }, { protocol: 'TCP', port: 8000, endPort: 8100 }, { protocol: 'UDP' }, { protocol: 'TCP', port: 8080 }, { protocol: 'UDP', port: 53 }] }], 'http → 8080/TCP, dns → 53/UDP; dns over TCP is no port of web');
  t.same(byPod['shop/db'], [{ ports: [{ protocol: 'TCP', port: 80 }, { protocol: 'TCP', port: 8000, endPort: 8100 }, { protocol: 'UDP' }] }], 'db has no named ports');
  const onlyNamed = decide(policy('shop', 'named', { podSelector: { matchLabels: { app: 'db' } }, ingress: [{ ports: [{ port: 'http' }] }] }));
  t.same(onlyNamed.ingress[0]!.allow, [], 'a rule whose only ports the pod lacks allows nothing');
});

t.test('egress: peers are destinations, named ports resolve on each destination', async (t) => {
  const r = decide(policy('shop', 'out', {
    podSelector: { matchLabels: { app: 'web' } },
    policyTypes: ['Egress'],
    egress: [
      { to: [{ namespaceSelector: { matchLabels: { team: 'ops' } } }], ports: [{ protocol: 'TCP', port: 'metrics' }] },
      { ports: [{ protocol: 'UDP', port: 53 }] },
      { to: [{ podSelector: { matchLabels: { app: 'db' } } }] },
    ],
  }));
  t.same(r.ingress, []);
  t.same(r.egress, [{ pod: 'shop/web', ip: '10.244.1.10', allow: [
    { cidrs: ['10.244.2.22/32'], ports: [{ protocol: 'TCP', port: 9090 }] },
    { ports: [{ protocol: 'UDP', port: 53 }] },
    { cidrs: ['10.244.1.11/32'] },
  ] }]);
});

t.test('policies add up; policyTypes default from the rules present', async (t) => {
  const r = decide(
    policy('shop', 'a', { podSelector: { matchLabels: { app: 'web' } }, ingress: [{ from: [{ podSelector: { matchLabels: { app: 'client' } } }] }] }),
    policy('shop', 'b', { podSelector: { matchLabels: { app: 'web' } }, ingress: [{ from: [{ podSelector: { matchLabels: { app: 'db' } } }] }], egress: [{}] }),
  );
  t.same(r.ingress[0]!.allow, [{ cidrs: ['10.244.2.20/32'] }, { cidrs: ['10.244.1.11/32'] }]);
  t.same(r.egress, [{ pod: 'shop/web', ip: '10.244.1.10', allow: [{}] }], 'b has egress rules: Egress too, its empty rule allows everything');
});

t.test('pods that carry no traffic of their own are neither targets nor peers', async (t) => {
  const pending = { ...pod('shop', 'new', '', { app: 'client' }), status: { phase: 'Pending' } } as Pod;
  const done = { ...pod('shop', 'job', '10.244.1.30', { app: 'client' }), status: { phase: 'Succeeded', podIP: '10.244.1.30' } } as Pod;
  const host = { ...pod('shop', 'host', '192.168.56.11', { app: 'client' }), spec: { ...web.spec, hostNetwork: true } } as Pod;
  const r = computeNodeRules({ ...base, pods: [...base.pods, pending, done, host], policies: [policy('shop', 'deny', { ingress: [{ from: [{ podSelector: { matchLabels: { app: 'client' } } }] }] })] });
  t.same(r.ingress.map((p) => p.pod), ['shop/db', 'shop/web'], 'only running pods with their own IP on this node');
  t.same(r.ingress[0]!.allow, [{ cidrs: ['10.244.2.20/32'] }]);
});
