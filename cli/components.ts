// `kubets controller-manager`, `kubets scheduler` and `kubets proxy`: the control-plane components and kube-proxy as
// separate commands, flags named as kube-controller-manager's, kube-scheduler's and kube-proxy's, so a kubeadm-shaped
// cluster runs them as static pods and a DaemonSet. `kubets server` and `kubets agent` still run them in-process.
import fs from 'node:fs';
import path from 'node:path';
import type { ParseArgsConfig } from 'node:util';
import type { LeaderElectionConfig } from '../api/leaderelection.js';
import { parseDuration } from '../api/time.js';
import { serverDefaults } from '../control-plane/config.js';
import { isProxyMode, proxyModes } from '../agent/proxy/modes.js';
import { proxyDefaults, type ProxyConfig, type ProxyConfigFile } from '../agent/proxy/config.js';
import { portFlag, type CommandContext } from './command.js';
import type { ApiClient } from '../api/client.js';
import type { Registry } from 'prom-client';

/** kube-controller-manager's and kube-scheduler's secure ports (/healthz, /metrics). */
const SECURE_PORTS = { controllerManager: 10257, scheduler: 10259 } as const;

const servingOptions = { 'secure-port': { type: 'string' }, 'bind-address': { type: 'string' } } as const;
const servingHelp = (port: number) => ({
  'secure-port': `HTTPS port of /healthz and /metrics; 0 serves none (default ${port})`,
  'bind-address': 'address the secure port listens on (default 0.0.0.0)',
});

/** The component's secure port, unless --secure-port is 0. */
async function secureServing(v: Values, port: number, name: string, client: ApiClient, registry: Registry) {
  if (!port) return undefined;
  const { SecureServing } = await import('../api/secureserving.js');
  const bind = String(v['bind-address'] ?? '0.0.0.0');
  const serving = new SecureServing({ name, bindAddress: `${bind.includes(':') ? `[${bind}]` : bind}:${port}`, client, registry });
  await serving.listen();
  return serving;
}

type Values = Record<string, string | boolean | undefined>;

export function componentCommands(ctx: CommandContext) {
  const usage = (message: string) => new ctx.UsageError(message);

  const duration = (v: Values, flag: string, dflt: number): number => {
    if (v[flag] === undefined) return dflt;
    try {
      return parseDuration(String(v[flag]));
    } catch (e) {
      throw usage(`--${flag}: ${(e as Error).message}`);
    }
  };
  const bool = (v: Values, flag: string, dflt: boolean): boolean => {
    if (v[flag] === undefined) return dflt;
    if (v[flag] === 'true') return true;
    if (v[flag] === 'false') return false;
    throw usage(`--${flag} "${v[flag]}": want true or false`);
  };
  const int = (v: Values, flag: string, dflt: number, min: number, max: number): number => {
    if (v[flag] === undefined) return dflt;
    const n = Number(v[flag]);
    if (!Number.isInteger(n) || n < min || n > max) throw usage(`--${flag} "${v[flag]}": want a whole number from ${min} to ${max}`);
    return n;
  };
  const readable = (v: Values, flag: string): string => {
    if (!v[flag]) throw usage(`--${flag} is required`);
    const file = path.resolve(String(v[flag]));
    try {
      fs.accessSync(file, fs.constants.R_OK);
    } catch {
      throw usage(`--${flag} ${file}: no such readable file`);
    }
    return file;
  };

  // kube's leader-election flags: on by default (so a second copy waits), with client-go's 15 s / 10 s / 2 s.
  const electionOptions = {
    'leader-elect': { type: 'string' },
    'leader-elect-lease-duration': { type: 'string' },
    'leader-elect-renew-deadline': { type: 'string' },
    'leader-elect-retry-period': { type: 'string' },
  } satisfies NonNullable<ParseArgsConfig['options']>;
  const electionHelp = {
    'leader-elect': 'true (default) or false: act only while holding the component\'s Lease in kube-system, so several can run',
    'leader-elect-lease-duration': 'how long others wait after the last renewal before taking over (default 15s)',
    'leader-elect-renew-deadline': 'how long the leader keeps trying to renew before it gives up (default 10s)',
    'leader-elect-retry-period': 'how often candidates try to acquire or renew (default 2s)',
  };
  const election = (v: Values): Omit<LeaderElectionConfig, 'name'> | undefined => {
    if (!bool(v, 'leader-elect', true)) return undefined;
    const e = {
      leaseDurationMs: duration(v, 'leader-elect-lease-duration', 15_000),
      renewDeadlineMs: duration(v, 'leader-elect-renew-deadline', 10_000),
      retryPeriodMs: duration(v, 'leader-elect-retry-period', 2_000),
    };
    if (!(e.leaseDurationMs > e.renewDeadlineMs && e.renewDeadlineMs > e.retryPeriodMs && e.retryPeriodMs > 0))
      throw usage('leader election wants lease duration > renew deadline > retry period > 0');
    return e;
  };
  // As kube's components do: a process that lost its lease exits, and its supervisor starts a fresh candidate.
  const exitOnLost = (component: string) => () => {
    process.stderr.write(`kubets ${component}: leader election lost\n`);
    process.exit(1);
  };

  const controllerManager = {
    summary: 'Run the controller manager (kube-controller-manager): every controller, one leader at a time',
    usage: 'kubets controller-manager --kubeconfig FILE --cluster-signing-cert-file CRT --cluster-signing-key-file KEY [flags]',
    options: {
      kubeconfig: { type: 'string' },
      'cluster-signing-cert-file': { type: 'string' },
      'cluster-signing-key-file': { type: 'string' },
      'root-ca-file': { type: 'string' },
      'cluster-cidr': { type: 'string' },
      'node-cidr-mask-size': { type: 'string' },
      'node-monitor-grace-period': { type: 'string' },
      ...servingOptions,
      ...electionOptions,
    } satisfies NonNullable<ParseArgsConfig['options']>,
    help: {
      kubeconfig: 'credentials of system:kube-controller-manager (required)',
      'cluster-signing-cert-file': 'CA certificate that signs approved CSRs (required)',
      'cluster-signing-key-file': 'its key (required)',
      'root-ca-file': 'CA published to every namespace as kube-root-ca.crt (default: the signing certificate)',
      'cluster-cidr': `pod network node CIDRs are cut from (default ${serverDefaults.clusterCIDR})`,
      'node-cidr-mask-size': `prefix length of each node's pod CIDR (default ${serverDefaults.nodeCIDRMaskSize})`,
      'node-monitor-grace-period': `time without a heartbeat before a node is NotReady (default ${serverDefaults.nodeMonitorGracePeriodSeconds}s)`,
      ...servingHelp(SECURE_PORTS.controllerManager),
      ...electionHelp,
    } as Record<string, string>,
    async run(v: Values): Promise<void> {
      const kubeconfig = readable(v, 'kubeconfig');
      const certFile = readable(v, 'cluster-signing-cert-file');
      const keyFile = readable(v, 'cluster-signing-key-file');
      const rootCAFile = v['root-ca-file'] ? readable(v, 'root-ca-file') : undefined;
      const config = {
        clusterCIDR: String(v['cluster-cidr'] ?? serverDefaults.clusterCIDR),
        nodeCIDRMaskSize: int(v, 'node-cidr-mask-size', serverDefaults.nodeCIDRMaskSize, 8, 30),
        nodeMonitorGracePeriodSeconds: duration(v, 'node-monitor-grace-period', serverDefaults.nodeMonitorGracePeriodSeconds * 1000) / 1000,
      };
      const leaderElection = election(v);
      const port = portFlag(ctx, v['secure-port'], 'secure-port', SECURE_PORTS.controllerManager);
      process.title = 'kube-controller-manager';
      const { ApiClient } = await import('../api/client.js');
      const { startControllerManager } = await import('../control-plane/controllers/index.js');
      const { Registry, collectDefaultMetrics } = await import('prom-client');
      const { setWorkQueueMetricsProvider, WorkQueueMetrics } = await import('../api/workqueue.js');
      const client = ApiClient.fromKubeconfig(kubeconfig, 'kube-controller-manager/kubets');
      // The controllers' queues report to the registry the secure port serves.
      const registry = new Registry();
      collectDefaultMetrics({ register: registry });
      setWorkQueueMetricsProvider(new WorkQueueMetrics(registry));
      const serving = await secureServing(v, port, 'kube-controller-manager', client, registry);
      const ca = { certPem: fs.readFileSync(certFile, 'utf8'), keyPem: fs.readFileSync(keyFile, 'utf8') };
      const cm = await startControllerManager(client, config, {
        ca,
        rootCAPem: rootCAFile && fs.readFileSync(rootCAFile, 'utf8'),
        leaderElection,
        onLeadershipLost: exitOnLost('controller-manager'),
      });
      process.stderr.write(`kubets controller-manager: ${cm.identity ? `candidate ${cm.identity} for the lease kube-system/kube-controller-manager` : 'running'}\n`);
      await ctx.untilSignal(async () => {
        await cm.close();
        await serving?.close();
        client.close();
      });
    },
  };

  const scheduler = {
    summary: 'Run the scheduler (kube-scheduler): binds pending pods to nodes, one leader at a time',
    usage: 'kubets scheduler --kubeconfig FILE [--leader-elect true|false]',
    options: { kubeconfig: { type: 'string' }, ...servingOptions, ...electionOptions } satisfies NonNullable<ParseArgsConfig['options']>,
    help: { kubeconfig: 'credentials of system:kube-scheduler (required)', ...servingHelp(SECURE_PORTS.scheduler), ...electionHelp } as Record<string, string>,
    async run(v: Values): Promise<void> {
      const kubeconfig = readable(v, 'kubeconfig');
      const leaderElection = election(v);
      const port = portFlag(ctx, v['secure-port'], 'secure-port', SECURE_PORTS.scheduler);
      process.title = 'kube-scheduler';
      const { ApiClient } = await import('../api/client.js');
      const { startScheduler } = await import('../control-plane/scheduler/index.js');
      const { SchedulerMetrics } = await import('../control-plane/scheduler/metrics.js');
      const client = ApiClient.fromKubeconfig(kubeconfig, 'kube-scheduler/kubets');
      const metrics = new SchedulerMetrics();
      const serving = await secureServing(v, port, 'kube-scheduler', client, metrics.registry);
      const s = await startScheduler(client, { leaderElection, onLeadershipLost: exitOnLost('scheduler'), metrics });
      process.stderr.write(`kubets scheduler: ${s.identity ? `candidate ${s.identity} for the lease kube-system/kube-scheduler` : 'running'}\n`);
      await ctx.untilSignal(async () => {
        await s.close();
        await serving?.close();
        client.close();
      });
    },
  };

  const proxy = {
    ownConfigFile: true,
    summary: 'Run kube-proxy: Service rules in iptables, nftables or IPVS, :10249 metrics and /proxyMode, :10256 health',
    usage: 'kubets proxy [--config FILE] [--hostname-override NODE] [--kubeconfig FILE] [--proxy-mode MODE] [flags]',
    options: {
      config: { type: 'string' },
      kubeconfig: { type: 'string' },
      'hostname-override': { type: 'string' },
      'proxy-mode': { type: 'string' },
      'bind-address': { type: 'string' },
      'cluster-cidr': { type: 'string' },
      'service-cidr': { type: 'string' },
      'metrics-bind-address': { type: 'string' },
      'healthz-bind-address': { type: 'string' },
    } satisfies NonNullable<ParseArgsConfig['options']>,
    help: {
      config: 'a KubeProxyConfiguration file (the kube-proxy ConfigMap\'s config.conf); flags given here override it',
      kubeconfig: 'credentials (default: the file\'s clientConnection.kubeconfig, else in-cluster: the pod\'s service account)',
      'hostname-override': 'the Node this proxy runs for (default: the host name)',
      'proxy-mode': `${proxyModes.join(', ')} (default ${proxyDefaults.mode})`,
      'bind-address': 'the node\'s IP (default: the Node\'s InternalIP from the API)',
      'cluster-cidr': `pod network (default ${proxyDefaults.clusterCIDR})`,
      'service-cidr': `Service ClusterIP range (default ${proxyDefaults.serviceCIDR})`,
      'metrics-bind-address': `address:port of /metrics and /proxyMode (default ${proxyDefaults.metricsBindAddress})`,
      'healthz-bind-address': `address:port of /healthz and /livez (default ${proxyDefaults.healthzBindAddress})`,
    } as Record<string, string>,
    async run(v: Values): Promise<void> {
      const { parseProxyConfigFile } = await import('../agent/proxy/config.js');
      let file: ProxyConfigFile = {};
      if (v.config) {
        const configFile = readable(v, 'config');
        try {
          file = parseProxyConfigFile(fs.readFileSync(configFile, 'utf8'), configFile);
        } catch (e) {
          throw usage((e as Error).message);
        }
      }
      const mode = String(v['proxy-mode'] ?? file.mode ?? proxyDefaults.mode);
      if (!isProxyMode(mode)) throw usage(`--proxy-mode "${mode}": want one of ${proxyModes.join(', ')}`);
      const os = await import('node:os');
      const nodeName = String(v['hostname-override'] ?? file.nodeNameOverride ?? os.hostname()).toLowerCase();
      process.title = 'kube-proxy';
      const { ApiClient } = await import('../api/client.js');
      const { startProxy, nodePrimaryIP, checkProxyMode } = await import('../agent/proxy/index.js');
      await checkProxyMode(mode);
      const kubeconfig = (v.kubeconfig as string | undefined) ?? file.kubeconfig;
      const client = ApiClient.forComponent(kubeconfig, `kube-proxy/${nodeName}`);
      const bindAddress = (v['bind-address'] as string | undefined) ?? file.bindAddress;
      const nodeIP = bindAddress && bindAddress !== '0.0.0.0' ? bindAddress : await nodePrimaryIP(client, nodeName);
      const config: ProxyConfig = {
        nodeName,
        nodeIP,
        mode,
        clusterCIDR: String(v['cluster-cidr'] ?? file.clusterCIDR ?? proxyDefaults.clusterCIDR),
        serviceCIDR: String(v['service-cidr'] ?? proxyDefaults.serviceCIDR),
        metricsBindAddress: String(v['metrics-bind-address'] ?? file.metricsBindAddress ?? proxyDefaults.metricsBindAddress),
        healthzBindAddress: String(v['healthz-bind-address'] ?? file.healthzBindAddress ?? proxyDefaults.healthzBindAddress),
        syncPeriodMs: file.syncPeriodMs ?? proxyDefaults.syncPeriodMs,
        minSyncPeriodMs: file.minSyncPeriodMs ?? proxyDefaults.minSyncPeriodMs,
        ipvs: file.ipvs,
      };
      const running = await startProxy(config, client);
      process.stderr.write(`kubets proxy: ${mode} mode for node ${nodeName} (${nodeIP}); metrics ${config.metricsBindAddress}, healthz ${config.healthzBindAddress}\n`);
      await ctx.untilSignal(async () => {
        await running.close();
        client.close();
      });
    },
  };

  return { 'controller-manager': controllerManager, scheduler, proxy };
}
