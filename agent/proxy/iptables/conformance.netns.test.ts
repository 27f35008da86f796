// The shared Service behaviour suite (../conformance.ts) on the iptables proxier, in a scratch node namespace.
import t from 'tap';
import { serviceConformance } from '../conformance.js';
import { IptablesProxier } from './proxier.js';

serviceConformance(t, (o) => new IptablesProxier({ exec: o.exec, nodeName: o.nodeName, clusterCIDR: o.clusterCIDR, serviceHealth: o.serviceHealth }));
