// Finding a program the way a shell on a Debian host does: $PATH first, then the system directories (a service's or
// a `sudo` environment's PATH often lacks /usr/sbin, where iptables and friends live).
import fs from 'node:fs';
import path from 'node:path';

export const SYSTEM_DIRS = ['/usr/local/sbin', '/usr/local/bin', '/usr/sbin', '/usr/bin', '/sbin', '/bin'];
export const SYSTEM_PATH = SYSTEM_DIRS.join(':');

export function isExecutable(file: string): boolean {
  try {
    fs.accessSync(file, fs.constants.X_OK);
    return fs.statSync(file).isFile();
  } catch {
    return false;
  }
}

/** The full path of `cmd`, or undefined when it is nowhere on $PATH or in the system directories. */
export function findCommand(cmd: string, envPath = process.env.PATH ?? ''): string | undefined {
  for (const d of new Set([...envPath.split(':').filter(Boolean), ...SYSTEM_DIRS])) {
    const f = path.join(d, cmd);
    if (isExecutable(f)) return f;
  }
  return undefined;
}
