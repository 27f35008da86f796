// The volume manager (kubernetes pkg/kubelet/volumemanager with the emptydir, hostpath, configmap, secret,
// downwardapi and projected plugins): sets up a pod's volumes before its sandbox starts, keeps the API data volumes
// up to date while it runs (a refresh every refreshPeriodMs rewrites whatever changed — new object contents,
// labels, renewed tokens — through the atomic writer), and unmounts and removes them when the pod is gone.
// A volume that cannot be set up is reported as kubelet's FailedMount event; the pod worker retries the pod.
// With a pod fsGroup, emptyDir and API data volumes are handed to that group (SetVolumeOwnership).
// All work on one pod is serialised, so a refresh never races the pod's own set-up or tear-down.
import fs from 'node:fs/promises';
import path from 'node:path';
import type { Pod } from '../../../api/types.js';
import { logger } from '../../../api/log.js';
import { systemClock, type Clock } from '../backoff.js';
import { ContainerConfigError } from '../env.js';
import type { PodEvents } from '../events.js';
import type { NodeAllocatable } from '../fieldpath.js';
import type { Mount } from '../runtime.js';
import { writeAtomically } from './atomicwriter.js';
import { memoryVolumeSize, podVolumes, podVolumesDirectory, type PlannedMount, type PodVolume } from './layout.js';
import { systemMounter, type Mounter } from './mounter.js';
import { readObjects, type PodObjectReader } from './objects.js';
import { isProjectedKind, volumePayload, volumeReferences, type Lookup } from './projections.js';
import { TokenManager } from './tokens.js';
import { setVolumeOwnership } from './ownership.js';
import { podSecurityContext } from '../podspec.js';
import type { HostPathType } from './types.js';

const log = logger('kubelet.volumes');

/** How often API data volumes are rewritten from their sources unless told otherwise. */
export const defaultRefreshPeriodMs = 10_000;

export interface MountFailure {
  volume: string;
  message: string;
}

export interface VolumeManagerOptions {
  dataDir: string;
  reader: PodObjectReader;
  events: PodEvents;
  mounter?: Mounter;
  clock?: Clock;
  allocatable?: NodeAllocatable;
  refreshPeriodMs?: number;
  tokens?: TokenManager;
}

const hostPathTypes: Record<string, string> = { Directory: 'directory', File: 'file', Socket: 'socket file', CharDevice: 'character device', BlockDevice: 'block device' };

async function fileType(p: string): Promise<string | undefined> {
  const st = await fs.stat(p).catch(() => undefined);
  if (!st) return undefined;
  if (st.isDirectory()) return 'Directory';
  if (st.isFile()) return 'File';
  if (st.isSocket()) return 'Socket';
  if (st.isCharacterDevice()) return 'CharDevice';
  if (st.isBlockDevice()) return 'BlockDevice';
  return 'Unknown';
}

/** The hostPath plugin's type check: create what *OrCreate asks for, then insist on the kind of file. */
export async function checkHostPathType(p: string, type: HostPathType | undefined): Promise<void> {
  if (!type) return;
  let expected: string = type;
  if (type === 'DirectoryOrCreate') {
    if (!(await fileType(p))) await fs.mkdir(p, { recursive: true, mode: 0o755 });
    expected = 'Directory';
  } else if (type === 'FileOrCreate') {
    if (!(await fileType(p))) await (await fs.open(p, 'a', 0o644)).close();
    expected = 'File';
  }
  const description = hostPathTypes[expected];
  if (!description) throw new Error(`${type} is an invalid volume type`);
  const actual = await fileType(p);
  if (!actual) throw new Error(`hostPath ${p} doesn't exist`);
  if (actual !== expected) throw new Error(`hostPath type check failed: ${p} is not a ${description}, it's a ${actual}`);
}

interface PodVolumesState {
  pod: Pod;
  /** Volumes set up successfully. */
  ready: Set<string>;
  /** Where each persistentVolumeClaim volume's data is: the bound volume's directory. */
  claimPaths?: Map<string, string>;
}

export class VolumeManager {
  readonly tokens: TokenManager;
  readonly reader: PodObjectReader;
  private readonly mounter: Mounter;
  private readonly clock: Clock;
  private readonly refreshPeriodMs: number;
  private readonly pods = new Map<string, PodVolumesState>();
  private readonly locks = new Map<string, Promise<unknown>>();
  private timer?: NodeJS.Timeout;
  private refreshing?: Promise<void>;
  private cleaning?: Promise<void>;
  private closed = false;

  constructor(private readonly opts: VolumeManagerOptions) {
    this.reader = opts.reader;
    this.mounter = opts.mounter ?? systemMounter();
    this.clock = opts.clock ?? systemClock;
    this.refreshPeriodMs = opts.refreshPeriodMs ?? defaultRefreshPeriodMs;
    this.tokens = opts.tokens ?? new TokenManager(opts.reader, this.clock);
  }

  /** The pod's volumes and their host paths. */
  volumes(pod: Pod): Map<string, PodVolume> {
    const out = podVolumes(pod, this.opts.dataDir);
    const claimPaths = this.pods.get(pod.metadata.uid!)?.claimPaths;
    for (const v of out.values()) if (v.kind === 'persistent-volume-claim' && claimPaths?.has(v.name)) v.hostPath = claimPaths.get(v.name)!;
    return out;
  }

  /** Runs fn after every earlier operation on the same pod. */
  private withPod<T>(uid: string, fn: () => Promise<T>): Promise<T> {
    const prev = this.locks.get(uid) ?? Promise.resolve();
    const run = prev.then(fn, fn);
    const tail = run.catch(() => undefined);
    this.locks.set(uid, tail);
    void tail.then(() => {
      if (this.locks.get(uid) === tail) this.locks.delete(uid);
    });
    return run;
  }

  /**
   * Sets up every volume of the pod that is not set up yet (WaitForAttachAndMount's work). Each failure is recorded
   * as a FailedMount event and returned; the volumes that worked stay set up.
   */
  mountPod(pod: Pod): Promise<MountFailure[]> {
    const uid = pod.metadata.uid!;
    return this.withPod(uid, async () => {
      const state = this.pods.get(uid) ?? { pod, ready: new Set<string>() };
      state.pod = pod;
      this.pods.set(uid, state);
      const failures: MountFailure[] = [];
      for (const v of this.volumes(pod).values()) {
        if (state.ready.has(v.name)) continue;
        try {
          if (v.kind === 'persistent-volume-claim') (state.claimPaths ??= new Map()).set(v.name, await this.claimPath(pod, v));
          else await this.setUp(pod, v);
          state.ready.add(v.name);
        } catch (e) {
          const message = (e as Error).message;
          failures.push({ volume: v.name, message });
          this.opts.events.event(pod, 'Warning', 'FailedMount', `MountVolume.SetUp failed for volume "${v.name}" : ${message}`);
        }
      }
      return failures;
    });
  }

  /**
   * The directory of the volume bound to a persistentVolumeClaim volume's claim (the hostPath or local plugins' path
   * of the PV): containers bind-mount it like a hostPath. A claim not bound yet fails the mount; the pod waits.
   */
  private async claimPath(pod: Pod, v: PodVolume): Promise<string> {
    const namespace = pod.metadata.namespace!;
    const name = v.volume.persistentVolumeClaim!.claimName;
    const failed = (why: string) => new Error(`error processing PVC ${namespace}/${name}: ${why}`);
    const claim = await this.reader.persistentVolumeClaim(namespace, name);
    if (!claim) throw failed(`failed to fetch PVC from API server: persistentvolumeclaims "${name}" not found`);
    if (claim.metadata.deletionTimestamp) throw failed('can not be used because it is being deleted');
    const volumeName = claim.spec?.volumeName;
    if (!volumeName || claim.status?.phase !== 'Bound') throw failed('PVC is not bound');
    const pv = await this.reader.persistentVolume(volumeName);
    if (!pv) throw failed(`failed to fetch PV ${volumeName} from API server: persistentvolumes "${volumeName}" not found`);
    if (pv.spec?.claimRef?.uid !== claim.metadata.uid) throw failed(`PV ${volumeName} is not bound to this claim`);
    if (pv.spec.hostPath) {
      await checkHostPathType(pv.spec.hostPath.path, pv.spec.hostPath.type as HostPathType | undefined);
      return pv.spec.hostPath.path;
    }
    if (pv.spec.local) {
      await checkHostPathType(pv.spec.local.path, 'Directory');
      return pv.spec.local.path;
    }
    throw failed(`PV ${volumeName} has no source this node can mount (hostPath or local)`);
  }

  private async setUp(pod: Pod, v: PodVolume): Promise<void> {
    if (v.kind === 'host-path') return checkHostPathType(v.hostPath, v.volume.hostPath!.type);
    await fs.mkdir(v.hostPath, { recursive: true });
    if (v.memory && !(await this.mounter.isMountPoint(v.hostPath))) {
      await this.mounter.mountTmpfs(v.hostPath, memoryVolumeSize(pod, v.volume, this.opts.allocatable?.memory));
    }
    // An emptyDir is writable by every user of every container, as kubelet makes it.
    if (v.kind === 'empty-dir') {
      await fs.chmod(v.hostPath, 0o777);
      const fsGroup = podSecurityContext(pod).fsGroup;
      if (fsGroup !== undefined) await setVolumeOwnership(v.hostPath, fsGroup, false);
    }
    if (isProjectedKind(v.volume)) await this.project(pod, v);
  }

  /** Reads what the volume names, computes its files and writes them if they changed. */
  private async project(pod: Pod, v: PodVolume): Promise<void> {
    const ns = pod.metadata.namespace ?? 'default';
    const refs = volumeReferences(v.volume);
    const [configMaps, secrets] = await Promise.all([readObjects(refs.configMaps, (n) => this.reader.configMap(ns, n)), readObjects(refs.secrets, (n) => this.reader.secret(ns, n))]);
    const tokens = new Map<string, string | Error>();
    for (const t of refs.tokens) {
      try {
        tokens.set(t.path, await this.tokens.token(pod, t));
      } catch (e) {
        tokens.set(t.path, e as Error);
      }
    }
    const payload = volumePayload(v.volume, pod, { configMaps, secrets, tokens: tokens as Lookup<string>, allocatable: this.opts.allocatable });
    if (await writeAtomically(v.hostPath, payload, new Date(this.clock.now()))) {
      log.debug({ pod: `${ns}/${pod.metadata.name}`, volume: v.name }, 'volume contents updated');
      const fsGroup = podSecurityContext(pod).fsGroup;
      if (fsGroup !== undefined) await setVolumeOwnership(v.hostPath, fsGroup, true);
    }
  }

  /** The newest object of a pod whose volumes are set up (labels and annotations for the downward API). */
  podUpdated(pod: Pod): void {
    const state = this.pods.get(pod.metadata.uid!);
    if (state) state.pod = pod;
  }

  /** One refresh round: every set-up API data volume of every running pod is brought up to date. */
  refresh(): Promise<void> {
    return (this.refreshing ??= (async () => {
      try {
        for (const [uid, state] of [...this.pods]) {
          await this.withPod(uid, async () => {
            // A pod being deleted keeps what it has until its volumes go.
            if (this.pods.get(uid) !== state || state.pod.metadata.deletionTimestamp) return;
            for (const v of this.volumes(state.pod).values()) {
              if (!state.ready.has(v.name) || !isProjectedKind(v.volume)) continue;
              try {
                await this.project(state.pod, v);
              } catch (e) {
                // The last good contents stay in place.
                this.opts.events.event(state.pod, 'Warning', 'FailedMount', `MountVolume.SetUp failed for volume "${v.name}" : ${(e as Error).message}`);
              }
            }
          });
        }
      } finally {
        this.refreshing = undefined;
      }
    })());
  }

  start(): this {
    const tick = () => {
      this.timer = setTimeout(() => {
        void this.refresh().finally(() => {
          if (!this.closed) tick();
        });
      }, this.refreshPeriodMs);
    };
    if (!this.closed && !this.timer) tick();
    return this;
  }

  /**
   * The container's mounts with their subPaths resolved (makeMounts' I/O part): a missing subPath directory is
   * created with the volume's mode, and the path handed to the runtime is the real one, which must lie inside the
   * volume — a symlink in a volume cannot point a mount elsewhere on the node.
   */
  async resolveMounts(planned: PlannedMount[], containerName: string): Promise<Mount[]> {
    const out: Mount[] = [];
    for (const m of planned) {
      let hostPath = m.hostPath;
      if (m.subPathOf) {
        const root = m.subPathOf;
        try {
          await fs.lstat(hostPath);
        } catch {
          try {
            const mode = (await fs.stat(root)).mode & 0o7777;
            const first = await fs.mkdir(hostPath, { recursive: true, mode });
            // The mode exactly, whatever the umask: a group may need to write there.
            for (let dir = hostPath; first && dir.length >= first.length; dir = path.dirname(dir)) await fs.chmod(dir, mode);
          } catch {
            throw new ContainerConfigError(`failed to create subPath directory for volumeMount "${m.volumeName}" of container "${containerName}"`);
          }
        }
        const [real, realRoot] = await Promise.all([fs.realpath(hostPath), fs.realpath(root)]).catch(() => ['', '']);
        if (!real || (real !== realRoot && !real.startsWith(`${realRoot}/`))) throw new ContainerConfigError(`failed to prepare subPath for volumeMount "${m.volumeName}" of container "${containerName}"`);
        hostPath = real;
      }
      out.push({ container_path: m.containerPath, host_path: hostPath, readonly: m.readOnly });
    }
    return out;
  }

  /** Unmounts and removes everything the pod had on this node and forgets its tokens. */
  unmountPod(uid: string): Promise<void> {
    return this.withPod(uid, async () => {
      this.pods.delete(uid);
      this.tokens.forgetPod(uid);
      const root = podVolumesDirectory(this.opts.dataDir, uid);
      const kinds = await fs.readdir(root).catch(() => [] as string[]);
      for (const kind of kinds) {
        const names = await fs.readdir(path.join(root, kind)).catch(() => [] as string[]);
        for (const name of names) {
          const dir = path.join(root, kind, name);
          if (await this.mounter.isMountPoint(dir)) await this.mounter.unmount(dir);
        }
      }
      await fs.rm(root, { recursive: true, force: true });
    });
  }

  /** Removes the volumes of pods that are neither known nor running (kubelet's orphaned pod directories). */
  cleanupOrphans(active: Set<string>): Promise<void> {
    return (this.cleaning ??= this.removeOrphans(active).finally(() => (this.cleaning = undefined)));
  }

  private async removeOrphans(active: Set<string>): Promise<void> {
    const uids = await fs.readdir(path.join(this.opts.dataDir, 'pod-volumes')).catch(() => [] as string[]);
    for (const uid of uids) {
      if (active.has(uid) || this.pods.has(uid)) continue;
      log.info({ uid }, 'removing volumes of a pod that is gone');
      await this.unmountPod(uid).catch((e) => log.warn({ uid, err: (e as Error).message }, 'orphaned pod volumes not removed'));
    }
  }

  /** Stops refreshing; set-up volumes stay as they are (pods keep running across a kubelet restart). */
  async close(): Promise<void> {
    this.closed = true;
    clearTimeout(this.timer);
    await this.refreshing;
    await this.cleaning;
    await Promise.allSettled([...this.locks.values()]);
  }
}
