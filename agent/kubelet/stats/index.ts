// The kubelet's stats and metrics endpoints (pkg/kubelet/server/server.go's /stats and /metrics handlers): one
// entry point the kubelet server routes to —
//   GET /stats/summary[?only_cpu_and_memory=true]   the Summary API (stats/v1alpha1)
//   GET /metrics/resource                            resource metrics (metrics-server's source)
//   GET /metrics/cadvisor                            cadvisor's per-cgroup series
//   GET /metrics                                     the kubelet's own metrics
import type { ServerResponse } from 'node:http';
import { prometheusContentType } from 'prom-client';
import { encodeText } from '../../../api/prometheus.js';
import { StatusError } from '../../../api/errors.js';
import { logger } from '../../../api/log.js';
import { cadvisorMetrics } from './cadvisor.js';
import { KubeletMetrics } from './metrics.js';
import { StatsProvider, type StatsProviderOptions } from './provider.js';
import { resourceMetrics } from './resource.js';
import { buildSummary } from './summary.js';

export { KubeletMetrics } from './metrics.js';

const log = logger('kubelet.stats');

export const STATS_PATHS = ['/stats/summary', '/metrics', '/metrics/resource', '/metrics/cadvisor'];

export interface KubeletStats {
  provider: StatsProvider;
  /** Answers a GET of one of STATS_PATHS. */
  serve(pathname: string, query: URLSearchParams, res: ServerResponse): Promise<void>;
  close(): void;
}

/** Starts the sampler; `metrics` are the kubelet's own (made earlier, so the pod workers can report to them). */
export function startStats(opts: StatsProviderOptions, metrics = new KubeletMetrics(opts.nodeName)): KubeletStats {
  const provider = new StatsProvider(opts).start();
  metrics.setRuntime(opts.runtime);
  const text = (res: ServerResponse, body: string) => void res.writeHead(200, { 'content-type': prometheusContentType, 'content-length': Buffer.byteLength(body) }).end(body);
  return {
    provider,
    async serve(pathname, query, res) {
      switch (pathname) {
        case '/stats/summary': {
          const only = query.get('only_cpu_and_memory');
          if (only !== null && only !== 'true' && only !== 'false') throw new StatusError(400, 'BadRequest', `invalid only_cpu_and_memory value: ${only}`);
          const onlyCpuAndMemory = only === 'true';
          const body = JSON.stringify(buildSummary(await provider.facts({ cpuAndMemoryOnly: onlyCpuAndMemory }), { onlyCpuAndMemory }), null, 2);
          return void res.writeHead(200, { 'content-type': 'application/json', 'content-length': Buffer.byteLength(body) }).end(body);
        }
        case '/metrics/resource': {
          const facts = await provider.facts({ cpuAndMemoryOnly: true }).catch((e: Error) => void log.warn({ err: e.message }, 'resource metrics: gathering stats failed'));
          return text(res, encodeText(resourceMetrics(facts ?? undefined)));
        }
        case '/metrics/cadvisor':
          return text(res, encodeText(cadvisorMetrics(await provider.facts())));
        case '/metrics':
          return text(res, await metrics.registry.metrics());
        default:
          throw new StatusError(404, 'NotFound', 'the server could not find the requested resource');
      }
    },
    close: () => provider.close(),
  };
}
