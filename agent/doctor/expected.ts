// What kube-proxy should have programmed on a node, from the API's Services and EndpointSlices — computed with the
// proxy's own change trackers and traffic plan, so the doctor and the proxier never disagree about what a Service
// needs (kube-proxy has no doctor; this is the state its syncProxyRules would write).
import type { EndpointSlice, Service } from '../../api/types.js';
import { EndpointsChangeTracker, serviceTrafficPlan, type EndpointsMap, type ServiceTrafficPlan } from '../proxy/endpointschange.js';
import { ServiceChangeTracker, type ServicePortInfo, type ServicePortMap } from '../proxy/servicechange.js';

export interface ExpectedServicePort extends ServiceTrafficPlan {
  svc: ServicePortInfo;
}

/** The proxy's service-port and endpoints maps for the API's objects, as this node's proxier builds them. */
export function serviceMaps(services: Service[], slices: EndpointSlice[], nodeName: string): { svcPortMap: ServicePortMap; endpointsMap: EndpointsMap } {
  const serviceChanges = new ServiceChangeTracker();
  for (const s of services) serviceChanges.update(undefined, s);
  const svcPortMap: ServicePortMap = new Map();
  serviceChanges.applyTo(svcPortMap);
  const endpointsChanges = new EndpointsChangeTracker(nodeName);
  for (const s of slices) endpointsChanges.endpointSliceUpdate(s, false);
  const endpointsMap: EndpointsMap = new Map();
  endpointsChanges.applyTo(endpointsMap);
  return { svcPortMap, endpointsMap };
}

/** Every proxied service port, sorted by name, with what this node's proxy must program for it. */
export function expectedServicePorts(services: Service[], slices: EndpointSlice[], nodeName: string): ExpectedServicePort[] {
  const { svcPortMap, endpointsMap } = serviceMaps(services, slices, nodeName);
  return [...svcPortMap.keys()].sort().map((name) => {
    const svc = svcPortMap.get(name)!;
    return { svc, ...serviceTrafficPlan(endpointsMap.get(name) ?? [], svc) };
  });
}

/** One difference between the kernel and the API, printed as one line. */
export interface Difference {
  kind:
    | 'missing-service'
    | 'stale-service'
    | 'missing-endpoint'
    | 'stale-endpoint'
    | 'missing-route'
    | 'wrong-route'
    | 'stale-route'
    | 'missing-device'
    | 'missing-vtep'
    | 'missing-neighbour'
    | 'wrong-neighbour'
    | 'stale-neighbour'
    | 'missing-fdb'
    | 'wrong-fdb'
    | 'stale-fdb';
  message: string;
}

/** `default/web:http (10.96.0.20:80/TCP)`: the port's name and the address clients use. */
export function describe(svc: ServicePortInfo): string {
  return `${svc.name} (${svc.clusterIP}:${svc.port}/${svc.protocol})`;
}
