// Pod management: the pods bound to this node (an informer on spec.nodeName) and the static pods of the manifest
// directory drive one worker per pod UID; PLEG relists and probe results wake workers; each sync runs syncPod, then
// computes and writes the pod's status — a static pod's to its mirror pod, once there is one. The volume manager sets
// up and refreshes the pods' volumes; a Service informer feeds the containers' Service env; the log manager rotates
// their logs. Static pods run before (and without) an API server: connectApi() adds it when it can be reached.
// Deletion: stop within the grace period, report the final status, DELETE with grace 0, remove the sandbox. A static
// pod whose file went (or changed: a new UID) is stopped; its successor of the same name starts once it has.
// Sandboxes whose pod no source has any more (deleted while the agent was down, force-deleted) are removed, once
// every source has been read. Closing stops the kubelet's loops only; the pods keep running, as when kubelet restarts.
import type { ApiClient } from '../../api/client.js';
import { Informer } from '../../api/informer.js';
import { logger } from '../../api/log.js';
import { Resources } from '../../api/resources.js';
import type { Pod, PodStatus, Service } from '../../api/types.js';
import { systemClock, type Clock } from './backoff.js';
import { apiPodEvents, noEvents, type PodEvents } from './events.js';
import { Pleg, type PlegEvent } from './pleg.js';
import { PodWorkers, type WorkerSyncResult } from './podworkers.js';
import { ProbeManager } from './probes.js';
import type { RuntimeService } from './runtime.js';
import { allocatableOf, machineInfo } from './node.js';
import type { SpecOptions } from './specs.js';
import { apiStatusWriter, canonicalJson, computePodStatus, ReasonCache, StatusManager, type StatusWriter } from './status.js';
import { PodSyncer } from './sync.js';
import { ContainerLogManager, defaultLogRotation, type LogRotationPolicy } from './logrotation.js';
import { formatTime } from '../../api/time.js';
import { VolumeManager } from './volumes/manager.js';
import type { Mounter } from './volumes/mounter.js';
import { apiObjectReader, noApiReader, type PodObjectReader } from './volumes/objects.js';
import { isMirrorOf, MirrorPods } from './staticpods/mirror.js';
import { FileSource, isMirrorPod, podFullName } from './staticpods/source.js';
import type { PodStartObserver } from './stats/metrics.js';

const log = logger('kubelet.pods');

export interface PodManagerOptions {
  runtime: RuntimeService;
  spec: SpecOptions;
  /** Where API pods' statuses go; unset until connectApi() when the manager starts before the API server. */
  statusWriter?: StatusWriter;
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
  /** Container log rotation (10Mi, 5 files, checked every 10 s unless given). */
  logRotation?: Partial<LogRotationPolicy>;
  /** Static pods come from a manifest directory: no runtime pod is judged an orphan until it has been read. */
  staticPodSource?: boolean;
  /** Told how long each pod took from first sight to running (kubelet_pod_start_duration_seconds). */
  metrics?: PodStartObserver;
}

/** What the pod manager uses the API server for, once it can reach one. */
export interface ApiConnection {
  statusWriter: StatusWriter;
  events: PodEvents;
  reader: PodObjectReader;
  /** Every Service (throws until they have been listed). */
  services: () => Service[];
  /** Told whenever static pods or mirror pods change. */
  mirrorPods?: { trigger(): void };
}

const noApiWriter: StatusWriter = {
  patchStatus: async () => {
    throw new Error('no API server to write pod status to');
  },
  deletePod: async () => undefined,
};

const isoNow = (clock: Clock) => formatTime(clock.now());

export class PodManager {
  readonly syncer: PodSyncer;
  readonly status: StatusManager;
  readonly probes: ProbeManager;
  readonly volumes: VolumeManager;
  readonly logs: ContainerLogManager;
  private readonly reasons = new ReasonCache();
  private readonly workers: PodWorkers;
  private readonly pleg: Pleg;
  private readonly clock: Clock;
  private readonly events: PodEvents;
  private readonly setEvents: (e: PodEvents) => void;
  /** The newest object of every pod the API has for this node, by UID. */
  private readonly pods = new Map<string, Pod>();
  /** Last known object of pods being wound down, kept for their grace period and log paths. */
  private readonly lastKnown = new Map<string, Pod>();
  /** Pods whose deletion has been carried out (stopped, final status written, DELETE sent, sandbox removed). */
  private readonly finished = new Set<string>();
  /** Until the API's pods have been listed, no runtime pod may be judged an orphan. */
  private apiSynced = false;
  /** Nor until the manifest directory has been read, when there is one. */
  private staticSynced: boolean;
  /** The static pods by UID (they are in `pods` too). */
  private readonly staticPods = new Map<string, Pod>();
  /** Static pods being stopped (UIDs by full name): a successor of the same name waits for them. */
  private readonly terminatingStatic = new Map<string, Set<string>>();
  /** Mirror pods in the API, by full name. */
  private readonly mirrors = new Map<string, Pod>();
  private writer: StatusWriter;
  /** When each pod was first given to the kubelet (ms), null once it has been seen running. */
  private readonly firstSeen = new Map<string, number | null>();
  private reader: PodObjectReader;
  private services?: () => Service[];
  private mirrorPods?: { trigger(): void };

  constructor(private readonly opts: PodManagerOptions) {
    this.clock = opts.clock ?? systemClock;
    this.writer = opts.statusWriter ?? noApiWriter;
    this.reader = opts.reader ?? noApiReader;
    this.services = opts.services;
    this.staticSynced = !opts.staticPodSource;
    let events = opts.events ?? noEvents;
    this.events = { event: (...args) => events.event(...args) };
    this.setEvents = (e) => (events = e);
    // The parts below are made once; what they use of the API is looked up at each use, so connectApi() reaches them.
    const reader: PodObjectReader = {
      configMap: (ns, name) => this.reader.configMap(ns, name),
      secret: (ns, name) => this.reader.secret(ns, name),
      requestToken: (ns, sa, spec) => this.reader.requestToken(ns, sa, spec),
      persistentVolumeClaim: (ns, name) => this.reader.persistentVolumeClaim(ns, name),
      persistentVolume: (name) => this.reader.persistentVolume(name),
    };
    this.volumes = new VolumeManager({
      dataDir: opts.spec.dataDir,
      reader,
      events: this.events,
      mounter: opts.mounter,
      clock: this.clock,
      allocatable: opts.spec.allocatable,
      refreshPeriodMs: opts.volumeRefreshPeriodMs,
    });
    this.syncer = new PodSyncer({ runtime: opts.runtime, spec: opts.spec, reasons: this.reasons, events: this.events, volumes: this.volumes, services: () => this.services?.(), clock: this.clock });
    this.status = new StatusManager({
      patchStatus: (pod, status) => {
        this.observeStart(pod.metadata.uid!, status.phase);
        return this.writer.patchStatus(pod, status);
      },
      deletePod: (pod) => this.writer.deletePod(pod),
    });
    this.workers = new PodWorkers((uid, pod) => this.syncPod(uid, pod), this.clock, opts.resyncPeriodMs);
    this.probes = new ProbeManager(opts.runtime, (uid) => this.workers.kick(uid), opts.spec.nodeIP);
    this.logs = new ContainerLogManager(opts.runtime, { ...defaultLogRotation, ...opts.logRotation }, this.clock);
    this.pleg = new Pleg(opts.runtime, (events) => this.onPlegEvents(events), (uids) => this.onRelist(uids), opts.relistPeriodMs);
  }

  start(): this {
    this.pleg.start();
    this.volumes.start();
    this.logs.start();
    return this;
  }

  /** From now on, API pods come and statuses go through the API server. */
  connectApi(api: ApiConnection): void {
    this.writer = api.statusWriter;
    this.reader = api.reader;
    this.services = api.services;
    this.setEvents(api.events);
    this.mirrorPods = api.mirrorPods;
    this.mirrorPods?.trigger();
  }

  /**
   * The whole set of static pods, as the manifest directory holds it now: new ones start, changed ones (a new UID)
   * replace their predecessor once it has stopped, missing ones stop.
   */
  setStaticPods(pods: Pod[]): void {
    const next = new Map(pods.map((p) => [p.metadata.uid!, p]));
    for (const [uid, old] of this.staticPods) {
      if (next.has(uid)) continue;
      log.info({ pod: podFullName(old), uid }, 'static pod removed from the manifest path; stopping it');
      this.staticPods.delete(uid);
      const full = podFullName(old);
      this.terminatingStatic.set(full, new Set([...(this.terminatingStatic.get(full) ?? []), uid]));
      this.podRemoved(old);
    }
    for (const pod of pods) {
      const uid = pod.metadata.uid!;
      const known = this.staticPods.get(uid);
      if (known && canonicalJson(known) === canonicalJson(pod)) continue;
      this.staticPods.set(uid, pod);
      this.podUpdated(pod);
    }
    this.staticSynced = true;
    this.mirrorPods?.trigger();
  }

  staticPodList(): Pod[] {
    return [...this.staticPods.values()];
  }

  mirrorPodList(): Pod[] {
    return [...this.mirrors.values()];
  }

  /** A mirror pod was added or changed in the API: its static pod's status may now be written there. */
  mirrorUpdated(mirror: Pod): void {
    const full = podFullName(mirror);
    this.mirrors.set(full, mirror);
    this.kickStatic(full);
    this.mirrorPods?.trigger();
  }

  mirrorRemoved(mirror: Pod): void {
    const full = podFullName(mirror);
    if (this.mirrors.get(full)?.metadata.uid === mirror.metadata.uid) this.mirrors.delete(full);
    this.mirrorPods?.trigger();
  }

  private kickStatic(full: string): void {
    for (const [uid, pod] of this.staticPods) if (podFullName(pod) === full) this.workers.kick(uid);
  }

  /** The first status that shows a pod running ends its start duration. */
  private observeStart(uid: string, phase: string | undefined): void {
    const seen = this.firstSeen.get(uid);
    if (seen === undefined || seen === null || phase !== 'Running') return;
    this.firstSeen.set(uid, null);
    this.opts.metrics?.podStarted((this.clock.now() - seen) / 1000);
  }

  /** A pod was added or changed in the API. */
  podUpdated(pod: Pod): void {
    const uid = pod.metadata.uid!;
    if (!this.firstSeen.has(uid)) this.firstSeen.set(uid, this.clock.now());
    this.pods.set(uid, pod);
    this.lastKnown.set(uid, pod);
    this.volumes.podUpdated(pod);
    this.workers.update(uid, pod);
  }

  /** A pod is gone from the API. */
  podRemoved(pod: Pod): void {
    const uid = pod.metadata.uid!;
    this.firstSeen.delete(uid);
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
    if (!this.apiSynced || !this.staticSynced) return;
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
      const terminating = last && this.terminatingStatic.get(podFullName(last));
      if (terminating?.delete(uid) && terminating.size === 0) {
        this.terminatingStatic.delete(podFullName(last!));
        this.kickStatic(podFullName(last!));
      }
      return { done: true };
    }
    const staticPod = this.staticPods.get(uid) === pod;
    // A static pod's predecessor of the same name (its file changed) must stop first: they may share host ports.
    if (staticPod && this.terminatingStatic.has(podFullName(pod))) return {};
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
    const result = await this.syncer.syncPod(pod, { liveness: (id) => this.probes.liveness(id), startup: (id) => this.probes.startup(id), started: (id) => this.probes.started(id) });
    const state = await this.syncer.readState(uid);
    this.probes.sync(pod, state);
    const status = computePodStatus(pod, state, {
      now: isoNow(this.clock),
      nodeIP: this.opts.spec.nodeIP,
      failure: (name) => this.reasons.get(uid, name),
      readiness: (id) => this.probes.readiness(id),
      started: (id) => this.probes.started(id),
      previous: this.status.previous(uid),
    });
    if (staticPod) await this.setStaticPodStatus(pod, status);
    else await this.status.setPodStatus(pod, status);
    if (result.error) throw result.error;
    return { nextSyncAt: result.nextSyncAt };
  }

  /** A static pod's status goes to its mirror pod; until there is one it is only remembered. */
  private async setStaticPodStatus(pod: Pod, status: PodStatus): Promise<void> {
    const mirror = this.mirrors.get(podFullName(pod));
    if (mirror && isMirrorOf(mirror, pod) && !mirror.metadata.deletionTimestamp) await this.status.setPodStatus(pod, status, mirror);
    else this.status.remember(pod, status);
  }

  async close(): Promise<void> {
    // The pod syncs first (they start probes and log rotation), then what they started.
    await this.workers.close();
    await this.pleg.close();
    await this.logs.close();
    this.probes.close();
    await this.volumes.close();
  }
}

export interface PodManagement {
  manager: PodManager;
  close(): Promise<void>;
}

/**
 * Watches this node's pods (and every Service, for their env) and runs them. `manager` is a pod manager started
 * before the API server could be reached (running static pods): it is connected to the API instead of a new one made.
 */
export async function startPodManagement(
  client: ApiClient,
  nodeName: string,
  runtime: RuntimeService,
  spec: SpecOptions,
  opts: Pick<PodManagerOptions, 'volumeRefreshPeriodMs' | 'mounter' | 'relistPeriodMs' | 'resyncPeriodMs' | 'logRotation' | 'metrics'> & { manager?: PodManager } = {},
): Promise<PodManagement> {
  const services = new Informer<Service>(client, Resources.services);
  const manager = opts.manager ?? new PodManager({ ...opts, runtime, spec: { ...spec, allocatable: spec.allocatable ?? allocatableOf(await machineInfo(spec.dataDir)) } });
  const mirrorPods = new MirrorPods(client, nodeName, () => manager.staticPodList(), () => manager.mirrorPodList());
  manager.connectApi({
    statusWriter: apiStatusWriter(client),
    events: apiPodEvents(client, nodeName),
    reader: apiObjectReader(client),
    services: () => {
      // As kubelet: no container starts with Service variables from a partial view.
      if (!services.hasSynced()) throw new Error('services have not yet been read at least once, cannot construct envvars');
      return services.list();
    },
    mirrorPods,
  });
  const informer = new Informer<Pod>(client, Resources.pods, { fieldSelector: `spec.nodeName=${nodeName}` });
  // Mirror pods only show static pods: they are never run.
  informer.addHandlers({
    onAdd: (pod) => (isMirrorPod(pod) ? manager.mirrorUpdated(pod) : manager.podUpdated(pod)),
    onUpdate: (_old, pod) => (isMirrorPod(pod) ? manager.mirrorUpdated(pod) : manager.podUpdated(pod)),
    onDelete: (pod) => (isMirrorPod(pod) ? manager.mirrorRemoved(pod) : manager.podRemoved(pod)),
  });
  services.start();
  informer.start();
  if (!opts.manager) manager.start();
  // Orphan clean-up waits for the first complete list: never judge runtime pods against a partial view.
  const stop = new AbortController();
  void Promise.race([informer.waitForSync(), new Promise<void>((r) => stop.signal.addEventListener('abort', () => r(), { once: true }))]).then(() => {
    if (stop.signal.aborted) return;
    manager.markApiSynced();
    mirrorPods.start();
  });
  let closed: Promise<void> | undefined;
  return {
    manager,
    close: () =>
      (closed ??= (async () => {
        stop.abort();
        await mirrorPods.close();
        await informer.close();
        await services.close();
        // A manager that was handed in belongs to whoever made it.
        if (!opts.manager) await manager.close();
      })()),
  };
}

export interface StaticPods {
  manager: PodManager;
  /** The manifest directory's reader; undefined when there is no manifest path. */
  source?: FileSource;
  close(): Promise<void>;
}

/**
 * Starts the pod workers with the static pods of `manifestPath` (none when it is empty). The manager runs without an
 * API server until startPodManagement connects it.
 */
export async function startStaticPods(runtime: RuntimeService, spec: SpecOptions, manifestPath: string, opts: Pick<PodManagerOptions, 'relistPeriodMs' | 'resyncPeriodMs' | 'logRotation' | 'metrics'> & { fileCheckPeriodMs?: number } = {}): Promise<StaticPods> {
  const allocatable = spec.allocatable ?? allocatableOf(await machineInfo(spec.dataDir));
  const manager = new PodManager({ ...opts, runtime, spec: { ...spec, allocatable }, staticPodSource: !!manifestPath }).start();
  const source = manifestPath ? new FileSource(manifestPath, spec.nodeName, (pods) => manager.setStaticPods(pods), opts.fileCheckPeriodMs).start() : undefined;
  let closed: Promise<void> | undefined;
  return {
    manager,
    source,
    close: () =>
      (closed ??= (async () => {
        source?.close();
        await manager.close();
      })()),
  };
}
