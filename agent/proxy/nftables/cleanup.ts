// Removes everything the nftables proxier programs, as kube-proxy's nftables CleanupLeftovers: the whole
// `kube-proxy` table, in both families (kubets only writes `ip`, but a kube-proxy before it may have written `ip6`).
// A missing table is not an error; the cleanup is idempotent.
import { CleanupError } from '../errors.js';
import type { Exec } from '../types.js';
import { kubeProxyTable } from './chains.js';
import { NftError } from './nft.js';

export async function cleanupLeftovers(exec: Exec): Promise<void> {
  const errors: Error[] = [];
  for (const family of ['ip', 'ip6']) {
    try {
      const r = await exec('nft', ['delete', 'table', family, kubeProxyTable]);
      if (r.exitCode !== 0 && !/No such file or directory/.test(r.stderr)) errors.push(new NftError(`nft delete table ${family} ${kubeProxyTable}`, r));
    } catch (e) {
      errors.push(e as Error);
    }
  }
  if (errors.length > 0) throw new CleanupError('nftables', errors);
}
