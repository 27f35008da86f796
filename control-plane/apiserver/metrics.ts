// kube-apiserver's metrics (k8s.io/apiserver/pkg/endpoints/metrics, pkg/server/filters/maxinflight.go,
// pkg/storage/etcd3/metrics), under kube-apiserver's names and labels, in a registry of their own served on /metrics:
// requests by verb, group, version, resource, subresource, scope, component and code, their latency, the requests in
// flight, the long-running ones, the objects stored per resource and the storage's request latency.
import type { IncomingMessage } from 'node:http';
import { Counter, Gauge, Histogram, Registry, collectDefaultMetrics } from 'prom-client';
import type { RequestInfo } from './requestinfo.js';

// kube-apiserver's request latency buckets (5 ms to 60 s), shared by the storage latency.
const REQUEST_BUCKETS = [0.005, 0.025, 0.05, 0.1, 0.2, 0.4, 0.6, 0.8, 1.0, 1.25, 1.5, 2, 3, 4, 5, 6, 8, 10, 15, 20, 30, 45, 60];

/** Subresources that upgrade or stream: their verb is reported as CONNECT. */
const CONNECT_SUBRESOURCES = new Set(['proxy', 'attach', 'exec', 'portforward']);

const ROUTE_VERBS: Record<string, string> = { get: 'GET', list: 'LIST', watch: 'WATCH', create: 'POST', update: 'PUT', patch: 'PATCH', delete: 'DELETE', deletecollection: 'DELETECOLLECTION' };

/** The verb label (kube's CleanVerb): the route's verb, APPLY for a server-side apply, CONNECT for streams. */
export function reportedVerb(info: RequestInfo, contentType: string | undefined): string {
  if (!info.isResourceRequest) return info.verb.toUpperCase();
  if (info.subresource && CONNECT_SUBRESOURCES.has(info.subresource)) return 'CONNECT';
  const verb = ROUTE_VERBS[info.verb] ?? info.verb.toUpperCase();
  if (verb === 'PATCH' && contentType?.split(';')[0].trim() === 'application/apply-patch+yaml') return 'APPLY';
  return verb;
}

/** The scope label (kube's CleanScope): one object, a namespace, the cluster, or none for non-resource paths. */
export function reportedScope(info: RequestInfo): string {
  if (info.name || info.verb === 'create') return 'resource';
  if (info.namespace) return 'namespace';
  return info.isResourceRequest ? 'cluster' : '';
}

/** The labels a request is counted under (code aside). */
export function requestLabels(info: RequestInfo, req: Pick<IncomingMessage, 'headers'>, url: URL) {
  return {
    verb: reportedVerb(info, req.headers['content-type']),
    dry_run: url.searchParams.getAll('dryRun').join(','),
    group: info.apiGroup,
    version: info.apiVersion,
    resource: info.resource,
    subresource: info.subresource,
    scope: reportedScope(info),
    component: 'apiserver',
  };
}

/** The resource label of a storage key (/registry/<group>/<plural>/…): "pods", "deployments.apps". */
export function storageResource(key: string): string {
  const [, registry, group, plural] = key.split('/');
  if (registry !== 'registry' || !plural) return '';
  return group === 'core' ? plural : `${plural}.${group}`;
}

export class ApiServerMetrics {
  readonly registry = new Registry();

  readonly requests = new Counter({
    name: 'apiserver_request_total',
    help: '[STABLE] Counter of apiserver requests broken out for each verb, dry run value, group, version, resource, scope, component, and HTTP response code.',
    labelNames: ['verb', 'dry_run', 'group', 'version', 'resource', 'subresource', 'scope', 'component', 'code'] as const,
    registers: [this.registry],
  });
  readonly requestDuration = new Histogram({
    name: 'apiserver_request_duration_seconds',
    help: '[STABLE] Response latency distribution in seconds for each verb, dry run value, group, version, resource, subresource, scope and component.',
    labelNames: ['verb', 'dry_run', 'group', 'version', 'resource', 'subresource', 'scope', 'component'] as const,
    buckets: REQUEST_BUCKETS,
    registers: [this.registry],
  });
  /** The requests in flight now, and the most of them in the current and the previous second (kube's watermarks). */
  private readonly inflightNow = { readOnly: 0, mutating: 0 };
  private inflightPeak = { ...this.inflightNow };
  private inflightPrevPeak = { ...this.inflightNow };
  private inflightSecond = 0;
  readonly inflight = new Gauge({
    name: 'apiserver_current_inflight_requests',
    help: '[STABLE] Maximal number of currently used inflight request limit of this apiserver per request kind in last second.',
    labelNames: ['request_kind'] as const,
    registers: [this.registry],
    collect: () => {
      this.rollInflight();
      for (const kind of ['readOnly', 'mutating'] as const) this.inflight.set({ request_kind: kind }, Math.max(this.inflightPeak[kind], this.inflightPrevPeak[kind]));
    },
  });
  readonly longRunning = new Gauge({
    name: 'apiserver_longrunning_requests',
    help: '[STABLE] Gauge of all active long-running apiserver requests broken out by verb, group, version, resource, scope and component. Not all requests are tracked this way.',
    labelNames: ['verb', 'group', 'version', 'resource', 'subresource', 'scope', 'component'] as const,
    registers: [this.registry],
  });
  readonly storageDuration = new Histogram({
    name: 'etcd_request_duration_seconds',
    help: '[ALPHA] Etcd request latency in seconds for each operation and object type.',
    labelNames: ['operation', 'type'] as const,
    buckets: REQUEST_BUCKETS,
    registers: [this.registry],
  });

  constructor(private readonly clock: () => number = Date.now) {
    this.inflightSecond = Math.floor(clock() / 1000);
    collectDefaultMetrics({ register: this.registry });
  }

  /**
   * apiserver_storage_objects, counted at scrape time: `count` gives each resource's number of stored objects
   * (-1 when counting failed, as kube-apiserver reports it).
   */
  countStoredObjects(count: () => Promise<Map<string, number>>): void {
    new Gauge({
      name: 'apiserver_storage_objects',
      help: '[STABLE] Number of stored objects at the time of last check split by kind. In case of a fetching error, the value will be -1.',
      labelNames: ['resource'] as const,
      registers: [this.registry],
      async collect() {
        this.reset();
        for (const [resource, n] of await count()) this.set({ resource }, n);
      },
    });
  }

  /** Counts the request when its response is done (whatever answered it: a filter, a handler, an error). */
  observeRequest(info: RequestInfo, req: IncomingMessage, res: { statusCode: number; once(event: 'close', fn: () => void): unknown }, url: URL, longRunning: boolean): void {
    const started = performance.now();
    const labels = requestLabels(info, req, url);
    const { dry_run: _dryRun, ...longLabels } = labels;
    if (longRunning) this.longRunning.inc(longLabels);
    res.once('close', () => {
      if (longRunning) this.longRunning.dec(longLabels);
      this.requests.inc({ ...labels, code: String(res.statusCode) });
      this.requestDuration.observe(labels, (performance.now() - started) / 1000);
    });
  }

  setInflight(readOnly: number, mutating: number): void {
    this.rollInflight();
    Object.assign(this.inflightNow, { readOnly, mutating });
    this.inflightPeak.readOnly = Math.max(this.inflightPeak.readOnly, readOnly);
    this.inflightPeak.mutating = Math.max(this.inflightPeak.mutating, mutating);
  }

  /** Starts a new second's watermark when the clock has moved on; a second with no change peaks at what was in flight. */
  private rollInflight(): void {
    const second = Math.floor(this.clock() / 1000);
    if (second === this.inflightSecond) return;
    this.inflightPrevPeak = second === this.inflightSecond + 1 ? this.inflightPeak : { ...this.inflightNow };
    this.inflightPeak = { ...this.inflightNow };
    this.inflightSecond = second;
  }
}
