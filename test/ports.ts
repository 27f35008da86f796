// Loopback ports for the servers tests start as child processes (kubets server, etcd members), the way a test picks
// them without racing itself: every port of one start-up is chosen while a listener holds it, so no two are ever the
// same, and the listeners close only just before the child binds. Another process can still take a port in that
// moment, so whoever starts a child also retries when the child's log reports a bind conflict (bindConflict).
import net from 'node:net';

export interface PortReservation {
  ports: number[];
  /** Closes the listeners, leaving the ports for the child about to bind them. Idempotent. */
  release(): Promise<void>;
}

const close = (s: net.Server) => new Promise<void>((r) => (s.listening ? s.close(() => r()) : r()));

/** n distinct free ports on host, each held by a listener until release(). */
export async function reservePorts(n: number, host = '127.0.0.1'): Promise<PortReservation> {
  const servers: net.Server[] = [];
  try {
    for (let i = 0; i < n; i++) {
      // Whatever connects meanwhile is hung up on: an open connection would hold up release().
      const s = net.createServer((c) => c.destroy());
      servers.push(s);
      await new Promise<void>((resolve, reject) => {
        s.once('error', reject);
        s.listen(0, host, () => resolve());
      });
    }
  } catch (e) {
    await Promise.all(servers.map(close));
    throw e;
  }
  let released: Promise<void> | undefined;
  return {
    ports: servers.map((s) => (s.address() as net.AddressInfo).port),
    release: () => (released ??= Promise.all(servers.map(close)).then(() => undefined)),
  };
}

/** Whether a child's log says it could not bind an address (Node's EADDRINUSE, Go's "address already in use"). */
export function bindConflict(log: string): boolean {
  return /EADDRINUSE|address already in use/.test(log);
}
