// The NamespaceLifecycle admission plugin (kube: plugin/pkg/admission/namespace/lifecycle): a namespaced object is
// created only in a namespace that exists and is not being deleted.
import { notFound, StatusError } from '../../../api/errors.js';
import type { Namespace } from '../../../api/types.js';
import type { Store } from '../../storage/store.js';
import { findByPlural, storeKey } from '../registry/kinds.js';
import type { WriteAttributes } from '../registry/store.js';
import type { AdmissionPlugin } from './chain.js';

const namespaces = findByPlural('', 'v1', 'namespaces')!;

export class NamespaceLifecycle implements AdmissionPlugin {
  readonly name = 'NamespaceLifecycle';

  constructor(private readonly store: Store) {}

  async admit({ operation, def, object }: WriteAttributes): Promise<void> {
    if (operation !== 'CREATE' || !def.namespaced) return;
    const namespace = object.metadata.namespace!;
    const kv = await this.store.get(storeKey(namespaces, undefined, namespace));
    if (!kv) throw notFound('namespaces', namespace);
    if ((JSON.parse(kv.value) as Namespace).status?.phase === 'Terminating')
      throw new StatusError(403, 'Forbidden', `${def.plural} "${''}" is forbidden: unable to create new content in namespace ${namespace} because it is being terminated`, { kind: def.plural });
  }
}
