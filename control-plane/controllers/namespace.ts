// Namespace controller: a namespace being deleted is emptied of every namespaced kind, then its "kubernetes"
// finalizer is removed through namespaces/finalize and the API server deletes it.
import { isNotFound } from '../../api/errors.js';
import { logger } from '../../api/log.js';
import { Resources } from '../../api/resources.js';
import type { KubeObject, Namespace } from '../../api/types.js';
import { kinds as registry } from '../apiserver/registry/kinds.js';
import { queueController, type Controller, type ControllerContext } from './controller.js';

const log = logger('namespace-controller');

export function namespaceController(ctx: ControllerContext): Controller {
  const { client, informers } = ctx;
  const namespaces = informers.for<Namespace>(Resources.namespaces);
  const c = queueController('namespace-controller', 1, sync);
  namespaces.addHandlers({ onAdd: (n) => n.metadata.deletionTimestamp && c.queue.add(n.metadata.name!), onUpdate: (_o, n) => n.metadata.deletionTimestamp && c.queue.add(n.metadata.name!) });

  async function sync(name: string): Promise<void> {
    const ns = namespaces.get(name);
    if (!ns?.metadata.deletionTimestamp) return;
    let remaining = 0;
    for (const def of registry.filter((d) => d.namespaced)) {
      const list = await client.list<KubeObject>(def, name);
      for (const obj of list.items) {
        remaining++;
        if (!obj.metadata.deletionTimestamp) await client.delete(def, name, obj.metadata.name!, { propagationPolicy: 'Background' }).catch((e) => (isNotFound(e) ? undefined : Promise.reject(e)));
      }
    }
    if (remaining) {
      log.debug({ namespace: name, remaining }, 'waiting for namespace content to go');
      c.queue.addAfter(name, 2000);
      return;
    }
    const finalizers = (ns.spec?.finalizers ?? []).filter((f) => f !== 'kubernetes');
    await client.request('PUT', `/api/v1/namespaces/${encodeURIComponent(name)}/finalize`, { ...ns, spec: { ...ns.spec, finalizers } }).catch((e) => (isNotFound(e) ? undefined : Promise.reject(e)));
  }
  return c;
}
