// `kubectl exec` and `kubectl attach` on the node: the client's WebSocket (channel protocol v5 or v4, tunnelled through
// the API server) on one side, the CRI Exec (or Attach) session on the other. CRI Exec answers with a URL on containerd's stream server, which
// we speak SPDY/3.1 to (remote-command protocol v4): one SPDY stream per channel, so stdin's EOF (v5's close signal)
// becomes a half-close the process sees, and the exit status arrives on the error stream as a v1 Status.
import type { IncomingMessage } from 'node:http';
import type { Duplex } from 'node:stream';
import { badRequest, StatusError } from '../../api/errors.js';
import { logger } from '../../api/log.js';
import type { CriClient } from './cri/client.js';
import { SpdyConnection, type SpdyStream } from './streaming/spdy.js';
import { handshakeResponse, isWebSocketRequest, offeredProtocols, WebSocketConnection } from '../../api/websocket.js';

const log = logger('kubelet.exec');

/** Channel numbers of the Kubernetes WebSocket streaming protocols (v4 and v5). */
export const Channel = { stdin: 0, stdout: 1, stderr: 2, error: 3, resize: 4, close: 255 } as const;
export const WS_PROTOCOL_V5 = 'v5.channel.k8s.io';
export const WS_PROTOCOL_V4 = 'v4.channel.k8s.io';
const SUPPORTED_WS_PROTOCOLS = [WS_PROTOCOL_V5, WS_PROTOCOL_V4];
const SPDY_PROTOCOL = 'v4.channel.k8s.io';

export interface ExecOptions {
  /** The command to run; empty for an attach, which joins the container's own stdio. */
  command: string[];
  stdin: boolean;
  stdout: boolean;
  stderr: boolean;
  tty: boolean;
}

const flag = (q: URLSearchParams, ...names: string[]) => names.some((n) => q.get(n) === 'true' || q.get(n) === '1');

/** The exec (or, with `attach`, attach) query: kubectl's names (stdin/stdout/stderr/tty) or the kubelet API's. */
export function parseExecOptions(q: URLSearchParams, attach = false): ExecOptions {
  const opts: ExecOptions = {
    command: attach ? [] : q.getAll('command'),
    stdin: flag(q, 'stdin', 'input'),
    stdout: flag(q, 'stdout', 'output'),
    stderr: flag(q, 'stderr', 'error'),
    tty: flag(q, 'tty'),
  };
  // A terminal merges stderr into stdout.
  if (opts.tty) opts.stderr = false;
  if (!attach && !opts.command.length) throw badRequest('you must specify at least one command for the container');
  if (!opts.stdin && !opts.stdout && !opts.stderr) throw badRequest('you must specify at least 1 of stdin, stdout, stderr');
  return opts;
}

/** The subprotocol to answer with: the client's first choice among the ones we speak. */
export function chooseWebSocketProtocol(offered: string[]): string | undefined {
  return offered.find((p) => SUPPORTED_WS_PROTOCOLS.includes(p));
}

export type ExecRuntime = Pick<CriClient, 'exec' | 'attach'>;

/** Writes an HTTP error response on a socket that has not been upgraded, and ends it. */
export function rejectUpgrade(socket: Duplex, err: StatusError): void {
  const body = JSON.stringify(err.toStatus());
  socket.end(
    `HTTP/1.1 ${err.code} ${err.reason}\r\nContent-Type: application/json\r\nContent-Length: ${Buffer.byteLength(body)}\r\nConnection: close\r\n\r\n${body}`,
  );
}

interface RuntimeSession {
  conn: SpdyConnection;
  error: SpdyStream;
  stdin?: SpdyStream;
  stdout?: SpdyStream;
  stderr?: SpdyStream;
  resize?: SpdyStream;
}

/** CRI Exec (Attach without a command), then the SPDY session on the stream server's URL, one stream per channel. */
async function openRuntimeSession(runtime: ExecRuntime, containerId: string, opts: ExecOptions): Promise<RuntimeSession> {
  const stdio = { container_id: containerId, tty: opts.tty, stdin: opts.stdin, stdout: opts.stdout, stderr: opts.stderr };
  const { url } = opts.command.length ? await runtime.exec({ ...stdio, cmd: opts.command }) : await runtime.attach(stdio);
  const { conn } = await SpdyConnection.connect(url, [SPDY_PROTOCOL]);
  // Stream order as client-go creates them: error first, then stdin, stdout, stderr, resize.
  const s: RuntimeSession = { conn, error: conn.createStream({ streamtype: 'error' }) };
  if (opts.stdin) s.stdin = conn.createStream({ streamtype: 'stdin' });
  if (opts.stdout) s.stdout = conn.createStream({ streamtype: 'stdout' });
  if (opts.stderr) s.stderr = conn.createStream({ streamtype: 'stderr' });
  if (opts.tty) s.resize = conn.createStream({ streamtype: 'resize' });
  // The error stream is read-only for us.
  s.error.end();
  const all = [s.error, s.stdin, s.stdout, s.stderr, s.resize].filter((x): x is SpdyStream => !!x);
  let timer: NodeJS.Timeout | undefined;
  try {
    await Promise.race([
      Promise.all(all.map((x) => x.replied)),
      new Promise((_, reject) => (timer = setTimeout(() => reject(new Error('stream server did not answer the exec streams')), 30_000))),
    ]);
  } catch (e) {
    conn.close();
    throw e;
  } finally {
    clearTimeout(timer);
  }
  return s;
}

/**
 * Serves one exec WebSocket upgrade: starts the command through the CRI, completes the handshake, then relays
 * channels both ways until the command's session ends (the exit status is the last thing sent, on channel 3).
 * Failures before the handshake are answered as an HTTP Status error (the client reports it).
 */
export async function serveExec(req: IncomingMessage, socket: Duplex, head: Buffer, runtime: ExecRuntime, containerId: string, opts: ExecOptions): Promise<void> {
  if (!isWebSocketRequest(req)) throw badRequest(`this kubelet streams exec over WebSocket (${SUPPORTED_WS_PROTOCOLS.join(', ')}) only`);
  const protocol = chooseWebSocketProtocol(offeredProtocols(req));
  if (!protocol) throw badRequest(`unsupported WebSocket subprotocols ${JSON.stringify(offeredProtocols(req))}; supported: ${SUPPORTED_WS_PROTOCOLS.join(', ')}`);

  let session: RuntimeSession;
  try {
    session = await openRuntimeSession(runtime, containerId, opts);
  } catch (e) {
    const what = opts.command.length ? 'error executing command in container' : 'error attaching to container';
    throw e instanceof StatusError ? e : new StatusError(500, 'InternalError', `${what}: ${(e as Error).message}`);
  }
  if (socket.destroyed) {
    session.conn.close();
    return;
  }
  socket.write(handshakeResponse(req, protocol));
  const ws = new WebSocketConnection(socket, head);
  let statusSent = false;

  const forward = (stream: SpdyStream | undefined, channel: number) =>
    stream?.on('data', (d: Buffer) => {
      if (channel === Channel.error) statusSent = true;
      ws.send(Buffer.concat([Buffer.from([channel]), d]));
    });
  forward(session.stdout, Channel.stdout);
  forward(session.stderr, Channel.stderr);
  forward(session.error, Channel.error);

  ws.on('message', (m: Buffer) => {
    if (!m.length) return;
    const channel = m[0];
    const data = m.subarray(1);
    if (channel === Channel.stdin) session.stdin?.write(data);
    else if (channel === Channel.resize) session.resize?.write(data);
    else if (channel === Channel.close && protocol === WS_PROTOCOL_V5) {
      // v5: the client closed one of its streams; for stdin that is EOF for the process.
      if (data[0] === Channel.stdin) session.stdin?.end();
      else if (data[0] === Channel.resize) session.resize?.end();
    }
  });
  ws.on('close', () => session.conn.close());
  session.conn.on('close', () => {
    // An attach ends without a status when the container's stdio closes; an exec must say how its command ended.
    if (!statusSent && opts.command.length) {
      const failure = new StatusError(500, 'InternalError', 'error executing command in container: the runtime closed the stream without an exit status').toStatus();
      ws.send(Buffer.concat([Buffer.from([Channel.error]), Buffer.from(JSON.stringify(failure))]));
    }
    ws.close(1000);
  });
  log.debug({ container: containerId, command: opts.command, protocol }, opts.command.length ? 'exec session started' : 'attach session started');
}
