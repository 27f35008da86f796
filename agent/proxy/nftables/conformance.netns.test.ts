// The shared Service behaviour suite (../conformance.ts) on the nftables proxier, in a scratch node namespace, with
// NodePorts on the node IP only as kube-proxy's nftables mode has them by default.
import t from 'tap';
import { serviceConformance } from '../conformance.js';
import { NftablesProxier } from './proxier.js';

serviceConformance(t, (o) =>
  new NftablesProxier({
    exec: o.exec,
    nodeName: o.nodeName,
    clusterCIDR: o.clusterCIDR,
    nodePortAddresses: [o.nodeIP],
    serviceCIDRs: [o.serviceCIDR],
    serviceHealth: o.serviceHealth,
  }),
);
