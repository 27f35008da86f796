// The API server's HTTPS front (kube: k8s.io/apiserver/pkg/server, genericapiserver.go and config.go's handler
// chain): every request's URL and RequestInfo, the filters, then the non-resource routes or the resource handlers.
// Every error leaves as a Kubernetes Status.
import type { TLSSocket } from 'node:tls';
import https from 'node:https';
import { ServerResponse, type IncomingMessage } from 'node:http';
import type { Socket } from 'node:net';
import type { Duplex } from 'node:stream';
import { StatusError } from '../../api/errors.js';
import { logger } from '../../api/log.js';
import type { Authenticator } from './authentication/index.js';
import type { Authorizer } from './authorization/index.js';
import { authentication } from './filters/authentication.js';
import { authorization } from './filters/authorization.js';
import { withFilters, type Filter } from './filters/chain.js';
import { impersonation } from './filters/impersonation.js';
import { isLongRunning, maxInFlight, requestTimeout, type InFlightLimits } from './filters/limits.js';
import { resourceHandler } from './handlers/dispatch.js';
import { nonResourceHandler, type HealthChecks } from './handlers/nonresource.js';
import type { ServiceAccountTokens } from './authentication/serviceaccount.js';
import { requestURL, sendStatus } from './http.js';
import type { KubeletClientConfig } from './registry/core/kubelet-client.js';
import type { ApiServices } from './registry/rest.js';
import { ServedKinds } from './registry/served.js';
import type { GenericStore, Reads } from './registry/store.js';
import { requestInfo } from './requestinfo.js';
import type { Aggregator } from './aggregator/controller.js';
import { ApiServerMetrics } from './metrics.js';

const log = logger('apiserver');

export interface ApiServerOptions {
  cert: string;
  key: string;
  ca: string;
  store: GenericStore;
  /** What get, list and watch read through: the watch cache, or (without one) the store itself. */
  reads?: Reads;
  authenticator: Authenticator;
  authorizer: Authorizer;
  inFlight?: InFlightLimits;
  /** Named health checks: /healthz/<name>, /livez/<name>, /readyz/<name>, and the ?verbose listing. */
  checks?: { live?: HealthChecks; ready?: HealthChecks };
  /** The service-account issuer's discovery documents (/.well-known/openid-configuration, /openid/v1/jwks). */
  serviceAccounts?: ServiceAccountTokens;
  /** Services the review and token endpoints use (TokenReview, SubjectAccessReview, TokenRequest). */
  services?: ApiServices;
  /** Address the `kubernetes` endpoint and discovery advertise. */
  advertiseAddress: string;
  port: number;
  /** Client certificate for reaching kubelets (pods/log, pods/exec). */
  kubeletClient?: KubeletClientConfig;
  /** The kinds served: the built-in ones, and the custom resources the CRD controller adds. */
  kinds?: ServedKinds;
  /** Remote APIServices: their group-versions are proxied and merged into discovery. */
  aggregator?: Aggregator;
  /** The server's metrics, served on /metrics (a registry of its own when not given). */
  metrics?: ApiServerMetrics;
}

export function createApiServer(opts: ApiServerOptions): https.Server {
  const metrics = opts.metrics ?? new ApiServerMetrics();
  // The filters a request meets, in order.
  const filters: Filter[] = [requestTimeout(), authentication(opts.authenticator), impersonation(opts.authorizer), maxInFlight(opts.inFlight, (r, m) => metrics.setInflight(r, m)), authorization(opts.authorizer)];
  const kinds = opts.kinds ?? new ServedKinds();
  const resources = resourceHandler({ store: opts.store, reads: opts.reads, kinds, kubelet: opts.kubeletClient, services: opts.services });
  const aggregator = opts.aggregator;
  const nonResources = nonResourceHandler({ ...opts, kinds, metrics: metrics.registry, remoteGroupVersions: aggregator && (() => aggregator.remoteGroupVersions()) });
  const handler = withFilters(filters, (ctx) => {
    // A group-version served by a remote APIService goes there (its OpenAPI v3 document too), after authentication
    // and authorization here.
    const remote = aggregator?.remoteFor(ctx.url.pathname);
    if (remote) return aggregator!.proxy(ctx, remote);
    return ctx.info.isResourceRequest ? resources(ctx) : nonResources(ctx);
  });

  async function serve(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const url = requestURL(req);
    const info = requestInfo(req.method ?? 'GET', url);
    // Every request is counted once its response is done, whichever layer answered it.
    metrics.observeRequest(info, req, res, url, isLongRunning(info));
    await handler({ req, res, url, info });
  }

  const server = https.createServer({ cert: opts.cert, key: opts.key, ca: opts.ca, requestCert: true, rejectUnauthorized: false }, (req, res) => {
    serve(req, res).catch((e) => {
      const err = e instanceof StatusError ? e : new StatusError(500, 'InternalError', `Internal error occurred: ${(e as Error).message}`);
      if (!(e instanceof StatusError)) log.error({ err: (e as Error).stack, method: req.method, url: req.url }, 'request failed');
      if (!res.headersSent) sendStatus(res, err);
      else res.end();
    });
  });
  server.keepAliveTimeout = 60_000;
  // A connection's client certificate is fixed for its life (authentication reads it once per connection): refuse
  // TLS 1.2 renegotiation, as Go's TLS server (kube-apiserver's) does.
  server.on('secureConnection', (sock: TLSSocket) => sock.disableRenegotiation());
  // Upgrade requests (pods/exec's WebSocket or SPDY) take the same path as any other — authentication, routing,
  // Status errors — with a response bound to the raw socket; the exec handler then takes the socket over.
  server.on('upgrade', (req: IncomingMessage, socket: Duplex, head: Buffer) => {
    if (head.length) socket.unshift(head);
    socket.on('error', () => socket.destroy());
    const res = new ServerResponse(req);
    res.shouldKeepAlive = false;
    res.assignSocket(socket as Socket);
    res.on('finish', () => socket.end());
    server.emit('request', req, res);
  });
  return server;
}
