// The shared Service behaviour suite (../conformance.ts) on the IPVS proxier. It needs a kernel with IPVS, so it is
// not a test file of its own: the lab e2e (test/lab-ipvs-node.ts) runs it inside its IPVS node's VM as
// `ip netns exec NODE node conformance.vm.js NODE`, the process in the node's namespace, where the proxier's
// netlink sockets program IPVS and kube-ipvs0; its TAP output and exit code are the verdict. Two behaviours differ
// from the other modes' as upstream's IPVS mode's do (see ModeBehaviour).
import t from 'tap';
import { serviceConformance } from '../conformance.js';
import { IpvsProxier } from './proxier.js';

const nodeNetns = process.argv[2];
if (!nodeNetns) throw new Error('usage: conformance.vm.js <the namespace this process runs in>');

serviceConformance(t, (o) => new IpvsProxier({ exec: o.exec, nodeName: o.nodeName, clusterCIDR: o.clusterCIDR, serviceHealth: o.serviceHealth }), {
  scratch: { nodeNetns },
  behaviour: { internalLocalWithoutEndpoint: 'ERR:ECONNREFUSED', externalLocalWithoutEndpoint: 'forwarded' },
});
