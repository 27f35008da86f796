// Files an image takes from this host, as a distroless image copies them from its build stage: a program with every
// shared library it loads (its ldd closure), the directories above them, and a build cache keyed on those inputs.
import { createHash } from 'node:crypto';
import { existsSync } from 'node:fs';
import { open, readFile, realpath, stat, writeFile } from 'node:fs/promises';
import { dirname, relative } from 'node:path';
import { fileURLToPath } from 'node:url';
import { run, writeAtomic, type TarEntry } from './oci.js';

/** The modules every image build runs through: a change to them is a change to every image. */
export const BUILDER_MODULES = ['./oci.js', './rootfs.js', './host.js'].map((m) => fileURLToPath(new URL(m, import.meta.url)));

/** The ELF interpreter (dynamic loader) a program names in PT_INTERP, or undefined for a static program. */
async function interpreter(program: string): Promise<string | undefined> {
  const fh = await open(program, 'r');
  try {
    const header = Buffer.alloc(64);
    await fh.read(header, 0, 64, 0);
    if (header.readUInt32BE(0) !== 0x7f454c46) throw new Error(`${program}: not an ELF file`);
    if (header[4] !== 2 || header[5] !== 1) throw new Error(`${program}: not a 64-bit little-endian ELF file`);
    const phoff = Number(header.readBigUInt64LE(0x20));
    const phentsize = header.readUInt16LE(0x36);
    const phnum = header.readUInt16LE(0x38);
    const phdrs = Buffer.alloc(phentsize * phnum);
    await fh.read(phdrs, 0, phdrs.length, phoff);
    for (let i = 0; i < phnum; i++) {
      const ph = phdrs.subarray(i * phentsize);
      if (ph.readUInt32LE(0) !== 3) continue; // PT_INTERP
      const path = Buffer.alloc(Number(ph.readBigUInt64LE(32)));
      await fh.read(path, 0, path.length, Number(ph.readBigUInt64LE(8)));
      return path.toString('latin1').replace(/\0.*$/s, '');
    }
    return undefined;
  } finally {
    await fh.close();
  }
}

/**
 * The programs, the modules they load at run time (dlopen), and every shared library of either — what `ldd` lists,
 * by the paths the loader finds them at — each once: programs, modules, then libraries. The loader traces each
 * program itself (`ld.so --list`, as ldd does); the modules are preloaded into the first program's trace, so a
 * hundred modules cost one process rather than a hundred ldd runs.
 */
export async function withLibraries(programs: string[], modules: string[] = []): Promise<string[]> {
  const libs: string[] = [];
  for (const [i, program] of programs.entries()) {
    const loader = await interpreter(program);
    if (!loader) {
      if (i === 0 && modules.length) throw new Error(`${program} is static: it cannot load ${modules.join(', ')}`);
      continue;
    }
    const preload = i === 0 && modules.length ? ['--preload', modules.join(' ')] : [];
    const { stdout } = await run(loader, [...preload, '--list', program], { maxBuffer: 16 * 1024 * 1024 }).catch((e: { stdout?: string; stderr?: string; message: string }) => {
      throw new Error(`${loader} --list ${program}: ${e.stderr?.trim() || e.message}${e.stdout ? `\n${e.stdout}` : ''}`);
    });
    const missing = /^\s*(\S+) => not found/m.exec(stdout);
    if (missing) throw new Error(`${program}: the shared library ${missing[1]} is missing on this host`);
    libs.push(...[...stdout.matchAll(/(?:=>\s*)?(\/\S+)\s+\(0x/g)].map((m) => m[1]!));
  }
  return [...new Set([...programs, ...modules, ...libs])];
}

/**
 * Entries copying host files to the same paths in the image. A symlink whose final target is copied too stays a link
 * to it (`iptables` → `xtables-nft-multi`, past /etc/alternatives); any other becomes the file it names.
 */
export async function hostFileEntries(files: string[]): Promise<TarEntry[]> {
  const copied = new Set(files);
  return Promise.all(
    files.map(async (f): Promise<TarEntry> => {
      const real = await realpath(f);
      if (real !== f && copied.has(real)) return { type: 'symlink', path: f.slice(1), target: relative(dirname(f), real) };
      return { type: 'file', path: f.slice(1), mode: (await stat(real)).mode & 0o777, data: await readFile(real) };
    }),
  );
}

/** Every directory above each entry, so the layer creates them with their modes. */
export function withParents(entries: TarEntry[]): TarEntry[] {
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

/**
 * Writes `file` with make() unless the key beside it (`<file>.key`, a hash of the inputs' paths, sizes and times)
 * says it was built from these very inputs. Reading every byte of a 100 MB image's inputs to hash them would cost
 * more than most rebuilds save.
 */
export async function cachedArchive(file: string, inputs: string[], make: () => Promise<Buffer>): Promise<void> {
  const key = createHash('sha256');
  for (const f of [...inputs].sort()) {
    const s = await stat(f);
    key.update(`${f}\0${s.size}\0${s.mtimeMs}\n`);
  }
  const digest = key.digest('hex');
  const keyFile = `${file}.key`;
  if (existsSync(file) && existsSync(keyFile) && (await readFile(keyFile, 'utf8')) === digest) return;
  await writeAtomic(file, await make());
  await writeFile(keyFile, digest);
}
