// `kubets dashboard`: the web UI add-on (kubernetes/dashboard's role) — flags into one DashboardConfig, then
// addons/dashboard's startDashboard().
import path from 'node:path';
import type { ParseArgsConfig } from 'node:util';
import { dashboardDefaults, type DashboardConfig } from '../addons/dashboard/config.js';
import { portFlag, type CommandContext } from './command.js';

export function dashboardCommand(ctx: CommandContext) {
  return {
    summary: 'Run the Dashboard: the web UI on HTTPS, acting with each logged-in user\'s bearer token',
    usage: 'kubets dashboard [--kubeconfig FILE] [--apiserver-host https://HOST:PORT] [--bind-address ADDR] [--secure-port 8443]',
    options: {
      kubeconfig: { type: 'string' },
      'apiserver-host': { type: 'string' },
      'bind-address': { type: 'string' },
      'secure-port': { type: 'string' },
    } satisfies NonNullable<ParseArgsConfig['options']>,
    help: {
      kubeconfig: 'kubeconfig naming the API server and its CA; its credentials are never used (default: in-cluster)',
      'apiserver-host': 'the API server\'s URL, https://HOST:PORT (default: from the kubeconfig or in-cluster)',
      'bind-address': `address to listen on (default ${dashboardDefaults.bindAddress})`,
      'secure-port': `HTTPS port (default ${dashboardDefaults.securePort})`,
    } as Record<string, string>,
    async run(v: Record<string, string | boolean | undefined>): Promise<void> {
      const host = v['apiserver-host'] === undefined ? undefined : String(v['apiserver-host']);
      if (host !== undefined && !/^https:\/\/[^/\s]+\/?$/.test(host)) throw new ctx.UsageError(`--apiserver-host "${host}": want https://HOST:PORT`);
      const bind = String(v['bind-address'] ?? dashboardDefaults.bindAddress);
      if (!/^[0-9a-fA-F.:]+$|^localhost$/.test(bind)) throw new ctx.UsageError(`--bind-address "${bind}": want an IP address`);
      const config: DashboardConfig = {
        ...dashboardDefaults,
        kubeconfig: v.kubeconfig ? path.resolve(String(v.kubeconfig)) : undefined,
        apiServerHost: host?.replace(/\/$/, ''),
        bindAddress: bind,
        securePort: portFlag(ctx, v['secure-port'], 'secure-port', dashboardDefaults.securePort),
      };
      const { startDashboard } = await import('../addons/dashboard/index.js');
      const running = await startDashboard(config);
      process.stderr.write(`kubets dashboard: serving https on ${config.bindAddress}:${running.port()}\n`);
      await ctx.untilSignal(() => running.close());
    },
  };
}
