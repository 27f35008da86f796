// Mirror pods (kubelet's pkg/kubelet/pod mirror_client.go and the mirror part of syncPod and HandlePodCleanups):
// every static pod is published to the API as a pod of the same name and spec, annotated
// `kubernetes.io/config.mirror: <hash>` and owned by the Node, so `kubectl get pods` shows it and its status has a
// home. A mirror that no longer matches its static pod (another hash), is being deleted, or mirrors no static pod at
// all is deleted (grace 0, on its UID); a static pod without a live mirror gets one once the Node is known.
// computeMirrorActions decides; MirrorPods acts, one pass at a time, whenever something changed and every 10 s.
import type { ApiClient } from '../../../api/client.js';
import { isAlreadyExists, isConflict, isNotFound } from '../../../api/errors.js';
import { logger } from '../../../api/log.js';
import { Resources } from '../../../api/resources.js';
import type { Node, Pod } from '../../../api/types.js';
import { ConfigAnnotation, podFullName } from './source.js';

const log = logger('kubelet.mirrorpods');

export const mirrorResyncPeriodMs = 10_000;

/** The node mirrors are owned by; undefined while it is not registered (or the API cannot be reached). */
export interface MirrorNode {
  name: string;
  uid: string;
  deleting?: boolean;
}

export const staticPodHash = (pod: Pod): string | undefined => pod.metadata.annotations?.[ConfigAnnotation.hash];

/** kubelet's IsMirrorPodOf: same name and namespace, and the mirror's hash is the static pod's. */
export function isMirrorOf(mirror: Pod, staticPod: Pod): boolean {
  return podFullName(mirror) === podFullName(staticPod) && mirror.metadata.annotations?.[ConfigAnnotation.mirror] === staticPodHash(staticPod);
}

/** The mirror pod to create for a static pod: its spec and annotations, the mirror annotation, the Node as owner. */
export function mirrorPodFor(staticPod: Pod, node: MirrorNode): Pod {
  const { name, namespace, labels, annotations } = staticPod.metadata;
  return {
    apiVersion: 'v1',
    kind: 'Pod',
    metadata: {
      name,
      namespace,
      ...(labels ? { labels: { ...labels } } : {}),
      annotations: { ...(annotations ?? {}), [ConfigAnnotation.mirror]: staticPodHash(staticPod) ?? '' },
      ownerReferences: [{ apiVersion: 'v1', kind: 'Node', name: node.name, uid: node.uid, controller: true }],
    },
    spec: structuredClone(staticPod.spec),
  };
}

export interface MirrorActions {
  /** Mirrors to delete first (each on its UID). */
  delete: Pod[];
  /** Then mirrors to create. */
  create: Pod[];
}

/** What to change so that every static pod has exactly one live, matching mirror (pure). */
export function computeMirrorActions(staticPods: Pod[], mirrors: Pod[], node: MirrorNode | undefined): MirrorActions {
  const out: MirrorActions = { delete: [], create: [] };
  const byName = new Map(mirrors.map((m) => [podFullName(m), m]));
  const wanted = new Set<string>();
  for (const pod of staticPods) {
    const full = podFullName(pod);
    wanted.add(full);
    const mirror = byName.get(full);
    let missing = !mirror;
    if (mirror && (mirror.metadata.deletionTimestamp || !isMirrorOf(mirror, pod))) {
      out.delete.push(mirror);
      missing = true;
    }
    if (missing && node && !node.deleting) out.create.push(mirrorPodFor(pod, node));
  }
  // Mirrors of static pods this node no longer runs.
  for (const [full, mirror] of byName) if (!wanted.has(full)) out.delete.push(mirror);
  return out;
}

/**
 * Keeps the API's mirror pods in step with the static pods. `staticPods` and `mirrors` are read at each pass (the
 * static pods from the file source, the mirrors from the kubelet's pod informer).
 */
export class MirrorPods {
  private timer?: NodeJS.Timeout;
  private running?: Promise<void>;
  private again = false;
  private closed = false;
  /** Nothing is done before start(): the mirrors must have been listed first. */
  private started = false;
  private nodeUID?: string;

  constructor(
    private readonly client: ApiClient,
    private readonly nodeName: string,
    private readonly staticPods: () => Pod[],
    private readonly mirrors: () => Pod[],
    private readonly periodMs = mirrorResyncPeriodMs,
  ) {}

  /** Call once the mirror pods have been listed. */
  start(): this {
    this.started = true;
    this.trigger();
    return this;
  }

  /** Something changed: run a pass now (or right after the one in flight). */
  trigger(): void {
    if (this.closed || !this.started) return;
    if (this.running) {
      this.again = true;
      return;
    }
    clearTimeout(this.timer);
    this.running = this.sync()
      .catch((e) => log.warn({ err: (e as Error).message }, 'mirror pod sync failed'))
      .finally(() => {
        this.running = undefined;
        if (this.closed) return;
        if (this.again) {
          this.again = false;
          this.trigger();
        } else {
          this.timer = setTimeout(() => this.trigger(), this.periodMs);
        }
      });
  }

  private async node(): Promise<MirrorNode | undefined> {
    try {
      const node = await this.client.get<Node>(Resources.nodes, undefined, this.nodeName);
      this.nodeUID = node.metadata.uid;
      return { name: this.nodeName, uid: node.metadata.uid!, deleting: !!node.metadata.deletionTimestamp };
    } catch (e) {
      if (!isNotFound(e)) log.debug({ err: (e as Error).message }, 'node not read; no mirror pods are created yet');
      return undefined;
    }
  }

  private async sync(): Promise<void> {
    const statics = this.staticPods();
    const mirrors = this.mirrors();
    let actions = computeMirrorActions(statics, mirrors, this.nodeUID ? { name: this.nodeName, uid: this.nodeUID } : undefined);
    if (actions.delete.length === 0 && actions.create.length === 0 && statics.every((p) => mirrors.some((m) => isMirrorOf(m, p)))) return;
    // Something to create: make sure the Node still exists (and is not going away) first.
    actions = computeMirrorActions(statics, mirrors, await this.node());
    for (const m of actions.delete) {
      try {
        await this.client.delete(Resources.pods, m.metadata.namespace, m.metadata.name!, { gracePeriodSeconds: 0, preconditions: { uid: m.metadata.uid } });
        log.info({ pod: podFullName(m), uid: m.metadata.uid }, 'deleted mirror pod');
      } catch (e) {
        // Gone already, or replaced by another pod of its name (the UID precondition fails): nothing to do.
        if (!isNotFound(e) && !isConflict(e)) log.warn({ pod: podFullName(m), err: (e as Error).message }, 'failed deleting a mirror pod');
      }
    }
    for (const m of actions.create) {
      try {
        await this.client.create(Resources.pods, m.metadata.namespace, m);
        log.info({ pod: podFullName(m) }, 'created mirror pod');
      } catch (e) {
        // A mirror of the same name that is still going away is replaced on a later pass.
        if (!isAlreadyExists(e)) log.warn({ pod: podFullName(m), err: (e as Error).message }, 'failed creating a mirror pod');
      }
    }
  }

  async close(): Promise<void> {
    this.closed = true;
    clearTimeout(this.timer);
    await this.running;
  }
}
