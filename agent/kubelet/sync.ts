// syncPod executes what computePodActions decided, through the CRI: set up the pod's volumes, kill what must go
// (each container's preStop hook first, within its grace period), create the sandbox, make sure each image is there,
// resolve each container's env and mounts, check runAsNonRoot against the image's user, create and start containers
// and run their postStart hooks; failures to start are recorded (reason cache, back-off, events) for the status
// manager rather than thrown, so one bad container does not hide the others' progress.
import fs from 'node:fs/promises';
import path from 'node:path';
import type { Pod, Service } from '../../api/types.js';
import { logger } from '../../api/log.js';
import { computePodActions, computePodGarbage, type ActionContext, type PodActions } from './actions.js';
import { Backoff, systemClock, type Clock } from './backoff.js';
import type { PodEvents } from './events.js';
import { runLifecycleHandler, runPreStopHook } from './lifecycle.js';
import { containerFieldPath, containerSpec, type KubeletContainer } from './podspec.js';
import { readPodRuntimeState, type PodRuntimeState } from './podstate.js';
import { Label, type CriContainerStatus, type CriImage, type PodSandboxConfig, type RuntimeService } from './runtime.js';
import { verifyRunAsNonRoot, type ImageUser } from './securitycontext.js';
import { isStaticPod } from './staticpods/source.js';
import { runtimeNetworkNotReady } from './node.js';
import { envReferences, makeEnvironmentVariables, type EnvContainer } from './env.js';
import { containerConfig, podLogDirectory, podLogsRoot, sandboxConfig, terminationGracePeriod, type RunContainerOptions, type SpecOptions } from './specs.js';
import type { ReasonCache } from './status.js';
import { planMounts } from './volumes/layout.js';
import type { VolumeManager } from './volumes/manager.js';
import { readObjects } from './volumes/objects.js';

const log = logger('kubelet.sync');

/** kubelet never gives a container less than this to stop. */
export const minimumGracePeriodSeconds = 2;

/** A container whose config could not be made is tried again after this long (the pod worker's back-off period). */
export const configErrorRetryMs = 10_000;

export interface SyncDeps {
  runtime: RuntimeService;
  spec: SpecOptions;
  reasons: ReasonCache;
  events: PodEvents;
  /** Sets up the pods' volumes and reads the ConfigMaps and Secrets their env names. */
  volumes: VolumeManager;
  /** Every Service, for the Service env variables (throws until they have been listed); none without an API server. */
  services?: () => Service[] | undefined;
  clock?: Clock;
  /** CrashLoopBackOff and ImagePullBackOff (10 s doubling to 5 min unless given). */
  crashBackoff?: Backoff;
  imageBackoff?: Backoff;
}

export interface SyncResult {
  actions?: PodActions;
  /** When the pod wants another sync regardless of events (a back-off ends). */
  nextSyncAt?: number;
  /** The first hard failure (sandbox could not be created…): the worker retries with back-off. */
  error?: Error;
}

/** The message a gRPC error carries, without the status-code prefix. */
export function errorMessage(e: unknown): string {
  const err = e as { details?: string; message?: string };
  return err?.details || err?.message || String(e);
}

/** Image pull policy default: Always for :latest or untagged images, IfNotPresent otherwise. */
export function pullPolicyOf(image: string, policy?: string): string {
  if (policy) return policy;
  const lastPart = image.split('/').pop() ?? image;
  if (image.includes('@')) return 'IfNotPresent';
  const tag = lastPart.includes(':') ? lastPart.split(':').pop() : undefined;
  return !tag || tag === 'latest' ? 'Always' : 'IfNotPresent';
}

/** The user an image runs as, from ImageStatus (a numeric uid, else a user name). */
export function imageUserOf(image: CriImage | null | undefined): ImageUser {
  if (image?.uid) return { uid: Number(image.uid.value) };
  return image?.username ? { username: image.username } : {};
}

export class PodSyncer {
  readonly clock: Clock;
  readonly crashBackoff: Backoff;
  readonly imageBackoff: Backoff;
  /** Statuses of exited containers never change: cache them by container ID. */
  private readonly exitedStatuses = new Map<string, CriContainerStatus>();

  constructor(private readonly deps: SyncDeps) {
    this.clock = deps.clock ?? systemClock;
    this.crashBackoff = deps.crashBackoff ?? new Backoff(this.clock);
    this.imageBackoff = deps.imageBackoff ?? new Backoff(this.clock);
  }

  get runtime(): RuntimeService {
    return this.deps.runtime;
  }

  readState(uid: string): Promise<PodRuntimeState> {
    return readPodRuntimeState(this.deps.runtime, uid, this.exitedStatuses);
  }

  /** `probes` answers for the pod's running containers: liveness and startup results, and whether each has started. */
  async syncPod(pod: Pod, probes: Pick<ActionContext, 'liveness' | 'startup' | 'started'> = {}): Promise<SyncResult> {
    const rt = this.deps.runtime;
    const uid = pod.metadata.uid!;
    const state = await this.readState(uid);
    const actions = computePodActions(pod, state, { backoff: this.crashBackoff, ...probes });
    const result: SyncResult = { actions, nextSyncAt: actions.nextSyncAt };
    const grace = terminationGracePeriod(pod);

    await this.collectGarbage(state);

    // Volumes first: no sandbox starts before every volume of the pod is set up (WaitForAttachAndMount).
    if (!actions.killPod || actions.createSandbox) {
      const failures = await this.deps.volumes.mountPod(pod);
      if (failures.length) {
        result.error = new Error(`unable to mount volumes for pod ${pod.metadata.namespace}/${pod.metadata.name}: unmounted volumes=[${failures.map((f) => f.volume).join(' ')}]`);
        return result;
      }
    }

    if (actions.killPod) {
      await this.stopAll(pod, state, grace);
      if (!actions.createSandbox) return result;
    }
    await Promise.all(actions.containersToKill.map((k) => this.killContainer(pod, state, k.id, k.name, grace, k.message)));

    let sandboxId = actions.sandboxId;
    let podIP = state.sandboxes[0]?.ip ?? '';
    let podIPs = state.sandboxes[0]?.ips ?? [];
    const sbConfig = sandboxConfig(pod, actions.attempt, this.deps.spec);
    if (actions.createSandbox && !pod.spec.hostNetwork) {
      // Only host-network pods can start before the pod network is there (a control plane's static pods do).
      const network = (await rt.status({}).catch(() => undefined))?.status?.conditions.find((c) => c.type === 'NetworkReady');
      if (network && !network.status) {
        const message = `network is not ready: ${runtimeNetworkNotReady(network)}`;
        this.deps.events.event(pod, 'Warning', 'NetworkNotReady', message);
        result.error = new Error(message);
        return result;
      }
    }
    if (actions.createSandbox) {
      try {
        await fs.mkdir(podLogDirectory(this.deps.spec, pod), { recursive: true });
        sandboxId = (await rt.runPodSandbox({ config: sbConfig })).pod_sandbox_id;
        const st = (await rt.podSandboxStatus({ pod_sandbox_id: sandboxId })).status;
        podIP = st?.network?.ip ?? '';
        podIPs = podIP ? [podIP] : [];
      } catch (e) {
        const message = `Failed to create pod sandbox: ${errorMessage(e)}`;
        this.deps.events.event(pod, 'Warning', 'FailedCreatePodSandBox', message);
        result.error = new Error(message);
        return result;
      }
    } else if (!actions.sandboxId) {
      return result;
    }
    if (pod.spec.hostNetwork) {
      podIP = this.deps.spec.nodeIP;
      podIPs = [podIP];
    }
    // The config must describe the sandbox the containers join, attempt included.
    if (!actions.createSandbox) sbConfig.metadata.attempt = state.sandboxes[0]?.attempt ?? 0;

    for (const backOff of actions.backOff) {
      this.deps.reasons.set(uid, backOff.name, { reason: 'CrashLoopBackOff', message: backOff.message });
      this.deps.events.event(pod, 'Warning', 'BackOff', `Back-off restarting failed container ${backOff.name} in pod ${pod.metadata.name}_${pod.metadata.namespace}(${uid})`, containerFieldPath(pod, backOff.name));
    }
    for (const start of actions.containersToStart) {
      const next = await this.startContainer(pod, start.name, start.restartCount, sandboxId!, sbConfig, podIP, podIPs);
      if (start.lastFinishedAt !== undefined) this.crashBackoff.next(start.backoffKey, start.lastFinishedAt);
      if (next !== undefined) result.nextSyncAt = Math.min(result.nextSyncAt ?? Infinity, next);
    }
    return result;
  }

  /**
   * The container's env and mounts (generateRunContainerOptions): the ConfigMaps and Secrets its env names read by
   * name, the Service variables, subPaths resolved. Throws with kubelet's message.
   */
  private async runContainerOptions(pod: Pod, c: EnvContainer, podIP: string, podIPs: string[]): Promise<RunContainerOptions> {
    const ns = pod.metadata.namespace ?? 'default';
    const reader = this.deps.volumes.reader;
    const refs = envReferences(c);
    const [configMaps, secrets] = await Promise.all([readObjects(refs.configMaps, (n) => reader.configMap(ns, n)), readObjects(refs.secrets, (n) => reader.secret(ns, n))]);
    let services: Service[] | undefined;
    try {
      services = this.deps.services?.();
    } catch (e) {
      // Static pods start without waiting for the API server (they may be what serves it).
      if (!isStaticPod(pod)) throw e;
    }
    const spec = this.deps.spec;
    const { env, warnings } = makeEnvironmentVariables(pod, c, { nodeName: spec.nodeName, nodeIP: spec.nodeIP, podIP, podIPs, configMaps, secrets, services, allocatable: spec.allocatable });
    for (const w of warnings) this.deps.events.event(pod, 'Warning', 'InvalidEnvironmentVariableNames', w);
    const mounts = await this.deps.volumes.resolveMounts(planMounts(c, this.deps.volumes.volumes(pod), env), c.name);
    return { envs: env, mounts };
  }

  /** The runtime ID of the pod's running container of that name; an ephemeral container's target must be running. */
  private async runningContainerId(pod: Pod, name: string): Promise<string> {
    const { containers } = await this.deps.runtime.listContainers({ filter: { state: { state: 'CONTAINER_RUNNING' }, label_selector: { [Label.podUID]: pod.metadata.uid!, [Label.containerName]: name } } });
    if (!containers.length) throw new Error(`target container "${name}" is not running`);
    return containers[0].id;
  }

  /** Starts one container; returns when a retry is due (image or config back-off). Records failures. */
  private async startContainer(pod: Pod, name: string, restartCount: number, sandboxId: string, sbConfig: PodSandboxConfig, podIP: string, podIPs: string[]): Promise<number | undefined> {
    const rt = this.deps.runtime;
    const uid = pod.metadata.uid!;
    const spec = containerSpec(pod, name)!.spec;
    const fieldPath = containerFieldPath(pod, name);
    const fail = (reason: string, message: string) => {
      this.deps.reasons.set(uid, name, { reason, message });
      this.deps.events.event(pod, 'Warning', 'Failed', message, fieldPath);
    };

    // Image: use what is present; pull only when missing (there is no registry to refresh from).
    let imageRef: string;
    let image = (await rt.imageStatus({ image: { image: spec.image } })).image;
    if (image?.id) {
      imageRef = image.id;
      if (restartCount === 0) this.deps.events.event(pod, 'Normal', 'Pulled', `Container image "${spec.image}" already present on machine`, fieldPath);
    } else if (pullPolicyOf(spec.image, spec.imagePullPolicy) === 'Never') {
      fail('ErrImageNeverPull', `Container image "${spec.image}" is not present with pull policy of Never`);
      return undefined;
    } else {
      const key = `${uid}/${spec.image}`;
      const backingOff = this.imageBackoff.inBackOff(key, this.clock.now());
      if (backingOff) {
        this.deps.reasons.set(uid, name, { reason: 'ImagePullBackOff', message: `Back-off pulling image "${spec.image}"` });
        this.deps.events.event(pod, 'Normal', 'BackOff', `Back-off pulling image "${spec.image}"`, fieldPath);
        return backingOff.until;
      }
      this.deps.events.event(pod, 'Normal', 'Pulling', `Pulling image "${spec.image}"`, fieldPath);
      try {
        imageRef = (await rt.pullImage({ image: { image: spec.image }, sandbox_config: sbConfig })).image_ref;
        image = (await rt.imageStatus({ image: { image: imageRef } })).image;
        this.imageBackoff.reset(key);
        this.deps.events.event(pod, 'Normal', 'Pulled', `Successfully pulled image "${spec.image}"`, fieldPath);
      } catch (e) {
        const backoffMs = this.imageBackoff.next(key);
        fail('ErrImagePull', `Failed to pull image "${spec.image}": ${errorMessage(e)}`);
        return this.clock.now() + backoffMs;
      }
    }

    let run: RunContainerOptions;
    const imageUser = imageUserOf(image);
    try {
      const nonRoot = verifyRunAsNonRoot(pod, spec, imageUser);
      if (nonRoot) throw new Error(nonRoot);
      run = await this.runContainerOptions(pod, spec, podIP, podIPs);
    } catch (e) {
      const message = errorMessage(e);
      this.deps.reasons.set(uid, name, { reason: 'CreateContainerConfigError', message });
      this.deps.events.event(pod, 'Warning', 'Failed', `Error: ${message}`, fieldPath);
      return this.clock.now() + configErrorRetryMs;
    }

    let containerId: string;
    try {
      const config = containerConfig(pod, spec, restartCount, imageRef, podIP, this.deps.spec, run, imageUser);
      const target = (spec as { targetContainerName?: string }).targetContainerName;
      // A debugging container aimed at another (kubectl debug --target) joins that container's process namespace.
      if (target && config.linux?.security_context?.namespace_options) config.linux.security_context.namespace_options = { ...config.linux.security_context.namespace_options, pid: 'TARGET', target_id: await this.runningContainerId(pod, target) };
      containerId = (await rt.createContainer({ pod_sandbox_id: sandboxId, config, sandbox_config: sbConfig })).container_id;
    } catch (e) {
      fail('CreateContainerError', errorMessage(e));
      return undefined;
    }
    this.deps.events.event(pod, 'Normal', 'Created', `Created container ${name}`, fieldPath);
    try {
      await rt.startContainer({ container_id: containerId });
    } catch (e) {
      fail('RunContainerError', errorMessage(e));
      return undefined;
    }
    this.deps.events.event(pod, 'Normal', 'Started', `Started container ${name}`, fieldPath);
    // postStart runs before the pod worker goes on; a failure kills the container, which restarts by its policy.
    const postStart = spec.lifecycle?.postStart;
    if (postStart) {
      const failure = await runLifecycleHandler({ runtime: rt, pod, container: spec, containerId, podIP }, postStart);
      if (failure) {
        this.deps.events.event(pod, 'Warning', 'FailedPostStartHook', failure, fieldPath);
        await this.killContainer(pod, undefined, containerId, name, terminationGracePeriod(pod), 'FailedPostStartHook');
        this.deps.reasons.set(uid, name, { reason: 'PostStartHookError', message: failure });
        return undefined;
      }
    }
    this.deps.reasons.delete(uid, name);
    return undefined;
  }

  /**
   * Stops one container as kubelet's killContainer: the Killing event, its preStop hook (the time it takes comes off
   * the grace period), then the stop signal with what is left of the grace period (never less than the minimum).
   * `state` supplies the pod's address for an HTTP hook (the node's for host-network pods).
   */
  private async killContainer(pod: Pod | undefined, state: PodRuntimeState | undefined, id: string, name: string, graceSeconds: number, message?: string): Promise<void> {
    let grace = graceSeconds;
    const spec = pod && containerSpec(pod, name)?.spec;
    if (pod) this.deps.events.event(pod, 'Normal', 'Killing', message ?? `Stopping container ${name}`, containerFieldPath(pod, name));
    const preStop = spec?.lifecycle?.preStop;
    if (pod && spec && preStop && grace > 0) {
      const podIP = pod.spec.hostNetwork ? this.deps.spec.nodeIP : state?.sandboxes[0]?.ip ?? '';
      const { elapsedSeconds, failure } = await runPreStopHook({ runtime: this.deps.runtime, pod, container: spec, containerId: id, podIP }, preStop, grace, () => this.clock.now());
      if (failure) this.deps.events.event(pod, 'Warning', 'FailedPreStopHook', failure, containerFieldPath(pod, name));
      grace -= elapsedSeconds;
    }
    await this.deps.runtime.stopContainer({ container_id: id, timeout: Math.max(minimumGracePeriodSeconds, grace) });
  }

  private async collectGarbage(state: PodRuntimeState): Promise<void> {
    const garbage = computePodGarbage(state);
    for (const id of garbage.containers) {
      await this.deps.runtime.removeContainer({ container_id: id }).catch((e) => log.debug({ id, err: errorMessage(e) }, 'container removal failed'));
      this.exitedStatuses.delete(id);
    }
    for (const id of garbage.sandboxes) {
      await this.deps.runtime.removePodSandbox({ pod_sandbox_id: id }).catch((e) => log.debug({ id, err: errorMessage(e) }, 'sandbox removal failed'));
    }
  }

  /** Stops every live container (preStop, SIGTERM, then SIGKILL after the grace period) and every ready sandbox. */
  private async stopAll(pod: Pod | undefined, state: PodRuntimeState, graceSeconds: number): Promise<void> {
    const rt = this.deps.runtime;
    await Promise.all(state.containers.filter((c) => c.state !== 'CONTAINER_EXITED').map((c) => this.killContainer(pod, state, c.id, c.name, graceSeconds)));
    for (const s of state.sandboxes) if (s.state === 'SANDBOX_READY') await rt.stopPodSandbox({ pod_sandbox_id: s.id });
  }

  /** Stops a pod being deleted: containers get the deletion's grace period, then the sandbox stops. */
  async stopPod(uid: string, pod: Pod): Promise<void> {
    const state = await this.readState(uid);
    await this.stopAll(pod, state, pod.metadata.deletionGracePeriodSeconds ?? terminationGracePeriod(pod));
  }

  /**
   * Winds a pod down for good: stops its containers within the grace period, stops and removes its sandboxes (and
   * with them its containers), and removes its log and volume directories. `pod` is the last known object, if any
   * (an orphan found only in the runtime has none and gets the minimum grace period).
   */
  async terminatePod(uid: string, pod: Pod | undefined, graceSeconds?: number): Promise<void> {
    const rt = this.deps.runtime;
    const state = await this.readState(uid);
    const grace = graceSeconds ?? (pod ? pod.metadata.deletionGracePeriodSeconds ?? terminationGracePeriod(pod) : 0);
    await this.stopAll(pod, state, grace);
    for (const s of state.sandboxes) await rt.removePodSandbox({ pod_sandbox_id: s.id });
    for (const c of state.containers) {
      this.exitedStatuses.delete(c.id);
      // Containers of sandboxes already gone are not removed with them.
      await rt.removeContainer({ container_id: c.id }).catch(() => undefined);
    }
    await this.removeLogDirectories(uid);
    await this.deps.volumes.unmountPod(uid);
    this.crashBackoff.resetPrefix(`${uid}/`);
    this.imageBackoff.resetPrefix(`${uid}/`);
    this.deps.reasons.forget(uid);
  }

  /** Log directories are named <ns>_<name>_<uid>; an orphan's name is not known, its UID is. */
  private async removeLogDirectories(uid: string): Promise<void> {
    const root = podLogsRoot(this.deps.spec);
    const entries = await fs.readdir(root).catch(() => [] as string[]);
    for (const e of entries) if (e.endsWith(`_${uid}`)) await fs.rm(path.join(root, e), { recursive: true, force: true });
  }
}
