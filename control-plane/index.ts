// `kubets server`: the control plane in one process, started as a linear sequence of named steps — certificates,
// store, API server, bootstrap objects, then the scheduler and controllers, which reach the API over loopback HTTPS
// like any other client.
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { ApiClient } from '../api/client.js';
import { logger } from '../api/log.js';
import { nthAddress } from '../api/net.js';
import { ensureCA, issueCert, kubeconfigYaml, writeClientKubeconfig, type KeyPair } from '../api/pki.js';
import type { ServerConfig } from './config.js';
import { admissionChain } from './apiserver/admission/chain.js';
import { LimitRanger } from './apiserver/admission/limitranger.js';
import { NamespaceLifecycle } from './apiserver/admission/namespacelifecycle.js';
import { ResourceQuota } from './apiserver/admission/resourcequota.js';
import { ServiceAllocation } from './apiserver/admission/serviceallocation.js';
import { bootstrap } from './apiserver/bootstrap.js';
import { GenericStore } from './apiserver/registry/store.js';
import { createApiServer } from './apiserver/server.js';
import { startControllers } from './controllers/index.js';
import { startScheduler } from './scheduler/index.js';
import { openStore } from './storage/index.js';

const log = logger('server');

export interface RunningServer {
  adminKubeconfig: string;
  url: string;
  close(): Promise<void>;
}

async function step<T>(name: string, fn: () => Promise<T>): Promise<T> {
  try {
    return await fn();
  } catch (e) {
    throw new Error(`${name}: ${(e as Error).message}`, { cause: e });
  }
}

/** The serving certificate, re-issued when the wanted SANs change (e.g. a new advertise address). */
async function servingCert(pki: string, ca: KeyPair, ips: string[], dnsNames: string[]): Promise<KeyPair> {
  const crt = path.join(pki, 'apiserver.crt');
  const key = path.join(pki, 'apiserver.key');
  const sansFile = path.join(pki, 'apiserver.sans');
  const sans = JSON.stringify({ ips, dnsNames });
  if (fs.existsSync(crt) && fs.existsSync(key) && fs.existsSync(sansFile) && fs.readFileSync(sansFile, 'utf8') === sans)
    return { certPem: fs.readFileSync(crt, 'utf8'), keyPem: fs.readFileSync(key, 'utf8') };
  const kp = await issueCert(ca, { commonName: 'kube-apiserver', ips, dnsNames, server: true });
  fs.writeFileSync(key, kp.keyPem, { mode: 0o600 });
  fs.writeFileSync(crt, kp.certPem);
  fs.writeFileSync(sansFile, sans);
  return kp;
}

/** The kubelet client certificate, issued once and kept in the pki dir. */
async function kubeletClientCert(pki: string, ca: KeyPair): Promise<KeyPair> {
  const crt = path.join(pki, 'apiserver-kubelet-client.crt');
  const key = path.join(pki, 'apiserver-kubelet-client.key');
  if (fs.existsSync(crt) && fs.existsSync(key)) return { certPem: fs.readFileSync(crt, 'utf8'), keyPem: fs.readFileSync(key, 'utf8') };
  const kp = await issueCert(ca, { commonName: 'kube-apiserver-kubelet-client', organizations: ['system:masters'], client: true });
  fs.writeFileSync(key, kp.keyPem, { mode: 0o600 });
  fs.writeFileSync(crt, kp.certPem);
  return kp;
}

export async function startServer(config: ServerConfig): Promise<RunningServer> {
  const closers: (() => Promise<void> | void)[] = [];
  const close = async () => {
    for (const c of closers.splice(0).reverse()) await c();
  };
  try {
    const pki = path.join(config.dataDir, 'pki');
    fs.mkdirSync(pki, { recursive: true, mode: 0o700 });
    const ca = await step('certificate authority', () => ensureCA(pki));
    // The service CIDR's first address is the `kubernetes` Service's ClusterIP (10.96.0.1).
    const serviceIP = nthAddress(config.serviceCIDR, 1);
    const ips = [...new Set([config.advertiseAddress, '127.0.0.1', serviceIP, ...config.extraSANs.filter((s) => /^[\d.]+$/.test(s))])];
    const dnsNames = [...new Set(['localhost', 'kubernetes', 'kubernetes.default', 'kubernetes.default.svc', 'kubernetes.default.svc.cluster.local', os.hostname(), ...config.extraSANs.filter((s) => !/^[\d.]+$/.test(s))])];
    const serving = await step('serving certificate', () => servingCert(pki, ca, ips, dnsNames));
    // The API server's identity towards kubelets (pods/log, pods/exec), as kube-apiserver's --kubelet-client-certificate.
    const kubeletClient = await step('kubelet client certificate', () => kubeletClientCert(pki, ca));

    const store = await step('datastore', () => openStore(config));
    closers.push(() => store.close());
    // Admission plugins in kube-apiserver's order. Mutating, before validation: the namespace must exist, limits fill
    // pod defaults, services get their addresses. Validating, after: limits are checked, quota charges the object.
    const admission = admissionChain([new NamespaceLifecycle(store), new LimitRanger(store), new ServiceAllocation(store, config.serviceCIDR, config.nodePortRange), new ResourceQuota(store)]);
    const registry = new GenericStore(store, admission);

    const server = createApiServer({
      cert: serving.certPem,
      key: serving.keyPem,
      ca: ca.certPem,
      store: registry,
      advertiseAddress: config.advertiseAddress,
      port: config.port,
      ready: async () => (await store.currentRevision()) > 0,
      kubeletClient,
    });
    await step(`listen on ${config.bindAddress}:${config.port}`, () => new Promise<void>((resolve, reject) => {
      server.once('error', reject);
      server.listen(config.port, config.bindAddress, () => resolve());
    }));
    closers.push(() => new Promise<void>((r) => {
      server.close(() => r());
      server.closeAllConnections();
    }));
    const url = `https://${config.advertiseAddress}:${config.port}`;
    log.info({ url }, 'API server listening');

    await step('bootstrap objects', () => bootstrap(registry, { serviceIP, advertiseAddress: config.advertiseAddress, port: config.port }));

    const adminKubeconfig = path.join(config.dataDir, 'admin.kubeconfig');
    const admin = await issueCert(ca, { commonName: 'kubernetes-admin', organizations: ['system:masters'], client: true });
    fs.writeFileSync(adminKubeconfig, kubeconfigYaml({ server: url, caPem: ca.certPem, userName: 'kubernetes-admin', certPem: admin.certPem, keyPem: admin.keyPem }), { mode: 0o600 });

    if (config.runControllers) {
      const loopback = `https://127.0.0.1:${config.port}`;
      const cmKubeconfig = path.join(config.dataDir, 'controller-manager.kubeconfig');
      const schedKubeconfig = path.join(config.dataDir, 'scheduler.kubeconfig');
      await writeClientKubeconfig(cmKubeconfig, ca, loopback, 'system:kube-controller-manager', []);
      await writeClientKubeconfig(schedKubeconfig, ca, loopback, 'system:kube-scheduler', []);
      const cmClient = ApiClient.fromKubeconfig(cmKubeconfig, 'kube-controller-manager/kubets');
      const schedClient = ApiClient.fromKubeconfig(schedKubeconfig, 'kube-scheduler/kubets');
      const controllers = await step('controllers', () => startControllers(cmClient, config));
      closers.push(() => controllers.close());
      closers.push(() => cmClient.close());
      const scheduler = await step('scheduler', () => startScheduler(schedClient));
      closers.push(() => scheduler.close());
      closers.push(() => schedClient.close());
    }
    return { adminKubeconfig, url, close };
  } catch (e) {
    await close();
    throw e;
  }
}
