// A small typed client for the Kubernetes REST API over HTTPS, used by every kubets component (controllers, scheduler,
// agent, proxy, lab). It reads a standard kubeconfig (client certificate or bearer token), turns error responses into
// StatusError, and streams watches as newline-delimited JSON events.
import https from 'node:https';
import fs from 'node:fs';
import path from 'node:path';
import { parse as parseYaml } from 'yaml';
import { StatusError } from './errors.js';
import { collectionPath, objectPath, type ResourceRef } from './resources.js';
import type { KubeObject, List, WatchEvent } from './types.js';

export interface ClientConfig {
  server: string; // https://host:port
  ca: Buffer | string;
  cert?: Buffer | string;
  key?: Buffer | string;
  token?: string;
  userAgent?: string;
  /** Skip verifying the server's certificate: only for kubeadm-style discovery, which checks what it reads by other means. */
  insecureSkipTLSVerify?: boolean;
  /** A file the bearer token is read from, again once a minute (a projected service-account token is rotated). */
  tokenFile?: string;
}

/** Where a pod finds its service account's token, CA and namespace (rest.InClusterConfig's paths). */
export const serviceAccountDir = '/var/run/secrets/kubernetes.io/serviceaccount';

/** How long a token read from tokenFile is used before the file is read again (client-go's cachingTokenSource). */
const TOKEN_FILE_REFRESH_MS = 60_000;

export interface ListOptions {
  labelSelector?: string;
  fieldSelector?: string;
  limit?: number;
  continue?: string;
  resourceVersion?: string;
}

export interface WatchOptions {
  labelSelector?: string;
  fieldSelector?: string;
  resourceVersion?: string;
  allowWatchBookmarks?: boolean;
  timeoutSeconds?: number;
}

export type PatchType = 'merge' | 'json' | 'strategic' | 'apply';
const patchContentTypes: Record<PatchType, string> = {
  merge: 'application/merge-patch+json',
  json: 'application/json-patch+json',
  strategic: 'application/strategic-merge-patch+json',
  apply: 'application/apply-patch+yaml',
};

/** Reads a kubeconfig file (current context only) into a ClientConfig. Relative file paths resolve beside it. */
/**
 * The API server as a pod sees it (client-go's rest.InClusterConfig without the credentials): the kubernetes
 * Service's address from KUBERNETES_SERVICE_HOST/PORT and the cluster CA mounted with the service account.
 */
export function inClusterServer(env: NodeJS.ProcessEnv = process.env, dir = serviceAccountDir): { server: string; ca: Buffer } {
  const host = env.KUBERNETES_SERVICE_HOST;
  const port = env.KUBERNETES_SERVICE_PORT;
  if (!host || !port) throw new Error('unable to load in-cluster configuration, KUBERNETES_SERVICE_HOST and KUBERNETES_SERVICE_PORT must be defined');
  return { server: `https://${host.includes(':') ? `[${host}]` : host}:${port}`, ca: fs.readFileSync(path.join(dir, 'ca.crt')) };
}

export function loadKubeconfig(file: string): ClientConfig {
  const doc = parseYaml(fs.readFileSync(file, 'utf8')) as any;
  const dir = path.dirname(file);
  const ctxName = doc['current-context'];
  const ctx = (doc.contexts ?? []).find((c: any) => c.name === ctxName)?.context ?? doc.contexts?.[0]?.context;
  if (!ctx) throw new Error(`kubeconfig ${file}: no context`);
  const cluster = (doc.clusters ?? []).find((c: any) => c.name === ctx.cluster)?.cluster;
  const user = (doc.users ?? []).find((u: any) => u.name === ctx.user)?.user ?? {};
  if (!cluster?.server) throw new Error(`kubeconfig ${file}: cluster ${ctx.cluster} has no server`);
  const data = (inline: string | undefined, ref: string | undefined): Buffer | undefined =>
    inline ? Buffer.from(inline, 'base64') : ref ? fs.readFileSync(path.resolve(dir, ref)) : undefined;
  const ca = data(cluster['certificate-authority-data'], cluster['certificate-authority']);
  if (!ca) throw new Error(`kubeconfig ${file}: cluster ${ctx.cluster} has no certificate authority`);
  return {
    server: cluster.server,
    ca,
    cert: data(user['client-certificate-data'], user['client-certificate']),
    key: data(user['client-key-data'], user['client-key']),
    // tokenFile (kube-proxy's kubeconfig.conf names the pod's projected token): read now and again as it rotates.
    token: user.token ?? (user.tokenFile ? fs.readFileSync(path.resolve(dir, user.tokenFile), 'utf8').trim() : undefined),
    tokenFile: user.token ? undefined : user.tokenFile ? path.resolve(dir, user.tokenFile) : undefined,
  };
}

function query(params: Record<string, string | number | boolean | undefined>): string {
  const q = new URLSearchParams();
  for (const [k, v] of Object.entries(params)) if (v !== undefined && v !== '') q.set(k, String(v));
  const s = q.toString();
  return s ? `?${s}` : '';
}

export interface RawResponse {
  status: number;
  headers: Record<string, string | string[] | undefined>;
  body: Buffer;
}

export class ApiClient {
  config: ClientConfig;
  private agent: https.Agent;
  /**
   * Watches have connections of their own, without a cap: over HTTP/1.1 a watch holds its connection for its whole
   * life, so in the capped pool requests would wait for ever once a process watches as many kinds as the cap (a
   * garbage collector watches every kind served).
   */
  private watchAgent: https.Agent;
  private readonly base: URL;

  constructor(config: ClientConfig) {
    this.config = config;
    this.base = new URL(config.server);
    this.agent = ApiClient.agentFor(config, 32);
    this.watchAgent = ApiClient.agentFor(config, Infinity);
  }

  private static agentFor(c: ClientConfig, maxSockets: number): https.Agent {
    return new https.Agent({ ca: c.ca || undefined, cert: c.cert, key: c.key, keepAlive: true, maxSockets, rejectUnauthorized: !c.insecureSkipTLSVerify });
  }

  /** Switches to a new bearer token (a refreshed service-account token); the next request carries it. */
  setToken(token: string): void {
    this.config = { ...this.config, token };
  }

  /**
   * Switches to a new client certificate (a rotated kubelet certificate). The old connections are closed, so every
   * request from now on — and every watch, which reconnects and resumes — presents the new one.
   */
  setClientCertificate(cert: string | Buffer, key: string | Buffer): void {
    const old = [this.agent, this.watchAgent];
    this.config = { ...this.config, cert, key };
    this.agent = ApiClient.agentFor(this.config, 32);
    this.watchAgent = ApiClient.agentFor(this.config, Infinity);
    for (const a of old) a.destroy();
  }

  static fromKubeconfig(file: string, userAgent?: string): ApiClient {
    return new ApiClient({ ...loadKubeconfig(file), userAgent });
  }

  /** A component's client: through its kubeconfig when it was given one, else as its pod's service account. */
  static forComponent(kubeconfig: string | undefined, userAgent: string): ApiClient {
    return kubeconfig ? ApiClient.fromKubeconfig(kubeconfig, userAgent) : ApiClient.inCluster({ userAgent });
  }

  /**
   * A client with the credentials Kubernetes gives every pod (rest.InClusterConfig): the API server at
   * KUBERNETES_SERVICE_HOST:KUBERNETES_SERVICE_PORT, the service account's token and the cluster CA mounted at
   * /var/run/secrets/kubernetes.io/serviceaccount. The token is read again as it is rotated.
   */
  static inCluster(opts: { userAgent?: string; dir?: string; env?: NodeJS.ProcessEnv } = {}): ApiClient {
    const dir = opts.dir ?? serviceAccountDir;
    const tokenFile = path.join(dir, 'token');
    return new ApiClient({
      ...inClusterServer(opts.env, dir),
      token: fs.readFileSync(tokenFile, 'utf8').trim(),
      tokenFile,
      userAgent: opts.userAgent,
    });
  }

  close(): void {
    this.agent.destroy();
    this.watchAgent.destroy();
  }

  private tokenReadAt = Date.now();

  private headers(extra: Record<string, string> = {}): Record<string, string> {
    if (this.config.tokenFile && Date.now() - this.tokenReadAt > TOKEN_FILE_REFRESH_MS) {
      this.tokenReadAt = Date.now();
      try {
        this.config = { ...this.config, token: fs.readFileSync(this.config.tokenFile, 'utf8').trim() };
      } catch {
        // The token in hand stays until the file can be read again.
      }
    }
    const h: Record<string, string> = { 'user-agent': this.config.userAgent ?? 'kubets', accept: 'application/json', ...extra };
    if (this.config.token) h.authorization = `Bearer ${this.config.token}`;
    return h;
  }

  /** One HTTP exchange; resolves with whatever the server said (no status interpretation). */
  raw(method: string, urlPath: string, body?: string | Buffer, headers: Record<string, string> = {}): Promise<RawResponse> {
    return new Promise((resolve, reject) => {
      const req = https.request(
        {
          host: this.base.hostname,
          port: this.base.port || 443,
          method,
          path: urlPath,
          agent: this.agent,
          headers: this.headers(body !== undefined ? { 'content-type': 'application/json', 'content-length': String(Buffer.byteLength(body)), ...headers } : headers),
        },
        (res) => {
          const chunks: Buffer[] = [];
          res.on('data', (c: Buffer) => chunks.push(c));
          res.on('end', () => resolve({ status: res.statusCode ?? 0, headers: res.headers, body: Buffer.concat(chunks) }));
          res.on('error', reject);
        },
      );
      req.on('error', reject);
      req.setTimeout(60_000, () => req.destroy(new Error(`${method} ${urlPath}: timed out`)));
      if (body !== undefined) req.write(body);
      req.end();
    });
  }

  /** JSON request; non-2xx responses become StatusError. */
  async request<T>(method: string, urlPath: string, body?: unknown, contentType?: string): Promise<T> {
    const payload = body === undefined ? undefined : typeof body === 'string' ? body : JSON.stringify(body);
    const res = await this.raw(method, urlPath, payload, contentType ? { 'content-type': contentType } : {});
    const text = res.body.toString('utf8');
    if (res.status < 200 || res.status >= 300) {
      let status: any = undefined;
      try {
        status = JSON.parse(text);
      } catch {
        /* not JSON: fall through */
      }
      if (status?.kind === 'Status') throw StatusError.fromStatus(status, res.status);
      throw new StatusError(res.status, res.status === 401 ? 'Unauthorized' : 'InternalError', text.trim() || `HTTP ${res.status}`);
    }
    return (text ? JSON.parse(text) : undefined) as T;
  }

  get<T extends KubeObject>(ref: ResourceRef, namespace: string | undefined, name: string): Promise<T> {
    return this.request('GET', objectPath(ref, namespace, name));
  }

  list<T extends KubeObject>(ref: ResourceRef, namespace?: string, opts: ListOptions = {}): Promise<List<T>> {
    return this.request('GET', collectionPath(ref, namespace) + query({ ...opts }));
  }

  create<T extends KubeObject>(ref: ResourceRef, namespace: string | undefined, obj: T): Promise<T> {
    return this.request('POST', collectionPath(ref, namespace), obj);
  }

  update<T extends KubeObject>(ref: ResourceRef, obj: T): Promise<T> {
    return this.request('PUT', objectPath(ref, obj.metadata.namespace, obj.metadata.name!), obj);
  }

  updateStatus<T extends KubeObject>(ref: ResourceRef, obj: T): Promise<T> {
    return this.request('PUT', objectPath(ref, obj.metadata.namespace, obj.metadata.name!, 'status'), obj);
  }

  patch<T extends KubeObject>(ref: ResourceRef, namespace: string | undefined, name: string, type: PatchType, patch: unknown, subresource?: string, params: Record<string, string> = {}): Promise<T> {
    return this.request('PATCH', objectPath(ref, namespace, name, subresource) + query(params), patch, patchContentTypes[type]);
  }

  delete(ref: ResourceRef, namespace: string | undefined, name: string, opts: { gracePeriodSeconds?: number; propagationPolicy?: string; preconditions?: { uid?: string; resourceVersion?: string } } = {}): Promise<unknown> {
    const body = { kind: 'DeleteOptions', apiVersion: 'v1', ...opts };
    return this.request('DELETE', objectPath(ref, namespace, name), body);
  }

  /** POST to a subresource such as pods/binding or pods/eviction. */
  createSubresource<T>(ref: ResourceRef, namespace: string | undefined, name: string, subresource: string, body: unknown): Promise<T> {
    return this.request('POST', objectPath(ref, namespace, name, subresource), body);
  }

  /**
   * Opens a watch. Events arrive through onEvent in order; the returned promise settles when the stream ends
   * (server timeout, network failure, or abort). A 410 arrives as an ERROR event carrying a Status, as on the wire.
   */
  watch<T extends KubeObject>(ref: ResourceRef, namespace: string | undefined, opts: WatchOptions, onEvent: (e: WatchEvent<T>) => void, signal?: AbortSignal): Promise<void> {
    const urlPath = collectionPath(ref, namespace) + query({ watch: 1, ...opts });
    return new Promise((resolve, reject) => {
      if (signal?.aborted) return resolve();
      const req = https.request(
        { host: this.base.hostname, port: this.base.port || 443, method: 'GET', path: urlPath, agent: this.watchAgent, headers: this.headers() },
        (res) => {
          if ((res.statusCode ?? 0) >= 300) {
            const chunks: Buffer[] = [];
            res.on('data', (c: Buffer) => chunks.push(c));
            res.on('end', () => {
              try {
                const s = JSON.parse(Buffer.concat(chunks).toString('utf8'));
                reject(StatusError.fromStatus(s, res.statusCode ?? 500));
              } catch {
                reject(new StatusError(res.statusCode ?? 500, 'InternalError', `watch ${urlPath}: HTTP ${res.statusCode}`));
              }
            });
            return;
          }
          let buf = '';
          res.setEncoding('utf8');
          res.on('data', (chunk: string) => {
            buf += chunk;
            let nl: number;
            while ((nl = buf.indexOf('\n')) >= 0) {
              const line = buf.slice(0, nl).trim();
              buf = buf.slice(nl + 1);
              if (line) onEvent(JSON.parse(line));
            }
          });
          res.on('end', () => resolve());
          res.on('error', () => resolve());
          res.on('aborted', () => resolve());
        },
      );
      const onAbort = () => {
        req.destroy();
        resolve();
      };
      signal?.addEventListener('abort', onAbort, { once: true });
      req.on('error', (e) => (signal?.aborted ? resolve() : reject(e)));
      req.on('close', () => signal?.removeEventListener('abort', onAbort));
      req.end();
    });
  }
}
