// coordination.k8s.io/v1: Leases. Only the fields kubets uses are typed; objects travel as plain JSON,
// so unknown fields pass through untouched.
import type { KubeObject } from './meta.js';

export interface Lease extends KubeObject {
  spec: {
    holderIdentity?: string;
    leaseDurationSeconds?: number;
    acquireTime?: string;
    renewTime?: string;
    leaseTransitions?: number;
  };
}
