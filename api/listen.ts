// Listening the way Kubernetes components take `--bind-address host:port` (component-base's flags and
// net.Listen): parse it, listen, report the bound port, close with every connection. Shared by every HTTP(S) server.
import type { Server as HttpServer } from 'node:http';
import type { Server as HttpsServer } from 'node:https';

type Server = HttpServer | HttpsServer;

/** Splits `host:port` (`[v6]:port` too); an empty host means all addresses. */
export function parseBindAddress(addr: string): { host: string; port: number } {
  const m = /^\[?([^\]]*?)\]?:(\d+)$/.exec(addr);
  if (!m) throw new Error(`invalid bind address ${JSON.stringify(addr)}: want host:port`);
  return { host: m[1] || '0.0.0.0', port: Number(m[2]) };
}

export function listen(server: Server, bindAddress: string): Promise<void> {
  const { host, port } = parseBindAddress(bindAddress);
  return new Promise((resolve, reject) => {
    server.once('error', reject);
    server.listen(port, host, () => {
      server.off('error', reject);
      resolve();
    });
  });
}

export function closeServer(server: Server): Promise<void> {
  return new Promise((resolve) => {
    server.close(() => resolve());
    server.closeAllConnections();
  });
}

/** The port a server is bound to (what port 0 became), or 0 when it isn't listening. */
export function boundPort(server: Pick<Server, 'address'> | undefined): number {
  const a = server?.address();
  return a && typeof a === 'object' ? a.port : 0;
}
