// `kubectl port-forward` on the node (kube: pkg/kubelet/server/server.go getPortForward, with the CRI stream server
// proxied rather than redirected to): CRI PortForward answers with a URL on containerd's stream server, which dials
// into the sandbox's network namespace; the client's upgrade (SPDY `portforward.k8s.io`, or containerd's WebSocket
// variant) is relayed to that URL and the two connections joined.
import http from 'node:http';
import type { IncomingMessage } from 'node:http';
import type { Duplex } from 'node:stream';
import { badRequest, StatusError } from '../../api/errors.js';
import { joinUpgraded, upgradeHeaders } from '../../api/upgrade.js';
import type { CriClient } from './cri/client.js';
import { Label } from './runtime.js';

export type PortForwardRuntime = Pick<CriClient, 'listPodSandbox' | 'portForward'>;

/** The pod's ready sandbox, whose network namespace the ports are in. */
export async function portForwardSandbox(runtime: PortForwardRuntime, ns: string, pod: string, uid?: string): Promise<string> {
  const selector: Record<string, string> = { [Label.podNamespace]: ns, [Label.podName]: pod };
  if (uid) selector[Label.podUID] = uid;
  const { items } = await runtime.listPodSandbox({ filter: { label_selector: selector, state: { state: 'SANDBOX_READY' } } });
  if (!items.length) throw new StatusError(404, 'NotFound', `pod "${pod}" in namespace "${ns}" has no running sandbox`);
  return items.reduce((a, b) => (b.created_at > a.created_at ? b : a)).id;
}

/** The `port` query values (WebSocket clients name their ports there; SPDY clients per stream). */
function ports(q: URLSearchParams): number[] {
  return q.getAll('port').flatMap((v) => v.split(',')).filter(Boolean).map((v) => {
    const n = Number(v);
    if (!Number.isInteger(n) || n < 1 || n > 65535) throw badRequest(`invalid port: ${v}`);
    return n;
  });
}

/** Relays one port-forward upgrade to the runtime's stream server; failures before the 101 are StatusErrors. */
export async function servePortForward(req: IncomingMessage, socket: Duplex, head: Buffer, runtime: PortForwardRuntime, sandboxId: string, q: URLSearchParams): Promise<void> {
  const { url } = await runtime.portForward({ pod_sandbox_id: sandboxId, port: ports(q) });
  const target = new URL(url);
  await new Promise<void>((resolve, reject) => {
    const upstream = http.request({ host: target.hostname, port: target.port, path: `${target.pathname}${target.search}`, method: 'GET', headers: upgradeHeaders(req, target.host), agent: false, timeout: 30_000 });
    const gone = () => upstream.destroy();
    socket.once('close', gone);
    upstream.on('timeout', () => upstream.destroy(new Error('timeout awaiting the stream server')));
    upstream.on('upgrade', (up, s, h) => {
      socket.off('close', gone);
      upstream.setTimeout(0);
      s.setTimeout(0);
      joinUpgraded(socket, up, s, h, head);
      resolve();
    });
    upstream.on('response', (up) => {
      let body = '';
      up.on('data', (c: Buffer) => (body += c.toString()));
      up.on('end', () => reject(new StatusError(up.statusCode && up.statusCode >= 400 ? up.statusCode : 500, 'InternalError', `error forwarding port: ${body.trim() || up.statusMessage}`)));
    });
    upstream.on('error', (e) => reject(new StatusError(500, 'InternalError', `error forwarding port: ${e.message}`)));
    upstream.end();
  });
}
