// What a host needs before kubets can run on it, and getting it from Debian (as kubeadm's install guide and k3s's
// install script do with the distribution's packages). Everything missing is named at once with its package.
import fs from 'node:fs';
import path from 'node:path';
import { InstallError } from './errors.js';
import type { Host } from './host.js';
import type { Layout } from './layout.js';

export type Component = 'server' | 'agent';

export interface Requirement {
  /** A command looked up on PATH, or an absolute path that must exist. */
  what: string;
  package: string;
}

/** The node agent drives the host's containerd (CRI), runc, the CNI plugins and the packet filter. */
export const agentRequirements: Requirement[] = [
  { what: 'containerd', package: 'containerd' },
  { what: 'containerd-shim-runc-v2', package: 'containerd' },
  { what: 'ctr', package: 'containerd' },
  { what: 'runc', package: 'runc' },
  { what: '/usr/lib/cni/bridge', package: 'containernetworking-plugins' },
  { what: '/usr/lib/cni/host-local', package: 'containernetworking-plugins' },
  { what: '/usr/lib/cni/portmap', package: 'containernetworking-plugins' },
  { what: '/usr/lib/cni/loopback', package: 'containernetworking-plugins' },
  { what: 'iptables', package: 'iptables' },
  { what: 'iptables-save', package: 'iptables' },
  { what: 'iptables-restore', package: 'iptables' },
  { what: 'nft', package: 'nftables' },
  { what: 'conntrack', package: 'conntrack' },
  { what: 'ip', package: 'iproute2' },
];

/** The control plane is the program alone (SQLite is built in). */
export const serverRequirements: Requirement[] = [];

export function requirementsFor(components: Component[]): Requirement[] {
  return components.flatMap((c) => (c === 'agent' ? agentRequirements : serverRequirements));
}

function present(host: Host, l: Layout, r: Requirement): boolean {
  if (!r.what.startsWith('/')) return host.which(r.what) !== undefined;
  try {
    fs.accessSync(path.join(l.root, r.what), fs.constants.X_OK);
    return true;
  } catch {
    return false;
  }
}

export function missingRequirements(host: Host, l: Layout, reqs: Requirement[]): Requirement[] {
  return reqs.filter((r) => !present(host, l, r));
}

/** Units need a running systemd (sd_booted: /run/systemd/system exists). */
export function checkSystemd(host: Host, l: Layout): void {
  if (!fs.existsSync(path.join(l.root, 'run/systemd/system')) || !host.which('systemctl'))
    throw new InstallError('INSTALL_PREREQUISITE', 'this host is not running systemd (no /run/systemd/system): kubets installs its services as systemd units, so install on a systemd host');
}

const packagesOf = (reqs: Requirement[]) => [...new Set(reqs.map((r) => r.package))];
const lastError = (message: string) =>
  message
    .split('\n')
    .map((l) => l.trim())
    .filter((l) => /^E:/.test(l))
    .pop() ?? message.split('\n').pop()!.trim();

/**
 * Installs the Debian packages that provide what is missing; returns the packages it installed. Tries the package
 * lists the host has first (an offline host with a warm apt cache needs no network), and refreshes them once if apt
 * cannot find a package.
 */
export async function installRequirements(host: Host, l: Layout, reqs: Requirement[]): Promise<string[]> {
  const missing = missingRequirements(host, l, reqs);
  if (!missing.length) return [];
  const pkgs = packagesOf(missing);
  const names = missing.map((r) => `${r.what} (${r.package})`).join(', ');
  if (!host.which('apt-get')) throw new InstallError('INSTALL_PREREQUISITE', `missing ${names} and this host has no apt-get: install ${pkgs.join(' ')} and run again`);
  host.say(`[prerequisites] installing Debian packages: ${pkgs.join(' ')}`);
  const env = { DEBIAN_FRONTEND: 'noninteractive' };
  const install = () => host.run('apt-get', ['install', '-y', '-q', '--no-install-recommends', ...pkgs], { env, timeoutMs: 900_000 });
  try {
    await install();
  } catch (first) {
    const msg = (first as Error).message;
    if (!/Unable to locate package|has no installation candidate|Failed to fetch|Unable to fetch/i.test(msg))
      throw new InstallError('INSTALL_PREREQUISITE', `could not install ${pkgs.join(' ')}: ${lastError(msg)}`);
    try {
      await host.run('apt-get', ['update', '-q'], { env, timeoutMs: 900_000 });
      await install();
    } catch (second) {
      throw new InstallError('INSTALL_PREREQUISITE', `could not install ${pkgs.join(' ')} (needed: ${names}): ${lastError((second as Error).message)}; install them and run again`);
    }
  }
  const still = missingRequirements(host, l, reqs);
  if (still.length) throw new InstallError('INSTALL_PREREQUISITE', `still missing after apt-get install: ${still.map((r) => `${r.what} (${r.package})`).join(', ')}`);
  return pkgs;
}
