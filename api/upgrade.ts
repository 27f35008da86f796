// Relaying an HTTP upgrade (kube: k8s.io/apimachinery/pkg/util/proxy UpgradeAwareHandler), as the API server does
// towards a kubelet and a kubelet towards its runtime's stream server: the client's upgrade headers go on, the
// upstream's 101 comes back as it was sent, and the two connections are then piped together byte for byte.
import type { IncomingMessage } from 'node:http';
import type { Duplex } from 'node:stream';

/** Headers of an upgrade request the upstream needs to answer it. */
const UPGRADE_HEADERS = new Set(['connection', 'upgrade', 'sec-websocket-key', 'sec-websocket-version', 'sec-websocket-protocol', 'x-stream-protocol-version']);

/**
 * The client's upgrade headers as raw (name, value) pairs: a header sent several times (SPDY clients send one
 * X-Stream-Protocol-Version per protocol they speak) stays several headers. WebSocket extensions (permessage-deflate)
 * stay out: they are between the client and the end that answers, which speaks none. Host names the upstream.
 */
export function upgradeHeaders(req: IncomingMessage, upstreamHost: string): string[] {
  // Node adds no Host header to raw pairs, and an HTTP/1.1 server may refuse a request without one (Go's does).
  const out: string[] = ['Host', upstreamHost];
  for (let i = 0; i < req.rawHeaders.length; i += 2) if (UPGRADE_HEADERS.has(req.rawHeaders[i].toLowerCase())) out.push(req.rawHeaders[i], req.rawHeaders[i + 1]);
  return out;
}

/** The 101 head as the upstream sent it, for the client. */
export function switchingHead(up: IncomingMessage): string {
  const lines = [`HTTP/1.1 101 ${up.statusMessage || 'Switching Protocols'}`];
  for (let i = 0; i < up.rawHeaders.length; i += 2) lines.push(`${up.rawHeaders[i]}: ${up.rawHeaders[i + 1]}`);
  return lines.join('\r\n') + '\r\n\r\n';
}

/** Two connections piped both ways; either ending or failing ends both. */
export function pipeSockets(a: Duplex, b: Duplex): void {
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

/** The client's connection joined to an upstream's that answered 101: its head passed on, then both piped together. */
export function joinUpgraded(client: Duplex, up: IncomingMessage, socket: Duplex, head: Buffer, clientHead?: Buffer): void {
  client.write(switchingHead(up));
  if (head.length) client.write(head);
  if (clientHead?.length) socket.write(clientHead);
  pipeSockets(client, socket);
}
