// scheduling.k8s.io/v1 PriorityClass and node.k8s.io/v1 RuntimeClass: the names pods use for their priority and their
// runtime handler.
import { core } from './core-pod.js';
import { bool, int32, list, map, obj, pkg, ref, str, strMap, typeMeta, type Definition } from './dsl.js';
import { meta, quantity } from './meta.js';

export const scheduling = pkg('io.k8s.api.scheduling.v1');
export const node = pkg('io.k8s.api.node.v1');

export const schedulingDefinitions: Definition[] = [
  obj(scheduling('PriorityClass'), 'A name for a pod priority value: pods naming it in spec.priorityClassName get its value as spec.priority.', {
    ...typeMeta(meta('ObjectMeta')),
    value: int32('The priority of pods of this class; higher runs first. User classes go up to 1000000000; higher values are the system classes\'.', { default: 0 }),
    globalDefault: bool('Whether pods naming no class get this one. At most one class may be the default.'),
    description: str('When this class should be used.'),
    preemptionPolicy: str('PreemptLowerPriority (default) or Never. Immutable.', { enum: ['Never', 'PreemptLowerPriority'] }),
  }, { required: ['value'], gvk: [{ group: 'scheduling.k8s.io', version: 'v1', kind: 'PriorityClass' }] }),
  obj(node('RuntimeClass'), 'A container runtime configuration pods choose with spec.runtimeClassName.', {
    ...typeMeta(meta('ObjectMeta')),
    handler: str('The runtime handler configured on the nodes (a DNS label). Immutable.', { default: '' }),
    overhead: ref(node('Overhead'), 'Resources a pod of this class uses beyond its containers\'.'),
    scheduling: ref(node('Scheduling'), 'Where pods of this class may run.'),
  }, { required: ['handler'], gvk: [{ group: 'node.k8s.io', version: 'v1', kind: 'RuntimeClass' }] }),
  obj(node('Overhead'), 'Resources a runtime class adds to each pod.', {
    podFixed: map(quantity, 'The fixed overhead of each pod.'),
  }),
  obj(node('Scheduling'), 'The nodes that support a runtime class.', {
    nodeSelector: strMap('Labels the node must have; merged into the pod\'s node selector.'),
    tolerations: list(core('Toleration'), 'Tolerations added to pods of this class.', { listType: 'atomic' }),
  }),
];
