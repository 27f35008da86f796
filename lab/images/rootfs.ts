// The root file systems the lab's images share: the usual top-level directories, and busybox with every applet linked
// (a shell, httpd, wget, nc, nslookup… for pods and for debugging inside the kubets image).
import { readFile } from 'node:fs/promises';
import { run, type TarEntry } from './oci.js';

export const BUSYBOX_BINARY = '/bin/busybox';

export function rootDirs(): TarEntry[] {
  return [
    { type: 'dir', path: 'bin' },
    { type: 'dir', path: 'dev' },
    { type: 'dir', path: 'etc' },
    { type: 'dir', path: 'proc' },
    { type: 'dir', path: 'sys' },
    { type: 'dir', path: 'root', mode: 0o700 },
    { type: 'dir', path: 'tmp', mode: 0o1777 },
    { type: 'dir', path: 'var' },
    { type: 'dir', path: 'var/www' },
  ];
}

export async function busyboxRootfs(): Promise<TarEntry[]> {
  const { stdout } = await run(BUSYBOX_BINARY, ['--list']);
  const applets = stdout.split('\n').map((s) => s.trim()).filter((s) => s && s !== 'busybox' && !s.includes('/'));
  for (const need of ['sh', 'httpd', 'wget', 'nc', 'nslookup', 'sleep', 'cat', 'echo', 'hostname', 'ls', 'ps']) {
    if (!applets.includes(need)) throw new Error(`${BUSYBOX_BINARY} lacks the ${need} applet`);
  }
  return [
    ...rootDirs(),
    { type: 'file', path: 'bin/busybox', mode: 0o755, data: await readFile(BUSYBOX_BINARY) },
    ...applets.sort().map((a): TarEntry => ({ type: 'symlink', path: `bin/${a}`, target: 'busybox' })),
    { type: 'file', path: 'etc/passwd', data: Buffer.from('root:x:0:0:root:/root:/bin/sh\nnobody:x:65534:65534:nobody:/nonexistent:/bin/false\n') },
    { type: 'file', path: 'etc/group', data: Buffer.from('root:x:0:\nnobody:x:65534:\n') },
  ];
}
