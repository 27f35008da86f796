// The node agent: a linear sequence of named start-up steps (k3s style), each wrapping its failure with the step's
// name. Whatever a step started is released, in reverse order, by close() — or at once if a later step fails.
// Closing the agent leaves pods running (containerd's shims keep them), as a kubelet restart does.
import path from 'node:path';
import { ApiClient, loadKubeconfig } from '../api/client.js';
import { logger } from '../api/log.js';
import { Startup } from '../api/startup.js';
import type { AgentConfig } from './config.js';
import { importImages, startContainerd } from './containerd/index.js';
import { CriClient } from './kubelet/cri/client.js';
import { registerNodeWhenReachable, startLease, startNodeStatus, startPodManagement, startStaticPods, waitForPodCIDR } from './kubelet/index.js';
import { apiReviewer } from './kubelet/auth.js';
import { requestServingCertificate, startClientCertificateRotation, startServingCertificateRotation } from './kubelet/certificates.js';
import { startKubeletServer } from './kubelet/server.js';
import { KubeletMetrics, startStats } from './kubelet/stats/index.js';
import { ensureNodeKubeconfig, ensureProxyKubeconfig } from './bootstrap.js';
import { clusterPodNetwork, startNetwork } from './network/index.js';
import { removeNetpolTable, startNetworkPolicy } from './networkpolicy/index.js';
import { checkProxyMode, hostExec, proxyDefaults, startProxy } from './proxy/index.js';
import { startLocalPathProvisioner } from './storage/index.js';

const log = logger('agent');

export interface Agent {
  /** Stops the agent's loops, proxy, network sync and (if it owns one) containerd. Idempotent. */
  close(): Promise<void>;
}

export interface AgentOptions {
  /** Aborts a start-up that is waiting (for containerd, for the podCIDR): the CLI's SIGTERM during start. */
  signal?: AbortSignal;
  /** Called when a part the agent cannot run without fails later (containerd exited). Default: log it. */
  onFatal?: (err: Error) => void;
  /** Called once the Node is registered with the API server (the agent's systemd readiness). */
  onRegistered?: (node: string) => void;
}

export async function startAgent(config: AgentConfig, opts: AgentOptions = {}): Promise<Agent> {
  const startup = new Startup('agent', log, { signal: opts.signal, onClosed: () => log.info({ node: config.nodeName }, 'agent stopped') });
  const step = <T>(name: string, run: () => Promise<T>) => startup.step(name, run);
  const own = <T extends { close(): Promise<void> | void }>(name: string, part: T) => startup.own(name, part);
  const close = () => startup.close();
  const fatal = opts.onFatal ?? ((err: Error) => log.error({ err: err.message }, 'agent cannot continue'));

  // 0. A proxy mode this kernel can't run stops start-up before anything is started, as kube-proxy's does.
  await step('check proxy mode', () => checkProxyMode(config.proxyMode));

  // 1. The container runtime: our own containerd child, or the one at the configured socket.
  let socket = config.containerdSocket;
  if (config.runContainerd) {
    const containerd = await step('start containerd', () =>
      startContainerd({
        dataDir: config.dataDir,
        containerdSocket: config.containerdSocket,
        sandboxImage: config.sandboxImage,
        cniBinDir: config.cniBinDir,
        cniConfDir: config.cniConfDir,
        onUnexpectedExit: (code, signal) => fatal(new Error(`containerd exited unexpectedly (code ${code}, signal ${signal})`)),
      }),
    );
    own('containerd', containerd);
    socket = containerd.socket;
  }

  // 2. Images from the images folder (the lab's airgap images).
  if (config.imagesDir) {
    const dir = config.imagesDir;
    await step('import images', () => importImages(socket, dir));
  }

  // 3. The CRI client the kubelet drives containerd with.
  const cri = own('CRI client', await step('connect to the CRI', () => CriClient.connect(socket, { timeoutMs: 30_000 })));

  // 4. The pod workers, running the static pods of the manifest path at once: before the API server can be reached
  //    (on a control plane node they are what serves it), and without one at all.
  const kubeletSpec = {
    dataDir: config.dataDir,
    podLogDir: config.podLogDir,
    cgroupParent: config.cgroupParent,
    clusterDNS: config.clusterDNS,
    clusterDomain: config.clusterDomain,
    nodeName: config.nodeName,
    nodeIP: config.nodeIP,
  };
  const kubeletMetrics = new KubeletMetrics(config.nodeName);
  const staticPods = own('pod workers', await step('start static pods', () => startStaticPods(cri, kubeletSpec, config.podManifestPath, { metrics: kubeletMetrics })));

  // 5. The node's credentials: kept from before, or obtained by joining with the bootstrap token.
  await step('join the cluster', () => ensureNodeKubeconfig(config.kubeconfig, config.nodeName, config.join, { signal: opts.signal }));
  const client = own('API client', await step('load kubeconfig', async () => ApiClient.fromKubeconfig(config.kubeconfig, `kubets-agent/${config.nodeName}`)));
  const clusterCA = String(loadKubeconfig(config.kubeconfig).ca);
  if (config.rotateCertificates && loadKubeconfig(config.kubeconfig).cert) own('client certificate rotation', startClientCertificateRotation(client, config.kubeconfig, config.nodeName));

  // 6. The Node object, once the API server answers.
  const node = await step('register node', () => registerNodeWhenReachable(client, config, cri, opts.signal));
  opts.onRegistered?.(config.nodeName);

  // 7. The node's pod CIDR, assigned by the control plane's node IPAM controller.
  const podCIDR = await step('wait for podCIDR', () => waitForPodCIDR(client, config.nodeName, opts.signal));
  log.info({ node: config.nodeName, podCIDR }, 'pod CIDR assigned');

  // 8. Pod networking: CNI conflist for the podCIDR, host-gw routes or the VXLAN overlay to the other nodes — the
  //    cluster's choice unless this node was given one.
  const podNetwork = config.podNetwork ?? (await step('read the cluster pod network', () => clusterPodNetwork(client)));
  own('network', await step('start pod network', () => startNetwork({ ...config, podNetwork }, client, podCIDR)));

  // 8b. NetworkPolicy enforcement beside the pods (what Calico's Felix does per node), with the node's credentials.
  if (config.networkPolicy) own('network policy', await step('start network policy', () => startNetworkPolicy(client, { nodeName: config.nodeName })));
  else await step('remove network policy rules', () => removeNetpolTable(hostExec));

  // 9. Heartbeats: the node lease and the node status.
  own('node lease', await step('start node lease', async () => startLease(client, node)));
  own('node status', await step('start node status', async () => startNodeStatus(client, config, cri)));

  // 9b. The local-path provisioner: volumes for the claims the scheduler selected to this node, kept in its data dir.
  own('local-path provisioner', await step('start local-path provisioner', () => startLocalPathProvisioner(client, { nodeName: config.nodeName, dataDir: config.dataDir })));

  // 10. The pods bound to this node, and mirror pods for the static ones.
  own('pods', await step('start pod management', () => startPodManagement(client, config.nodeName, cri, kubeletSpec, { manager: staticPods.manager })));

  // 11. The kubelet's HTTPS API on :10250 (logs, exec, stats, metrics) for the API server and scrapers: a serving
  //     certificate from the cluster CA, callers checked with TokenReview and SubjectAccessReview; the stats sampler
  //     behind /stats and /metrics.
  const stats = own('stats', await step('start stats', async () => startStats({ nodeName: config.nodeName, dataDir: config.dataDir, podLogDir: config.podLogDir, cgroupParent: config.cgroupParent, runtime: cri }, kubeletMetrics)));
  const servingOpts = { client, nodeName: config.nodeName, nodeIP: config.nodeIP, dataDir: config.dataDir, caPem: clusterCA, signal: opts.signal };
  const serving = config.rotateCertificates ? await step('serving certificate', () => requestServingCertificate(servingOpts)) : undefined;
  const kubeletServer = own(
    'kubelet server',
    await step('start kubelet server', () =>
      startKubeletServer({ nodeName: config.nodeName, nodeIP: config.nodeIP, dataDir: config.dataDir, clientCA: clusterCA, runtime: cri, reviewer: apiReviewer(client), serving, stats }),
    ),
  );
  if (serving) own('serving certificate rotation', startServingCertificateRotation(servingOpts, (kp) => kubeletServer.setCertificate(kp)));

  // 12. Services: kube-proxy, embedded, with its own system:kube-proxy identity.
  if (config.embeddedProxy) {
    const proxyKubeconfig = await step('kube-proxy credentials', () => ensureProxyKubeconfig(client, path.join(config.dataDir, 'kube-proxy.kubeconfig'), { signal: opts.signal }));
    const proxyClient = own('kube-proxy API client', ApiClient.fromKubeconfig(proxyKubeconfig, `kube-proxy/${config.nodeName}`));
    own('proxy', await step('start proxy', () => startProxy(
      {
        ...proxyDefaults,
        nodeName: config.nodeName,
        nodeIP: config.nodeIP,
        mode: config.proxyMode,
        clusterCIDR: config.clusterCIDR,
        serviceCIDR: config.serviceCIDR,
        metricsBindAddress: config.proxyMetricsBindAddress,
        healthzBindAddress: config.proxyHealthzBindAddress,
      },
      proxyClient,
    )));
  }

  log.info({ node: config.nodeName, podCIDR }, 'agent running');
  return { close };
}
