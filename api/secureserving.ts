// The secure port of kube-scheduler (:10259) and kube-controller-manager (:10257) (k8s.io/apiserver/pkg/server/options
// serving.go with a self-signed certificate, and the delegating authentication and authorization options): /healthz,
// /livez and /readyz for anyone (--authorization-always-allow-paths), /metrics for a bearer token the API vouches for
// (TokenReview) whose user may get that path (SubjectAccessReview of the non-resource URL, as system:monitoring allows).
import https from 'node:https';
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { Registry } from 'prom-client';
import type { ApiClient } from './client.js';
import { reviewAccess, reviewToken, TTLCache, type ReviewedUser } from './delegatedauth.js';
import { selfSignedServingCert } from './pki.js';
import { boundPort, closeServer, listen } from './listen.js';

// The delegating options' defaults: tokens cached 10 s, decisions 10 s allowed and 10 s denied.
const CACHE_TTL_MS = 10_000;
const ALWAYS_ALLOW = new Set(['/healthz', '/livez', '/readyz']);

export interface SecureServingOptions {
  /** The component's name (the certificate's subject): kube-scheduler, kube-controller-manager. */
  name: string;
  /** host:port, e.g. 0.0.0.0:10259 (port 0 picks a free one). */
  bindAddress: string;
  client: ApiClient;
  registry: Registry;
}

export class SecureServing {
  private server?: https.Server;
  private readonly tokens = new TTLCache<ReviewedUser | null>();
  private readonly decisions = new TTLCache<boolean>();

  constructor(private readonly o: SecureServingOptions) {}

  async listen(): Promise<void> {
    if (this.server) return;
    const cert = await selfSignedServingCert(`${this.o.name}@${Math.floor(Date.now() / 1000)}`, ['localhost', this.o.name]);
    this.server = https.createServer({ cert: cert.certPem, key: cert.keyPem }, (req, res) => {
      this.serve(req, res).catch((e: Error) => {
        if (!res.headersSent) res.writeHead(500, { 'content-type': 'text/plain' });
        res.end(`${e.message}\n`);
      });
    });
    await listen(this.server, this.o.bindAddress);
  }

  private async serve(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const path = (req.url ?? '/').split('?')[0];
    const text = { 'content-type': 'text/plain; charset=utf-8', 'x-content-type-options': 'nosniff' };
    if (ALWAYS_ALLOW.has(path)) return void res.writeHead(200, text).end('ok');
    if (path !== '/metrics') return void res.writeHead(404, text).end('404 page not found\n');
    const user = await this.authenticate(req);
    if (!user) return void res.writeHead(401, text).end('Unauthorized\n');
    if (!(await this.authorize(user, path))) return void res.writeHead(403, text).end(`forbidden: User "${user.name}" cannot get path "${path}"\n`);
    const body = await this.o.registry.metrics();
    res.writeHead(200, { 'content-type': this.o.registry.contentType }).end(body);
  }

  private async authenticate(req: IncomingMessage): Promise<ReviewedUser | undefined> {
    const header = req.headers.authorization;
    const token = typeof header === 'string' && /^bearer /i.test(header) ? header.slice(7).trim() : '';
    if (!token) return undefined;
    let user = this.tokens.get(token);
    if (user === undefined) {
      user = (await reviewToken(this.o.client, token)) ?? null;
      this.tokens.set(token, user, CACHE_TTL_MS);
    }
    return user ?? undefined;
  }

  private async authorize(user: ReviewedUser, path: string): Promise<boolean> {
    const key = JSON.stringify([user.name, user.uid, user.groups, user.extra, path]);
    let allowed = this.decisions.get(key);
    if (allowed === undefined) {
      allowed = (await reviewAccess(this.o.client, user, { nonResourceAttributes: { path, verb: 'get' } })).allowed;
      this.decisions.set(key, allowed, CACHE_TTL_MS);
    }
    return allowed;
  }

  port(): number {
    return boundPort(this.server);
  }

  async close(): Promise<void> {
    const s = this.server;
    this.server = undefined;
    if (s) await closeServer(s);
  }
}
