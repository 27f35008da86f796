// The kubelet's HTTPS API on :10250, the one the API server calls for `kubectl logs|exec|attach|port-forward`:
//   GET /containerLogs/{namespace}/{pod}/{container}   container logs from the CRI log files (follow, tail, …)
//   GET /exec/{namespace}/{pod}[/{uid}]/{container}    WebSocket upgrade → CRI Exec (see exec.ts)
//   GET /attach/{namespace}/{pod}[/{uid}]/{container}  WebSocket upgrade → CRI Attach (see exec.ts)
//   GET /portForward/{namespace}/{pod}[/{uid}]         SPDY or WebSocket upgrade → CRI PortForward (portforward.ts)
//   GET /stats/summary, /metrics, /metrics/resource, /metrics/cadvisor   node and pod stats (see stats/)
//   GET /healthz
// Callers authenticate and are authorized as auth.ts says (certificates or reviewed tokens, SubjectAccessReview).
// No request, however malformed, may take the agent down: every path answers with a Status. The serving certificate
// is the node's own, signed by a CA the node makes for itself.
import fs from 'node:fs';
import type { IncomingMessage, ServerResponse } from 'node:http';
import https from 'node:https';
import path from 'node:path';
import type { Duplex } from 'node:stream';
import { badRequest, StatusError } from '../../api/errors.js';
import { logger } from '../../api/log.js';
import { createCA, issueCert, type KeyPair } from '../../api/pki.js';
import type { Container as CriContainer, CriClient } from './cri/client.js';
import { KubeletAuth, type Reviewer } from './auth.js';
import { parseExecOptions, rejectUpgrade, serveExec } from './exec.js';
import { parseLogOptions, readContainerLog } from './logs.js';
import { portForwardSandbox, servePortForward } from './portforward.js';
import { kubeletPort } from './node.js';
import { STATS_PATHS, type KubeletStats } from './stats/index.js';
import { Label } from './runtime.js';

const log = logger('kubelet.server');

export type KubeletServerRuntime = Pick<CriClient, 'listContainers' | 'containerStatus' | 'exec' | 'attach' | 'listPodSandbox' | 'portForward'>;

export interface KubeletServerOptions {
  nodeName: string;
  nodeIP: string;
  /** Where the serving certificate is kept (DIR/pki/kubelet.{crt,key}). */
  dataDir: string;
  /** The cluster CA (PEM) that client certificates must chain to. */
  clientCA: string | Buffer;
  runtime: KubeletServerRuntime;
  /** Default 0.0.0.0 (inside the node's network namespace in the lab). */
  bindAddress?: string;
  /** Default 10250; 0 picks a free port (tests). */
  port?: number;
  /** Reviews tokens and access through the API (TokenReview, SubjectAccessReview); without it only system:masters may call. */
  reviewer?: Reviewer;
  /** The serving certificate (issued by the cluster CA through a CSR); without it the node makes its own. */
  serving?: KeyPair;
  /** Serves /stats/summary and the /metrics endpoints; without it they are not found. */
  stats?: KubeletStats;
}

export interface KubeletServer {
  /** The port it listens on. */
  port: number;
  /** Serves a renewed certificate to new connections. */
  setCertificate(kp: KeyPair): void;
  close(): Promise<void>;
}

/** The node's serving certificate, issued by a CA the node makes for itself; re-issued when the node's IP changes. */
async function servingCertificate(dataDir: string, nodeName: string, nodeIP: string): Promise<KeyPair> {
  const dir = path.join(dataDir, 'pki');
  const crt = path.join(dir, 'kubelet.crt');
  const key = path.join(dir, 'kubelet.key');
  const sansFile = path.join(dir, 'kubelet.sans');
  const sans = JSON.stringify({ nodeName, nodeIP });
  if (fs.existsSync(crt) && fs.existsSync(key) && fs.existsSync(sansFile) && fs.readFileSync(sansFile, 'utf8') === sans)
    return { certPem: fs.readFileSync(crt, 'utf8'), keyPem: fs.readFileSync(key, 'utf8') };
  const ca = await createCA(`${nodeName}-ca@${Math.floor(Date.now() / 1000)}`);
  const kp = await issueCert(ca, { commonName: nodeName, ips: [nodeIP, '127.0.0.1'], dnsNames: [nodeName, 'localhost'], server: true });
  fs.mkdirSync(dir, { recursive: true, mode: 0o700 });
  fs.writeFileSync(key, kp.keyPem, { mode: 0o600 });
  const chain = { certPem: kp.certPem + ca.certPem, keyPem: kp.keyPem };
  fs.writeFileSync(crt, chain.certPem);
  fs.writeFileSync(sansFile, sans);
  return chain;
}

const attemptOf = (c: CriContainer) => c.metadata?.attempt ?? 0;

/**
 * The runtime containers of one pod container, newest attempt first. When several pods of that name have existed
 * (delete and re-create), only the newest pod's containers count, unless `uid` names the pod.
 */
export async function containerAttempts(runtime: Pick<CriClient, 'listContainers'>, ns: string, pod: string, container: string, uid?: string): Promise<CriContainer[]> {
  const selector: Record<string, string> = { [Label.podNamespace]: ns, [Label.podName]: pod, [Label.containerName]: container };
  if (uid) selector[Label.podUID] = uid;
  const { containers } = await runtime.listContainers({ filter: { label_selector: selector } });
  if (!containers.length) return [];
  const newest = containers.reduce((a, b) => (b.created_at > a.created_at ? b : a));
  const podUID = newest.labels[Label.podUID];
  return containers.filter((c) => c.labels[Label.podUID] === podUID).sort((a, b) => attemptOf(b) - attemptOf(a) || b.created_at - a.created_at);
}

const waitingToStart = (pod: string, container: string) =>
  badRequest(`container "${container}" in pod "${pod}" is waiting to start: ContainerCreating`);

async function serveLogs(runtime: KubeletServerRuntime, ns: string, pod: string, container: string, q: URLSearchParams, req: IncomingMessage, res: ServerResponse): Promise<void> {
  const opts = parseLogOptions(q);
  const attempts = await containerAttempts(runtime, ns, pod, container);
  if (!attempts.length) throw waitingToStart(pod, container);
  const current = attempts[0];
  const currentStatus = (await runtime.containerStatus({ container_id: current.id })).status;
  let file = currentStatus?.log_path ?? '';
  let target = current;
  if (opts.previous) {
    const prior = attempts.find((c) => attemptOf(c) < attemptOf(current));
    const priorPath = prior ? (await runtime.containerStatus({ container_id: prior.id })).status?.log_path : undefined;
    // Exited containers may have been collected; their log files stay beside the current one, named by attempt.
    const besides = file ? path.join(path.dirname(file), `${attemptOf(current) - 1}.log`) : '';
    file = priorPath || (attemptOf(current) > 0 && fs.existsSync(besides) ? besides : '');
    if (!file) throw badRequest(`previous terminated container "${container}" in pod "${pod}" not found`);
    if (prior) target = prior;
  }
  const following = opts.follow && !opts.previous;
  res.writeHead(200, { 'content-type': 'text/plain', 'transfer-encoding': 'chunked', 'cache-control': 'no-cache, private' });
  res.flushHeaders();
  if (!file || !fs.existsSync(file)) return void res.end();

  const abort = new AbortController();
  res.on('close', () => abort.abort());
  const sink = {
    write: (chunk: Buffer) =>
      new Promise<boolean>((resolve) => {
        if (res.destroyed) return resolve(false);
        if (res.write(chunk)) resolve(true);
        else res.once('drain', () => resolve(true));
      }),
  };
  const isRunning = async () => {
    const s = (await runtime.containerStatus({ container_id: target.id }).catch(() => undefined))?.status;
    return s?.state === 'CONTAINER_RUNNING' || s?.state === 'CONTAINER_CREATED';
  };
  try {
    await readContainerLog(file, { ...opts, follow: following }, sink, { isRunning, signal: abort.signal });
  } finally {
    res.end();
  }
}

/** The running container an exec goes into. */
async function execTarget(runtime: KubeletServerRuntime, ns: string, pod: string, container: string, uid?: string): Promise<string> {
  const attempts = await containerAttempts(runtime, ns, pod, container, uid);
  if (!attempts.length) throw waitingToStart(pod, container);
  const running = attempts.find((c) => c.state === 'CONTAINER_RUNNING');
  if (!running) throw badRequest(`container "${container}" in pod "${pod}" is not running`);
  return running.id;
}

interface Route {
  kind: 'logs' | 'exec' | 'attach' | 'portForward' | 'healthz';
  ns?: string;
  pod?: string;
  uid?: string;
  container?: string;
}

/** The request's URL; a malformed one is the client's mistake (400), never an exception that escapes. */
function requestURL(req: IncomingMessage): URL {
  try {
    return new URL(`https://kubelet${req.url?.startsWith('/') ? req.url : `/${req.url ?? ''}`}`);
  } catch {
    throw badRequest('malformed request URI');
  }
}

function route(pathname: string): Route | undefined {
  const segs = pathname.split('/').filter(Boolean).map((s) => {
    try {
      return decodeURIComponent(s);
    } catch {
      throw badRequest(`malformed escape in the request path: ${s}`);
    }
  });
  if (segs.length === 1 && segs[0] === 'healthz') return { kind: 'healthz' };
  if (segs[0] === 'containerLogs' && segs.length === 4) return { kind: 'logs', ns: segs[1], pod: segs[2], container: segs[3] };
  for (const kind of ['exec', 'attach'] as const) {
    if (segs[0] === kind && segs.length === 4) return { kind, ns: segs[1], pod: segs[2], container: segs[3] };
    if (segs[0] === kind && segs.length === 5) return { kind, ns: segs[1], pod: segs[2], uid: segs[3], container: segs[4] };
  }
  if (segs[0] === 'portForward' && (segs.length === 3 || segs.length === 4)) return { kind: 'portForward', ns: segs[1], pod: segs[2], uid: segs[3] };
  return undefined;
}

const notFoundPath = () => new StatusError(404, 'NotFound', 'the server could not find the requested resource');

export async function startKubeletServer(opts: KubeletServerOptions): Promise<KubeletServer> {
  const { runtime } = opts;
  const serving = opts.serving ?? (await servingCertificate(opts.dataDir, opts.nodeName, opts.nodeIP));
  const server = https.createServer({ cert: serving.certPem, key: serving.keyPem, ca: opts.clientCA, requestCert: true, rejectUnauthorized: false });
  const sockets = new Set<Duplex>();

  const auth = new KubeletAuth(opts.nodeName, opts.reviewer);
  /** Authenticates and authorizes the request for its path; throws 401/403 StatusErrors. */
  const admit = async (req: IncomingMessage, url: URL) => auth.authorize(await auth.authenticate(req), req.method ?? 'GET', url.pathname);

  server.on('request', (req: IncomingMessage, res: ServerResponse) => {
    res.on('error', () => res.destroy());
    (async () => {
      const url = requestURL(req);
      if (url.pathname === '/healthz') return void res.writeHead(200, { 'content-type': 'text/plain' }).end('ok');
      await admit(req, url);
      if (opts.stats && STATS_PATHS.includes(url.pathname)) {
        if (req.method !== 'GET' && req.method !== 'HEAD') throw new StatusError(405, 'MethodNotAllowed', 'the server does not allow this method on the requested resource');
        return opts.stats.serve(url.pathname, url.searchParams, res);
      }
      const r = route(url.pathname);
      if (!r || r.kind === 'healthz') throw notFoundPath();
      if (req.method !== 'GET' && req.method !== 'POST') throw new StatusError(405, 'MethodNotAllowed', 'the server does not allow this method on the requested resource');
      if (r.kind === 'logs') return serveLogs(runtime, r.ns!, r.pod!, r.container!, url.searchParams, req, res);
      // A stream without an upgrade: validate as for a real one so the error the client sees is the useful one.
      if (r.kind === 'portForward') await portForwardSandbox(runtime, r.ns!, r.pod!, r.uid);
      else {
        parseExecOptions(url.searchParams, r.kind === 'attach');
        await execTarget(runtime, r.ns!, r.pod!, r.container!, r.uid);
      }
      throw badRequest('Upgrade request required');
    })().catch((e) => {
      const err = e instanceof StatusError ? e : new StatusError(500, 'InternalError', (e as Error).message);
      if (!(e instanceof StatusError)) log.warn({ err: (e as Error).message, url: req.url }, 'kubelet request failed');
      if (res.headersSent) return void res.end();
      const body = JSON.stringify(err.toStatus());
      res.writeHead(err.code, { 'content-type': 'application/json', 'content-length': Buffer.byteLength(body) }).end(body);
    });
  });

  server.on('upgrade', (req: IncomingMessage, socket: Duplex, head: Buffer) => {
    sockets.add(socket);
    socket.on('close', () => sockets.delete(socket));
    socket.on('error', () => socket.destroy());
    (async () => {
      const url = requestURL(req);
      await admit(req, url);
      const r = route(url.pathname);
      if (r?.kind === 'portForward') return servePortForward(req, socket, head, runtime, await portForwardSandbox(runtime, r.ns!, r.pod!, r.uid), url.searchParams);
      if (r?.kind !== 'exec' && r?.kind !== 'attach') throw notFoundPath();
      const execOpts = parseExecOptions(url.searchParams, r.kind === 'attach');
      const id = await execTarget(runtime, r.ns!, r.pod!, r.container!, r.uid);
      await serveExec(req, socket, head, runtime, id, execOpts);
    })().catch((e) => {
      const err = e instanceof StatusError ? e : new StatusError(500, 'InternalError', (e as Error).message);
      if (!(e instanceof StatusError)) log.warn({ err: (e as Error).message, url: req.url }, 'kubelet stream failed');
      rejectUpgrade(socket, err);
    });
  });

  const bind = opts.bindAddress ?? '0.0.0.0';
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(opts.port ?? kubeletPort, bind, () => {
      server.off('error', reject);
      resolve();
    });
  });
  const port = (server.address() as { port: number }).port;
  log.info({ address: `${bind}:${port}` }, 'kubelet server listening');

  let closing: Promise<void> | undefined;
  return {
    port,
    setCertificate: (kp) => server.setSecureContext({ cert: kp.certPem, key: kp.keyPem, ca: opts.clientCA }),
    close: () =>
      (closing ??= new Promise<void>((resolve) => {
        server.close(() => resolve());
        server.closeAllConnections();
        for (const s of sockets) s.destroy();
      })),
  };
}
