// `kubets server`: the whole control plane in one process (the light, k3s-like mode): the API server, then the
// controller manager and scheduler, which reach it over loopback HTTPS with their own certificates like any other
// client. On a kubeadm-shaped master the same three run apart, as static pods (`kubets apiserver`,
// `kubets controller-manager`, `kubets scheduler`).
import path from 'node:path';
import { ApiClient } from '../api/client.js';
import { writeClientKubeconfig } from '../api/pki.js';
import { Closers, step } from '../api/startup.js';
import { startApiServer } from './apiserver/index.js';
import type { ServerConfig } from './config.js';
import { startControllerManager } from './controllers/index.js';
import { startScheduler } from './scheduler/index.js';

export interface RunningServer {
  adminKubeconfig: string;
  url: string;
  close(): Promise<void>;
}

export async function startServer(config: ServerConfig): Promise<RunningServer> {
  const closers = new Closers();
  try {
    const api = await startApiServer(config);
    closers.push(() => api.close());
    if (config.runControllers) {
      const loopback = `https://127.0.0.1:${config.port}`;
      const cmKubeconfig = path.join(config.dataDir, 'controller-manager.kubeconfig');
      const schedKubeconfig = path.join(config.dataDir, 'scheduler.kubeconfig');
      await writeClientKubeconfig(cmKubeconfig, api.ca, loopback, 'system:kube-controller-manager', []);
      await writeClientKubeconfig(schedKubeconfig, api.ca, loopback, 'system:kube-scheduler', []);
      const cmClient = ApiClient.fromKubeconfig(cmKubeconfig, 'kube-controller-manager/kubets');
      closers.push(() => cmClient.close());
      const controllers = await step('controllers', () => startControllerManager(cmClient, config, { ca: api.ca }));
      closers.push(() => controllers.close());
      const schedClient = ApiClient.fromKubeconfig(schedKubeconfig, 'kube-scheduler/kubets');
      closers.push(() => schedClient.close());
      const scheduler = await step('scheduler', () => startScheduler(schedClient));
      closers.push(() => scheduler.close());
    }
    return { adminKubeconfig: api.adminKubeconfig, url: api.url, close: () => closers.close() };
  } catch (e) {
    await closers.close();
    throw e;
  }
}
