// pods/log and pods/exec (kube: pkg/registry/core/pod/rest/log.go and subresources.go): the API server finds the
// pod's node and relays to that node's kubelet on :10250. Logs stream through (so `kubectl logs -f` follows); exec is
// an upgraded connection — the client's WebSocket handshake goes on to the kubelet, and once it answers 101 the two
// sockets are piped together.
import type { EventEmitter } from 'node:events';
import type { ClientRequest, IncomingMessage, ServerResponse } from 'node:http';
import type { Duplex } from 'node:stream';
import { badRequest } from '../../../../api/errors.js';
import { logger } from '../../../../api/log.js';
import type { Pod } from '../../../../api/types.js';
import { methodNotAllowed, type Subresource, type SubresourceRequest } from '../rest.js';
import { kubeletAddress, kubeletConfig, kubeletError, kubeletRequest } from './kubelet-client.js';

const log = logger('apiserver.podproxy');

type ContainerStatus = NonNullable<NonNullable<Pod['status']>['containerStatuses']>[number];

/** The container a request names, or the pod's only one; kube-apiserver's wording for the mistakes. */
export function resolveContainer(pod: Pod, wanted: string | null): string {
  const name = pod.metadata.name ?? '';
  const containers = pod.spec.containers.map((c) => c.name);
  const inits = (pod.spec.initContainers ?? []).map((c) => c.name);
  const ephemeral = ((pod.spec as { ephemeralContainers?: { name: string }[] }).ephemeralContainers ?? []).map((c) => c.name);
  if (wanted) {
    if ([...containers, ...inits, ...ephemeral].includes(wanted)) return wanted;
    throw badRequest(`container ${wanted} is not valid for pod ${name}`);
  }
  if (containers.length === 1) return containers[0];
  let msg = `a container name must be specified for pod ${name}, choose one of: [${containers.join(' ')}]`;
  if (inits.length) msg += ` or one of the init containers: [${inits.join(' ')}]`;
  throw badRequest(msg);
}

function containerStatus(pod: Pod, container: string): ContainerStatus | undefined {
  const s = pod.status ?? {};
  return [...(s.containerStatuses ?? []), ...(s.initContainerStatuses ?? [])].find((c) => c.name === container);
}

const waitingMessage = (pod: Pod, container: string, reason: string | undefined) =>
  `container "${container}" in pod "${pod.metadata.name}" is waiting to start: ${reason || 'ContainerCreating'}`;

/** Relays a kubelet's non-upgrade answer (body streamed) to the client. */
function relayResponse(up: IncomingMessage, res: ServerResponse): void {
  const headers: Record<string, string> = { 'cache-control': 'no-cache, private' };
  const ct = up.headers['content-type'];
  if (ct) headers['content-type'] = ct;
  if (up.headers['content-length']) headers['content-length'] = up.headers['content-length'];
  else headers['transfer-encoding'] = 'chunked';
  res.writeHead(up.statusCode ?? 502, headers);
  res.flushHeaders();
  up.pipe(res);
}

const query = (q: URLSearchParams, drop: string[]) => {
  const out = new URLSearchParams();
  for (const [k, v] of q) if (!drop.includes(k)) out.append(k, v);
  const s = out.toString();
  return s ? `?${s}` : '';
};

const enc = encodeURIComponent;

async function serveLog(r: SubresourceRequest): Promise<void> {
  const { store, def, namespace, name, method, query: q, req, res } = r;
  if (method !== 'GET') throw methodNotAllowed();
  const pod = (await store.get(def, namespace, name)) as Pod;
  const container = resolveContainer(pod, q.get('container'));
  const previous = q.get('previous') === 'true';
  if (!pod.spec.nodeName) {
    // Not on a node yet: no logs, as kube-apiserver answers.
    res.writeHead(200, { 'content-type': 'text/plain', 'content-length': 0 }).end();
    return;
  }
  const cs = containerStatus(pod, container);
  if (previous && cs && !cs.lastState?.terminated) throw badRequest(`previous terminated container "${container}" in pod "${pod.metadata.name}" not found`);
  if (!previous && cs?.state?.waiting && !cs.lastState?.terminated) throw badRequest(waitingMessage(pod, container, cs.state.waiting.reason));
  const cfg = kubeletConfig(r.kubelet);
  const addr = await kubeletAddress(store, pod.spec.nodeName);
  const path = `/containerLogs/${enc(namespace!)}/${enc(name)}/${enc(container)}${query(q, ['container', 'insecureSkipTLSVerifyBackend', 'pretty'])}`;
  const upstream = kubeletRequest(cfg, addr, path, 'GET');
  const done = relayed(upstream, { res, closers: [req, res], respond: (up) => relayResponse(up, res), failure: (e) => kubeletError(addr, path, e) });
  upstream.end();
  await done;
}

/**
 * Waits out a relayed request. The answer's head ends the timeout (a body — a log follow — can last for hours) and
 * `respond` streams it to `res`; with `client`, a 101 joins the client's connection to the upstream's. A failure
 * before the answer began is `failure(e)`, the request's Status; after, the stream just ends. Any of `closers` closing
 * abandons the request.
 */
export function relayed(
  upstream: ClientRequest,
  o: { res: ServerResponse; closers: EventEmitter[]; client?: Duplex; respond: (up: IncomingMessage) => void; failure: (e: Error) => Error },
): Promise<void> {
  const { res, client } = o;
  return new Promise<void>((resolve, reject) => {
    const gone = () => upstream.destroy();
    for (const c of o.closers) c.on('close', gone);
    upstream.on('timeout', () => upstream.destroy(new Error('timeout awaiting response headers')));
    if (client)
      upstream.on('upgrade', (up, socket, head) => {
        for (const c of o.closers) c.off('close', gone);
        upstream.setTimeout(0);
        socket.setTimeout(0);
        joinUpgraded(client, up, socket, head);
        resolve();
      });
    upstream.on('response', (up) => {
      upstream.setTimeout(0);
      o.respond(up);
      up.on('end', resolve);
      up.on('close', resolve);
    });
    upstream.on('error', (e) => {
      if (!res.headersSent) return reject(o.failure(e));
      res.destroy();
      resolve();
    });
  });
}

/** Headers of the client's upgrade request that the kubelet needs to answer it. */
const UPGRADE_HEADERS = ['connection', 'upgrade', 'sec-websocket-key', 'sec-websocket-version', 'sec-websocket-protocol', 'sec-websocket-extensions', 'x-stream-protocol-version'];

function upgradeHeaders(req: IncomingMessage): Record<string, string> {
  const out: Record<string, string> = {};
  for (const h of UPGRADE_HEADERS) {
    const v = req.headers[h];
    if (v !== undefined) out[h] = Array.isArray(v) ? v.join(', ') : v;
  }
  // Extensions (permessage-deflate) are between the client and the kubelet's WebSocket, which speaks none.
  delete out['sec-websocket-extensions'];
  return out;
}

/** The 101 head as the upstream sent it, for the client. */
function switchingHead(up: IncomingMessage): string {
  const lines = [`HTTP/1.1 101 ${up.statusMessage || 'Switching Protocols'}`];
  for (let i = 0; i < up.rawHeaders.length; i += 2) lines.push(`${up.rawHeaders[i]}: ${up.rawHeaders[i + 1]}`);
  return lines.join('\r\n') + '\r\n\r\n';
}

/** The client's connection joined to an upstream's that answered 101: its head passed on, then both piped together. */
function joinUpgraded(client: Duplex, up: IncomingMessage, socket: Duplex, head: Buffer): void {
  client.write(switchingHead(up));
  if (head.length) client.write(head);
  pipeSockets(client, socket);
}

function pipeSockets(a: Duplex, b: Duplex): void {
  const done = () => {
    a.destroy();
    b.destroy();
  };
  a.on('error', done);
  b.on('error', done);
  a.on('close', done);
  b.on('close', done);
  a.pipe(b);
  b.pipe(a);
}

async function serveExec(r: SubresourceRequest): Promise<void> {
  const { store, def, namespace, name, method, query: q, req, res } = r;
  if (method !== 'GET' && method !== 'POST') throw methodNotAllowed();
  const pod = (await store.get(def, namespace, name)) as Pod;
  const container = resolveContainer(pod, q.get('container'));
  if (!pod.spec.nodeName) throw badRequest(`pod ${pod.metadata.name} does not have a host assigned`);
  const cs = containerStatus(pod, container);
  if (cs?.state?.waiting) throw badRequest(waitingMessage(pod, container, cs.state.waiting.reason));
  if (!(req as IncomingMessage & { upgrade?: boolean }).upgrade) throw badRequest('Upgrade request required');
  const cfg = kubeletConfig(r.kubelet);
  const addr = await kubeletAddress(store, pod.spec.nodeName);
  const path = `/exec/${enc(namespace!)}/${enc(name)}/${enc(pod.metadata.uid ?? '')}/${enc(container)}${query(q, ['container', 'pretty'])}`;
  const client = req.socket as Duplex;
  await new Promise<void>((resolve, reject) => {
    const upstream = kubeletRequest(cfg, addr, path, 'GET', upgradeHeaders(req));
    const gone = () => upstream.destroy();
    client.once('close', gone);
    upstream.on('timeout', () => upstream.destroy(new Error('timeout awaiting response headers')));
    upstream.on('upgrade', (up, kubeletSocket, head) => {
      client.off('close', gone);
      upstream.setTimeout(0);
      kubeletSocket.setTimeout(0);
      joinUpgraded(client, up, kubeletSocket, head);
      log.debug({ pod: `${namespace}/${name}`, container, node: pod.spec.nodeName }, 'exec stream relayed');
      resolve();
    });
    upstream.on('response', (up) => {
      // The kubelet refused (a Status error): pass it on as it is.
      relayResponse(up, res);
      up.on('end', resolve);
      up.on('close', resolve);
    });
    upstream.on('error', (e) => {
      if (!res.headersSent) return reject(kubeletError(addr, path, e));
      resolve();
    });
    upstream.end();
  });
}

export const podLog: Subresource = { connect: true, serve: serveLog };
export const podExec: Subresource = { connect: true, serve: serveExec };
