// pods/log, pods/exec, pods/attach and pods/portforward (kube: pkg/registry/core/pod/rest/log.go and subresources.go):
// the API server finds the pod's node and relays to that node's kubelet on :10250. Logs stream through (so `kubectl
// logs -f` follows); the others are upgraded connections — the client's handshake goes on to the kubelet, and once it
// answers 101 the two sockets are piped together (or, for a port-forward tunnelled over WebSocket, bridged).
import type { EventEmitter } from 'node:events';
import type { ClientRequest, IncomingMessage, ServerResponse } from 'node:http';
import type { Duplex } from 'node:stream';
import { badRequest } from '../../../../api/errors.js';
import { joinUpgraded, upgradeHeaders } from '../../../../api/upgrade.js';
import { handshakeResponse, isWebSocketRequest, offeredProtocols, WebSocketConnection } from '../../../../api/websocket.js';
import { logger } from '../../../../api/log.js';
import type { Pod } from '../../../../api/types.js';
import { methodNotAllowed, type Subresource, type SubresourceRequest } from '../rest.js';
import { kubeletAddress, kubeletConfig, kubeletError, kubeletRequest, type KubeletAddress } from './kubelet-client.js';

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

/**
 * Joins the client's upgrade to the kubelet's: `open(upgraded)` sends the request on; its 101 is `upgraded`'s to
 * handle, a refusal (a Status from the kubelet) is passed on as it is.
 */
function relayUpgrade(r: SubresourceRequest, addr: KubeletAddress, path: string, headers: string[], upgraded: (up: IncomingMessage, kubeletSocket: Duplex, head: Buffer) => void): Promise<void> {
  const { req, res } = r;
  const client = req.socket as Duplex;
  return new Promise<void>((resolve, reject) => {
    const upstream = kubeletRequest(kubeletConfig(r.kubelet), addr, path, 'GET', headers);
    const gone = () => upstream.destroy();
    client.once('close', gone);
    upstream.on('timeout', () => upstream.destroy(new Error('timeout awaiting response headers')));
    upstream.on('upgrade', (up, kubeletSocket, head) => {
      client.off('close', gone);
      upstream.setTimeout(0);
      kubeletSocket.setTimeout(0);
      upgraded(up, kubeletSocket, head);
      resolve();
    });
    upstream.on('response', (up) => {
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

const isUpgrade = (req: IncomingMessage) => (req as IncomingMessage & { upgrade?: boolean }).upgrade === true;

/** pods/exec and pods/attach: the client's WebSocket goes on to the kubelet's /exec or /attach. */
function streamTo(kind: 'exec' | 'attach') {
  return async (r: SubresourceRequest): Promise<void> => {
    const { store, def, namespace, name, method, query: q, req } = r;
    if (method !== 'GET' && method !== 'POST') throw methodNotAllowed();
    const pod = (await store.get(def, namespace, name)) as Pod;
    const container = resolveContainer(pod, q.get('container'));
    if (!pod.spec.nodeName) throw badRequest(`pod ${pod.metadata.name} does not have a host assigned`);
    const cs = containerStatus(pod, container);
    if (cs?.state?.waiting) throw badRequest(waitingMessage(pod, container, cs.state.waiting.reason));
    if (!isUpgrade(req)) throw badRequest('Upgrade request required');
    const addr = await kubeletAddress(store, pod.spec.nodeName);
    const path = `/${kind}/${enc(namespace!)}/${enc(name)}/${enc(pod.metadata.uid ?? '')}/${enc(container)}${query(q, ['container', 'pretty'])}`;
    await relayUpgrade(r, addr, path, upgradeHeaders(req, `${addr.host}:${addr.port}`), (up, kubeletSocket, head) => {
      joinUpgraded(req.socket as Duplex, up, kubeletSocket, head);
      log.debug({ pod: `${namespace}/${name}`, container, node: pod.spec.nodeName }, `${kind} stream relayed`);
    });
  };
}

/**
 * kubectl's WebSocket port-forward (client-go's tunnelling dialer): SPDY frames carried in the binary messages of a
 * WebSocket whose subprotocol names the SPDY protocol inside. kube-apiserver (streamtunnel.go) answers the WebSocket
 * itself, upgrades to the kubelet with SPDY, and carries the bytes between the two.
 */
export const PORT_FORWARD_TUNNEL_PROTOCOL = 'SPDY/3.1+portforward.k8s.io';

/** pods/portforward: a SPDY (or the kubelet's WebSocket) upgrade relayed to the kubelet's /portForward, or tunnelled. */
async function servePortForward(r: SubresourceRequest): Promise<void> {
  const { store, def, namespace, name, method, query: q, req } = r;
  if (method !== 'GET' && method !== 'POST') throw methodNotAllowed();
  const pod = (await store.get(def, namespace, name)) as Pod;
  if (!pod.spec.nodeName) throw badRequest(`pod ${pod.metadata.name} does not have a host assigned`);
  if (!isUpgrade(req)) throw badRequest('Upgrade request required');
  const addr = await kubeletAddress(store, pod.spec.nodeName);
  const path = `/portForward/${enc(namespace!)}/${enc(name)}${query(q, ['pretty'])}`;
  const client = req.socket as Duplex;
  if (!(isWebSocketRequest(req) && offeredProtocols(req).includes(PORT_FORWARD_TUNNEL_PROTOCOL))) {
    return relayUpgrade(r, addr, path, upgradeHeaders(req, `${addr.host}:${addr.port}`), (up, kubeletSocket, head) => joinUpgraded(client, up, kubeletSocket, head));
  }
  const spdy = ['Connection', 'Upgrade', 'Upgrade', 'SPDY/3.1', 'X-Stream-Protocol-Version', 'portforward.k8s.io'];
  await relayUpgrade(r, addr, path, spdy, (_up, kubeletSocket, head) => {
    client.write(handshakeResponse(req, PORT_FORWARD_TUNNEL_PROTOCOL));
    const ws = new WebSocketConnection(client);
    ws.on('message', (m: Buffer) => kubeletSocket.write(m));
    if (head.length) ws.send(head);
    kubeletSocket.on('data', (d: Buffer) => ws.send(d));
    kubeletSocket.on('error', () => kubeletSocket.destroy());
    kubeletSocket.on('close', () => ws.close(1000));
    ws.on('close', () => kubeletSocket.destroy());
    log.debug({ pod: `${namespace}/${name}`, node: pod.spec.nodeName }, 'port-forward tunnelled over WebSocket');
  });
}

export const podLog: Subresource = { connect: true, serve: serveLog };
export const podExec: Subresource = { connect: true, serve: streamTo('exec') };
export const podAttach: Subresource = { connect: true, serve: streamTo('attach') };
export const podPortForward: Subresource = { connect: true, serve: servePortForward };
