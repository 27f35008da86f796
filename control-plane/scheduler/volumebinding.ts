// The VolumeBinding plugin (kube: pkg/scheduler/framework/plugins/volumebinding), in its simplest honest form:
// PreFilter refuses a pod whose claims are missing, being deleted, or unbound with an Immediate class (the binder
// binds those); Filter keeps the nodes every bound volume's node affinity admits and where each WaitForFirstConsumer
// claim can get a volume (a free one reachable there, or a provisioner); when the pod is bound, each such claim gets
// its volume reserved (a free one on the node) or is annotated volume.kubernetes.io/selected-node for its provisioner.
import { findMatchingVolume } from '../../api/persistentvolumes.js';
import { claimClass, type Node, type PersistentVolume, type PersistentVolumeClaim, type Pod, type StorageClass } from '../../api/types.js';
import { matchNodeSelectorTerm } from '../../api/nodeaffinity.js';
import type { Filter } from './plugins.js';

type Any = any;

export interface VolumeState {
  claim(namespace: string, name: string): PersistentVolumeClaim | undefined;
  volumes: readonly PersistentVolume[];
  classes: ReadonlyMap<string, StorageClass>;
}

export const ERR_VOLUME_NODE_CONFLICT = 'node(s) had volume node affinity conflict';
export const ERR_NO_VOLUME_TO_BIND = "node(s) didn't find available persistent volumes to bind";
export const ERR_PV_NOT_EXIST = 'node(s) unavailable due to one or more pvc(s) bound to non-existent pv(s)';

/**
 * The claims a pod's persistentVolumeClaim volumes name. (Generic ephemeral volumes' claims are left out: nothing in
 * kubets creates them yet, and a pod using one is scheduled as before.)
 */
export function podClaimNames(pod: Pod): string[] {
  return ((pod.spec.volumes ?? []) as Any[]).map((v) => v?.persistentVolumeClaim?.claimName).filter((n): n is string => typeof n === 'string' && !!n);
}

/** Whether a volume may be used from the node (its nodeAffinity; none means anywhere). */
export function volumeReachable(pv: PersistentVolume, node: Node): boolean {
  const terms = pv.spec?.nodeAffinity?.required?.nodeSelectorTerms;
  return !terms?.length || terms.some((t) => matchNodeSelectorTerm(t, node));
}

const delayed = (c: PersistentVolumeClaim, s: VolumeState) => s.classes.get(claimClass(c))?.volumeBindingMode === 'WaitForFirstConsumer';

/** PreFilter: why no node can take the pod, or undefined. */
export function volumePreFilter(pod: Pod, s: VolumeState): string | undefined {
  for (const name of podClaimNames(pod)) {
    const c = s.claim(pod.metadata.namespace!, name);
    if (!c) return `persistentvolumeclaim "${name}" not found`;
    if (c.metadata.deletionTimestamp) return `persistentvolumeclaim "${name}" is being deleted`;
    if (!c.spec?.volumeName && !delayed(c, s)) return 'pod has unbound immediate PersistentVolumeClaims';
  }
  return undefined;
}

/** The free volume reachable from the node that an unbound delayed claim would get there. */
const volumeOnNode = (c: PersistentVolumeClaim, node: Node, s: VolumeState) => findMatchingVolume(c, s.volumes, (pv) => volumeReachable(pv, node));

/** Filter: the node fits the pod's volumes. */
export function volumeBindingFilter(s: VolumeState): Filter {
  return {
    name: 'VolumeBinding',
    skips: (pod) => !podClaimNames(pod).length,
    filter(pod, { node }) {
      for (const name of podClaimNames(pod)) {
        const c = s.claim(pod.metadata.namespace!, name);
        if (!c) continue;
        if (c.spec?.volumeName) {
          const pv = s.volumes.find((v) => v.metadata.name === c.spec.volumeName);
          if (!pv) return ERR_PV_NOT_EXIST;
          if (!volumeReachable(pv, node)) return ERR_VOLUME_NODE_CONFLICT;
          continue;
        }
        const cls = s.classes.get(claimClass(c));
        if (volumeOnNode(c, node, s)) continue;
        if (!cls || cls.provisioner === 'kubernetes.io/no-provisioner') return ERR_NO_VOLUME_TO_BIND;
      }
      return undefined;
    },
  };
}

export type VolumeAssumption =
  | { type: 'reserve'; claim: PersistentVolumeClaim; volume: PersistentVolume }
  | { type: 'selectNode'; claim: PersistentVolumeClaim; node: string };

/** What binding the pod to the node asks of its unbound delayed claims (the plugin's PreBind). */
export function volumeAssumptions(pod: Pod, node: Node, s: VolumeState): VolumeAssumption[] {
  const out: VolumeAssumption[] = [];
  for (const name of podClaimNames(pod)) {
    const c = s.claim(pod.metadata.namespace!, name);
    if (!c || c.spec?.volumeName || !delayed(c, s)) continue;
    const pv = volumeOnNode(c, node, s);
    if (pv) out.push({ type: 'reserve', claim: c, volume: pv });
    else if (c.metadata.annotations?.['volume.kubernetes.io/selected-node'] !== node.metadata.name) out.push({ type: 'selectNode', claim: c, node: node.metadata.name! });
  }
  return out;
}
