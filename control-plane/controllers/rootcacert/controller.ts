// pkg/controller/certificates/rootcacertpublisher: publishes the cluster CA as the kube-root-ca.crt ConfigMap in
// every namespace and puts it back when it is changed or deleted.
import { isAlreadyExists } from '../../../api/errors.js';
import { Resources } from '../../../api/resources.js';
import type { KubeObject, Namespace } from '../../../api/types.js';
import { queueController, type Controller, type ControllerContext } from '../controller.js';
import { computeRootCA, ROOT_CA_CONFIGMAP } from './actions.js';

export function rootCACertPublisher(ctx: ControllerContext & { caPem: string }): Controller {
  const { client, informers, caPem } = ctx;
  const namespaces = informers.for<Namespace>(Resources.namespaces);
  const configMaps = informers.for<KubeObject & { data?: Record<string, string> }>(Resources.configmaps);
  const c = queueController('root-ca-cert-publisher', 1, sync);
  namespaces.addHandlers({ onAdd: (n) => c.queue.add(n.metadata.name!), onUpdate: (_o, n) => c.queue.add(n.metadata.name!) });
  const onConfigMap = (cm: KubeObject) => cm.metadata.name === ROOT_CA_CONFIGMAP && c.queue.add(cm.metadata.namespace!);
  configMaps.addHandlers({ onUpdate: (_o, cm) => onConfigMap(cm), onDelete: onConfigMap });

  async function sync(name: string): Promise<void> {
    const namespace = namespaces.get(name);
    if (!namespace) return;
    const action = computeRootCA({ namespace, current: configMaps.get(`${name}/${ROOT_CA_CONFIGMAP}`), caPem });
    if (action.type === 'create') await client.create(Resources.configmaps, name, action.configMap).catch((e) => (isAlreadyExists(e) ? undefined : Promise.reject(e)));
    if (action.type === 'update') await client.update(Resources.configmaps, action.configMap);
  }
  return c;
}
