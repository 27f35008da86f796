// The agent's one typed config, computed once from flags by the CLI and passed down to every node subsystem.
import type { PodNetworkMode } from '../api/podnetwork.js';
import type { JoinConfig } from './bootstrap.js';
import { proxyDefaults } from './proxy/config.js';
import type { ProxyMode } from './proxy/modes.js';

export interface AgentConfig {
  /** Node name as registered in the API (e.g. "worker1"). */
  nodeName: string;
  /** The node's InternalIP; also the address NodePorts answer on. */
  nodeIP: string;
  /** The node's kubeconfig; written by the join when absent (default DATA_DIR/kubelet.kubeconfig). */
  kubeconfig: string;
  /** Joining with a bootstrap token when the node has no kubeconfig yet (kubeadm join's discovery + TLS bootstrap). */
  join?: JoinConfig;
  /** Renew the client certificate through CSRs before it expires, and get the :10250 serving certificate the same way. */
  rotateCertificates: boolean;
  /** Run kube-proxy inside the agent (k3s-style single process) with its own system:kube-proxy credentials. */
  embeddedProxy: boolean;
  /** Enforce NetworkPolicies on this node's pods (nftables table `inet kubets-netpol`). */
  networkPolicy: boolean;
  /** Where the agent keeps its state: containerd root/state, CNI config and IPAM data, pod volumes. */
  dataDir: string;
  /** Static pod manifests (kubelet's staticPodPath): the pods described there run with or without an API server. */
  podManifestPath: string;
  /** Root of the pods' log directories, <ns>_<pod>_<uid>/<container>/<n>.log (kubelet's /var/log/pods). */
  podLogDir: string;
  /** containerd's socket. With runContainerd the agent starts containerd itself and owns this path. */
  containerdSocket: string;
  /** Start and supervise containerd as a child (the lab does this; a systemd install uses the host's containerd). */
  runContainerd: boolean;
  /** Image archives (*.tar, OCI layout) imported into containerd at start, like k3s's airgap images. */
  imagesDir?: string;
  /** Directory of CNI plugin binaries (Debian: /usr/lib/cni). */
  cniBinDir: string;
  /** Directory the agent writes its CNI conflist into and containerd reads it from. */
  cniConfDir: string;
  /** Taints to register the Node with, e.g. node-role.kubernetes.io/control-plane:NoSchedule. */
  registerWithTaints: { key: string; value?: string; effect: 'NoSchedule' | 'PreferNoSchedule' | 'NoExecute' }[];
  /** Extra labels to register the Node with. */
  nodeLabels: Record<string, string>;
  /** Cgroup parent for every pod's sandbox, so all of a node's pods can be found (and, in the lab, cleaned up). */
  cgroupParent: string;
  /** Image used for the pod sandbox ("pause") container. */
  sandboxImage: string;
  /**
   * How pods reach other nodes' pods: host-gw routes or a VXLAN overlay. Unset: the cluster's choice, which the
   * control plane publishes (kube-system/kubets-pod-network), else host-gw.
   */
  podNetwork?: PodNetworkMode;
  /** kube-proxy mode: iptables (default), nftables, or ipvs (where the kernel has it). */
  proxyMode: ProxyMode;
  clusterCIDR: string;
  serviceCIDR: string;
  clusterDNS: string;
  clusterDomain: string;
  /** Address the proxy's :10249 metrics and :10256 health servers bind to. */
  proxyMetricsBindAddress: string;
  proxyHealthzBindAddress: string;
}

export const agentDefaults = {
  cniBinDir: '/usr/lib/cni',
  sandboxImage: 'kubets.local/pause:3.9',
  proxyMode: proxyDefaults.mode,
  rotateCertificates: true,
  embeddedProxy: true,
  networkPolicy: true,
  clusterCIDR: proxyDefaults.clusterCIDR,
  serviceCIDR: proxyDefaults.serviceCIDR,
  clusterDNS: '10.96.0.10',
  clusterDomain: 'cluster.local',
  proxyMetricsBindAddress: proxyDefaults.metricsBindAddress,
  proxyHealthzBindAddress: proxyDefaults.healthzBindAddress,
  podManifestPath: '/etc/kubernetes/manifests',
  podLogDir: '/var/log/pods',
} as const;
