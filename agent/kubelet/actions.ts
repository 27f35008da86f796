// computePodActions: the pure diff between what a pod asks for and what the runtime has (kubelet's
// kuberuntime_manager.computePodActions and computeInitContainerActions). It decides; syncPod acts. No I/O here, so
// every rule is unit-tested. Init containers run one at a time, in order, each to success, before any app container;
// sidecars (init containers with restartPolicy Always) start in their turn and keep running beside the app.
import { createHash } from 'node:crypto';
import type { Container, Pod } from '../../api/types.js';
import type { Backoff } from './backoff.js';
import { ephemeralContainersOf, initContainersOf, isRestartableInitContainer, type KubeletContainer } from './podspec.js';
import { latestContainer, type ContainerInfo, type PodRuntimeState } from './podstate.js';

export interface ContainerToStart {
  name: string;
  /** An init container (regular or sidecar). */
  init?: boolean;
  restartCount: number;
  /** Back-off key and the finish time (ms) of the instance this start replaces, if it exited. */
  backoffKey: string;
  lastFinishedAt?: number;
}
export interface ContainerToKill {
  id: string;
  name: string;
  message: string;
}
export interface ContainerBackOff {
  name: string;
  until: number; // ms
  message: string;
}

export interface PodActions {
  /** Stop every container and the sandbox (the sandbox is gone/changed, or nothing is left to run). */
  killPod: boolean;
  createSandbox: boolean;
  /** Attempt number for the new sandbox. */
  attempt: number;
  /** The ready sandbox containers start in when no new one is created. */
  sandboxId?: string;
  containersToStart: ContainerToStart[];
  containersToKill: ContainerToKill[];
  /** Containers that should start but are waiting out CrashLoopBackOff. */
  backOff: ContainerBackOff[];
  /** When the pod needs another sync even if nothing happens (earliest back-off expiry). */
  nextSyncAt?: number;
}

export interface ActionContext {
  backoff: Backoff;
  /** Liveness result for a running container, if it has a liveness probe that has reported. */
  liveness?: (containerId: string) => 'success' | 'failure' | undefined;
  /** Startup probe result for a running container, if it has a startup probe that has reported. */
  startup?: (containerId: string) => 'success' | 'failure' | undefined;
  /** Whether a running container has started (its startup probe succeeded, or it has none); default yes. */
  started?: (containerId: string) => boolean;
}

export type RestartPolicy = 'Always' | 'OnFailure' | 'Never';
export const restartPolicyOf = (pod: Pod): RestartPolicy => pod.spec.restartPolicy ?? 'Always';

/** A short, stable hash of a container's spec; a change means the running container no longer matches. */
export function containerHash(c: Container): string {
  return createHash('sha256').update(stableJson(c)).digest('hex').slice(0, 8);
}
function stableJson(v: unknown): string {
  if (Array.isArray(v)) return `[${v.map(stableJson).join(',')}]`;
  if (v && typeof v === 'object') {
    const o = v as Record<string, unknown>;
    return `{${Object.keys(o).sort().filter((k) => o[k] !== undefined).map((k) => `${JSON.stringify(k)}:${stableJson(o[k])}`).join(',')}}`;
  }
  return JSON.stringify(v);
}

export function backoffKey(pod: Pod, c: Container): string {
  return `${pod.metadata.uid}/${c.name}/${containerHash(c)}`;
}

export function isPodTerminalPhase(pod: Pod): boolean {
  return pod.status?.phase === 'Succeeded' || pod.status?.phase === 'Failed';
}

/** kubelet's ShouldContainerBeRestarted: given the newest instance of a container that is not running. */
export function shouldContainerBeRestarted(policy: RestartPolicy, latest: ContainerInfo | undefined): boolean {
  if (!latest) return true;
  if (latest.state === 'CONTAINER_RUNNING') return false;
  if (latest.state === 'CONTAINER_UNKNOWN' || latest.state === 'CONTAINER_CREATED') return true;
  if (policy === 'Never') return false;
  if (policy === 'OnFailure' && latest.exitCode === 0) return false;
  return true;
}

/** Go's time.Duration formatting for whole seconds: 10s, 1m20s, 5m0s. */
export function formatDuration(ms: number): string {
  const s = Math.round(ms / 1000);
  if (s < 60) return `${s}s`;
  const m = Math.floor(s / 60);
  if (m < 60) return `${m}m${s % 60}s`;
  return `${Math.floor(m / 60)}h${m % 60}m${s % 60}s`;
}

/** Whether the pod needs a new sandbox: none yet, several ready, the newest not ready, or it lost its IP. */
function sandboxChanged(pod: Pod, state: PodRuntimeState): boolean {
  const newest = state.sandboxes[0];
  if (!newest) return true;
  if (state.sandboxes.filter((s) => s.state === 'SANDBOX_READY').length > 1) return true;
  if (newest.state !== 'SANDBOX_READY') return true;
  if (!pod.spec.hostNetwork && !newest.ip) return true;
  return false;
}

export function computePodActions(pod: Pod, state: PodRuntimeState, ctx: ActionContext): PodActions {
  const newest = state.sandboxes[0];
  const actions: PodActions = {
    killPod: false,
    createSandbox: false,
    attempt: newest ? newest.attempt + 1 : 0,
    containersToStart: [],
    containersToKill: [],
    backOff: [],
  };
  const policy = restartPolicyOf(pod);

  // A pod being deleted, or one that already reached a terminal phase, only ever winds down.
  if (pod.metadata.deletionTimestamp || isPodTerminalPhase(pod)) {
    actions.killPod = true;
    return actions;
  }

  const startEntry = (c: Container, init = false): ContainerToStart => {
    const latest = latestContainer(state, c.name);
    return {
      name: c.name,
      ...(init ? { init } : {}),
      restartCount: latest ? latest.restartCount + 1 : 0,
      backoffKey: backoffKey(pod, c),
      lastFinishedAt: latest?.state === 'CONTAINER_EXITED' ? Math.floor(latest.finishedAt / 1e6) : undefined,
    };
  };
  const initContainers = initContainersOf(pod);

  if (sandboxChanged(pod, state)) {
    actions.killPod = state.sandboxes.length > 0;
    actions.createSandbox = true;
    // A Never pod whose sandbox died after its containers ran is finished, not restarted.
    if (policy === 'Never' && actions.attempt !== 0 && state.containers.length > 0) {
      actions.createSandbox = false;
      return actions;
    }
    const toStart = pod.spec.containers.filter((c) => {
      const latest = latestContainer(state, c.name);
      return !(policy === 'OnFailure' && latest?.state === 'CONTAINER_EXITED' && latest.exitCode === 0);
    });
    if (toStart.length === 0 && (initContainers.length === 0 || initialized(pod, state))) {
      actions.createSandbox = false;
      return actions;
    }
    // A new sandbox runs the pod's initialization again from the first init container.
    actions.containersToStart = initContainers.length > 0 ? [startEntry(initContainers[0], true)] : toStart.map((c) => startEntry(c));
  } else {
    actions.sandboxId = newest!.id;
    const init = computeInitContainerActions(pod, state, ctx);
    actions.containersToKill.push(...init.kill);
    if (!init.done) {
      actions.containersToStart = init.start.map((c) => startEntry(c, true));
      // A regular init container that failed under restartPolicy Never fails the pod.
      if (init.failed) actions.killPod = true;
    } else {
      let keep = 0;
      for (const c of pod.spec.containers as KubeletContainer[]) {
        const latest = latestContainer(state, c.name);
        if (!latest || latest.state !== 'CONTAINER_RUNNING') {
          if (shouldContainerBeRestarted(policy, latest)) {
            actions.containersToStart.push(startEntry(c));
            // An instance in unknown state might still run: stop it before starting its successor.
            if (latest?.state === 'CONTAINER_UNKNOWN') actions.containersToKill.push({ id: latest.id, name: c.name, message: `Container ${c.name} is in unknown state, will be restarted` });
          }
          continue;
        }
        const kill = runningContainerKill(c, latest, ctx);
        if (kill) {
          actions.containersToKill.push(kill);
          if (kill.changed || policy !== 'Never') actions.containersToStart.push(startEntry(c));
        } else {
          keep++;
        }
      }
      if (keep === 0 && actions.containersToStart.length === 0) {
        // Nothing of the app is left to run: the pod winds down, sidecars included.
        actions.killPod = true;
      } else {
        // Sidecars restarted beside the app are started first, as kubelet does.
        actions.containersToStart.unshift(...init.start.map((c) => startEntry(c, true)));
        // Ephemeral containers start once, in the running pod, and are never restarted.
        for (const c of ephemeralContainersOf(pod)) if (!latestContainer(state, c.name)) actions.containersToStart.push(startEntry(c));
      }
    }
  }

  // CrashLoopBackOff: a container whose previous instance exited waits out its back-off before starting again.
  actions.containersToStart = actions.containersToStart.filter((s) => {
    if (s.lastFinishedAt === undefined) return true;
    const b = ctx.backoff.inBackOff(s.backoffKey, s.lastFinishedAt);
    if (!b) return true;
    actions.backOff.push({
      name: s.name,
      until: b.until,
      message: `back-off ${formatDuration(b.backoffMs)} restarting failed container=${s.name} pod=${pod.metadata.name}_${pod.metadata.namespace}(${pod.metadata.uid})`,
    });
    return false;
  });
  if (actions.backOff.length > 0) actions.nextSyncAt = Math.min(...actions.backOff.map((b) => b.until));
  return actions;
}

/** A running container that must be stopped: its spec changed, or its liveness or startup probe failed. */
function runningContainerKill(c: KubeletContainer, latest: ContainerInfo, ctx: ActionContext): (ContainerToKill & { changed?: boolean }) | undefined {
  if (latest.hash && latest.hash !== containerHash(c)) return { id: latest.id, name: c.name, message: `Container ${c.name} definition changed, will be restarted`, changed: true };
  if (ctx.liveness?.(latest.id) === 'failure') return { id: latest.id, name: c.name, message: `Container ${c.name} failed liveness probe, will be restarted` };
  if (ctx.startup?.(latest.id) === 'failure') return { id: latest.id, name: c.name, message: `Container ${c.name} failed startup probe, will be restarted` };
  return undefined;
}

/** Once any app container has run, the pod is initialized for good (its init containers may since have been removed). */
export function initialized(pod: Pod, state: PodRuntimeState): boolean {
  return pod.spec.containers.some((c) => latestContainer(state, c.name) !== undefined);
}

export interface InitContainerActions {
  /** Every init container has done its part: regular ones succeeded, sidecars started. */
  done: boolean;
  /** Init containers to start now (before initialization: at most the next one; after it: sidecars to restart). */
  start: KubeletContainer[];
  kill: ContainerToKill[];
  /** A regular init container failed and the pod's restartPolicy is Never: the pod has failed. */
  failed?: boolean;
}

/**
 * The init containers' part of a sync, in a ready sandbox. Walking them in order: a regular init container that
 * succeeded is passed; one that has not run yet, or exited with failure (and may restart), is started and the walk
 * stops; one that runs is waited for. A sidecar is started in its turn and passed once it has started (its startup
 * probe succeeded); it is restarted whenever it exits, whatever the pod's restartPolicy.
 */
export function computeInitContainerActions(pod: Pod, state: PodRuntimeState, ctx: ActionContext): InitContainerActions {
  const policy = restartPolicyOf(pod);
  const out: InitContainerActions = { done: true, start: [], kill: [] };
  const afterInit = initialized(pod, state);
  for (const c of initContainersOf(pod)) {
    const latest = latestContainer(state, c.name);
    if (isRestartableInitContainer(c)) {
      if (latest?.state === 'CONTAINER_RUNNING') {
        const kill = runningContainerKill(c, latest, ctx);
        if (kill) {
          out.kill.push({ id: kill.id, name: kill.name, message: kill.message });
          out.start.push(c);
        } else if (afterInit || ctx.started?.(latest.id) !== false) {
          continue;
        }
      } else {
        if (latest?.state === 'CONTAINER_UNKNOWN') out.kill.push({ id: latest.id, name: c.name, message: `Container ${c.name} is in unknown state, will be restarted` });
        out.start.push(c);
      }
      if (afterInit) continue;
      out.done = false;
      return out;
    }
    if (afterInit) continue;
    if (latest?.state === 'CONTAINER_EXITED' && latest.exitCode === 0) continue;
    out.done = false;
    if (latest?.state === 'CONTAINER_RUNNING') return out;
    if (latest?.state === 'CONTAINER_EXITED' && policy === 'Never') {
      out.failed = true;
      return out;
    }
    if (latest?.state === 'CONTAINER_UNKNOWN') out.kill.push({ id: latest.id, name: c.name, message: `Container ${c.name} is in unknown state, will be restarted` });
    out.start.push(c);
    return out;
  }
  return out;
}

/**
 * Runtime leftovers to remove (kubelet's container GC, per pod): for each container name keep the newest instance
 * and the newest exited one before it (it supplies lastState); remove older dead ones. Dead sandboxes other than
 * the newest go once no container refers to them.
 */
export function computePodGarbage(state: PodRuntimeState): { containers: string[]; sandboxes: string[] } {
  const containers: string[] = [];
  const kept = new Set<string>();
  const byName = new Map<string, ContainerInfo[]>();
  for (const c of state.containers) byName.set(c.name, [...(byName.get(c.name) ?? []), c]);
  for (const instances of byName.values()) {
    let keptExited = false;
    instances.forEach((c, i) => {
      if (i === 0 || c.state === 'CONTAINER_RUNNING') return kept.add(c.sandboxId);
      if (c.state === 'CONTAINER_EXITED' && !keptExited) {
        keptExited = true;
        return kept.add(c.sandboxId);
      }
      containers.push(c.id);
    });
  }
  const sandboxes = state.sandboxes.slice(1).filter((s) => s.state !== 'SANDBOX_READY' && !kept.has(s.id)).map((s) => s.id);
  return { containers, sandboxes };
}
