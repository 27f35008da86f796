// Switching modes on a node, as kube-proxy's platformCleanup: at start-up a mode removes what the other modes would
// have left. The nftables mode deletes the iptables KUBE-* chains and IPVS' leftovers; the iptables mode deletes the
// `kube-proxy` nft table and IPVS' leftovers; the IPVS mode deletes the nft table and the iptables mode's chains. The
// iptables and IPVS modes share a few chain names, so each removes the other's only when the other's own marks are
// there (a restart in the same mode leaves its rules alone). Only the rules kube-proxy owns are touched.
import { isServiceChainName, kubeExternalServicesChain, kubeNodePortsChain } from './iptables/chains.js';
import { cleanupLeftovers as cleanupIptables } from './iptables/cleanup.js';
import { chainsFromSave } from './iptables/iptables.js';
import { cleanupLeftovers as cleanupIpvs } from './ipvs/cleanup.js';
import type { ProxyMode } from './modes.js';
import { cleanupLeftovers as cleanupNftables } from './nftables/cleanup.js';
import type { Exec } from './types.js';

/** Whether the iptables mode has left its own chains (per-service chains, KUBE-NODEPORTS, KUBE-EXTERNAL-SERVICES). */
async function iptablesModeLeftovers(exec: Exec): Promise<boolean> {
  const [nat, filter] = await Promise.all([exec('iptables-save', ['-t', 'nat']), exec('iptables-save', ['-t', 'filter'])]);
  const natChains = nat.exitCode === 0 ? chainsFromSave(nat.stdout) : new Set<string>();
  const filterChains = filter.exitCode === 0 ? chainsFromSave(filter.stdout) : new Set<string>();
  return natChains.has(kubeNodePortsChain) || [...natChains].some(isServiceChainName) || filterChains.has(kubeExternalServicesChain) || filterChains.has(kubeNodePortsChain);
}

async function tryAll(cleanups: ((exec: Exec) => Promise<void>)[], exec: Exec): Promise<void> {
  let first: unknown;
  for (const cleanup of cleanups) {
    try {
      await cleanup(exec);
    } catch (e) {
      first ??= e;
    }
  }
  if (first) throw first;
}

/** Removes the other modes' leftovers; throws a CleanupError listing what could not be removed. */
export async function cleanupOtherModes(mode: ProxyMode, exec: Exec): Promise<void> {
  if (mode === 'nftables') return tryAll([cleanupIptables, cleanupIpvs], exec);
  if (mode === 'iptables') return tryAll([cleanupNftables, cleanupIpvs], exec);
  const iptablesIfLeft = async (e: Exec) => {
    if (await iptablesModeLeftovers(e)) await cleanupIptables(e);
  };
  return tryAll([cleanupNftables, iptablesIfLeft], exec);
}

/** `kube-proxy --cleanup`: every mode's rules. Tries each; throws the first failure once all were tried. */
export async function cleanupAllModes(exec: Exec): Promise<void> {
  return tryAll([cleanupIptables, cleanupNftables, cleanupIpvs], exec);
}
