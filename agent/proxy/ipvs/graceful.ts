// kube-proxy's pkg/proxy/ipvs/graceful_termination.go: a real server whose endpoint went away is not deleted while it
// still has connections. It gets weight 0 (no new connections are scheduled to it) and is deleted once its active and
// inactive connection counts are both 0 — checked every minute and whenever the proxier syncs. UDP and SCTP real
// servers are deleted at once, as kube-proxy does (their "connections" never close by themselves).
import type { Logger } from '../../../api/log.js';
import { realServerKey, virtualServerKey, type Ipvs, type RealServer, type VirtualServer } from './netlink.js';
import { Serial } from './serial.js';

/** kube-proxy's rsCheckDeleteInterval. */
export const defaultCheckIntervalMs = 60_000;

interface Item {
  vs: VirtualServer;
  rs: RealServer;
}

/** `10.96.0.1:80/TCP/10.244.1.5:8080`, kube-proxy's GetUniqueRSName. */
export function uniqueRSName(vs: VirtualServer, rs: Pick<RealServer, 'address' | 'port'>): string {
  return `${virtualServerKey(vs)}/${realServerKey(rs)}`;
}

export class GracefulTerminationManager {
  private readonly items = new Map<string, Item>();
  private timer?: NodeJS.Timeout;
  /** Checks and the proxier's calls run one at a time, so a check never deletes a real server a sync just revived. */
  private readonly queue = new Serial();

  constructor(
    private readonly ipvs: Ipvs,
    private readonly log: Logger,
    private readonly intervalMs = defaultCheckIntervalMs,
  ) {}

  start(): void {
    this.timer ??= setInterval(() => void this.check(), this.intervalMs);
    this.timer.unref();
  }

  stop(): Promise<unknown> {
    if (this.timer) clearInterval(this.timer);
    this.timer = undefined;
    return this.queue.idle();
  }

  inTerminationList(vs: VirtualServer, rs: Pick<RealServer, 'address' | 'port'>): boolean {
    return this.items.has(uniqueRSName(vs, rs));
  }

  /** The names of the real servers waiting for their connections to end (for tests and logs). */
  pending(): string[] {
    return [...this.items.keys()].sort();
  }

  /** Deletes the real server now if it has no connections; else sets its weight to 0 and waits. */
  gracefulDeleteRS(vs: VirtualServer, rs: RealServer): Promise<void> {
    return this.queue.run(async () => {
      const item = { vs, rs };
      if (await this.tryDelete(item)) return;
      await this.ipvs.updateRealServer(vs, { ...rs, weight: 0 });
      this.items.set(uniqueRSName(vs, rs), item);
      this.log.debug({ realServer: uniqueRSName(vs, rs) }, 'real server has connections; weight 0 until they end');
    });
  }

  /** The endpoint came back while draining: it takes new connections again. */
  revive(vs: VirtualServer, rs: RealServer): Promise<void> {
    return this.queue.run(async () => {
      this.items.delete(uniqueRSName(vs, rs));
      await this.ipvs.updateRealServer(vs, rs);
    });
  }

  /** Forgets every real server of a virtual server that is being deleted as a whole. */
  forgetVirtualServer(vs: VirtualServer): void {
    const prefix = `${virtualServerKey(vs)}/`;
    for (const k of this.items.keys()) if (k.startsWith(prefix)) this.items.delete(k);
  }

  /** Deletes every waiting real server whose connections have ended. */
  check(): Promise<void> {
    return this.queue.run(async () => {
      for (const [name, item] of this.items) {
        try {
          if (await this.tryDelete(item)) this.items.delete(name);
        } catch (e) {
          this.log.error({ realServer: name, err: (e as Error).message }, 'checking a terminating real server failed; will retry');
        }
      }
    });
  }

  /** True when the real server is gone (deleted now, or already). */
  private async tryDelete({ vs, rs }: Item): Promise<boolean> {
    const drains = vs.protocol === 'TCP';
    const current = (await this.ipvs.getRealServers(vs).catch(() => [])).find((r) => r.address === rs.address && r.port === rs.port);
    if (!current) return true;
    if (drains && (current.activeConnections ?? 0) + (current.inactiveConnections ?? 0) > 0) return false;
    await this.ipvs.deleteRealServer(vs, rs);
    this.log.debug({ realServer: uniqueRSName(vs, rs) }, 'deleted real server');
    return true;
  }
}
