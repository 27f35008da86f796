// The core/v1 Pod and Container fields the kubelet acts on beyond the shared types (k8s.io/api/core/v1 SecurityContext,
// PodSecurityContext, Lifecycle, LifecycleHandler, the startup probe and an init container's restartPolicy), typed by
// their API names, with the helpers that find a container of either kind by name.
import type { Container, Pod, Probe } from '../../api/types.js';

export interface Capabilities {
  add?: string[];
  drop?: string[];
}

/** A container's securityContext. */
export interface SecurityContext {
  capabilities?: Capabilities;
  privileged?: boolean;
  runAsUser?: number;
  runAsGroup?: number;
  runAsNonRoot?: boolean;
  readOnlyRootFilesystem?: boolean;
  allowPrivilegeEscalation?: boolean;
  procMount?: string;
  seccompProfile?: { type: string; localhostProfile?: string };
}

/** The pod's securityContext: defaults for every container, plus what only a pod has. */
export interface PodSecurityContext {
  runAsUser?: number;
  runAsGroup?: number;
  runAsNonRoot?: boolean;
  fsGroup?: number;
  supplementalGroups?: number[];
  sysctls?: { name: string; value: string }[];
  seccompProfile?: { type: string; localhostProfile?: string };
}

export interface ExecAction {
  command: string[];
}

export interface HTTPGetAction {
  path?: string;
  port: number | string;
  host?: string;
  scheme?: string;
  httpHeaders?: { name: string; value: string }[];
}

/** What a lifecycle hook runs: a command in the container, an HTTP GET, or a pause. */
export interface LifecycleHandler {
  exec?: ExecAction;
  httpGet?: HTTPGetAction;
  sleep?: { seconds: number };
}

export interface Lifecycle {
  postStart?: LifecycleHandler;
  preStop?: LifecycleHandler;
}

/** A container (regular or init) with the fields the kubelet reads by name. */
export type KubeletContainer = Container & {
  securityContext?: SecurityContext;
  lifecycle?: Lifecycle;
  startupProbe?: Probe;
  /** On an init container, `Always` makes it a sidecar: started in order, then kept running beside the app. */
  restartPolicy?: 'Always';
  stdin?: boolean;
  tty?: boolean;
};

export const podSecurityContext = (pod: Pod): PodSecurityContext => (pod.spec.securityContext ?? {}) as PodSecurityContext;

export const initContainersOf = (pod: Pod): KubeletContainer[] => (pod.spec.initContainers ?? []) as KubeletContainer[];

/** Debugging containers `kubectl debug` adds to a running pod: started once in its sandbox, never restarted. */
export const ephemeralContainersOf = (pod: Pod): KubeletContainer[] => ((pod.spec as { ephemeralContainers?: KubeletContainer[] }).ephemeralContainers ?? []);

/** A sidecar: an init container that keeps running (restartPolicy Always). */
export const isRestartableInitContainer = (c: KubeletContainer): boolean => c.restartPolicy === 'Always';

/** The spec of a container by name, init and ephemeral containers included, and which kind it is. */
export function containerSpec(pod: Pod, name: string): { spec: KubeletContainer; init: boolean; ephemeral?: boolean } | undefined {
  const regular = pod.spec.containers.find((c) => c.name === name);
  if (regular) return { spec: regular as KubeletContainer, init: false };
  const init = initContainersOf(pod).find((c) => c.name === name);
  if (init) return { spec: init, init: true };
  const ephemeral = ephemeralContainersOf(pod).find((c) => c.name === name);
  return ephemeral && { spec: ephemeral, init: false, ephemeral: true };
}

/** `spec.containers{name}`, `spec.initContainers{name}` or `spec.ephemeralContainers{name}`: how events name a container. */
export function containerFieldPath(pod: Pod, name: string): string {
  const found = containerSpec(pod, name);
  return found?.init ? `spec.initContainers{${name}}` : found?.ephemeral ? `spec.ephemeralContainers{${name}}` : `spec.containers{${name}}`;
}

/** kubelet's format.Pod: how messages name a pod. */
export const formatPod = (pod: Pod): string => `${pod.metadata.name}_${pod.metadata.namespace}(${pod.metadata.uid})`;
