// Switching modes on a node, as kube-proxy's platformCleanup: at start-up a mode removes what the other modes would
// have left. The nftables mode deletes the iptables (and, later, IPVS) KUBE-* chains; the iptables-based modes
// (iptables, ipvs) delete the `kube-proxy` nft table. Only the rules kube-proxy owns are touched.
import { cleanupLeftovers as cleanupIptables } from './iptables/cleanup.js';
import type { ProxyMode } from './modes.js';
import { cleanupLeftovers as cleanupNftables } from './nftables/cleanup.js';
import type { Exec } from './types.js';

/** Removes the other modes' leftovers; throws a CleanupError listing what could not be removed. */
export async function cleanupOtherModes(mode: ProxyMode, exec: Exec): Promise<void> {
  const iptablesBased = mode === 'iptables' || mode === 'ipvs';
  if (!iptablesBased) await cleanupIptables(exec);
  if (iptablesBased) await cleanupNftables(exec);
}

/** `kube-proxy --cleanup`: every mode's rules. Tries each; throws the first failure once all were tried. */
export async function cleanupAllModes(exec: Exec): Promise<void> {
  let first: unknown;
  for (const cleanup of [cleanupIptables, cleanupNftables]) {
    try {
      await cleanup(exec);
    } catch (e) {
      first ??= e;
    }
  }
  if (first) throw first;
}
