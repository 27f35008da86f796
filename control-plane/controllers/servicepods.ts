// pkg/controller/util/endpoint: which pods back a Service and on which ports — shared by the Endpoints and
// EndpointSlice controllers, so both always agree.
import type { Informer } from '../../api/informer.js';
import { selects } from '../../api/labels.js';
import { objectKey, type EndpointPort, type Pod, type Service } from '../../api/types.js';
import type { WorkQueue } from '../../api/workqueue.js';
import { enqueueObject } from './controller.js';

/** The pods a service sends traffic to: selected, with an IP, not finished. */
export function selectedPods(svc: Service, pods: Pod[]): Pod[] {
  return pods.filter((p) => selects(svc, p) && p.status?.podIP && p.status.phase !== 'Succeeded' && p.status.phase !== 'Failed');
}

/** Each service port's target on this pod; undefined when none of them resolves (a named port not on the pod). */
export function resolvePorts(svc: Service, pod: Pod): EndpointPort[] | undefined {
  const out: EndpointPort[] = [];
  for (const sp of svc.spec.ports ?? []) {
    let port: number | undefined;
    if (typeof sp.targetPort === 'string' && !/^\d+$/.test(sp.targetPort)) {
      for (const c of pod.spec.containers ?? []) for (const cp of c.ports ?? []) if (cp.name === sp.targetPort && (cp.protocol ?? 'TCP') === (sp.protocol ?? 'TCP')) port = cp.containerPort;
      if (port === undefined) continue;
    } else port = Number(sp.targetPort ?? sp.port);
    out.push({ ...(sp.name ? { name: sp.name } : {}), port, protocol: sp.protocol ?? 'TCP', ...(sp.appProtocol ? { appProtocol: sp.appProtocol } : {}) });
  }
  return out.length ? out : undefined;
}

export interface PortGroup {
  ports: EndpointPort[];
  pods: Pod[];
}

/** Pods grouped by their resolved port list: one Endpoints subset, or one EndpointSlice, per group. */
export function groupByPorts(svc: Service, pods: Pod[]): PortGroup[] {
  const groups = new Map<string, PortGroup>();
  for (const p of pods) {
    const ports = resolvePorts(svc, p);
    if (!ports) continue;
    const k = JSON.stringify(ports);
    (groups.get(k) ?? groups.set(k, { ports, pods: [] }).get(k)!).pods.push(p);
  }
  return [...groups.values()];
}

/** The reference an address carries back to its pod. */
export const podRef = (p: Pod) => ({ kind: 'Pod', namespace: p.metadata.namespace, name: p.metadata.name!, uid: p.metadata.uid });

/** Enqueue a service when it changes and when a pod it selects (before or after the change) does. */
export function enqueueServices(queue: WorkQueue, services: Informer<Service>, pods: Informer<Pod>): void {
  const forPod = (p: Pod) => {
    for (const s of services.list()) if (selects(s, p)) queue.add(objectKey(s));
  };
  services.addHandlers(enqueueObject(queue));
  pods.addHandlers({
    onAdd: forPod,
    onUpdate: (o, p) => {
      forPod(o);
      forPod(p);
    },
    onDelete: forPod,
  });
}
