// flannel's network config (the kube-flannel-cfg ConfigMap's net-conf.json): the cluster-wide pod network backend the
// control plane publishes and a node agent follows when it is not told one itself.

/** How a node reaches other nodes' pods: host-gw routes via their InternalIPs (one L2 segment), or a VXLAN overlay. */
export const podNetworkModes = ['host-gw', 'vxlan'] as const;
export type PodNetworkMode = (typeof podNetworkModes)[number];
export const defaultPodNetwork: PodNetworkMode = 'host-gw';

export function isPodNetworkMode(s: string): s is PodNetworkMode {
  return (podNetworkModes as readonly string[]).includes(s);
}

/** Where the control plane publishes the cluster's pod network: readable by every node (RBAC role in joinPolicy). */
export const POD_NETWORK_CONFIGMAP = { namespace: 'kube-system', name: 'kubets-pod-network' } as const;
/** The key flannel uses for the same document. */
export const NET_CONF_KEY = 'net-conf.json';

/** flannel's net-conf.json: `{"Network": "10.244.0.0/16", "Backend": {"Type": "vxlan"}}`. */
export interface NetConf {
  Network: string;
  Backend: { Type: PodNetworkMode };
}

export function renderNetConf(clusterCIDR: string, mode: PodNetworkMode): string {
  const conf: NetConf = { Network: clusterCIDR, Backend: { Type: mode } };
  return JSON.stringify(conf, null, 2) + '\n';
}

/** The backend type of a net-conf.json; throws with the reason when it is not one kubets runs. */
export function parseNetConfMode(text: string): PodNetworkMode {
  let conf: Partial<NetConf>;
  try {
    conf = JSON.parse(text) as Partial<NetConf>;
  } catch (e) {
    throw new Error(`${NET_CONF_KEY} is not JSON: ${(e as Error).message}`);
  }
  const type = conf.Backend?.Type;
  if (type === undefined) return defaultPodNetwork;
  if (!isPodNetworkMode(type)) throw new Error(`${NET_CONF_KEY} names backend "${type}": want one of ${podNetworkModes.join(', ')}`);
  return type;
}
