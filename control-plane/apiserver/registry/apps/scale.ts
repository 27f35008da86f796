// The autoscaling/v1 Scale view of deployments, replica sets and stateful sets (kube: pkg/registry/apps/deployment/
// storage/storage.go, ScaleREST) that `kubectl scale` uses: read as a Scale, written as the owner's spec.replicas.
import { conflict, StatusError } from '../../../../api/errors.js';
import { formatLabelSelector } from '../../../../api/labels.js';
import { jsonPatch, mergePatch, strategicMergePatch } from '../../../../api/patch.js';
import type { KubeObject } from '../../../../api/types.js';
import { methodNotAllowed, type Subresource } from '../rest.js';

type Any = any;

function toScale(obj: Any) {
  return {
    kind: 'Scale',
    apiVersion: 'autoscaling/v1',
    metadata: { name: obj.metadata.name, namespace: obj.metadata.namespace, uid: obj.metadata.uid, resourceVersion: obj.metadata.resourceVersion, creationTimestamp: obj.metadata.creationTimestamp },
    spec: { replicas: obj.spec?.replicas ?? 0 },
    status: { replicas: obj.status?.replicas ?? 0, selector: formatLabelSelector(obj.spec?.selector) },
  };
}

export const scale: Subresource = {
  async serve({ store, def, namespace, name, method, body, contentType, managedFields }) {
    const current = (await store.get(def, namespace, name)) as Any;
    if (method === 'GET') return { code: 200, object: toScale(current) };
    let wanted: Any;
    if (method === 'PUT') wanted = body;
    else if (method === 'PATCH') {
      const base = toScale(current);
      if (contentType.startsWith('application/json-patch+json')) wanted = jsonPatch(base, body);
      else if (contentType.startsWith('application/strategic-merge-patch+json')) wanted = strategicMergePatch(base, body);
      else wanted = mergePatch(base, body);
    } else throw methodNotAllowed();
    const replicas = wanted?.spec?.replicas;
    if (!Number.isInteger(replicas) || replicas < 0) throw new StatusError(422, 'Invalid', `Scale.autoscaling "${name}" is invalid: spec.replicas: Invalid value: ${JSON.stringify(replicas)}: must be greater than or equal to 0`);
    const rv = wanted?.metadata?.resourceVersion;
    if (method === 'PUT' && rv && rv !== current.metadata.resourceVersion) throw conflict(def.plural, name, 'the object has been modified; please apply your changes to the latest version and try again', def.group);
    const updated = await store.update(def, namespace, name, (live) => mergePatch(live, { spec: { replicas } }) as KubeObject, { managedFields });
    return { code: 200, object: toScale(updated) };
  },
};
