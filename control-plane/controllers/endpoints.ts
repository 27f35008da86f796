// Endpoints and EndpointSlice controllers: for every Service with a selector, the pods it selects become addresses
// (ready ones in `addresses`, others in `notReadyAddresses`; slices carry ready/serving/terminating conditions),
// with each service port's targetPort resolved against the pod's named container ports.
import { isAlreadyExists, isNotFound } from '../../api/errors.js';
import { matches, fromLabelSelector } from '../../api/labels.js';
import { Resources } from '../../api/resources.js';
import { objectKey, splitKey, type EndpointAddress, type EndpointPort, type Endpoints, type EndpointSlice, type Pod, type Service, type SliceEndpoint } from '../../api/types.js';
import { queueController, type Controller, type ControllerContext } from './controller.js';
import { isPodReady } from '../../api/pods.js';

const SLICE_MANAGER = 'endpointslice-controller.k8s.io';

/** The pods a service sends traffic to: selected, with an IP, not finished. */
export function selectedPods(svc: Service, pods: Pod[]): Pod[] {
  const sel = svc.spec.selector;
  if (!sel || !Object.keys(sel).length) return [];
  const s = fromLabelSelector({ matchLabels: sel })!;
  return pods.filter((p) => p.metadata.namespace === svc.metadata.namespace && matches(s, p.metadata.labels) && p.status?.podIP && p.status.phase !== 'Succeeded' && p.status.phase !== 'Failed');
}

/** Each service port's target on this pod; undefined when a named port isn't on the pod. */
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

const address = (p: Pod): EndpointAddress => ({ ip: p.status!.podIP!, nodeName: p.spec.nodeName, targetRef: { kind: 'Pod', namespace: p.metadata.namespace, name: p.metadata.name!, uid: p.metadata.uid } });

/** Pods grouped by their resolved port list: one Endpoints subset, or one EndpointSlice, per group. */
function groupByPorts(svc: Service, pods: Pod[]): Map<string, { ports: EndpointPort[]; pods: Pod[] }> {
  const groups = new Map<string, { ports: EndpointPort[]; pods: Pod[] }>();
  for (const p of pods) {
    const ports = resolvePorts(svc, p);
    if (!ports) continue;
    const k = JSON.stringify(ports);
    (groups.get(k) ?? groups.set(k, { ports, pods: [] }).get(k)!).pods.push(p);
  }
  return groups;
}

export function desiredSubsets(svc: Service, pods: Pod[]): Endpoints['subsets'] {
  const notReadyOK = !!svc.spec.publishNotReadyAddresses;
  const subsets: NonNullable<Endpoints['subsets']> = [];
  const byIP = (a: EndpointAddress, b: EndpointAddress) => (a.ip < b.ip ? -1 : 1);
  for (const { ports, pods: group } of groupByPorts(svc, pods.filter((p) => !p.metadata.deletionTimestamp)).values()) {
    const ready = group.filter((p) => notReadyOK || isPodReady(p)).map(address).sort(byIP);
    const notReady = group.filter((p) => !(notReadyOK || isPodReady(p))).map(address).sort(byIP);
    subsets.push({ ...(ready.length ? { addresses: ready } : {}), ...(notReady.length ? { notReadyAddresses: notReady } : {}), ports });
  }
  return subsets;
}

function sliceEndpoints(svc: Service, group: Pod[]): SliceEndpoint[] {
  return group
    .map((p) => {
      const terminating = !!p.metadata.deletionTimestamp;
      const serving = isPodReady(p) || !!svc.spec.publishNotReadyAddresses;
      return {
        addresses: [p.status!.podIP!],
        conditions: { ready: serving && !terminating, serving, terminating },
        nodeName: p.spec.nodeName,
        targetRef: { kind: 'Pod', namespace: p.metadata.namespace, name: p.metadata.name!, uid: p.metadata.uid },
      };
    })
    .sort((a, b) => (a.addresses[0] < b.addresses[0] ? -1 : 1));
}

export function endpointsController(ctx: ControllerContext): Controller {
  const { client, informers } = ctx;
  const services = informers.for<Service>(Resources.services);
  const pods = informers.for<Pod>(Resources.pods);
  const endpoints = informers.for<Endpoints>(Resources.endpoints);
  const slices = informers.for<EndpointSlice>(Resources.endpointslices);
  const c = queueController('endpoints-controller', 2, sync);
  // Slices created but not yet seen by the informer: counted as existing so a quick resync doesn't duplicate them.
  const recent = new Map<string, EndpointSlice[]>();

  const enqueueFor = (p: Pod) => {
    for (const s of services.list()) {
      if (s.metadata.namespace !== p.metadata.namespace || !s.spec.selector) continue;
      if (matches(fromLabelSelector({ matchLabels: s.spec.selector })!, p.metadata.labels)) c.queue.add(objectKey(s));
    }
  };
  services.addHandlers({ onAdd: (s) => c.queue.add(objectKey(s)), onUpdate: (_o, s) => c.queue.add(objectKey(s)), onDelete: (s) => c.queue.add(objectKey(s)) });
  pods.addHandlers({
    onAdd: enqueueFor,
    onUpdate: (o, p) => {
      enqueueFor(o);
      enqueueFor(p);
    },
    onDelete: enqueueFor,
  });

  async function sync(key: string): Promise<void> {
    const { namespace, name } = splitKey(key);
    const svc = services.get(key);
    const seen = slices.list().filter((s) => s.metadata.namespace === namespace && s.metadata.labels?.['kubernetes.io/service-name'] === name && s.metadata.labels?.['endpointslice.kubernetes.io/managed-by'] === SLICE_MANAGER);
    const pending = (recent.get(key) ?? []).filter((r) => !seen.some((s) => s.metadata.name === r.metadata.name));
    if (pending.length) recent.set(key, pending);
    else recent.delete(key);
    const mySlices = [...seen, ...pending];
    if (!svc || !svc.spec.selector || !Object.keys(svc.spec.selector).length) {
      // Service gone (or without selector, so its endpoints are the user's): drop what this controller made.
      if (!svc) await client.delete(Resources.endpoints, namespace, name).catch((e) => (isNotFound(e) ? undefined : Promise.reject(e)));
      for (const s of mySlices) await client.delete(Resources.endpointslices, namespace, s.metadata.name!).catch((e) => (isNotFound(e) ? undefined : Promise.reject(e)));
      return;
    }
    const selected = selectedPods(svc, pods.list());
    await syncEndpoints(svc, selected);
    await syncSlices(svc, selected, mySlices);
  }

  async function syncEndpoints(svc: Service, selected: Pod[]): Promise<void> {
    const subsets = desiredSubsets(svc, selected);
    const cur = endpoints.get(objectKey(svc));
    const labels = { ...(svc.metadata.labels ?? {}) };
    if (cur && JSON.stringify(cur.subsets ?? []) === JSON.stringify(subsets) && JSON.stringify(cur.metadata.labels ?? {}) === JSON.stringify(labels)) return;
    const body: Endpoints = { apiVersion: 'v1', kind: 'Endpoints', metadata: { name: svc.metadata.name, namespace: svc.metadata.namespace, labels }, subsets };
    if (!cur) {
      try {
        await client.create(Resources.endpoints, svc.metadata.namespace, body);
        return;
      } catch (e) {
        if (!isAlreadyExists(e)) throw e;
      }
    }
    const latest = cur ?? (await client.get<Endpoints>(Resources.endpoints, svc.metadata.namespace, svc.metadata.name!));
    await client.update(Resources.endpoints, { ...body, metadata: { ...latest.metadata, labels } });
  }

  async function syncSlices(svc: Service, selected: Pod[], existing: EndpointSlice[]): Promise<void> {
    const groups = [...groupByPorts(svc, selected).values()];
    if (!groups.length) groups.push({ ports: [], pods: [] });
    const labels = { ...(svc.metadata.labels ?? {}), 'kubernetes.io/service-name': svc.metadata.name!, 'endpointslice.kubernetes.io/managed-by': SLICE_MANAGER };
    const unused = [...existing];
    for (const g of groups) {
      const want = { addressType: 'IPv4' as const, endpoints: sliceEndpoints(svc, g.pods), ports: g.ports };
      const idx = unused.findIndex((s) => JSON.stringify(s.ports ?? []) === JSON.stringify(g.ports));
      const cur = idx >= 0 ? unused.splice(idx, 1)[0] : unused.shift();
      if (cur) {
        if (JSON.stringify({ addressType: cur.addressType, endpoints: cur.endpoints ?? [], ports: cur.ports ?? [] }) === JSON.stringify(want) && JSON.stringify(cur.metadata.labels) === JSON.stringify(labels)) continue;
        await client.update(Resources.endpointslices, { ...cur, ...want, metadata: { ...cur.metadata, labels } });
      } else {
        const created = await client.create<EndpointSlice>(Resources.endpointslices, svc.metadata.namespace, {
          apiVersion: 'discovery.k8s.io/v1',
          kind: 'EndpointSlice',
          metadata: {
            generateName: `${svc.metadata.name}-`,
            namespace: svc.metadata.namespace,
            labels,
            ownerReferences: [{ apiVersion: 'v1', kind: 'Service', name: svc.metadata.name!, uid: svc.metadata.uid!, controller: true, blockOwnerDeletion: true }],
          },
          ...want,
        });
        const key = objectKey(svc);
        recent.set(key, [...(recent.get(key) ?? []), created]);
      }
    }
    for (const s of unused) {
      const key = objectKey(svc);
      recent.set(key, (recent.get(key) ?? []).filter((r) => r.metadata.name !== s.metadata.name));
      await client.delete(Resources.endpointslices, s.metadata.namespace, s.metadata.name!).catch((e) => (isNotFound(e) ? undefined : Promise.reject(e)));
    }
  }

  return c;
}
