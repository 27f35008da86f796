// networking.k8s.io/v1: NetworkPolicy (which traffic may reach and leave the pods a policy selects), Ingress (HTTP
// routes from outside to Services, by host and path) and IngressClass (which controller serves an Ingress).
import { core } from './core-pod.js';
import { int32, list, obj, pkg, ref, str, strings, typeMeta, type Definition } from './dsl.js';
import { intOrString, meta, selector } from './meta.js';

export const networking = pkg('io.k8s.api.networking.v1');

export const networkingDefinitions: Definition[] = [
  obj(networking('NetworkPolicy'), 'Which network traffic is allowed to and from a set of pods. Pods selected by no policy accept and send anything; a pod selected by a policy of a type (Ingress, Egress) allows only what one of those policies\' rules allows.', {
    ...typeMeta(meta('ObjectMeta')),
    spec: ref(networking('NetworkPolicySpec'), 'The pods the policy applies to and the traffic it allows.', { default: {} }),
  }, { gvk: [{ group: 'networking.k8s.io', version: 'v1', kind: 'NetworkPolicy' }] }),
  obj(networking('NetworkPolicySpec'), 'The pods a policy selects and the traffic it allows them.', {
    egress: list(networking('NetworkPolicyEgressRule'), 'Outgoing traffic the selected pods may send, one rule per allowed combination; empty allows none (with Egress in policyTypes).', { listType: 'atomic' }),
    ingress: list(networking('NetworkPolicyIngressRule'), 'Incoming traffic the selected pods accept, one rule per allowed combination; empty allows none.', { listType: 'atomic' }),
    podSelector: ref(meta('LabelSelector'), 'The pods of the policy\'s namespace the policy applies to; an empty selector selects them all.', { default: {} }),
    policyTypes: strings('Ingress, Egress, or both. Defaults to Ingress, plus Egress when egress rules are given; an egress-only policy must say ["Egress"].', { listType: 'atomic' }),
  }),
  obj(networking('NetworkPolicyIngressRule'), 'Traffic allowed to the selected pods: it must match one of the ports and come from one of the peers.', {
    from: list(networking('NetworkPolicyPeer'), 'Sources allowed; empty or missing allows every source.', { listType: 'atomic' }),
    ports: list(networking('NetworkPolicyPort'), 'Ports allowed on the selected pods; empty or missing allows every port.', { listType: 'atomic' }),
  }),
  obj(networking('NetworkPolicyEgressRule'), 'Traffic the selected pods may send: it must go to one of the ports of one of the peers.', {
    ports: list(networking('NetworkPolicyPort'), 'Destination ports allowed; empty or missing allows every port.', { listType: 'atomic' }),
    to: list(networking('NetworkPolicyPeer'), 'Destinations allowed; empty or missing allows every destination.', { listType: 'atomic' }),
  }),
  obj(networking('NetworkPolicyPeer'), 'A set of pods (podSelector, namespaceSelector or both) or a block of addresses (ipBlock, alone).', {
    ipBlock: ref(networking('IPBlock'), 'Addresses in a CIDR, less some excepted ranges.'),
    namespaceSelector: selector('Namespaces whose pods are peers; with podSelector, only the pods it selects in them. Empty selects every namespace.'),
    podSelector: selector('Pods that are peers, in the policy\'s namespace (or in the namespaces namespaceSelector selects). Empty selects every pod.'),
  }),
  obj(networking('IPBlock'), 'A CIDR of addresses (e.g. 192.168.1.0/24 or 2001:db8::/64), less the CIDRs in except.', {
    cidr: str('The block, in CIDR notation.', { default: '' }),
    except: strings('Blocks inside cidr that are not included.', { listType: 'atomic' }),
  }, { required: ['cidr'] }),
  obj(networking('NetworkPolicyPort'), 'A port, or a range of ports, of one protocol.', {
    endPort: int32('With a numeric port: the last port of the range port..endPort.'),
    port: ref(intOrString, 'A port number, or the name of a container port of the pod the traffic goes to. Missing: every port.'),
    protocol: str('TCP (default), UDP or SCTP.', { enum: ['SCTP', 'TCP', 'UDP'] }),
  }),
  obj(networking('Ingress'), 'Rules that let HTTP(S) traffic from outside the cluster reach Services: by host name and URL path, with TLS termination, served by the controller of the Ingress\'s class.', {
    ...typeMeta(meta('ObjectMeta')),
    spec: ref(networking('IngressSpec'), 'The routes the Ingress asks for.', { default: {} }),
    status: ref(networking('IngressStatus'), 'Where the Ingress is served, as its controller reports it.', { default: {} }),
  }, { gvk: [{ group: 'networking.k8s.io', version: 'v1', kind: 'Ingress' }] }),
  obj(networking('IngressSpec'), 'The hosts and paths of an Ingress, its TLS and its class.', {
    defaultBackend: ref(networking('IngressBackend'), 'Where requests that match no rule go. Required when there are no rules.'),
    ingressClassName: str('The IngressClass whose controller serves this Ingress. Left out, the default class (annotation ingressclass.kubernetes.io/is-default-class: "true") is filled in on create.'),
    rules: list(networking('IngressRule'), 'Host rules; requests matching none go to the default backend.', { listType: 'atomic' }),
    tls: list(networking('IngressTLS'), 'TLS on port 443: the certificate Secret for each group of hosts, chosen by SNI.', { listType: 'atomic' }),
  }),
  obj(networking('IngressRule'), 'The paths under one host (or under every host when host is left out).', {
    host: str('A DNS name ("foo.example.com") or a wildcard of one label ("*.example.com"); not an IP address. Matched against the Host header.'),
    http: ref(networking('HTTPIngressRuleValue'), 'The paths of this host.'),
  }),
  obj(networking('HTTPIngressRuleValue'), 'Paths mapped to backends.', {
    paths: list(networking('HTTPIngressPath'), 'The paths, each with its backend.', { listType: 'atomic' }),
  }, { required: ['paths'] }),
  obj(networking('HTTPIngressPath'), 'A path and where requests matching it go.', {
    backend: ref(networking('IngressBackend'), 'Where matching requests go.', { default: {} }),
    path: str('Matched against the request\'s URL path; must begin with "/" for Exact and Prefix.'),
    pathType: str('Exact (the whole path, case-sensitive), Prefix (element by element split on "/": /foo matches /foo and /foo/bar but not /foobar) or ImplementationSpecific (kubets: as Prefix). The longest match wins; at equal length Exact wins over Prefix.', { enum: ['Exact', 'ImplementationSpecific', 'Prefix'] }),
  }, { required: ['pathType', 'backend'] }),
  obj(networking('IngressBackend'), 'A Service port, or another object of the Ingress\'s namespace (one of the two).', {
    resource: ref(core('TypedLocalObjectReference'), 'Another object as the backend, for controllers that serve such backends.'),
    service: ref(networking('IngressServiceBackend'), 'A Service of the Ingress\'s namespace.'),
  }),
  obj(networking('IngressServiceBackend'), 'A Service and one of its ports.', {
    name: str('The Service, in the Ingress\'s namespace.', { default: '' }),
    port: ref(networking('ServiceBackendPort'), 'The Service port, by name or by number.', { default: {} }),
  }, { required: ['name'] }),
  obj(networking('ServiceBackendPort'), 'A Service port, by name or by number (one of the two).', {
    name: str('The name of the Service port.'),
    number: int32('The number of the Service port (its port, not its targetPort).'),
  }),
  obj(networking('IngressTLS'), 'The certificate for some hosts.', {
    hosts: strings('Hosts the certificate is for; matched against the TLS server name (SNI).', { listType: 'atomic' }),
    secretName: str('A kubernetes.io/tls Secret of the Ingress\'s namespace holding tls.crt and tls.key.'),
  }),
  obj(networking('IngressStatus'), 'Where an Ingress is served.', {
    loadBalancer: ref(networking('IngressLoadBalancerStatus'), 'The addresses the Ingress answers on.', { default: {} }),
  }),
  obj(networking('IngressLoadBalancerStatus'), 'The addresses of a load balancer.', {
    ingress: list(networking('IngressLoadBalancerIngress'), 'Its ingress points.', { listType: 'atomic' }),
  }),
  obj(networking('IngressLoadBalancerIngress'), 'One ingress point: an IP or a DNS name.', {
    hostname: str('DNS name of the ingress point.'),
    ip: str('IP address of the ingress point (kubets: a node running the controller).'),
    ports: list(networking('IngressPortStatus'), 'The state of its ports.', { listType: 'atomic' }),
  }),
  obj(networking('IngressPortStatus'), 'The state of one port of an ingress point.', {
    error: str('Why the port is in error, as a CamelCase reason.'),
    port: int32('Port number.', { default: 0 }),
    protocol: str('TCP, UDP or SCTP.', { default: '', enum: ['SCTP', 'TCP', 'UDP'] }),
  }, { required: ['port', 'protocol'] }),
  obj(core('TypedLocalObjectReference'), 'An object of the same namespace, by group, kind and name.', {
    apiGroup: str('The group of the kind; empty for the core group.'),
    kind: str('The kind of the object.', { default: '' }),
    name: str('The name of the object.', { default: '' }),
  }, { required: ['kind', 'name'] }),
  obj(networking('IngressClass'), 'A class of Ingresses and the controller that serves them. The annotation ingressclass.kubernetes.io/is-default-class: "true" makes it the class of Ingresses created without one.', {
    ...typeMeta(meta('ObjectMeta')),
    spec: ref(networking('IngressClassSpec'), 'The controller of this class and its parameters.', { default: {} }),
  }, { gvk: [{ group: 'networking.k8s.io', version: 'v1', kind: 'IngressClass' }] }),
  obj(networking('IngressClassSpec'), 'Who serves Ingresses of a class.', {
    controller: str('The controller, a domain-prefixed path such as "kubets.io/ingress-controller". Immutable.'),
    parameters: ref(networking('IngressClassParametersReference'), 'An object with further settings for the controller.'),
  }),
  obj(networking('IngressClassParametersReference'), 'An object with settings for an ingress controller, cluster-wide or in one namespace.', {
    apiGroup: str('The group of the kind; empty for the core group.'),
    kind: str('The kind of the object.', { default: '' }),
    name: str('The name of the object.', { default: '' }),
    namespace: str('Its namespace, when scope is Namespace.'),
    scope: str('Cluster (default) or Namespace.'),
  }, { required: ['kind', 'name'] }),
];
