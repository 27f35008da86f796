// `kubets dns`: the cluster DNS add-on (CoreDNS's role) — flags into one DNSConfig, then addons/dns's startDNS().
import path from 'node:path';
import type { ParseArgsConfig } from 'node:util';
import { dnsDefaults, type DNSConfig } from '../addons/dns/config.js';
import { portFlag, type CommandContext } from './command.js';

export function dnsCommand(ctx: CommandContext) {
  const port = (value: string | boolean | undefined, flag: string, dflt: number) => portFlag(ctx, value, flag, dflt);
  return {
    summary: 'Run the cluster DNS server (CoreDNS for Kubernetes): Service and Pod records, forwarding with a cache',
    usage: 'kubets dns [--kubeconfig FILE] [--listen ADDR] [--cluster-domain DOMAIN] [--upstream IP:PORT,…] [--metrics-port 9153]',
    options: {
      kubeconfig: { type: 'string' },
      listen: { type: 'string' },
      'cluster-domain': { type: 'string' },
      upstream: { type: 'string' },
      'resolv-conf': { type: 'string' },
      ttl: { type: 'string' },
      'metrics-port': { type: 'string' },
      'health-port': { type: 'string' },
      'ready-port': { type: 'string' },
    } satisfies NonNullable<ParseArgsConfig['options']>,
    help: {
      kubeconfig: 'kubeconfig to watch the API with (default: in-cluster, the pod\'s service account)',
      listen: `address:port to answer DNS on, UDP and TCP (default ${dnsDefaults.listen})`,
      'cluster-domain': `the zone served from Services and Pods (default ${dnsDefaults.clusterDomain})`,
      upstream: 'resolvers for every other name, IP[:PORT],… (default: the nameservers of --resolv-conf)',
      'resolv-conf': `where the node's resolvers are read from (default ${dnsDefaults.resolvConf})`,
      ttl: `TTL of cluster records, seconds (default ${dnsDefaults.ttl})`,
      'metrics-port': `Prometheus /metrics port, on the listen address (default ${dnsDefaults.metricsPort})`,
      'health-port': `/health port (default ${dnsDefaults.healthPort})`,
      'ready-port': `/ready port (default ${dnsDefaults.readyPort})`,
    } as Record<string, string>,
    async run(v: Record<string, string | boolean | undefined>): Promise<void> {
      const ttl = v.ttl === undefined ? dnsDefaults.ttl : Number(v.ttl);
      if (!Number.isInteger(ttl) || ttl < 0 || ttl > 3600) throw new ctx.UsageError(`--ttl "${v.ttl}": want 0 to 3600 seconds`);
      const listen = String(v.listen ?? dnsDefaults.listen);
      if (!/^(\[[^\]]+\]|[^:\[\]]*):\d{1,5}$/.test(listen)) throw new ctx.UsageError(`--listen "${listen}": want address:port, e.g. :53 or 127.0.0.1:1053`);
      const domain = String(v['cluster-domain'] ?? dnsDefaults.clusterDomain);
      if (!/^[a-z0-9]([a-z0-9-]*[a-z0-9])?(\.[a-z0-9]([a-z0-9-]*[a-z0-9])?)*\.?$/i.test(domain)) throw new ctx.UsageError(`--cluster-domain "${domain}": want a domain name`);
      const config: DNSConfig = {
        ...dnsDefaults,
        kubeconfig: v.kubeconfig ? path.resolve(String(v.kubeconfig)) : undefined,
        listen,
        clusterDomain: domain,
        ttl,
        upstreams: v.upstream ? String(v.upstream).split(',').map((s) => s.trim()).filter(Boolean) : [],
        resolvConf: String(v['resolv-conf'] ?? dnsDefaults.resolvConf),
        metricsPort: port(v['metrics-port'], 'metrics-port', dnsDefaults.metricsPort),
        healthPort: port(v['health-port'], 'health-port', dnsDefaults.healthPort),
        readyPort: port(v['ready-port'], 'ready-port', dnsDefaults.readyPort),
      };
      const { normalizeUpstream } = await import('../addons/dns/forward.js');
      for (const u of config.upstreams) {
        try {
          normalizeUpstream(u);
        } catch (e) {
          throw new ctx.UsageError(`--upstream: ${(e as Error).message}`);
        }
      }
      const { startDNS } = await import('../addons/dns/index.js');
      const dns = await startDNS(config);
      const ports = dns.ports();
      process.stderr.write(`kubets dns: serving ${config.clusterDomain} on ${config.listen} (port ${ports.dns}); metrics :${ports.metrics}, health :${ports.health}, ready :${ports.ready}\n`);
      await ctx.untilSignal(() => dns.close());
    },
  };
}
