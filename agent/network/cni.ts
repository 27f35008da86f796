// The node's CNI network: one bridge (cni0) in the node's namespace, host-local addresses from the node's podCIDR,
// and portmap for hostPort. containerd adds the loopback interface itself.
import { mkdir, rename, writeFile } from 'node:fs/promises';
import { join } from 'node:path';

export const CNI_NETWORK_NAME = 'kubets';
export const CNI_CONFLIST_FILE = '10-kubets.conflist';
export const CNI_BRIDGE = 'cni0';
// Debian's plugins (1.1.x) and containerd 1.6's libcni both speak CNI 1.0.0.
export const CNI_VERSION = '1.0.0';

export interface ConflistOptions {
  podCIDR: string;
  /** host-local's lease files; per node, since several nodes share this host's /var/lib/cni in the lab. */
  ipamDataDir: string;
  /** The bridge's and the pods' MTU; set under an overlay (VXLAN), whose device has less room than the uplink. */
  mtu?: number;
}

export function renderConflist(opts: ConflistOptions): object {
  return {
    cniVersion: CNI_VERSION,
    name: CNI_NETWORK_NAME,
    plugins: [
      {
        type: 'bridge',
        bridge: CNI_BRIDGE,
        isGateway: true,
        // No blanket masquerade: pod-to-pod traffic between nodes (host-gw routes) must keep pod source IPs. Traffic
        // leaving the cluster CIDR is masqueraded by the agent's own rule (network/masquerade.ts), services by kube-proxy.
        ipMasq: false,
        // A pod reaching its own Service VIP may be load-balanced back to itself.
        hairpinMode: true,
        ...(opts.mtu ? { mtu: opts.mtu } : {}),
        ipam: {
          type: 'host-local',
          ranges: [[{ subnet: opts.podCIDR }]],
          routes: [{ dst: '0.0.0.0/0' }],
          dataDir: opts.ipamDataDir,
        },
      },
      { type: 'portmap', capabilities: { portMappings: true }, snat: true },
    ],
  };
}

/**
 * Writes the conflist into confDir atomically: containerd watches the dir and would otherwise read half a file. It
 * uses the first config in lexical order, hence the `10-` prefix; the dir should hold only this node's network.
 */
export async function writeConflist(confDir: string, opts: ConflistOptions): Promise<string> {
  await mkdir(confDir, { recursive: true });
  await mkdir(opts.ipamDataDir, { recursive: true });
  const file = join(confDir, CNI_CONFLIST_FILE);
  const tmp = join(confDir, `.${CNI_CONFLIST_FILE}.tmp`);
  await writeFile(tmp, JSON.stringify(renderConflist(opts), null, 2) + '\n');
  await rename(tmp, file);
  return file;
}
