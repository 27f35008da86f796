// Removes everything the iptables proxier programs, as kube-proxy's CleanupLeftovers (`kube-proxy --cleanup`): unlink
// the jumps from the built-in chains, then flush and delete our chains in one restore per table. Chains we did not
// create are never touched. Every step is attempted; failures are reported together at the end. deleteJump and
// removeChains do the same for the IPVS mode's cleanup.
import { CleanupError } from '../errors.js';
import type { Exec } from '../types.js';
import {
  firewallJumpRules,
  isServiceChainName,
  jumpArgs,
  jumpRules,
  kubeExternalServicesChain,
  kubeFirewallChain,
  kubeForwardChain,
  kubeMarkMasqChain,
  kubeNodePortsChain,
  kubePostroutingChain,
  kubeServicesChain,
  type JumpRule,
} from './chains.js';
import { chainsFromSave, Iptables, type Table } from './iptables.js';

const ownedChains: Record<Table, string[]> = {
  nat: [kubeServicesChain, kubeNodePortsChain, kubePostroutingChain, kubeMarkMasqChain],
  filter: [kubeServicesChain, kubeExternalServicesChain, kubeForwardChain, kubeNodePortsChain, kubeFirewallChain],
};

/** Chains of each table as read from iptables-save, for a caller that has read them already. */
export type ChainsRead = Partial<Record<Table, Set<string>>>;

/** Removes every copy of a jump (it may have been added more than once, by hand or by an older version). */
export async function deleteJump(ipt: Iptables, j: JumpRule): Promise<void> {
  while (await ipt.deleteRule(j.table, j.from, jumpArgs(j)));
}

/** In one restore: flushes the table's chains that `owned` picks, and deletes those of them `keep` does not. */
export async function removeChains(ipt: Iptables, table: Table, existing: Set<string>, owned: (chain: string) => boolean, keep: (chain: string) => boolean = () => false): Promise<void> {
  const flushed = [...existing].filter(owned).sort();
  if (flushed.length === 0) return;
  const deleted = flushed.filter((c) => !keep(c));
  await ipt.restore([`*${table}`, ...flushed.map((c) => `:${c} - [0:0]`), ...deleted.map((c) => `-X ${c}`), 'COMMIT', ''].join('\n'));
}

/** `read`: chains already read (deleting the jumps does not change them), so they are not read again. */
export async function cleanupLeftovers(exec: Exec, read: ChainsRead = {}): Promise<void> {
  const ipt = new Iptables(exec);
  const errors: Error[] = [];
  for (const j of [...jumpRules, ...firewallJumpRules]) {
    try {
      await deleteJump(ipt, j);
    } catch (e) {
      errors.push(e as Error);
    }
  }
  for (const table of ['nat', 'filter'] as const) {
    try {
      const existing = read[table] ?? chainsFromSave(await ipt.save(table));
      await removeChains(ipt, table, existing, (c) => ownedChains[table].includes(c) || (table === 'nat' && isServiceChainName(c)));
    } catch (e) {
      errors.push(e as Error);
    }
  }
  if (errors.length > 0) throw new CleanupError('iptables', errors);
}
