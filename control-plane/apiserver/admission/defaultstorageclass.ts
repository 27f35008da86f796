// The DefaultStorageClass admission plugin (kube: plugin/pkg/admission/storage/storageclass/setdefault): a
// PersistentVolumeClaim created without spec.storageClassName (nor the old beta annotation) gets the class annotated
// storageclass.kubernetes.io/is-default-class: "true"; with several, the newest (then the first by name) wins. An
// explicit "" asks for no class and is left alone.
import { isDefaultClass, type StorageClass } from '../../../api/types.js';
import type { Store } from '../../storage/store.js';
import { findByPlural, storePrefix } from '../registry/kinds.js';
import type { WriteAttributes } from '../registry/store.js';
import type { AdmissionPlugin } from './chain.js';
import { newestMarkedDefault } from './defaultclass.js';

type Any = any;

const storageClasses = findByPlural('storage.k8s.io', 'v1', 'storageclasses')!;

/** The default among `classes`: marked default, newest first, then by name (storageutil.GetDefaultClass). */
export function defaultStorageClass(classes: StorageClass[]): StorageClass | undefined {
  return newestMarkedDefault(classes, isDefaultClass);
}

export class DefaultStorageClass implements AdmissionPlugin {
  readonly name = 'DefaultStorageClass';

  constructor(private readonly store: Store) {}

  async admit({ operation, def, object, subresource }: WriteAttributes): Promise<void> {
    if (operation !== 'CREATE' || subresource || def.group !== '' || def.plural !== 'persistentvolumeclaims') return;
    const o = object as Any;
    if (o.spec?.storageClassName !== undefined && o.spec.storageClassName !== null) return;
    if (o.metadata?.annotations?.['volume.beta.kubernetes.io/storage-class'] !== undefined) return;
    const page = await this.store.list(storePrefix(storageClasses));
    const chosen = defaultStorageClass(page.items.map((kv) => JSON.parse(kv.value) as StorageClass));
    if (!chosen) return;
    o.spec ??= {};
    o.spec.storageClassName = chosen.metadata.name;
  }
}
