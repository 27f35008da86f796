// kube-proxy's health server on :10256, as pkg/proxy/healthcheck/proxy_health.go: the proxy is healthy unless a
// change has been waiting longer than healthTimeout to be programmed. /healthz also reports whether the node is
// eligible for traffic (not being deleted); /livez is the proxy alone.
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { Node } from '../../api/types.js';
import type { SyncHealthReporter } from './types.js';
import { boundPort, closeServer, listen } from '../../api/listen.js';

/** The taint the cluster autoscaler puts on nodes it is about to delete. */
export const toBeDeletedTaint = 'ToBeDeletedByClusterAutoscaler';

export interface ProxyHealthOptions {
  /** host:port, e.g. 0.0.0.0:10256. */
  bindAddress: string;
  /** How long a queued change may wait before the proxy counts as unhealthy (kube-proxy: 2 × syncPeriod). */
  healthTimeoutMs: number;
  now?: () => number;
}

export class ProxyHealthServer implements SyncHealthReporter {
  private readonly now: () => number;
  private lastUpdated?: number;
  private oldestPendingQueued?: number;
  private nodeEligible = true;
  private server?: Server;

  constructor(private readonly opts: ProxyHealthOptions) {
    this.now = opts.now ?? Date.now;
  }

  queuedUpdate(): void {
    this.oldestPendingQueued ??= this.now();
  }

  updated(): void {
    this.oldestPendingQueued = undefined;
    this.lastUpdated = this.now();
  }

  /** A node being deleted (or tainted for deletion) should stop receiving load-balancer traffic. */
  syncNode(node: Node | undefined): void {
    this.nodeEligible = !!node && !node.metadata.deletionTimestamp && !(node.spec.taints ?? []).some((t) => t.key === toBeDeletedTaint);
  }

  isHealthy(): boolean {
    return this.oldestPendingQueued === undefined || this.now() - this.oldestPendingQueued < this.opts.healthTimeoutMs;
  }

  /** Starts listening; resolves once bound (rejects on bind errors). */
  async listen(): Promise<void> {
    if (this.server) return;
    this.server = createServer((req, res) => this.handle(req, res));
    await listen(this.server, this.opts.bindAddress);
  }

  /** The bound port (useful with port 0 in tests). */
  port(): number {
    return boundPort(this.server);
  }

  async close(): Promise<void> {
    const s = this.server;
    this.server = undefined;
    if (s) await closeServer(s);
  }

  private handle(req: IncomingMessage, res: ServerResponse): void {
    const path = (req.url ?? '/').split('?')[0];
    if (path !== '/healthz' && path !== '/livez') {
      res.writeHead(404, { 'Content-Type': 'text/plain; charset=utf-8' }).end('404 page not found\n');
      return;
    }
    const now = this.now();
    let healthy = this.isHealthy();
    if (path === '/healthz') healthy &&= this.nodeEligible;
    // As kube-proxy: a healthy proxy reports lastUpdated as now (older releases' semantics).
    const lastUpdated = healthy ? now : (this.lastUpdated ?? 0);
    const body: Record<string, unknown> = { lastUpdated: new Date(lastUpdated).toISOString(), currentTime: new Date(now).toISOString() };
    if (path === '/healthz') body.nodeEligible = this.nodeEligible;
    res.writeHead(healthy ? 200 : 503, { 'Content-Type': 'application/json', 'X-Content-Type-Options': 'nosniff' });
    res.end(JSON.stringify(body));
  }
}
