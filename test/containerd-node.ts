// A throwaway node for tests that need a real containerd: its own network namespace, data dir and cgroup parent
// (all named `<prefix>-<id>`), the lab images built and imported, a CNI conflist for the given podCIDR, and a
// containerd owned by containerd-owner.ts running inside `ip netns exec` with a private /run/netns and /var/lib/cni —
// the way the lab starts an agent. The fixture registers its own teardown, which runs whatever happened: end our
// processes by PID, empty and remove our cgroups, delete the namespace, remove the data dir.
import { spawn, execFile, type ChildProcess } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, rmdirSync, symlinkSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { basename, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import type * as Tap from 'tap';
import { importImages, shimPids, type ContainerdNodeConfig, type ImportedImage } from '../agent/containerd/index.js';
import { writeConflist } from '../agent/network/cni.js';
import { buildImages } from '../lab/images/build.js';
import { until } from './until.js';

const run = promisify(execFile);
const ownerEntry = fileURLToPath(new URL('./containerd-owner.js', import.meta.url));

export interface ContainerdNodeOptions {
  /** Namespace-name prefix of the calling test (e.g. `kt-rt`); everything created is named `<prefix>-<id>`. */
  prefix: string;
  /** The node's pod CIDR, for the CNI conflist. */
  podCIDR: string;
  /** Images to import besides pause and busybox (the kubets and etcd images cost seconds each to import). */
  extraImages?: string[];
}

/** Built once per machine and shared by every test node (the build is cached by its inputs). */
export const TEST_IMAGES_DIR = join(tmpdir(), 'kubets-test-images');

export interface ContainerdNode {
  /** The random part of every name, for tests that create more resources of their own. */
  id: string;
  /** The node's network namespace. */
  ns: string;
  /** The node's data dir (containerd root/state, CNI config and IPAM data, images). */
  data: string;
  node: ContainerdNodeConfig;
  /** containerd's CRI socket (node.containerdSocket). */
  criSocket: string;
  /** Cgroup parent for the node's pods, relative to each hierarchy's root. */
  cgroupParent: string;
  /** The host dir bind-mounted over /var/lib/cni for containerd (the CNI result cache). */
  cniCache: string;
  /** host-local IPAM data dir. */
  ipamDir: string;
  /** The lab images as built, and the result of importing them. */
  images: { name: string; file: string }[];
  imported: ImportedImage[];
  containerdPid: number;
  /** `cgroupParent` in every cgroup hierarchy where it exists. */
  cgroupDirs(): string[];
  /** SIGTERMs the owner (which closes containerd) and waits for it to exit. Idempotent. */
  stopContainerd(): Promise<void>;
}

export const pidAlive = (pid: number): boolean => {
  try {
    return !readFileSync(`/proc/${pid}/stat`, 'utf8').includes(') Z ');
  } catch {
    return false;
  }
};

/** fn(), or the fallback when it throws. */
function orElse<T>(fn: () => T, fallback: T): T {
  try {
    return fn();
  } catch {
    return fallback;
  }
}

/** A cgroup dir and all its descendants, parents first. */
export function cgroupTree(dir: string): string[] {
  const out = [dir];
  for (const e of readdirSync(dir, { withFileTypes: true })) if (e.isDirectory()) out.push(...cgroupTree(join(dir, e.name)));
  return out;
}

export async function startContainerdNode(t: Tap.Test, opts: ContainerdNodeOptions): Promise<ContainerdNode> {
  const id = randomBytes(3).toString('hex');
  const ns = `${opts.prefix}-${id}`;
  const cgroupParent = `/${opts.prefix}-${id}`;
  const data = mkdtempSync(`/tmp/${opts.prefix}-${id}-`);
  const node: ContainerdNodeConfig = {
    dataDir: data,
    containerdSocket: join(data, 'run', 'containerd.sock'),
    sandboxImage: 'kubets.local/pause:3.9',
    cniBinDir: '/usr/lib/cni',
    cniConfDir: join(data, 'cni', 'net.d'),
  };
  const cniCache = join(data, 'cni', 'cache');
  const ipamDir = join(data, 'cni', 'ipam');

  const cgroupDirs = (): string[] =>
    readdirSync('/sys/fs/cgroup')
      .map((h) => join('/sys/fs/cgroup', h, cgroupParent))
      .filter((d) => existsSync(d));

  let owner: ChildProcess | undefined;
  let containerdPid = 0;
  const stopContainerd = async (): Promise<void> => {
    if (!owner || owner.exitCode !== null || owner.signalCode !== null) return;
    const exited = new Promise((r) => owner!.once('exit', r));
    owner.kill('SIGTERM');
    // A containerd that does not stop in time is SIGKILLed by the teardown.
    let timer: NodeJS.Timeout | undefined;
    await Promise.race([exited, new Promise((r) => (timer = setTimeout(r, 15_000)))]);
    clearTimeout(timer);
  };

  t.teardown(async () => {
    const shims = await shimPids(node.containerdSocket).catch(() => [] as number[]);
    await stopContainerd();
    // Processes may exit (and cgroups go) while this runs: a kill or read that finds nothing is fine.
    const kill = (pid: number) => orElse(() => process.kill(pid, 'SIGKILL'), false);
    const ours = [...shims, containerdPid, owner?.pid ?? 0].filter((pid) => pid && pidAlive(pid));
    ours.forEach(kill);
    // Nothing of ours may still write into the data dir when it is removed.
    await until('our processes to exit', () => ours.every((pid) => !pidAlive(pid)), 10_000, 50).catch(() => undefined);
    for (const dir of cgroupDirs()) {
      const tree = orElse(() => cgroupTree(dir), []);
      for (const d of tree) for (const p of orElse(() => readFileSync(join(d, 'cgroup.procs'), 'utf8'), '').split('\n').filter(Boolean)) kill(Number(p));
      // A cgroup can be removed once the kernel has seen its killed processes exit.
      for (const d of tree.reverse()) {
        await until(`cgroup ${d} removed`, () => {
          if (existsSync(d)) rmdirSync(d);
          return true;
        }, 5_000, 100).catch(() => undefined);
      }
    }
    await run('ip', ['netns', 'delete', ns]).catch(() => undefined);
    rmSync(data, { recursive: true, force: true });
  });

  await run('ip', ['netns', 'add', ns]);
  await run('ip', ['-n', ns, 'link', 'set', 'lo', 'up']);
  // The node imports from its own dir: links to the shared archives it wants.
  const wanted = new Set(['kubets.local/pause:3.9', 'docker.io/library/busybox:1.35', ...(opts.extraImages ?? [])]);
  const images = (await buildImages(TEST_IMAGES_DIR)).filter((i) => wanted.has(i.name));
  mkdirSync(join(data, 'images'), { recursive: true });
  for (const i of images) symlinkSync(i.file, join(data, 'images', basename(i.file)));
  await writeConflist(node.cniConfDir, { podCIDR: opts.podCIDR, ipamDataDir: ipamDir });
  mkdirSync(cniCache, { recursive: true });
  mkdirSync('/var/lib/cni', { recursive: true }); // mount point for the private CNI cache (an empty dir on the host)

  // The owner runs in the node's network namespace and a private mount namespace: its own /run/netns (so pod
  // namespaces never appear on the host) and the node's CNI cache at the path the plugins use.
  const q = (s: string) => `'${s.replace(/'/g, `'\\''`)}'`;
  const script = `mount -t tmpfs ${opts.prefix}-netns /run/netns && mount --bind ${q(cniCache)} /var/lib/cni && exec ${q(process.execPath)} ${q(ownerEntry)}`;
  // Its stdin is a pipe from this process: when this process dies without teardown, the owner sees the pipe close.
  owner = spawn('ip', ['netns', 'exec', ns, 'sh', '-c', script], { env: { ...process.env, KT_CONTAINERD_NODE: JSON.stringify(node) }, stdio: ['pipe', 'pipe', 'inherit'] });
  const ready = await new Promise<{ pid: number }>((resolve, reject) => {
    let buf = '';
    owner!.stdout!.on('data', (d: Buffer) => {
      buf += d.toString();
      const line = buf.split('\n').find((l) => l.startsWith('{"pid"'));
      if (line) resolve(JSON.parse(line) as { pid: number });
    });
    owner!.once('exit', (code) => reject(new Error(`containerd owner exited (${code}); see ${join(data, 'containerd', 'containerd.log')}`)));
  });
  containerdPid = ready.pid;
  const imported = await importImages(node.containerdSocket, join(data, 'images'));

  return { id, ns, data, node, criSocket: node.containerdSocket, cgroupParent, cniCache, ipamDir, images, imported, containerdPid, cgroupDirs, stopContainerd };
}
