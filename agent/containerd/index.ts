// Runs the node's own containerd as a child process. The caller is already inside the node's namespaces (the lab
// starts the agent with `ip netns exec`), so containerd, its shims and their mounts share them.
import { spawn, type ChildProcess } from 'node:child_process';
import { closeSync, existsSync, openSync, readFileSync } from 'node:fs';
import { readdir, readFile } from 'node:fs/promises';
import { resolve } from 'node:path';
import { CriClient } from '../kubelet/cri/client.js';
import { sleep } from '../../api/informer.js';
import { logger } from '../../api/log.js';
import { ensureCgroupMounts } from './cgroups.js';
import { writeContainerdConfig, type ContainerdNodeConfig, type ContainerdPaths } from './config.js';

export { containerdPaths, systemContainerdPaths, renderContainerdConfig, writeContainerdConfig, type ContainerdNodeConfig, type ContainerdPaths } from './config.js';
export { importImages, type ImportedImage } from './import.js';
export { ensureCgroupMounts } from './cgroups.js';

const log = logger('containerd');

export interface StartContainerdOptions extends ContainerdNodeConfig {
  /** containerd binary (default: `containerd` from PATH). */
  binary?: string;
  /** How long to wait for the CRI Version call to answer (default 60 s). */
  readyTimeoutMs?: number;
  /** Grace period between SIGTERM and SIGKILL on close (default 10 s). */
  stopTimeoutMs?: number;
  /**
   * Re-mount the host's cgroup hierarchies first if this mount namespace has none (as under `ip netns exec`, which
   * mounts a fresh sysfs over /sys). Default true; a no-op on a normal host.
   */
  mountCgroups?: boolean;
  /**
   * Have the kernel SIGTERM containerd when this process dies (util-linux `setpriv --pdeathsig`), so a crashed agent
   * never leaves a containerd holding the node's socket. Default true.
   */
  dieWithParent?: boolean;
  /** Override AppArmor detection (tests). */
  apparmor?: boolean;
  /** Called if containerd exits without close() having been called. */
  onUnexpectedExit?: (code: number | null, signal: NodeJS.Signals | null) => void;
}

export interface ContainerdProcess {
  readonly pid: number;
  readonly socket: string;
  readonly paths: ContainerdPaths;
  /** Resolves when the process has exited, for whatever reason. */
  readonly exited: Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
  /** SIGTERM, then SIGKILL after the grace period. Idempotent. Shims (and so containers) outlive containerd. */
  close(): Promise<void>;
}

function tail(file: string, lines = 20): string {
  try {
    return readFileSync(file, 'utf8').trimEnd().split('\n').slice(-lines).join('\n');
  } catch {
    return '';
  }
}

async function answersCri(socket: string): Promise<boolean> {
  let client: CriClient | undefined;
  try {
    client = await CriClient.connect(socket, { timeoutMs: 1000 });
    await client.version({}, { timeoutMs: 2000 });
    return true;
  } catch {
    return false;
  } finally {
    client?.close();
  }
}

/** Writes the node's containerd config, starts containerd, and resolves once its CRI plugin answers Version. */
export async function startContainerd(opts: StartContainerdOptions): Promise<ContainerdProcess> {
  const socket = resolve(opts.containerdSocket);
  if (existsSync(socket) && (await answersCri(socket))) {
    throw new Error(`another containerd already serves ${socket}; stop it first`);
  }
  const paths = await writeContainerdConfig({ ...opts, containerdSocket: socket }, { apparmor: opts.apparmor });
  if ((opts.mountCgroups ?? true) && (await ensureCgroupMounts())) log.info('mounted the host cgroup hierarchies in this mount namespace');
  const logFd = openSync(paths.log, 'a');
  let child: ChildProcess;
  try {
    const argv = [opts.binary ?? 'containerd', '--config', paths.config];
    if (opts.dieWithParent ?? true) argv.unshift('setpriv', '--pdeathsig', 'SIGTERM', '--');
    // setpriv execs containerd, so the child's PID is containerd's.
    child = spawn(argv[0], argv.slice(1), { stdio: ['ignore', logFd, logFd] });
  } finally {
    closeSync(logFd); // the child has its own copy
  }
  let closing = false;
  const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((res) => {
    child.once('error', (err) => {
      log.error({ err: err.message }, 'containerd failed to start');
      res({ code: null, signal: null });
    });
    child.once('exit', (code, signal) => {
      if (!closing) {
        log.error({ code, signal, log: paths.log }, 'containerd exited');
        opts.onUnexpectedExit?.(code, signal);
      }
      res({ code, signal });
    });
  });
  let gone = false;
  void exited.then(() => (gone = true));

  let closed: Promise<void> | undefined;
  const proc: ContainerdProcess = {
    pid: child.pid ?? -1,
    socket,
    paths,
    exited,
    close() {
      closed ??= (async () => {
        closing = true;
        if (gone || child.exitCode !== null || child.signalCode !== null) return;
        child.kill('SIGTERM');
        const timer = setTimeout(() => child.kill('SIGKILL'), opts.stopTimeoutMs ?? 10_000);
        try {
          await exited;
        } finally {
          clearTimeout(timer);
        }
      })();
      return closed;
    },
  };

  const deadline = Date.now() + (opts.readyTimeoutMs ?? 60_000);
  let lastError = 'not started';
  while (!gone) {
    if (Date.now() > deadline) {
      await proc.close();
      throw new Error(`containerd did not answer CRI on ${socket} within the timeout (${lastError}); log ${paths.log}:\n${tail(paths.log)}`);
    }
    let client: CriClient | undefined;
    try {
      client = await CriClient.connect(socket, { timeoutMs: 1000 });
      const v = await client.version({}, { timeoutMs: 2000 });
      log.info({ pid: proc.pid, socket, runtime: `${v.runtime_name} ${v.runtime_version}`, api: v.runtime_api_version }, 'containerd ready');
      return proc;
    } catch (e) {
      lastError = (e as Error).message;
    } finally {
      client?.close();
    }
    await sleep(200);
  }
  const { code, signal } = await exited;
  throw new Error(`containerd exited during start-up (code ${code}, signal ${signal}); log ${paths.log}:\n${tail(paths.log)}`);
}

/**
 * PIDs of the runc shims started by the containerd listening on `socket`. Shims detach from containerd (they survive
 * its exit, keeping containers running), so whoever tears a node down finds them by their `-address` argument.
 */
export async function shimPids(socket: string): Promise<number[]> {
  const want = resolve(socket);
  const pids: number[] = [];
  for (const entry of await readdir('/proc')) {
    if (!/^\d+$/.test(entry)) continue;
    let argv: string[];
    try {
      argv = (await readFile(`/proc/${entry}/cmdline`, 'utf8')).split('\0');
    } catch {
      continue; // exited meanwhile
    }
    if (!argv[0]?.endsWith('containerd-shim-runc-v2')) continue;
    const i = argv.indexOf('-address');
    if (i >= 0 && argv[i + 1] === want) pids.push(Number(entry));
  }
  return pids;
}
