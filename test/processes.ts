// The child processes a test starts (kubets server, etcd members) never outlive it: they run under
// `setpriv --pdeathsig KILL`, so the kernel kills them when the test process dies however it dies (a tap timeout
// kills it), and a normal exit that skipped teardown kills whatever is still running.
import { spawn, type ChildProcess, type SpawnOptions } from 'node:child_process';
import fs from 'node:fs';

const owned = new Set<ChildProcess>();
process.on('exit', () => {
  for (const p of owned) p.kill('SIGKILL');
});

export interface OwnedProcess {
  proc: ChildProcess;
  /** Resolves once the process has exited (or could not be started). */
  exited: Promise<void>;
  /** False once the process has exited or could not be started. */
  running(): boolean;
  /** Why it could not be started, if it could not. */
  spawnError?: Error;
}

/** Spawns cmd as a child that dies with this process. */
export function spawnOwned(cmd: string, args: string[], opts: SpawnOptions): OwnedProcess {
  const proc = spawn('setpriv', ['--pdeathsig', 'KILL', '--', cmd, ...args], opts);
  owned.add(proc);
  let ended = false;
  const out: OwnedProcess = { proc, exited: Promise.resolve(), running: () => !ended && proc.exitCode === null && proc.signalCode === null };
  out.exited = new Promise<void>((resolve) => {
    const end = () => {
      ended = true;
      owned.delete(proc);
      resolve();
    };
    proc.once('exit', end);
    // 'error' without a pid: it never started, and no 'exit' follows.
    proc.on('error', (e) => {
      if (proc.pid !== undefined) return;
      out.spawnError = e;
      end();
    });
  });
  return out;
}

/** Signals the process and waits for it to exit, with SIGKILL after graceMs. Returns at once if it has exited. */
export async function stopOwned(p: OwnedProcess, signal: NodeJS.Signals = 'SIGTERM', graceMs = 15_000): Promise<void> {
  if (!p.running()) return p.exited;
  p.proc.kill(signal);
  const force = setTimeout(() => p.proc.kill('SIGKILL'), graceMs);
  await p.exited;
  clearTimeout(force);
}

/** A log file's size now: where the next start's output begins. */
export function logSize(file: string): number {
  try {
    return fs.statSync(file).size;
  } catch {
    return 0;
  }
}

/** What a log file got since offset. */
export function logSince(file: string, offset: number): string {
  try {
    return fs.readFileSync(file).subarray(offset).toString('utf8');
  } catch {
    return '';
  }
}
