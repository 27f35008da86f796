// The NodeRestriction admission plugin (kube: plugin/pkg/admission/noderestriction): what the Node authorizer lets a
// kubelet do is narrowed to its own objects — it may create only mirror pods bound to itself (and using no API
// objects), change the status of and delete only pods bound to it, evict only those, create and update only its own
// Node and Lease, set no labels under node-restriction.kubernetes.io/ nor kubernetes.io labels a kubelet may not set,
// and not change its taints after registration.
import type { KubeObject, Node, Pod, UserInfo } from '../../../api/types.js';
import type { Store } from '../../storage/store.js';
import { nodeNameOf } from '../authorization/node/authorizer.js';
import { findByPlural, storeKey } from '../registry/kinds.js';
import type { WriteAttributes } from '../registry/store.js';
import { forbidden, type AdmissionPlugin } from './chain.js';
import { MIRROR_ANNOTATION } from './serviceaccount.js';

type Any = any;

const pods = findByPlural('', 'v1', 'pods')!;

/** Labels a kubelet may set on its Node in the kubernetes.io and k8s.io namespaces (kubelet's allowed node labels). */
const KUBELET_LABELS = new Set([
  'kubernetes.io/hostname',
  'kubernetes.io/arch',
  'kubernetes.io/os',
  'beta.kubernetes.io/arch',
  'beta.kubernetes.io/os',
  'beta.kubernetes.io/instance-type',
  'node.kubernetes.io/instance-type',
  'failure-domain.beta.kubernetes.io/region',
  'failure-domain.beta.kubernetes.io/zone',
  'topology.kubernetes.io/region',
  'topology.kubernetes.io/zone',
]);
const KUBELET_LABEL_PREFIXES = ['kubelet.kubernetes.io/', 'node.kubernetes.io/'];
const RESTRICTED_PREFIX = 'node-restriction.kubernetes.io/';

/** Whether a kubelet may set this label on its own Node. */
export function kubeletMaySetLabel(key: string): boolean {
  const slash = key.indexOf('/');
  if (slash < 0) return true;
  const domain = key.slice(0, slash);
  if (key.startsWith(RESTRICTED_PREFIX)) return false;
  const kubeDomain = domain === 'kubernetes.io' || domain.endsWith('.kubernetes.io') || domain === 'k8s.io' || domain.endsWith('.k8s.io');
  if (!kubeDomain) return true;
  return KUBELET_LABELS.has(key) || KUBELET_LABEL_PREFIXES.some((p) => key.startsWith(p));
}

/** Labels the node adds or changes that it may not (kube compares with the stored node on update). */
function forbiddenLabels(next: Record<string, string> = {}, old: Record<string, string> = {}): string[] {
  return Object.keys(next)
    .filter((k) => (old[k] !== next[k] || !(k in old)) && !kubeletMaySetLabel(k))
    .sort();
}

export class NodeRestriction implements AdmissionPlugin {
  readonly name = 'NodeRestriction';

  constructor(private readonly store: Store) {}

  async validate(a: WriteAttributes): Promise<void> {
    const node = a.user && nodeNameOf(a.user as UserInfo);
    if (!node) return;
    if (a.def.group === 'coordination.k8s.io' && a.def.plural === 'leases') return this.lease(a, node);
    if (a.def.group) return;
    if (a.def.plural === 'pods') return this.pod(a, node);
    if (a.def.plural === 'nodes') return this.node(a, node);
  }

  /** A node's own Lease only: the authorizer cannot know the name of one being created, so it is checked here. */
  private lease(a: WriteAttributes, node: string): void {
    const lease = a.object as KubeObject;
    if (lease.metadata.namespace !== 'kube-node-lease') throw forbidden(a.def, lease, 'can only access leases in the "kube-node-lease" system namespace');
    if (lease.metadata.name !== node) throw forbidden(a.def, lease, 'can only access node lease with the same name as the requesting node');
  }

  private async pod(a: WriteAttributes, node: string): Promise<void> {
    const pod = a.object as Pod;
    const deny = (msg: string) => forbidden(a.def, pod, msg);
    if (a.operation === 'CREATE' && !a.subresource) {
      if (pod.metadata.annotations?.[MIRROR_ANNOTATION] === undefined) throw deny(`pod does not have "${MIRROR_ANNOTATION}" annotation, node "${node}" can only create mirror pods`);
      if (pod.spec.nodeName !== node) throw deny(`node "${node}" can only create pods with spec.nodeName set to itself`);
      const spec = pod.spec as Any;
      if (spec.serviceAccountName) throw deny(`node "${node}" can not create pods that reference a service account`);
      for (const v of spec.volumes ?? []) {
        if (v.secret || v.projected?.sources?.some((s: Any) => s.secret)) throw deny(`node "${node}" can not create pods that reference secrets`);
        if (v.configMap || v.projected?.sources?.some((s: Any) => s.configMap)) throw deny(`node "${node}" can not create pods that reference configmaps`);
        if (v.persistentVolumeClaim) throw deny(`node "${node}" can not create pods that reference persistentvolumeclaims`);
      }
      const owners = pod.metadata.ownerReferences ?? [];
      if (owners.some((o) => o.kind !== 'Node' || o.name !== node)) throw deny(`node "${node}" can only create pods with an owner reference set to itself`);
      return;
    }
    // Updates of status, deletions and evictions: only of pods bound to this node.
    const bound = a.oldObject ? (a.oldObject as Pod).spec.nodeName : await this.boundNode(pod);
    if (a.operation === 'UPDATE') {
      if (a.subresource !== 'status') throw deny(`node "${node}" can only update pod status`);
      if (bound !== node) throw deny(`node "${node}" can only update pod status for pods with spec.nodeName set to itself`);
      return;
    }
    if (a.operation === 'DELETE' && bound !== node) throw deny(a.subresource === 'eviction' ? `node "${node}" can only evict pods with spec.nodeName set to itself` : `node "${node}" can only delete pods with spec.nodeName set to itself`);
  }

  private async boundNode(pod: Pod): Promise<string | undefined> {
    const kv = await this.store.get(storeKey(pods, pod.metadata.namespace, pod.metadata.name!));
    return kv ? (JSON.parse(kv.value) as Pod).spec.nodeName : pod.spec.nodeName;
  }

  private node(a: WriteAttributes, node: string): void {
    const obj = a.object as Node;
    const name = obj.metadata.name;
    if (name !== node) throw forbidden(a.def, obj, `node "${node}" is not allowed to modify node "${name}"`);
    if (a.operation === 'DELETE') return;
    const old = a.oldObject as Node | undefined;
    const bad = forbiddenLabels(obj.metadata.labels, old?.metadata.labels);
    if (bad.length) throw forbidden(a.def, obj, `is not allowed to modify labels: ${bad.join(', ')}`);
    if (old && a.subresource !== 'status' && JSON.stringify(obj.spec?.taints ?? []) !== JSON.stringify(old.spec?.taints ?? [])) throw forbidden(a.def, obj, `node "${node}" is not allowed to modify taints`);
  }
}
