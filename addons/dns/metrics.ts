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

  readonly requests = new KeyedCounter('coredns_dns_requests_total', 'Counter of DNS requests made per zone, protocol and family.', this.registry);
  readonly requestDuration = new KeyedHistogram('coredns_dns_request_duration_seconds', 'Histogram of the time (in seconds) each request took per zone.', timeBuckets, this.registry);
  readonly requestSize = new KeyedHistogram('coredns_dns_request_size_bytes', 'Size of the EDNS0 UDP buffer in bytes (64K for TCP) per zone and protocol.', sizeBuckets, this.registry);
  readonly responseSize = new KeyedHistogram('coredns_dns_response_size_bytes', 'Size of the returned response in bytes.', sizeBuckets, this.registry);
  readonly responses = new KeyedCounter('coredns_dns_responses_total', 'Counter of response status codes.', this.registry);
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
  readonly cacheRequests = new KeyedCounter('coredns_cache_requests_total', 'The count of cache requests.', this.registry);
  readonly cacheHits = new KeyedCounter('coredns_cache_hits_total', 'The count of cache hits.', this.registry);
  readonly cacheMisses = new KeyedCounter('coredns_cache_misses_total', 'The count of cache misses. Deprecated, derive misses from cache hits/requests counters.', this.registry);
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
}

type Sample = { labels: Record<string, string | number>; value: number; metricName?: string };

/**
 * A metric whose series the caller finds by a short key, its label set built once per key, and which the registry
 * exposes as it does prom-client's own: prom-client checks and hashes the label set on every call, which cost about a
 * tenth of a cached answer's CPU. For what every query updates.
 */
abstract class KeyedMetric<S extends { labels: Labels }> {
  abstract readonly type: 'counter' | 'histogram';
  readonly aggregator = 'sum';
  protected readonly series = new Map<string, S>();

  constructor(readonly name: string, readonly help: string, registry: Registry) {
    registry.registerMetric(this as unknown as Parameters<Registry['registerMetric']>[0]);
  }

  protected at(key: string, labels: () => Labels, fresh: (labels: Labels) => S): S {
    let s = this.series.get(key);
    if (!s) this.series.set(key, (s = fresh(labels())));
    return s;
  }

  protected abstract samples(s: S): Sample[];

  get(): { name: string; help: string; type: string; aggregator: string; values: Sample[] } {
    return { name: this.name, help: this.help, type: this.type, aggregator: this.aggregator, values: [...this.series.values()].flatMap((s) => this.samples(s)) };
  }

  reset(): void {
    this.series.clear();
  }
}

export class KeyedCounter extends KeyedMetric<{ labels: Labels; value: number }> {
  readonly type = 'counter';

  inc(key: string, labels: () => Labels, n = 1): void {
    this.at(key, labels, (l) => ({ labels: l, value: 0 })).value += n;
  }

  protected samples(s: { labels: Labels; value: number }): Sample[] {
    return [s];
  }
}

/** Exposed as prom-client's histograms are: `_bucket` with `le`, `_sum`, `_count`. */
export class KeyedHistogram extends KeyedMetric<{ labels: Labels; buckets: number[]; sum: number; count: number }> {
  readonly type = 'histogram';

  constructor(name: string, help: string, private readonly upperBounds: number[], registry: Registry) {
    super(name, help, registry);
  }

  observe(key: string, labels: () => Labels, value: number): void {
    const s = this.at(key, labels, (l) => ({ labels: l, buckets: new Array<number>(this.upperBounds.length).fill(0), sum: 0, count: 0 }));
    const i = this.upperBounds.findIndex((b) => value <= b);
    if (i >= 0) s.buckets[i]!++;
    s.sum += value;
    s.count++;
  }

  protected samples(s: { labels: Labels; buckets: number[]; sum: number; count: number }): Sample[] {
    const out: Sample[] = [];
    let cumulative = 0;
    for (const [i, le] of this.upperBounds.entries()) {
      cumulative += s.buckets[i]!;
      out.push({ labels: { ...s.labels, le }, value: cumulative, metricName: `${this.name}_bucket` });
    }
    out.push({ labels: { ...s.labels, le: '+Inf' }, value: s.count, metricName: `${this.name}_bucket` });
    out.push({ labels: s.labels, value: s.sum, metricName: `${this.name}_sum` });
    out.push({ labels: s.labels, value: s.count, metricName: `${this.name}_count` });
    return out;
  }
}
