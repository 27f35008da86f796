// `kubets log-collector` and `kubets cluster-logs`: the cluster logging add-on (fluentd's and Elasticsearch's roles)
// — flags into one CollectorConfig or StoreConfig, then addons/logging's startLogCollector() / startLogStore().
import path from 'node:path';
import type { ParseArgsConfig } from 'node:util';
import { collectorDefaults, storeDefaults, type CollectorConfig, type StoreConfig } from '../addons/logging/config.js';
import { parseQuantity } from '../api/quantity.js';
import { parseDuration } from '../api/time.js';
import type { CommandContext } from './command.js';

function duration(ctx: CommandContext, v: string | boolean | undefined, flag: string, dflt: number, min: number): number {
  if (v === undefined) return dflt;
  let ms: number;
  try {
    ms = parseDuration(String(v));
  } catch {
    throw new ctx.UsageError(`--${flag} "${v}": want a duration, e.g. 250ms, 30s or 168h`);
  }
  if (ms < min) throw new ctx.UsageError(`--${flag} "${v}": want at least ${min} ms`);
  return ms;
}

function count(ctx: CommandContext, v: string | boolean | undefined, flag: string, dflt: number, quantity = false): number {
  if (v === undefined) return dflt;
  const n = quantity ? parseQuantity(String(v)) : Number(v);
  if (!Number.isSafeInteger(n) || n < 1) throw new ctx.UsageError(`--${flag} "${v}": want a positive whole number${quantity ? ' (or a quantity such as 512Mi)' : ''}`);
  return n;
}

export function logCollectorCommand(ctx: CommandContext) {
  return {
    summary: "Run the node's log collector (fluentd's role): tail /var/log/pods and ship every line with its pod's metadata to cluster-logs",
    usage: 'kubets log-collector --node-name NAME [--kubeconfig FILE] [--store-url URL] [--pod-log-dir DIR] [--position-file FILE]',
    options: {
      kubeconfig: { type: 'string' },
      'node-name': { type: 'string' },
      'store-url': { type: 'string' },
      'pod-log-dir': { type: 'string' },
      'position-file': { type: 'string' },
      'poll-interval': { type: 'string' },
      'batch-lines': { type: 'string' },
      'max-line-bytes': { type: 'string' },
    } satisfies NonNullable<ParseArgsConfig['options']>,
    help: {
      kubeconfig: "kubeconfig to look pods up with (default: in-cluster, the pod's service account)",
      'node-name': 'the node this collector runs on (default: $NODE_NAME)',
      'store-url': `base URL of the log store (default ${collectorDefaults.storeURL})`,
      'pod-log-dir': `root of the pods' log directories (default ${collectorDefaults.podLogDir})`,
      'position-file': `where read positions are kept across restarts (default ${collectorDefaults.positionFile})`,
      'poll-interval': 'how often files are looked at for new lines (default 250ms)',
      'batch-lines': `at most this many lines per batch (default ${collectorDefaults.batchLines})`,
      'max-line-bytes': `longer lines are stored cut to this many bytes (default ${collectorDefaults.maxLineBytes})`,
    } as Record<string, string>,
    async run(v: Record<string, string | boolean | undefined>): Promise<void> {
      const nodeName = String(v['node-name'] ?? process.env.NODE_NAME ?? '');
      if (!nodeName) throw new ctx.UsageError('--node-name (or $NODE_NAME) is required');
      const storeURL = String(v['store-url'] ?? collectorDefaults.storeURL);
      if (!/^https?:\/\/[^/]+\/?$/.test(storeURL)) throw new ctx.UsageError(`--store-url "${storeURL}": want http://HOST[:PORT]`);
      const config: CollectorConfig = {
        ...collectorDefaults,
        kubeconfig: v.kubeconfig ? path.resolve(String(v.kubeconfig)) : undefined,
        nodeName,
        storeURL,
        podLogDir: path.resolve(String(v['pod-log-dir'] ?? collectorDefaults.podLogDir)),
        positionFile: path.resolve(String(v['position-file'] ?? collectorDefaults.positionFile)),
        pollMs: duration(ctx, v['poll-interval'], 'poll-interval', collectorDefaults.pollMs, 10),
        batchLines: count(ctx, v['batch-lines'], 'batch-lines', collectorDefaults.batchLines),
        maxLineBytes: count(ctx, v['max-line-bytes'], 'max-line-bytes', collectorDefaults.maxLineBytes, true),
      };
      const { startLogCollector } = await import('../addons/logging/index.js');
      const running = await startLogCollector(config);
      process.stderr.write(`kubets log-collector: tailing ${config.podLogDir} on node ${nodeName}, shipping to ${storeURL}\n`);
      await ctx.untilSignal(() => running.close());
    },
  };
}

export function clusterLogsCommand(ctx: CommandContext) {
  return {
    summary: 'Run the cluster log store: SQLite full-text index of every container line, searched at GET /search',
    usage: 'kubets cluster-logs [--listen ADDR:PORT] [--data-dir DIR] [--retention-age 168h] [--retention-bytes 1Gi]',
    options: {
      listen: { type: 'string' },
      'data-dir': { type: 'string' },
      'retention-age': { type: 'string' },
      'retention-bytes': { type: 'string' },
    } satisfies NonNullable<ParseArgsConfig['options']>,
    help: {
      listen: `address:port of the ingest and search API (default ${storeDefaults.listen})`,
      'data-dir': `directory of the database (default ${storeDefaults.dataDir})`,
      'retention-age': 'lines older than this are removed (default 168h)',
      'retention-bytes': 'once the lines take more, the oldest are removed (default 1Gi)',
    } as Record<string, string>,
    async run(v: Record<string, string | boolean | undefined>): Promise<void> {
      const listen = String(v.listen ?? storeDefaults.listen);
      if (!/^(\[[^\]]+\]|[^:\[\]]*):\d{1,5}$/.test(listen)) throw new ctx.UsageError(`--listen "${listen}": want address:port, e.g. 0.0.0.0:8080`);
      const config: StoreConfig = {
        ...storeDefaults,
        listen,
        dataDir: path.resolve(String(v['data-dir'] ?? storeDefaults.dataDir)),
        maxAgeMs: duration(ctx, v['retention-age'], 'retention-age', storeDefaults.maxAgeMs, 1000),
        maxBytes: count(ctx, v['retention-bytes'], 'retention-bytes', storeDefaults.maxBytes, true),
      };
      const { startLogStore } = await import('../addons/logging/index.js');
      const running = await startLogStore(config);
      process.stderr.write(`kubets cluster-logs: serving /search on ${listen} (port ${running.port()}), data in ${config.dataDir}\n`);
      await ctx.untilSignal(() => running.close());
    },
  };
}
