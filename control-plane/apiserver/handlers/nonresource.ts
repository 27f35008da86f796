// Requests for no API resource (kube: k8s.io/apiserver/pkg/server/healthz, routes/version.go, routes/openapi.go and
// endpoints/discovery): health checks, the version, the OpenAPI v3 documents and discovery. All are read-only.
import { StatusError } from '../../../api/errors.js';
import { mergeAggregated, mergeGroupList, remoteByGroup, remoteGroup, type RemoteGroupVersion } from '../aggregator/discovery.js';
import { AGGREGATED_DISCOVERY, aggregatedDiscovery, discoveryFor, openapiDocument, openapiIndex, wantsAggregated } from '../discovery.js';
import type { Handler } from '../filters/chain.js';
import { sendJSON } from '../http.js';
import { methodNotAllowed } from '../registry/rest.js';
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

/** A length-delimited protobuf field (wire type 2) holding `bytes`. */
function protoField(n: number, bytes: Buffer): Buffer {
  const len: number[] = [];
  for (let v = bytes.length; ; v >>>= 7) {
    if (v < 0x80) {
      len.push(v);
      break;
    }
    len.push((v & 0x7f) | 0x80);
  }
  return Buffer.concat([Buffer.from([(n << 3) | 2, ...len]), bytes]);
}

/**
 * /openapi/v2, as small as a valid document gets: the swagger version and the info, no paths nor definitions.
 * kubectl reads it only for kinds whose v3 document has no PATCH operation (the review kinds) to learn whether the
 * server validates fields itself; finding nothing there, it creates them without client-side validation. It asks for
 * gnostic's protobuf encoding (Document: swagger = 1, info = 2; Info: title = 1, version = 2).
 */
function openapiV2(accept: string | undefined): { body: Buffer | string; contentType: string } {
  const title = 'Kubernetes';
  if (accept?.includes('protobuf')) {
    const info = Buffer.concat([protoField(1, Buffer.from(title)), protoField(2, Buffer.from(version.gitVersion))]);
    return { body: Buffer.concat([protoField(1, Buffer.from('2.0')), protoField(2, info)]), contentType: 'application/com.github.proto-openapi.spec.v2.v1.0+protobuf' };
  }
  return { body: JSON.stringify({ swagger: '2.0', info: { title, version: version.gitVersion }, paths: {} }), contentType: 'application/json' };
}

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
    const readOnly = p === '/version' || p === '/openapi/v2' || under(p, '/openapi/v3') || disco !== undefined;
    if (readOnly && req.method !== 'GET' && req.method !== 'HEAD') throw methodNotAllowed();
    if (p === '/version') return sendJSON(res, 200, version);
    if (p === '/openapi/v2') {
      const { body, contentType } = openapiV2(req.headers.accept);
      res.writeHead(200, { 'content-type': contentType }).end(body);
      return;
    }
    if (p === '/openapi/v3') return sendJSON(res, 200, openapiIndex(kinds));
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
