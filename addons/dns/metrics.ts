// CoreDNS's metrics under CoreDNS's names (plugin/metrics/vars, plugin/cache/metrics.go, plugin/forward and
// plugin/pkg/proxy metrics), in a registry of their own, served on :9153/metrics. Dashboards and alerts written for
// CoreDNS read them unchanged.
import { Counter, Gauge, Histogram, Registry, collectDefaultMetrics } from 'prom-client';

// plugin.TimeBuckets: 0.25 ms doubling sixteen times.
const timeBuckets = Array.from({ length: 16 }, (_, i) => 0.00025 * 2 ** i);
const sizeBuckets = [0, 100, 200, 300, 400, 511, 1023, 2047, 4095, 8291, 16e3, 32e3, 48e3, 64e3];

/** The query types CoreDNS reports by name; every other type is "other". */
const monitoredTypes = new Set(['A', 'AAAA', 'MX', 'SOA', 'CNAME', 'PTR', 'TXT', 'NS', 'SRV', 'DS', 'DNSKEY', 'RRSIG', 'NSEC', 'NSEC3', 'HTTPS', 'IXFR', 'AXFR', 'ANY']);
// dns-packet has no name for type 65 (HTTPS), which browsers and stub resolvers ask for.
export const typeLabel = (t: string) => (t === 'UNKNOWN_65' ? 'HTTPS' : monitoredTypes.has(t) ? t : 'other');

type Labels = Record<string, string>;

export class DNSMetrics {
  readonly registry = new Registry();
  /**
   * Per-query counts, applied to the prom-client metrics when those are read (a scrape, a test's
   * get()) or when many are pending: prom-client checks and hashes the label set on every call, which cost about a
   * tenth of a cached answer's CPU. Keyed by metric and the caller's short key; the label set is built once per key.
   */
  private readonly pendingCounts = new Map<Counter<string>, Map<string, { labels: Labels; n: number }>>();
  private pendingTotal = 0;
  private readonly flushOnRead = () => this.flush();

  readonly requests = new Counter({
    name: 'coredns_dns_requests_total',
    help: 'Counter of DNS requests made per zone, protocol and family.',
    labelNames: ['server', 'zone', 'view', 'proto', 'family', 'type'] as const,
    registers: [this.registry],
    collect: this.flushOnRead,
  });
  readonly requestDuration = new KeyedHistogram('coredns_dns_request_duration_seconds', 'Histogram of the time (in seconds) each request took per zone.', timeBuckets, this.registry);
  readonly requestSize = new KeyedHistogram('coredns_dns_request_size_bytes', 'Size of the EDNS0 UDP buffer in bytes (64K for TCP) per zone and protocol.', sizeBuckets, this.registry);
  readonly responseSize = new KeyedHistogram('coredns_dns_response_size_bytes', 'Size of the returned response in bytes.', sizeBuckets, this.registry);
  readonly responses = new Counter({
    name: 'coredns_dns_responses_total',
    help: 'Counter of response status codes.',
    labelNames: ['server', 'zone', 'view', 'rcode', 'plugin'] as const,
    registers: [this.registry],
    collect: this.flushOnRead,
  });
  readonly panics = new Counter({ name: 'coredns_panics_total', help: 'A metrics that counts the number of panics.', registers: [this.registry] });
  readonly pluginEnabled = new Gauge({
    name: 'coredns_plugin_enabled',
    help: 'A metric that indicates whether a plugin is enabled on per server and zone basis.',
    labelNames: ['server', 'zone', 'view', 'name'] as const,
    registers: [this.registry],
  });

  readonly cacheEntries = new Gauge({
    name: 'coredns_cache_entries',
    help: 'The number of elements in the cache.',
    labelNames: ['server', 'type', 'zones', 'view'] as const,
    registers: [this.registry],
  });
  readonly cacheRequests = new Counter({
    name: 'coredns_cache_requests_total',
    help: 'The count of cache requests.',
    labelNames: ['server', 'zones', 'view'] as const,
    registers: [this.registry],
    collect: this.flushOnRead,
  });
  readonly cacheHits = new Counter({
    name: 'coredns_cache_hits_total',
    help: 'The count of cache hits.',
    labelNames: ['server', 'type', 'zones', 'view'] as const,
    registers: [this.registry],
    collect: this.flushOnRead,
  });
  readonly cacheMisses = new Counter({
    name: 'coredns_cache_misses_total',
    help: 'The count of cache misses. Deprecated, derive misses from cache hits/requests counters.',
    labelNames: ['server', 'zones', 'view'] as const,
    registers: [this.registry],
    collect: this.flushOnRead,
  });
  readonly cacheEvictions = new Counter({
    name: 'coredns_cache_evictions_total',
    help: 'The count of cache evictions.',
    labelNames: ['server', 'type', 'zones', 'view'] as const,
    registers: [this.registry],
  });

  readonly forwardRequests = new Counter({
    name: 'coredns_forward_requests_total',
    help: 'Counter of requests made per upstream.',
    labelNames: ['to'] as const,
    registers: [this.registry],
  });
  readonly forwardResponses = new Counter({
    name: 'coredns_forward_responses_total',
    help: 'Counter of responses received per upstream.',
    labelNames: ['to', 'rcode'] as const,
    registers: [this.registry],
  });
  readonly proxyRequestDuration = new Histogram({
    name: 'coredns_proxy_request_duration_seconds',
    help: 'Histogram of the time each request took.',
    labelNames: ['proxy_name', 'to', 'rcode'] as const,
    buckets: timeBuckets,
    registers: [this.registry],
  });
  readonly proxyFailures = new Counter({
    name: 'coredns_proxy_healthcheck_failures_total',
    help: 'Counter of the number of failed healthchecks.',
    labelNames: ['proxy_name', 'to'] as const,
    registers: [this.registry],
  });
  readonly forwardBroken = new Counter({
    name: 'coredns_forward_healthcheck_broken_total',
    help: 'Counter of the number of complete failures of the healthchecks.',
    registers: [this.registry],
  });
  readonly forwardMaxConcurrentRejects = new Counter({
    name: 'coredns_forward_max_concurrent_rejects_total',
    help: 'Counter of the number of queries rejected because the concurrent queries were at maximum.',
    registers: [this.registry],
  });

  constructor(opts: { processMetrics?: boolean } = {}) {
    if (opts.processMetrics) collectDefaultMetrics({ register: this.registry });
  }

  /** Adds n to a counter's series; `labels` is called only the first time `key` is seen since the last flush. */
  count(metric: Counter<string>, key: string, labels: () => Labels, n = 1): void {
    let series = this.pendingCounts.get(metric);
    if (!series) this.pendingCounts.set(metric, (series = new Map()));
    const p = series.get(key);
    if (p) p.n += n;
    else series.set(key, { labels: labels(), n });
    this.pending();
  }

  private pending(): void {
    if (++this.pendingTotal >= MAX_PENDING) this.flush();
  }

  /** Applies what is pending to the metrics. */
  flush(): void {
    this.pendingTotal = 0;
    const pending = [...this.pendingCounts];
    this.pendingCounts.clear();
    for (const [metric, series] of pending) for (const { labels, n } of series.values()) metric.inc(labels, n);
  }
}

/**
 * A histogram whose series the caller finds by a short key (its label set built once per key), exposed as
 * prom-client's histograms are (`_bucket` with `le`, `_sum`, `_count`): prom-client checks and hashes the label set on
 * every observation.
 */
export class KeyedHistogram {
  readonly type = 'histogram';
  readonly aggregator = 'sum';
  private readonly series = new Map<string, { labels: Labels; buckets: number[]; sum: number; count: number }>();

  constructor(readonly name: string, readonly help: string, private readonly upperBounds: number[], registry: Registry) {
    registry.registerMetric(this as unknown as Parameters<Registry['registerMetric']>[0]);
  }

  observe(key: string, labels: () => Labels, value: number): void {
    let s = this.series.get(key);
    if (!s) this.series.set(key, (s = { labels: labels(), buckets: new Array<number>(this.upperBounds.length).fill(0), sum: 0, count: 0 }));
    const i = this.upperBounds.findIndex((b) => value <= b);
    if (i >= 0) s.buckets[i]!++;
    s.sum += value;
    s.count++;
  }

  get(): { name: string; help: string; type: string; aggregator: string; values: { labels: Record<string, string | number>; value: number; metricName: string }[] } {
    const values = [];
    for (const s of this.series.values()) {
      let cumulative = 0;
      for (const [i, le] of this.upperBounds.entries()) {
        cumulative += s.buckets[i]!;
        values.push({ labels: { ...s.labels, le }, value: cumulative, metricName: `${this.name}_bucket` });
      }
      values.push({ labels: { ...s.labels, le: '+Inf' }, value: s.count, metricName: `${this.name}_bucket` });
      values.push({ labels: s.labels, value: s.sum, metricName: `${this.name}_sum` });
      values.push({ labels: s.labels, value: s.count, metricName: `${this.name}_count` });
    }
    return { name: this.name, help: this.help, type: this.type, aggregator: this.aggregator, values };
  }

  reset(): void {
    this.series.clear();
  }
}

/** Pending updates applied at the latest after this many (bounds the memory an unscraped server holds). */
const MAX_PENDING = 10_000;
