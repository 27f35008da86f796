// apiregistration.k8s.io/v1: APIServices, the group-versions the aggregator serves locally or proxies to a Service.
import type { KubeObject } from './meta.js';

export interface APIServiceCondition {
  type: 'Available' | string;
  status: 'True' | 'False' | 'Unknown';
  lastTransitionTime?: string;
  reason?: string;
  message?: string;
}

export interface APIService extends KubeObject {
  spec: {
    /** Where the group-version is served; absent for the API server's own (Local) ones. */
    service?: { namespace: string; name: string; port?: number };
    group?: string;
    version?: string;
    insecureSkipTLSVerify?: boolean;
    /** PEM CA bundle, base64 as every []byte field. */
    caBundle?: string;
    groupPriorityMinimum: number;
    versionPriority: number;
  };
  status?: { conditions?: APIServiceCondition[] };
}
