// The aggregator (kube: kube-aggregator — pkg/apiserver/handler_proxy.go, the available condition controller and
// the discovery manager): APIServices in a cache; for each remote one, its Service's endpoint and discovery are
// checked on every change and every RESYNC_MS, its Available condition written, its resources kept for discovery
// and where its /openapi/v3 index puts its OpenAPI document.
// Requests under a remote group-version are relayed to an endpoint over TLS (its caBundle, or none when
// insecureSkipTLSVerify), as the front proxy: the front-proxy client certificate, and the user already authenticated
// and authorized here in X-Remote-User, X-Remote-Group and X-Remote-Extra-*; an unavailable one answers 503.
import https from 'node:https';
import { isNotFound } from '../../../api/errors.js';
import { logger } from '../../../api/log.js';
import type { APIService, APIServiceCondition, Endpoints, KubeObject, Service, UserInfo } from '../../../api/types.js';
import { runWorkers, WorkQueue } from '../../../api/workqueue.js';
import { deepEqual } from '../equality.js';
import type { RequestContext } from '../filters/chain.js';
import { ObjectCache } from '../registry/cache.js';
import { responseHeaders, upstreamHeaders } from '../registry/core/proxy.js';
import { relayed } from '../registry/core/pod-kubelet.js';
import { findByPlural, type ResourceDef } from '../registry/kinds.js';
import type { GenericStore } from '../registry/store.js';
import { failedDiscovery, LOCAL_CONDITION, nextCondition, PASSED_CONDITION, resolveEndpoint } from './availability.js';
import type { RemoteGroupVersion } from './discovery.js';

const log = logger('aggregator');

/** How often every remote APIService is checked again, as the available controller's periodic resync. */
const RESYNC_MS = 30_000;
/** How soon an unavailable remote APIService is checked again (its server may be starting). */
const UNAVAILABLE_RECHECK_MS = 3_000;
/** How long a discovery check may take. */
const CHECK_TIMEOUT_MS = 5_000;

export interface FrontProxyClient {
  certPem: string;
  keyPem: string;
}

interface RemoteState {
  available: boolean;
  resources?: unknown[];
  /** Where its server's /openapi/v3 index puts the group-version's document, when it serves one. */
  openapi?: string;
}

const apiServicesDef = () => findByPlural('apiregistration.k8s.io', 'v1', 'apiservices')!;

/** X-Remote-* headers naming the user, as the front proxy sends them (kube's requestheader authenticator reads them). */
export function remoteUserHeaders(user: UserInfo): Record<string, string | string[]> {
  const out: Record<string, string | string[]> = { 'x-remote-user': user.name };
  if (user.groups.length) out['x-remote-group'] = user.groups;
  for (const [k, v] of Object.entries(user.extra ?? {})) out[`x-remote-extra-${encodeURIComponent(k).toLowerCase()}`] = v;
  return out;
}

/** The group and version a path is under, for /apis/<group>/<version>[/...]. */
export function groupVersionOf(path: string): { group: string; version: string } | undefined {
  const m = /^\/apis\/([^/]+)\/([^/]+)(?:\/|$)/.exec(path);
  return m ? { group: m[1], version: m[2] } : undefined;
}

/** The group-version of an OpenAPI v3 document's path, /openapi/v3/apis/<group>/<version>. */
const openapiGroupVersionOf = (path: string) => /^\/openapi\/v3\/apis\/([^/]+)\/([^/]+)\/?$/.exec(path);

export class Aggregator {
  private readonly cache: ObjectCache<APIService>;
  private readonly services: ObjectCache<Service>;
  private readonly endpoints: ObjectCache<Endpoints>;
  private readonly queue = new WorkQueue(500, 30_000);
  private readonly state = new Map<string, RemoteState>();
  private timer?: NodeJS.Timeout;
  private running?: Promise<void>;
  readonly synced: Promise<void>;

  constructor(
    private readonly store: GenericStore,
    private readonly client: FrontProxyClient,
  ) {
    const core = (plural: string): ResourceDef => findByPlural('', 'v1', plural)!;
    this.cache = new ObjectCache<APIService>(store, apiServicesDef());
    this.services = new ObjectCache<Service>(store, core('services'));
    this.endpoints = new ObjectCache<Endpoints>(store, core('endpoints'));
    this.cache.addHandlers({ onUpsert: (a) => this.queue.add(a.metadata.name!), onDelete: (a) => this.queue.add(a.metadata.name!) });
    // A Service or its Endpoints changing re-checks the APIServices that point at it.
    const touched = (o: KubeObject) => {
      for (const a of this.cache.list()) if (a.spec.service?.namespace === o.metadata.namespace && a.spec.service?.name === o.metadata.name) this.queue.add(a.metadata.name!);
    };
    for (const c of [this.services, this.endpoints] as ObjectCache<KubeObject>[]) c.addHandlers({ onUpsert: touched, onDelete: touched });
    this.synced = Promise.all([this.cache.synced, this.services.synced, this.endpoints.synced]).then(() => {});
  }

  start(): this {
    this.cache.start();
    this.services.start();
    this.endpoints.start();
    this.running ??= runWorkers('aggregator', this.queue, 2, (name) => this.sync(name));
    this.timer = setInterval(() => {
      for (const a of this.cache.list()) if (a.spec.service) this.queue.add(a.metadata.name!);
    }, RESYNC_MS);
    this.timer.unref();
    return this;
  }

  close(): void {
    clearInterval(this.timer);
    this.queue.close();
    this.cache.close();
    this.services.close();
    this.endpoints.close();
  }

  hasSynced(): boolean {
    return this.cache.hasSynced() && this.services.hasSynced() && this.endpoints.hasSynced();
  }

  /** The remote group-versions whose discovery answered, for the discovery documents. */
  remoteGroupVersions(): RemoteGroupVersion[] {
    const out: RemoteGroupVersion[] = [];
    for (const api of this.cache.list()) {
      const s = this.state.get(api.metadata.name!);
      if (api.spec.service && s?.available && s.resources) out.push({ api, resources: s.resources, ...(s.openapi ? { openapi: s.openapi } : {}) });
    }
    return out;
  }

  /**
   * The remote APIService serving the path's group-version, if any: its API, and its OpenAPI v3 document once its
   * server's index listed one (kube-aggregator's openapiv3 spec proxier).
   */
  remoteFor(path: string): APIService | undefined {
    const doc = openapiGroupVersionOf(path);
    const gv = doc ? { group: doc[1], version: doc[2] } : groupVersionOf(path);
    if (!gv) return undefined;
    const api = this.cache.get(`${gv.version}.${gv.group}`);
    if (!api?.spec.service) return undefined;
    return !doc || this.state.get(api.metadata.name!)?.openapi ? api : undefined;
  }

  private resolve(api: APIService) {
    const ref = api.spec.service!;
    return resolveEndpoint(api, this.services.get(`${ref.namespace}/${ref.name}`), this.endpoints.get(`${ref.namespace}/${ref.name}`));
  }

  private tlsOptions(api: APIService): https.RequestOptions {
    const ref = api.spec.service!;
    const verify = api.spec.insecureSkipTLSVerify ? { rejectUnauthorized: false } : { ca: api.spec.caBundle ? Buffer.from(api.spec.caBundle, 'base64').toString() : undefined, servername: `${ref.name}.${ref.namespace}.svc` };
    return { cert: this.client.certPem, key: this.client.keyPem, ...verify };
  }

  /** GETs the group-version's discovery document from the endpoint. */
  private async discover(api: APIService, host: string, port: number): Promise<unknown[]> {
    const doc = (await this.getJSON(api, host, port, `/apis/${api.spec.group}/${api.spec.version}`, 'bad discovery document')) as { resources?: unknown };
    return Array.isArray(doc.resources) ? doc.resources : [];
  }

  /**
   * Where the endpoint's /openapi/v3 index puts the group-version's document, or undefined when it has none (a
   * server without OpenAPI v3 is still available). Only the APIService's own group-version is taken from the index.
   */
  private async openapi(api: APIService, host: string, port: number): Promise<string | undefined> {
    const gvPath = `apis/${api.spec.group}/${api.spec.version}`;
    try {
      const index = (await this.getJSON(api, host, port, '/openapi/v3', 'bad OpenAPI v3 index')) as { paths?: Record<string, { serverRelativeURL?: string }> };
      const url = index.paths?.[gvPath]?.serverRelativeURL;
      if (!url) return undefined;
      return url.startsWith(`/openapi/v3/${gvPath}`) ? url : `/openapi/v3/${gvPath}`;
    } catch (e) {
      log.debug({ apiservice: api.metadata.name, err: (e as Error).message }, 'no OpenAPI v3 index');
      return undefined;
    }
  }

  /** GETs a JSON document from the endpoint, as the front proxy with the aggregator's own identity. */
  private getJSON(api: APIService, host: string, port: number, path: string, what: string): Promise<unknown> {
    return new Promise((resolve, reject) => {
      const req = https.request({ host, port, path, method: 'GET', agent: false, timeout: CHECK_TIMEOUT_MS, headers: { accept: 'application/json', 'x-remote-user': 'system:kube-aggregator', 'x-remote-group': 'system:masters' }, ...this.tlsOptions(api) }, (res) => {
        const chunks: Buffer[] = [];
        res.on('data', (c: Buffer) => chunks.push(c));
        res.on('end', () => {
          if ((res.statusCode ?? 0) < 200 || (res.statusCode ?? 0) > 299) return reject(new Error(`bad status from https://${host}:${port}${path}: ${res.statusCode}`));
          try {
            resolve(JSON.parse(Buffer.concat(chunks).toString()));
          } catch (e) {
            reject(new Error(`${what}: ${(e as Error).message}`));
          }
        });
        res.on('error', reject);
      });
      req.on('timeout', () => req.destroy(new Error('Client.Timeout exceeded while awaiting headers')));
      req.on('error', reject);
      req.end();
    });
  }

  async sync(name: string): Promise<void> {
    const api = this.cache.get(name);
    if (!api) {
      this.state.delete(name);
      return;
    }
    let condition: APIServiceCondition;
    if (!api.spec.service) condition = LOCAL_CONDITION;
    else {
      const r = this.resolve(api);
      if (!r.ok) condition = r.condition;
      else {
        try {
          const resources = await this.discover(api, r.host, r.port);
          this.state.set(name, { available: true, resources, openapi: await this.openapi(api, r.host, r.port) });
          condition = PASSED_CONDITION;
        } catch (e) {
          condition = failedDiscovery(`https://${r.host}:${r.port}/apis/${api.spec.group}/${api.spec.version}`, (e as Error).message);
        }
      }
      if (condition.status !== 'True') {
        this.state.set(name, { available: false });
        this.queue.addAfter(name, UNAVAILABLE_RECHECK_MS);
      }
    }
    await this.writeCondition(api, condition);
  }

  private async writeCondition(api: APIService, condition: APIServiceCondition): Promise<void> {
    const old = api.status?.conditions?.find((c) => c.type === 'Available');
    if (old && old.status === condition.status && old.reason === condition.reason && old.message === condition.message) return;
    const def = apiServicesDef();
    try {
      await this.store.update(def, undefined, api.metadata.name!, (live) => {
        const next = structuredClone(live) as APIService;
        const prev = next.status?.conditions?.find((c) => c.type === 'Available');
        const cond = nextCondition(prev, condition, new Date().toISOString());
        next.status = { ...(next.status ?? {}), conditions: [...(next.status?.conditions ?? []).filter((c) => c.type !== 'Available'), cond] };
        return deepEqual(next.status, (live as APIService).status) ? live : next;
      }, { strategy: def.statusStrategy });
      if (condition.status !== 'True') log.info({ apiservice: api.metadata.name, reason: condition.reason, message: condition.message }, 'APIService not available');
    } catch (e) {
      if (!isNotFound(e)) throw e;
    }
  }

  /** Relays a request under a remote group-version, or answers 503 while it is unavailable. */
  async proxy(ctx: RequestContext, api: APIService): Promise<void> {
    const { req, res, user } = ctx;
    const r = this.state.get(api.metadata.name!)?.available ? this.resolve(api) : undefined;
    if (!r?.ok) {
      // kube-aggregator's proxyError: a plain-text 503.
      res.writeHead(503, { 'content-type': 'text/plain; charset=utf-8', 'x-content-type-options': 'nosniff' }).end('service unavailable\n');
      return;
    }
    const headers = upstreamHeaders(req, { scheme: 'https', host: r.host, port: r.port });
    // Whatever identity headers the client sent are not the front proxy's: only ours go on.
    for (const k of Object.keys(headers)) if (k.startsWith('x-remote-')) delete headers[k];
    Object.assign(headers, remoteUserHeaders(user ?? { name: 'system:anonymous', groups: ['system:unauthenticated'] }));
    const upstream = https.request({ host: r.host, port: r.port, path: req.url ?? '/', method: req.method, headers, agent: false, timeout: 30_000, ...this.tlsOptions(api) });
    const done = relayed(upstream, {
      res,
      closers: [res],
      respond: (up) => {
        res.writeHead(up.statusCode ?? 502, up.statusMessage, responseHeaders(up));
        res.flushHeaders();
        up.pipe(res);
      },
      failure: (e) => {
        log.warn({ apiservice: api.metadata.name, err: e.message }, 'proxying to the APIService failed');
        return new Error(e.message);
      },
    });
    if (req.method === 'GET' || req.method === 'HEAD') upstream.end();
    else req.pipe(upstream);
    await done.catch(() => {
      if (!res.headersSent) res.writeHead(503, { 'content-type': 'text/plain; charset=utf-8' }).end('service unavailable\n');
    });
  }
}
