// The part of the CRI v1 runtime and image services the kubelet uses. CriClient (cri/client.ts) implements it over
// gRPC; unit tests implement it in memory. Requests and responses are plain objects with the proto's own field names.
import type { CriClient } from './cri/client.js';

export type {
  Container as CriContainer,
  ContainerConfig,
  ContainerStatus as CriContainerStatus,
  DNSConfig,
  Image as CriImage,
  LinuxContainerResources,
  LinuxContainerSecurityContext,
  LinuxSandboxSecurityContext,
  Mount,
  NamespaceOption,
  PodSandbox as CriPodSandbox,
  PodSandboxConfig,
  PodSandboxStatus as CriPodSandboxStatus,
  PortMapping,
} from './cri/client.js';

export type RuntimeService = Pick<
  CriClient,
  | 'version'
  | 'status'
  | 'runPodSandbox'
  | 'stopPodSandbox'
  | 'removePodSandbox'
  | 'podSandboxStatus'
  | 'listPodSandbox'
  | 'createContainer'
  | 'startContainer'
  | 'stopContainer'
  | 'removeContainer'
  | 'reopenContainerLog'
  | 'listContainers'
  | 'containerStatus'
  | 'execSync'
  | 'imageStatus'
  | 'listImages'
  | 'pullImage'
>;

// Labels and annotations kubelet puts on sandboxes and containers; they are how a restarted agent recognises its pods.
export const Label = {
  podName: 'io.kubernetes.pod.name',
  podNamespace: 'io.kubernetes.pod.namespace',
  podUID: 'io.kubernetes.pod.uid',
  containerName: 'io.kubernetes.container.name',
} as const;
export const Annotation = {
  containerHash: 'io.kubernetes.container.hash',
  restartCount: 'io.kubernetes.container.restartCount',
  terminationGracePeriod: 'io.kubernetes.pod.terminationGracePeriod',
} as const;
