// Requests for no API resource (kube: k8s.io/apiserver/pkg/server/healthz, routes/version.go, routes/openapi.go,
// routes/metrics.go and endpoints/discovery): health checks, the version, the OpenAPI v2 and v3 documents, the metrics
// and discovery. All are read-only.
import type { Registry } from 'prom-client';
import { StatusError } from '../../../api/errors.js';
import { mergeAggregated, mergeGroupList, mergeOpenAPIIndex, remoteByGroup, remoteGroup, type RemoteGroupVersion } from '../aggregator/discovery.js';
import { AGGREGATED_DISCOVERY, aggregatedDiscovery, discoveryFor, openapiDocument, openapiIndex, wantsAggregated } from '../discovery.js';
import type { Handler } from '../filters/chain.js';
import { sendJSON } from '../http.js';
import { kinds as builtin } from '../registry/kinds.js';
import { methodNotAllowed } from '../registry/rest.js';
import { swagger } from '../openapi/index.js';
import type { ServedKinds } from '../registry/served.js';

/** Named checks: each resolves when healthy and rejects with the reason when not. */
export type HealthChecks = Record<string, () => Promise<void>>;

export interface NonResourceOptions {
  /** Checks of /livez (liveness) and /readyz (readiness, which adds its own); /healthz runs them all. */
  checks?: { live?: HealthChecks; ready?: HealthChecks };
  /** The service-account issuer's OIDC discovery documents. */
  serviceAccounts?: { openidConfiguration(): unknown; jwks(): unknown };
  /** Address and port discovery advertises. */
  advertiseAddress: string;
  port: number;
  /** The kinds discovery lists and the OpenAPI documents describe; the built-in ones when unset. */
  kinds?: ServedKinds;
  /** The aggregated group-versions discovery merges in (the aggregator's remote APIServices). */
  remoteGroupVersions?: () => RemoteGroupVersion[];
  /** The server's metrics, in Prometheus text on /metrics. */
  metrics?: Registry;
}

const version = {
  major: '1',
  minor: '32',
  gitVersion: 'v1.32.0-kubets',
  gitCommit: 'kubets',
  gitTreeState: 'clean',
  buildDate: '2026-11-01T00:00:00Z',
  goVersion: `node${process.versions.node}`,
  compiler: 'tsc',
  platform: `linux/${process.arch === 'x64' ? 'amd64' : process.arch}`,
};

/**
 * gnostic's protobuf encoding of /openapi/v2. client-go asks for it by its old name (`…spec.v2@v1.0+protobuf`), which
 * Go's mime parser refuses in a Content-Type, so kube-openapi answers with the name spelt with a dot.
 */
const OPENAPI_V2_PROTOBUF = 'application/com.github.proto-openapi.spec.v2.v1.0+protobuf';

/** The path without trailing slashes. */
const clean = (path: string) => path.replace(/\/+$/, '') || '/';

const under = (p: string, root: string) => p === root || p.startsWith(`${root}/`);

/**
 * kube-apiserver's health endpoints (k8s.io/apiserver/pkg/server/healthz): "ok", or one line per check with
 * ?verbose or on failure ("[+]etcd ok", "[-]etcd failed: reason withheld"), and /<endpoint>/<check> for one check.
 * ?exclude=<check> leaves checks out.
 */
async function runChecks(name: string, checks: HealthChecks, only: string, q: URLSearchParams): Promise<{ code: number; text: string }> {
  if (only) {
    const check = Object.hasOwn(checks, only) ? checks[only] : undefined;
    if (!check) return { code: 404, text: '404 page not found\n' };
    try {
      await check();
      return { code: 200, text: 'ok' };
    } catch (e) {
      return { code: 500, text: `internal server error: ${(e as Error).message}\n` };
    }
  }
  const excluded = new Set(q.getAll('exclude'));
  const lines: string[] = [];
  let failed = false;
  for (const [check, run] of Object.entries(checks)) {
    if (excluded.has(check)) {
      lines.push(`[+]${check} excluded: ok`);
      continue;
    }
    try {
      await run();
      lines.push(`[+]${check} ok`);
    } catch {
      failed = true;
      lines.push(`[-]${check} failed: reason withheld`);
    }
  }
  if (!failed && !q.has('verbose')) return { code: 200, text: 'ok' };
  return { code: failed ? 500 : 200, text: `${lines.join('\n')}\n${name} check ${failed ? 'failed' : 'passed'}\n` };
}

export function nonResourceHandler(opts: NonResourceOptions): Handler {
  return async ({ req, res, url }) => {
    const p = clean(url.pathname);
    const kinds = opts.kinds?.list();
    for (const root of ['/healthz', '/livez', '/readyz'] as const) {
      if (!under(p, root)) continue;
      const live = { ping: async () => {}, ...(opts.checks?.live ?? {}) };
      const checks = root === '/livez' ? live : { ...live, ...(opts.checks?.ready ?? {}) };
      const { code, text } = await runChecks(root.slice(1), checks, p.slice(root.length + 1), url.searchParams);
      res.writeHead(code, { 'content-type': 'text/plain; charset=utf-8', 'x-content-type-options': 'nosniff', 'cache-control': 'no-cache, private' }).end(text);
      return;
    }
    if (opts.serviceAccounts && (p === '/.well-known/openid-configuration' || p === '/openid/v1/jwks')) {
      if (req.method !== 'GET' && req.method !== 'HEAD') throw methodNotAllowed();
      return sendJSON(res, 200, p === '/openid/v1/jwks' ? opts.serviceAccounts.jwks() : opts.serviceAccounts.openidConfiguration(), p === '/openid/v1/jwks' ? 'application/jwk-set+json' : 'application/json');
    }
    const remote = opts.remoteGroupVersions?.() ?? [];
    let disco = discoveryFor(p, opts.advertiseAddress, opts.port, kinds);
    if (p === '/apis' && disco) disco = mergeGroupList(disco, remote);
    const remoteGroupPath = /^\/apis\/([^/]+)$/.exec(p);
    if (!disco && remoteGroupPath) {
      const versions = remoteByGroup(remote).get(remoteGroupPath[1]);
      if (versions) disco = remoteGroup(remoteGroupPath[1], versions);
    }
    const readOnly = p === '/version' || p === '/metrics' || p === '/openapi/v2' || under(p, '/openapi/v3') || disco !== undefined;
    if (readOnly && req.method !== 'GET' && req.method !== 'HEAD') throw methodNotAllowed();
    if (p === '/version') return sendJSON(res, 200, version);
    if (p === '/metrics' && opts.metrics) {
      const body = await opts.metrics.metrics();
      res.writeHead(200, { 'content-type': opts.metrics.contentType }).end(req.method === 'HEAD' ? undefined : body);
      return;
    }
    if (p === '/openapi/v2') {
      // kube-openapi's handler: protobuf when asked for, else JSON; an ETag of the content, 304 when it matches.
      const doc = swagger(kinds ?? builtin);
      const headers = { etag: doc.etag, vary: 'Accept', 'cache-control': 'no-cache, private' };
      if (req.headers['if-none-match'] === doc.etag) return void res.writeHead(304, headers).end();
      const pb = req.headers.accept?.includes('protobuf');
      res.writeHead(200, { ...headers, 'content-type': pb ? OPENAPI_V2_PROTOBUF : 'application/json' }).end(req.method === 'HEAD' ? undefined : pb ? doc.protobuf : doc.json);
      return;
    }
    // The aggregated group-versions' documents are listed here and proxied to their servers (server.ts).
    if (p === '/openapi/v3') return sendJSON(res, 200, mergeOpenAPIIndex(openapiIndex(kinds), remote));
    if (p.startsWith('/openapi/v3/')) {
      const doc = openapiDocument(p.slice('/openapi/v3/'.length), kinds);
      if (!doc) throw new StatusError(404, 'NotFound', 'the server could not find the requested resource');
      return sendJSON(res, 200, doc);
    }
    if ((p === '/api' || p === '/apis') && wantsAggregated(req.headers.accept)) return sendJSON(res, 200, p === '/apis' ? mergeAggregated(aggregatedDiscovery(p, kinds), remote) : aggregatedDiscovery(p, kinds), AGGREGATED_DISCOVERY);
    if (disco) return sendJSON(res, 200, disco);
    throw new StatusError(404, 'NotFound', 'the server could not find the requested resource');
  };
}
