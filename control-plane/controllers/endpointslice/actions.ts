// pkg/controller/endpointslice reconciler, as a pure decision: a selecting Service's pods become EndpointSlices,
// one per resolved port list, each endpoint with its ready / serving / terminating conditions.
import { isPodReady } from '../../../api/pods.js';
import type { EndpointSlice, Pod, Service, SliceEndpoint } from '../../../api/types.js';
import { controllerRef } from '../controller.js';
import { hasSelector } from '../../../api/labels.js';
import { groupByPorts, podRef } from '../servicepods.js';

export const SERVICE_NAME_LABEL = 'kubernetes.io/service-name';
export const MANAGED_BY_LABEL = 'endpointslice.kubernetes.io/managed-by';
export const SLICE_MANAGER = 'endpointslice-controller.k8s.io';

export interface EndpointSliceObserved {
  /** Absent when the service is gone. */
  service?: Service;
  /** The pods the service selects (see selectedPods), terminating ones included. */
  pods: Pod[];
  /** The slices this controller manages for the service. */
  slices: EndpointSlice[];
}

export interface EndpointSliceActions {
  create: EndpointSlice[];
  update: EndpointSlice[];
  delete: EndpointSlice[];
}

/** One endpoint per pod, by address; a terminating pod may still serve but is never ready. */
export function sliceEndpoints(svc: Service, pods: Pod[]): SliceEndpoint[] {
  return pods
    .map((p) => {
      const terminating = !!p.metadata.deletionTimestamp;
      const serving = isPodReady(p) || !!svc.spec.publishNotReadyAddresses;
      return { addresses: [p.status!.podIP!], conditions: { ready: serving && !terminating, serving, terminating }, nodeName: p.spec.nodeName, targetRef: podRef(p) };
    })
    .sort((a, b) => (a.addresses[0] < b.addresses[0] ? -1 : 1));
}

export function computeEndpointSlices({ service: svc, pods, slices }: EndpointSliceObserved): EndpointSliceActions {
  const actions: EndpointSliceActions = { create: [], update: [], delete: [] };
  // Service gone (or without selector, so its endpoints are the user's): drop what this controller made.
  if (!svc || !hasSelector(svc)) return { ...actions, delete: [...slices] };
  const groups = groupByPorts(svc, pods);
  if (!groups.length) groups.push({ ports: [], pods: [] });
  const labels = { ...(svc.metadata.labels ?? {}), [SERVICE_NAME_LABEL]: svc.metadata.name!, [MANAGED_BY_LABEL]: SLICE_MANAGER };
  const unused = [...slices];
  for (const g of groups) {
    const want = { addressType: 'IPv4' as const, endpoints: sliceEndpoints(svc, g.pods), ports: g.ports };
    // Reuse the slice with the same ports, else any spare one, else make a new one.
    const idx = unused.findIndex((s) => JSON.stringify(s.ports ?? []) === JSON.stringify(g.ports));
    const cur = idx >= 0 ? unused.splice(idx, 1)[0] : unused.shift();
    if (!cur) {
      actions.create.push({
        apiVersion: 'discovery.k8s.io/v1',
        kind: 'EndpointSlice',
        metadata: { generateName: `${svc.metadata.name}-`, namespace: svc.metadata.namespace, labels, ownerReferences: [controllerRef(svc, 'v1', 'Service')] },
        ...want,
      });
      continue;
    }
    const same = JSON.stringify({ addressType: cur.addressType, endpoints: cur.endpoints ?? [], ports: cur.ports ?? [] }) === JSON.stringify(want) && JSON.stringify(cur.metadata.labels) === JSON.stringify(labels);
    if (!same) actions.update.push({ ...cur, ...want, metadata: { ...cur.metadata, labels } });
  }
  actions.delete = unused;
  return actions;
}
