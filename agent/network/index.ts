// The node's pod network: the CNI conflist containerd reads, the kernel settings, the masquerade rule for traffic
// leaving the cluster, and the way to every other node's podCIDR kept in sync from a Node informer — host-gw routes
// via their InternalIPs, or flannel's VXLAN overlay (vxlan.ts). Starting in one mode removes what the other left.
import { join } from 'node:path';
import { createRtNetlink } from 'netlink';
import type { ApiClient } from '../../api/client.js';
import { Informer, sleep } from '../../api/informer.js';
import { logger } from '../../api/log.js';
import { StatusError } from '../../api/errors.js';
import { defaultPodNetwork, NET_CONF_KEY, parseNetConfMode, POD_NETWORK_CONFIGMAP, type PodNetworkMode } from '../../api/podnetwork.js';
import { Resources } from '../../api/resources.js';
import type { KubeObject, Node } from '../../api/types.js';
import type { AgentConfig } from '../config.js';
import { writeConflist } from './cni.js';
import { ensureMasquerade } from './masquerade.js';
import { desiredRoutes, RouteSyncer } from './routes.js';
import { applySysctls } from './sysctl.js';
import { desiredPeers, FLANNEL_ANNOTATIONS, removeVxlanDevice, VXLAN_DEVICE, vtepAnnotations, VxlanSyncer } from './vxlan.js';

export { renderConflist, writeConflist, CNI_BRIDGE, CNI_CONFLIST_FILE, CNI_NETWORK_NAME } from './cni.js';
export { desiredRoutes, RouteSyncer, KUBETS_ROUTE_PROTOCOL, type PeerRoute } from './routes.js';
export { applySysctls, NODE_SYSCTLS } from './sysctl.js';
export { desiredPeers, removeVxlanDevice, vtepAnnotations, VxlanSyncer, FLANNEL_ANNOTATIONS, VXLAN_DEVICE, VXLAN_PORT, VXLAN_VNI, type VtepPeer } from './vxlan.js';

const log = logger('network');

export interface NetworkOwner {
  /** Resolves after the first route sync from a complete Node list. */
  readonly synced: Promise<void>;
  close(): Promise<void>;
}

/** Where host-local keeps this node's address leases. */
export function ipamDataDir(config: Pick<AgentConfig, 'dataDir'>): string {
  return join(config.dataDir, 'cni', 'ipam');
}

/**
 * The cluster's pod network backend, as the control plane publishes it (flannel's net-conf.json); host-gw where it
 * publishes none (a control plane from before, or one that lets nodes not read it).
 */
export async function clusterPodNetwork(client: ApiClient): Promise<PodNetworkMode> {
  let cm: KubeObject & { data?: Record<string, string> };
  try {
    cm = await client.get(Resources.configmaps, POD_NETWORK_CONFIGMAP.namespace, POD_NETWORK_CONFIGMAP.name);
  } catch (e) {
    if (e instanceof StatusError && (e.code === 404 || e.code === 403)) return defaultPodNetwork;
    throw e;
  }
  const text = cm.data?.[NET_CONF_KEY];
  const mode = text === undefined ? defaultPodNetwork : parseNetConfMode(text);
  log.info({ podNetwork: mode, configMap: `${POD_NETWORK_CONFIGMAP.namespace}/${POD_NETWORK_CONFIGMAP.name}` }, 'pod network from the cluster');
  return mode;
}

/** The annotations to merge into this node's Node so they say `want`: VTEP ones set, or (host-gw) removed. */
export function annotationPatch(node: Node | undefined, want: Record<string, string> | undefined): Record<string, string | null> | undefined {
  const have = node?.metadata.annotations ?? {};
  const patch: Record<string, string | null> = {};
  for (const key of Object.values(FLANNEL_ANNOTATIONS)) {
    const value = want?.[key];
    if (value === undefined && key in have) patch[key] = null;
    else if (value !== undefined && have[key] !== value) patch[key] = value;
  }
  return Object.keys(patch).length ? patch : undefined;
}

/**
 * What a sync reads from a Node (podCIDR, InternalIP, flannel's annotations): an update that changes none of it — a
 * status heartbeat — asks for no sync.
 */
export function networkInputs(n: Node): string {
  const a = n.metadata.annotations ?? {};
  const internalIP = n.status?.addresses?.find((x) => x.type === 'InternalIP')?.address;
  return JSON.stringify([n.spec?.podCIDR, internalIP, ...Object.values(FLANNEL_ANNOTATIONS).map((k) => a[k])]);
}

/** How many entries a sync result lists (its lists of added, replaced, deleted … entries). */
const changes = (r: object): number => Object.values(r).reduce((n: number, l: unknown[]) => n + l.length, 0);

export async function startNetwork(config: AgentConfig, client: ApiClient, podCIDR: string, opts: { resyncMs?: number } = {}): Promise<NetworkOwner> {
  const mode: PodNetworkMode = config.podNetwork ?? defaultPodNetwork;
  const changed = await applySysctls();
  await ensureMasquerade(podCIDR, config.clusterCIDR);

  // One rtnetlink socket for all of it, closed with the network. host-gw's routes are those not through the VXLAN
  // device; in vxlan mode they are all removed (switching modes).
  const socket = createRtNetlink();
  const routes = new RouteSyncer(socket, { otherDevice: VXLAN_DEVICE });
  const vxlan = mode === 'vxlan' ? new VxlanSyncer(socket) : undefined;
  let mtu: number | undefined;
  try {
    if (vxlan) {
      const cleared = await routes.sync([]);
      if (cleared.deleted.length) log.info({ deleted: cleared.deleted }, 'host-gw routes removed for the VXLAN overlay');
      mtu = (await vxlan.ensureDevice({ localIP: config.nodeIP, podCIDR })).mtu;
    } else if (await removeVxlanDevice(socket)) {
      log.info({ device: VXLAN_DEVICE }, 'VXLAN device removed for host-gw routing');
    }
  } catch (e) {
    socket.socket.close();
    throw e;
  }
  const conflist = await writeConflist(config.cniConfDir, { podCIDR, ipamDataDir: ipamDataDir(config), mtu });
  log.info({ conflist, podCIDR, podNetwork: mode, mtu, sysctlsChanged: changed }, 'pod network configured');

  const nodes = new Informer<Node>(client, Resources.nodes);
  const abort = new AbortController();
  let dirty = true;
  let wake: (() => void) | undefined;
  const kick = () => {
    dirty = true;
    wake?.();
  };
  const kickIfChanged = (old: Node, cur: Node) => {
    if (networkInputs(old) !== networkInputs(cur)) kick();
  };
  nodes.addHandlers({ onAdd: kick, onUpdate: kickIfChanged, onDelete: kick });
  nodes.start();

  /** This node's VTEP annotations made to match the device (or removed under host-gw), by a merge PATCH when they differ. */
  const publish = async (want: Record<string, string> | undefined) => {
    const patch = annotationPatch(nodes.get(config.nodeName), want);
    if (!patch) return;
    await client.patch(Resources.nodes, undefined, config.nodeName, 'merge', { metadata: { annotations: patch } });
    log.info({ annotations: patch }, want ? 'VTEP published on the Node' : 'VTEP annotations removed from the Node');
  };

  const syncOnce = async () => {
    if (vxlan) {
      // Every sync makes sure of the device too: one deleted by hand comes back (with a new MAC, published again).
      const dev = await vxlan.ensureDevice({ localIP: config.nodeIP, podCIDR });
      await publish(vtepAnnotations(dev.mac, config.nodeIP));
      const r = await vxlan.sync(desiredPeers(nodes.list(), config.nodeName));
      if (changes(r.routes) + changes(r.neighbours) + changes(r.fdb)) log.info(r, 'VXLAN peers synced');
      return;
    }
    await publish(undefined);
    const r = await routes.sync(desiredRoutes(nodes.list(), config.nodeName));
    if (changes(r)) log.info(r, 'routes to other nodes synced');
  };

  let markSynced!: () => void;
  const synced = new Promise<void>((r) => (markSynced = r));

  // One loop does every sync (handlers only mark dirty), from the full cache, never from a partial list; failures
  // retry with backoff, and a periodic resync repairs routes someone else removed.
  const loop = (async () => {
    const aborted = new Promise<void>((r) => abort.signal.addEventListener('abort', () => r(), { once: true }));
    await Promise.race([nodes.waitForSync(), aborted]);
    let backoff = 1000;
    while (!abort.signal.aborted) {
      if (dirty) {
        dirty = false;
        try {
          await syncOnce();
          markSynced();
          backoff = 1000;
        } catch (e) {
          dirty = true;
          log.warn({ err: (e as Error).message, backoff }, 'route sync failed; retrying');
          await sleep(backoff, abort.signal);
          backoff = Math.min(backoff * 2, 30_000);
          continue;
        }
      }
      await new Promise<void>((resolve) => {
        const timer = setTimeout(() => {
          dirty = true;
          resolve();
        }, opts.resyncMs ?? 60_000);
        wake = () => {
          clearTimeout(timer);
          resolve();
        };
        abort.signal.addEventListener('abort', wake, { once: true });
      });
      wake = undefined;
    }
  })();

  let closed: Promise<void> | undefined;
  return {
    synced,
    close() {
      closed ??= (async () => {
        abort.abort();
        wake?.();
        await nodes.close();
        await loop;
        socket.socket.close();
      })();
      return closed;
    },
  };
}
