// The kubelet's own metrics on /metrics (pkg/kubelet/metrics/metrics.go), under the kubelet's names, in a registry of
// their own: kubelet_node_name, kubelet_running_pods and kubelet_running_containers (counted from the runtime at
// scrape time, as the kubelet's PLEG-fed gauges report), kubelet_pod_start_duration_seconds, and the process_*
// basics.
import { Gauge, Histogram, Registry, collectDefaultMetrics } from 'prom-client';
import type { CriClient } from '../cri/client.js';

export type MetricsRuntime = Pick<CriClient, 'listPodSandbox' | 'listContainers'>;

/** Told when a pod the kubelet was given first runs (pod workers → kubelet_pod_start_duration_seconds). */
export interface PodStartObserver {
  podStarted(seconds: number): void;
}

// The kubelet's buckets for pod start duration (0.5 s to an hour).
const POD_START_BUCKETS = [0.5, 1, 2, 3, 4, 5, 6, 8, 10, 20, 30, 45, 60, 120, 180, 240, 300, 360, 480, 600, 900, 1200, 1800, 2700, 3600];

const CONTAINER_STATES: Record<string, string> = { CONTAINER_CREATED: 'created', CONTAINER_RUNNING: 'running', CONTAINER_EXITED: 'exited', CONTAINER_UNKNOWN: 'unknown' };

export class KubeletMetrics implements PodStartObserver {
  readonly registry = new Registry();
  private runtime?: MetricsRuntime;

  readonly podStartDuration = new Histogram({
    name: 'kubelet_pod_start_duration_seconds',
    help: '[ALPHA] Duration in seconds from kubelet seeing a pod for the first time to the pod starting to run',
    buckets: POD_START_BUCKETS,
    registers: [this.registry],
  });

  constructor(nodeName: string) {
    new Gauge({ name: 'kubelet_node_name', help: "[ALPHA] The node's name. The count is always 1.", labelNames: ['node'] as const, registers: [this.registry] }).set({ node: nodeName }, 1);
    const self = this;
    new Gauge({
      name: 'kubelet_running_pods',
      help: '[ALPHA] Number of pods that have a running pod sandbox',
      registers: [this.registry],
      async collect() {
        if (!self.runtime) return;
        this.set((await self.runtime.listPodSandbox({ filter: { state: { state: 'SANDBOX_READY' } } })).items.length);
      },
    });
    new Gauge({
      name: 'kubelet_running_containers',
      help: '[ALPHA] Number of containers currently running',
      labelNames: ['container_state'] as const,
      registers: [this.registry],
      async collect() {
        if (!self.runtime) return;
        const counts: Record<string, number> = { created: 0, running: 0, exited: 0, unknown: 0 };
        for (const c of (await self.runtime.listContainers({})).containers) counts[CONTAINER_STATES[c.state] ?? 'unknown']++;
        this.reset();
        for (const [state, n] of Object.entries(counts)) this.set({ container_state: state }, n);
      },
    });
    collectDefaultMetrics({ register: this.registry });
  }

  /** The runtime the running_* gauges count from (the CRI client, once connected). */
  setRuntime(runtime: MetricsRuntime): void {
    this.runtime = runtime;
  }

  podStarted(seconds: number): void {
    this.podStartDuration.observe(seconds);
  }
}
