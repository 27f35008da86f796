// discovery.k8s.io/v1: EndpointSlices. Only the fields kubets uses are typed; objects travel as plain JSON,
// so unknown fields pass through untouched.
import type { KubeObject } from './meta.js';
import type { EndpointPort } from './core.js';

export interface SliceEndpoint {
  addresses: string[];
  conditions?: { ready?: boolean; serving?: boolean; terminating?: boolean };
  nodeName?: string;
  zone?: string;
  hostname?: string;
  targetRef?: { kind: string; namespace?: string; name: string; uid?: string };
}
export interface EndpointSlice extends KubeObject {
  addressType: 'IPv4' | 'IPv6' | 'FQDN';
  endpoints: SliceEndpoint[] | null;
  ports?: EndpointPort[] | null;
}
