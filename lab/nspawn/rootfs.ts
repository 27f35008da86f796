// The booted lab's machine image: a Debian 12 root file system made once with debootstrap and cached, shared
// read-only by every machine (each runs on its own overlay). It holds what a fresh Debian host has — systemd as init,
// networkd, apt — plus, in apt's cache only, the packages kubets' installer will ask for, so machines install them
// through apt exactly as a real host does, without reaching the network.
import { execFile } from 'node:child_process';
import { createHash } from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import { promisify } from 'node:util';
import { agentRequirements } from '../../cli/install/prereqs.js';
import { LabError } from '../exec.js';

const run = promisify(execFile);

export const SUITE = 'bookworm';
export const MIRROR = 'http://deb.debian.org/debian';
/** A minimal host: init, networking, apt, and the tools a user types on a node. */
export const BASE_PACKAGES = ['systemd', 'systemd-sysv', 'dbus', 'iproute2', 'iputils-ping', 'curl', 'ca-certificates', 'procps', 'less'];
/** Downloaded into apt's cache, not installed: the installer installs them. */
export const CACHED_PACKAGES = [...new Set(agentRequirements.map((r) => r.package))].sort();
/** Bump when the steps below change, so a stale cached root is not reused. */
const RECIPE_VERSION = 1;

export const ROOTFS_CACHE = '/var/cache/kubets/nspawn';

/** The cache entry for this recipe: a directory named after a hash of everything that goes into it. */
export function rootfsDir(cacheDir = ROOTFS_CACHE): string {
  const key = createHash('sha256').update(JSON.stringify({ RECIPE_VERSION, SUITE, MIRROR, BASE_PACKAGES, CACHED_PACKAGES })).digest('hex').slice(0, 12);
  return path.join(cacheDir, `debian-${SUITE}-${key}`);
}

const inRoot = (root: string, script: string) => run('chroot', [root, '/bin/sh', '-c', script], { maxBuffer: 64 * 1024 * 1024, timeout: 900_000, env: { PATH: '/usr/sbin:/usr/bin:/sbin:/bin', DEBIAN_FRONTEND: 'noninteractive', LANG: 'C.UTF-8' } });

/**
 * Returns the cached root, building it first if needed (about 3 minutes). Built in a scratch directory beside the
 * cache entry and renamed into place when complete, so an interrupted build is never used.
 */
export async function ensureRootfs(progress: (msg: string) => void = () => {}, cacheDir = ROOTFS_CACHE): Promise<string> {
  const dir = rootfsDir(cacheDir);
  if (fs.existsSync(path.join(dir, '.complete'))) return dir;
  fs.mkdirSync(cacheDir, { recursive: true });
  const work = `${dir}.build-${process.pid}`;
  fs.rmSync(work, { recursive: true, force: true });
  const started = Date.now();
  progress(`rootfs: building a Debian 12 root with debootstrap into ${dir} (once; a few minutes)`);
  try {
    await run('debootstrap', ['--variant=minbase', `--include=${BASE_PACKAGES.join(',')}`, SUITE, work, MIRROR], { maxBuffer: 64 * 1024 * 1024, timeout: 1_800_000 });
    fs.writeFileSync(path.join(work, 'etc/apt/sources.list'), [`deb ${MIRROR} ${SUITE} main`, `deb ${MIRROR} ${SUITE}-updates main`, `deb http://deb.debian.org/debian-security ${SUITE}-security main`, ''].join('\n'));
    fs.copyFileSync('/etc/resolv.conf', path.join(work, 'etc/resolv.conf'));
    await inRoot(work, `apt-get update -q && apt-get install -y -q --download-only --no-install-recommends ${CACHED_PACKAGES.join(' ')}`);
    // Each machine gets its own identity and name at boot.
    fs.rmSync(path.join(work, 'etc/resolv.conf'), { force: true });
    fs.writeFileSync(path.join(work, 'etc/machine-id'), '');
    fs.rmSync(path.join(work, 'var/lib/dbus/machine-id'), { force: true });
    fs.writeFileSync(path.join(work, 'etc/hostname'), 'localhost\n');
    // systemd-networkd configures the network from /etc/systemd/network, as on a Debian server without ifupdown.
    await inRoot(work, 'systemctl enable systemd-networkd.service systemd-networkd-wait-online.service && systemctl mask systemd-resolved.service');
    // Keep apt from cleaning its cache after an install: the cache is where the machines' packages come from.
    fs.writeFileSync(path.join(work, 'etc/apt/apt.conf.d/10kubets-keep-cache'), 'Binary::apt::APT::Keep-Downloaded-Packages "true";\n');
    fs.writeFileSync(path.join(work, '.complete'), `${new Date().toISOString()}\n`);
    if (fs.existsSync(dir)) fs.rmSync(work, { recursive: true, force: true });
    else fs.renameSync(work, dir);
  } catch (e) {
    fs.rmSync(work, { recursive: true, force: true });
    const err = e as Error & { stderr?: string };
    throw new LabError('LAB_COMMAND_FAILED', `building the machine root file system failed: ${(err.stderr?.trim().split('\n').pop() ?? err.message).slice(0, 500)}`);
  }
  progress(`rootfs: built in ${Math.round((Date.now() - started) / 1000)} s`);
  return dir;
}
