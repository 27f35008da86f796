// pods/binding (kube: pkg/registry/core/pod/storage/storage.go, BindingREST): the scheduler's decision — the pod's
// spec.nodeName and its PodScheduled condition, written together.
import { conflict, StatusError } from '../../../../api/errors.js';
import { formatTime } from '../../../../api/time.js';
import type { KubeObject } from '../../../../api/types.js';
import { methodNotAllowed, success, type Subresource } from '../rest.js';

type Any = any;

export const podBinding: Subresource = {
  async serve({ store, def, namespace, name, method, body, user }) {
    if (method !== 'POST') throw methodNotAllowed();
    const nodeName = (body as Any)?.target?.name;
    if (!nodeName) throw new StatusError(422, 'Invalid', 'Binding "" is invalid: target.name: Required value');
    const pod = (await store.get(def, namespace, name)) as Any;
    if (pod.metadata.deletionTimestamp) throw conflict('pods', name, 'pod is being deleted, cannot be assigned to a host');
    if (pod.spec.nodeName) throw conflict('pods', name, `pod ${name} is already assigned to node "${pod.spec.nodeName}"`);
    pod.spec.nodeName = nodeName;
    const conditions: Any[] = (pod.status ??= {}).conditions ?? [];
    const scheduled = { type: 'PodScheduled', status: 'True', lastProbeTime: null, lastTransitionTime: formatTime() };
    pod.status.conditions = [...conditions.filter((c) => c.type !== 'PodScheduled'), scheduled];
    // The binding's own writes: no field manager records them, as kube-apiserver writes them to storage directly.
    const stored = await store.update(def, namespace, name, () => ({ ...pod, status: undefined }) as KubeObject, { user, subresource: 'binding' });
    await store.update(def, namespace, name, () => ({ ...stored, status: pod.status }) as KubeObject, { strategy: def.statusStrategy, user, subresource: 'binding' });
    return { code: 201, object: success(201) };
  },
};
