// networking.k8s.io/v1 kinds (k8s.io/api/networking/v1/types.go): NetworkPolicy, Ingress and IngressClass. Only the fields kubets uses are
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

export type PathType = 'Exact' | 'Prefix' | 'ImplementationSpecific';

/** A Service port by number or by name (exactly one is set). */
export interface ServiceBackendPort {
  name?: string;
  number?: number;
}

/** Where matching requests go: a Service port of the Ingress's namespace, or (for some controllers) another object. */
export interface IngressBackend {
  service?: { name: string; port?: ServiceBackendPort };
  resource?: { apiGroup?: string; kind: string; name: string };
}

export interface HTTPIngressPath {
  path?: string;
  pathType: PathType;
  backend: IngressBackend;
}

export interface IngressRule {
  /** A DNS name, or a wildcard of one label ("*.example.com"); unset matches every host. */
  host?: string;
  http?: { paths: HTTPIngressPath[] };
}

export interface IngressTLS {
  hosts?: string[];
  /** A kubernetes.io/tls Secret of the Ingress's namespace. */
  secretName?: string;
}

export interface IngressLoadBalancerIngress {
  ip?: string;
  hostname?: string;
}

export interface Ingress extends KubeObject {
  spec: {
    /** The IngressClass whose controller serves this Ingress; set to the default class on create when left out. */
    ingressClassName?: string;
    defaultBackend?: IngressBackend;
    tls?: IngressTLS[];
    rules?: IngressRule[];
  };
  status?: { loadBalancer?: { ingress?: IngressLoadBalancerIngress[] } };
}

/** Annotation naming the class Ingresses without one get (value "true"). */
export const DEFAULT_INGRESS_CLASS_ANNOTATION = 'ingressclass.kubernetes.io/is-default-class';
/** The class named by annotation, before spec.ingressClassName existed; controllers still honour it. */
export const INGRESS_CLASS_ANNOTATION = 'kubernetes.io/ingress.class';

export interface IngressClass extends KubeObject {
  spec: {
    /** The controller that serves Ingresses of this class, a domain-prefixed path ("kubets.io/ingress-controller"). */
    controller?: string;
    parameters?: { apiGroup?: string; kind: string; name: string; scope?: 'Cluster' | 'Namespace'; namespace?: string };
  };
}
