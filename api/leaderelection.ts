// Leader election over a coordination.k8s.io Lease (client-go tools/leaderelection with a LeaseLock): candidates
// race to hold kube-system/<name>; the holder renews it every retry period and leads while its renewals succeed
// within the renew deadline; the others take it over once it has not been renewed for the lease duration. So two
// controller managers or schedulers can run and exactly one acts.
import { randomUUID } from 'node:crypto';
import os from 'node:os';
import type { ApiClient } from './client.js';
import { isAlreadyExists, isNotFound, StatusError } from './errors.js';
import { logger } from './log.js';
import { Resources } from './resources.js';
import { formatMicroTime } from './time.js';
import type { Lease } from './types.js';

const log = logger('leaderelection');

export interface LeaderElectionConfig {
  /** The Lease's name in kube-system (kube-controller-manager, kube-scheduler). */
  name: string;
  namespace?: string;
  /** Who we are: kube's default is "<hostname>_<uuid>". */
  identity?: string;
  /** kube's defaults: 15 s, 10 s, 2 s. */
  leaseDurationMs?: number;
  renewDeadlineMs?: number;
  retryPeriodMs?: number;
  clock?: () => number;
}

export interface LeaderCallbacks {
  /** Called once when this candidate becomes the leader; resolves when the work has started. */
  onStartedLeading(): Promise<void> | void;
  /** Called when leadership is lost (the process should stop leading: kube's components exit). */
  onStoppedLeading(): void;
}

/** What the candidate should do with the lease it read (pure, for tests). */
export function leaseDecision(lease: Lease | undefined, identity: string, now: number, leaseDurationMs: number): 'create' | 'renew' | 'take' | 'wait' {
  if (!lease) return 'create';
  const holder = lease.spec?.holderIdentity;
  if (holder === identity) return 'renew';
  const renewed = Date.parse(lease.spec?.renewTime ?? '') || 0;
  const duration = (lease.spec?.leaseDurationSeconds ?? leaseDurationMs / 1000) * 1000;
  return !holder || now > renewed + duration ? 'take' : 'wait';
}

export class LeaderElector {
  readonly identity: string;
  private readonly o: Required<Omit<LeaderElectionConfig, 'identity'>>;
  private timer?: NodeJS.Timeout;
  private stopped = false;
  private leading = false;
  private lastRenew = 0;

  constructor(
    private readonly client: ApiClient,
    config: LeaderElectionConfig,
    private readonly callbacks: LeaderCallbacks,
  ) {
    this.identity = config.identity ?? `${os.hostname()}_${randomUUID()}`;
    this.o = { namespace: 'kube-system', leaseDurationMs: 15_000, renewDeadlineMs: 10_000, retryPeriodMs: 2_000, clock: Date.now, ...config };
  }

  isLeader(): boolean {
    return this.leading;
  }

  /** Starts campaigning; returns at once. */
  run(): void {
    void this.tick();
  }

  private schedule(): void {
    if (this.stopped) return;
    this.timer = setTimeout(() => void this.tick(), this.o.retryPeriodMs);
    this.timer.unref();
  }

  private desired(existing: Lease | undefined, now: number): Lease {
    const taking = existing?.spec?.holderIdentity !== this.identity;
    return {
      apiVersion: 'coordination.k8s.io/v1',
      kind: 'Lease',
      metadata: { ...(existing?.metadata ?? {}), name: this.o.name, namespace: this.o.namespace },
      spec: {
        holderIdentity: this.identity,
        leaseDurationSeconds: Math.round(this.o.leaseDurationMs / 1000),
        acquireTime: taking ? formatMicroTime(now) : existing?.spec?.acquireTime ?? formatMicroTime(now),
        renewTime: formatMicroTime(now),
        leaseTransitions: (existing?.spec?.leaseTransitions ?? 0) + (taking && existing ? 1 : 0),
      },
    };
  }

  private async tick(): Promise<void> {
    if (this.stopped) return;
    const now = this.o.clock();
    try {
      const existing = await this.client.get<Lease>(Resources.leases, this.o.namespace, this.o.name).catch((e) => (isNotFound(e) ? undefined : Promise.reject(e)));
      const decision = leaseDecision(existing, this.identity, now, this.o.leaseDurationMs);
      if (decision === 'create') await this.client.create(Resources.leases, this.o.namespace, this.desired(undefined, now));
      else if (decision === 'renew' || decision === 'take') await this.client.update(Resources.leases, this.desired(existing, now));
      if (decision !== 'wait') {
        this.lastRenew = now;
        if (!this.leading) {
          this.leading = true;
          log.info({ lease: `${this.o.namespace}/${this.o.name}`, identity: this.identity }, 'became leader');
          await this.callbacks.onStartedLeading();
        }
      } else if (this.leading) this.lose('another candidate holds the lease');
    } catch (e) {
      // A write that lost a race (409, 422 on create) just means someone else moved first.
      if (!(e instanceof StatusError && (e.code === 409 || isAlreadyExists(e)))) log.warn({ lease: this.o.name, err: (e as Error).message }, 'lease update failed');
      if (this.leading && this.o.clock() - this.lastRenew > this.o.renewDeadlineMs) this.lose('could not renew the lease in time');
    }
    this.schedule();
  }

  private lose(why: string): void {
    this.leading = false;
    log.warn({ lease: this.o.name, identity: this.identity, why }, 'leadership lost');
    this.callbacks.onStoppedLeading();
  }

  /** Stops campaigning; a leader gives the lease up (kube's ReleaseOnCancel) so another takes over at once. */
  async close(): Promise<void> {
    this.stopped = true;
    if (this.timer) clearTimeout(this.timer);
    if (!this.leading) return;
    this.leading = false;
    const lease = await this.client.get<Lease>(Resources.leases, this.o.namespace, this.o.name).catch(() => undefined);
    if (lease?.spec?.holderIdentity === this.identity) await this.client.update(Resources.leases, { ...lease, spec: { ...lease.spec, holderIdentity: '', leaseDurationSeconds: 1 } }).catch(() => undefined);
  }
}

export interface Running {
  close(): Promise<void>;
}

/** A component started under leader election; identity is its candidate name (none without election). */
export interface ElectedComponent extends Running {
  identity?: string;
}

/**
 * Runs a component's work only while this process leads (kube's --leader-elect): started when the lease is won,
 * stopped and onLost() called when it is lost. close() stops the work, then gives the lease up.
 * Without election the work simply starts now.
 */
export async function runLeaderElected(
  client: ApiClient,
  election: LeaderElectionConfig | undefined,
  start: () => Promise<Running>,
  onLost: () => void,
): Promise<ElectedComponent> {
  if (!election) return start();
  let work: Running | undefined;
  let starting: Promise<void> | undefined;
  const stopWork = async () => {
    await starting?.catch(() => undefined);
    const w = work;
    work = undefined;
    await w?.close();
  };
  const elector = new LeaderElector(client, election, {
    onStartedLeading: () => {
      starting = start().then((w) => void (work = w));
      // A leader that cannot do its work must not sit on the lease: it stops as if the lease were lost.
      return starting.catch((e: Error) => {
        log.error({ lease: election.name, err: e.message }, 'could not start after winning the lease');
        onLost();
      });
    },
    onStoppedLeading: () => void stopWork().finally(onLost),
  });
  elector.run();
  return {
    identity: elector.identity,
    async close() {
      await stopWork();
      await elector.close();
    },
  };
}
