// pods/ephemeralcontainers (kube: pkg/registry/core/pod/storage EphemeralContainersREST and the pod strategy's
// podEphemeralContainersStrategy, validation.ValidatePodEphemeralContainersUpdate): the one way to change
// spec.ephemeralContainers, which `kubectl debug` patches. It reads and writes the whole Pod; a write changes nothing
// but that list, and may only add to it.
import { badRequest, invalid } from '../../../../api/errors.js';
import { jsonPatch, mergePatch, strategicMergePatch } from '../../../../api/patch.js';
import type { KubeObject, Pod, StatusCause } from '../../../../api/types.js';
import { patchSchema } from '../../openapi/navigator.js';
import { schemaOf } from '../kinds.js';
import { methodNotAllowed, type Subresource } from '../rest.js';
import type { Strategy } from '../strategy.js';
import { duplicate, forbidden, invalidValue, required } from '../validation.js';

type Container = Pod['spec']['containers'][number] & { targetContainerName?: string };
const ephemeralOf = (p: Pod): Container[] => ((p.spec as { ephemeralContainers?: Container[] }).ephemeralContainers ?? []);

/** Fields a debugging container may not have: it gets no ports, probes, lifecycle hooks or resources of its own. */
const NOT_FOR_EPHEMERAL = ['ports', 'lifecycle', 'livenessProbe', 'readinessProbe', 'startupProbe', 'resources', 'resizePolicy'] as const;

/** Set to something: defaulting leaves an empty `resources: {}` on every container, which sets nothing. */
const isSet = (v: unknown) => v !== undefined && v !== null && !(typeof v === 'object' && Object.keys(v).length === 0);

/** Only additions: the existing ephemeral containers as they were, each new one well formed and uniquely named. */
export function validateEphemeralUpdate(pod: Pod, old: Pod): StatusCause[] {
  const out: StatusCause[] = [];
  const before = ephemeralOf(old);
  const after = ephemeralOf(pod);
  const byName = new Map(after.map((c) => [c.name, c]));
  before.forEach((c, i) => {
    const now = byName.get(c.name);
    if (!now) out.push(forbidden('spec.ephemeralContainers', `existing ephemeral containers "${c.name}" may not be removed`));
    else if (JSON.stringify(now) !== JSON.stringify(c)) out.push(forbidden(`spec.ephemeralContainers[${i}]`, `existing ephemeral containers "${c.name}" may not be changed`));
  });
  const names = new Set([...pod.spec.containers, ...(pod.spec.initContainers ?? [])].map((c) => c.name));
  const regular = new Set(names);
  after.forEach((c, i) => {
    const path = `spec.ephemeralContainers[${i}]`;
    if (!c.name) out.push(required(`${path}.name`));
    else if (!/^[a-z0-9]([-a-z0-9]*[a-z0-9])?$/.test(c.name) || c.name.length > 63) out.push(invalidValue(`${path}.name`, c.name, "a lowercase RFC 1123 label must consist of lower case alphanumeric characters or '-', and must start and end with an alphanumeric character"));
    else if (names.has(c.name)) out.push(duplicate(`${path}.name`, c.name));
    names.add(c.name);
    if (before.some((b) => b.name === c.name)) return;
    if (!c.image) out.push(required(`${path}.image`));
    for (const f of NOT_FOR_EPHEMERAL) if (isSet((c as unknown as Record<string, unknown>)[f])) out.push(forbidden(`${path}.${f}`, 'cannot be set for an Ephemeral Container'));
    if (c.targetContainerName && !regular.has(c.targetContainerName)) out.push({ reason: 'FieldValueNotFound', field: `${path}.targetContainerName`, message: `Not found: ${JSON.stringify(c.targetContainerName)}` });
  });
  return out;
}

/** The pod strategy for writes through /ephemeralcontainers: everything but the list is the stored pod's. */
function ephemeralStrategy(main: Strategy): Strategy {
  return {
    ...main,
    prepareForUpdate(obj, old) {
      const next = structuredClone(old) as Pod;
      (next.spec as { ephemeralContainers?: Container[] }).ephemeralContainers = structuredClone(ephemeralOf(obj as Pod));
      return next as KubeObject;
    },
    validateUpdate: (obj, old) => validateEphemeralUpdate(obj as Pod, old as Pod),
  };
}

export const podEphemeralContainers: Subresource = {
  async serve({ store, def, namespace, name, method, body, contentType, managedFields }) {
    const current = (await store.get(def, namespace, name)) as Pod;
    if (method === 'GET') return { code: 200, object: current };
    let wanted: Pod;
    if (method === 'PUT') wanted = body as Pod;
    else if (method === 'PATCH') {
      if (contentType.startsWith('application/json-patch+json')) wanted = jsonPatch(current, body) as Pod;
      else if (contentType.startsWith('application/strategic-merge-patch+json')) wanted = strategicMergePatch(current, body, patchSchema(schemaOf(def))) as Pod;
      else if (contentType.startsWith('application/merge-patch+json')) wanted = mergePatch(current, body) as Pod;
      else throw badRequest(`unsupported patch type for pods/ephemeralcontainers: ${contentType}`);
    } else throw methodNotAllowed();
    if (!wanted || typeof wanted !== 'object' || !wanted.spec) throw invalid('Pod', name, [required('spec')]);
    const updated = await store.update(def, namespace, name, () => wanted as KubeObject, { managedFields, strategy: ephemeralStrategy(def.strategy) });
    return { code: 200, object: updated };
  },
};
