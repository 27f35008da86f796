// pkg/controller/serviceaccount ServiceAccountsController: keeps a "default" ServiceAccount in every namespace, so
// pods that name none can run (kube-apiserver refuses a pod whose service account is missing).
import { isAlreadyExists } from '../../../api/errors.js';
import { Resources } from '../../../api/resources.js';
import type { KubeObject, Namespace } from '../../../api/types.js';
import { queueController, type Controller, type ControllerContext } from '../controller.js';
import { computeServiceAccounts } from './actions.js';

export function serviceAccountController(ctx: ControllerContext): Controller {
  const { client, informers } = ctx;
  const namespaces = informers.for<Namespace>(Resources.namespaces);
  const accounts = informers.for<KubeObject>(Resources.serviceaccounts);
  const c = queueController('serviceaccount-controller', 1, sync);
  namespaces.addHandlers({ onAdd: (n) => c.queue.add(n.metadata.name!), onUpdate: (_o, n) => c.queue.add(n.metadata.name!) });
  accounts.addHandlers({ onDelete: (sa) => c.queue.add(sa.metadata.namespace!) });

  async function sync(name: string): Promise<void> {
    const namespace = namespaces.get(name);
    if (!namespace) return;
    const existing = new Set(accounts.list().filter((sa) => sa.metadata.namespace === name).map((sa) => sa.metadata.name!));
    for (const sa of computeServiceAccounts({ namespace, existing })) {
      await client.create(Resources.serviceaccounts, name, sa).catch((e) => (isAlreadyExists(e) ? undefined : Promise.reject(e)));
    }
  }
  return c;
}
