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

export class DNSMetrics {
  readonly registry = new Registry();

  readonly requests = new Counter({
    name: 'coredns_dns_requests_total',
    help: 'Counter of DNS requests made per zone, protocol and family.',
    labelNames: ['server', 'zone', 'view', 'proto', 'family', 'type'] as const,
    registers: [this.registry],
  });
  readonly requestDuration = new Histogram({
    name: 'coredns_dns_request_duration_seconds',
    help: 'Histogram of the time (in seconds) each request took per zone.',
    labelNames: ['server', 'zone', 'view'] as const,
    buckets: timeBuckets,
    registers: [this.registry],
  });
  readonly requestSize = new Histogram({
    name: 'coredns_dns_request_size_bytes',
    help: 'Size of the EDNS0 UDP buffer in bytes (64K for TCP) per zone and protocol.',
    labelNames: ['server', 'zone', 'view', 'proto'] as const,
    buckets: sizeBuckets,
    registers: [this.registry],
  });
  readonly responseSize = new Histogram({
    name: 'coredns_dns_response_size_bytes',
    help: 'Size of the returned response in bytes.',
    labelNames: ['server', 'zone', 'view', 'proto'] as const,
    buckets: sizeBuckets,
    registers: [this.registry],
  });
  readonly responses = new Counter({
    name: 'coredns_dns_responses_total',
    help: 'Counter of response status codes.',
    labelNames: ['server', 'zone', 'view', 'rcode', 'plugin'] as const,
    registers: [this.registry],
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
  });
  readonly cacheHits = new Counter({
    name: 'coredns_cache_hits_total',
    help: 'The count of cache hits.',
    labelNames: ['server', 'type', 'zones', 'view'] as const,
    registers: [this.registry],
  });
  readonly cacheMisses = new Counter({
    name: 'coredns_cache_misses_total',
    help: 'The count of cache misses. Deprecated, derive misses from cache hits/requests counters.',
    labelNames: ['server', 'zones', 'view'] as const,
    registers: [this.registry],
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
}
