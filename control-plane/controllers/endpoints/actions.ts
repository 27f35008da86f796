// pkg/controller/endpoint syncService, as a pure decision: a selecting Service's pods become one Endpoints object
// (ready ones in `addresses`, others in `notReadyAddresses`, one subset per resolved port list).
import { isPodReady } from '../../../api/pods.js';
import type { EndpointAddress, Endpoints, Pod, Service } from '../../../api/types.js';
import { hasSelector } from '../../../api/labels.js';
import { groupByPorts, podRef } from '../servicepods.js';

export interface EndpointsObserved {
  /** Absent when the service is gone. */
  service?: Service;
  /** The pods the service selects (see selectedPods). */
  pods: Pod[];
  /** The Endpoints object of the service's name, if the cache has one. */
  current?: Endpoints;
}

export type EndpointsAction = { type: 'none' } | { type: 'delete' } | { type: 'create'; endpoints: Endpoints } | { type: 'update'; endpoints: Endpoints };

const address = (p: Pod): EndpointAddress => ({ ip: p.status!.podIP!, nodeName: p.spec.nodeName, targetRef: podRef(p) });

/** The subsets for the selected pods; terminating pods are left out. */
export function desiredSubsets(svc: Service, pods: Pod[]): NonNullable<Endpoints['subsets']> {
  const notReadyOK = !!svc.spec.publishNotReadyAddresses;
  const subsets: NonNullable<Endpoints['subsets']> = [];
  const byIP = (a: EndpointAddress, b: EndpointAddress) => (a.ip < b.ip ? -1 : 1);
  for (const { ports, pods: group } of groupByPorts(svc, pods.filter((p) => !p.metadata.deletionTimestamp))) {
    const ready = group.filter((p) => notReadyOK || isPodReady(p)).map(address).sort(byIP);
    const notReady = group.filter((p) => !(notReadyOK || isPodReady(p))).map(address).sort(byIP);
    subsets.push({ ...(ready.length ? { addresses: ready } : {}), ...(notReady.length ? { notReadyAddresses: notReady } : {}), ports });
  }
  return subsets;
}

export function computeEndpoints({ service: svc, pods, current }: EndpointsObserved): EndpointsAction {
  // The service is gone: so are its endpoints (even ones the cache has not seen yet).
  if (!svc) return { type: 'delete' };
  // Without a selector the Endpoints are the user's.
  if (!hasSelector(svc)) return { type: 'none' };
  const subsets = desiredSubsets(svc, pods);
  const labels = { ...(svc.metadata.labels ?? {}) };
  if (current && JSON.stringify(current.subsets ?? []) === JSON.stringify(subsets) && JSON.stringify(current.metadata.labels ?? {}) === JSON.stringify(labels)) return { type: 'none' };
  const endpoints: Endpoints = { apiVersion: 'v1', kind: 'Endpoints', metadata: { name: svc.metadata.name, namespace: svc.metadata.namespace, labels }, subsets };
  if (!current) return { type: 'create', endpoints };
  return { type: 'update', endpoints: { ...endpoints, metadata: { ...current.metadata, labels } } };
}
