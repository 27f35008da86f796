// Where a pod's volumes live on the node and how containers mount them (kubernetes pkg/kubelet/volumemanager's
// desired state and kubelet_pods.go makeMounts): one directory per volume under the pod's volume directory, named by
// kind; API data volumes (configMap, secret, downwardAPI, projected) are always mounted read-only, and those holding
// secrets live in memory (tmpfs), as kubelet's wrapped emptyDir{medium: Memory}. Pure.
import path from 'node:path';
import type { Container, Pod } from '../../../api/types.js';
import { parseQuantity } from '../../../api/quantity.js';
import { expandSubPathExpr, ContainerConfigError, type KeyValue } from '../env.js';
import type { Volume, VolumeMount } from './types.js';

export type VolumeKind = 'empty-dir' | 'host-path' | 'configmap' | 'secret' | 'downward-api' | 'projected' | 'persistent-volume-claim';

export interface PodVolume {
  name: string;
  kind: VolumeKind;
  volume: Volume;
  /**
   * The directory (or, for hostPath, the file or directory) containers mount; for a claim, a placeholder until the
   * volume manager has found the directory of the volume bound to it.
   */
  hostPath: string;
  /** Containers always mount it read-only. */
  readOnly: boolean;
  /** Backed by a tmpfs the kubelet mounts (emptyDir medium Memory, secret, downwardAPI, projected). */
  memory: boolean;
}

export const podVolumesDirectory = (dataDir: string, uid: string): string => path.join(dataDir, 'pod-volumes', uid);

export function volumeKind(v: Volume): VolumeKind | undefined {
  if (v.emptyDir !== undefined && v.emptyDir !== null) return 'empty-dir';
  if (v.hostPath) return 'host-path';
  if (v.configMap) return 'configmap';
  if (v.secret) return 'secret';
  if (v.downwardAPI) return 'downward-api';
  if (v.projected) return 'projected';
  if (v.persistentVolumeClaim) return 'persistent-volume-claim';
  return undefined;
}

/** The pod's volumes the kubelet can set up, by name; volumes of other kinds are not mounted. */
export function podVolumes(pod: Pod, dataDir: string): Map<string, PodVolume> {
  const out = new Map<string, PodVolume>();
  const root = podVolumesDirectory(dataDir, pod.metadata.uid!);
  for (const v of (pod.spec.volumes ?? []) as Volume[]) {
    const kind = volumeKind(v);
    if (!kind) continue;
    const hostPath = kind === 'host-path' ? v.hostPath!.path : path.join(root, kind, v.name);
    const memory = kind === 'secret' || kind === 'downward-api' || kind === 'projected' || (kind === 'empty-dir' && v.emptyDir!.medium === 'Memory');
    const readOnly = kind === 'persistent-volume-claim' ? !!v.persistentVolumeClaim!.readOnly : kind !== 'empty-dir' && kind !== 'host-path';
    out.set(v.name, { name: v.name, kind, volume: v, hostPath, readOnly, memory });
  }
  return out;
}

/**
 * The size of a memory-backed volume (SizeMemoryBackedVolumes): the node's allocatable memory, or less — the pod's
 * memory limit when every container has one, the volume's sizeLimit when smaller still. Undefined: tmpfs's default.
 */
export function memoryVolumeSize(pod: Pod, v: Volume, allocatableMemory: number | undefined): number | undefined {
  let size = allocatableMemory && allocatableMemory > 0 ? allocatableMemory : undefined;
  const limits = pod.spec.containers.map((c) => parseQuantity(c.resources?.limits?.memory));
  const podLimit = limits.every((l) => l > 0) ? limits.reduce((a, b) => a + b, 0) : 0;
  if (podLimit > 0 && (size === undefined || podLimit <= size)) size = podLimit;
  const sizeLimit = parseQuantity(v.emptyDir?.sizeLimit);
  if (sizeLimit > 0 && (size === undefined || sizeLimit <= size)) size = sizeLimit;
  return size === undefined ? undefined : Math.ceil(size);
}

export interface PlannedMount {
  volumeName: string;
  containerPath: string;
  /** The volume's host path, joined with the subPath if there is one. */
  hostPath: string;
  readOnly: boolean;
  /** With a subPath: the volume's root, which the resolved path must stay inside. */
  subPathOf?: string;
}

/** The mounts of a container (makeMounts' pure part): volume paths, subPath and subPathExpr, read-only flags. */
export function planMounts(c: Container, volumes: Map<string, PodVolume>, env: KeyValue[]): PlannedMount[] {
  const out: PlannedMount[] = [];
  for (const m of (c.volumeMounts ?? []) as VolumeMount[]) {
    const v = volumes.get(m.name);
    if (!v) continue;
    const subPath = m.subPathExpr ? expandSubPathExpr(m, env) : m.subPath ?? '';
    const mount: PlannedMount = { volumeName: m.name, containerPath: m.mountPath, hostPath: v.hostPath, readOnly: !!m.readOnly || v.readOnly };
    if (subPath) {
      if (subPath.startsWith('/')) throw new ContainerConfigError(`error SubPath \`${subPath}\` must not be an absolute path`);
      if (subPath.split('/').includes('..')) throw new ContainerConfigError(`unable to provision SubPath \`${subPath}\`: must not contain '..'`);
      mount.hostPath = path.join(v.hostPath, subPath);
      mount.subPathOf = v.hostPath;
    }
    out.push(mount);
  }
  return out;
}
