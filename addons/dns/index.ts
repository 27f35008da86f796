// The cluster DNS add-on, what CoreDNS is for Kubernetes: start-up as named steps (upstreams, API client, informers
// feeding the record store, HTTP endpoints, the DNS server), closed in reverse by close() or at once if a step fails.
import fs from 'node:fs';
import os from 'node:os';
import { ApiClient } from '../../api/client.js';
import { Informer } from '../../api/informer.js';
import { logger } from '../../api/log.js';
import { Resources } from '../../api/resources.js';
import { Startup } from '../../api/startup.js';
import type { EndpointSlice, Namespace, Service } from '../../api/types.js';
import { ResponseCache } from './cache.js';
import type { DNSConfig } from './config.js';
import { Forwarder, normalizeUpstream, parseResolvConf } from './forward.js';
import { HTTPEndpoints } from './http.js';
import { ClusterResolver } from './kubernetes.js';
import { DNSMetrics } from './metrics.js';
import { DNSServer } from './server.js';
import { ClusterIndex } from './store.js';
import { parseBindAddress } from '../../api/listen.js';

export { dnsDefaults, type DNSConfig } from './config.js';
export { corednsManifests, type CorednsManifestOptions } from './manifests.js';

const log = logger('dns');

export interface RunningDNS {
  /** The DNS port (UDP and TCP), and the HTTP endpoints' ports: what port 0 became. */
  ports(): { dns: number; health: number; ready: number; metrics: number };
  /** Whether Services, EndpointSlices and Namespaces have all been listed. */
  synced(): boolean;
  readonly metrics: DNSMetrics;
  /** Stops serving and watching. Idempotent. */
  close(): Promise<void>;
}

export interface DNSOptions {
  /** The API client to watch with (default: from config.kubeconfig, else in-cluster); the caller keeps owning it. */
  client?: ApiClient;
  /** This server's addresses, for NS records (default: the listen address, or every interface's). */
  localIPs?: string[];
}

export async function startDNS(config: DNSConfig, opts: DNSOptions = {}): Promise<RunningDNS> {
  const startup = new Startup('dns', log);
  const step = <T>(name: string, run: () => Promise<T> | T) => startup.step(name, run);
  const own = <T extends { close(): Promise<void> | void }>(name: string, part: T) => startup.own(name, part);
  const close = () => startup.close();

  const zone = config.clusterDomain.toLowerCase().replace(/\.$/, '');
  const listen = parseBindAddress(config.listen);
  const httpAddr = (port: number) => `${listen.host.includes(':') ? `[${listen.host}]` : listen.host}:${port}`;
  const metrics = new DNSMetrics({ processMetrics: true });

  // 1. Where names outside the cluster go: the flags' upstreams, else the node's resolv.conf (`forward . /etc/resolv.conf`).
  const upstreams = await step('read upstream resolvers', () => {
    const list = config.upstreams.length ? config.upstreams.map(normalizeUpstream) : parseResolvConf(fs.readFileSync(config.resolvConf, 'utf8'));
    if (!list.length) throw new Error(`no nameservers found in ${config.resolvConf}`);
    return list;
  });

  // 2. The API server, as the coredns service account (in a pod) or through a kubeconfig.
  const client = await step('connect to the API server', () => {
    if (opts.client) return opts.client;
    return own('api client', ApiClient.forComponent(config.kubeconfig, 'kubets-dns'));
  });

  // 3. The record store, fed by informers: handlers only update its indexes.
  const index = new ClusterIndex();
  const services = own('services informer', new Informer<Service>(client, Resources.services));
  const slices = own('endpointslices informer', new Informer<EndpointSlice>(client, Resources.endpointslices));
  const namespaces = own('namespaces informer', new Informer<Namespace>(client, Resources.namespaces));
  await step('watch services, endpointslices and namespaces', () => {
    services.addHandlers({ onAdd: (s) => index.setService(s), onUpdate: (_o, s) => index.setService(s), onDelete: (s) => index.deleteService(s) });
    slices.addHandlers({ onAdd: (s) => index.setSlice(s), onUpdate: (_o, s) => index.setSlice(s), onDelete: (s) => index.deleteSlice(s) });
    namespaces.addHandlers({ onAdd: (n) => index.setNamespace(n), onUpdate: (_o, n) => index.setNamespace(n), onDelete: (n) => index.deleteNamespace(n) });
    services.start();
    slices.start();
    namespaces.start();
  });
  const synced = () => services.hasSynced() && slices.hasSynced() && namespaces.hasSynced();
  void Promise.all([services.waitForSync(), slices.waitForSync(), namespaces.waitForSync()]).then(() => log.info({ zone }, 'cluster records synced'));

  // 4. /health, /ready (ready once the store is synced) and /metrics.
  const http = own('http endpoints', new HTTPEndpoints({ health: httpAddr(config.healthPort), ready: httpAddr(config.readyPort), metrics: httpAddr(config.metricsPort), registry: metrics.registry, notReady: () => (synced() ? [] : ['kubernetes']) }));
  await step('serve health, ready and metrics', () => http.listen());

  // 5. DNS over UDP and TCP.
  const forwarder = own('forwarder', new Forwarder({ upstreams, metrics, maxConcurrent: config.forwardMaxConcurrent }));
  const cache = new ResponseCache({ capacity: config.cacheCapacity, maxTTL: config.cacheMaxTTL, onEvict: (type) => metrics.cacheEvictions.inc({ server: `dns://${config.listen}`, type, zones: '.', view: '' }) });
  const resolver = new ClusterResolver(index, { zone, ttl: config.ttl, localIPs: opts.localIPs ?? localAddresses(listen.host) });
  const server = own('dns server', new DNSServer({ listen: config.listen, zone, resolver, synced, cache, forwarder, metrics }));
  await step('serve dns', () => server.listen());
  for (const name of ['cache', 'errors', 'forward', 'health', 'kubernetes', 'loadbalance', 'prometheus', 'ready']) metrics.pluginEnabled.set({ server: `dns://${config.listen}`, zone: '.', view: '', name }, 1);

  log.info({ listen: config.listen, port: server.port(), zone, upstreams, ...http.ports() }, 'dns serving');
  return {
    ports: () => ({ dns: server.port(), ...http.ports() }),
    synced,
    metrics,
    close,
  };
}

/** The listen address when it is one; every interface's non-loopback addresses when it is all of them. */
function localAddresses(host: string): string[] {
  if (host !== '0.0.0.0' && host !== '::') return [host];
  const out: string[] = [];
  for (const addrs of Object.values(os.networkInterfaces())) for (const a of addrs ?? []) if (!a.internal) out.push(a.address);
  return out;
}
