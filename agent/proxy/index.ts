// kube-proxy's entry point: check the configured mode can run here, remove the other modes' rules, pick the mode's
// backend (iptables, nftables, IPVS), feed it Services and EndpointSlices from informers, run its sync loop, and serve :10249 (/proxyMode,
// /metrics, /healthz), :10256 (/healthz, /livez) and the health check node ports of Local-policy services.
import type { ApiClient } from '../../api/client.js';
import { Informer } from '../../api/informer.js';
import { logger } from '../../api/log.js';
import { Resources } from '../../api/resources.js';
import type { EndpointSlice, Node, Service } from '../../api/types.js';
import { cleanupOtherModes } from './cleanup.js';
import { hostExec } from './exec.js';
import { ProxyHealthServer } from './healthcheck.js';
import { IptablesProxier } from './iptables/proxier.js';
import { IpvsProxier } from './ipvs/proxier.js';
import { ProxyMetrics } from './metrics.js';
import type { ProxyConfig } from './config.js';
import { checkProxyMode, type KernelProbe } from './modes.js';
import { NftablesProxier } from './nftables/proxier.js';
import { MetricsServer } from './server.js';
import { ServiceHealthServer } from './servicehealth.js';
import type { Exec, Provider } from './types.js';

export type { Exec, Provider } from './types.js';
export { cleanupAllModes as cleanupLeftovers } from './cleanup.js';
export { CleanupError, ProxyModeUnavailableError, UnsupportedProxyModeError } from './errors.js';
export { hostExec, netnsExec } from './exec.js';
export { checkProxyMode, implementedProxyModes, proxyModes, type ProxyMode } from './modes.js';
export { parseProxyConfigFile, proxyConfigFileText, proxyDefaults, type ProxyConfig } from './config.js';

const log = logger('proxy');

export interface ProxyOptions {
  /** Runs iptables, iptables-restore, nft, conntrack and sysctl (default: on this host, in this network namespace). */
  exec?: Exec;
  /** Answers the mode check's questions about the kernel (default: this host's). */
  kernelProbe?: KernelProbe;
}

export interface RunningProxy {
  close(): Promise<void>;
}

export async function startProxy(config: ProxyConfig, client: ApiClient, opts: ProxyOptions = {}): Promise<RunningProxy> {
  const mode = await checkProxyMode(config.mode, opts.kernelProbe);
  const exec = opts.exec ?? hostExec;
  const { syncPeriodMs } = config;

  // A node switching modes must not keep the previous mode's rules: they would still capture Service traffic.
  await cleanupOtherModes(mode, exec).catch((e: Error) => log.warn({ mode, err: e.message }, 'could not remove the other proxy modes\' rules'));

  const metrics = new ProxyMetrics({ processMetrics: true });
  const health = new ProxyHealthServer({ bindAddress: config.healthzBindAddress, healthTimeoutMs: 2 * syncPeriodMs });
  // nftables mode answers NodePorts (and their health checks) on the node's primary IP only, as kube-proxy's does.
  const nodePortAddresses = mode === 'nftables' ? [config.nodeIP] : [];
  const serviceHealth = new ServiceHealthServer({ addresses: nodePortAddresses, proxyHealth: health });
  const common = {
    exec,
    nodeName: config.nodeName,
    clusterCIDR: config.clusterCIDR,
    syncPeriodMs,
    minSyncPeriodMs: config.minSyncPeriodMs,
    metrics,
    health,
    serviceHealth,
  };
  const seconds = (ms: number | undefined) => Math.round((ms ?? 0) / 1000);
  const proxier: Provider =
    mode === 'nftables'
      ? new NftablesProxier({ ...common, nodePortAddresses, serviceCIDRs: [config.serviceCIDR] })
      : mode === 'ipvs'
        ? new IpvsProxier({
            ...common,
            scheduler: config.ipvs?.scheduler,
            tcpTimeoutSeconds: seconds(config.ipvs?.tcpTimeoutMs),
            tcpFinTimeoutSeconds: seconds(config.ipvs?.tcpFinTimeoutMs),
            udpTimeoutSeconds: seconds(config.ipvs?.udpTimeoutMs),
          })
        : new IptablesProxier(common);
  const metricsServer = new MetricsServer({ bindAddress: config.metricsBindAddress, proxyMode: mode, registry: metrics.registry });

  const services = new Informer<Service>(client, Resources.services);
  const slices = new Informer<EndpointSlice>(client, Resources.endpointslices);
  services.addHandlers({
    onAdd: (s) => proxier.onServiceAdd(s),
    onUpdate: (o, s) => proxier.onServiceUpdate(o, s),
    onDelete: (s) => proxier.onServiceDelete(s),
  });
  slices.addHandlers({
    onAdd: (s) => proxier.onEndpointSliceAdd(s),
    onUpdate: (o, s) => proxier.onEndpointSliceUpdate(o, s),
    onDelete: (s) => proxier.onEndpointSliceDelete(s),
  });

  let closed = false;
  const close = async () => {
    if (closed) return;
    closed = true;
    await Promise.all([services.close(), slices.close()]);
    await proxier.close();
    await Promise.all([metricsServer.close(), health.close(), serviceHealth.close()]);
  };

  try {
    await metricsServer.listen();
    await health.listen();
  } catch (e) {
    await close();
    throw e;
  }
  services.start();
  slices.start();
  // The synced signals fire once the first lists are in; until then no rule is written.
  void services.waitForSync().then(() => closed || proxier.onServiceSynced());
  void slices.waitForSync().then(() => closed || proxier.onEndpointSlicesSynced());
  proxier.syncLoop();
  log.info({ mode, metrics: config.metricsBindAddress, healthz: config.healthzBindAddress }, 'proxy started');
  return { close };
}

/**
 * The node's primary IP from its Node object (InternalIP, else ExternalIP), as kube-proxy finds it when no bind
 * address is configured. The Node may not be registered yet when the proxy starts: it is looked for until timeoutMs.
 */
export async function nodePrimaryIP(client: ApiClient, nodeName: string, timeoutMs = 60_000): Promise<string> {
  const deadline = Date.now() + timeoutMs;
  let last = 'not found';
  for (;;) {
    try {
      const node = await client.get<Node>(Resources.nodes, undefined, nodeName);
      const addrs = node.status?.addresses ?? [];
      const ip = (addrs.find((a) => a.type === 'InternalIP') ?? addrs.find((a) => a.type === 'ExternalIP'))?.address;
      if (ip) return ip;
      last = 'has no InternalIP or ExternalIP';
    } catch (e) {
      last = (e as Error).message;
    }
    if (Date.now() >= deadline) throw new Error(`node "${nodeName}": ${last}; set --hostname-override to the Node's name, or bindAddress to its IP`);
    await new Promise((r) => setTimeout(r, 1000));
  }
}
