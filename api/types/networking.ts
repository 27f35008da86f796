// networking.k8s.io/v1 kinds (k8s.io/api/networking/v1/types.go): NetworkPolicy. Only the fields kubets uses are
// typed; objects travel as plain JSON, so unknown fields pass through untouched.
import type { KubeObject, LabelSelector } from './meta.js';

export type PolicyType = 'Ingress' | 'Egress';
export type NetworkProtocol = 'TCP' | 'UDP' | 'SCTP';

export interface IPBlock {
  cidr: string;
  except?: string[];
}

export interface NetworkPolicyPeer {
  podSelector?: LabelSelector;
  namespaceSelector?: LabelSelector;
  ipBlock?: IPBlock;
}

export interface NetworkPolicyPort {
  /** Defaults to TCP. */
  protocol?: NetworkProtocol;
  /** A number, or the name of a container port of the pod the traffic goes to. Unset: every port. */
  port?: number | string;
  /** With a numeric port: the last port of the range port..endPort. */
  endPort?: number;
}

export interface NetworkPolicyIngressRule {
  ports?: NetworkPolicyPort[];
  from?: NetworkPolicyPeer[];
}

export interface NetworkPolicyEgressRule {
  ports?: NetworkPolicyPort[];
  to?: NetworkPolicyPeer[];
}

export interface NetworkPolicy extends KubeObject {
  spec: {
    /** The pods of the policy's namespace it applies to; empty selects them all. */
    podSelector: LabelSelector;
    ingress?: NetworkPolicyIngressRule[];
    egress?: NetworkPolicyEgressRule[];
    /** Defaulted by the API server: Ingress always, Egress when egress rules are present. */
    policyTypes?: PolicyType[];
  };
}
