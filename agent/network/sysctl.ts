// Kernel settings a node needs for pod networking. Both are per network namespace (br_netfilter's since Linux 5.3),
// and /proc/sys/net shows the namespace of the process that opens it: the agent sets its own node's values.
import { readFile, writeFile } from 'node:fs/promises';
import { hostKernelProbe, type KernelProbe } from '../proxy/modes.js';

export const NODE_SYSCTLS: Record<string, string> = {
  // Route between pods, the node and other nodes (host-gw).
  'net.ipv4.ip_forward': '1',
  // Let iptables (kube-proxy's Service rules) see traffic between pods on the same bridge.
  'net.bridge.bridge-nf-call-iptables': '1',
};

const path = (key: string) => `/proc/sys/${key.replace(/\./g, '/')}`;

/** The module that brings a key's directory: net.bridge.* exists only once br_netfilter is loaded. */
const moduleFor = (key: string) => (key.startsWith('net.bridge.') ? 'br_netfilter' : undefined);

/**
 * Sets each key whose value differs; returns the keys changed. A key that does not exist has its module loaded first,
 * as k3s's agent loads br_netfilter on a fresh host; if it still does not exist, start-up fails naming it.
 */
export async function applySysctls(settings: Record<string, string> = NODE_SYSCTLS, procRoot = '', loadModule: KernelProbe['modprobe'] = hostKernelProbe.modprobe): Promise<string[]> {
  const changed: string[] = [];
  const read = (file: string) => readFile(file, 'utf8').then((v) => v.trim());
  for (const [key, value] of Object.entries(settings)) {
    const file = procRoot + path(key);
    const module = moduleFor(key);
    let current: string;
    try {
      current = await read(file).catch(async (e) => {
        if (module && (await loadModule(module))) return read(file);
        throw e;
      });
    } catch (e) {
      const hint = module ? ` (kernel module ${module} did not load)` : '';
      throw new Error(`sysctl ${key} is not available${hint}: ${(e as Error).message}`);
    }
    if (current === value) continue;
    await writeFile(file, value);
    changed.push(key);
  }
  return changed;
}
