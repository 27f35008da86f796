// Switching modes on a node, as kube-proxy's platformCleanup: at start-up a mode removes what the other modes would
// have left. The nftables mode deletes the iptables KUBE-* chains and IPVS' leftovers; the iptables mode deletes the
// `kube-proxy` nft table and IPVS' leftovers; the IPVS mode deletes the nft table and the iptables mode's chains. The
// iptables and IPVS modes share a few chain names, so each removes the other's only when the other's own marks are
// there (a restart in the same mode leaves its rules alone). Only the rules kube-proxy owns are touched.
import { isServiceChainName, kubeExternalServicesChain, kubeNodePortsChain } from './iptables/chains.js';
import { cleanupLeftovers as cleanupIptables, type ChainsRead } from './iptables/cleanup.js';
import { chainsFromSave } from './iptables/iptables.js';
import { cleanupLeftovers as cleanupIpvs } from './ipvs/cleanup.js';
import type { ProxyMode } from './modes.js';
import { cleanupLeftovers as cleanupNftables } from './nftables/cleanup.js';
import type { Exec } from './types.js';

/** The nat and filter chains (those tables iptables-save could read). */
async function readChains(exec: Exec): Promise<ChainsRead> {
  const [nat, filter] = await Promise.all([exec('iptables-save', ['-t', 'nat']), exec('iptables-save', ['-t', 'filter'])]);
  const read: ChainsRead = {};
  if (nat.exitCode === 0) read.nat = chainsFromSave(nat.stdout);
  if (filter.exitCode === 0) read.filter = chainsFromSave(filter.stdout);
  return read;
}

/** Whether the iptables mode has left its own chains (per-service chains, KUBE-NODEPORTS, KUBE-EXTERNAL-SERVICES). */
function iptablesModeLeftovers({ nat = new Set(), filter = new Set() }: ChainsRead): boolean {
  return nat.has(kubeNodePortsChain) || [...nat].some(isServiceChainName) || filter.has(kubeExternalServicesChain) || filter.has(kubeNodePortsChain);
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
    // The chains read for the check serve the cleanup too.
    const read = await readChains(e);
    if (iptablesModeLeftovers(read)) await cleanupIptables(e, read);
  };
  return tryAll([cleanupNftables, iptablesIfLeft], exec);
}

/** `kube-proxy --cleanup`: every mode's rules. Tries each; throws the first failure once all were tried. */
export async function cleanupAllModes(exec: Exec): Promise<void> {
  return tryAll([cleanupIptables, cleanupNftables, cleanupIpvs], exec);
}
