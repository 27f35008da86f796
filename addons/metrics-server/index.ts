// The metrics-server add-on (kube: kubernetes-sigs/metrics-server cmd/metrics-server and pkg/server): start-up as
// named steps — the API client, the front-proxy trust from `extension-apiserver-authentication`, a serving
// certificate, node and pod informers, the scrape loop (every kubelet each metricResolution, rates from the last
// two scrapes), the HTTPS metrics API — closed in reverse by close() or at once if a step fails.
import type { AddressInfo } from 'node:net';
import { ApiClient } from '../../api/client.js';
import { Informer } from '../../api/informer.js';
import { logger } from '../../api/log.js';
import { selfSignedServingCert } from '../../api/pki.js';
import { Resources } from '../../api/resources.js';
import { Startup } from '../../api/startup.js';
import type { KubeObject, Node, Pod } from '../../api/types.js';
import { createMetricsApiServer, requestHeaderConfig } from './api.js';
import type { MetricsServerConfig } from './config.js';
import { KubeletScraper } from './scraper.js';
import { MetricsStorage } from './storage.js';

export { metricsServerDefaults, type MetricsServerConfig } from './config.js';
export { metricsServerManifests, metricsServerNames } from './manifests.js';

const log = logger('metrics-server');

export interface RunningMetricsServer {
  port(): number;
  /** Whether a round of scrapes has been stored. */
  ready(): boolean;
  close(): Promise<void>;
}

export async function startMetricsServer(config: MetricsServerConfig, opts: { client?: ApiClient } = {}): Promise<RunningMetricsServer> {
  const startup = new Startup('metrics-server', log);
  const step = <T>(name: string, run: () => Promise<T> | T) => startup.step(name, run);
  const own = <T extends { close(): Promise<void> | void }>(name: string, part: T) => startup.own(name, part);

  const client = await step('connect to the API server', () => opts.client ?? own('api client', ApiClient.forComponent(config.kubeconfig, 'kubets-metrics-server')));
  const requestHeader = await step('read the front-proxy trust', async () => {
    const cm = await client.get<KubeObject & { data?: Record<string, string> }>(Resources.configmaps, 'kube-system', 'extension-apiserver-authentication');
    return requestHeaderConfig(cm.data ?? {});
  });
  const serving = await step('serving certificate', () => selfSignedServingCert('metrics-server', ['metrics-server', 'metrics-server.kube-system', 'metrics-server.kube-system.svc']));

  const nodes = own('nodes informer', new Informer<Node>(client, Resources.nodes));
  const pods = own('pods informer', new Informer<Pod>(client, Resources.pods));
  await step('watch nodes and pods', async () => {
    nodes.start();
    pods.start();
    await Promise.all([nodes.waitForSync(), pods.waitForSync()]);
  });

  const storage = new MetricsStorage();
  const scraper = new KubeletScraper(config, client.config);
  let timer: NodeJS.Timeout | undefined;
  let closed = false;
  let scraping: Promise<void> | undefined;
  const tick = async () => {
    const start = Date.now();
    const { round, errors } = await scraper.scrape(nodes.list());
    for (const e of errors) log.warn({ node: e.node, err: e.error }, 'failed to scrape node');
    storage.store(round);
    log.debug({ nodes: round.size, ms: Date.now() - start }, 'scrape finished');
  };
  const loop = () => {
    scraping = tick()
      .catch((e: Error) => log.error({ err: e.message }, 'scrape failed'))
      .finally(() => {
        if (!closed) timer = setTimeout(loop, config.metricResolutionMs);
      });
  };
  await step('scrape loop', () => {
    loop();
    own('scrape loop', {
      close: async () => {
        closed = true;
        clearTimeout(timer);
        await scraping;
      },
    });
  });

  const server = createMetricsApiServer(serving, () => requestHeader, { storage, nodes: () => nodes.list(), pods: () => pods.list(), ready: () => storage.ready() });
  await step(`serve the metrics API on ${config.bindAddress}:${config.securePort}`, () => new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(config.securePort, config.bindAddress, () => resolve());
  }));
  own('https server', { close: () => new Promise<void>((r) => { server.close(() => r()); server.closeAllConnections(); }) });
  const port = (server.address() as AddressInfo).port;
  log.info({ port, resolutionMs: config.metricResolutionMs }, 'metrics-server serving');
  return { port: () => port, ready: () => storage.ready(), close: () => startup.close() };
}
