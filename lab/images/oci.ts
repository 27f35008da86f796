// Image archives without a registry or docker: a deterministic ustar writer and an OCI image-layout archive holding
// one single-layer image; `ctr images import` reads the `io.containerd.image.name` annotation in index.json and tags
// the image exactly so. Shared by every image the lab builds.
import { execFile } from 'node:child_process';
import { createHash } from 'node:crypto';
import { existsSync } from 'node:fs';
import { rename, writeFile } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { gzipSync } from 'node:zlib';

export const run = promisify(execFile);
const PATH_ENV = 'PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin';

// ---- a minimal, deterministic ustar writer (same input → same bytes → same digests) ----

export type TarEntry =
  | { type: 'dir'; path: string; mode?: number }
  | { type: 'file'; path: string; mode?: number; data: Buffer }
  | { type: 'symlink'; path: string; target: string };

function octal(n: number, width: number): string {
  // width includes the terminating NUL.
  return n.toString(8).padStart(width - 1, '0') + '\0';
}

function tarHeader(name: string, mode: number, size: number, typeflag: string, linkname = ''): Buffer {
  const h = Buffer.alloc(512);
  let prefix = '';
  if (Buffer.byteLength(name) > 100) {
    // ustar splits long names at a '/' into prefix (155) + name (100).
    const cut = name.lastIndexOf('/', 155);
    if (cut <= 0 || Buffer.byteLength(name.slice(cut + 1)) > 100) throw new Error(`tar: path too long: ${name}`);
    prefix = name.slice(0, cut);
    name = name.slice(cut + 1);
  }
  if (Buffer.byteLength(linkname) > 100) throw new Error(`tar: link target too long: ${linkname}`);
  h.write(name, 0, 100, 'utf8');
  h.write(octal(mode, 8), 100, 'ascii');
  h.write(octal(0, 8), 108, 'ascii'); // uid root
  h.write(octal(0, 8), 116, 'ascii'); // gid root
  h.write(octal(size, 12), 124, 'ascii');
  h.write(octal(0, 12), 136, 'ascii'); // mtime: epoch, for reproducible digests
  h.write('        ', 148, 'ascii'); // checksum is computed with this field as spaces
  h.write(typeflag, 156, 'ascii');
  h.write(linkname, 157, 100, 'utf8');
  h.write('ustar\0', 257, 'ascii');
  h.write('00', 263, 'ascii');
  h.write('root', 265, 'ascii');
  h.write('root', 297, 'ascii');
  h.write(prefix, 345, 155, 'utf8');
  let sum = 0;
  for (const b of h) sum += b;
  h.write(octal(sum, 7) + ' ', 148, 'ascii');
  return h;
}

/** Serializes entries into an uncompressed tar stream. */
export function writeTar(entries: TarEntry[]): Buffer {
  const parts: Buffer[] = [];
  for (const e of entries) {
    if (e.type === 'dir') {
      parts.push(tarHeader(e.path.endsWith('/') ? e.path : e.path + '/', e.mode ?? 0o755, 0, '5'));
    } else if (e.type === 'symlink') {
      parts.push(tarHeader(e.path, 0o777, 0, '2', e.target));
    } else {
      parts.push(tarHeader(e.path, e.mode ?? 0o644, e.data.length, '0'), e.data);
      const pad = (512 - (e.data.length % 512)) % 512;
      if (pad) parts.push(Buffer.alloc(pad));
    }
  }
  parts.push(Buffer.alloc(1024)); // two zero blocks end the archive
  return Buffer.concat(parts);
}

// ---- OCI image layout ----

export interface ImageSpec {
  name: string;
  rootfs: TarEntry[];
  entrypoint?: string[];
  cmd?: string[];
  /** gzip level of the layer: 9 (smallest) unless a big image wants speed. */
  gzipLevel?: number;
}

function sha256(b: Buffer): string {
  return 'sha256:' + createHash('sha256').update(b).digest('hex');
}

export function ociArch(arch: string = process.arch): string {
  const map: Record<string, string> = { x64: 'amd64', arm64: 'arm64', arm: 'arm', ia32: '386', ppc64: 'ppc64le', s390x: 's390x' };
  const a = map[arch];
  if (!a) throw new Error(`no OCI architecture for node arch ${arch}`);
  return a;
}

/** Builds the tar of an OCI image layout (oci-layout, index.json, blobs/sha256/*) holding one single-layer image. */
export function buildOciArchive(spec: ImageSpec): Buffer {
  const layerTar = writeTar(spec.rootfs);
  // Node's gzip header carries mtime 0 and no file name, so the compressed layer is reproducible too.
  const layer = gzipSync(layerTar, { level: spec.gzipLevel ?? 9 });
  const architecture = ociArch();
  const config = Buffer.from(
    JSON.stringify({
      architecture,
      os: 'linux',
      config: {
        Env: [PATH_ENV],
        ...(spec.entrypoint ? { Entrypoint: spec.entrypoint } : {}),
        ...(spec.cmd ? { Cmd: spec.cmd } : {}),
        WorkingDir: '/',
      },
      rootfs: { type: 'layers', diff_ids: [sha256(layerTar)] },
      history: [{ created_by: 'kubets lab/images/build.ts' }],
    }),
  );
  const manifest = Buffer.from(
    JSON.stringify({
      schemaVersion: 2,
      mediaType: 'application/vnd.oci.image.manifest.v1+json',
      config: { mediaType: 'application/vnd.oci.image.config.v1+json', digest: sha256(config), size: config.length },
      layers: [{ mediaType: 'application/vnd.oci.image.layer.v1.tar+gzip', digest: sha256(layer), size: layer.length }],
    }),
  );
  const tag = spec.name.slice(spec.name.lastIndexOf(':') + 1);
  const index = Buffer.from(
    JSON.stringify({
      schemaVersion: 2,
      mediaType: 'application/vnd.oci.image.index.v1+json',
      manifests: [
        {
          mediaType: 'application/vnd.oci.image.manifest.v1+json',
          digest: sha256(manifest),
          size: manifest.length,
          platform: { architecture, os: 'linux' },
          annotations: { 'io.containerd.image.name': spec.name, 'org.opencontainers.image.ref.name': tag },
        },
      ],
    }),
  );
  const blob = (b: Buffer): TarEntry => ({ type: 'file', path: 'blobs/sha256/' + sha256(b).slice(7), data: b });
  return writeTar([
    { type: 'file', path: 'oci-layout', data: Buffer.from(JSON.stringify({ imageLayoutVersion: '1.0.0' })) },
    { type: 'file', path: 'index.json', data: index },
    { type: 'dir', path: 'blobs' },
    { type: 'dir', path: 'blobs/sha256' },
    blob(layer),
    blob(config),
    blob(manifest),
  ]);
}

/** Walks up from this module to the folder holding package.json (works from the source tree and from dist/). */
export function projectRoot(): string {
  let dir = dirname(fileURLToPath(import.meta.url));
  while (!existsSync(join(dir, 'package.json'))) {
    const up = dirname(dir);
    if (up === dir) throw new Error('cannot find the kubets project root (package.json)');
    dir = up;
  }
  return dir;
}

/** Writes atomically so a concurrent reader never sees half an archive. */
export async function writeAtomic(file: string, data: Buffer): Promise<void> {
  const tmp = `${file}.${process.pid}.tmp`;
  await writeFile(tmp, data);
  await rename(tmp, file);
}
