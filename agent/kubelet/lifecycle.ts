// Container lifecycle hooks (kubelet's pkg/kubelet/lifecycle handlers.go): postStart runs right after a container
// starts, preStop before it is sent its stop signal. A handler runs a command in the container (ExecSync), sends an
// HTTP GET to the pod, or sleeps. A failed handler resolves with kubelet's message; the caller decides what follows
// (a failed postStart kills the container, a failed preStop is only reported).
import type { Pod } from '../../api/types.js';
import { formatPod, type KubeletContainer, type LifecycleHandler } from './podspec.js';
import { httpGet } from './probes.js';
import type { RuntimeService } from './runtime.js';

/** How long an HTTP hook may take when nothing else bounds it. */
const httpHookTimeoutMs = 30_000;

const goList = (items: string[]): string => `[${items.join(' ')}]`;

export interface HookContext {
  runtime: RuntimeService;
  pod: Pod;
  container: KubeletContainer;
  containerId: string;
  /** The pod's address (the node's for host-network pods): where an httpGet without a host goes. */
  podIP: string;
  /** Aborts a sleep or an exec that outlives its grace period. */
  signal?: AbortSignal;
}

/** Runs a lifecycle handler; resolves with the failure message, or undefined when it succeeded. Never rejects. */
export async function runLifecycleHandler(ctx: HookContext, handler: LifecycleHandler): Promise<string | undefined> {
  const { pod, container: c } = ctx;
  if (handler.exec) {
    const cmd = handler.exec.command ?? [];
    try {
      const res = await ctx.runtime.execSync({ container_id: ctx.containerId, cmd, timeout: 0 });
      if (res.exit_code === 0) return undefined;
      const output = Buffer.concat([res.stdout ?? Buffer.alloc(0), res.stderr ?? Buffer.alloc(0)]).toString();
      const err = `command '${cmd.join(' ')}' exited with ${res.exit_code}: ${res.stderr?.toString() ?? ''}`;
      return `Exec lifecycle hook (${goList(cmd)}) for Container "${c.name}" in Pod "${formatPod(pod)}" failed - error: ${err}, message: ${JSON.stringify(output)}`;
    } catch (e) {
      const err = (e as { details?: string }).details || (e as Error).message;
      return `Exec lifecycle hook (${goList(cmd)}) for Container "${c.name}" in Pod "${formatPod(pod)}" failed - error: ${err}, message: ""`;
    }
  }
  if (handler.httpGet) {
    // Any response will do: only a request that gets none fails the hook.
    try {
      await httpGet(handler.httpGet, c, ctx.podIP, httpHookTimeoutMs, 'kube-lifecycle/1.32');
      return undefined;
    } catch (e) {
      return `HTTP lifecycle hook (${handler.httpGet.path ?? ''}) for Container "${c.name}" in Pod "${formatPod(pod)}" failed - error: ${(e as Error).message}`;
    }
  }
  if (handler.sleep) {
    await new Promise<void>((resolve) => {
      const timer = setTimeout(done, Math.max(0, handler.sleep!.seconds) * 1000);
      function done() {
        clearTimeout(timer);
        ctx.signal?.removeEventListener('abort', done);
        resolve();
      }
      ctx.signal?.addEventListener('abort', done, { once: true });
    });
    return undefined;
  }
  return `Cannot run handler: invalid handler: ${JSON.stringify(handler)}`;
}

/**
 * Runs a preStop hook within the grace period: resolves with the seconds it took (the time left to the stop signal
 * shrinks by as much) and its failure message, if any. A hook still running when the grace period ends is left
 * behind; the container is stopped anyway.
 */
export async function runPreStopHook(ctx: Omit<HookContext, 'signal'>, handler: LifecycleHandler, graceSeconds: number, now: () => number = Date.now): Promise<{ elapsedSeconds: number; failure?: string }> {
  const start = now();
  const abort = new AbortController();
  let timer: NodeJS.Timeout | undefined;
  const expired = new Promise<'expired'>((resolve) => (timer = setTimeout(() => resolve('expired'), graceSeconds * 1000)));
  try {
    const outcome = await Promise.race([runLifecycleHandler({ ...ctx, signal: abort.signal }, handler), expired]);
    const elapsedSeconds = Math.floor((now() - start) / 1000);
    if (outcome === 'expired') return { elapsedSeconds };
    return { elapsedSeconds, failure: outcome };
  } finally {
    clearTimeout(timer);
    abort.abort();
  }
}
