// certificates.k8s.io/v1: CertificateSigningRequests. Only the fields kubets uses are typed; objects travel as plain JSON,
// so unknown fields pass through untouched.
import type { Condition } from './core.js';
import type { KubeObject } from './meta.js';

export interface CertificateSigningRequest extends KubeObject {
  spec: {
    /** PEM PKCS#10, base64-encoded in JSON. */
    request: string;
    signerName: string;
    expirationSeconds?: number;
    usages?: string[];
    username?: string;
    uid?: string;
    groups?: string[];
    extra?: Record<string, string[]>;
  };
  status?: {
    conditions?: (Condition & { lastUpdateTime?: string })[];
    /** PEM certificate chain, base64-encoded in JSON. */
    certificate?: string;
  };
}

export const SIGNERS = {
  kubeletClient: 'kubernetes.io/kube-apiserver-client-kubelet',
  kubeletServing: 'kubernetes.io/kubelet-serving',
  apiserverClient: 'kubernetes.io/kube-apiserver-client',
} as const;
