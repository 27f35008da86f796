// Removes what the IPVS proxier programs, as kube-proxy's ipvs CleanupLeftovers: the virtual servers it made, the
// kube-ipvs0 link, its iptables chains and its ipsets (last: a set can't go while a rule matches it). Everything runs
// through the injected Exec (ipvsadm, ip, iptables, ipset), so it acts in the node's namespace whoever calls it.
// Chains the iptables mode shares (nat KUBE-SERVICES, KUBE-POSTROUTING, KUBE-MARK-MASQ, filter KUBE-FORWARD) are
// flushed, not deleted: the mode starting next rewrites them. Every step is attempted; failures are reported together.
import { CleanupError } from '../errors.js';
import { deleteJump, removeChains, type ChainsRead } from '../iptables/cleanup.js';
import { chainsFromSave, Iptables, type Table } from '../iptables/iptables.js';
import type { Exec } from '../types.js';
import { ipvsChains, ipvsJumpRules, kubeForwardChain, kubeIPVSFilterChain, kubeMarkMasqChain, kubePostroutingChain, kubeServicesChain } from './chains.js';
import { dummyDevice } from './dummy.js';
import { ipsetNames, kubeIPVSSet, parseSave } from './ipset.js';
import { nodePortEntries, ownedVirtualServer } from './proxier.js';

const sharedChains: Record<Table, string[]> = { nat: [kubeServicesChain, kubePostroutingChain, kubeMarkMasqChain], filter: [kubeForwardChain] };

/** Virtual servers in `ipvsadm -S -n` output: `-A -t 10.96.0.1:80 -s rr` → TCP 10.96.0.1 80. */
export function parseIpvsadmSave(text: string): { protocol: 'TCP' | 'UDP' | 'SCTP'; address: string; port: number; flag: string }[] {
  const out: { protocol: 'TCP' | 'UDP' | 'SCTP'; address: string; port: number; flag: string }[] = [];
  for (const line of text.split('\n')) {
    const m = /^-A (-t|-u|--sctp-service) ([\d.]+):(\d+)\b/.exec(line.trim());
    if (m) out.push({ protocol: m[1] === '-t' ? 'TCP' : m[1] === '-u' ? 'UDP' : 'SCTP', address: m[2]!, port: Number(m[3]), flag: m[1]! });
  }
  return out;
}

/** Whether this node has anything IPVS mode leaves behind (so other modes only clean up after a real switch). The
 * filter table's chains, when read for this, go into `read`. */
async function hasLeftovers(exec: Exec, sets: Map<string, Set<string>>, boundAddresses: Set<string>, linkExists: boolean, read: ChainsRead): Promise<boolean> {
  if (linkExists || sets.size > 0 || boundAddresses.size > 0) return true;
  const r = await exec('iptables-save', ['-t', 'filter']);
  if (r.exitCode !== 0) return false;
  read.filter = chainsFromSave(r.stdout);
  return read.filter.has(kubeIPVSFilterChain);
}

export async function cleanupLeftovers(exec: Exec): Promise<void> {
  const errors: Error[] = [];
  const step = async (fn: () => Promise<void>) => {
    try {
      await fn();
    } catch (e) {
      errors.push(e as Error);
    }
  };
  // A kernel without ip_set answers with an error: then there are no sets.
  const save = await exec('ipset', ['save']).catch(() => undefined);
  const sets = save?.exitCode === 0 ? parseSave(save.stdout) : new Map<string, Set<string>>();
  const link = await exec('ip', ['-o', '-4', 'addr', 'show', 'dev', dummyDevice]).catch(() => undefined);
  const linkExists = link?.exitCode === 0;
  const bound = new Set([...(link?.stdout ?? '').matchAll(/inet ([\d.]+)\//g)].map((m) => m[1]!));
  // Chains read for that check: nothing before removeChains creates or deletes one, so they are not read again.
  const read: ChainsRead = {};
  if (!(await hasLeftovers(exec, sets, bound, linkExists, read))) return;

  await step(async () => {
    // Without ip_vs loaded there is no table to clean (and ipvsadm would load the module to look).
    if ((await exec('cat', ['/proc/net/ip_vs'])).exitCode !== 0) return;
    const listed = await exec('ipvsadm', ['-S', '-n']);
    if (listed.exitCode !== 0) throw new Error(`ipvsadm -S -n failed: ${listed.stderr.trim()}`);
    const known = { boundAddresses: new Set([...bound, ...(sets.get(kubeIPVSSet) ?? [])]), nodePortEntries: nodePortEntries((s) => sets.get(s) ?? new Set()) };
    const doomed = parseIpvsadmSave(listed.stdout).filter((vs) => ownedVirtualServer(vs, known));
    if (doomed.length === 0) return;
    const r = await exec('ipvsadm', ['-R'], { input: doomed.map((vs) => `-D ${vs.flag} ${vs.address}:${vs.port}`).join('\n') + '\n' });
    if (r.exitCode !== 0) throw new Error(`ipvsadm -R failed: ${r.stderr.trim()}`);
  });
  if (linkExists) {
    await step(async () => {
      const r = await exec('ip', ['link', 'delete', dummyDevice]);
      if (r.exitCode !== 0) throw new Error(`ip link delete ${dummyDevice}: ${r.stderr.trim()}`);
    });
  }
  const ipt = new Iptables(exec);
  for (const j of ipvsJumpRules) {
    if (sharedChains[j.table].includes(j.to)) continue;
    await step(() => deleteJump(ipt, j));
  }
  for (const table of ['nat', 'filter'] as const) {
    await step(async () => {
      const existing = read[table] ?? chainsFromSave(await ipt.save(table));
      await removeChains(ipt, table, existing, (c) => ipvsChains[table].includes(c), (c) => sharedChains[table].includes(c));
    });
  }
  for (const set of [...sets.keys()].filter((s) => ipsetNames.has(s))) {
    await step(async () => {
      const r = await exec('ipset', ['destroy', set]);
      if (r.exitCode !== 0 && !/does not exist/.test(r.stderr)) throw new Error(`ipset destroy ${set}: ${r.stderr.trim()}`);
    });
  }
  if (errors.length > 0) throw new CleanupError('ipvs', errors);
}
