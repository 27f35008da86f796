// The kubelet: node registration and status, the node lease, and pod management over the CRI. The agent wires these
// in order (agent/index.ts); each part owns its loops and has an idempotent close().
export { registerNode, registerNodeWhenReachable, waitForPodCIDR, startNodeStatus, nodeStatus, machineInfo, kubeletVersion, kubeletPort } from './node.js';
export { startLease, desiredLease, leaseNamespace } from './lease.js';
export { startPodManagement, startStaticPods, PodManager, type PodManagement, type PodManagerOptions, type StaticPods } from './pods.js';
export { computePodActions, type PodActions } from './actions.js';
export { computePodStatus, apiStatusWriter, StatusManager, type StatusWriter } from './status.js';
export type { RuntimeService } from './runtime.js';
export type { SpecOptions } from './specs.js';
export type { Loop } from './loop.js';
