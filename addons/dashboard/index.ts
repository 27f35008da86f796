// The Dashboard add-on (kube: kubernetes/dashboard): start-up as named steps — find the API server (its URL and CA
// only; the dashboard holds no credentials of its own to act with), a self-signed serving certificate, the HTTPS
// server with the app and the API proxy — closed in reverse by close() or at once if a step fails.
import fs from 'node:fs';
import path from 'node:path';
import { inClusterServer, loadKubeconfig, serviceAccountDir } from '../../api/client.js';
import { boundPort, closeServer, listen } from '../../api/listen.js';
import { logger } from '../../api/log.js';
import { selfSignedServingCert } from '../../api/pki.js';
import { Startup } from '../../api/startup.js';
import type { DashboardConfig } from './config.js';
import { bundledApp, createDashboardServer, type Upstream } from './server.js';

export { dashboardDefaults, type DashboardConfig } from './config.js';
export { dashboardManifests, dashboardNames } from './manifests.js';

const log = logger('dashboard');

/** The API server's URL and CA: from the kubeconfig's cluster, else in-cluster; --apiserver-host overrides the URL. */
export function locateApiServer(config: Pick<DashboardConfig, 'kubeconfig' | 'apiServerHost'>, env: NodeJS.ProcessEnv = process.env, saDir = serviceAccountDir): Upstream {
  if (config.kubeconfig) {
    const k = loadKubeconfig(config.kubeconfig);
    return { server: config.apiServerHost ?? k.server, ca: k.ca };
  }
  if (config.apiServerHost) return { server: config.apiServerHost, ca: fs.readFileSync(path.join(saDir, 'ca.crt')) };
  return inClusterServer(env, saDir);
}

export interface RunningDashboard {
  port(): number;
  close(): Promise<void>;
}

export async function startDashboard(config: DashboardConfig): Promise<RunningDashboard> {
  const startup = new Startup('dashboard', log);
  const upstream = await startup.step('locate the API server', () => locateApiServer(config));
  const serving = await startup.step('serving certificate', () => selfSignedServingCert('dashboard', ['dashboard', 'dashboard.kube-system', 'dashboard.kube-system.svc', 'localhost']));
  const app = bundledApp();
  const { server, close } = createDashboardServer(serving, upstream, app);
  startup.own('api proxy', { close });
  const at = `${config.bindAddress.includes(':') ? `[${config.bindAddress}]` : config.bindAddress}:${config.securePort}`;
  await startup.step(`serve on ${at}`, () => listen(server, at));
  startup.own('https server', { close: () => closeServer(server) });
  const port = boundPort(server);
  log.info({ port, apiServer: upstream.server }, 'dashboard serving');
  return { port: () => port, close: () => startup.close() };
}
