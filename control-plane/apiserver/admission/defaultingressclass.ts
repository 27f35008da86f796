// The DefaultIngressClass admission plugin (kube: plugin/pkg/admission/network/defaultingressclass): an Ingress created
// without a class — neither spec.ingressClassName nor the old kubernetes.io/ingress.class annotation — gets the class
// annotated ingressclass.kubernetes.io/is-default-class: "true"; with several such classes, the newest (then the first
// by name) wins.
import type { IngressClass } from '../../../api/types.js';
import { DEFAULT_INGRESS_CLASS_ANNOTATION, INGRESS_CLASS_ANNOTATION } from '../../../api/types.js';
import type { Store } from '../../storage/store.js';
import { findByPlural, storePrefix } from '../registry/kinds.js';
import type { WriteAttributes } from '../registry/store.js';
import type { AdmissionPlugin } from './chain.js';
import { newestMarkedDefault } from './defaultclass.js';

type Any = any;

const ingressClasses = findByPlural('networking.k8s.io', 'v1', 'ingressclasses')!;

/** The default among `classes`: annotated "true", newest first, then by name. */
export function defaultClass(classes: IngressClass[]): IngressClass | undefined {
  return newestMarkedDefault(classes, (c) => c.metadata.annotations?.[DEFAULT_INGRESS_CLASS_ANNOTATION] === 'true');
}

export class DefaultIngressClass implements AdmissionPlugin {
  readonly name = 'DefaultIngressClass';

  constructor(private readonly store: Store) {}

  async admit({ operation, def, object, subresource }: WriteAttributes): Promise<void> {
    if (operation !== 'CREATE' || subresource || def.group !== 'networking.k8s.io' || def.plural !== 'ingresses') return;
    const o = object as Any;
    if (o.spec?.ingressClassName !== undefined && o.spec.ingressClassName !== null) return;
    if (o.metadata?.annotations?.[INGRESS_CLASS_ANNOTATION] !== undefined) return;
    const page = await this.store.list(storePrefix(ingressClasses));
    const chosen = defaultClass(page.items.map((kv) => JSON.parse(kv.value) as IngressClass));
    if (!chosen) return;
    o.spec ??= {};
    o.spec.ingressClassName = chosen.metadata.name;
  }
}
