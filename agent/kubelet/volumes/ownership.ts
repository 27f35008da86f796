// Volume ownership for a pod's fsGroup (kubernetes pkg/volume/volume_linux.go SetVolumeOwnership): every file and
// directory of a volume the kubelet manages (emptyDir and the API data volumes, not hostPath) gets the fsGroup as its
// group and group read (and write, unless the volume is read-only) permission; directories also get group search and
// the setgid bit, so what containers create there inherits the group. Symlinks change group but not mode.
import fs from 'node:fs/promises';
import path from 'node:path';

const rwMask = 0o660;
const roMask = 0o440;
const execMask = 0o110;
const setgid = 0o2000;

/** The mode a file gets under fsGroup ownership (pure). */
export function ownershipMode(mode: number, isDirectory: boolean, readOnly: boolean): number {
  let mask = readOnly ? roMask : rwMask;
  if (isDirectory) mask |= setgid | execMask;
  return (mode & 0o7777) | mask;
}

export async function setVolumeOwnership(dir: string, fsGroup: number, readOnly: boolean): Promise<void> {
  const walk = async (p: string): Promise<void> => {
    const st = await fs.lstat(p);
    await fs.lchown(p, -1, fsGroup);
    if (st.isSymbolicLink()) return;
    await fs.chmod(p, ownershipMode(st.mode, st.isDirectory(), readOnly));
    if (st.isDirectory()) for (const e of await fs.readdir(p)) await walk(path.join(p, e));
  };
  await walk(dir);
}
