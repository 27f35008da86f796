// The autoscaling/v1 Scale view of deployments, replica sets, replication controllers and stateful sets (kube: pkg/registry/apps/deployment/
// storage/storage.go, ScaleREST) and of custom resources with a scale subresource (kube: apiextensions-apiserver's
// customresource ScaleREST, at the paths their CRD names) that `kubectl scale` uses: read as a Scale, written as the
// owner's replicas.
import { conflict, StatusError } from '../../../../api/errors.js';
import { formatLabelSelector } from '../../../../api/labels.js';
import { jsonPatch, mergePatch, strategicMergePatch } from '../../../../api/patch.js';
import type { KubeObject } from '../../../../api/types.js';
import type { ScalePaths } from '../kinds.js';
import { methodNotAllowed, type Subresource } from '../rest.js';

type Any = any;

/** The built-in kinds' replicas and selector paths. */
const WORKLOAD: ScalePaths = { specReplicasPath: '.spec.replicas', statusReplicasPath: '.status.replicas' };

const segments = (path: string) => path.replace(/^\./, '').split('.');
function read(obj: Any, path: string): unknown {
  let v = obj;
  for (const f of segments(path)) v = v && typeof v === 'object' ? v[f] : undefined;
  return v;
}
/** The merge patch that sets the value at a dot path. */
function patchAt(path: string, value: unknown): Any {
  return segments(path).reduceRight((inner: unknown, f) => ({ [f]: inner }), value);
}

function toScale(obj: Any, paths: ScalePaths, custom: boolean) {
  const replicas = (path: string) => (typeof read(obj, path) === 'number' ? read(obj, path) : 0);
  // A custom resource's selector is the string at its labelSelectorPath; a workload's is its spec.selector (a plain
  // label map for a ReplicationController).
  const workloadSelector = obj.kind === 'ReplicationController' ? { matchLabels: obj.spec?.selector } : obj.spec?.selector;
  const selector = custom ? (paths.labelSelectorPath && typeof read(obj, paths.labelSelectorPath) === 'string' ? read(obj, paths.labelSelectorPath) : undefined) : formatLabelSelector(workloadSelector);
  return {
    kind: 'Scale',
    apiVersion: 'autoscaling/v1',
    metadata: { name: obj.metadata.name, namespace: obj.metadata.namespace, uid: obj.metadata.uid, resourceVersion: obj.metadata.resourceVersion, creationTimestamp: obj.metadata.creationTimestamp },
    spec: { replicas: replicas(paths.specReplicasPath) },
    status: { replicas: replicas(paths.statusReplicasPath), ...(selector !== undefined ? { selector } : {}) },
  };
}

export const scale: Subresource = {
  async serve({ store, def, namespace, name, method, body, contentType, managedFields }) {
    const paths = def.scale ?? WORKLOAD;
    const custom = !!def.scale;
    const current = (await store.get(def, namespace, name)) as Any;
    if (method === 'GET') return { code: 200, object: toScale(current, paths, custom) };
    let wanted: Any;
    if (method === 'PUT') wanted = body;
    else if (method === 'PATCH') {
      const base = toScale(current, paths, custom);
      if (contentType.startsWith('application/json-patch+json')) wanted = jsonPatch(base, body);
      else if (contentType.startsWith('application/strategic-merge-patch+json')) wanted = strategicMergePatch(base, body);
      else wanted = mergePatch(base, body);
    } else throw methodNotAllowed();
    const replicas = wanted?.spec?.replicas;
    if (!Number.isInteger(replicas) || replicas < 0) throw new StatusError(422, 'Invalid', `Scale.autoscaling "${name}" is invalid: spec.replicas: Invalid value: ${JSON.stringify(replicas)}: must be greater than or equal to 0`);
    const rv = wanted?.metadata?.resourceVersion;
    if (method === 'PUT' && rv && rv !== current.metadata.resourceVersion) throw conflict(def.plural, name, 'the object has been modified; please apply your changes to the latest version and try again', def.group);
    const updated = await store.update(def, namespace, name, (live) => mergePatch(live, patchAt(paths.specReplicasPath, replicas)) as KubeObject, { managedFields });
    return { code: 200, object: toScale(updated, paths, custom) };
  },
};
