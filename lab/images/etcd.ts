// The etcd image the master's etcd static pod runs, as kubeadm's registry.k8s.io/etcd: this host's etcd (Debian's
// etcd-server) with its shared libraries, and busybox for a shell and for probing /health. Rebuilt only when its
// inputs change.
import { execFileSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { BUILDER_MODULES, cachedArchive, hostFileEntries, withLibraries, withParents } from './host.js';
import { buildOciArchive } from './oci.js';
import { BUSYBOX_BINARY, busyboxRootfs } from './rootfs.js';

export const ETCD_BINARY = '/usr/bin/etcd';

/** `etcd --version`'s "etcd Version: 3.4.23", or undefined when etcd is not installed. */
function etcdVersion(): string | undefined {
  if (!existsSync(ETCD_BINARY)) return undefined;
  try {
    return /^etcd Version: (\S+)/m.exec(execFileSync(ETCD_BINARY, ['--version'], { encoding: 'utf8' }))?.[1];
  } catch {
    return undefined;
  }
}

/**
 * Tagged as kubeadm tags etcd images, `<etcd version>-<image revision>` (registry.k8s.io/etcd:3.5.9-0), so the
 * static pod reads as it does on a kubeadm master. `unknown` on a host without etcd, which cannot build it.
 */
export const ETCD_IMAGE = `kubets.local/etcd:${etcdVersion() ?? 'unknown'}-0`;

export async function buildEtcdImage(outDir: string): Promise<{ name: string; file: string }> {
  if (!existsSync(ETCD_BINARY)) throw new Error(`the etcd image needs ${ETCD_BINARY} on this host (Debian package etcd-server)`);
  const file = join(outDir, 'etcd.tar');
  const hostFiles = await withLibraries([ETCD_BINARY]);
  await cachedArchive(file, [...hostFiles, BUSYBOX_BINARY, ...BUILDER_MODULES, fileURLToPath(import.meta.url)], async () => {
    const rootfs = withParents([...(await busyboxRootfs()), ...(await hostFileEntries(hostFiles))]);
    // A 21 MB Go program: the fastest gzip level does nearly as well as level 9 in a fraction of its time.
    return buildOciArchive({ name: ETCD_IMAGE, rootfs, cmd: [ETCD_BINARY], gzipLevel: 1 });
  });
  return { name: ETCD_IMAGE, file };
}
