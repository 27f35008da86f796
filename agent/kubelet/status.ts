// The status manager: computePodStatus turns (pod, runtime snapshot, probe results, start-failure reasons) into the
// PodStatus kubelet would report — a pure function — and StatusManager writes it to the API only when it changed.
// Init containers get their own statuses and the Initialized condition; kubectl derives `Init:1/2`, `Init:Error`,
// `Init:CrashLoopBackOff` and `PodInitializing` from them.
import type { ApiClient } from '../../api/client.js';
import { isNotFound } from '../../api/errors.js';
import { Resources } from '../../api/resources.js';
import type { Condition, ContainerState, ContainerStatus, Pod, PodStatus } from '../../api/types.js';
import { isPodTerminalPhase, restartPolicyOf, shouldContainerBeRestarted } from './actions.js';
import { ephemeralContainersOf, initContainersOf, isRestartableInitContainer, type KubeletContainer } from './podspec.js';
import type { ContainerInfo, PodRuntimeState } from './podstate.js';
import { formatTime } from '../../api/time.js';

/** Why a container could not start on the last sync (ErrImagePull, CrashLoopBackOff, CreateContainerError …). */
export interface StartFailure {
  reason: string;
  message: string;
}

/** Start failures by pod UID and container name, as kubelet's reasonCache. */
export class ReasonCache {
  private readonly byPod = new Map<string, Map<string, StartFailure>>();
  set(uid: string, container: string, f: StartFailure): void {
    let m = this.byPod.get(uid);
    if (!m) this.byPod.set(uid, (m = new Map()));
    m.set(container, f);
  }
  get(uid: string, container: string): StartFailure | undefined {
    return this.byPod.get(uid)?.get(container);
  }
  delete(uid: string, container: string): void {
    this.byPod.get(uid)?.delete(container);
  }
  forget(uid: string): void {
    this.byPod.delete(uid);
  }
}

export interface StatusContext {
  /** ISO time stamped on conditions that change and on startTime. */
  now: string;
  nodeIP: string;
  /** Start failures for this pod's containers. */
  failure?: (container: string) => StartFailure | undefined;
  /** Readiness probe result for a running container with a readiness probe (undefined: no result yet). */
  readiness?: (containerId: string) => boolean | undefined;
  /** Whether a running container has started: its startup probe succeeded, or it has none (the default). */
  started?: (containerId: string) => boolean;
  /** The pod worker has stopped everything for good (deleted pod): phase becomes terminal. */
  terminated?: boolean;
  /** The status this kubelet wrote last (the API's copy may lag behind it): source of startTime and transitions. */
  previous?: PodStatus;
}

/** CRI nanoseconds → RFC 3339 at second precision, as metav1.Time is serialised. */
export function criTime(ns: number): string | undefined {
  if (!ns) return undefined;
  return formatTime(Math.floor(ns / 1e6));
}

export const containerIdOf = (id: string): string => `containerd://${id}`;

function terminatedState(c: ContainerInfo): ContainerState {
  if (c.state === 'CONTAINER_UNKNOWN') {
    return { terminated: { exitCode: 137, reason: 'ContainerStatusUnknown', message: 'The container could not be located when the pod was terminated', containerID: containerIdOf(c.id) } };
  }
  const t: NonNullable<ContainerState['terminated']> = {
    exitCode: c.exitCode,
    reason: c.reason || (c.exitCode === 0 ? 'Completed' : 'Error'),
    startedAt: criTime(c.startedAt),
    finishedAt: criTime(c.finishedAt),
    containerID: containerIdOf(c.id),
  };
  if (c.message) t.message = c.message;
  return { terminated: t };
}

function stateOf(c: ContainerInfo): ContainerState {
  switch (c.state) {
    case 'CONTAINER_RUNNING':
      return { running: { startedAt: criTime(c.startedAt) } };
    case 'CONTAINER_CREATED':
      return { waiting: { reason: 'ContainerCreating' } };
    default:
      return terminatedState(c);
  }
}

/** The status of each of `specs` (the pod's containers, or its init containers). */
function containerStatusesOf(pod: Pod, specs: KubeletContainer[], state: PodRuntimeState, ctx: StatusContext, init: boolean): ContainerStatus[] {
  const policy = restartPolicyOf(pod);
  // Until a container first runs it waits: PodInitializing while the pod has initialization to do.
  const defaultWaiting = initContainersOf(pod).length > 0 ? 'PodInitializing' : 'ContainerCreating';
  return specs.map((spec) => {
    const instances = state.containers.filter((c) => c.name === spec.name);
    const latest = instances[0];
    const sidecar = init && isRestartableInitContainer(spec);
    const status: ContainerStatus = {
      name: spec.name,
      state: { waiting: { reason: defaultWaiting } },
      lastState: {},
      ready: false,
      restartCount: 0,
      image: spec.image,
      imageID: '',
      started: false,
    };
    if (latest) {
      status.state = stateOf(latest);
      status.restartCount = latest.restartCount;
      status.image = latest.image || spec.image;
      status.imageID = latest.imageRef;
      status.containerID = containerIdOf(latest.id);
      if (latest.state === 'CONTAINER_RUNNING') {
        status.started = ctx.started?.(latest.id) ?? true;
        // A regular init container is never ready while it runs; a sidecar is, as an app container.
        if (!init || sidecar) status.ready = status.started && (spec.readinessProbe ? ctx.readiness?.(latest.id) === true : true);
      } else if (init && !sidecar && latest.state === 'CONTAINER_EXITED' && latest.exitCode === 0) {
        status.ready = true;
      }
      const previous = instances[1];
      if (previous && previous.state !== 'CONTAINER_RUNNING' && previous.state !== 'CONTAINER_CREATED') status.lastState = terminatedState(previous);
    }
    // A container that will be started again but failed to start (or is backing off) shows why it waits.
    const failure = ctx.failure?.(spec.name);
    if (failure && (sidecar || shouldContainerBeRestarted(policy, latest)) && !ctx.terminated) {
      if (status.state.terminated) status.lastState = status.state;
      status.state = { waiting: { reason: failure.reason, message: failure.message } };
    }
    return status;
  });
}

export function computeContainerStatuses(pod: Pod, state: PodRuntimeState, ctx: StatusContext): ContainerStatus[] {
  return containerStatusesOf(pod, pod.spec.containers as KubeletContainer[], state, ctx, false);
}

export function computeInitContainerStatuses(pod: Pod, state: PodRuntimeState, ctx: StatusContext): ContainerStatus[] {
  return containerStatusesOf(pod, initContainersOf(pod), state, ctx, true);
}

/**
 * kubelet's getPhase, the init containers' part: a failed regular init container under restartPolicy Never fails the
 * pod; one still to finish (or a sidecar still to start, before any app container ran) keeps it Pending.
 */
export function initPhase(pod: Pod, initStatuses: ContainerStatus[], statuses: ContainerStatus[]): 'Failed' | 'Pending' | undefined {
  let pending = 0, failed = 0, pendingSidecars = 0;
  for (const c of initContainersOf(pod)) {
    const s = initStatuses.find((x) => x.name === c.name);
    if (isRestartableInitContainer(c)) {
      if (!s || (s.state.running && !s.started) || (s.state.waiting && !s.lastState.terminated)) pendingSidecars++;
      continue;
    }
    if (!s || s.state.running) pending++;
    else if (s.state.terminated) {
      if (s.state.terminated.exitCode !== 0) failed++;
    } else if (s.lastState.terminated) {
      if (s.lastState.terminated.exitCode !== 0) failed++;
    } else pending++;
  }
  if (failed > 0 && restartPolicyOf(pod) === 'Never') return 'Failed';
  const appStarted = statuses.some((s) => s.state.running || s.state.terminated || s.lastState.terminated);
  if (pending > 0 || (pendingSidecars > 0 && !appStarted)) return 'Pending';
  return undefined;
}

/** The Initialized condition (GeneratePodInitializedCondition). */
function initializedCondition(pod: Pod, initStatuses: ContainerStatus[], statuses: ContainerStatus[], phase: PodStatus['phase']): Condition {
  const inits = initContainersOf(pod);
  if (inits.length === 0) return { type: 'Initialized', status: 'True' };
  if (phase === 'Succeeded') return { type: 'Initialized', status: 'True', reason: 'PodCompleted' };
  // Once an app container has run, the pod has been initialized, whatever its sidecars do since.
  if (statuses.some((s) => s.state.running || s.state.terminated || s.lastState.terminated)) return { type: 'Initialized', status: 'True' };
  const incomplete = inits
    .filter((c) => {
      const s = initStatuses.find((x) => x.name === c.name);
      return isRestartableInitContainer(c) ? !s?.started : s?.state.terminated?.exitCode !== 0;
    })
    .map((c) => c.name);
  if (incomplete.length === 0) return { type: 'Initialized', status: 'True' };
  return { type: 'Initialized', status: 'False', reason: 'ContainersNotInitialized', message: `containers with incomplete status: [${incomplete.join(' ')}]` };
}

/** kubelet's getPhase for pods without init containers. */
export function podPhase(pod: Pod, statuses: ContainerStatus[], terminated = false): NonNullable<PodStatus['phase']> {
  let running = 0, waiting = 0, stopped = 0, succeeded = 0;
  for (const s of statuses) {
    if (s.state.running) running++;
    else if (s.state.terminated) {
      stopped++;
      if (s.state.terminated.exitCode === 0) succeeded++;
    } else if (s.state.waiting) {
      if (s.lastState.terminated) stopped++;
      else waiting++;
    }
  }
  if (waiting > 0 && !terminated) return 'Pending';
  if (running > 0) return 'Running';
  if (stopped > 0 || terminated) {
    if (terminated) return stopped > 0 && stopped === succeeded && waiting === 0 ? 'Succeeded' : 'Failed';
    const policy = restartPolicyOf(pod);
    if (policy === 'Always') return 'Running';
    if (stopped === succeeded) return 'Succeeded';
    if (policy === 'Never') return 'Failed';
    return 'Running';
  }
  return 'Pending';
}

/** Carries a condition's lastTransitionTime over when its status did not change. */
function withTransition(old: Condition[] | undefined, c: Condition, now: string): Condition {
  const prev = old?.find((o) => o.type === c.type);
  return { ...c, lastProbeTime: null, lastTransitionTime: prev && prev.status === c.status && prev.lastTransitionTime ? prev.lastTransitionTime : now };
}

const kubeletConditions = new Set(['PodReadyToStartContainers', 'Initialized', 'ContainersReady', 'Ready']);

export function computePodStatus(pod: Pod, state: PodRuntimeState, ctx: StatusContext): PodStatus {
  const api = pod.status ?? {};
  const old = ctx.previous ?? api;
  const containerStatuses = computeContainerStatuses(pod, state, ctx);
  const hasInit = initContainersOf(pod).length > 0;
  const initContainerStatuses = hasInit ? computeInitContainerStatuses(pod, state, ctx) : undefined;
  let phase = (initContainerStatuses && !ctx.terminated && initPhase(pod, initContainerStatuses, containerStatuses)) || podPhase(pod, containerStatuses, ctx.terminated);
  // A terminal phase is final: kubelet never moves a pod out of Succeeded or Failed.
  if (isPodTerminalPhase(pod)) phase = api.phase!;
  else if (old.phase === 'Succeeded' || old.phase === 'Failed') phase = old.phase;
  const terminal = phase === 'Succeeded' || phase === 'Failed';
  if (terminal) for (const s of [...containerStatuses, ...(initContainerStatuses ?? [])]) s.ready = false;

  const sandbox = state.sandboxes[0];
  const sandboxReady = sandbox?.state === 'SANDBOX_READY' && (!!pod.spec.hostNetwork || !!sandbox.ip);
  // Sidecars count toward readiness, ahead of the app containers.
  const sidecars = initContainersOf(pod).filter(isRestartableInitContainer).map((c) => initContainerStatuses!.find((s) => s.name === c.name)!);
  const unready = [...sidecars, ...containerStatuses].filter((s) => !s.ready).map((s) => s.name);
  const containersReady: Condition = unready.length === 0
    ? { type: 'ContainersReady', status: 'True' }
    : { type: 'ContainersReady', status: 'False', reason: terminal && phase === 'Succeeded' ? 'PodCompleted' : 'ContainersNotReady', message: terminal && phase === 'Succeeded' ? undefined : `containers with unready status: [${unready.join(' ')}]` };
  let ready: Condition = { ...containersReady, type: 'Ready' };
  const gates = (pod.spec.readinessGates as { conditionType: string }[] | undefined) ?? [];
  const unmetGates = gates.filter((g) => api.conditions?.find((c) => c.type === g.conditionType)?.status !== 'True');
  if (ready.status === 'True' && unmetGates.length > 0) {
    ready = { type: 'Ready', status: 'False', reason: 'ReadinessGatesNotReady', message: `corresponding condition of pod readiness gate "${unmetGates[0].conditionType}" does not exist.` };
  }
  const ours: Condition[] = ([
    { type: 'PodReadyToStartContainers', status: sandboxReady ? 'True' : 'False' },
    initializedCondition(pod, initContainerStatuses ?? [], containerStatuses, phase),
    ready,
    containersReady,
  ] as Condition[]).map((c) => withTransition(old.conditions, stripUndefined(c), ctx.now));
  const others = (api.conditions ?? []).filter((c) => !kubeletConditions.has(c.type));
  const conditions = [...ours, ...others];

  const status: PodStatus = {
    ...api,
    phase,
    conditions,
    hostIP: ctx.nodeIP,
    hostIPs: [{ ip: ctx.nodeIP }],
    startTime: old.startTime ?? api.startTime ?? ctx.now,
    containerStatuses,
  };
  if (initContainerStatuses) status.initContainerStatuses = initContainerStatuses;
  // Ephemeral containers are reported apart and never count toward the pod's phase or readiness.
  const ephemeral = ephemeralContainersOf(pod);
  if (ephemeral.length) status.ephemeralContainerStatuses = containerStatusesOf(pod, ephemeral, state, ctx, false).map((s) => ({ ...s, ready: false }));
  const ips = pod.spec.hostNetwork ? [ctx.nodeIP] : sandbox?.state === 'SANDBOX_READY' ? sandbox.ips ?? [] : [];
  if (ips.length > 0) {
    status.podIP = ips[0];
    status.podIPs = ips.map((ip) => ({ ip }));
  }
  return status;
}

function stripUndefined<T extends object>(o: T): T {
  return Object.fromEntries(Object.entries(o).filter(([, v]) => v !== undefined)) as T;
}

/** Deterministic JSON (sorted keys) for change detection. */
export function canonicalJson(v: unknown): string {
  if (Array.isArray(v)) return `[${v.map(canonicalJson).join(',')}]`;
  if (v && typeof v === 'object') {
    const o = v as Record<string, unknown>;
    return `{${Object.keys(o).sort().filter((k) => o[k] !== undefined).map((k) => `${JSON.stringify(k)}:${canonicalJson(o[k])}`).join(',')}}`;
  }
  return JSON.stringify(v ?? null);
}

/** Where pod status goes: the API server in the agent, a recorder in tests. */
export interface StatusWriter {
  patchStatus(pod: Pod, status: PodStatus): Promise<void>;
  /** Finalises a deletion once everything is stopped: DELETE with grace period 0, preconditioned on the UID. */
  deletePod(pod: Pod): Promise<void>;
}

/**
 * The strategic merge patch kubelet sends for a status: conditions merge by type, so only kubelet's own are sent and
 * a PodScheduled written concurrently by the binding survives; each container's state and lastState replace the old
 * ones whole (a running state must not keep the waiting it replaced). The UID guards against a recreated namesake.
 */
export function statusPatch(pod: Pod, status: PodStatus): object {
  const replace = (s: ContainerState) => ({ $patch: 'replace', ...s });
  return {
    metadata: { uid: pod.metadata.uid },
    status: {
      ...status,
      conditions: status.conditions?.filter((c) => kubeletConditions.has(c.type)),
      containerStatuses: status.containerStatuses?.map((cs) => ({ ...cs, state: replace(cs.state), lastState: replace(cs.lastState) })),
      initContainerStatuses: status.initContainerStatuses?.map((cs) => ({ ...cs, state: replace(cs.state), lastState: replace(cs.lastState) })),
    },
  };
}

export function apiStatusWriter(client: ApiClient): StatusWriter {
  return {
    async patchStatus(pod, status) {
      await client.patch(Resources.pods, pod.metadata.namespace, pod.metadata.name!, 'strategic', statusPatch(pod, status), 'status');
    },
    async deletePod(pod) {
      try {
        await client.delete(Resources.pods, pod.metadata.namespace, pod.metadata.name!, { gracePeriodSeconds: 0, preconditions: { uid: pod.metadata.uid } });
      } catch (e) {
        if (!isNotFound(e)) throw e;
      }
    },
  };
}

/**
 * Writes pod statuses, each only when it differs from both what the API last showed and what was last written
 * (the informer may lag behind our own write). Each pod's writes come from its one pod worker, so they are ordered.
 */
export class StatusManager {
  private readonly written = new Map<string, { json: string; version: number; status: PodStatus; target?: string }>();

  constructor(readonly writer: StatusWriter) {}

  /**
   * Writes the pod's status to `target` (the pod itself, or a static pod's mirror pod) unless the target shows it
   * already or it was last written there. Returns true when a write happened.
   */
  async setPodStatus(pod: Pod, status: PodStatus, target: Pod = pod): Promise<boolean> {
    const uid = pod.metadata.uid!;
    const json = canonicalJson(withoutTimes(status));
    const last = this.written.get(uid);
    if ((last?.json === json && last.target === target.metadata.uid) || canonicalJson(withoutTimes(target.status ?? {})) === json) return false;
    await this.writer.patchStatus(target, status);
    this.written.set(uid, { json, version: (last?.version ?? 0) + 1, status, target: target.metadata.uid });
    return true;
  }

  /** A status with nowhere to go yet (a static pod without a mirror): kept as `previous`, written later. */
  remember(pod: Pod, status: PodStatus): void {
    const uid = pod.metadata.uid!;
    const last = this.written.get(uid);
    this.written.set(uid, { json: '', version: last?.version ?? 0, status });
  }

  /** The status last written for a pod: computePodStatus's `previous`. */
  previous(uid: string): PodStatus | undefined {
    return this.written.get(uid)?.status;
  }

  /** The status last written for a pod, if any (a version counter and its canonical JSON). */
  lastWritten(uid: string): { json: string; version: number } | undefined {
    const w = this.written.get(uid);
    return w && { json: w.json, version: w.version };
  }

  forget(uid: string): void {
    this.written.delete(uid);
  }
}

/** Condition transition times are derived, not state: ignore them when deciding whether anything changed. */
function withoutTimes(s: PodStatus): PodStatus {
  return { ...s, conditions: s.conditions?.map(({ lastTransitionTime: _t, lastProbeTime: _p, ...c }) => c) };
}
