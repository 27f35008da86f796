// The Provider plumbing every kube-proxy mode shares (each of kube-proxy's pkg/proxy/<mode>/proxier.go carries its
// own copy; here it lives once): handlers only record changes in the trackers and ask the bounded-frequency runner
// for a sync; nothing is written until both Services and EndpointSlices have been listed; one serialized sync applies
// the pending changes, has the mode write its rules (full or partial), retries as a full sync after a failure, and
// then feeds the service health checks and flushes stale UDP conntrack entries.
import type { EndpointSlice, Service } from '../../api/types.js';
import type { Logger } from '../../api/log.js';
import { cleanStaleConntrack } from './conntrack.js';
import { EndpointsChangeTracker, type EndpointsMap, type EndpointsUpdateResult } from './endpointschange.js';
import type { ProxyMetrics } from './metrics.js';
import { BoundedFrequencyRunner } from './runner.js';
import { healthCheckNodePorts, localReadyEndpoints, type ServiceHealthServer } from './servicehealth.js';
import { ServiceChangeTracker, type ServicePortInfo, type ServicePortMap, type ServiceUpdateResult } from './servicechange.js';
import type { Exec, Provider, SyncHealthReporter } from './types.js';

export interface ProxierOptions {
  /** Runs the mode's tools (iptables-restore, nft, conntrack, sysctl): on the host, or inside a namespace. */
  exec: Exec;
  nodeName: string;
  /** Pod CIDR of the whole cluster: traffic from outside it to a ClusterIP is masqueraded. */
  clusterCIDR: string;
  /** Masquerade every ClusterIP connection, not only those from outside the cluster CIDR. */
  masqueradeAll?: boolean;
  /** Bit of the packet mark used to flag traffic for SNAT (kube-proxy's default: 14 → 0x4000). */
  masqueradeBit?: number;
  /** Least time between syncs (kube-proxy's --*-min-sync-period). Default 1 s. */
  minSyncPeriodMs?: number;
  /** Retry interval after a failed sync (kube-proxy's --*-sync-period). Default 30 s. */
  syncPeriodMs?: number;
  /** Longest time between full syncs. Default 1 h. */
  fullSyncPeriodMs?: number;
  metrics?: ProxyMetrics;
  health?: SyncHealthReporter;
  /** Health check node ports of externalTrafficPolicy Local services; fed after every successful sync. */
  serviceHealth?: ServiceHealthServer;
  now?: () => number;
}

/** What one sync has to program. */
export interface SyncContext {
  /** Rewrite everything (start-up, after a failure, periodically); else only what changed. */
  full: boolean;
  start: number;
  services: ServiceUpdateResult;
  endpoints: EndpointsUpdateResult;
}

/** Whether a sync writes this service port's own chains: on a full sync all are; on a partial sync, as kube-proxy's,
 * only those of Services whose ports or endpoints changed. */
export function serviceChanged(ctx: SyncContext, svc: Pick<ServicePortInfo, 'serviceName'>): boolean {
  return ctx.full || ctx.services.updatedServices.has(svc.serviceName) || ctx.endpoints.updatedServices.has(svc.serviceName);
}

/**
 * What a mode last wrote for each service port, replayed by a partial sync instead of computed again: building every
 * unchanged Service's names and rules would make a one-Service change cost as much as the whole table. Keyed by the
 * ServicePortInfo object, which a change to the Service replaces.
 */
export class LastWrites<T> {
  private readonly byPort = new WeakMap<ServicePortInfo, T>();

  /** The port's last write, when this sync may replay it; undefined when the port must be written (again). */
  replayable(ctx: SyncContext, svc: ServicePortInfo): T | undefined {
    return serviceChanged(ctx, svc) ? undefined : this.byPort.get(svc);
  }

  record(svc: ServicePortInfo, written: T): T {
    this.byPort.set(svc, written);
    return written;
  }
}

/** kube-proxy prints the mark with %#08x: 1<<14 → "0x004000". */
export function masqueradeMark(bit = 14): string {
  return `0x${(1 << bit).toString(16).padStart(6, '0')}`;
}

export abstract class BaseProxier implements Provider {
  protected readonly exec: Exec;
  protected readonly serviceChanges = new ServiceChangeTracker();
  protected readonly endpointsChanges: EndpointsChangeTracker;
  protected readonly svcPortMap: ServicePortMap = new Map();
  protected readonly endpointsMap: EndpointsMap = new Map();
  protected readonly runner: BoundedFrequencyRunner;
  protected readonly now: () => number;
  protected readonly syncPeriodMs: number;
  protected readonly masqueradeMark: string;
  private readonly fullSyncPeriodMs: number;
  private servicesSynced = false;
  private endpointSlicesSynced = false;
  private needFullSync = true;
  private lastFullSync = -Infinity;
  /** Serializes syncs: the runner never overlaps itself, but tests and callers may call syncProxyRules directly. */
  private syncing: Promise<void> = Promise.resolve();
  private closed = false;
  private sortedPortNames: string[] | undefined;

  constructor(
    /** The mode's name, for logs and the runner. */
    protected readonly mode: string,
    protected readonly opts: ProxierOptions,
    protected readonly log: Logger,
  ) {
    this.exec = opts.exec;
    this.endpointsChanges = new EndpointsChangeTracker(opts.nodeName);
    this.now = opts.now ?? Date.now;
    this.masqueradeMark = masqueradeMark(opts.masqueradeBit);
    this.syncPeriodMs = opts.syncPeriodMs ?? 30_000;
    this.fullSyncPeriodMs = opts.fullSyncPeriodMs ?? 3_600_000;
    this.runner = new BoundedFrequencyRunner(`${mode}-sync`, () => this.syncProxyRules(), {
      minIntervalMs: opts.minSyncPeriodMs ?? 1000,
      maxIntervalMs: this.fullSyncPeriodMs,
      now: this.now,
    });
  }

  /** Writes the rules for the current service and endpoint maps; throws if the kernel refused them. */
  protected abstract writeRules(ctx: SyncContext): Promise<void>;

  /** The service ports in the order the mode writes them (orderServicePorts). */
  protected sortedServicePorts(): ServicePortInfo[] {
    // Sorted again only when the set of service ports may have changed: a sync for an endpoint change keeps it.
    this.sortedPortNames ??= this.orderServicePorts([...this.svcPortMap.keys()]);
    return this.sortedPortNames.map((name) => this.svcPortMap.get(name)!);
  }

  /** The order a mode writes service ports in; name order unless the mode has a reason for another. */
  protected orderServicePorts(names: string[]): string[] {
    return names.sort();
  }

  // ---- Provider: event handlers record changes and ask for a sync ----

  onServiceAdd(service: Service): void {
    this.onServiceUpdate(undefined, service);
  }
  onServiceUpdate(oldService: Service | undefined, service: Service | undefined): void {
    if (this.serviceChanges.update(oldService, service) && this.initialized()) this.sync();
  }
  onServiceDelete(service: Service): void {
    this.onServiceUpdate(service, undefined);
  }
  onServiceSynced(): void {
    this.servicesSynced = true;
    this.sync();
  }

  onEndpointSliceAdd(slice: EndpointSlice): void {
    if (this.endpointsChanges.endpointSliceUpdate(slice, false) && this.initialized()) this.sync();
  }
  onEndpointSliceUpdate(_oldSlice: EndpointSlice, slice: EndpointSlice): void {
    if (this.endpointsChanges.endpointSliceUpdate(slice, false) && this.initialized()) this.sync();
  }
  onEndpointSliceDelete(slice: EndpointSlice): void {
    if (this.endpointsChanges.endpointSliceUpdate(slice, true) && this.initialized()) this.sync();
  }
  onEndpointSlicesSynced(): void {
    this.endpointSlicesSynced = true;
    this.sync();
  }

  sync(): void {
    if (this.closed) return;
    this.opts.health?.queuedUpdate();
    this.opts.metrics?.syncProxyRulesLastQueuedTimestamp.set(this.now() / 1000);
    this.runner.run();
  }

  syncLoop(): void {
    // Healthy while starting up, as kube-proxy: the first sync may wait for the informers.
    this.opts.health?.updated();
    this.runner.loop();
  }

  async close(): Promise<void> {
    this.closed = true;
    await this.runner.close();
    await this.syncing;
  }

  /** Both Services and EndpointSlices have been listed: rules may be written. */
  initialized(): boolean {
    return this.servicesSynced && this.endpointSlicesSynced;
  }

  /** Runs one sync now (serialized with any other). The runner calls this; tests call it directly. */
  syncProxyRules(): Promise<void> {
    const run = this.syncing.then(() => this.syncProxyRulesLocked());
    this.syncing = run.catch(() => undefined);
    return run;
  }

  private async syncProxyRulesLocked(): Promise<void> {
    if (!this.initialized()) {
      this.log.debug(`not syncing ${this.mode} rules until Services and EndpointSlices have been received`);
      return;
    }
    const start = this.now();
    const full = this.needFullSync || start - this.lastFullSync > this.fullSyncPeriodMs;
    const services = this.serviceChanges.applyTo(this.svcPortMap);
    if (services.updatedServices.size > 0) this.sortedPortNames = undefined;
    const endpoints = this.endpointsChanges.applyTo(this.endpointsMap);
    const m = this.opts.metrics;
    m?.serviceChangesTotal.inc(services.updatedServices.size);
    m?.endpointChangesTotal.inc(endpoints.updatedServices.size);
    try {
      await this.writeRules({ full, start, services, endpoints });
      this.needFullSync = false;
      if (full) this.lastFullSync = start;
      this.opts.health?.updated();
      if (m) {
        m.syncProxyRulesLastTimestamp.set(this.now() / 1000);
        for (const t of endpoints.lastChangeTriggerTimes) m.networkProgrammingDuration.observe(Math.max(0, this.now() - t.getTime()) / 1000);
      }
      this.log.debug({ services: this.svcPortMap.size, fullSync: full }, `synced ${this.mode} rules`);
    } catch (e) {
      // The changes were consumed; only a full rewrite is known to be right now, so retry as one.
      this.needFullSync = true;
      this.log.error({ err: (e as Error).message, retryInMs: this.syncPeriodMs }, `${this.mode} sync failed; retrying`);
      this.runner.retryAfter(this.syncPeriodMs);
      return;
    } finally {
      const seconds = (this.now() - start) / 1000;
      m?.syncProxyRulesDuration.observe(seconds);
      (full ? m?.syncFullProxyRulesDuration : m?.syncPartialProxyRulesDuration)?.observe(seconds);
    }
    if (this.opts.serviceHealth) {
      await this.opts.serviceHealth.syncServices(healthCheckNodePorts(this.svcPortMap));
      this.opts.serviceHealth.syncEndpoints(localReadyEndpoints(this.endpointsMap));
    }
    await cleanStaleConntrack(this.exec, this.svcPortMap, services, endpoints);
  }
}
