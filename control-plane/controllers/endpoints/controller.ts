// pkg/controller/endpoint EndpointController: keeps each selecting Service's Endpoints object equal to
// computeEndpoints of the pods it selects.
import { ignoreNotFound, isAlreadyExists } from '../../../api/errors.js';
import { Resources } from '../../../api/resources.js';
import { splitKey, type Endpoints, type Pod, type Service } from '../../../api/types.js';
import { queueController, type Controller, type ControllerContext } from '../controller.js';
import { enqueueServices, selectedPods } from '../servicepods.js';
import { computeEndpoints } from './actions.js';

export function endpointsController(ctx: ControllerContext): Controller {
  const { client, informers } = ctx;
  const services = informers.for<Service>(Resources.services);
  const pods = informers.for<Pod>(Resources.pods);
  const endpoints = informers.for<Endpoints>(Resources.endpoints);
  const c = queueController('endpoints-controller', 2, sync);
  enqueueServices(c.queue, services, pods);

  async function sync(key: string): Promise<void> {
    const { namespace, name } = splitKey(key);
    const svc = services.get(key);
    const action = computeEndpoints({ service: svc, pods: svc ? selectedPods(svc, pods.list()) : [], current: endpoints.get(key) });
    if (action.type === 'delete') await ignoreNotFound(client.delete(Resources.endpoints, namespace, name));
    else if (action.type === 'update') await client.update(Resources.endpoints, action.endpoints);
    else if (action.type === 'create') {
      try {
        await client.create(Resources.endpoints, namespace, action.endpoints);
      } catch (e) {
        if (!isAlreadyExists(e)) throw e;
        // Made meanwhile (the cache has not caught up): overwrite it.
        const latest = await client.get<Endpoints>(Resources.endpoints, namespace, name);
        await client.update(Resources.endpoints, { ...action.endpoints, metadata: { ...latest.metadata, labels: action.endpoints.metadata.labels } });
      }
    }
  }

  return c;
}
