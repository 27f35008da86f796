// Security contexts into the CRI (kubelet's pkg/securitycontext DetermineEffectiveSecurityContext and kuberuntime's
// security_context.go, verifyRunAsNonRoot, generatePodSandboxLinuxConfig): the pod's securityContext supplies the
// defaults a container leaves unset; fsGroup and supplementalGroups become supplemental groups; a sandbox is
// privileged when any of its containers is. Pure.
import type { Pod } from '../../api/types.js';
import { formatPod, initContainersOf, podSecurityContext, type KubeletContainer, type SecurityContext } from './podspec.js';
import type { LinuxContainerSecurityContext, LinuxSandboxSecurityContext, NamespaceOption } from './runtime.js';

// What /proc and /sys hide from a container with the default procMount (kubelet's DefaultMaskedPaths and
// DefaultReadonlyPaths); an Unmasked procMount hides nothing.
export const defaultMaskedPaths = ['/proc/asound', '/proc/acpi', '/proc/kcore', '/proc/keys', '/proc/latency_stats', '/proc/timer_list', '/proc/timer_stats', '/proc/sched_debug', '/proc/scsi', '/sys/firmware', '/sys/devices/virtual/powercap'];
export const defaultReadonlyPaths = ['/proc/bus', '/proc/fs', '/proc/irq', '/proc/sys', '/proc/sysrq-trigger'];

/** The container's securityContext with the pod's values for what it leaves unset. */
export function effectiveSecurityContext(pod: Pod, c: KubeletContainer): SecurityContext {
  const podSc = podSecurityContext(pod);
  const sc: SecurityContext = { ...(c.securityContext ?? {}) };
  sc.runAsUser ??= podSc.runAsUser;
  sc.runAsGroup ??= podSc.runAsGroup;
  sc.runAsNonRoot ??= podSc.runAsNonRoot;
  sc.seccompProfile ??= podSc.seccompProfile;
  return sc;
}

/** fsGroup first, then supplementalGroups: the groups every process of the pod also belongs to. */
export function podSupplementalGroups(pod: Pod): number[] {
  const podSc = podSecurityContext(pod);
  return [...(podSc.fsGroup !== undefined ? [podSc.fsGroup] : []), ...(podSc.supplementalGroups ?? [])];
}

/** The user an image runs as when the pod does not say (ImageStatus's uid or username); undefined: root. */
export interface ImageUser {
  uid?: number;
  username?: string;
}

/**
 * The container's CRI security context. The image's user applies when neither the container nor the pod sets
 * runAsUser, as kubelet passes it on.
 */
export function containerSecurityContext(pod: Pod, c: KubeletContainer, namespaces: NamespaceOption, image: ImageUser = {}): LinuxContainerSecurityContext {
  const sc = effectiveSecurityContext(pod, c);
  const out: LinuxContainerSecurityContext = { namespace_options: namespaces };
  if (sc.capabilities) out.capabilities = { add_capabilities: sc.capabilities.add ?? [], drop_capabilities: sc.capabilities.drop ?? [] };
  if (sc.privileged) out.privileged = true;
  if (sc.runAsUser !== undefined) out.run_as_user = { value: sc.runAsUser };
  else if (image.uid !== undefined) out.run_as_user = { value: image.uid };
  else if (image.username) out.run_as_username = image.username;
  if (sc.runAsGroup !== undefined) out.run_as_group = { value: sc.runAsGroup };
  if (sc.readOnlyRootFilesystem) out.readonly_rootfs = true;
  const groups = podSupplementalGroups(pod);
  if (groups.length) out.supplemental_groups = groups;
  // Only an explicit allowPrivilegeEscalation: false sets no_new_privs.
  if (sc.allowPrivilegeEscalation === false) out.no_new_privs = true;
  const unmasked = sc.procMount === 'Unmasked';
  out.masked_paths = unmasked ? [] : defaultMaskedPaths;
  out.readonly_paths = unmasked ? [] : defaultReadonlyPaths;
  return out;
}

/** Any container of the pod, init containers included, is privileged: so must its sandbox be. */
export function podHasPrivilegedContainer(pod: Pod): boolean {
  return [...initContainersOf(pod), ...(pod.spec.containers as KubeletContainer[])].some((c) => c.securityContext?.privileged === true);
}

export function sandboxSecurityContext(pod: Pod, namespaces: NamespaceOption): LinuxSandboxSecurityContext {
  const podSc = podSecurityContext(pod);
  const out: LinuxSandboxSecurityContext = { namespace_options: namespaces };
  if (podSc.runAsUser !== undefined) out.run_as_user = { value: podSc.runAsUser };
  if (podSc.runAsGroup !== undefined) out.run_as_group = { value: podSc.runAsGroup };
  const groups = podSupplementalGroups(pod);
  if (groups.length) out.supplemental_groups = groups;
  if (podHasPrivilegedContainer(pod)) out.privileged = true;
  return out;
}

/**
 * kubelet's verifyRunAsNonRoot: with runAsNonRoot, a container must run as a known non-zero UID. Returns the error
 * message (which becomes CreateContainerConfigError), or undefined when the container may start.
 */
export function verifyRunAsNonRoot(pod: Pod, c: KubeletContainer, image: ImageUser): string | undefined {
  const sc = effectiveSecurityContext(pod, c);
  if (!sc.runAsNonRoot) return undefined;
  if (sc.runAsUser !== undefined) {
    return sc.runAsUser === 0 ? `container's runAsUser breaks non-root policy (pod: "${formatPod(pod)}", container: ${c.name})` : undefined;
  }
  // An image that names no user runs as root.
  const uid = image.uid ?? (image.username ? undefined : 0);
  if (uid === 0) return `container has runAsNonRoot and image will run as root (pod: "${formatPod(pod)}", container: ${c.name})`;
  if (uid === undefined) return `container has runAsNonRoot and image has non-numeric user (${image.username}), cannot verify user is non-root (pod: "${formatPod(pod)}", container: ${c.name})`;
  return undefined;
}
