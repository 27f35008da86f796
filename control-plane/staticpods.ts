// kubeadm init's certs, kubeconfig, etcd and control-plane phases (cmd/kubeadm/app/phases/{certs,kubeconfig,etcd,
// controlplane}): the files a kubeadm-shaped master needs under /etc/kubernetes — the cluster CA, etcd's own CA and
// certificates, the kubeconfigs of the admin, the controller manager, the scheduler and the master's kubelet — and the
// four static pod manifests the master's kubelet runs: etcd (Debian's etcd in its own image), and `kubets apiserver`,
// `kubets controller-manager`, `kubets scheduler` from the kubets image, all on the host network.
import fs from 'node:fs';
import path from 'node:path';
import { stringify as toYaml } from 'yaml';
import { createCA, ensureCA, ensureKeyPair, issueCert, writeClientKubeconfig, type KeyPair } from '../api/pki.js';
import type { PodNetworkMode } from '../api/podnetwork.js';
import type { Container, Pod, Probe } from '../api/types.js';
import { SYSTEM_NODE_CRITICAL_PRIORITY } from './apiserver/registry/scheduling/priorityclass.js';
import { serverDefaults } from './config.js';

export interface ControlPlaneOptions {
  /** The master's Node name: static pods are named <component>-<node>. */
  nodeName: string;
  /** The address the API server and etcd's peer listener advertise (the master's node IP). */
  advertiseAddress: string;
  port?: number;
  /** The kubets image and the etcd image (both built locally and imported on the node). */
  image: string;
  etcdImage: string;
  serviceCIDR?: string;
  clusterCIDR?: string;
  nodeCIDRMaskSize?: number;
  /** The cluster's pod network, which the API server publishes for the agents (kubets-pod-network ConfigMap). */
  podNetwork?: PodNetworkMode;
  /** How the files below are named on the node itself (kubeadm's /etc/kubernetes and /var/lib/etcd). */
  etcDir?: string;
  etcdDataDir?: string;
}

/** Where kubeadm keeps a master's files, as the node sees them. */
export const kubeadmPaths = { etcDir: '/etc/kubernetes', etcdDataDir: '/var/lib/etcd' } as const;

export const controlPlaneComponents = ['etcd', 'kube-apiserver', 'kube-controller-manager', 'kube-scheduler'] as const;

/** File names under the etc dir. */
export const controlPlaneFiles = {
  manifests: 'manifests',
  pki: 'pki',
  admin: 'admin.conf',
  controllerManager: 'controller-manager.conf',
  scheduler: 'scheduler.conf',
  kubelet: 'kubelet.conf',
} as const;

/** A kubeconfig with a client certificate, made once. */
async function clientKubeconfig(file: string, ca: KeyPair, server: string, user: string, groups: string[]): Promise<void> {
  if (!fs.existsSync(file)) await writeClientKubeconfig(file, ca, server, user, groups);
}

/** Writes a file whole: the kubelet never reads half a manifest (dotfiles are skipped by its file source). */
function writeWhole(file: string, text: string): void {
  const tmp = path.join(path.dirname(file), `.${path.basename(file)}.tmp`);
  fs.writeFileSync(tmp, text, { mode: 0o600 });
  fs.renameSync(tmp, file);
}

/**
 * Writes a master's certificates, kubeconfigs and static pod manifests under `hostEtcDir` — the node's etc dir as this
 * process reaches it (the node's own /etc/kubernetes on a real host). Certificates and kubeconfigs already there are
 * kept; manifests are rewritten (the kubelet restarts a pod only when its manifest changed).
 */
export async function writeControlPlane(hostEtcDir: string, o: ControlPlaneOptions): Promise<{ adminKubeconfig: string; kubeletKubeconfig: string; manifests: string[] }> {
  const port = o.port ?? serverDefaults.port;
  const pki = path.join(hostEtcDir, controlPlaneFiles.pki);
  fs.mkdirSync(path.join(hostEtcDir, controlPlaneFiles.manifests), { recursive: true });
  const ca = await ensureCA(pki);
  const etcdCA = await ensureKeyPair(path.join(pki, 'etcd'), 'ca', () => createCA('etcd-ca'));
  const etcdSANs = { ips: ['127.0.0.1', o.advertiseAddress], dnsNames: ['localhost', o.nodeName] };
  // etcd serves clients and peers with one identity each, both ways authenticated by etcd's CA.
  await ensureKeyPair(path.join(pki, 'etcd'), 'server', () => issueCert(etcdCA, { commonName: o.nodeName, ...etcdSANs, server: true, client: true }));
  await ensureKeyPair(path.join(pki, 'etcd'), 'peer', () => issueCert(etcdCA, { commonName: o.nodeName, ...etcdSANs, server: true, client: true }));
  await ensureKeyPair(pki, 'apiserver-etcd-client', () => issueCert(etcdCA, { commonName: 'kube-apiserver-etcd-client', client: true }));

  const local = `https://127.0.0.1:${port}`;
  const advertised = `https://${o.advertiseAddress}:${port}`;
  const file = (name: string) => path.join(hostEtcDir, name);
  await clientKubeconfig(file(controlPlaneFiles.admin), ca, advertised, 'kubernetes-admin', ['system:masters']);
  await clientKubeconfig(file(controlPlaneFiles.controllerManager), ca, local, 'system:kube-controller-manager', []);
  await clientKubeconfig(file(controlPlaneFiles.scheduler), ca, local, 'system:kube-scheduler', []);
  // The master's kubelet gets its credentials here, as kubeadm's kubelet.conf: there is no API yet to join through.
  await clientKubeconfig(file(controlPlaneFiles.kubelet), ca, advertised, `system:node:${o.nodeName}`, ['system:nodes']);

  const manifests = controlPlaneManifests(o).map((pod) => {
    const f = path.join(hostEtcDir, controlPlaneFiles.manifests, `${pod.metadata.name}.yaml`);
    writeWhole(f, toYaml(pod));
    return f;
  });
  return { adminKubeconfig: file(controlPlaneFiles.admin), kubeletKubeconfig: file(controlPlaneFiles.kubelet), manifests };
}

const hostPathVolume = (name: string, p: string, type: string) => ({ name, hostPath: { path: p, type } });

function staticPod(component: string, container: Container & Record<string, unknown>, volumes: { name: string; hostPath: { path: string; type: string } }[]): Pod {
  return {
    apiVersion: 'v1',
    kind: 'Pod',
    metadata: { name: component, namespace: 'kube-system', labels: { component, tier: 'control-plane' } },
    spec: {
      hostNetwork: true,
      // kubeadm writes the class's value too: the kubelet knows a static pod is critical before any API server runs.
      priority: SYSTEM_NODE_CRITICAL_PRIORITY,
      priorityClassName: 'system-node-critical',
      containers: [{ ...container, name: component, imagePullPolicy: 'IfNotPresent' }],
      volumes,
    },
  } as Pod;
}

/** kubeadm's probe timings: a generous start-up, then liveness every 10 s. */
function probes(get: NonNullable<Probe['httpGet']>, readyPath?: string): Record<string, Probe> {
  const base = { initialDelaySeconds: 10, periodSeconds: 10, timeoutSeconds: 15 };
  return {
    livenessProbe: { httpGet: get, ...base, failureThreshold: 8 },
    startupProbe: { httpGet: get, ...base, failureThreshold: 24 },
    ...(readyPath ? { readinessProbe: { httpGet: { ...get, path: readyPath }, periodSeconds: 1, timeoutSeconds: 15, failureThreshold: 3 } } : {}),
  };
}

/** The four static pods, as the node sees their files. */
export function controlPlaneManifests(o: ControlPlaneOptions): Pod[] {
  const etc = o.etcDir ?? kubeadmPaths.etcDir;
  const etcdData = o.etcdDataDir ?? kubeadmPaths.etcdDataDir;
  const pki = `${etc}/${controlPlaneFiles.pki}`;
  const ip = o.advertiseAddress;
  const port = o.port ?? serverDefaults.port;

  const etcd = staticPod(
    'etcd',
    {
      name: 'etcd',
      image: o.etcdImage,
      command: [
        'etcd',
        `--name=${o.nodeName}`,
        `--data-dir=${etcdData}`,
        `--advertise-client-urls=https://${ip}:2379`,
        `--listen-client-urls=https://127.0.0.1:2379,https://${ip}:2379`,
        `--initial-advertise-peer-urls=https://${ip}:2380`,
        `--listen-peer-urls=https://${ip}:2380`,
        `--initial-cluster=${o.nodeName}=https://${ip}:2380`,
        '--listen-metrics-urls=http://127.0.0.1:2381',
        `--cert-file=${pki}/etcd/server.crt`,
        `--key-file=${pki}/etcd/server.key`,
        '--client-cert-auth=true',
        `--trusted-ca-file=${pki}/etcd/ca.crt`,
        `--peer-cert-file=${pki}/etcd/peer.crt`,
        `--peer-key-file=${pki}/etcd/peer.key`,
        '--peer-client-cert-auth=true',
        `--peer-trusted-ca-file=${pki}/etcd/ca.crt`,
        '--snapshot-count=10000',
      ],
      resources: { requests: { cpu: '100m', memory: '100Mi' } },
      ...probes({ host: '127.0.0.1', path: '/health', port: 2381, scheme: 'HTTP' }),
      volumeMounts: [
        { name: 'etcd-data', mountPath: etcdData },
        { name: 'etcd-certs', mountPath: `${pki}/etcd` },
      ],
    },
    [hostPathVolume('etcd-certs', `${pki}/etcd`, 'DirectoryOrCreate'), hostPathVolume('etcd-data', etcdData, 'DirectoryOrCreate')],
  );
  (etcd.metadata.annotations ??= {})['kubeadm.kubernetes.io/etcd.advertise-client-urls'] = `https://${ip}:2379`;

  const apiserver = staticPod(
    'kube-apiserver',
    {
      name: 'kube-apiserver',
      image: o.image,
      command: [
        'kubets',
        'apiserver',
        `--advertise-address=${ip}`,
        '--bind-address=0.0.0.0',
        `--port=${port}`,
        // pki/, and the admin kubeconfig it writes, under the master's etc dir.
        `--data-dir=${etc}`,
        '--datastore=https://127.0.0.1:2379',
        `--etcd-cafile=${pki}/etcd/ca.crt`,
        `--etcd-certfile=${pki}/apiserver-etcd-client.crt`,
        `--etcd-keyfile=${pki}/apiserver-etcd-client.key`,
        `--service-cidr=${o.serviceCIDR ?? serverDefaults.serviceCIDR}`,
        `--tls-san=${o.nodeName}`,
        // The cluster's pod network, which the API server publishes for the agents with the cluster CIDR.
        ...(o.clusterCIDR || o.podNetwork ? [`--cluster-cidr=${o.clusterCIDR ?? serverDefaults.clusterCIDR}`] : []),
        ...(o.podNetwork ? [`--pod-network=${o.podNetwork}`] : []),
      ],
      resources: { requests: { cpu: '250m' } },
      ...probes({ host: ip, path: '/livez', port, scheme: 'HTTPS' }, '/readyz'),
      volumeMounts: [{ name: 'k8s-etc', mountPath: etc }],
    },
    [hostPathVolume('k8s-etc', etc, 'DirectoryOrCreate')],
  );
  (apiserver.metadata.annotations ??= {})['kubeadm.kubernetes.io/kube-apiserver.advertise-address.endpoint'] = `${ip}:${port}`;

  const controllerManager = staticPod(
    'kube-controller-manager',
    {
      name: 'kube-controller-manager',
      image: o.image,
      command: [
        'kubets',
        'controller-manager',
        `--kubeconfig=${etc}/${controlPlaneFiles.controllerManager}`,
        `--cluster-signing-cert-file=${pki}/ca.crt`,
        `--cluster-signing-key-file=${pki}/ca.key`,
        `--root-ca-file=${pki}/ca.crt`,
        `--cluster-cidr=${o.clusterCIDR ?? serverDefaults.clusterCIDR}`,
        `--node-cidr-mask-size=${o.nodeCIDRMaskSize ?? serverDefaults.nodeCIDRMaskSize}`,
        '--leader-elect=true',
      ],
      resources: { requests: { cpu: '200m' } },
      volumeMounts: [
        { name: 'k8s-certs', mountPath: pki, readOnly: true },
        { name: 'kubeconfig', mountPath: `${etc}/${controlPlaneFiles.controllerManager}`, readOnly: true },
      ],
    },
    [hostPathVolume('k8s-certs', pki, 'DirectoryOrCreate'), hostPathVolume('kubeconfig', `${etc}/${controlPlaneFiles.controllerManager}`, 'FileOrCreate')],
  );

  const scheduler = staticPod(
    'kube-scheduler',
    {
      name: 'kube-scheduler',
      image: o.image,
      command: ['kubets', 'scheduler', `--kubeconfig=${etc}/${controlPlaneFiles.scheduler}`, '--leader-elect=true'],
      resources: { requests: { cpu: '100m' } },
      volumeMounts: [{ name: 'kubeconfig', mountPath: `${etc}/${controlPlaneFiles.scheduler}`, readOnly: true }],
    },
    [hostPathVolume('kubeconfig', `${etc}/${controlPlaneFiles.scheduler}`, 'FileOrCreate')],
  );

  return [etcd, apiserver, controllerManager, scheduler];
}
