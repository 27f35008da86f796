// `kubets metrics-server`: the resource metrics add-on (metrics-server's role) — flags into one MetricsServerConfig,
// then addons/metrics-server's startMetricsServer().
import path from 'node:path';
import type { ParseArgsConfig } from 'node:util';
import { metricsServerDefaults, type MetricsServerConfig } from '../addons/metrics-server/config.js';
import { portFlag, type CommandContext } from './command.js';

/** A Go duration of whole or fractional seconds, minutes or milliseconds ("15s", "1m", "500ms") in ms. */
export function parseDuration(v: string): number | undefined {
  const m = /^(\d+(?:\.\d+)?)(ms|s|m|h)$/.exec(v);
  if (!m) return undefined;
  return Number(m[1]) * { ms: 1, s: 1000, m: 60_000, h: 3_600_000 }[m[2] as 'ms' | 's' | 'm' | 'h'];
}

export function metricsServerCommand(ctx: CommandContext) {
  return {
    summary: 'Run metrics-server: scrape every kubelet\'s resource metrics and serve metrics.k8s.io (kubectl top, autoscaling)',
    usage: 'kubets metrics-server [--kubeconfig FILE] [--secure-port 10250] [--bind-address ADDR] [--metric-resolution 15s] [--kubelet-port 10250] [--kubelet-use-node-status-port] [--kubelet-insecure-tls] [--kubelet-preferred-address-types T,…]',
    options: {
      kubeconfig: { type: 'string' },
      'secure-port': { type: 'string' },
      'bind-address': { type: 'string' },
      'metric-resolution': { type: 'string' },
      'kubelet-port': { type: 'string' },
      'kubelet-use-node-status-port': { type: 'boolean' },
      'kubelet-insecure-tls': { type: 'boolean' },
      'kubelet-preferred-address-types': { type: 'string' },
      'cert-dir': { type: 'string' },
    } satisfies NonNullable<ParseArgsConfig['options']>,
    help: {
      kubeconfig: 'kubeconfig to reach the API with (default: in-cluster, the pod\'s service account)',
      'secure-port': `HTTPS port of the metrics API (default ${metricsServerDefaults.securePort})`,
      'bind-address': `address the metrics API listens on (default ${metricsServerDefaults.bindAddress})`,
      'metric-resolution': 'how often kubelets are scraped, a duration of at least 1s (default 15s)',
      'kubelet-port': `the kubelets' port (default ${metricsServerDefaults.kubeletPort})`,
      'kubelet-use-node-status-port': 'use the port in each node\'s status.daemonEndpoints instead',
      'kubelet-insecure-tls': 'do not verify the kubelets\' serving certificates',
      'kubelet-preferred-address-types': `node address types to try, in order (default ${metricsServerDefaults.preferredAddressTypes.join(',')})`,
      'cert-dir': 'accepted for compatibility; the serving certificate is made in memory',
    } as Record<string, string>,
    async run(v: Record<string, string | boolean | undefined>): Promise<void> {
      const resolution = v['metric-resolution'] === undefined ? metricsServerDefaults.metricResolutionMs : parseDuration(String(v['metric-resolution']));
      if (resolution === undefined || resolution < 1000) throw new ctx.UsageError(`--metric-resolution "${v['metric-resolution']}": want a duration of at least 1s, e.g. 15s`);
      const types = v['kubelet-preferred-address-types'] ? String(v['kubelet-preferred-address-types']).split(',').map((s) => s.trim()).filter(Boolean) : metricsServerDefaults.preferredAddressTypes;
      const config: MetricsServerConfig = {
        ...metricsServerDefaults,
        kubeconfig: v.kubeconfig ? path.resolve(String(v.kubeconfig)) : undefined,
        securePort: portFlag(ctx, v['secure-port'], 'secure-port', metricsServerDefaults.securePort),
        bindAddress: String(v['bind-address'] ?? metricsServerDefaults.bindAddress),
        metricResolutionMs: resolution,
        kubeletPort: portFlag(ctx, v['kubelet-port'], 'kubelet-port', metricsServerDefaults.kubeletPort),
        useNodeStatusPort: !!v['kubelet-use-node-status-port'],
        kubeletInsecureTLS: !!v['kubelet-insecure-tls'],
        preferredAddressTypes: types,
      };
      const { startMetricsServer } = await import('../addons/metrics-server/index.js');
      const running = await startMetricsServer(config);
      process.stderr.write(`kubets metrics-server: serving metrics.k8s.io/v1beta1 on https ${config.bindAddress}:${running.port()}, scraping every ${resolution / 1000}s\n`);
      await ctx.untilSignal(() => running.close());
    },
  };
}
