// The NamespaceLifecycle admission plugin (kube: plugin/pkg/admission/namespace/lifecycle): a namespaced object is
// created only in a namespace that exists and is not being deleted, and the namespaces the system itself lives in
// can't be deleted.
import { notFound } from '../../../api/errors.js';
import { Resources } from '../../../api/resources.js';
import type { Namespace } from '../../../api/types.js';
import type { WriteAttributes } from '../registry/store.js';
import { forbidden, type AdmissionPlugin } from './chain.js';
import type { ObjectGetter } from './lister.js';

/** Namespaces every cluster needs: the API server makes them and refuses their deletion. */
export const IMMORTAL_NAMESPACES: ReadonlySet<string> = new Set(['default', 'kube-system', 'kube-public', 'kube-node-lease']);

export class NamespaceLifecycle implements AdmissionPlugin {
  readonly name = 'NamespaceLifecycle';

  /** `get` reads namespaces as they are stored now: kube's plugin reads its informer, then the store if it misses. */
  constructor(private readonly get: ObjectGetter) {}

  async admit({ operation, def, object }: WriteAttributes): Promise<void> {
    if (operation !== 'CREATE' || !def.namespaced) return;
    const namespace = object.metadata.namespace!;
    const ns = (await this.get(Resources.namespaces, undefined, namespace)) as Namespace | undefined;
    if (!ns) throw notFound('namespaces', namespace);
    if (ns.status?.phase === 'Terminating')
      throw forbidden(def, object, `unable to create new content in namespace ${namespace} because it is being terminated`);
  }

  async validate({ operation, def, object }: WriteAttributes): Promise<void> {
    if (operation === 'DELETE' && def.group === '' && def.plural === 'namespaces' && IMMORTAL_NAMESPACES.has(object.metadata.name!)) {
      throw forbidden(def, object, 'this namespace may not be deleted');
    }
  }
}
