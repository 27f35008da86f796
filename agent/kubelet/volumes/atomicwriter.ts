// The atomic writer (kubernetes pkg/volume/util/atomic_writer.go): a volume's files live in a hidden timestamped
// directory `..<time>.<random>`; `..data` is a symlink to it and every top-level name the user sees is a symlink
// through `..data`. A new version is written beside the old one and `..data` is swapped to it with one rename, so a
// reader sees either the whole old version or the whole new one. Deciding (validation, what changed, what to remove)
// is pure; writeAtomically does the I/O.
import fs from 'node:fs/promises';
import path from 'node:path';

export interface FileProjection {
  data: Buffer;
  mode: number;
}

export type Payload = Map<string, FileProjection>;

export const DATA_DIR = '..data';
const NEW_DATA_DIR = '..data_tmp';
const MAX_FILE_NAME_LENGTH = 255;
const MAX_PATH_LENGTH = 4096;

export class AtomicWriteError extends Error {
  override name = 'AtomicWriteError';
}

/** path.Clean for a payload's relative paths. */
export function cleanPath(p: string): string {
  const out: string[] = [];
  for (const part of p.split('/')) {
    if (part === '' || part === '.') continue;
    if (part === '..' && out.length && out[out.length - 1] !== '..') out.pop();
    else out.push(part);
  }
  const joined = out.join('/');
  if (p.startsWith('/')) return `/${joined}`;
  return joined || '.';
}

/** One payload path: relative, no `..` element, not starting with `..` (those names are the writer's own). */
export function validatePath(p: string): void {
  if (p === '') throw new AtomicWriteError(`invalid path: must not be empty: ""`);
  if (p.startsWith('/')) throw new AtomicWriteError(`invalid path: must be relative path: ${p}`);
  if (p.length > MAX_PATH_LENGTH) throw new AtomicWriteError(`invalid path: must be less than or equal to ${MAX_PATH_LENGTH} characters`);
  const items = p.split('/');
  for (const item of items) {
    if (item === '..') throw new AtomicWriteError(`invalid path: must not contain '..': ${p}`);
    if (item.length > MAX_FILE_NAME_LENGTH) throw new AtomicWriteError(`invalid path: filenames must be less than or equal to ${MAX_FILE_NAME_LENGTH} characters`);
  }
  if (items[0].startsWith('..') && items[0].length > 2) throw new AtomicWriteError(`invalid path: must not start with '..': ${p}`);
}

/** The payload with every path validated and cleaned. */
export function validatePayload(payload: Payload): Payload {
  const out: Payload = new Map();
  for (const [p, f] of payload) {
    validatePath(p);
    out.set(cleanPath(p), f);
  }
  return out;
}

/** The top-level names a payload shows in the volume's root (each a symlink through ..data). */
export function userVisibleNames(payload: Payload): Set<string> {
  return new Set([...payload.keys()].map((p) => p.split('/')[0]));
}

/** Whether the version on disk (files by relative path) differs from the payload in any file's content or mode. */
export function payloadChanged(current: ReadonlyMap<string, FileProjection>, payload: Payload): boolean {
  for (const [p, f] of payload) {
    const old = current.get(p);
    if (!old || old.mode !== f.mode || !old.data.equals(f.data)) return true;
  }
  return false;
}

/**
 * Paths of the current version (files and directories, relative) that the payload no longer has, counting every
 * parent directory of a payload file as kept.
 */
export function pathsToRemove(currentPaths: Iterable<string>, payload: Payload): string[] {
  const keep = new Set<string>();
  for (const p of payload.keys()) {
    const parts = p.split('/');
    for (let i = 1; i <= parts.length; i++) keep.add(parts.slice(0, i).join('/'));
  }
  return [...currentPaths].filter((p) => !keep.has(p)).sort();
}

/** `..2006_01_02_15_04_05.` of Go's layout: the prefix of a version directory's name. */
export function versionDirPrefix(now: Date): string {
  const p = (n: number) => String(n).padStart(2, '0');
  return `..${now.getUTCFullYear()}_${p(now.getUTCMonth() + 1)}_${p(now.getUTCDate())}_${p(now.getUTCHours())}_${p(now.getUTCMinutes())}_${p(now.getUTCSeconds())}.`;
}

/** Every file and directory below dir, by relative path; files with their content and permission bits. */
async function readVersion(dir: string): Promise<{ files: Map<string, FileProjection>; paths: string[] }> {
  const files = new Map<string, FileProjection>();
  const paths: string[] = [];
  const walk = async (rel: string) => {
    for (const e of await fs.readdir(path.join(dir, rel), { withFileTypes: true })) {
      const p = rel ? `${rel}/${e.name}` : e.name;
      paths.push(p);
      if (e.isDirectory()) await walk(p);
      else if (e.isFile()) {
        const full = path.join(dir, p);
        const [data, st] = await Promise.all([fs.readFile(full), fs.stat(full)]);
        files.set(p, { data, mode: st.mode & 0o7777 });
      }
    }
  };
  await walk('');
  return { files, paths };
}

const exists = (p: string) => fs.lstat(p).then(() => true, () => false);

/**
 * Projects the payload into targetDir (which must exist) as a new version, unless the current version already holds
 * exactly it. Returns whether a new version was written.
 */
export async function writeAtomically(targetDir: string, input: Payload, now: Date = new Date()): Promise<boolean> {
  const payload = validatePayload(input);
  const dataLink = path.join(targetDir, DATA_DIR);
  const oldVersion = await fs.readlink(dataLink).catch((e: NodeJS.ErrnoException) => {
    if (e.code === 'ENOENT') return undefined;
    throw e;
  });
  let removed: string[] = [];
  if (oldVersion) {
    const current = await readVersion(path.join(targetDir, oldVersion)).catch(() => ({ files: new Map<string, FileProjection>(), paths: [] as string[] }));
    removed = pathsToRemove(current.paths, payload);
    if (!payloadChanged(current.files, payload) && removed.length === 0) return false;
  }

  const versionDir = await fs.mkdtemp(path.join(targetDir, versionDirPrefix(now)));
  try {
    // 0755 so that any user in the container can walk the tree, whatever the umask.
    await fs.chmod(versionDir, 0o755);
    for (const [p, f] of payload) {
      const full = path.join(versionDir, p);
      await fs.mkdir(path.dirname(full), { recursive: true, mode: 0o755 });
      await fs.writeFile(full, f.data, { mode: f.mode });
      await fs.chmod(full, f.mode);
    }
    const newLink = path.join(targetDir, NEW_DATA_DIR);
    await fs.rm(newLink, { force: true });
    await fs.symlink(path.basename(versionDir), newLink);
    // The one step a reader can observe: rename(2) replaces ..data atomically.
    await fs.rename(newLink, dataLink);
  } catch (e) {
    await fs.rm(versionDir, { recursive: true, force: true });
    throw e;
  }

  for (const name of userVisibleNames(payload)) {
    const visible = path.join(targetDir, name);
    if (!(await exists(visible))) await fs.symlink(path.join(DATA_DIR, name), visible);
  }
  for (const p of removed) if (!p.includes('/')) await fs.rm(path.join(targetDir, p), { force: true });
  if (oldVersion) await fs.rm(path.join(targetDir, oldVersion), { recursive: true, force: true });
  return true;
}
