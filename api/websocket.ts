// The server side of RFC 6455 WebSockets (kube: k8s.io/apimachinery/pkg/util/httpstream/wsstream), as much as the
// Kubernetes streaming protocols need (the kubelet's exec and attach, the API server's port-forward tunnel): the
// opening handshake, binary messages (fragmented or not), ping/pong, and the closing handshake. Client frames arrive
// masked; server frames leave unmasked.
import { createHash } from 'node:crypto';
import { EventEmitter } from 'node:events';
import type { IncomingMessage } from 'node:http';
import type { Duplex } from 'node:stream';

const HANDSHAKE_GUID = '258EAFA5-E914-47DA-95CA-C5AB0DC85B11';

export const Opcode = { continuation: 0x0, text: 0x1, binary: 0x2, close: 0x8, ping: 0x9, pong: 0xa } as const;

export function acceptKey(key: string): string {
  return createHash('sha1').update(key + HANDSHAKE_GUID).digest('base64');
}

export function isWebSocketRequest(req: IncomingMessage): boolean {
  const connection = String(req.headers.connection ?? '').toLowerCase();
  return connection.split(',').some((t) => t.trim() === 'upgrade') && String(req.headers.upgrade ?? '').toLowerCase() === 'websocket';
}

/** The subprotocols the client offers, in its order of preference. */
export function offeredProtocols(req: IncomingMessage): string[] {
  const h = req.headers['sec-websocket-protocol'];
  return (Array.isArray(h) ? h.join(',') : (h ?? '')).split(',').map((s) => s.trim()).filter(Boolean);
}

/** The 101 response that completes the opening handshake. */
export function handshakeResponse(req: IncomingMessage, protocol: string | undefined): string {
  const key = String(req.headers['sec-websocket-key'] ?? '');
  const lines = ['HTTP/1.1 101 Switching Protocols', 'Upgrade: websocket', 'Connection: Upgrade', `Sec-WebSocket-Accept: ${acceptKey(key)}`];
  if (protocol) lines.push(`Sec-WebSocket-Protocol: ${protocol}`);
  return lines.join('\r\n') + '\r\n\r\n';
}

export interface Frame {
  fin: boolean;
  opcode: number;
  payload: Buffer;
}

/** One frame as a server sends it (unmasked); with `mask`, as a client would (for tests and clients). */
export function encodeFrame(opcode: number, payload: Buffer, opts: { fin?: boolean; mask?: Buffer } = {}): Buffer {
  const len = payload.length;
  const extra = len < 126 ? 0 : len < 0x10000 ? 2 : 8;
  const head = Buffer.alloc(2 + extra + (opts.mask ? 4 : 0));
  head[0] = ((opts.fin ?? true) ? 0x80 : 0) | opcode;
  head[1] = (opts.mask ? 0x80 : 0) | (extra === 0 ? len : extra === 2 ? 126 : 127);
  if (extra === 2) head.writeUInt16BE(len, 2);
  if (extra === 8) head.writeBigUInt64BE(BigInt(len), 2);
  if (!opts.mask) return Buffer.concat([head, payload]);
  opts.mask.copy(head, 2 + extra);
  const body = Buffer.from(payload);
  for (let i = 0; i < body.length; i++) body[i] ^= opts.mask[i % 4];
  return Buffer.concat([head, body]);
}

export class WebSocketProtocolError extends Error {
  readonly code = 'ERR_WEBSOCKET_PROTOCOL';
}

/** Cuts a byte stream into frames (unmasking them); bytes of an incomplete frame wait for the rest. */
export class FrameParser {
  private buf: Buffer = Buffer.alloc(0);

  constructor(private readonly maxPayload = 16 * 1024 * 1024) {}

  push(chunk: Buffer): Frame[] {
    this.buf = this.buf.length ? Buffer.concat([this.buf, chunk]) : chunk;
    const frames: Frame[] = [];
    for (;;) {
      if (this.buf.length < 2) break;
      const b0 = this.buf[0];
      const b1 = this.buf[1];
      if (b0 & 0x70) throw new WebSocketProtocolError('reserved bits set without a negotiated extension');
      const masked = (b1 & 0x80) !== 0;
      let len = b1 & 0x7f;
      let offset = 2;
      if (len === 126) {
        if (this.buf.length < 4) break;
        len = this.buf.readUInt16BE(2);
        offset = 4;
      } else if (len === 127) {
        if (this.buf.length < 10) break;
        const big = this.buf.readBigUInt64BE(2);
        if (big > BigInt(this.maxPayload)) throw new WebSocketProtocolError('frame too large');
        len = Number(big);
        offset = 10;
      }
      if (len > this.maxPayload) throw new WebSocketProtocolError('frame too large');
      const maskAt = offset;
      if (masked) offset += 4;
      if (this.buf.length < offset + len) break;
      const payload = Buffer.from(this.buf.subarray(offset, offset + len));
      if (masked) for (let i = 0; i < len; i++) payload[i] ^= this.buf[maskAt + (i % 4)];
      frames.push({ fin: (b0 & 0x80) !== 0, opcode: b0 & 0x0f, payload });
      this.buf = this.buf.subarray(offset + len);
    }
    return frames;
  }
}

/**
 * A WebSocket over a socket whose opening handshake is done. Emits 'message' (Buffer, whole messages) and 'close'
 * (once, when the socket is gone). close() runs the closing handshake; destroy() just drops the socket.
 */
export class WebSocketConnection extends EventEmitter {
  private readonly parser = new FrameParser();
  private fragments: Buffer[] | undefined;
  private closeSent = false;
  private closed = false;

  constructor(
    private readonly socket: Duplex,
    head?: Buffer,
  ) {
    super();
    socket.on('data', (chunk: Buffer) => this.onData(chunk));
    socket.on('error', () => this.destroy());
    socket.on('close', () => this.onClosed());
    socket.on('end', () => this.destroy());
    if (head?.length) queueMicrotask(() => this.onData(head));
  }

  get isOpen(): boolean {
    return !this.closed && !this.closeSent;
  }

  send(data: Buffer): void {
    if (this.closeSent || this.closed) return;
    this.socket.write(encodeFrame(Opcode.binary, data));
  }

  /** Sends a close frame (1000 = normal) and ends the socket once the peer answers, or after a short wait. */
  close(code = 1000, reason = ''): void {
    if (this.closeSent || this.closed) return;
    this.closeSent = true;
    const payload = Buffer.alloc(2 + Buffer.byteLength(reason));
    payload.writeUInt16BE(code, 0);
    payload.write(reason, 2);
    this.socket.write(encodeFrame(Opcode.close, payload));
    this.socket.end();
    setTimeout(() => this.destroy(), 5000).unref();
  }

  destroy(): void {
    this.socket.destroy();
    this.onClosed();
  }

  private onClosed(): void {
    if (this.closed) return;
    this.closed = true;
    this.emit('close');
  }

  private onData(chunk: Buffer): void {
    let frames: Frame[];
    try {
      frames = this.parser.push(chunk);
    } catch {
      this.close(1002, 'protocol error');
      return;
    }
    for (const f of frames) {
      switch (f.opcode) {
        case Opcode.ping:
          if (!this.closeSent) this.socket.write(encodeFrame(Opcode.pong, f.payload));
          break;
        case Opcode.pong:
          break;
        case Opcode.close:
          if (!this.closeSent) this.close(1000);
          this.emit('peer-close');
          return;
        case Opcode.text:
        case Opcode.binary:
          if (f.fin) this.emit('message', f.payload);
          else this.fragments = [f.payload];
          break;
        case Opcode.continuation:
          if (!this.fragments) break;
          this.fragments.push(f.payload);
          if (f.fin) {
            const whole = Buffer.concat(this.fragments);
            this.fragments = undefined;
            this.emit('message', whole);
          }
          break;
        default:
          this.close(1002, 'unknown opcode');
          return;
      }
    }
  }
}
