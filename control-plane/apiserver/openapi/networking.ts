// networking.k8s.io/v1 NetworkPolicy: which traffic may reach and leave the pods a policy selects.
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
];
