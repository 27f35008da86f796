// Static pods from a manifest directory (kubelet's pkg/kubelet/config file.go and common.go): every file there that is
// not hidden holds one Pod in YAML or JSON. Each becomes a pod of this node named `<name>-<node>`, in namespace
// `default` unless it says otherwise, whose UID is a hash of the file's pod, the node and the file's path — so an
// edited file is a new pod and an unchanged one keeps its UID across kubelet restarts. The UID is also the pod's
// `kubernetes.io/config.hash`; `kubernetes.io/config.source` is `file` and `kubernetes.io/config.seen` the time the
// pod was first read. The directory is read again on every change (inotify) and every 20 s; a file that cannot be
// read as a pod is logged with its name and skipped, the others keep running.
import { createHash } from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import { parse } from 'yaml';
import { logger } from '../../../api/log.js';
import type { Pod } from '../../../api/types.js';
import { formatTime } from '../../../api/time.js';
import { canonicalJson } from '../status.js';

const log = logger('kubelet.staticpods');

export const ConfigAnnotation = {
  hash: 'kubernetes.io/config.hash',
  source: 'kubernetes.io/config.source',
  seen: 'kubernetes.io/config.seen',
  mirror: 'kubernetes.io/config.mirror',
} as const;

/** kubelet's fileCheckFrequency. */
export const defaultFileCheckPeriodMs = 20_000;

export class ManifestError extends Error {
  override name = 'ManifestError';
}

export const isStaticPod = (pod: Pod): boolean => pod.metadata.annotations?.[ConfigAnnotation.source] === 'file';
export const isMirrorPod = (pod: Pod): boolean => pod.metadata.annotations?.[ConfigAnnotation.mirror] !== undefined;
export const podFullName = (pod: Pod): string => `${pod.metadata.namespace ?? 'default'}/${pod.metadata.name}`;

/** kubelet's generatePodName: the manifest's name with the node's, so each node's copy has its own. */
export const staticPodName = (name: string, nodeName: string): string => `${name}-${nodeName.toLowerCase()}`;

/** The UID of a static pod: md5 over the pod as read, then the node and the file (kubelet's applyDefaults). */
export function staticPodUID(pod: unknown, nodeName: string, file: string): string {
  return createHash('md5').update(canonicalJson(pod)).update(`host:${nodeName}`).update(`file:${file}`).digest('hex');
}

type Any = any;

/** What a manifest must be for the kubelet to run it. */
function checkManifest(doc: Any): asserts doc is Pod {
  if (!doc || typeof doc !== 'object' || Array.isArray(doc)) throw new ManifestError('not a Pod object');
  if (doc.apiVersion !== 'v1' || doc.kind !== 'Pod') throw new ManifestError(`want apiVersion v1 and kind Pod, got apiVersion ${JSON.stringify(doc.apiVersion)} kind ${JSON.stringify(doc.kind)}`);
  if (typeof doc.metadata?.name !== 'string' || !doc.metadata.name) throw new ManifestError('metadata.name: Required value');
  const containers = doc.spec?.containers;
  if (!Array.isArray(containers) || containers.length === 0) throw new ManifestError('spec.containers: Required value');
  for (const [i, c] of [...containers.entries(), ...((doc.spec.initContainers ?? []) as Any[]).entries()]) {
    if (typeof c?.name !== 'string' || !c.name) throw new ManifestError(`spec.containers[${i}].name: Required value`);
    if (typeof c.image !== 'string' || !c.image) throw new ManifestError(`spec.containers[${i}].image: Required value`);
  }
}

/**
 * The static pod a manifest describes (pure): parsed, checked, and given its node name, namespace, UID and
 * annotations. `seen` is the first-seen time to stamp (RFC 3339), or gives it for the pod's UID.
 */
export function staticPodFromManifest(text: string, file: string, nodeName: string, seen: string | ((uid: string) => string)): Pod {
  let doc: Any;
  try {
    doc = parse(text);
  } catch (e) {
    throw new ManifestError(`invalid YAML or JSON: ${(e as Error).message.split('\n')[0]}`);
  }
  checkManifest(doc);
  const uid: string = doc.metadata.uid || staticPodUID(doc, nodeName, file);
  const pod = structuredClone(doc) as Pod;
  pod.metadata = {
    ...pod.metadata,
    name: staticPodName(doc.metadata.name!, nodeName),
    namespace: doc.metadata.namespace || 'default',
    uid,
    annotations: { ...(doc.metadata.annotations ?? {}), [ConfigAnnotation.hash]: uid, [ConfigAnnotation.source]: 'file', [ConfigAnnotation.seen]: typeof seen === 'string' ? seen : seen(uid) },
  };
  pod.spec.nodeName = nodeName;
  // Node problems never evict a static pod.
  const tolerations = pod.spec.tolerations ?? [];
  if (!tolerations.some((t) => t.operator === 'Exists' && !t.key && t.effect === 'NoExecute')) pod.spec.tolerations = [...tolerations, { operator: 'Exists', effect: 'NoExecute' }];
  pod.status = { phase: 'Pending' };
  return pod;
}

export interface ManifestRead {
  pods: Pod[];
  errors: { file: string; message: string }[];
}

/**
 * Every static pod of the directory (a missing directory has none). `seenAt(uid)` supplies the first-seen time of
 * pods read before. Two files naming the same pod: the first (by file name) wins.
 */
export function readManifestDir(dir: string, nodeName: string, seenAt: (uid: string) => string | undefined, now: () => string = () => formatTime()): ManifestRead {
  const out: ManifestRead = { pods: [], errors: [] };
  let entries: fs.Dirent[];
  try {
    entries = fs.readdirSync(dir, { withFileTypes: true });
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === 'ENOENT') return out;
    throw e;
  }
  const names = new Set<string>();
  for (const e of entries.sort((a, b) => a.name.localeCompare(b.name))) {
    if (e.name.startsWith('.')) continue;
    const file = path.join(dir, e.name);
    try {
      if (!fs.statSync(file).isFile()) continue;
      const text = fs.readFileSync(file, 'utf8');
      const pod = staticPodFromManifest(text, file, nodeName, (uid) => seenAt(uid) ?? now());
      const full = podFullName(pod);
      if (names.has(full)) throw new ManifestError(`metadata.name: Duplicate value: "${pod.metadata.name}" in namespace "${pod.metadata.namespace}"`);
      names.add(full);
      out.pods.push(pod);
    } catch (err) {
      out.errors.push({ file, message: (err as Error).message });
    }
  }
  return out;
}

/**
 * Keeps the static pods of a manifest directory current: reads it at start, on every change the kernel reports and
 * every periodMs, and hands the whole set to `onPods` whenever it differs from the last one.
 */
export class FileSource {
  private watcher?: fs.FSWatcher;
  private timer?: NodeJS.Timeout;
  private debounce?: NodeJS.Timeout;
  private last = '';
  private readonly seen = new Map<string, string>();
  private readonly reported = new Map<string, string>();
  private closed = false;
  private synced = false;

  constructor(
    readonly dir: string,
    private readonly nodeName: string,
    private readonly onPods: (pods: Pod[]) => void,
    private readonly periodMs = defaultFileCheckPeriodMs,
  ) {}

  /** Whether the directory has been read at least once. */
  hasSynced(): boolean {
    return this.synced;
  }

  start(): this {
    this.read();
    this.schedule();
    return this;
  }

  private schedule(): void {
    if (this.closed) return;
    this.timer = setTimeout(() => {
      this.read();
      this.schedule();
    }, this.periodMs);
  }

  /** inotify on the directory, set up again after the directory appears or is replaced. */
  private watch(): void {
    if (this.watcher || this.closed) return;
    try {
      this.watcher = fs.watch(this.dir, () => {
        clearTimeout(this.debounce);
        // Editors write in steps: read once the directory has been quiet for a moment.
        this.debounce = setTimeout(() => this.read(), 100);
      });
      this.watcher.on('error', () => {
        this.watcher?.close();
        this.watcher = undefined;
      });
    } catch {
      this.watcher = undefined;
    }
  }

  /** Reads the directory now and reports the pods when they changed. */
  read(): void {
    if (this.closed) return;
    this.watch();
    let result: ManifestRead;
    try {
      result = readManifestDir(this.dir, this.nodeName, (uid) => this.seen.get(uid));
    } catch (e) {
      log.warn({ path: this.dir, err: (e as Error).message }, 'unable to read the static pod manifest path');
      return;
    }
    for (const { file, message } of result.errors) {
      // Each broken file is reported once per distinct problem, not at every read.
      if (this.reported.get(file) === message) continue;
      this.reported.set(file, message);
      log.error({ path: file, err: message }, 'could not process manifest file; skipping it');
    }
    for (const file of [...this.reported.keys()]) if (!result.errors.some((e) => e.file === file)) this.reported.delete(file);
    for (const p of result.pods) this.seen.set(p.metadata.uid!, p.metadata.annotations![ConfigAnnotation.seen]);
    for (const uid of [...this.seen.keys()]) if (!result.pods.some((p) => p.metadata.uid === uid)) this.seen.delete(uid);
    const key = canonicalJson(result.pods);
    this.synced = true;
    if (key === this.last) return;
    this.last = key;
    this.onPods(result.pods);
  }

  close(): void {
    this.closed = true;
    clearTimeout(this.timer);
    clearTimeout(this.debounce);
    this.watcher?.close();
  }
}
