// The subresources with storage of their own, by name (kube: the "<resource>/<subresource>" entries of the storage
// maps in pkg/registry/*/rest): a kind serves those its discovery entry lists.
import { scale } from './apps/scale.js';
import { csrApproval } from './certificates/approval.js';
import { namespaceFinalize } from './core/namespace-finalize.js';
import { podBinding } from './core/pod-binding.js';
import { podEphemeralContainers } from './core/pod-ephemeral.js';
import { podEviction } from './core/pod-eviction.js';
import { podAttach, podExec, podLog, podPortForward } from './core/pod-kubelet.js';
import { proxy } from './core/proxy.js';
import { serviceAccountToken } from './core/serviceaccount-token.js';
import type { Subresource } from './rest.js';

export const subresources: Readonly<Record<string, Subresource>> = {
  binding: podBinding,
  eviction: podEviction,
  log: podLog,
  exec: podExec,
  attach: podAttach,
  portforward: podPortForward,
  ephemeralcontainers: podEphemeralContainers,
  proxy,
  scale,
  finalize: namespaceFinalize,
  token: serviceAccountToken,
  approval: csrApproval,
};
