// pkg/controller/namespace NamespaceController: empties a namespace being deleted of every namespaced resource the
// server serves (found through discovery, as kube-controller-manager does), then finalizes it.
import { serverPreferredResources, supportsVerbs } from '../../../api/discovery.js';
import { ignoreNotFound } from '../../../api/errors.js';
import { logger } from '../../../api/log.js';
import { Resources } from '../../../api/resources.js';
import type { KubeObject, Namespace } from '../../../api/types.js';
import { queueController, type Controller, type ControllerContext } from '../controller.js';
import { computeNamespaceActions } from './actions.js';

const log = logger('namespace-controller');
const RECHECK_MS = 2000;

export function namespaceController(ctx: ControllerContext): Controller {
  const { client, informers } = ctx;
  const namespaces = informers.for<Namespace>(Resources.namespaces);
  const c = queueController('namespace-controller', 1, sync);
  namespaces.addHandlers({ onAdd: (n) => n.metadata.deletionTimestamp && c.queue.add(n.metadata.name!), onUpdate: (_o, n) => n.metadata.deletionTimestamp && c.queue.add(n.metadata.name!) });

  async function sync(name: string): Promise<void> {
    const ns = namespaces.get(name);
    if (!ns?.metadata.deletionTimestamp) return;
    // The namespaced resources that can be listed and deleted, each in its group's preferred version.
    const deletable = (await serverPreferredResources(client)).filter((r) => r.namespaced && supportsVerbs(r, ['list', 'delete']));
    const contents = await Promise.all(deletable.map(async (resource) => ({ resource, items: (await client.list<KubeObject>(resource, name)).items })));
    const actions = computeNamespaceActions({ namespace: ns, contents });
    for (const { resource, name: objName } of actions.delete) await ignoreNotFound(client.delete(resource, name, objName, { propagationPolicy: 'Background' }));
    if (actions.remaining) {
      log.debug({ namespace: name, remaining: actions.remaining }, 'waiting for namespace content to go');
      c.queue.addAfter(name, RECHECK_MS);
      return;
    }
    if (actions.finalize) await ignoreNotFound(client.request('PUT', `/api/v1/namespaces/${encodeURIComponent(name)}/finalize`, actions.finalize));
  }
  return c;
}
