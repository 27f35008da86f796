// A real `kubets server` for tests: a child process on a reserved loopback port (test/ports.ts) with its own data
// dir, reached with the admin kubeconfig it writes. kubectl() runs the real kubectl against it.
import { type ChildProcess } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { execa } from 'execa';
import { ApiClient } from '../api/client.js';
import { isAlreadyExists } from '../api/errors.js';
import { Resources } from '../api/resources.js';
import { bindConflict, reservePorts } from './ports.js';
import { logSince, logSize, spawnOwned, stopOwned, type OwnedProcess } from './processes.js';
import { until } from './until.js';

export const repoRoot = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');
export const cliPath = path.join(repoRoot, 'dist/cli/kubets.js');

/**
 * A loopback port that was free a moment ago. Racy by nature (anything may take it before it is used): in-process
 * servers should listen on port 0, and child processes get theirs from reservePorts with a retry on bind conflict.
 */
export async function freePort(): Promise<number> {
  const r = await reservePorts(1);
  await r.release();
  return r.ports[0];
}

export interface TestServer {
  dir: string;
  port: number;
  kubeconfig: string;
  client: ApiClient;
  proc: ChildProcess;
  kubectl(args: string[], opts?: { input?: string; env?: Record<string, string>; reject?: boolean }): Promise<{ stdout: string; stderr: string; exitCode: number }>;
  /** Stops the server (SIGTERM, or SIGKILL when asked) and waits for it to exit. */
  stop(signal?: NodeJS.Signals): Promise<void>;
  /** Stops and removes the data dir. */
  destroy(): Promise<void>;
}

/** How often a start-up that lost its port to another process (between release and bind) is tried again. */
const BIND_ATTEMPTS = 5;

export async function startServer(opts: { dir?: string; port?: number; args?: string[] } = {}): Promise<TestServer> {
  const dir = opts.dir ?? fs.mkdtempSync(path.join(os.tmpdir(), 'kubets-test-'));
  const kubeconfig = path.join(dir, 'admin.kubeconfig');
  const logFile = path.join(dir, 'server.log');
  // The server writes the admin kubeconfig once it serves: one left by an earlier run in this dir must not count.
  fs.rmSync(kubeconfig, { force: true });
  const fail = (why: string, output: string): never => {
    if (!opts.dir) fs.rmSync(dir, { recursive: true, force: true });
    throw new Error(`${why}: ${output.slice(-2000)}`);
  };
  for (let attempt = 1; ; attempt++) {
    // A port of our own choosing is held until just before the server starts; a given one (a restart) is reused.
    const reserved = opts.port === undefined ? await reservePorts(1) : undefined;
    const port = opts.port ?? reserved!.ports[0];
    const logFrom = logSize(logFile);
    const log = fs.openSync(logFile, 'a');
    await reserved?.release();
    const child = spawnOwned(process.execPath, [cliPath, 'server', '--data-dir', dir, '--port', String(port), '--bind-address', '127.0.0.1', '--advertise-address', '127.0.0.1', ...(opts.args ?? [])], {
      stdio: ['ignore', log, log],
      env: { ...process.env, KUBETS_LOG_LEVEL: process.env.KUBETS_LOG_LEVEL ?? 'warn' },
    });
    fs.closeSync(log);
    let client: ApiClient | undefined;
    const up = await until(`kubets server on 127.0.0.1:${port}`, async () => {
      if (!child.running()) return { state: 'exited' as const };
      if (!fs.existsSync(kubeconfig)) return undefined;
      const c = (client ??= ApiClient.fromKubeconfig(kubeconfig));
      // The kubernetes Service is the last bootstrap object: once it is there, start-up is complete.
      await c.request('GET', '/api/v1/namespaces/default/services/kubernetes');
      return { state: 'serving' as const, client: c };
    }, 60_000, 100).catch((e: Error) => ({ state: 'timeout' as const, error: e }));
    if (up.state === 'serving') {
      // Without controllers nothing makes the namespaces' default service accounts, which pods need: the fixture
      // plays the service-account controller for the namespaces every cluster starts with.
      if (opts.args?.includes('--disable-controllers')) for (const ns of ['default', 'kube-system', 'kube-public', 'kube-node-lease']) await ensureServiceAccount(up.client, ns);
      return testServer(dir, port, kubeconfig, up.client, child);
    }
    client?.close();
    if (up.state === 'timeout') {
      await stopOwned(child, 'SIGKILL');
      fail(up.error.message, logSince(logFile, logFrom));
    }
    const output = child.spawnError?.message ?? logSince(logFile, logFrom);
    // Another process bound the port between release and bind: try again (a given port, once it is free again).
    if (bindConflict(output) && attempt < BIND_ATTEMPTS) continue;
    fail(`kubets server exited (${child.proc.exitCode ?? child.proc.signalCode})`, output);
  }
}

/** Creates the namespace's default ServiceAccount unless it exists (what the service-account controller does). */
export async function ensureServiceAccount(client: ApiClient, namespace: string, name = 'default'): Promise<void> {
  await client.create(Resources.serviceaccounts, namespace, { apiVersion: 'v1', kind: 'ServiceAccount', metadata: { name, namespace } }).catch((e) => (isAlreadyExists(e) ? undefined : Promise.reject(e)));
}

function testServer(dir: string, port: number, kubeconfig: string, client: ApiClient, child: OwnedProcess): TestServer {
  const stop = async (signal: NodeJS.Signals = 'SIGTERM') => {
    client.close();
    await stopOwned(child, signal);
  };
  return {
    dir,
    port,
    kubeconfig,
    client,
    proc: child.proc,
    async kubectl(args, o = {}) {
      const r = await execa('kubectl', args, { input: o.input, env: { KUBECONFIG: kubeconfig, ...(o.env ?? {}) }, reject: o.reject ?? false, timeout: 60_000 });
      return { stdout: String(r.stdout), stderr: String(r.stderr), exitCode: r.exitCode ?? -1 };
    },
    stop,
    async destroy() {
      await stop();
      fs.rmSync(dir, { recursive: true, force: true });
    },
  };
}

/** kubectl against a test server, expecting success (its stdout) or failure (its stderr); the other outcome throws. */
export function kubectlExpecting(srv: () => TestServer) {
  return {
    async ok(args: string[], input?: string, env?: Record<string, string>): Promise<string> {
      const r = await srv().kubectl(args, { input, env });
      if (r.exitCode !== 0) throw new Error(`kubectl ${args.join(' ')} failed (${r.exitCode}): ${r.stderr}`);
      return r.stdout;
    },
    async fails(args: string[], input?: string, env?: Record<string, string>): Promise<string> {
      const r = await srv().kubectl(args, { input, env });
      if (r.exitCode === 0) throw new Error(`kubectl ${args.join(' ')} succeeded: ${r.stdout}`);
      return r.stderr;
    },
  };
}
