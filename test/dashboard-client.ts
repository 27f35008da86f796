// Talking to the Dashboard's server as a browser does, for the dashboard tests (and lab checks): HTTPS to its
// self-signed certificate, with or without a user's bearer token, and the `kubets dashboard` process started against
// a test server's API.
import https from 'node:https';
import { startDashboard, type RunningDashboard } from '../addons/dashboard/index.js';
import type { TestServer } from './server-fixture.js';

export interface DashboardResponse {
  status: number;
  headers: Record<string, string | string[] | undefined>;
  body: string;
}

/** One request to the dashboard at `base` (https://host:port); the serving certificate is self-signed. */
export function dashboardRequest(base: string, method: string, path: string, o: { token?: string; body?: unknown; headers?: Record<string, string> } = {}): Promise<DashboardResponse> {
  const body = o.body === undefined ? undefined : JSON.stringify(o.body);
  return new Promise((resolve, reject) => {
    const req = https.request(new URL(path, base), {
      method,
      rejectUnauthorized: false,
      headers: { ...(o.token ? { authorization: `Bearer ${o.token}` } : {}), ...(body ? { 'content-type': 'application/json' } : {}), ...(o.headers ?? {}) },
    }, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (c: Buffer) => chunks.push(c));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, headers: res.headers, body: Buffer.concat(chunks).toString('utf8') }));
      res.on('error', reject);
    });
    req.on('error', reject);
    req.end(body);
  });
}

/** The dashboard in this process on a free loopback port, reaching the test server's API (its URL and CA only). */
export async function startTestDashboard(srv: TestServer): Promise<RunningDashboard & { url: string }> {
  const running = await startDashboard({ kubeconfig: srv.kubeconfig, bindAddress: '127.0.0.1', securePort: 0 });
  return Object.assign(running, { url: `https://127.0.0.1:${running.port()}` });
}
