// The logging add-on (kube: cluster/addons/fluentd-elasticsearch): `kubets log-collector` on every node (fluentd's
// DaemonSet) and `kubets cluster-logs`, the store (Elasticsearch's Deployment). Each starts as named steps and
// closes in reverse, by close() or at once if a step fails.
import type { AddressInfo } from 'node:net';
import { ApiClient } from '../../api/client.js';
import { isNotFound } from '../../api/errors.js';
import { Informer } from '../../api/informer.js';
import { logger } from '../../api/log.js';
import { Resources } from '../../api/resources.js';
import { Startup } from '../../api/startup.js';
import type { Pod } from '../../api/types.js';
import { LogCollector, type LogSource } from './collector.js';
import type { CollectorConfig, StoreConfig } from './config.js';
import { createStoreServer } from './http.js';
import type { LogRecord } from './record.js';
import { LogStore } from './store.js';
import { closeServer, listen } from '../../api/listen.js';

export { collectorDefaults, storeDefaults, type CollectorConfig, type StoreConfig } from './config.js';
export { loggingManifests, loggingNames } from './manifests.js';

/** How long a pod the API does not know is taken as having no labels before it is asked for again. */
const UNKNOWN_POD_RETRY_MS = 10_000;

/**
 * Pod labels by UID: from an informer on the node's pods, else one GET (a pod newer than the watch); remembered
 * after the pod is deleted, for the lines its files still hold, until the collector has read those files to their end.
 */
export class PodLabels {
  private readonly known = new Map<string, Record<string, string>>();
  private readonly missing = new Map<string, number>();

  constructor(
    private readonly client: ApiClient,
    private readonly pods: Informer<Pod>,
    private readonly clock: () => number = Date.now,
  ) {
    const remember = (p: Pod) => p.metadata.uid && this.known.set(p.metadata.uid, p.metadata.labels ?? {});
    pods.addHandlers({ onAdd: remember, onUpdate: (_o, p) => remember(p) });
  }

  async labels(s: LogSource): Promise<Record<string, string>> {
    const hit = this.known.get(s.uid);
    if (hit) return hit;
    if ((this.missing.get(s.uid) ?? -Infinity) > this.clock() - UNKNOWN_POD_RETRY_MS) return {};
    try {
      const pod = await this.client.get<Pod>(Resources.pods, s.namespace, s.pod);
      if (pod.metadata.uid === s.uid) {
        this.known.set(s.uid, pod.metadata.labels ?? {});
        return pod.metadata.labels ?? {};
      }
    } catch (e) {
      if (!isNotFound(e)) throw e;
    }
    this.missing.set(s.uid, this.clock());
    return {};
  }

  /** Called once a pod's log files are all gone: nothing will ask for its labels again. */
  forget(uid: string): void {
    this.known.delete(uid);
    this.missing.delete(uid);
  }
}

/** Posts a batch to the store's /ingest as JSON lines; anything but 200 is a failure (the batch is sent again). */
export async function shipToStore(storeURL: string, records: LogRecord[], timeoutMs = 30_000): Promise<void> {
  const res = await fetch(new URL('/ingest', storeURL), {
    method: 'POST',
    headers: { 'content-type': 'application/x-ndjson' },
    body: records.map((r) => JSON.stringify(r)).join('\n'),
    signal: AbortSignal.timeout(timeoutMs),
  });
  const text = await res.text();
  if (res.status !== 200) throw new Error(`${storeURL}/ingest: HTTP ${res.status}: ${text.slice(0, 300)}`);
}

export interface RunningCollector {
  /** Lines the store has taken so far. */
  shipped(): number;
  close(): Promise<void>;
}

export async function startLogCollector(config: CollectorConfig, opts: { client?: ApiClient } = {}): Promise<RunningCollector> {
  const log = logger('log-collector');
  const startup = new Startup('log-collector', log);
  const client = await startup.step('connect to the API server', () => opts.client ?? startup.own('api client', ApiClient.forComponent(config.kubeconfig, 'kubets-log-collector')));
  const pods = startup.own('pods informer', new Informer<Pod>(client, Resources.pods, { fieldSelector: `spec.nodeName=${config.nodeName}` }));
  const labels = new PodLabels(client, pods);
  await startup.step("watch the node's pods", async () => {
    pods.start();
    await pods.waitForSync();
  });
  const collector = await startup.step(`tail ${config.podLogDir}`, () => new LogCollector(config, { labels: (s) => labels.labels(s), ship: (r) => shipToStore(config.storeURL, r), forget: (uid) => labels.forget(uid) }).start());
  startup.own('collector', collector);
  log.info({ node: config.nodeName, podLogDir: config.podLogDir, store: config.storeURL }, 'log-collector running');
  return { shipped: () => collector.shippedLines, close: () => startup.close() };
}

export interface RunningStore {
  port(): number;
  store: LogStore;
  close(): Promise<void>;
}

export async function startLogStore(config: StoreConfig, opts: { clock?: () => number } = {}): Promise<RunningStore> {
  const log = logger('cluster-logs');
  const startup = new Startup('cluster-logs', log);
  const clock = opts.clock ?? Date.now;
  const store = await startup.step(`open the database in ${config.dataDir}`, () => startup.own('database', new LogStore(config.dataDir, config, clock)));
  await startup.step('retention', () => {
    store.applyAgeLimit();
    const timer = setInterval(() => {
      try {
        const n = store.applyAgeLimit();
        if (n) log.info({ removed: n }, 'old lines removed');
      } catch (e) {
        log.error({ err: (e as Error).message }, 'retention failed');
      }
    }, config.retentionPeriodMs);
    startup.own('retention', { close: () => clearInterval(timer) });
  });
  const server = createStoreServer(store, clock);
  await startup.step(`serve on ${config.listen}`, () => listen(server, config.listen));
  startup.own('http server', { close: () => closeServer(server) });
  const port = (server.address() as AddressInfo).port;
  log.info({ port, dataDir: config.dataDir }, 'cluster-logs serving');
  return { port: () => port, store, close: () => startup.close() };
}
