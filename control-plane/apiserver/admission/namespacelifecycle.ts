// The NamespaceLifecycle admission plugin (kube: plugin/pkg/admission/namespace/lifecycle): a namespaced object is
// created only in a namespace that exists and is not being deleted, and the namespaces the system itself lives in
// can't be deleted.
import { notFound } from '../../../api/errors.js';
import type { Namespace } from '../../../api/types.js';
import type { Store } from '../../storage/store.js';
import { findByPlural, storeKey } from '../registry/kinds.js';
import type { WriteAttributes } from '../registry/store.js';
import { forbidden, type AdmissionPlugin } from './chain.js';

const namespaces = findByPlural('', 'v1', 'namespaces')!;

/** Namespaces every cluster needs: the API server makes them and refuses their deletion. */
export const IMMORTAL_NAMESPACES: ReadonlySet<string> = new Set(['default', 'kube-system', 'kube-public', 'kube-node-lease']);

export class NamespaceLifecycle implements AdmissionPlugin {
  readonly name = 'NamespaceLifecycle';

  constructor(private readonly store: Store) {}

  async admit({ operation, def, object }: WriteAttributes): Promise<void> {
    if (operation !== 'CREATE' || !def.namespaced) return;
    const namespace = object.metadata.namespace!;
    const kv = await this.store.get(storeKey(namespaces, undefined, namespace));
    if (!kv) throw notFound('namespaces', namespace);
    if ((JSON.parse(kv.value) as Namespace).status?.phase === 'Terminating')
      throw forbidden(def, object, `unable to create new content in namespace ${namespace} because it is being terminated`);
  }

  async validate({ operation, def, object }: WriteAttributes): Promise<void> {
    if (operation === 'DELETE' && def.group === '' && def.plural === 'namespaces' && IMMORTAL_NAMESPACES.has(object.metadata.name!)) {
      throw forbidden(def, object, 'this namespace may not be deleted');
    }
  }
}
