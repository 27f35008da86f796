// Node selectors and required node affinity (k8s.io/component-helpers/scheduling/corev1/nodeaffinity): the
// scheduler, volume binding and the DaemonSet controller decide with the same rule whether a pod fits a node's labels.
import type { Node, PodSpec } from './types.js';

type Any = any;

/** One term: every matchExpression on the node's labels and every matchField (metadata.name) holds. */
export function matchNodeSelectorTerm(term: Any, node: Node): boolean {
  const labels = node.metadata.labels ?? {};
  return (term.matchExpressions ?? []).every((e: Any) => {
    const v = labels[e.key];
    switch (e.operator) {
      case 'In':
        return v !== undefined && e.values.includes(v);
      case 'NotIn':
        return v === undefined || !e.values.includes(v);
      case 'Exists':
        return v !== undefined;
      case 'DoesNotExist':
        return v === undefined;
      case 'Gt':
        return v !== undefined && Number(v) > Number(e.values[0]);
      case 'Lt':
        return v !== undefined && Number(v) < Number(e.values[0]);
      default:
        return false;
    }
  }) && (term.matchFields ?? []).every((f: Any) => (f.key === 'metadata.name' ? (f.operator === 'In' ? f.values.includes(node.metadata.name) : !f.values.includes(node.metadata.name)) : false));
}

const requiredTerms = (spec: Pick<PodSpec, 'affinity'>): Any[] | undefined => (spec.affinity as Any)?.nodeAffinity?.requiredDuringSchedulingIgnoredDuringExecution?.nodeSelectorTerms;

/** Whether a pod spec's nodeSelector and required node affinity (any one of its terms) admit the node. */
export function fitsNodeAffinity(spec: Pick<PodSpec, 'nodeSelector' | 'affinity'>, node: Node): boolean {
  const labels = node.metadata.labels ?? {};
  for (const [k, v] of Object.entries(spec.nodeSelector ?? {})) if (labels[k] !== v) return false;
  const terms = requiredTerms(spec);
  return !terms?.length || terms.some((t: Any) => matchNodeSelectorTerm(t, node));
}

/** Whether the spec asks anything of a node's labels or name (else every node fits it). */
export function constrainsNodes(spec: Pick<PodSpec, 'nodeSelector' | 'affinity'>): boolean {
  return Object.keys(spec.nodeSelector ?? {}).length > 0 || (requiredTerms(spec)?.length ?? 0) > 0;
}
