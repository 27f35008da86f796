// The lab's master in kubeadm's shape: its /etc/kubernetes (certificates, kubeconfigs, the four static pod manifests
// its kubelet runs), the wait for the API server those pods serve, then the add-ons (kube-proxy DaemonSet, CoreDNS)
// and the wait for kube-system to run — what `kubeadm init` does on a real master.
import path from 'node:path';
import { ApiClient, loadKubeconfig } from '../api/client.js';
import { sleep } from '../api/informer.js';
import type { PodNetworkMode } from '../api/podnetwork.js';
import { Resources } from '../api/resources.js';
import type { DaemonSet, Deployment, Pod } from '../api/types.js';
import { applyObjects, installAddons } from '../addons/index.js';
import { prometheusManifests } from '../addons/prometheus/manifests.js';
import type { ProxyMode } from '../agent/proxy/modes.js';
import { controlPlaneComponents, writeControlPlane } from '../control-plane/staticpods.js';
import { ETCD_IMAGE, KUBETS_IMAGE } from './images/build.js';
import { PROMETHEUS_IMAGE } from './images/prometheus.js';
import { LabError, withTimeout } from './exec.js';
import { apiServerURL, controlPlaneNode, labPaths, type LabSpec } from './spec.js';

/** Where a node's own /etc lives on the host: the upper layer of the overlay the node sees at /etc. */
export function nodeEtc(spec: LabSpec, node: string): string {
  return path.join(labPaths(spec).node(node).dir, 'overlay', 'etc', 'upper');
}

/** The master's kubeadm files, written into its own /etc/kubernetes; returns its admin kubeconfig (host path). */
export async function writeMasterFiles(spec: LabSpec, opts: { podNetwork?: PodNetworkMode } = {}): Promise<{ adminKubeconfig: string; kubeletKubeconfig: string }> {
  const cp = controlPlaneNode(spec);
  const out = await writeControlPlane(path.join(nodeEtc(spec, cp.name), 'kubernetes'), {
    nodeName: cp.name,
    advertiseAddress: cp.ip,
    port: spec.apiPort,
    image: KUBETS_IMAGE,
    etcdImage: ETCD_IMAGE,
    // The lab's nodes share the host's /var: etcd's data stays under the lab's root.
    etcdDataDir: path.join(labPaths(spec).node(cp.name).dir, 'etcd'),
    podNetwork: opts.podNetwork,
  });
  // The kubelet reads its kubeconfig at the path it has on the node.
  return { adminKubeconfig: out.adminKubeconfig, kubeletKubeconfig: '/etc/kubernetes/kubelet.conf' };
}

/** Waits for the API server the master's static pods run to answer /readyz. `alive` throws when a lab process died. */
export async function waitForApiServer(spec: LabSpec, adminKubeconfig: string, alive: () => void, deadline: number, where: string): Promise<void> {
  let last = 'not answering yet';
  while (Date.now() < deadline) {
    alive();
    const client = new ApiClient({ ...loadKubeconfig(adminKubeconfig), server: apiServerURL(spec), userAgent: 'kubets-lab' });
    try {
      const res = await withTimeout(client.raw('GET', '/readyz'), 5_000);
      if (res.status === 200) return;
      last = `HTTP ${res.status}: ${res.body.toString('utf8').trim().split('\n').filter((l) => l.startsWith('[-]')).join(', ').slice(0, 300)}`;
    } catch (err) {
      last = (err as Error).message;
    } finally {
      client.close();
    }
    await sleep(1000);
  }
  throw new LabError('LAB_TIMEOUT', `the API server (static pod kube-apiserver-${controlPlaneNode(spec).name}) did not become ready at ${apiServerURL(spec)}: ${last}; see ${where}\n(run \`kubets lab down\` to remove the lab)`);
}

export async function installLabAddons(spec: LabSpec, proxyMode: ProxyMode): Promise<void> {
  const client = ApiClient.fromKubeconfig(labPaths(spec).adminKubeconfig, 'kubets-lab');
  try {
    // kube-proxy's metrics on the node's addresses (kubeadm's default is loopback), for Prometheus to scrape.
    await installAddons(client, { image: KUBETS_IMAGE, apiServer: apiServerURL(spec), mode: proxyMode, metricsBindAddress: '0.0.0.0:10249' });
    // Prometheus in `monitoring`: it is not waited for (nothing in kube-system needs it).
    await applyObjects(client, prometheusManifests({ image: PROMETHEUS_IMAGE, kubetsImage: KUBETS_IMAGE }));
  } finally {
    client.close();
  }
}

/** What kube-system still lacks, or undefined once the static pods, kube-proxy everywhere and CoreDNS run. */
export async function kubeSystemMissing(client: ApiClient, spec: LabSpec): Promise<string | undefined> {
  const cp = controlPlaneNode(spec);
  const pods = (await client.list<Pod>(Resources.pods, 'kube-system')).items;
  const notRunning = controlPlaneComponents.map((c) => `${c}-${cp.name}`).filter((name) => pods.find((p) => p.metadata.name === name)?.status?.phase !== 'Running');
  if (notRunning.length) return `static pods not Running: ${notRunning.join(', ')}`;
  const ds = await client.get<DaemonSet>(Resources.daemonsets, 'kube-system', 'kube-proxy');
  if ((ds.status?.numberReady ?? 0) < spec.nodes.length) return `kube-proxy ready on ${ds.status?.numberReady ?? 0} of ${spec.nodes.length} nodes`;
  const dns = await client.get<Deployment>(Resources.deployments, 'kube-system', 'coredns');
  if ((dns.status?.availableReplicas ?? 0) < (dns.spec.replicas ?? 1)) return `coredns available ${dns.status?.availableReplicas ?? 0}/${dns.spec.replicas}`;
  return undefined;
}

export async function waitForKubeSystem(spec: LabSpec, alive: () => void, deadline: number): Promise<void> {
  const client = ApiClient.fromKubeconfig(labPaths(spec).adminKubeconfig, 'kubets-lab');
  let last = '';
  try {
    while (Date.now() < deadline) {
      alive();
      try {
        const missing = await withTimeout(kubeSystemMissing(client, spec), 10_000);
        if (!missing) return;
        last = missing;
      } catch (err) {
        last = (err as Error).message;
      }
      await sleep(1000);
    }
  } finally {
    client.close();
  }
  throw new LabError('LAB_TIMEOUT', `kube-system did not come up: ${last} (kubectl -n kube-system get pods; the pods' logs are under each node's /var/log/pods)\n(run \`kubets lab down\` to remove the lab)`);
}

