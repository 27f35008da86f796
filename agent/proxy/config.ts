// kube-proxy's configuration (KubeProxyConfiguration, kubeproxy.config.k8s.io/v1alpha1): the typed config startProxy
// runs with, its defaults, and the config file the kube-proxy DaemonSet mounts from the `kube-proxy` ConfigMap.
import { parse as parseYaml } from 'yaml';
import { parseDuration } from '../../api/time.js';
import { isProxyMode, proxyModes, type ProxyMode } from './modes.js';

export interface ProxyConfig {
  /** The Node this proxy programs (--hostname-override): its endpoints count as local. */
  nodeName: string;
  /** The node's primary IP: NodePorts answer here in nftables mode. */
  nodeIP: string;
  mode: ProxyMode;
  /** Pod network: traffic from outside it to a ClusterIP is masqueraded. */
  clusterCIDR: string;
  serviceCIDR: string;
  /** address:port of /metrics and /proxyMode (kube's 127.0.0.1:10249). */
  metricsBindAddress: string;
  /** address:port of /healthz and /livez (kube's 0.0.0.0:10256). */
  healthzBindAddress: string;
  /** Full resync period, and the retry interval after a failed sync (kube's 30 s). */
  syncPeriodMs: number;
  /** Least time between two syncs (kube's 1 s). */
  minSyncPeriodMs: number;
  /** IPVS mode: ipvs.scheduler (default rr) and ipvs.tcpTimeout/tcpFinTimeout/udpTimeout (unset: the kernel's). */
  ipvs?: IpvsConfig;
}

export interface IpvsConfig {
  scheduler?: string;
  tcpTimeoutMs?: number;
  tcpFinTimeoutMs?: number;
  udpTimeoutMs?: number;
}

export const proxyDefaults = {
  mode: 'iptables' as ProxyMode,
  clusterCIDR: '10.244.0.0/16',
  serviceCIDR: '10.96.0.0/12',
  metricsBindAddress: '127.0.0.1:10249',
  healthzBindAddress: '0.0.0.0:10256',
  syncPeriodMs: 30_000,
  minSyncPeriodMs: 1_000,
} as const;

/** What a KubeProxyConfiguration file sets; the rest comes from flags and defaults. */
export interface ProxyConfigFile extends Partial<ProxyConfig> {
  /** clientConnection.kubeconfig: empty means in-cluster (the pod's service account). */
  kubeconfig?: string;
  /** hostnameOverride. */
  nodeNameOverride?: string;
  /** bindAddress, when a specific address: the node IP. */
  bindAddress?: string;
}

/** Every field KubeProxyConfiguration v1alpha1 has; any other is a typo, refused as kube-proxy's strict decoding does. */
const KNOWN_FIELDS = new Set([
  'apiVersion', 'kind', 'bindAddress', 'bindAddressHardFail', 'clientConnection', 'clusterCIDR', 'configSyncPeriod',
  'conntrack', 'detectLocal', 'detectLocalMode', 'enableProfiling', 'featureGates', 'healthzBindAddress',
  'hostnameOverride', 'iptables', 'ipvs', 'logging', 'metricsBindAddress', 'mode', 'nftables', 'nodePortAddresses',
  'oomScoreAdj', 'portRange', 'showHiddenMetricsForVersion', 'winkernel', 'syncPeriod', 'minSyncPeriod',
]);

/** Parses a KubeProxyConfiguration document; errors name the file and the field. */
export function parseProxyConfigFile(text: string, file: string): ProxyConfigFile {
  let doc: Record<string, unknown>;
  try {
    doc = (parseYaml(text) ?? {}) as Record<string, unknown>;
  } catch (e) {
    throw new Error(`${file}: not YAML: ${(e as Error).message}`);
  }
  if (typeof doc !== 'object' || Array.isArray(doc)) throw new Error(`${file}: want a KubeProxyConfiguration object`);
  if (doc.kind !== undefined && doc.kind !== 'KubeProxyConfiguration') throw new Error(`${file}: kind "${String(doc.kind)}", want KubeProxyConfiguration`);
  if (doc.apiVersion !== undefined && doc.apiVersion !== 'kubeproxy.config.k8s.io/v1alpha1')
    throw new Error(`${file}: apiVersion "${String(doc.apiVersion)}", want kubeproxy.config.k8s.io/v1alpha1`);
  const unknown = Object.keys(doc).filter((k) => !KNOWN_FIELDS.has(k));
  if (unknown.length) throw new Error(`${file}: strict decoding error: unknown field${unknown.length > 1 ? 's' : ''} ${unknown.map((k) => `"${k}"`).join(', ')}`);

  const str = (v: unknown, field: string): string | undefined => {
    if (v === undefined || v === null || v === '') return undefined;
    if (typeof v !== 'string') throw new Error(`${file}: ${field} must be a string`);
    return v;
  };
  const duration = (v: unknown, field: string): number | undefined => {
    const s = str(v, field);
    if (s === undefined) return undefined;
    try {
      return parseDuration(s);
    } catch (e) {
      throw new Error(`${file}: ${field}: ${(e as Error).message}`);
    }
  };
  const out: ProxyConfigFile = {};
  const mode = str(doc.mode, 'mode');
  if (mode !== undefined) {
    if (!isProxyMode(mode)) throw new Error(`${file}: mode "${mode}": want one of ${proxyModes.join(', ')} (or empty for iptables)`);
    out.mode = mode;
  }
  const section = (name: string) => (doc[name] && typeof doc[name] === 'object' ? (doc[name] as Record<string, unknown>) : {});
  // The sync periods live under the mode's own section (iptables.syncPeriod …); a top-level one applies to all.
  const own = section(out.mode ?? proxyDefaults.mode);
  const sync = duration(own.syncPeriod, `${out.mode ?? proxyDefaults.mode}.syncPeriod`) ?? duration(doc.syncPeriod, 'syncPeriod');
  const minSync = duration(own.minSyncPeriod, `${out.mode ?? proxyDefaults.mode}.minSyncPeriod`) ?? duration(doc.minSyncPeriod, 'minSyncPeriod');
  if (sync !== undefined) out.syncPeriodMs = sync;
  if (minSync !== undefined) out.minSyncPeriodMs = minSync;
  const set = <K extends keyof ProxyConfigFile>(key: K, value: ProxyConfigFile[K] | undefined) => {
    if (value !== undefined) out[key] = value;
  };
  set('clusterCIDR', str(doc.clusterCIDR, 'clusterCIDR'));
  set('metricsBindAddress', str(doc.metricsBindAddress, 'metricsBindAddress'));
  set('healthzBindAddress', str(doc.healthzBindAddress, 'healthzBindAddress'));
  set('nodeNameOverride', str(doc.hostnameOverride, 'hostnameOverride'));
  set('kubeconfig', str(section('clientConnection').kubeconfig, 'clientConnection.kubeconfig'));
  const ipvsSection = section('ipvs');
  const ipvs: IpvsConfig = {};
  const scheduler = str(ipvsSection.scheduler, 'ipvs.scheduler');
  if (scheduler !== undefined) ipvs.scheduler = scheduler;
  for (const [field, key] of [['tcpTimeout', 'tcpTimeoutMs'], ['tcpFinTimeout', 'tcpFinTimeoutMs'], ['udpTimeout', 'udpTimeoutMs']] as const) {
    const ms = duration(ipvsSection[field], `ipvs.${field}`);
    if (ms) ipvs[key] = ms;
  }
  if (Object.keys(ipvs).length > 0) out.ipvs = ipvs;
  const bind = str(doc.bindAddress, 'bindAddress');
  if (bind && bind !== '0.0.0.0' && bind !== '::') out.bindAddress = bind;
  return out;
}

/** The KubeProxyConfiguration a cluster's `kube-proxy` ConfigMap carries (config.conf), as kubeadm writes it. */
export function proxyConfigFileText(o: { mode: ProxyMode; clusterCIDR: string; metricsBindAddress?: string }): string {
  return [
    'apiVersion: kubeproxy.config.k8s.io/v1alpha1',
    'kind: KubeProxyConfiguration',
    'bindAddress: 0.0.0.0',
    'clientConnection:',
    '  kubeconfig: /var/lib/kube-proxy/kubeconfig.conf',
    `clusterCIDR: ${o.clusterCIDR}`,
    'healthzBindAddress: 0.0.0.0:10256',
    `metricsBindAddress: ${o.metricsBindAddress ?? proxyDefaults.metricsBindAddress}`,
    `mode: ${o.mode}`,
    'iptables:',
    '  syncPeriod: 30s',
    '  minSyncPeriod: 1s',
    'nftables:',
    '  syncPeriod: 30s',
    '  minSyncPeriod: 1s',
    'ipvs:',
    '  syncPeriod: 30s',
    '  minSyncPeriod: 1s',
    '  scheduler: ""',
    '',
  ].join('\n');
}
