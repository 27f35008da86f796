// Builds the lab's images as OCI image-layout archives (oci.ts), with no registry and no docker: a tiny static
// `pause` compiled here, a busybox image made from Debian's static /bin/busybox, and the kubets image (kubets.ts).
import { existsSync } from 'node:fs';
import { mkdir, mkdtemp, readFile, rm, stat } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { buildKubetsImage } from './kubets.js';
import { buildOciArchive, projectRoot, run, writeAtomic, type TarEntry } from './oci.js';
import { BUSYBOX_BINARY, busyboxRootfs, rootDirs } from './rootfs.js';

export { buildOciArchive, ociArch, writeTar, type TarEntry } from './oci.js';

export const PAUSE_IMAGE = 'kubets.local/pause:3.9';
export const BUSYBOX_IMAGE = 'docker.io/library/busybox:1.35';
// ---- pause and busybox ----

async function compilePause(source: string): Promise<Buffer> {
  const dir = await mkdtemp(join(tmpdir(), 'kubets-pause-'));
  try {
    const out = join(dir, 'pause');
    await run('gcc', ['-static', '-Os', '-s', '-o', out, source]);
    return await readFile(out);
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}

async function mtimeMs(path: string): Promise<number> {
  return (await stat(path)).mtimeMs;
}

async function upToDate(output: string, inputs: string[]): Promise<boolean> {
  if (!existsSync(output)) return false;
  const out = await mtimeMs(output);
  for (const i of inputs) if ((await mtimeMs(i)) >= out) return false;
  return true;
}

/**
 * Builds `pause.tar` and `busybox.tar` into outDir (skipping any archive newer than its inputs) and returns the image
 * names with their archive paths.
 */
export async function buildImages(outDir: string): Promise<{ name: string; file: string }[]> {
  await mkdir(outDir, { recursive: true });
  const root = projectRoot();
  const pauseSource = join(root, 'lab', 'images', 'pause.c');
  const self = fileURLToPath(import.meta.url);

  const pauseTar = join(outDir, 'pause.tar');
  if (!(await upToDate(pauseTar, [pauseSource, self]))) {
    const pause = await compilePause(pauseSource);
    const rootfs: TarEntry[] = [...rootDirs().filter((d) => d.path !== 'bin'), { type: 'file', path: 'pause', mode: 0o755, data: pause }];
    await writeAtomic(pauseTar, buildOciArchive({ name: PAUSE_IMAGE, rootfs, entrypoint: ['/pause'] }));
  }

  const busyboxTar = join(outDir, 'busybox.tar');
  if (!(await upToDate(busyboxTar, [BUSYBOX_BINARY, self]))) {
    await writeAtomic(busyboxTar, buildOciArchive({ name: BUSYBOX_IMAGE, rootfs: await busyboxRootfs(), cmd: ['sh'] }));
  }

  return [{ name: PAUSE_IMAGE, file: pauseTar }, { name: BUSYBOX_IMAGE, file: busyboxTar }, await buildKubetsImage(outDir, root)];
}
