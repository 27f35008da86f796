// pkg/controller/controller_utils.go: the pod a controller makes from its template (GetPodFromTemplate) and the
// template hash that names revisions (ComputeHash) — shared by the workload controllers.
import type { OwnerReference, Pod, PodTemplateSpec } from '../../api/types.js';

const alphanums = 'bcdfghjklmnpqrstvwxz2456789';

/** fnv-1a over the template, spelled in the safe alphabet, as the pod-template-hash label looks in Kubernetes. */
export function templateHash(t: PodTemplateSpec, collisionCount = 0): string {
  let h = 0x811c9dc5;
  const text = canonicalJSON(t) + (collisionCount ? String(collisionCount) : '');
  for (let i = 0; i < text.length; i++) {
    h ^= text.charCodeAt(i);
    h = Math.imul(h, 0x01000193) >>> 0;
  }
  return [...String(h)].map((ch) => alphanums[ch.charCodeAt(0) % alphanums.length]).join('');
}

/**
 * JSON with sorted keys and without null fields: clients send the same template in other key orders (kubectl's
 * `rollout undo` sends Go's field order, with `creationTimestamp: null`), and it must still match its revision.
 */
export function canonicalJSON(v: unknown): string {
  return JSON.stringify(v, (_k, x) => (x && typeof x === 'object' && !Array.isArray(x) ? Object.fromEntries(Object.keys(x).sort().filter((k) => x[k] !== null).map((k) => [k, x[k]])) : x));
}

/** A pod from the template, controlled by owner: the template's labels, annotations and a copy of its spec. */
export function podFromTemplate(template: PodTemplateSpec, namespace: string | undefined, owner: OwnerReference, naming: { generateName: string } | { name: string }): Pod {
  const annotations = template.metadata?.annotations;
  return {
    apiVersion: 'v1',
    kind: 'Pod',
    metadata: {
      ...naming,
      namespace,
      labels: { ...(template.metadata?.labels ?? {}) },
      annotations: annotations && Object.keys(annotations).length ? { ...annotations } : undefined,
      ownerReferences: [owner],
    },
    spec: structuredClone(template.spec),
  };
}
