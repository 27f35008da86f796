// The control plane's one typed config, computed once from flags by the CLI.
import { defaultPodNetwork, type PodNetworkMode } from '../api/podnetwork.js';

export interface ServerConfig {
  /** Holds the SQLite database, pki/ (CA and serving certificate) and admin.kubeconfig. */
  dataDir: string;
  bindAddress: string;
  port: number;
  /** Address written into kubeconfigs and added to the serving certificate's SANs. */
  advertiseAddress: string;
  /** Extra SANs (IPs or DNS names) for the serving certificate. */
  extraSANs: string[];
  /** "sqlite" (default, DATA_DIR/state.db) or etcd://host:port[,host:port…]. */
  datastore: string;
  clusterCIDR: string;
  nodeCIDRMaskSize: number;
  /** The cluster's pod network (host-gw or vxlan), published for agents that are not given one (api/podnetwork.ts). */
  podNetwork: PodNetworkMode;
  serviceCIDR: string;
  nodePortRange: [number, number];
  /** Run the scheduler and controllers in this process (they still talk to the API over HTTPS). */
  runControllers: boolean;
  /** Seconds without a Lease renewal before a node is marked NotReady. */
  nodeMonitorGracePeriodSeconds: number;
  /** --token-auth-file: static bearer tokens in kube-apiserver's CSV format. */
  tokenAuthFile?: string;
  /** --encryption-provider-config: an EncryptionConfiguration for data at rest. */
  encryptionProviderConfig?: string;
  /** --service-account-issuer (default https://kubernetes.default.svc.cluster.local). */
  serviceAccountIssuer?: string;
  /** --etcd-cafile / --etcd-certfile / --etcd-keyfile: TLS to an etcd datastore given with https:// endpoints. */
  etcdCAFile?: string;
  etcdCertFile?: string;
  etcdKeyFile?: string;
  /** Requests served at once before 429: read-only and mutating (kube-apiserver's 400 and 200). */
  maxRequestsInflight: number;
  maxMutatingRequestsInflight: number;
  /** --watch-cache: serve lists, gets at resourceVersion 0 and watches from memory (kube-apiserver's default, on). */
  watchCache: boolean;
  /** --horizontal-pod-autoscaler-sync-period: how often each HPA is reconciled (15 s unless set). */
  horizontalPodAutoscalerSyncPeriodSeconds?: number;
}

export const serverDefaults = {
  bindAddress: '0.0.0.0',
  port: 6443,
  datastore: 'sqlite',
  clusterCIDR: '10.244.0.0/16',
  nodeCIDRMaskSize: 24,
  podNetwork: defaultPodNetwork,
  serviceCIDR: '10.96.0.0/12',
  nodePortRange: [30000, 32767] as [number, number],
  runControllers: true,
  nodeMonitorGracePeriodSeconds: 40,
  maxRequestsInflight: 400,
  maxMutatingRequestsInflight: 200,
  watchCache: true,
} as const;

/** kube-controller-manager's settings: the part of the server's config its controllers read. */
export type ControllerManagerConfig = Pick<ServerConfig, 'clusterCIDR' | 'nodeCIDRMaskSize' | 'nodeMonitorGracePeriodSeconds' | 'horizontalPodAutoscalerSyncPeriodSeconds'>;
