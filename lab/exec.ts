// Running the host tools the lab drives (ip, mount…), and the lab's coded errors.
import { execFile } from 'node:child_process';

export type LabErrorCode =
  | 'LAB_NOT_ROOT'
  | 'LAB_PREREQS_MISSING'
  | 'LAB_ALREADY_UP'
  | 'LAB_SUBNET_IN_USE'
  | 'LAB_COMMAND_FAILED'
  | 'LAB_PROCESS_EXITED'
  | 'LAB_TIMEOUT'
  | 'LAB_CLEANUP_INCOMPLETE';

export class LabError extends Error {
  readonly code: LabErrorCode;
  constructor(code: LabErrorCode, message: string) {
    super(message);
    this.name = 'LabError';
    this.code = code;
  }
}

export interface RunResult {
  stdout: string;
  stderr: string;
}

/** Runs a command to completion; a non-zero exit throws LabError carrying the command line and its stderr. */
export function run(cmd: string, args: string[], opts: { timeoutMs?: number } = {}): Promise<RunResult> {
  return new Promise((resolve, reject) => {
    execFile(cmd, args, { timeout: opts.timeoutMs ?? 30_000, maxBuffer: 16 * 1024 * 1024 }, (err, stdout, stderr) => {
      if (err) {
        const why = stderr.trim() || err.message;
        reject(new LabError('LAB_COMMAND_FAILED', `${[cmd, ...args].join(' ')}: ${why}`));
      } else resolve({ stdout, stderr });
    });
  });
}

/** Like run, but "the thing is already gone" outcomes count as success (for idempotent removal). */
export async function runIgnoringAbsent(cmd: string, args: string[]): Promise<void> {
  try {
    await run(cmd, args);
  } catch (err) {
    const msg = (err as Error).message;
    if (/cannot find device|no such device|does not exist|no such file|not found|not mounted/i.test(msg)) return;
    throw err;
  }
}

/** Rejects when p has not settled within ms (the caller still owns whatever p holds open). */
export function withTimeout<T>(p: Promise<T>, ms: number): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const t = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`no answer within ${ms / 1000}s`)), ms);
  });
  return Promise.race([p, t]).finally(() => clearTimeout(timer));
}
