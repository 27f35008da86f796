// The Priority admission plugin (kube: plugin/pkg/admission/priority): a pod gets the value of the PriorityClass it
// names (or of the cluster's default class, else 0) as spec.priority, with the class's preemption policy; a pod
// naming a class that does not exist, or stating a different priority itself, is refused. A PriorityClass may be the
// global default only while no other is.
import type { KubeObject } from '../../../api/types.js';
import { findByPlural } from '../registry/kinds.js';
import { PREEMPT_LOWER_PRIORITY } from '../registry/scheduling/priorityclass.js';
import type { WriteAttributes } from '../registry/store.js';
import { forbidden, type AdmissionPlugin } from './chain.js';
import type { NamespaceLister } from './lister.js';

type Any = any;

const priorityClasses = findByPlural('scheduling.k8s.io', 'v1', 'priorityclasses')!;

export class PriorityAdmission implements AdmissionPlugin {
  readonly name = 'Priority';

  /** Reads the classes through the watch cache: every pod create asks, and there are only a few. */
  constructor(private readonly list: NamespaceLister) {}

  async admit({ operation, def, object, subresource }: WriteAttributes): Promise<void> {
    if (operation !== 'CREATE' || subresource || def.group !== '' || def.plural !== 'pods') return;
    const spec = ((object as Any).spec ??= {});
    let cls: Any | undefined;
    if (spec.priorityClassName) {
      cls = (await this.list(priorityClasses, undefined)).find((c) => c.metadata.name === spec.priorityClassName);
      if (!cls) throw forbidden(def, object, `no PriorityClass with name ${spec.priorityClassName} was found`);
    } else {
      cls = await this.globalDefault();
      if (cls) spec.priorityClassName = cls.metadata.name;
    }
    const value = cls?.value ?? 0;
    if (spec.priority !== undefined && spec.priority !== null && spec.priority !== value) {
      throw forbidden(def, object, `the integer value of priority (${spec.priority}) must not be provided in pod spec; priority admission controller computed ${value} from the given PriorityClass name`);
    }
    spec.priority = value;
    spec.preemptionPolicy ??= cls?.preemptionPolicy ?? PREEMPT_LOWER_PRIORITY;
  }

  async validate({ operation, def, object }: WriteAttributes): Promise<void> {
    if ((operation !== 'CREATE' && operation !== 'UPDATE') || def !== priorityClasses || !(object as Any).globalDefault) return;
    const other = await this.globalDefault(object.metadata.name);
    if (other) throw forbidden(def, object, `PriorityClass ${other.metadata.name} is already marked as default. Only one default can exist`);
  }

  /** The class marked globalDefault (the lowest value if, against the rule, there are several), other than `except`. */
  private async globalDefault(except?: string): Promise<Any | undefined> {
    const defaults = (await this.list(priorityClasses, undefined)).filter((c: KubeObject & Any) => c.globalDefault && c.metadata.name !== except);
    return defaults.sort((a, b) => a.value - b.value)[0];
  }
}
