// pods/binding (kube: pkg/registry/core/pod/storage/storage.go, BindingREST): the scheduler's decision — the pod's
// spec.nodeName and its PodScheduled condition, written together in one read-modify-write of the stored pod
// (assignPod's GuaranteedUpdate).
import { conflict, StatusError } from '../../../../api/errors.js';
import { formatTime } from '../../../../api/time.js';
import type { KubeObject } from '../../../../api/types.js';
import { methodNotAllowed, success, type Subresource } from '../rest.js';

type Any = any;

export const podBinding: Subresource = {
  async serve({ store, reads, def, namespace, name, method, body, user }) {
    if (method !== 'POST') throw methodNotAllowed();
    const nodeName = (body as Any)?.target?.name;
    if (!nodeName) throw new StatusError(422, 'Invalid', 'Binding "" is invalid: target.name: Required value');
    // Decided on the stored pod each time the write is tried, so a pod bound or deleted in between is refused. The
    // live pod may be the watch cache's, shared by every reader: what changes is copied, the rest is left as it is.
    const assign = (live: KubeObject): KubeObject => {
      const pod = live as Any;
      if (pod.metadata.deletionTimestamp) throw conflict('pods', name, 'pod is being deleted, cannot be assigned to a host');
      if (pod.spec.nodeName) throw conflict('pods', name, `pod ${name} is already assigned to node "${pod.spec.nodeName}"`);
      const conditions: Any[] = pod.status?.conditions ?? [];
      const scheduled = { type: 'PodScheduled', status: 'True', lastProbeTime: null, lastTransitionTime: formatTime() };
      return { ...pod, metadata: { ...pod.metadata }, spec: { ...pod.spec, nodeName }, status: { ...pod.status, conditions: [...conditions.filter((c) => c.type !== 'PodScheduled'), scheduled] } };
    };
    // The binding's own write: no field manager records it, as kube-apiserver writes it to storage directly.
    // The pods' strategy, except that the write keeps the object assign made instead of copying it again.
    const strategy = { ...def.strategy, prepareForUpdate: (obj: KubeObject) => obj };
    // The first try starts from the pod the watch cache holds (resourceVersion 0: any it has), as kube's binding starts
    // its GuaranteedUpdate from the cacher's copy; a pod written since (bound, deleted) is tried again from the store.
    const cached = await reads.get(def, namespace, name, '0').catch(() => undefined);
    await store.update(def, namespace, name, assign, { strategy, user, subresource: 'binding', cached });
    return { code: 201, object: success(201) };
  },
};
