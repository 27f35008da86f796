// The mounts the kubelet makes itself (kubernetes k8s.io/mount-utils Interface): tmpfs for memory-backed volumes,
// their unmount, and the mount-point test kubelet uses (IsLikelyNotMountPoint: a directory on another device than
// its parent). Injected, so the volume manager's tests run without privileges; FakeMounter sits beside it.
import fs from 'node:fs/promises';
import path from 'node:path';
import { execa } from 'execa';

export interface Mounter {
  /** Mounts a fresh tmpfs on target (an existing directory), of the given size in bytes if any. */
  mountTmpfs(target: string, sizeBytes?: number): Promise<void>;
  unmount(target: string): Promise<void>;
  isMountPoint(target: string): Promise<boolean>;
}

/** Whether target sits on another device than its parent directory (false when it does not exist). */
export async function onOwnDevice(target: string): Promise<boolean> {
  try {
    const [self, parent] = await Promise.all([fs.stat(target), fs.stat(path.dirname(target))]);
    return self.dev !== parent.dev;
  } catch {
    return false;
  }
}

export type RunCommand = (file: string, args: string[]) => Promise<void>;

const runCommand: RunCommand = async (file, args) => {
  const r = await execa(file, args, { reject: false });
  if (r.exitCode !== 0) throw new Error(`${file} ${args.join(' ')}: ${String(r.stderr || r.stdout || r.message).trim()}`);
};

/** mount(8) and umount(8), in the agent's own mount namespace (the one containerd sees). */
export function systemMounter(run: RunCommand = runCommand): Mounter {
  return {
    async mountTmpfs(target, sizeBytes) {
      await run('mount', ['-t', 'tmpfs', ...(sizeBytes ? ['-o', `size=${sizeBytes}`] : []), 'tmpfs', target]);
    },
    async unmount(target) {
      await run('umount', [target]);
    },
    isMountPoint: onOwnDevice,
  };
}

/** Records mounts instead of making them; a "mounted" directory stays an ordinary directory. */
export class FakeMounter implements Mounter {
  readonly mounted = new Map<string, number | undefined>();
  readonly calls: string[] = [];

  async mountTmpfs(target: string, sizeBytes?: number): Promise<void> {
    this.calls.push(`mount ${target}${sizeBytes ? ` size=${sizeBytes}` : ''}`);
    this.mounted.set(target, sizeBytes);
  }

  async unmount(target: string): Promise<void> {
    this.calls.push(`umount ${target}`);
    this.mounted.delete(target);
  }

  async isMountPoint(target: string): Promise<boolean> {
    return this.mounted.has(target);
  }
}
