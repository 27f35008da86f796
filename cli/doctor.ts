// `kubets doctor network`: compares what this node's kernel has programmed (proxy rules, host-gw routes) with what the
// API says should be there, and prints each difference on one line; exit status 1 when there are some.
import path from 'node:path';
import type { ParseArgsConfig } from 'node:util';
import type { CommandContext } from './command.js';

export function doctorCommand(ctx: Pick<CommandContext, 'UsageError'>) {
  return {
    summary: "Check this node's network against the API: proxy rules for every Service, routes to every other node",
    usage: 'kubets doctor network [--kubeconfig FILE] [--node NAME] [--proxy-mode iptables|nftables|ipvs]',
    options: {
      kubeconfig: { type: 'string' },
      node: { type: 'string' },
      'proxy-mode': { type: 'string' },
    } satisfies NonNullable<ParseArgsConfig['options']>,
    help: {
      kubeconfig: 'kubeconfig that may list Services, EndpointSlices and Nodes (default $KUBECONFIG)',
      node: "this node's name (default: the Node whose InternalIP is an address here)",
      'proxy-mode': "the rules to check: iptables, nftables or ipvs (default: what this node's proxy answers at 127.0.0.1:10249/proxyMode)",
    } as Record<string, string>,
    async run(v: Record<string, string | boolean | undefined>, positionals: string[]): Promise<void> {
      if (positionals[0] !== 'network' || positionals.length > 1) throw new ctx.UsageError(positionals[0] ? `unknown doctor check "${positionals.join(' ')}"` : 'doctor needs a check: network');
      const kubeconfig = (v.kubeconfig as string | undefined) ?? process.env.KUBECONFIG;
      if (!kubeconfig) throw new ctx.UsageError('--kubeconfig (or $KUBECONFIG) is required');
      const mode = v['proxy-mode'] as string | undefined;
      if (mode !== undefined && mode !== 'iptables' && mode !== 'nftables' && mode !== 'ipvs') throw new ctx.UsageError(`--proxy-mode "${mode}": want iptables, nftables or ipvs`);
      const [{ ApiClient, loadKubeconfig }, { hostExec }, { checkNetwork }] = await Promise.all([
        import('../api/client.js'),
        import('../agent/proxy/exec.js'),
        import('../agent/doctor/index.js'),
      ]);
      const client = new ApiClient({ ...loadKubeconfig(path.resolve(kubeconfig)), userAgent: 'kubets-doctor' });
      try {
        const report = await checkNetwork({ client, exec: hostExec, nodeName: v.node as string | undefined, proxyMode: mode });
        for (const d of report.differences) process.stdout.write(`${d.message}\n`);
        const n = report.differences.length;
        process.stderr.write(
          `kubets doctor network: node ${report.nodeName}, ${report.proxyMode} mode: ${report.servicePorts} service ports, ${report.routes} peer routes checked${report.podNetwork === 'vxlan' ? ' (vxlan: with their neighbour and FDB entries)' : ''}; ${n ? `${n} difference${n > 1 ? 's' : ''}` : 'no differences'}\n`,
        );
        if (n > 0) process.exitCode = 1;
      } finally {
        client.close();
      }
    },
  };
}
