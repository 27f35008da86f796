// The node's NetworkPolicy rules as one nftables table, `inet kubets-netpol`, rewritten whole in one `nft -f`
// transaction (the kernel swaps it in atomically; no other table is touched). Its base chains sit on the forward
// hook (pod to pod on this node — bridged IPv4 passes there with bridge-nf-call-iptables — and routed traffic to and
// from other nodes) and on the input hook (a pod to this node itself, egress only: the node may always reach its own
// pods, as the API promises for probes). Replies of allowed connections pass by conntrack. Each isolated pod has a
// chain per direction: its allows, then drop; egress chains return on allow, so ingress of the receiver is checked next.
import { createHash } from 'node:crypto';
import { Nft, Transaction } from '../proxy/nftables/nft.js';
import type { Exec } from '../proxy/types.js';
import type { Allow, NodeRules, PodRules, PortMatch } from './rules.js';

export const NETPOL_FAMILY = 'inet';
export const NETPOL_TABLE = 'kubets-netpol';

const chainName = (dir: 'ingress' | 'egress', pod: string) => `${dir}-${createHash('sha256').update(pod).digest('hex').slice(0, 16)}`;
const isV6 = (cidr: string) => cidr.includes(':');
const set = (items: string[]) => `{ ${items.join(', ')} }`;

/** Port matches of one protocol: `tcp dport { 80, 8000-8080 }`, or `meta l4proto udp` for every port. */
function portClauses(ports: PortMatch[] | undefined): string[] {
  if (!ports) return [''];
  const byProto = new Map<string, PortMatch[]>();
  for (const p of ports) byProto.set(p.protocol, [...(byProto.get(p.protocol) ?? []), p]);
  return [...byProto].map(([proto, ms]) => {
    const l4 = proto.toLowerCase();
    if (ms.some((m) => m.port === undefined)) return `meta l4proto ${l4}`;
    const items = [...new Set(ms.map((m) => (m.endPort !== undefined ? `${m.port}-${m.endPort}` : String(m.port))))];
    return `${l4} dport ${set(items)}`;
  });
}

/** The rules of one allow, for the peer side `saddr` (ingress) or `daddr` (egress). */
function allowRules(a: Allow, side: 'saddr' | 'daddr', verdict: string): string[] {
  const out: string[] = [];
  const families: [string, string[]][] = a.cidrs === undefined ? [['', []]] : [['ip', a.cidrs.filter((c) => !isV6(c))], ['ip6', a.cidrs.filter(isV6)]];
  for (const [fam, cidrs] of families) {
    if (fam && cidrs.length === 0) continue;
    const except = (a.except ?? []).filter((e) => (fam === 'ip6') === isV6(e));
    const addr = fam ? `${fam} ${side} ${set(cidrs)} ${except.length ? `${fam} ${side} != ${set(except)} ` : ''}` : '';
    for (const ports of portClauses(a.ports)) out.push(`${addr}${ports ? `${ports} ` : ''}${verdict}`.replace(/\s+/g, ' ').trim());
  }
  return out;
}

/** The whole table for these rules, as one transaction: created if missing, then replaced. */
export function netpolTransaction(rules: NodeRules): Transaction {
  const tx = new Transaction(NETPOL_FAMILY, NETPOL_TABLE);
  // add-then-delete empties whatever was there, in the same atomic batch as the new contents.
  tx.addTable();
  tx.deleteTable();
  tx.addTable('kubets NetworkPolicy enforcement');
  tx.addChain('forward', { type: 'filter', hook: 'forward', priority: 0 });
  tx.addChain('input', { type: 'filter', hook: 'input', priority: 0 });
  tx.addRule('forward', 'ct state established,related accept');
  tx.addRule('input', 'ct state established,related accept');
  const podChains = (dir: 'ingress' | 'egress', pods: PodRules[], side: 'saddr' | 'daddr', verdict: string): string[] => {
    const entries: string[] = [];
    for (const p of pods) {
      const chain = chainName(dir, p.pod);
      tx.addChain(chain, { comment: `${dir} of ${p.pod}` });
      for (const a of p.allow) for (const r of allowRules(a, side, verdict)) tx.addRule(chain, r);
      tx.addRule(chain, 'drop');
      entries.push(`${p.ip} : jump ${chain}`);
    }
    return entries;
  };
  const egress = podChains('egress', rules.egress, 'daddr', 'return');
  const ingress = podChains('ingress', rules.ingress, 'saddr', 'accept');
  if (egress.length) {
    tx.addRule('forward', `ip saddr vmap ${set(egress)}`);
    tx.addRule('input', `ip saddr vmap ${set(egress)}`);
  }
  if (ingress.length) tx.addRule('forward', `ip daddr vmap ${set(ingress)}`);
  return tx;
}

/** Programs the rules in the network namespace `exec` runs in. */
export async function applyNetpolRules(exec: Exec, rules: NodeRules): Promise<void> {
  await new Nft(exec, NETPOL_FAMILY, NETPOL_TABLE).run(netpolTransaction(rules));
}

/** Removes the table (the agent runs with network policy disabled); a missing table is fine. */
export async function removeNetpolTable(exec: Exec): Promise<void> {
  const tx = new Transaction(NETPOL_FAMILY, NETPOL_TABLE);
  tx.addTable();
  tx.deleteTable();
  await new Nft(exec, NETPOL_FAMILY, NETPOL_TABLE).run(tx);
}
