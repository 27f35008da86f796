// pkg/controller/endpointslice Controller: keeps each selecting Service's EndpointSlices equal to
// computeEndpointSlices of the pods it selects.
import { ignoreNotFound } from '../../../api/errors.js';
import { Resources } from '../../../api/resources.js';
import { splitKey, type EndpointSlice, type Pod, type Service } from '../../../api/types.js';
import { queueController, type Controller, type ControllerContext } from '../controller.js';
import { enqueueServices, selectedPods } from '../servicepods.js';
import { computeEndpointSlices, MANAGED_BY_LABEL, SERVICE_NAME_LABEL, SLICE_MANAGER } from './actions.js';

export function endpointSliceController(ctx: ControllerContext): Controller {
  const { client, informers } = ctx;
  const services = informers.for<Service>(Resources.services);
  const pods = informers.for<Pod>(Resources.pods);
  const slices = informers.for<EndpointSlice>(Resources.endpointslices);
  const c = queueController('endpointslice-controller', 2, sync);
  enqueueServices(c.queue, services, pods);
  // Slices created but not yet seen by the informer: counted as existing so a quick resync doesn't duplicate them.
  const recent = new Map<string, EndpointSlice[]>();

  async function sync(key: string): Promise<void> {
    const { namespace, name } = splitKey(key);
    const svc = services.get(key);
    const seen = slices.list().filter((s) => s.metadata.namespace === namespace && s.metadata.labels?.[SERVICE_NAME_LABEL] === name && s.metadata.labels?.[MANAGED_BY_LABEL] === SLICE_MANAGER);
    const pending = (recent.get(key) ?? []).filter((r) => !seen.some((s) => s.metadata.name === r.metadata.name));
    if (pending.length) recent.set(key, pending);
    else recent.delete(key);

    const actions = computeEndpointSlices({ service: svc, pods: svc ? selectedPods(svc, pods.list()) : [], slices: [...seen, ...pending] });
    for (const s of actions.update) await client.update(Resources.endpointslices, s);
    for (const s of actions.create) {
      const created = await client.create<EndpointSlice>(Resources.endpointslices, namespace, s);
      recent.set(key, [...(recent.get(key) ?? []), created]);
    }
    for (const s of actions.delete) {
      recent.set(key, (recent.get(key) ?? []).filter((r) => r.metadata.name !== s.metadata.name));
      await ignoreNotFound(client.delete(Resources.endpointslices, s.metadata.namespace, s.metadata.name!));
    }
    if (!recent.get(key)?.length) recent.delete(key);
  }

  return c;
}
