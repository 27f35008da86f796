// A stand-in for systemd's notify socket (what a Type=notify unit's $NOTIFY_SOCKET points at): a datagram socket with
// SO_PASSCRED that reports each message with the PID its credentials name, as systemd reads them. Node has no unix
// datagram sockets, so the receiver is a few lines of Debian's /usr/bin/python3.
import { spawn } from 'node:child_process';
import readline from 'node:readline';

const RECEIVER = `
import json, socket, struct, sys
s = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
s.setsockopt(socket.SOL_SOCKET, socket.SO_PASSCRED, 1)
addr = sys.argv[1]
s.bind('\\0' + addr[1:] if addr.startswith('@') else addr)
print('listening', flush=True)
while True:
    data, anc, _, _ = s.recvmsg(4096, socket.CMSG_SPACE(12))
    if data.startswith(b'BARRIER=1'):
        continue  # systemd-notify's wait for the manager: the passed fd was closed with the truncated control data
    pid = next(struct.unpack('iII', d)[0] for (lvl, typ, d) in anc if lvl == socket.SOL_SOCKET and typ == socket.SCM_CREDENTIALS)
    print(json.dumps({'pid': pid, 'data': data.decode()}), flush=True)
`;

export interface NotifyMessage {
  /** The sender's PID as the credentials name it. */
  pid: number;
  /** The message's fields, e.g. ["READY=1", "STATUS=…"]. */
  fields: string[];
}

export interface NotifySocket {
  /** The next message (waits for it). */
  next(): Promise<NotifyMessage>;
  close(): void;
}

/** Listens on `address` (a path, or @name for an abstract socket). */
export async function notifySocket(address: string): Promise<NotifySocket> {
  const child = spawn('/usr/bin/python3', ['-c', RECEIVER, address], { stdio: ['ignore', 'pipe', 'inherit'] });
  const lines = readline.createInterface({ input: child.stdout! })[Symbol.asyncIterator]();
  const close = () => void child.kill();
  if ((await lines.next()).value !== 'listening') {
    close();
    throw new Error('notify receiver did not start');
  }
  return {
    async next() {
      const { value, done } = await lines.next();
      if (done) throw new Error('notify receiver ended');
      const m = JSON.parse(value) as { pid: number; data: string };
      return { pid: m.pid, fields: m.data.split('\n').filter(Boolean) };
    },
    close,
  };
}
