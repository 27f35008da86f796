// pkg/controller/history (controller_history.go), shared by the DaemonSet and StatefulSet controllers: each template an
// owner has run is a numbered ControllerRevision named <owner>-<hash>, labelled controller-revision-hash, controlled by
// the owner, whose data is the strategic merge patch that restores the template — what `kubectl rollout history`
// shows and `kubectl rollout undo` applies to the owner.
import type { ApiClient } from '../../../api/client.js';
import { ignoreNotFound, isAlreadyExists } from '../../../api/errors.js';
import { selectorMatches } from '../../../api/labels.js';
import { Resources } from '../../../api/resources.js';
import type { ControllerRevision, KubeObject, LabelSelector, PodTemplateSpec } from '../../../api/types.js';
import { controllerOf, controllerRef } from '../controller.js';
import { canonicalJSON, templateHash } from '../podtemplate.js';

export const REVISION_HASH_LABEL = 'controller-revision-hash';
/** The annotation `kubectl rollout history` shows as CHANGE-CAUSE; a revision copies its owner's annotations. */
export const CHANGE_CAUSE = 'kubernetes.io/change-cause';
/** Names are at most 253 characters: the owner's part is cut so that `-<hash>` fits. */
const MAX_PREFIX = 223;
/** Names tried, with a growing collision count, before a sync gives up on a template. */
const MAX_COLLISIONS = 10;

/** What keeps a history: a DaemonSet or a StatefulSet. */
export interface RevisionOwner extends KubeObject {
  spec: { selector: LabelSelector; template: PodTemplateSpec; revisionHistoryLimit?: number };
}

/**
 * The patch that restores the template: `{"spec":{"template":{"$patch":"replace",…}}}` with keys sorted, as the
 * upstream controllers marshal it (a map, so Go sorts its keys; the template's metadata has `creationTimestamp: null`).
 * kubectl compares it byte for byte with its own marshalling to skip an undo to the current template.
 */
export function revisionData(template: PodTemplateSpec): unknown {
  const t = JSON.parse(canonicalJSON({ ...template, $patch: 'replace' }));
  t.metadata = sortedKeys({ ...(t.metadata ?? {}), creationTimestamp: null });
  return { spec: { template: sortedKeys(t) } };
}

const sortedKeys = (o: Record<string, unknown>) => Object.fromEntries(Object.entries(o).sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0)));

/** The template a revision restores (ApplyRevision: its patch replaces the owner's template). */
export function templateOf(rev: ControllerRevision): PodTemplateSpec | undefined {
  const t = (rev.data as { spec?: { template?: PodTemplateSpec & { $patch?: string } } } | undefined)?.spec?.template;
  if (!t) return undefined;
  const { $patch: _, ...template } = t;
  return JSON.parse(canonicalJSON(template));
}

/** Whether the revision restores exactly this template (clients send it in other key orders, with nulls). */
export function matchesTemplate(rev: ControllerRevision, template: PodTemplateSpec): boolean {
  return canonicalJSON(rev.data) === canonicalJSON(revisionData(template));
}

export function revisionName(owner: string, hash: string): string {
  return `${owner.slice(0, MAX_PREFIX)}-${hash}`;
}

/**
 * The revision of the owner's current template (NewControllerRevision): the template's labels plus the hash, the
 * owner's annotations (so its change-cause), controlled by the owner.
 */
export function newRevision(owner: RevisionOwner, kind: string, revision: number, collisionCount = 0): ControllerRevision {
  const hash = templateHash(owner.spec.template, collisionCount);
  const annotations = owner.metadata.annotations;
  return {
    apiVersion: 'apps/v1',
    kind: 'ControllerRevision',
    metadata: {
      name: revisionName(owner.metadata.name!, hash),
      namespace: owner.metadata.namespace,
      labels: { ...(owner.spec.template.metadata?.labels ?? {}), [REVISION_HASH_LABEL]: hash },
      ...(annotations && Object.keys(annotations).length ? { annotations: { ...annotations } } : {}),
      ownerReferences: [controllerRef(owner, 'apps/v1', kind)],
    },
    data: revisionData(owner.spec.template),
    revision,
  };
}

/** Oldest first: by number, then creation time, then name (SortControllerRevisions). */
export function sortRevisions(revs: ControllerRevision[]): ControllerRevision[] {
  const created = (r: ControllerRevision) => r.metadata.creationTimestamp ?? '';
  return [...revs].sort((a, b) => a.revision - b.revision || created(a).localeCompare(created(b)) || a.metadata.name!.localeCompare(b.metadata.name!));
}

export const nextRevision = (revs: ControllerRevision[]) => Math.max(0, ...revs.map((r) => r.revision)) + 1;

/** The owner's revisions among these: its own, and orphans in its namespace that its selector matches (to adopt). */
export function ownedRevisions(all: ControllerRevision[], owner: RevisionOwner): { owned: ControllerRevision[]; orphans: ControllerRevision[] } {
  const owned: ControllerRevision[] = [];
  const orphans: ControllerRevision[] = [];
  for (const r of all) {
    if (r.metadata.namespace !== owner.metadata.namespace || r.metadata.deletionTimestamp) continue;
    const ref = controllerOf(r);
    if (ref?.uid === owner.metadata.uid) owned.push(r);
    else if (!ref && selectorMatches(owner.spec.selector, r.metadata.labels)) orphans.push(r);
  }
  return { owned, orphans };
}

export type UpdateRevisionDecision =
  /** The template already has a revision; when it is not the newest (a rollback) it is renumbered to become so. */
  | { type: 'existing'; revision: ControllerRevision; renumber?: number }
  /** A new template: its revision, numbered after every other. */
  | { type: 'create'; revision: ControllerRevision };

/** Which revision the owner's current template is (getStatefulSetRevisions, constructHistory). */
export function decideUpdateRevision(owner: RevisionOwner, kind: string, revisions: ControllerRevision[], collisionCount: number): UpdateRevisionDecision {
  const sorted = sortRevisions(revisions);
  const equal = sorted.filter((r) => matchesTemplate(r, owner.spec.template));
  const latest = equal[equal.length - 1];
  if (!latest) return { type: 'create', revision: newRevision(owner, kind, nextRevision(sorted), collisionCount) };
  const others = sorted.filter((r) => !equal.includes(r));
  const next = nextRevision(others);
  return latest.revision >= next ? { type: 'existing', revision: latest } : { type: 'existing', revision: latest, renumber: next };
}

/**
 * Revisions beyond revisionHistoryLimit (default 10), oldest first; live ones — the current and update revisions and
 * those pods still run — are kept and not counted (truncateHistory).
 */
export function revisionsToTrim(revisions: ControllerRevision[], live: Set<string>, limit = 10): ControllerRevision[] {
  const historic = sortRevisions(revisions).filter((r) => !live.has(r.metadata.name!));
  return historic.slice(0, Math.max(0, historic.length - limit));
}

export interface HistorySync {
  /** The revision of the owner's current template. */
  update: ControllerRevision;
  /** Every revision the owner has now, the update revision included. */
  revisions: ControllerRevision[];
  /** The collision count the owner's status should carry. */
  collisionCount: number;
}

/** Reads and writes one kind of owner's revisions through the API: adopts, creates, renumbers, trims. */
export class ControllerHistory {
  constructor(
    private readonly client: ApiClient,
    private readonly kind: string,
  ) {}

  /** Adopts orphans and makes sure the owner's template has the newest revision; cached are the informer's revisions. */
  async sync(owner: RevisionOwner, cached: ControllerRevision[], collisionCount = 0): Promise<HistorySync> {
    const { owned, orphans } = ownedRevisions(cached, owner);
    for (const r of orphans) owned.push(await this.adopt(owner, r));
    const decision = decideUpdateRevision(owner, this.kind, owned, collisionCount);
    if (decision.type === 'existing') {
      let update = decision.revision;
      if (decision.renumber !== undefined) {
        update = await this.client.patch<ControllerRevision>(Resources.controllerrevisions, owner.metadata.namespace, update.metadata.name!, 'merge', { revision: decision.renumber });
      }
      return { update, revisions: owned.map((r) => (r.metadata.name === update.metadata.name ? update : r)), collisionCount };
    }
    const created = await this.create(owner, decision.revision.revision, collisionCount);
    return { update: created.revision, revisions: [...owned.filter((r) => r.metadata.name !== created.revision.metadata.name), created.revision], collisionCount: created.collisionCount };
  }

  /** Deletes the revisions beyond the owner's revisionHistoryLimit that no live pod or status names. */
  async trim(owner: RevisionOwner, revisions: ControllerRevision[], live: Set<string>): Promise<void> {
    for (const r of revisionsToTrim(revisions, live, owner.spec.revisionHistoryLimit ?? 10)) {
      await ignoreNotFound(this.client.delete(Resources.controllerrevisions, r.metadata.namespace, r.metadata.name!, { preconditions: { uid: r.metadata.uid } }));
    }
  }

  /** The owner becomes the revision's controller (AdoptControllerRevision), unless it changed meanwhile. */
  private async adopt(owner: RevisionOwner, r: ControllerRevision): Promise<ControllerRevision> {
    const ownerReferences = [...(r.metadata.ownerReferences ?? []), controllerRef(owner, 'apps/v1', this.kind)];
    return this.client.patch<ControllerRevision>(Resources.controllerrevisions, r.metadata.namespace, r.metadata.name!, 'merge', { metadata: { ownerReferences, resourceVersion: r.metadata.resourceVersion } });
  }

  /**
   * Creates the revision (CreateControllerRevision). A name already taken by this template's revision (the cache has
   * not shown it yet) is that revision; taken by another template's, the collision count grows and names it anew.
   */
  private async create(owner: RevisionOwner, revision: number, collisionCount: number): Promise<{ revision: ControllerRevision; collisionCount: number }> {
    for (let count = collisionCount; count < collisionCount + MAX_COLLISIONS; count++) {
      const rev = newRevision(owner, this.kind, revision, count);
      try {
        return { revision: await this.client.create<ControllerRevision>(Resources.controllerrevisions, owner.metadata.namespace, rev), collisionCount: count };
      } catch (e) {
        if (!isAlreadyExists(e)) throw e;
        const existing = await this.client.get<ControllerRevision>(Resources.controllerrevisions, owner.metadata.namespace, rev.metadata.name!);
        if (controllerOf(existing)?.uid === owner.metadata.uid && matchesTemplate(existing, owner.spec.template)) return { revision: existing, collisionCount: count };
      }
    }
    throw new Error(`${this.kind} ${owner.metadata.namespace}/${owner.metadata.name}: no free revision name after ${MAX_COLLISIONS} hash collisions`);
  }
}
