// Requests for no API resource (kube: k8s.io/apiserver/pkg/server/healthz, routes/version.go, routes/openapi.go and
// endpoints/discovery): health checks, the version, the OpenAPI v3 documents and discovery. All are read-only.
import { StatusError } from '../../../api/errors.js';
import { AGGREGATED_DISCOVERY, aggregatedDiscovery, discoveryFor, openapiDocument, openapiIndex, wantsAggregated } from '../discovery.js';
import type { Handler } from '../filters/chain.js';
import { sendJSON } from '../http.js';
import { methodNotAllowed } from '../registry/rest.js';

export interface NonResourceOptions {
  /** Answers /readyz once the store is reachable. */
  ready?: () => Promise<boolean>;
  /** Address and port discovery advertises. */
  advertiseAddress: string;
  port: number;
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

/** The path without trailing slashes. */
const clean = (path: string) => path.replace(/\/+$/, '') || '/';

const under = (p: string, root: string) => p === root || p.startsWith(`${root}/`);

/** /healthz, /livez, /readyz and their individual checks: what an unauthenticated client may ask. */
export function isHealthCheck(path: string): boolean {
  const p = clean(path);
  return under(p, '/healthz') || under(p, '/livez') || under(p, '/readyz');
}

export function nonResourceHandler(opts: NonResourceOptions): Handler {
  return async ({ req, res, url }) => {
    const p = clean(url.pathname);
    if (under(p, '/healthz') || under(p, '/livez')) {
      res.writeHead(200, { 'content-type': 'text/plain' }).end('ok');
      return;
    }
    if (under(p, '/readyz')) {
      const ok = opts.ready ? await opts.ready().catch(() => false) : true;
      res.writeHead(ok ? 200 : 503, { 'content-type': 'text/plain' }).end(ok ? 'ok' : 'not ready');
      return;
    }
    const disco = discoveryFor(p, opts.advertiseAddress, opts.port);
    const readOnly = p === '/version' || under(p, '/openapi/v3') || disco !== undefined;
    if (readOnly && req.method !== 'GET' && req.method !== 'HEAD') throw methodNotAllowed();
    if (p === '/version') return sendJSON(res, 200, version);
    if (p === '/openapi/v3') return sendJSON(res, 200, openapiIndex());
    if (p.startsWith('/openapi/v3/')) {
      const doc = openapiDocument(p.slice('/openapi/v3/'.length));
      if (!doc) throw new StatusError(404, 'NotFound', 'the server could not find the requested resource');
      return sendJSON(res, 200, doc);
    }
    if ((p === '/api' || p === '/apis') && wantsAggregated(req.headers.accept)) return sendJSON(res, 200, aggregatedDiscovery(p), AGGREGATED_DISCOVERY);
    if (disco) return sendJSON(res, 200, disco);
    throw new StatusError(404, 'NotFound', 'the server could not find the requested resource');
  };
}
