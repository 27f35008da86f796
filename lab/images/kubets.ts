// The kubets image, built here like the others (no registry): the host's Node.js runtime with the shared libraries it
// links, the built program (product files only: no tests, benches or source maps) with its production dependencies
// under /opt/kubets, the packet-filter tools kube-proxy runs (netfilter.ts), and busybox for a shell. System pods
// (kube-proxy, DNS, the control plane) run `kubets <command>` from it. Rebuilt only when its inputs change.
import { existsSync, readFileSync } from 'node:fs';
import { readdir, readFile, stat } from 'node:fs/promises';
import { join, relative } from 'node:path';
import { fileURLToPath } from 'node:url';
import { BUILDER_MODULES, cachedArchive, hostFileEntries, withLibraries, withParents } from './host.js';
import { netfilterFiles } from './netfilter.js';
import { BUSYBOX_BINARY, busyboxRootfs } from './rootfs.js';
import { buildOciArchive, projectRoot, run, type TarEntry } from './oci.js';

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

/** The production dependencies' folders, as npm resolves them (`npm ls --omit=dev`). */
async function dependencyDirs(root: string): Promise<string[]> {
  const { stdout } = await run('npm', ['ls', '--omit=dev', '--parseable', '--all'], { cwd: root, maxBuffer: 16 * 1024 * 1024 }).catch((e) => ({ stdout: (e as { stdout?: string }).stdout ?? '' }));
  return stdout.split('\n').map((l) => l.trim()).filter((l) => l && l !== root && l.includes('node_modules'));
}

export async function buildKubetsImage(outDir: string, root: string): Promise<{ name: string; file: string }> {
  const file = join(outDir, 'kubets.tar');
  const dist = join(root, 'dist');
  const program = (await Promise.all(PRODUCT_DIRS.map((d) => walk(join(dist, d), (rel) => rel.endsWith('.js') && !rel.endsWith('.test.js') && !rel.includes('/fixtures/'))))).flat();
  // The .proto files the program loads at run time (etcd's and CRI's), found from the source tree as in a checkout.
  const protos = (await Promise.all(PRODUCT_DIRS.map((d) => walk(join(root, d), (rel) => rel.endsWith('.proto'))))).flat();
  const deps: string[] = [];
  for (const d of await dependencyDirs(root)) {
    const pkg = relative(join(root, 'node_modules'), d);
    // Nested node_modules are walked as part of their parent's folder list too: only take each package's own files.
    deps.push(...(await walk(d, (rel) => !rel.includes('node_modules/') && !SKIP.some((re) => re.test(`${pkg}/${rel}`)))));
  }
  // Node and the tools share their libraries (libc, the loader): one closure, each file once.
  const hostFiles = [...new Set([...(await withLibraries([NODE_BINARY])), ...(await netfilterFiles())])];
  const builders = [...BUILDER_MODULES, fileURLToPath(import.meta.url), fileURLToPath(new URL('./netfilter.js', import.meta.url))];
  await cachedArchive(file, [...hostFiles, BUSYBOX_BINARY, ...builders, join(root, 'package.json'), ...program, ...protos, ...deps], async () => {
    const entries: TarEntry[] = [...(await busyboxRootfs()), ...(await hostFileEntries(hostFiles))];
    const opt = (f: string) => `opt/kubets/${relative(root, f)}`;
    entries.push({ type: 'file', path: 'opt/kubets/package.json', data: await readFile(join(root, 'package.json')) });
    for (const f of [...program, ...protos, ...deps]) entries.push({ type: 'file', path: opt(f), mode: (await stat(f)).mode & 0o777, data: await readFile(f) });
    entries.push({ type: 'file', path: 'usr/local/bin/kubets', mode: 0o755, data: Buffer.from(`#!/bin/sh\nexec ${NODE_BINARY} /opt/kubets/dist/cli/kubets.js "$@"\n`) });
    return buildOciArchive({ name: KUBETS_IMAGE, rootfs: withParents(entries), entrypoint: ['/usr/local/bin/kubets'], gzipLevel: 1 });
  });
  return { name: KUBETS_IMAGE, file };
}
