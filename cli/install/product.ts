// The program an install puts under /opt/kubets: the built dist/ (not tests or benchmarks) with its image archives,
// package.json and the lock, the production node_modules, the systemd units, the .proto files read at run time, and
// the Node binary that runs it all — so the
// installed program keeps working whatever later happens to the host's own Node (native addons are built for one
// Node ABI). Copied only when it differs from what is installed, into a fresh directory that then replaces the old.
import { createHash } from 'node:crypto';
import fs from 'node:fs';
import { createRequire } from 'node:module';
import path from 'node:path';
import { InstallError } from './errors.js';
import { hostPath, type Layout } from './layout.js';

export interface ProductSource {
  /** A checkout or an installed tree: holds dist/, package.json, node_modules/, systemd/. */
  dir: string;
  /** The Node executable the installed program will run with (the one running the installer). */
  node: string;
}

const MANIFEST = '.manifest';

/** Build output that is not the product: tests, test fixtures, benchmarks. */
export function isProductDistFile(rel: string): boolean {
  if (/^dist\/(test|bench)\//.test(rel)) return false;
  if (/\.test\.(js|d\.ts)(\.map)?$/.test(rel)) return false;
  return true;
}

/** Directories under node_modules the program needs at run time: the lock's packages not marked dev. */
export function productionPackages(lockText: string): string[] {
  const lock = JSON.parse(lockText) as { packages?: Record<string, { dev?: boolean }> };
  return Object.entries(lock.packages ?? {})
    .filter(([key, meta]) => key.startsWith('node_modules/') && !meta.dev)
    .map(([key]) => key)
    .sort();
}

function walk(dir: string, rel: string, out: string[], skipNested: boolean): void {
  let entries: fs.Dirent[];
  try {
    entries = fs.readdirSync(path.join(dir, rel), { withFileTypes: true });
  } catch {
    return;
  }
  for (const e of entries) {
    const r = rel ? `${rel}/${e.name}` : e.name;
    // Nested node_modules are packages of their own in the lock, decided on separately.
    if (skipNested && e.name === 'node_modules') continue;
    const full = path.join(dir, r);
    const st = fs.statSync(full);
    if (st.isDirectory()) walk(dir, r, out, skipNested);
    else if (st.isFile()) out.push(r);
  }
}

/** Every file of the product, relative to the source directory (bin/node excluded: it comes from `source.node`). */
export function productFiles(src: string): string[] {
  const out: string[] = [];
  for (const f of ['package.json', 'package-lock.json']) if (fs.existsSync(path.join(src, f))) out.push(f);
  const dist: string[] = [];
  walk(src, 'dist', dist, false);
  out.push(...dist.filter(isProductDistFile));
  walk(src, 'systemd', out, false);
  // Files the program reads from the source tree at run time: the CRI and etcd .proto files, the pause source.
  for (const top of ['api', 'agent', 'control-plane', 'lab']) {
    const assets: string[] = [];
    walk(src, top, assets, true);
    out.push(...assets.filter((f) => /\.(proto|c)$/.test(f)));
  }
  const lock = path.join(src, 'package-lock.json');
  if (fs.existsSync(lock)) for (const pkg of productionPackages(fs.readFileSync(lock, 'utf8'))) walk(src, pkg, out, true);
  return [...new Set(out)].sort();
}

/** What identifies a product: every file's path and size, and a content hash of ours (node_modules: size only). */
export function productManifest(src: ProductSource, files = productFiles(src.dir)): string {
  const lines = files.map((f) => {
    const full = path.join(src.dir, f);
    const size = fs.statSync(full).size;
    return f.startsWith('node_modules/') ? `${f}\t${size}` : `${f}\t${size}\t${sha256(full)}`;
  });
  lines.push(`bin/node\t${fs.statSync(src.node).size}\t${sha256(src.node)}`);
  return lines.join('\n') + '\n';
}

function sha256(file: string): string {
  return createHash('sha256').update(fs.readFileSync(file)).digest('hex');
}

/** Refuses a source that cannot run here: not built, or native addons built for another Node. */
export function checkSource(src: ProductSource): void {
  const entry = path.join(src.dir, 'dist', 'cli', 'kubets.js');
  if (!fs.existsSync(entry)) throw new InstallError('INSTALL_PRODUCT', `${src.dir} has no built kubets (${entry} is missing): run ./scripts/setup (or npm ci && npm run build) there first`);
  const req = createRequire(path.join(src.dir, 'package.json'));
  for (const addon of ['better-sqlite3', 'netlink']) {
    try {
      req(addon);
    } catch (e) {
      throw new InstallError('INSTALL_PRODUCT', `${src.dir}/node_modules/${addon} does not load in Node ${process.version} (${(e as Error).message.split('\n')[0]}): run npm ci there with Node ${process.versions.node.split('.')[0]}`);
    }
  }
}

/** Whether `opt` already holds exactly this product. */
export function installedManifest(l: Layout): string | undefined {
  try {
    return fs.readFileSync(path.join(l.opt, MANIFEST), 'utf8');
  } catch {
    return undefined;
  }
}

/**
 * Puts the product under l.opt: copied into a sibling directory first, then swapped in, so a running kubets (or a
 * failed copy) never sees half a tree. Returns false when the installed tree is already this product.
 */
export function installProduct(src: ProductSource, l: Layout): boolean {
  if (path.resolve(src.dir) === path.resolve(l.opt)) return false;
  const files = productFiles(src.dir);
  const manifest = productManifest(src, files);
  if (installedManifest(l) === manifest) return false;
  const next = `${l.opt}.new`;
  const old = `${l.opt}.old`;
  fs.rmSync(next, { recursive: true, force: true });
  fs.rmSync(old, { recursive: true, force: true });
  for (const f of files) {
    const to = path.join(next, f);
    fs.mkdirSync(path.dirname(to), { recursive: true });
    fs.copyFileSync(path.join(src.dir, f), to);
    fs.chmodSync(to, fs.statSync(path.join(src.dir, f)).mode & 0o777);
  }
  fs.mkdirSync(path.join(next, 'bin'), { recursive: true });
  fs.copyFileSync(src.node, path.join(next, 'bin', 'node'));
  fs.chmodSync(path.join(next, 'bin', 'node'), 0o755);
  fs.writeFileSync(path.join(next, MANIFEST), manifest);
  fs.mkdirSync(path.dirname(l.opt), { recursive: true });
  if (fs.existsSync(l.opt)) fs.renameSync(l.opt, old);
  fs.renameSync(next, l.opt);
  fs.rmSync(old, { recursive: true, force: true });
  return true;
}

/** The `kubets` command on PATH. */
export function wrapperScript(l: Layout): string {
  return [
    '#!/bin/sh',
    '# kubets, installed by `kubets install` (removed by `kubets uninstall`): the program under /opt/kubets, run by its own Node.',
    `exec ${hostPath(l, l.node)} ${hostPath(l, l.entry)} "$@"`,
    '',
  ].join('\n');
}

/** The image archives the product carries (dist/images/*.tar). */
export function productImages(dir: string): string[] {
  const d = path.join(dir, 'dist', 'images');
  try {
    return fs
      .readdirSync(d)
      .filter((f) => f.endsWith('.tar'))
      .sort()
      .map((f) => path.join(d, f));
  } catch {
    return [];
  }
}
