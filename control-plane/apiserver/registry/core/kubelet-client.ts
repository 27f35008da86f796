// The API server's client towards kubelets (kube: pkg/kubelet/client/kubelet_client.go): its identity, the kubelet's
// address from the Node, and requests to the kubelet's HTTPS port.
import https from 'node:https';
import { StatusError } from '../../../../api/errors.js';
import type { Node } from '../../../../api/types.js';
import { findByPlural } from '../kinds.js';
import type { GenericStore } from '../store.js';

/** The API server's client identity towards kubelets (CN kube-apiserver-kubelet-client, O system:masters). */
export interface KubeletClientConfig {
  certPem: string;
  keyPem: string;
  /** The CA kubelet serving certificates must chain to (--kubelet-certificate-authority): the cluster CA. */
  caPem: string;
  /** Per-request timeout for reaching the kubelet and getting its answer's head; default 30 s. */
  connectTimeoutMs?: number;
}

export interface KubeletAddress {
  host: string;
  port: number;
}

const DEFAULT_KUBELET_PORT = 10250;

/** The kubelet's address from the Node: its InternalIP and the port it advertises. */
export async function kubeletAddress(store: GenericStore, nodeName: string): Promise<KubeletAddress> {
  const nodes = findByPlural('', 'v1', 'nodes')!;
  const node = (await store.get(nodes, undefined, nodeName)) as Node;
  const addresses = node.status?.addresses ?? [];
  const host = addresses.find((a) => a.type === 'InternalIP')?.address ?? addresses.find((a) => a.type === 'Hostname')?.address;
  if (!host) throw new StatusError(503, 'ServiceUnavailable', `node "${nodeName}" has no InternalIP address`);
  const port = (node.status as { daemonEndpoints?: { kubeletEndpoint?: { Port?: number } } } | undefined)?.daemonEndpoints?.kubeletEndpoint?.Port || DEFAULT_KUBELET_PORT;
  return { host, port };
}

export function kubeletConfig(cfg: KubeletClientConfig | undefined): KubeletClientConfig {
  if (!cfg) throw new StatusError(503, 'ServiceUnavailable', 'this API server has no kubelet client credentials configured');
  return cfg;
}

export function kubeletRequest(cfg: KubeletClientConfig, t: KubeletAddress, path: string, method: string, headers: Record<string, string> | string[] = {}) {
  return https.request({ host: t.host, port: t.port, path, method, headers, cert: cfg.certPem, key: cfg.keyPem, ca: cfg.caPem, agent: false, timeout: cfg.connectTimeoutMs ?? 30_000 });
}

/** The kubelet could not be reached or did not answer: the backend is unavailable, as for any proxied call. */
export const kubeletError = (t: KubeletAddress, path: string, e: Error) => new StatusError(503, 'ServiceUnavailable', `Get "https://${t.host}:${t.port}${path}": ${e.message}`);
