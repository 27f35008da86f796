// The Dashboard's web server (kube: kubernetes/dashboard's api and web modules, in one process): HTTPS serving the
// single-page app (index.html made here, the bundled app.js) and a reverse proxy of /api/… and /apis/… to the API
// server. A proxied request carries the caller's own bearer token and nothing of the dashboard's: the API server
// authenticates and authorizes the user, so RBAC decides. Without a token the answer is 401, never a request made as
// the dashboard. Responses stream through as they come (watches, pods/log?follow=true). /healthz for probes.
import fs from 'node:fs';
import https from 'node:https';
import type http from 'node:http';
import { createProxyServer } from 'http-proxy-3';
import { StatusError } from '../../api/errors.js';
import { logger } from '../../api/log.js';
import type { KeyPair } from '../../api/pki.js';

const log = logger('dashboard');

export interface Upstream {
  /** https://host:port of the API server. */
  server: string;
  ca: Buffer | string;
}

/** The headers a caller may not send upstream: the dashboard forwards the user's token and plain request headers only. */
const DROPPED = ['cookie', 'x-remote-user', 'x-remote-group', 'x-remote-extra', 'x-forwarded-for', 'x-forwarded-host', 'x-forwarded-proto'];

export const APP_PATH = '/app.js';

/** The page every app route answers with; app.js renders into #root. */
export function indexHtml(): string {
  return `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>kubets Dashboard</title>
</head>
<body style="margin:0">
<div id="root"></div>
<noscript>The Dashboard needs JavaScript.</noscript>
<script type="module" src="${APP_PATH}"></script>
</body>
</html>
`;
}

const SECURITY_HEADERS = {
  'x-content-type-options': 'nosniff',
  'x-frame-options': 'DENY',
  'referrer-policy': 'no-referrer',
  // Emotion (MUI's styling) adds <style> elements at run time, hence 'unsafe-inline' for styles only.
  'content-security-policy': "default-src 'self'; style-src 'self' 'unsafe-inline'; img-src 'self' data:; connect-src 'self'; frame-ancestors 'none'",
};

function sendStatus(res: http.ServerResponse, e: StatusError): void {
  if (res.headersSent) return void res.destroy();
  res.writeHead(e.code, { 'content-type': 'application/json', ...SECURITY_HEADERS }).end(JSON.stringify(e.toStatus()));
}

/** The caller's bearer token, or undefined. */
export function bearerToken(req: http.IncomingMessage): string | undefined {
  const m = /^Bearer\s+(\S+)\s*$/i.exec(String(req.headers.authorization ?? ''));
  return m?.[1];
}

export function isApiPath(pathname: string): boolean {
  return pathname === '/api' || pathname === '/apis' || pathname.startsWith('/api/') || pathname.startsWith('/apis/');
}

export interface DashboardServer {
  server: https.Server;
  close(): void;
}

export function createDashboardServer(serving: KeyPair, upstream: Upstream, appJs: () => Buffer): DashboardServer {
  // The API server's CA verifies the upstream; the agent holds no client certificate and the dashboard no token.
  const agent = new https.Agent({ ca: upstream.ca, keepAlive: true, maxSockets: 256 });
  const proxy = createProxyServer({ target: upstream.server, agent, secure: true, changeOrigin: true });
  proxy.on('error', (err) => log.debug({ err: (err as Error).message }, 'proxy error'));
  proxy.on('proxyRes', (proxyRes, _req, res) => {
    // Streams stay streams: nothing between here and the browser may hold a chunk back.
    proxyRes.headers['x-accel-buffering'] = 'no';
    proxyRes.headers['cache-control'] ??= 'no-store';
    // The proxy sets the answer's status and headers right after this event; send them at once rather than with the
    // first chunk, so that a watch (or a quiet log follow) is seen to have started before anything happens.
    process.nextTick(() => {
      if (!res.headersSent && !res.writableEnded) res.flushHeaders();
    });
    // An answer the API server breaks off midway (a restart, a lost connection) breaks off for the caller too, who
    // then watches again: the pipe alone would leave the caller's stream open with nothing ever coming.
    proxyRes.on('close', () => {
      if (!proxyRes.complete) res.destroy();
    });
  });
  const index = Buffer.from(indexHtml());

  const server = https.createServer({ cert: serving.certPem, key: serving.keyPem }, (req, res) => {
    const url = new URL(req.url ?? '/', 'https://dashboard');
    if (url.pathname === '/healthz') return void res.writeHead(200, { 'content-type': 'text/plain' }).end('ok');
    if (isApiPath(url.pathname)) {
      const token = bearerToken(req);
      if (!token) return sendStatus(res, new StatusError(401, 'Unauthorized', 'Unauthorized: log in with a bearer token (kubectl create token NAME)'));
      for (const h of DROPPED) delete req.headers[h];
      for (const h of Object.keys(req.headers)) if (h.startsWith('x-remote-extra-')) delete req.headers[h];
      req.headers.authorization = `Bearer ${token}`;
      proxy.web(req, res, {}, (err) => {
        log.debug({ url: req.url, err: (err as Error).message }, 'API server did not answer');
        sendStatus(res, new StatusError(502, 'ServiceUnavailable', `the API server did not answer: ${(err as Error).message}`));
      });
      return;
    }
    if (req.method !== 'GET' && req.method !== 'HEAD') return sendStatus(res, new StatusError(405, 'MethodNotAllowed', `${req.method} is not allowed on ${url.pathname}`));
    if (url.pathname === APP_PATH) {
      let body: Buffer;
      try {
        body = appJs();
      } catch (e) {
        return sendStatus(res, new StatusError(500, 'InternalError', `the app bundle is missing: ${(e as Error).message}`));
      }
      return void res.writeHead(200, { 'content-type': 'text/javascript; charset=utf-8', 'cache-control': 'no-cache', ...SECURITY_HEADERS }).end(req.method === 'HEAD' ? undefined : body);
    }
    // Every other path is a route of the app.
    res.writeHead(200, { 'content-type': 'text/html; charset=utf-8', 'cache-control': 'no-cache', ...SECURITY_HEADERS }).end(req.method === 'HEAD' ? undefined : index);
  });
  return {
    server,
    close: () => {
      proxy.close();
      agent.destroy();
    },
  };
}

/** The bundle beside this module (dist/addons/dashboard/ui/app.js), read once. */
export function bundledApp(file = new URL('./ui/app.js', import.meta.url)): () => Buffer {
  let cached: Buffer | undefined;
  return () => (cached ??= fs.readFileSync(file));
}
