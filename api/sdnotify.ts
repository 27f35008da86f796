// sd_notify(3), systemd's readiness protocol for Type=notify units (what the kubelet and containerd send): READY=1 once
// the service is usable, STATUS= lines, STOPPING=1 on the way out.
//
// Node has no AF_UNIX datagram sockets, so the datagram is sent by systemd-notify(1). Run as a child, it names its
// parent — this process, the unit's main PID — as the sender in the message's SCM_CREDENTIALS (a root sender may
// claim another PID), so systemd attributes the message to the main process, which is alive, and not to the helper,
// which may already have exited when systemd reads the message (the race that loses plain child notifications).
import { execFile } from 'node:child_process';

export type NotifyExec = (cmd: string, args: string[], env: NodeJS.ProcessEnv) => Promise<void>;

const defaultExec: NotifyExec = (cmd, args, env) =>
  new Promise((resolve, reject) => {
    execFile(cmd, args, { env, timeout: 10_000 }, (err, _stdout, stderr) => (err ? reject(new Error(`${cmd}: ${stderr.trim() || err.message}`)) : resolve()));
  });

export class ServiceNotifier {
  /** $NOTIFY_SOCKET as the service manager set it; undefined when not run by systemd as Type=notify. */
  readonly socket: string | undefined;
  private readonly exec: NotifyExec;
  private queue: Promise<void> = Promise.resolve();

  /**
   * Takes $NOTIFY_SOCKET out of `env` (sd_notify's unset_environment), so children — iptables, a containerd the agent
   * starts — never talk to this unit's manager in our name.
   */
  constructor(env: NodeJS.ProcessEnv = process.env, exec: NotifyExec = defaultExec) {
    this.socket = env.NOTIFY_SOCKET || undefined;
    delete env.NOTIFY_SOCKET;
    this.exec = exec;
  }

  get enabled(): boolean {
    return this.socket !== undefined;
  }

  /** Sends the fields as one message, after any earlier one; resolves false when no service manager listens. */
  send(fields: Record<string, string>): Promise<boolean> {
    if (!this.socket) return Promise.resolve(false);
    const args = Object.entries(fields).map(([k, v]) => `${k}=${v.replace(/\n/g, ' ')}`);
    const env = { PATH: process.env.PATH ?? '/usr/sbin:/usr/bin:/sbin:/bin', NOTIFY_SOCKET: this.socket };
    const sent = this.queue.then(() => this.exec('systemd-notify', args, env));
    this.queue = sent.catch(() => undefined);
    return sent.then(() => true);
  }

  ready(status: string): Promise<boolean> {
    return this.send({ READY: '1', STATUS: status });
  }

  status(status: string): Promise<boolean> {
    return this.send({ STATUS: status });
  }

  stopping(status = 'shutting down'): Promise<boolean> {
    return this.send({ STOPPING: '1', STATUS: status });
  }
}
