// The ingress controller add-on, what ingress-nginx is for a kubeadm cluster: start-up as named steps (the fallback
// certificate, the API client, informers on IngressClasses, Ingresses, Services, EndpointSlices, TLS Secrets and the
// controller's own pods, the HTTP/HTTPS/healthz servers, the sync loop), closed in reverse by close() or at once if a
// step fails. Event handlers only ask for a sync; one serialized sync rebuilds the routing table from the caches
// (routes.ts), hands it and the certificates to the proxy, and writes status.loadBalancer where it changed.
import { ApiClient } from '../../api/client.js';
import { Informer } from '../../api/informer.js';
import { logger } from '../../api/log.js';
import { selfSignedServingCert } from '../../api/pki.js';
import { Resources } from '../../api/resources.js';
import { Startup } from '../../api/startup.js';
import type { EndpointSlice, Ingress, IngressClass, KubeObject, Pod, Secret, Service } from '../../api/types.js';
import { BoundedFrequencyRunner } from '../../agent/proxy/runner.js';
import { CertificateStore, FALLBACK_CERT_NAME } from './certificates.js';
import type { IngressConfig } from './config.js';
import { IngressProxy } from './proxy.js';
import { computeRoutes, controllerAddresses, statusUpToDate, type RouteTable } from './routes.js';

export { ingressDefaults, type IngressConfig } from './config.js';
export { ingressManifests, ingressNames, type IngressManifestOptions } from './manifests.js';
export { computeRoutes, matchRoute, type RouteTable } from './routes.js';

const log = logger('ingress');

export interface RunningIngressController {
  /** The bound ports: what port 0 became. */
  ports(): { http: number; https: number; healthz: number };
  /** Whether every list has loaded and the routes have been built from them. */
  synced(): boolean;
  /** The routing table in use (undefined before the first sync). */
  routes(): RouteTable | undefined;
  /** Stops serving and watching. Idempotent. */
  close(): Promise<void>;
}

export interface IngressControllerOptions {
  /** The API client to watch with (default: from config.kubeconfig, else in-cluster); the caller keeps owning it. */
  client?: ApiClient;
}

export async function startIngressController(config: IngressConfig, opts: IngressControllerOptions = {}): Promise<RunningIngressController> {
  const startup = new Startup('ingress-controller', log);
  const step = <T>(name: string, run: () => Promise<T> | T) => startup.step(name, run);
  const own = <T extends { close(): Promise<void> | void }>(name: string, part: T) => startup.own(name, part);

  // 1. What HTTPS presents for names no Secret covers.
  const fallback = await step('fallback certificate', () => selfSignedServingCert(FALLBACK_CERT_NAME, ['ingress.local']));

  // 2. The API server, as the controller's service account (in a pod) or through a kubeconfig.
  const client = await step('connect to the API server', () => {
    if (opts.client) return opts.client;
    return own('api client', ApiClient.forComponent(config.kubeconfig, 'kubets-ingress-controller'));
  });

  // 3. Caches of what the routes are made of; handlers only ask for a sync.
  const classes = own('ingressclasses informer', new Informer<IngressClass>(client, Resources.ingressclasses));
  const ingresses = own('ingresses informer', new Informer<Ingress>(client, Resources.ingresses));
  const services = own('services informer', new Informer<Service>(client, Resources.services));
  const slices = own('endpointslices informer', new Informer<EndpointSlice>(client, Resources.endpointslices));
  const secrets = own('secrets informer', new Informer<Secret>(client, Resources.secrets, { fieldSelector: 'type=kubernetes.io/tls' }));
  const pods = config.statusPods ? own('controller pods informer', new Informer<Pod>(client, Resources.pods, { namespace: config.statusPods.namespace, labelSelector: config.statusPods.selector })) : undefined;
  const informers: Informer<KubeObject>[] = [classes, ingresses, services, slices, secrets, ...(pods ? [pods] : [])] as Informer<KubeObject>[];

  const certificates = new CertificateStore(fallback);
  const proxy = own('proxy', new IngressProxy({ ...config, certificates }));
  let table: RouteTable | undefined;
  const filter = { controller: config.controllerClass, annotationClass: config.ingressClass };

  const sync = async () => {
    // No routes from partial state: until every list has loaded, the proxy answers 503.
    if (!informers.every((i) => i.hasSynced())) return;
    const next = computeRoutes({ ingresses: ingresses.list(), classes: classes.list(), services: services.list(), slices: slices.list() }, filter);
    certificates.update(next, (key) => secrets.get(key));
    proxy.setTable(next);
    if (JSON.stringify(next.ingresses) !== JSON.stringify(table?.ingresses)) log.info({ ingresses: next.ingresses }, 'serving ingresses');
    table = next;
    if (pods) await publishStatus(client, next, ingresses, controllerAddresses(pods.list()), () => runner.retryAfter(1_000));
  };
  const runner = own('sync loop', new BoundedFrequencyRunner('ingress-sync', sync, { minIntervalMs: config.minSyncIntervalMs, maxIntervalMs: config.resyncIntervalMs }));

  await step('watch ingresses, classes, services, endpointslices and secrets', () => {
    const changed = () => runner.run();
    for (const i of informers) {
      i.addHandlers({ onAdd: changed, onUpdate: changed, onDelete: changed });
      i.start();
    }
    runner.loop();
    void Promise.all(informers.map((i) => i.waitForSync())).then(changed);
  });

  // 4. HTTP, HTTPS and /healthz.
  await step('serve http, https and healthz', () => proxy.listen());
  log.info({ ...proxy.ports(), controllerClass: config.controllerClass }, 'ingress controller serving');

  return {
    ports: () => proxy.ports(),
    synced: () => !!table,
    routes: () => table,
    close: () => startup.close(),
  };
}

/**
 * Writes status.loadBalancer of every served Ingress whose addresses differ from the controller's nodes (through the
 * status subresource, only when they change). With no running controller pod known, statuses are left as they are.
 */
async function publishStatus(client: ApiClient, table: RouteTable, ingresses: Informer<Ingress>, ips: string[], retry: () => void): Promise<void> {
  if (!ips.length) return;
  for (const key of table.ingresses) {
    const ing = ingresses.get(key);
    if (!ing || statusUpToDate(ing, ips)) continue;
    try {
      await client.updateStatus(Resources.ingresses, { ...ing, status: { ...ing.status, loadBalancer: { ingress: ips.map((ip) => ({ ip })) } } });
      log.info({ ingress: key, addresses: ips }, 'ingress status updated');
    } catch (e) {
      // A conflict (the Ingress changed meanwhile) or a refusal: the next sync works from the fresh object.
      log.warn({ ingress: key, err: (e as Error).message }, 'updating ingress status failed; retrying');
      retry();
    }
  }
}
