// Startup, readiness and liveness probes: one worker per (running container, probe kind) that probes every
// periodSeconds after initialDelaySeconds and flips its result after successThreshold/failureThreshold consecutive
// outcomes. A flip asks the pod worker to sync (readiness changes status; a liveness or startup failure restarts the
// container). Until a container's startup probe has succeeded its liveness and readiness probes do not run; once it
// has, the startup probe stops. A restarted kubelet takes a container's startup (and readiness) from the pod's status
// rather than probing it anew.
import http from 'node:http';
import https from 'node:https';
import net from 'node:net';
import type { Container, ContainerStatus, Pod, Probe } from '../../api/types.js';
import { logger } from '../../api/log.js';
import { initContainersOf, isRestartableInitContainer, type HTTPGetAction, type KubeletContainer } from './podspec.js';
import type { PodRuntimeState } from './podstate.js';
import type { RuntimeService } from './runtime.js';

const log = logger('kubelet.probes');

export type ProbeKind = 'startup' | 'readiness' | 'liveness';

/** Resolves a probe port (number or the name of a container port). */
export function resolvePort(port: number | string, c: Container): number {
  if (typeof port === 'number') return port;
  if (/^\d+$/.test(port)) return Number(port);
  const named = c.ports?.find((p) => p.name === port);
  if (!named) throw new Error(`port "${port}" not found in container ${c.name}`);
  return named.containerPort;
}

/**
 * An httpGet action (probe or lifecycle hook): GET scheme://host:port/path with its headers, at the pod's address
 * unless it names a host. Resolves with the status code (the body is discarded); rejects when no response comes.
 */
export function httpGet(g: HTTPGetAction, c: Container, podIP: string, timeoutMs: number, userAgent: string): Promise<{ statusCode: number }> {
  const mod = (g.scheme ?? 'HTTP').toUpperCase() === 'HTTPS' ? https : http;
  const headers: Record<string, string> = { 'user-agent': userAgent, accept: '*/*' };
  for (const h of g.httpHeaders ?? []) headers[h.name] = h.value;
  return new Promise((resolve, reject) => {
    const req = mod.get({ host: g.host || podIP, port: resolvePort(g.port, c), path: g.path || '/', headers, timeout: timeoutMs, rejectUnauthorized: false }, (res) => {
      res.resume();
      resolve({ statusCode: res.statusCode ?? 0 });
    });
    req.on('timeout', () => req.destroy(new Error('timeout')));
    req.on('error', reject);
  });
}

/** Runs one probe once; resolves true on success. Never rejects. */
export async function runProbe(rt: RuntimeService, probe: Probe, c: Container, containerId: string, podIP: string): Promise<boolean> {
  const timeoutMs = (probe.timeoutSeconds ?? 1) * 1000;
  try {
    if (probe.exec) {
      const res = await rt.execSync({ container_id: containerId, cmd: probe.exec.command, timeout: probe.timeoutSeconds ?? 1 });
      return res.exit_code === 0;
    }
    if (probe.httpGet) {
      const { statusCode } = await httpGet(probe.httpGet, c, podIP, timeoutMs, 'kube-probe/1.32');
      return statusCode >= 200 && statusCode < 400;
    }
    if (probe.tcpSocket) {
      const port = resolvePort(probe.tcpSocket.port, c);
      return await new Promise<boolean>((resolve) => {
        const sock = net.connect({ host: probe.tcpSocket!.host || podIP, port, timeout: timeoutMs });
        sock.once('connect', () => {
          sock.destroy();
          resolve(true);
        });
        sock.once('timeout', () => {
          sock.destroy();
          resolve(false);
        });
        sock.once('error', () => resolve(false));
      });
    }
  } catch (e) {
    log.debug({ container: c.name, err: (e as Error).message }, 'probe errored');
    return false;
  }
  return true;
}

class ProbeWorker {
  result: boolean | undefined;
  private successes = 0;
  private failures = 0;
  private timer?: NodeJS.Timeout;
  private stopped = false;

  constructor(
    private readonly run: () => Promise<boolean>,
    private readonly probe: Probe,
    initial: boolean | undefined,
    private readonly onFlip: () => void,
    /** Whether this probe may run now (startup: until it succeeded; the others: once the container started). */
    private readonly active: () => boolean = () => true,
  ) {
    this.result = initial;
    this.schedule((probe.initialDelaySeconds ?? 0) * 1000);
  }

  private schedule(ms: number): void {
    if (this.stopped) return;
    this.timer = setTimeout(() => void this.tick(), ms);
  }

  private async tick(): Promise<void> {
    if (!this.active()) return this.schedule((this.probe.periodSeconds ?? 10) * 1000);
    const ok = await this.run();
    if (this.stopped) return;
    if (ok) {
      this.successes++;
      this.failures = 0;
    } else {
      this.failures++;
      this.successes = 0;
    }
    const before = this.result;
    if (ok && this.successes >= (this.probe.successThreshold ?? 1)) this.result = true;
    if (!ok && this.failures >= (this.probe.failureThreshold ?? 3)) this.result = false;
    if (this.result !== before) this.onFlip();
    this.schedule((this.probe.periodSeconds ?? 10) * 1000);
  }

  stop(): void {
    this.stopped = true;
    clearTimeout(this.timer);
  }
}

/** The status the API shows for a container instance, if it is this one. */
function reportedStatus(pod: Pod, containerId: string): ContainerStatus | undefined {
  const all = [...(pod.status?.containerStatuses ?? []), ...(pod.status?.initContainerStatuses ?? [])];
  return all.find((s) => s.containerID === `containerd://${containerId}`);
}

export class ProbeManager {
  /** key: `${kind}/${containerId}` */
  private readonly workers = new Map<string, { uid: string; worker: ProbeWorker }>();
  private closed = false;

  constructor(
    private readonly rt: RuntimeService,
    private readonly onChange: (uid: string) => void,
    /** Host-network pods are probed at the node's address, like any other pod at its own. */
    private readonly nodeIP = '127.0.0.1',
  ) {}

  /** Makes the probe workers match the pod's running containers and sidecars (called after every sync). */
  sync(pod: Pod, state: PodRuntimeState): void {
    // A pod sync still running when the kubelet closes starts no probes: their timers would never be stopped.
    if (this.closed) return;
    const uid = pod.metadata.uid!;
    const podIP = pod.spec.hostNetwork ? this.nodeIP : state.sandboxes[0]?.ip ?? '';
    const wanted = new Set<string>();
    const probed: KubeletContainer[] = [...initContainersOf(pod).filter(isRestartableInitContainer), ...(pod.spec.containers as KubeletContainer[])];
    if (!pod.metadata.deletionTimestamp) {
      for (const c of probed) {
        const running = state.containers.find((i) => i.name === c.name && i.state === 'CONTAINER_RUNNING');
        if (!running || !podIP) continue;
        const reported = reportedStatus(pod, running.id);
        for (const kind of ['startup', 'readiness', 'liveness'] as const) {
          const probe = kind === 'startup' ? c.startupProbe : kind === 'readiness' ? c.readinessProbe : c.livenessProbe;
          if (!probe) continue;
          const key = `${kind}/${running.id}`;
          wanted.add(key);
          if (this.workers.has(key)) continue;
          // Startup starts unknown, readiness failing (not ready until proven), liveness passing — unless the pod's
          // status already shows this very container started or ready (a restarted kubelet).
          const initial = kind === 'startup' ? (reported?.started ? true : undefined) : kind === 'readiness' ? (reported?.ready ? true : undefined) : true;
          const active = kind === 'startup' ? () => this.workers.get(key)?.worker.result !== true : () => this.started(running.id);
          const worker = new ProbeWorker(() => runProbe(this.rt, probe, c, running.id, podIP), probe, initial, () => this.onChange(uid), active);
          this.workers.set(key, { uid, worker });
        }
      }
    }
    for (const [key, w] of this.workers) {
      if (w.uid === uid && !wanted.has(key)) {
        w.worker.stop();
        this.workers.delete(key);
      }
    }
  }

  readiness(containerId: string): boolean | undefined {
    return this.workers.get(`readiness/${containerId}`)?.worker.result;
  }

  liveness(containerId: string): 'success' | 'failure' | undefined {
    const r = this.workers.get(`liveness/${containerId}`)?.worker.result;
    return r === undefined ? undefined : r ? 'success' : 'failure';
  }

  startup(containerId: string): 'success' | 'failure' | undefined {
    const r = this.workers.get(`startup/${containerId}`)?.worker.result;
    return r === undefined ? undefined : r ? 'success' : 'failure';
  }

  /** A running container has started when it has no startup probe or that probe has succeeded. */
  started(containerId: string): boolean {
    const w = this.workers.get(`startup/${containerId}`);
    return !w || w.worker.result === true;
  }

  removePod(uid: string): void {
    for (const [key, w] of this.workers) {
      if (w.uid === uid) {
        w.worker.stop();
        this.workers.delete(key);
      }
    }
  }

  close(): void {
    this.closed = true;
    for (const w of this.workers.values()) w.worker.stop();
    this.workers.clear();
  }
}
