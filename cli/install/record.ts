// install.json: what `kubets install` made and what it found before it changed anything, so `kubets uninstall` removes
// exactly what was made and puts back what was there (k3s-uninstall's promise).
import fs from 'node:fs';
import path from 'node:path';
import type { Component } from './prereqs.js';

export interface InstallRecord {
  version: 1;
  /** Installed components, in the order they were installed. */
  components: Component[];
  /** Debian packages the installer installed (kept by uninstall, which names them). */
  packages: string[];
  /** containerd.service as found before the first agent install. */
  containerd?: { unitExisted: boolean; enabled: boolean; active: boolean };
  /** Paths that did not exist before the install made them (removed by uninstall if nothing else lives there). */
  created: string[];
  /** A `kubets` command that was on PATH before (a checkout's), put back by uninstall. */
  replacedWrapper?: string;
}

export function emptyRecord(): InstallRecord {
  return { version: 1, components: [], packages: [], created: [] };
}

export function readRecord(file: string): InstallRecord | undefined {
  try {
    const r = JSON.parse(fs.readFileSync(file, 'utf8')) as Partial<InstallRecord>;
    if (r.version !== 1) return undefined;
    return {
      version: 1,
      components: (r.components ?? []).filter((c): c is Component => c === 'server' || c === 'agent'),
      packages: (r.packages ?? []).filter((p) => typeof p === 'string'),
      containerd: r.containerd,
      created: (r.created ?? []).filter((p) => typeof p === 'string'),
      replacedWrapper: typeof r.replacedWrapper === 'string' ? r.replacedWrapper : undefined,
    };
  } catch {
    return undefined;
  }
}

/** Writes the record (keys always in one order) when it changed. */
export function writeRecord(file: string, r: InstallRecord): void {
  const text = JSON.stringify({ version: r.version, components: r.components, packages: r.packages, containerd: r.containerd, created: r.created, replacedWrapper: r.replacedWrapper }, null, 2) + '\n';
  try {
    if (fs.readFileSync(file, 'utf8') === text) return;
  } catch {
    /* first write */
  }
  fs.mkdirSync(path.dirname(file), { recursive: true, mode: 0o700 });
  const tmp = `${file}.tmp`;
  fs.writeFileSync(tmp, text, { mode: 0o600 });
  fs.renameSync(tmp, file);
}
