// The node authorizer's graph (plugin/pkg/auth/authorizer/node/graph.go): which Secrets, ConfigMaps,
// PersistentVolumeClaims and ServiceAccounts the pods bound to each node refer to. Kept up to date from a pod watch;
// a node may read an object only while some pod on it refers to it.
import type { Pod } from '../../../../api/types.js';

export type ReferencedKind = 'secrets' | 'configmaps' | 'persistentvolumeclaims' | 'serviceaccounts' | 'persistentvolumes';

type Any = any;

/** What one pod refers to, as "kind/namespace/name" keys (graph_populator's pod edges). */
export function podReferences(pod: Pod): string[] {
  const ns = pod.metadata.namespace ?? '';
  const out = new Set<string>();
  const add = (kind: ReferencedKind, name: unknown) => typeof name === 'string' && name && out.add(`${kind}/${ns}/${name}`);
  const spec = pod.spec as Any;
  add('serviceaccounts', spec.serviceAccountName || spec.serviceAccount || 'default');
  for (const s of spec.imagePullSecrets ?? []) add('secrets', s?.name);
  for (const v of spec.volumes ?? []) {
    add('secrets', v?.secret?.secretName);
    add('configmaps', v?.configMap?.name);
    add('persistentvolumeclaims', v?.persistentVolumeClaim?.claimName);
    // A generic ephemeral volume's claim is named <pod>-<volume>.
    if (v?.ephemeral) add('persistentvolumeclaims', `${pod.metadata.name}-${v.name}`);
    for (const src of v?.projected?.sources ?? []) {
      add('secrets', src?.secret?.name);
      add('configmaps', src?.configMap?.name);
    }
    for (const key of ['csi', 'cephfs', 'flexVolume', 'iscsi', 'rbd', 'scaleIO', 'storageos', 'azureFile']) add('secrets', v?.[key]?.secretRef?.name ?? v?.[key]?.nodePublishSecretRef?.name);
  }
  for (const c of [...(spec.containers ?? []), ...(spec.initContainers ?? []), ...(spec.ephemeralContainers ?? [])]) {
    for (const e of c?.env ?? []) {
      add('secrets', e?.valueFrom?.secretKeyRef?.name);
      add('configmaps', e?.valueFrom?.configMapKeyRef?.name);
    }
    for (const e of c?.envFrom ?? []) {
      add('secrets', e?.secretRef?.name);
      add('configmaps', e?.configMapRef?.name);
    }
  }
  return [...out];
}

/** Reference counts of objects per node, from the pods bound to each node. */
export class NodeGraph {
  /** pod "namespace/name" → its node and references. */
  private readonly pods = new Map<string, { node: string; refs: string[] }>();
  /** node → object key → number of pods on the node referring to it. */
  private readonly edges = new Map<string, Map<string, number>>();
  /** PVC "namespace/name" → the PV it is bound to (a node may read the PVs of its pods' claims). */
  private readonly claims = new Map<string, string>();

  /** Adds or updates a pod; unbound or finished pods give their node nothing. */
  upsertPod(pod: Pod): void {
    const key = `${pod.metadata.namespace}/${pod.metadata.name}`;
    this.removeKey(key);
    const node = pod.spec?.nodeName;
    if (!node || pod.status?.phase === 'Succeeded' || pod.status?.phase === 'Failed') return;
    const refs = podReferences(pod);
    this.pods.set(key, { node, refs });
    const counts = this.edges.get(node) ?? this.edges.set(node, new Map()).get(node)!;
    for (const r of refs) counts.set(r, (counts.get(r) ?? 0) + 1);
  }

  deletePod(pod: Pod): void {
    this.removeKey(`${pod.metadata.namespace}/${pod.metadata.name}`);
  }

  private removeKey(key: string): void {
    const had = this.pods.get(key);
    if (!had) return;
    this.pods.delete(key);
    const counts = this.edges.get(had.node)!;
    for (const r of had.refs) {
      const n = (counts.get(r) ?? 0) - 1;
      if (n > 0) counts.set(r, n);
      else counts.delete(r);
    }
    if (!counts.size) this.edges.delete(had.node);
  }

  /** Records (or clears, with undefined) the PV a claim is bound to. */
  setClaimVolume(namespace: string, claim: string, volume: string | undefined): void {
    if (volume) this.claims.set(`${namespace}/${claim}`, volume);
    else this.claims.delete(`${namespace}/${claim}`);
  }

  /** Whether a pod on `node` refers to the object (PVs: through one of its pods' claims). */
  hasPath(node: string, kind: ReferencedKind, namespace: string, name: string): boolean {
    const counts = this.edges.get(node);
    if (!counts) return false;
    if (kind !== 'persistentvolumes') return counts.has(`${kind}/${namespace}/${name}`);
    for (const ref of counts.keys()) {
      if (!ref.startsWith('persistentvolumeclaims/')) continue;
      if (this.claims.get(ref.slice('persistentvolumeclaims/'.length)) === name) return true;
    }
    return false;
  }

  /** Whether the pod "namespace/name" is bound to the node. */
  podOnNode(node: string, namespace: string, name: string): boolean {
    return this.pods.get(`${namespace}/${name}`)?.node === node;
  }
}
