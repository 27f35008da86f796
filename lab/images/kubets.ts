// The kubets image, built here like the others (no registry): the host's Node.js runtime with the shared libraries it
// links, the built program (product files only: no tests, benches or source maps) with its production dependencies
// under /opt/kubets, and busybox for a shell. System pods (kube-proxy, DNS, the control plane) run `kubets <command>`
// from it. Rebuilt only when its inputs change: a key over their paths, sizes and times sits beside the archive.
import { createHash } from 'node:crypto';
import { existsSync, readFileSync } from 'node:fs';
import { readdir, readFile, realpath, stat, writeFile } from 'node:fs/promises';
import { dirname, join, relative } from 'node:path';
import { busyboxRootfs } from './rootfs.js';
import { buildOciArchive, projectRoot, run, writeAtomic, type TarEntry } from './oci.js';

/** Tagged with the program's version (a :latest tag would make kubelets try to pull it). */
export const KUBETS_IMAGE = `kubets.local/kubets:v${(JSON.parse(readFileSync(join(projectRoot(), 'package.json'), 'utf8')) as { version: string }).version}`;
const NODE_BINARY = process.execPath;
/** The folders of dist/ that make up the program (tests, benches and the lab stay out). */
const PRODUCT_DIRS = ['api', 'agent', 'control-plane', 'cli', 'addons'];
/** Parts of dependencies no running program reads: sources of native builds, type declarations, docs. */
const SKIP = [/^better-sqlite3\/(deps|src)\//, /\.(md|markdown|ts|map)$/, /(^|\/)(test|tests|docs|example|examples)\//];

async function walk(dir: string, keep: (rel: string) => boolean, base = dir): Promise<string[]> {
  if (!existsSync(dir)) return [];
  const out: string[] = [];
  for (const e of await readdir(dir, { withFileTypes: true })) {
    const full = join(dir, e.name);
    const rel = relative(base, full);
    if (e.isDirectory()) out.push(...(await walk(full, keep, base)));
    else if ((e.isFile() || e.isSymbolicLink()) && keep(rel)) out.push(full);
  }
  return out;
}

/** The node binary and every shared library it loads, by the paths the loader looks them up at. */
async function runtimeFiles(): Promise<string[]> {
  const { stdout } = await run('ldd', [NODE_BINARY]);
  const libs = [...stdout.matchAll(/(?:=>\s*)?(\/\S+)\s+\(0x/g)].map((m) => m[1]);
  return [NODE_BINARY, ...libs];
}

/** The production dependencies' folders, as npm resolves them (`npm ls --omit=dev`). */
async function dependencyDirs(root: string): Promise<string[]> {
  const { stdout } = await run('npm', ['ls', '--omit=dev', '--parseable', '--all'], { cwd: root, maxBuffer: 16 * 1024 * 1024 }).catch((e) => ({ stdout: (e as { stdout?: string }).stdout ?? '' }));
  return stdout.split('\n').map((l) => l.trim()).filter((l) => l && l !== root && l.includes('node_modules'));
}

/** Every directory above each entry, so the layer creates them with their modes. */
function withParents(entries: TarEntry[]): TarEntry[] {
  const have = new Set(entries.filter((e) => e.type === 'dir').map((e) => e.path.replace(/\/$/, '')));
  const dirs: TarEntry[] = [];
  for (const e of entries) {
    for (let d = dirname(e.path); d && d !== '.' && !have.has(d); d = dirname(d)) {
      have.add(d);
      dirs.push({ type: 'dir', path: d });
    }
  }
  return [...dirs.sort((a, b) => a.path.length - b.path.length), ...entries];
}

export async function buildKubetsImage(outDir: string, root: string): Promise<{ name: string; file: string }> {
  const file = join(outDir, 'kubets.tar');
  const dist = join(root, 'dist');
  const program = (await Promise.all(PRODUCT_DIRS.map((d) => walk(join(dist, d), (rel) => rel.endsWith('.js') && !rel.endsWith('.test.js') && !rel.includes('/fixtures/'))))).flat();
  const deps: string[] = [];
  for (const d of await dependencyDirs(root)) {
    const pkg = relative(join(root, 'node_modules'), d);
    // Nested node_modules are walked as part of their parent's folder list too: only take each package's own files.
    deps.push(...(await walk(d, (rel) => !rel.includes('node_modules/') && !SKIP.some((re) => re.test(`${pkg}/${rel}`)))));
  }
  const runtime = await runtimeFiles();
  const inputs = [...runtime, join(root, 'package.json'), ...program, ...deps].sort();
  const key = createHash('sha256');
  for (const f of inputs) {
    const s = await stat(f);
    key.update(`${f}\0${s.size}\0${s.mtimeMs}\n`);
  }
  const digest = key.digest('hex');
  const keyFile = `${file}.key`;
  if (existsSync(file) && existsSync(keyFile) && (await readFile(keyFile, 'utf8')) === digest) return { name: KUBETS_IMAGE, file };

  const entries: TarEntry[] = [...(await busyboxRootfs())];
  for (const f of runtime) entries.push({ type: 'file', path: f.slice(1), mode: 0o755, data: await readFile(await realpath(f)) });
  const opt = (f: string) => `opt/kubets/${relative(root, f)}`;
  entries.push({ type: 'file', path: 'opt/kubets/package.json', data: await readFile(join(root, 'package.json')) });
  for (const f of [...program, ...deps]) entries.push({ type: 'file', path: opt(f), mode: (await stat(f)).mode & 0o777, data: await readFile(f) });
  entries.push({ type: 'file', path: 'usr/local/bin/kubets', mode: 0o755, data: Buffer.from(`#!/bin/sh\nexec ${NODE_BINARY} /opt/kubets/dist/cli/kubets.js "$@"\n`) });
  const archive = buildOciArchive({ name: KUBETS_IMAGE, rootfs: withParents(entries), entrypoint: ['/usr/local/bin/kubets'], gzipLevel: 1 });
  await writeAtomic(file, archive);
  await writeFile(keyFile, digest);
  return { name: KUBETS_IMAGE, file };
}
