// The nft document for a node's rules: one table, replaced whole in one transaction, chains per isolated pod.
import t from 'tap';
import { netpolTransaction, removeNetpolTable } from './nftables.js';
import type { Exec } from '../proxy/types.js';

t.test('the whole table in one document', async (t) => {
  const doc = netpolTransaction({
    ingress: [
      { pod: 'shop/web', ip: '10.244.1.10', allow: [{ cidrs: ['10.244.2.20/32'], ports: [{ protocol: 'TCP', port: 80 }, { protocol: 'TCP', port: 8000, endPort: 8100 }, { protocol: 'UDP' }] }, { cidrs: ['10.0.0.0/8'], except: ['10.1.0.0/16'] }] },
      { pod: 'shop/db', ip: '10.244.1.11', allow: [] },
    ],
    egress: [{ pod: 'shop/web', ip: '10.244.1.10', allow: [{ ports: [{ protocol: 'UDP', port: 53 }] }, {}] }],
  }).toString();
  t.equal(doc.split('\n').slice(0, 7).join('\n'), [
    'add table inet kubets-netpol',
    'delete table inet kubets-netpol',
    'add table inet kubets-netpol { comment "kubets NetworkPolicy enforcement" ; }',
    'add chain inet kubets-netpol forward { type filter hook forward priority 0 ; }',
    'add chain inet kubets-netpol input { type filter hook input priority 0 ; }',
    'add rule inet kubets-netpol forward ct state established,related accept',
    'add rule inet kubets-netpol input ct state established,related accept',
  ].join('\n'), 'replaces the table atomically; replies of allowed connections pass');
  const chain = (name: string) => doc.split('\n').filter((l) => l.startsWith(`add rule inet kubets-netpol ${name} `)).map((l) => l.slice(`add rule inet kubets-netpol ${name} `.length));
  const ingressWeb = /add chain inet kubets-netpol (ingress-[0-9a-f]{16}) \{ comment "ingress of shop\/web" ; \}/.exec(doc)![1]!;
  const ingressDb = /add chain inet kubets-netpol (ingress-[0-9a-f]{16}) \{ comment "ingress of shop\/db" ; \}/.exec(doc)![1]!;
  const egressWeb = /add chain inet kubets-netpol (egress-[0-9a-f]{16}) \{ comment "egress of shop\/web" ; \}/.exec(doc)![1]!;
  t.same(chain(ingressWeb), [
    'ip saddr { 10.244.2.20/32 } tcp dport { 80, 8000-8100 } accept',
    'ip saddr { 10.244.2.20/32 } meta l4proto udp accept',
    'ip saddr { 10.0.0.0/8 } ip saddr != { 10.1.0.0/16 } accept',
    'drop',
  ]);
  t.same(chain(ingressDb), ['drop'], 'default deny');
  t.same(chain(egressWeb), ['udp dport { 53 } return', 'return', 'drop'], 'egress allows return, so the receiver\'s ingress is judged next');
  t.same(chain('forward'), [
    'ct state established,related accept',
    `ip saddr vmap { 10.244.1.10 : jump ${egressWeb} }`,
    `ip daddr vmap { 10.244.1.10 : jump ${ingressWeb}, 10.244.1.11 : jump ${ingressDb} }`,
  ]);
  t.same(chain('input'), ['ct state established,related accept', `ip saddr vmap { 10.244.1.10 : jump ${egressWeb} }`], 'a pod reaching its own node is egress too');
});

t.test('no isolated pods: the table holds only the base chains', async (t) => {
  const doc = netpolTransaction({ ingress: [], egress: [] }).toString();
  t.notMatch(doc, /vmap|drop/);
});

t.test('removing the table tolerates its absence', async (t) => {
  const calls: string[] = [];
  const exec: Exec = async (file, args, opts) => {
    calls.push(`${file} ${args.join(' ')}\n${opts?.input ?? ''}`);
    return { exitCode: 0, stdout: '', stderr: '' };
  };
  await removeNetpolTable(exec);
  t.same(calls, ['nft -f -\nadd table inet kubets-netpol\ndelete table inet kubets-netpol\n']);
});
