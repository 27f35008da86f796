// syncPod executes what computePodActions decided, through the CRI: set up the pod's volumes, kill what must go,
// create the sandbox, make sure each image is there, resolve each container's env and mounts, create and start
// containers; failures to start are recorded (reason cache, back-off, events) for the status manager rather than
// thrown, so one bad container does not hide the others' progress.
import fs from 'node:fs/promises';
import path from 'node:path';
import type { Pod, Service } from '../../api/types.js';
import { logger } from '../../api/log.js';
import { computePodActions, computePodGarbage, type PodActions } from './actions.js';
import { Backoff, systemClock, type Clock } from './backoff.js';
import type { PodEvents } from './events.js';
import { readPodRuntimeState, type PodRuntimeState } from './podstate.js';
import type { CriContainerStatus, PodSandboxConfig, RuntimeService } from './runtime.js';
import { envReferences, makeEnvironmentVariables, type EnvContainer } from './env.js';
import { containerConfig, podLogDirectory, sandboxConfig, terminationGracePeriod, type RunContainerOptions, type SpecOptions } from './specs.js';
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
  /** Every Service, for the Service env variables (throws until they have been listed); unset without an API server. */
  services?: () => Service[];
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

  async syncPod(pod: Pod, liveness?: (containerId: string) => 'success' | 'failure' | undefined): Promise<SyncResult> {
    const rt = this.deps.runtime;
    const uid = pod.metadata.uid!;
    const state = await this.readState(uid);
    const actions = computePodActions(pod, state, { backoff: this.crashBackoff, liveness });
    const result: SyncResult = { actions, nextSyncAt: actions.nextSyncAt };
    const grace = Math.max(minimumGracePeriodSeconds, terminationGracePeriod(pod));

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
    await Promise.all(
      actions.containersToKill.map(async (k) => {
        this.deps.events.event(pod, 'Normal', 'Killing', k.message, `spec.containers{${k.name}}`);
        await rt.stopContainer({ container_id: k.id, timeout: grace });
      }),
    );

    let sandboxId = actions.sandboxId;
    let podIP = state.sandboxes[0]?.ip ?? '';
    let podIPs = state.sandboxes[0]?.ips ?? [];
    const sbConfig = sandboxConfig(pod, actions.attempt, this.deps.spec);
    if (actions.createSandbox) {
      try {
        await fs.mkdir(podLogDirectory(this.deps.spec.dataDir, pod), { recursive: true });
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
      this.deps.events.event(pod, 'Warning', 'BackOff', `Back-off restarting failed container ${backOff.name} in pod ${pod.metadata.name}_${pod.metadata.namespace}(${uid})`, `spec.containers{${backOff.name}}`);
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
    const services = this.deps.services?.();
    const spec = this.deps.spec;
    const { env, warnings } = makeEnvironmentVariables(pod, c, { nodeName: spec.nodeName, nodeIP: spec.nodeIP, podIP, podIPs, configMaps, secrets, services, allocatable: spec.allocatable });
    for (const w of warnings) this.deps.events.event(pod, 'Warning', 'InvalidEnvironmentVariableNames', w);
    const mounts = await this.deps.volumes.resolveMounts(planMounts(c, this.deps.volumes.volumes(pod), env), c.name);
    return { envs: env, mounts };
  }

  /** Starts one container; returns when a retry is due (image or config back-off). Records failures. */
  private async startContainer(pod: Pod, name: string, restartCount: number, sandboxId: string, sbConfig: PodSandboxConfig, podIP: string, podIPs: string[]): Promise<number | undefined> {
    const rt = this.deps.runtime;
    const uid = pod.metadata.uid!;
    const spec = pod.spec.containers.find((c) => c.name === name)!;
    const fieldPath = `spec.containers{${name}}`;
    const fail = (reason: string, message: string) => {
      this.deps.reasons.set(uid, name, { reason, message });
      this.deps.events.event(pod, 'Warning', 'Failed', message, fieldPath);
    };

    // Image: use what is present; pull only when missing (there is no registry to refresh from).
    let imageRef: string;
    const present = (await rt.imageStatus({ image: { image: spec.image } })).image;
    if (present?.id) {
      imageRef = present.id;
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
        this.imageBackoff.reset(key);
        this.deps.events.event(pod, 'Normal', 'Pulled', `Successfully pulled image "${spec.image}"`, fieldPath);
      } catch (e) {
        const backoffMs = this.imageBackoff.next(key);
        fail('ErrImagePull', `Failed to pull image "${spec.image}": ${errorMessage(e)}`);
        return this.clock.now() + backoffMs;
      }
    }

    let run: RunContainerOptions;
    try {
      run = await this.runContainerOptions(pod, spec, podIP, podIPs);
    } catch (e) {
      const message = errorMessage(e);
      this.deps.reasons.set(uid, name, { reason: 'CreateContainerConfigError', message });
      this.deps.events.event(pod, 'Warning', 'Failed', `Error: ${message}`, fieldPath);
      return this.clock.now() + configErrorRetryMs;
    }

    let containerId: string;
    try {
      const config = containerConfig(pod, spec, restartCount, imageRef, podIP, this.deps.spec, run);
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
    this.deps.reasons.delete(uid, name);
    this.deps.events.event(pod, 'Normal', 'Started', `Started container ${name}`, fieldPath);
    return undefined;
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

  /** Stops every live container (SIGTERM, then SIGKILL after the grace period) and every ready sandbox. */
  private async stopAll(pod: Pod | undefined, state: PodRuntimeState, graceSeconds: number): Promise<void> {
    const rt = this.deps.runtime;
    await Promise.all(
      state.containers
        .filter((c) => c.state !== 'CONTAINER_EXITED')
        .map(async (c) => {
          if (pod) this.deps.events.event(pod, 'Normal', 'Killing', `Stopping container ${c.name}`, `spec.containers{${c.name}}`);
          await rt.stopContainer({ container_id: c.id, timeout: graceSeconds });
        }),
    );
    for (const s of state.sandboxes) if (s.state === 'SANDBOX_READY') await rt.stopPodSandbox({ pod_sandbox_id: s.id });
  }

  /** Stops a pod being deleted: containers get the deletion's grace period, then the sandbox stops. */
  async stopPod(uid: string, pod: Pod): Promise<void> {
    const state = await this.readState(uid);
    const grace = Math.max(minimumGracePeriodSeconds, pod.metadata.deletionGracePeriodSeconds ?? terminationGracePeriod(pod));
    await this.stopAll(pod, state, grace);
  }

  /**
   * Winds a pod down for good: stops its containers within the grace period, stops and removes its sandboxes (and
   * with them its containers), and removes its log and volume directories. `pod` is the last known object, if any
   * (an orphan found only in the runtime has none and gets the minimum grace period).
   */
  async terminatePod(uid: string, pod: Pod | undefined, graceSeconds?: number): Promise<void> {
    const rt = this.deps.runtime;
    const state = await this.readState(uid);
    const grace = Math.max(minimumGracePeriodSeconds, graceSeconds ?? (pod ? pod.metadata.deletionGracePeriodSeconds ?? terminationGracePeriod(pod) : 0));
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
    const root = path.dirname(podLogDirectory(this.deps.spec.dataDir, { metadata: { uid } } as Pod));
    const entries = await fs.readdir(root).catch(() => [] as string[]);
    for (const e of entries) if (e.endsWith(`_${uid}`)) await fs.rm(path.join(root, e), { recursive: true, force: true });
  }
}
