// The host the installer changes, as the few operations it needs: run a command (systemctl, apt-get, ip…), find one on
// PATH, report progress. Injected, so the installer's decisions are tested against a fake host and a scratch root.
import { execFile } from 'node:child_process';
import { findCommand, SYSTEM_PATH } from '../../api/commands.js';
import { InstallError } from './errors.js';

export interface RunOptions {
  input?: string;
  timeoutMs?: number;
  env?: NodeJS.ProcessEnv;
}

export interface Host {
  /** Runs a command to completion and returns its stdout; a failure rejects with InstallError carrying stderr. */
  run(cmd: string, args: string[], opts?: RunOptions): Promise<string>;
  /** The command's path on PATH (plus the sbin directories), or undefined. */
  which(cmd: string): string | undefined;
  /** A line of progress for the user. */
  say(line: string): void;
  /** This process runs as root. */
  isRoot(): boolean;
}


export function realHost(say: (line: string) => void = (l) => process.stdout.write(`${l}\n`)): Host {
  return {
    run(cmd, args, opts = {}) {
      return new Promise((resolve, reject) => {
        const env = { ...process.env, PATH: [process.env.PATH, SYSTEM_PATH].filter(Boolean).join(':'), ...opts.env };
        const child = execFile(cmd, args, { timeout: opts.timeoutMs ?? 300_000, maxBuffer: 64 * 1024 * 1024, env }, (err, stdout, stderr) => {
          if (err) reject(new InstallError('INSTALL_COMMAND_FAILED', `${[cmd, ...args].join(' ')}: ${stderr.trim() || err.message}`));
          else resolve(stdout);
        });
        if (opts.input !== undefined) child.stdin?.end(opts.input);
      });
    },
    which: (cmd) => findCommand(cmd),
    say,
    isRoot: () => process.getuid?.() === 0,
  };
}

/** systemctl, as the installer uses it. */
export class Systemd {
  constructor(private readonly host: Host) {}

  daemonReload(): Promise<string> {
    return this.host.run('systemctl', ['daemon-reload']);
  }

  async isEnabled(unit: string): Promise<boolean> {
    return this.host.run('systemctl', ['is-enabled', '--quiet', unit]).then(() => true, () => false);
  }

  async isActive(unit: string): Promise<boolean> {
    return this.host.run('systemctl', ['is-active', '--quiet', unit]).then(() => true, () => false);
  }

  /** Whether systemd knows a unit file by this name (installed by a package or by us). */
  async exists(unit: string): Promise<boolean> {
    const out = await this.host.run('systemctl', ['list-unit-files', '--no-legend', '--no-pager', unit]).catch(() => '');
    return out.trim().length > 0;
  }

  enable(unit: string): Promise<string> {
    return this.host.run('systemctl', ['enable', '--quiet', unit]);
  }

  disable(unit: string): Promise<string> {
    return this.host.run('systemctl', ['disable', '--quiet', unit]);
  }

  /** Starts (or restarts) a unit and waits for it: for Type=notify, until the service said READY=1 or failed. */
  start(unit: string, restart = false): Promise<string> {
    return this.host.run('systemctl', [restart ? 'restart' : 'start', unit], { timeoutMs: 330_000 });
  }

  stop(unit: string): Promise<string> {
    return this.host.run('systemctl', ['stop', unit], { timeoutMs: 120_000 });
  }

  /** The unit's last log lines, for the one line that says why it failed. */
  journal(unit: string, lines = 30): Promise<string[]> {
    return this.host
      .run('journalctl', ['-u', unit, '-n', String(lines), '--no-pager', '-o', 'cat'])
      .then((out) => out.split('\n').filter(Boolean))
      .catch(() => []);
  }
}
