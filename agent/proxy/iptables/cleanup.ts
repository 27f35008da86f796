// Removes everything the iptables proxier programs, as kube-proxy's CleanupLeftovers (`kube-proxy --cleanup`): unlink
// the jumps from the built-in chains, then flush and delete our chains in one restore per table. Chains we did not
// create are never touched. Every step is attempted; failures are reported together at the end.
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
} from './chains.js';
import { chainsFromSave, Iptables, type Table } from './iptables.js';

const ownedChains: Record<Table, string[]> = {
  nat: [kubeServicesChain, kubeNodePortsChain, kubePostroutingChain, kubeMarkMasqChain],
  filter: [kubeServicesChain, kubeExternalServicesChain, kubeForwardChain, kubeNodePortsChain, kubeFirewallChain],
};

export async function cleanupLeftovers(exec: Exec): Promise<void> {
  const ipt = new Iptables(exec);
  const errors: Error[] = [];
  for (const j of [...jumpRules, ...firewallJumpRules]) {
    try {
      // A jump may have been added more than once (by hand, or by an older version): remove every copy.
      while (await ipt.deleteRule(j.table, j.from, jumpArgs(j)));
    } catch (e) {
      errors.push(e as Error);
    }
  }
  for (const table of ['nat', 'filter'] as const) {
    try {
      const existing = chainsFromSave(await ipt.save(table));
      const doomed = [...existing].filter((c) => ownedChains[table].includes(c) || (table === 'nat' && isServiceChainName(c))).sort();
      if (doomed.length === 0) continue;
      const lines = [`*${table}`, ...doomed.map((c) => `:${c} - [0:0]`), ...doomed.map((c) => `-X ${c}`), 'COMMIT', ''];
      await ipt.restore(lines.join('\n'));
    } catch (e) {
      errors.push(e as Error);
    }
  }
  if (errors.length > 0) throw new CleanupError('iptables', errors);
}
