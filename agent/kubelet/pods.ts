// Pod management: the pods bound to this node (an informer on spec.nodeName) drive one worker per pod UID; PLEG
// relists and probe results wake workers; each sync runs syncPod, then computes and writes the pod's status. The
// volume manager sets up and refreshes the pods' volumes; a Service informer feeds the containers' Service env.
// Deletion: stop within the grace period, report the final status, DELETE with grace 0, remove the sandbox.
// Sandboxes whose pod the API no longer has (deleted while the agent was down, force-deleted) are removed.
// Closing stops the kubelet's loops only; the pods themselves keep running, as when kubelet restarts.
import type { ApiClient } from '../../api/client.js';
import { Informer } from '../../api/informer.js';
import { logger } from '../../api/log.js';
import { Resources } from '../../api/resources.js';
import type { Pod, Service } from '../../api/types.js';
import { systemClock, type Clock } from './backoff.js';
import { apiPodEvents, noEvents, type PodEvents } from './events.js';
import { Pleg, type PlegEvent } from './pleg.js';
import { PodWorkers, type WorkerSyncResult } from './podworkers.js';
import { ProbeManager } from './probes.js';
import type { RuntimeService } from './runtime.js';
import { allocatableOf, machineInfo } from './node.js';
import type { SpecOptions } from './specs.js';
import { apiStatusWriter, computePodStatus, ReasonCache, StatusManager, type StatusWriter } from './status.js';
import { PodSyncer } from './sync.js';
import { formatTime } from '../../api/time.js';
import { VolumeManager } from './volumes/manager.js';
import type { Mounter } from './volumes/mounter.js';
import { apiObjectReader, noApiReader, type PodObjectReader } from './volumes/objects.js';

const log = logger('kubelet.pods');

export interface PodManagerOptions {
  runtime: RuntimeService;
  spec: SpecOptions;
  statusWriter: StatusWriter;
  events?: PodEvents;
  clock?: Clock;
  relistPeriodMs?: number;
  resyncPeriodMs?: number;
  /** Reads the ConfigMaps, Secrets and tokens pods use (none without an API server). */
  reader?: PodObjectReader;
  /** Every Service, for the containers' Service env; unset without an API server. */
  services?: () => Service[];
  /** How often configMap, secret, downwardAPI and projected volumes are brought up to date. */
  volumeRefreshPeriodMs?: number;
  mounter?: Mounter;
}

const isoNow = (clock: Clock) => formatTime(clock.now());

export class PodManager {
  readonly syncer: PodSyncer;
  readonly status: StatusManager;
  readonly probes: ProbeManager;
  readonly volumes: VolumeManager;
  private readonly reasons = new ReasonCache();
  private readonly workers: PodWorkers;
  private readonly pleg: Pleg;
  private readonly clock: Clock;
  private readonly events: PodEvents;
  /** The newest object of every pod the API has for this node, by UID. */
  private readonly pods = new Map<string, Pod>();
  /** Last known object of pods being wound down, kept for their grace period and log paths. */
  private readonly lastKnown = new Map<string, Pod>();
  /** Pods whose deletion has been carried out (stopped, final status written, DELETE sent, sandbox removed). */
  private readonly finished = new Set<string>();
  /** Until the API's pods have been listed, no runtime pod may be judged an orphan. */
  private apiSynced = false;

  constructor(private readonly opts: PodManagerOptions) {
    this.clock = opts.clock ?? systemClock;
    this.events = opts.events ?? noEvents;
    this.volumes = new VolumeManager({
      dataDir: opts.spec.dataDir,
      reader: opts.reader ?? noApiReader,
      events: this.events,
      mounter: opts.mounter,
      clock: this.clock,
      allocatable: opts.spec.allocatable,
      refreshPeriodMs: opts.volumeRefreshPeriodMs,
    });
    this.syncer = new PodSyncer({ runtime: opts.runtime, spec: opts.spec, reasons: this.reasons, events: this.events, volumes: this.volumes, services: opts.services, clock: this.clock });
    this.status = new StatusManager(opts.statusWriter);
    this.workers = new PodWorkers((uid, pod) => this.syncPod(uid, pod), this.clock, opts.resyncPeriodMs);
    this.probes = new ProbeManager(opts.runtime, (uid) => this.workers.kick(uid), opts.spec.nodeIP);
    this.pleg = new Pleg(opts.runtime, (events) => this.onPlegEvents(events), (uids) => this.onRelist(uids), opts.relistPeriodMs);
  }

  start(): this {
    this.pleg.start();
    this.volumes.start();
    return this;
  }

  /** A pod was added or changed in the API. */
  podUpdated(pod: Pod): void {
    const uid = pod.metadata.uid!;
    this.pods.set(uid, pod);
    this.lastKnown.set(uid, pod);
    this.volumes.podUpdated(pod);
    this.workers.update(uid, pod);
  }

  /** A pod is gone from the API. */
  podRemoved(pod: Pod): void {
    const uid = pod.metadata.uid!;
    this.pods.delete(uid);
    this.lastKnown.set(uid, pod);
    this.workers.update(uid, undefined);
  }

  /** The API's pods have been listed: from now on, runtime pods unknown to it are orphans. */
  markApiSynced(): void {
    this.apiSynced = true;
  }

  private onPlegEvents(events: PlegEvent[]): void {
    for (const uid of new Set(events.map((e) => e.uid))) this.workers.kick(uid);
  }

  private onRelist(runtimeUIDs: Set<string>): void {
    if (!this.apiSynced) return;
    for (const uid of runtimeUIDs) {
      if (this.pods.has(uid) || this.workers.has(uid)) continue;
      log.info({ uid }, 'removing pod the API no longer has');
      this.workers.update(uid, undefined);
    }
    // Volumes of pods that are neither in the API nor in the runtime (the sandbox went while the agent was down).
    void this.volumes.cleanupOrphans(new Set([...runtimeUIDs, ...this.pods.keys(), ...this.workers.uids()]));
  }

  private async syncPod(uid: string, pod: Pod | undefined): Promise<WorkerSyncResult> {
    if (!pod) {
      // Gone from the API: whatever is left in the runtime goes.
      const last = this.lastKnown.get(uid);
      this.probes.removePod(uid);
      await this.syncer.terminatePod(uid, last, this.finished.has(uid) || !last ? 0 : undefined);
      this.finished.delete(uid);
      this.lastKnown.delete(uid);
      this.status.forget(uid);
      return { done: true };
    }
    if (pod.metadata.deletionTimestamp) {
      if (this.finished.has(uid)) return {};
      this.probes.removePod(uid);
      await this.syncer.stopPod(uid, pod);
      const state = await this.syncer.readState(uid);
      const status = computePodStatus(pod, state, { now: isoNow(this.clock), nodeIP: this.opts.spec.nodeIP, terminated: true, previous: this.status.previous(uid) });
      await this.status.setPodStatus(pod, status).catch((e) => {
        // The pod may be gone already; the DELETE below settles it either way.
        log.debug({ uid, err: (e as Error).message }, 'final status not written');
      });
      await this.status.writer.deletePod(pod);
      await this.syncer.terminatePod(uid, pod, 0);
      this.finished.add(uid);
      return {};
    }
    const result = await this.syncer.syncPod(pod, (id) => this.probes.liveness(id));
    const state = await this.syncer.readState(uid);
    this.probes.sync(pod, state);
    const status = computePodStatus(pod, state, {
      now: isoNow(this.clock),
      nodeIP: this.opts.spec.nodeIP,
      failure: (name) => this.reasons.get(uid, name),
      readiness: (id) => this.probes.readiness(id),
      previous: this.status.previous(uid),
    });
    await this.status.setPodStatus(pod, status);
    if (result.error) throw result.error;
    return { nextSyncAt: result.nextSyncAt };
  }

  async close(): Promise<void> {
    await this.pleg.close();
    this.probes.close();
    await this.workers.close();
    await this.volumes.close();
  }
}

export interface PodManagement {
  manager: PodManager;
  close(): Promise<void>;
}

/** Watches this node's pods (and every Service, for their env) and runs them. */
export async function startPodManagement(
  client: ApiClient,
  nodeName: string,
  runtime: RuntimeService,
  spec: SpecOptions,
  opts: Pick<PodManagerOptions, 'volumeRefreshPeriodMs' | 'mounter' | 'relistPeriodMs' | 'resyncPeriodMs'> = {},
): Promise<PodManagement> {
  const allocatable = spec.allocatable ?? allocatableOf(await machineInfo(spec.dataDir));
  const services = new Informer<Service>(client, Resources.services);
  const manager = new PodManager({
    ...opts,
    runtime,
    spec: { ...spec, allocatable },
    statusWriter: apiStatusWriter(client),
    events: apiPodEvents(client, nodeName),
    reader: apiObjectReader(client),
    services: () => {
      // As kubelet: no container starts with Service variables from a partial view.
      if (!services.hasSynced()) throw new Error('services have not yet been read at least once, cannot construct envvars');
      return services.list();
    },
  });
  const informer = new Informer<Pod>(client, Resources.pods, { fieldSelector: `spec.nodeName=${nodeName}` });
  informer.addHandlers({
    onAdd: (pod) => manager.podUpdated(pod),
    onUpdate: (_old, pod) => manager.podUpdated(pod),
    onDelete: (pod) => manager.podRemoved(pod),
  });
  services.start();
  informer.start();
  manager.start();
  // Orphan cleanup waits for the first complete list: never judge runtime pods against a partial view.
  const stop = new AbortController();
  void Promise.race([informer.waitForSync(), new Promise<void>((r) => stop.signal.addEventListener('abort', () => r(), { once: true }))]).then(() => {
    if (!stop.signal.aborted) manager.markApiSynced();
  });
  let closed: Promise<void> | undefined;
  return {
    manager,
    close: () =>
      (closed ??= (async () => {
        stop.abort();
        await informer.close();
        await services.close();
        await manager.close();
      })()),
  };
}
