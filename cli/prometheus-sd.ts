// `kubets prometheus-sd`: Prometheus' Kubernetes discovery over HTTP SD (addons/prometheus/discovery.ts), the
// companion of Debian's Prometheus (built without kubernetes_sd_configs) in the monitoring add-on's pod.
import path from 'node:path';
import type { ParseArgsConfig } from 'node:util';
import { prometheusDefaults } from '../addons/prometheus/manifests.js';
import type { CommandContext } from './command.js';

export function prometheusSDCommand(ctx: CommandContext) {
  const dflt = `127.0.0.1:${prometheusDefaults.discoveryPort}`;
  return {
    summary: "Serve Prometheus' Kubernetes service discovery (node, endpoints, pod roles) over HTTP SD, read through the API",
    usage: `kubets prometheus-sd [--kubeconfig FILE] [--bind-address ${dflt}]`,
    options: {
      kubeconfig: { type: 'string' },
      'bind-address': { type: 'string' },
    } satisfies NonNullable<ParseArgsConfig['options']>,
    help: {
      kubeconfig: "kubeconfig to reach the API with (default: in-cluster, the pod's service account)",
      'bind-address': `host:port of GET /sd/{node,endpoints,pod}[?namespace=NS] (default ${dflt})`,
    } as Record<string, string>,
    async run(v: Record<string, string | boolean | undefined>): Promise<void> {
      const [{ ApiClient }, { DiscoveryServer }] = await Promise.all([import('../api/client.js'), import('../addons/prometheus/discovery.js')]);
      const client = ApiClient.forComponent(v.kubeconfig ? path.resolve(String(v.kubeconfig)) : undefined, 'prometheus-sd/kubets');
      const server = new DiscoveryServer(client, String(v['bind-address'] ?? dflt));
      await server.listen();
      process.stderr.write(`kubets prometheus-sd: serving HTTP SD on ${v['bind-address'] ?? dflt}\n`);
      await ctx.untilSignal(async () => {
        await server.close();
        client.close();
      });
    },
  };
}
