// Generic REST semantics over the store, for every kind in the registry: create (generateName, uid, defaults,
// validation), get, list (selectors, limit/continue, at a revision), update with optimistic concurrency, the four
// patch types, graceful deletion with finalizers and propagation policies, and watch with bookmarks and 410 Expired.
import { randomUUID } from 'node:crypto';
import { alreadyExists, badRequest, conflict, invalid, notFound, StatusError } from '../../api/errors.js';
import { fieldMatches, matches, parseFieldSelector, parseSelector, type FieldRequirement, type Selector } from '../../api/labels.js';
import { jsonPatch, mergePatch, strategicMergePatch } from '../../api/patch.js';
import type { KubeObject, Status, StatusCause } from '../../api/types.js';
import { ExpiredError, KeyExistsError, KeyNotFoundError, RevisionConflictError, type Store, type StoreEvent, type Watch } from '../storage/store.js';
import { apiVersionOf, storeKey, storePrefix, type ResourceDef } from './registry.js';
import { nameErrors } from './validation.js';
import { recordManagedFields, sameStoredObject } from './apply/index.js';
import { formatTime } from '../../api/time.js';

type Any = any;

export interface ListQuery {
  labelSelector?: string;
  fieldSelector?: string;
  limit?: number;
  continue?: string;
  resourceVersion?: string;
  resourceVersionMatch?: string;
}

export interface DeleteOptions {
  gracePeriodSeconds?: number;
  propagationPolicy?: 'Foreground' | 'Background' | 'Orphan';
  orphanDependents?: boolean;
  preconditions?: { uid?: string; resourceVersion?: string };
  dryRun?: string[];
}

export interface WatchEventOut {
  type: 'ADDED' | 'MODIFIED' | 'DELETED' | 'BOOKMARK' | 'ERROR';
  object: KubeObject | Status;
}

/** Hooks a kind can add to the generic flow (allocation of service IPs, binding pods…). */
export interface Admission {
  beforeCreate?(def: ResourceDef, obj: KubeObject): Promise<void>;
  beforeUpdate?(def: ResourceDef, obj: KubeObject, old: KubeObject): Promise<void>;
  afterDelete?(def: ResourceDef, obj: KubeObject): Promise<void>;
}

const now = () => formatTime();
const randomSuffix = () => Array.from({ length: 5 }, () => 'bcdfghjklmnpqrstvwxz2456789'[Math.floor(Math.random() * 27)]).join('');

/** A stored value as the kind's API version serves it (converted when the kind lives in another's storage). */
function decode(kv: { value: string; modRevision: number }, def?: ResourceDef): KubeObject {
  let obj = JSON.parse(kv.value) as KubeObject;
  if (def?.storage) obj = def.storage.fromStorage(obj);
  obj.metadata.resourceVersion = String(kv.modRevision);
  return obj;
}

function encode(obj: KubeObject, def?: ResourceDef): string {
  const stored = def?.storage ? def.storage.toStorage(obj) : obj;
  const { resourceVersion: _, ...meta } = stored.metadata;
  return JSON.stringify({ ...stored, metadata: meta });
}

/** Empty maps and lists in metadata vanish, as Go's omitempty drops them (`kubectl label x a-` leaves no `labels: {}`). */
function omitEmpty(meta: Any): void {
  // managedFields is left to recordManagedFields: an empty list in a request is the signal to clear them.
  for (const f of ['labels', 'annotations', 'finalizers', 'ownerReferences']) {
    const v = meta[f];
    if (v && typeof v === 'object' && Object.keys(v).length === 0) delete meta[f];
  }
}

interface ContinueToken {
  rv: number;
  start: string;
}

/** The part of an object outside metadata and status: a change here is a new generation. */
function specOf(obj: KubeObject): string {
  const { metadata: _m, status: _s, apiVersion: _a, kind: _k, ...rest } = obj as Any;
  return JSON.stringify(rest);
}

export class Rest {
  constructor(
    private readonly store: Store,
    private readonly admission: Admission = {},
  ) {}

  private qualified(def: ResourceDef): string {
    return def.group ? `${def.plural}.${def.group}` : def.plural;
  }

  private notFound(def: ResourceDef, name: string): StatusError {
    return notFound(def.plural, name, def.group);
  }

  private async checkNamespace(def: ResourceDef, namespace: string | undefined, creating: boolean): Promise<void> {
    if (!def.namespaced) return;
    if (!namespace) throw badRequest('the server could not find the requested resource: a namespace is required');
    const kv = await this.store.get(`/registry/core/namespaces/${namespace}`);
    if (!kv) throw notFound('namespaces', namespace);
    if (creating && (JSON.parse(kv.value) as Any).status?.phase === 'Terminating')
      throw new StatusError(403, 'Forbidden', `${def.plural} "${''}" is forbidden: unable to create new content in namespace ${namespace} because it is being terminated`, { kind: def.plural });
  }

  private validate(def: ResourceDef, obj: KubeObject, old?: KubeObject): void {
    const causes: StatusCause[] = [];
    if (!old) causes.push(...nameErrors(def.kind, obj.metadata.name ?? ''));
    causes.push(...(def.validate?.(obj, old) ?? []));
    if (causes.length) throw invalid(def.kind, obj.metadata.name ?? '', causes, def.group);
  }

  async get(def: ResourceDef, namespace: string | undefined, name: string): Promise<KubeObject> {
    const kv = await this.store.get(storeKey(def, namespace, name));
    if (!kv) throw this.notFound(def, name);
    return decode(kv, def);
  }

  async create(def: ResourceDef, namespace: string | undefined, body: KubeObject, dryRun = false): Promise<KubeObject> {
    const obj = structuredClone(body);
    obj.apiVersion = apiVersionOf(def);
    obj.kind = def.kind;
    obj.metadata ??= {};
    const meta = obj.metadata;
    if (def.namespaced) {
      if (meta.namespace && namespace && meta.namespace !== namespace)
        throw badRequest('the namespace of the provided object does not match the namespace sent on the request');
      meta.namespace = namespace ?? meta.namespace;
    } else delete meta.namespace;
    if (!meta.name && meta.generateName) meta.name = meta.generateName + randomSuffix();
    if (!meta.name) throw invalid(def.kind, '', [{ reason: 'FieldValueRequired', field: 'metadata.name', message: 'Required value: name or generateName is required' }], def.group);
    await this.checkNamespace(def, meta.namespace, true);
    meta.uid = randomUUID();
    meta.creationTimestamp = now();
    delete meta.resourceVersion;
    delete meta.deletionTimestamp;
    delete meta.deletionGracePeriodSeconds;
    if (def.hasSpec) meta.generation = 1;
    else delete meta.generation;
    omitEmpty(meta);
    if (def.subresources.includes('status') && def.kind !== 'Namespace' && def.kind !== 'Service') delete (obj as Any).status;
    def.defaults?.(obj);
    recordManagedFields(def, undefined, obj);
    this.validate(def, obj);
    await this.admission.beforeCreate?.(def, obj);
    if (dryRun) return obj;
    try {
      const rev = await this.store.create(storeKey(def, meta.namespace, meta.name), encode(obj, def));
      meta.resourceVersion = String(rev);
      return obj;
    } catch (e) {
      if (e instanceof KeyExistsError) throw alreadyExists(def.plural, meta.name, def.group);
      throw e;
    }
  }

  /**
   * PUT. `subresource` "status" changes only status; the main resource keeps the stored status. An empty
   * resourceVersion in the body means "unconditional" (as kube-apiserver allows for these kinds).
   */
  async update(def: ResourceDef, namespace: string | undefined, name: string, body: KubeObject, subresource?: string, dryRun = false): Promise<KubeObject> {
    if (body?.metadata?.name && body.metadata.name !== name) throw badRequest(`the name of the object (${body.metadata.name}) does not match the name on the URL (${name})`);
    const key = storeKey(def, namespace, name);
    const kv = await this.store.get(key);
    if (!kv) throw this.notFound(def, name);
    const old = decode(kv, def);
    const wanted = body.metadata?.resourceVersion;
    if (wanted && wanted !== old.metadata.resourceVersion) throw conflict(this.qualified(def).split('.')[0], name, 'the object has been modified; please apply your changes to the latest version and try again', def.group);
    const obj = this.merge(def, old, body, subresource);
    return this.write(def, key, obj, old, kv.modRevision, dryRun);
  }

  /** What a write may change: status only for /status; everything but status for the main resource. */
  private merge(def: ResourceDef, old: KubeObject, body: KubeObject, subresource?: string): KubeObject {
    let obj: Any;
    if (subresource === 'status') {
      obj = structuredClone(old);
      obj.status = structuredClone((body as Any).status);
    } else if (subresource === 'finalize') {
      // Only the namespace controller's finalizer list changes here.
      obj = structuredClone(old);
      obj.spec = { ...(obj.spec ?? {}), finalizers: (body as Any).spec?.finalizers ?? [] };
    } else {
      obj = structuredClone(body);
      obj.metadata ??= {};
      if (def.subresources.includes('status') && def.kind !== 'Namespace') {
        if ((old as Any).status === undefined) delete obj.status;
        else obj.status = structuredClone((old as Any).status);
      }
    }
    obj.apiVersion = apiVersionOf(def);
    obj.kind = def.kind;
    // Fields the server owns.
    const m = obj.metadata;
    m.name = old.metadata.name;
    m.namespace = old.metadata.namespace;
    m.uid = old.metadata.uid;
    m.creationTimestamp = old.metadata.creationTimestamp;
    m.deletionTimestamp = old.metadata.deletionTimestamp;
    m.deletionGracePeriodSeconds = old.metadata.deletionGracePeriodSeconds;
    if (m.deletionTimestamp === undefined) delete m.deletionTimestamp;
    if (m.deletionGracePeriodSeconds === undefined) delete m.deletionGracePeriodSeconds;
    m.generation = old.metadata.generation;
    if (m.generation === undefined) delete m.generation;
    omitEmpty(m);
    return obj;
  }

  private async write(def: ResourceDef, key: string, obj: KubeObject, old: KubeObject, modRevision: number, dryRun: boolean): Promise<KubeObject> {
    def.defaults?.(obj);
    recordManagedFields(def, old, obj);
    if (def.hasSpec && specOf(obj) !== specOf(old)) obj.metadata.generation = (old.metadata.generation ?? 1) + 1;
    this.validate(def, obj, old);
    await this.admission.beforeUpdate?.(def, obj, old);
    if (dryRun) return obj;
    // A terminating object whose last finalizer is gone is deleted now.
    if (obj.metadata.deletionTimestamp && !(obj.metadata.finalizers ?? []).length && !this.awaitsKubelet(def, obj)) {
      await this.store.delete(key, modRevision).catch((e) => this.storeError(def, obj.metadata.name!, e));
      await this.admission.afterDelete?.(def, obj);
      return obj;
    }
    if (sameStoredObject(obj, old)) return old; // no-op writes keep their resourceVersion, as in Kubernetes
    try {
      const rev = await this.store.update(key, encode(obj, def), modRevision);
      obj.metadata.resourceVersion = String(rev);
      return obj;
    } catch (e) {
      return this.storeError(def, obj.metadata.name!, e);
    }
  }

  private storeError(def: ResourceDef, name: string, e: unknown): never {
    if (e instanceof RevisionConflictError) throw conflict(def.plural, name, 'the object has been modified; please apply your changes to the latest version and try again', def.group);
    if (e instanceof KeyNotFoundError) throw this.notFound(def, name);
    throw e;
  }

  /** A pod bound to a node stays until its kubelet confirms the containers are gone (grace period 0). */
  private awaitsKubelet(def: ResourceDef, obj: KubeObject): boolean {
    if (def.kind === 'Namespace') return ((obj as Any).spec?.finalizers ?? []).length > 0;
    return def.kind === 'Pod' && !!(obj as Any).spec?.nodeName && (obj.metadata.deletionGracePeriodSeconds ?? 0) > 0;
  }

  async patch(def: ResourceDef, namespace: string | undefined, name: string, contentType: string, patch: unknown, subresource?: string, dryRun = false, checkFields?: (patched: KubeObject) => void): Promise<KubeObject> {
    const key = storeKey(def, namespace, name);
    for (let attempt = 0; ; attempt++) {
      const kv = await this.store.get(key);
      if (!kv) throw this.notFound(def, name);
      const old = decode(kv, def);
      let patched: Any;
      if (contentType.startsWith('application/merge-patch+json')) patched = mergePatch(old, patch);
      else if (contentType.startsWith('application/json-patch+json')) patched = jsonPatch(old, patch);
      else if (contentType.startsWith('application/strategic-merge-patch+json')) patched = strategicMergePatch(old, patch);
      else throw new StatusError(415, 'UnsupportedMediaType', `the body of the request was in an unknown format - accepted media types include: application/json-patch+json, application/merge-patch+json, application/strategic-merge-patch+json`);
      if (!patched || typeof patched !== 'object' || typeof patched.metadata !== 'object' || patched.metadata === null) throw badRequest('the patch removed the object\'s metadata');
      checkFields?.(patched);
      const wanted = patched.metadata.resourceVersion;
      if (wanted && wanted !== old.metadata.resourceVersion) throw conflict(def.plural, name, 'the object has been modified; please apply your changes to the latest version and try again', def.group);
      if (patched.metadata.uid && patched.metadata.uid !== old.metadata.uid)
        throw conflict(def.plural, name, `Precondition failed: UID in precondition: ${patched.metadata.uid}, UID in object meta: ${old.metadata.uid}`, def.group);
      const obj = this.merge(def, old, patched, subresource);
      try {
        return await this.write(def, key, obj, old, kv.modRevision, dryRun);
      } catch (e) {
        // A patch carries no resourceVersion of its own: retry on a concurrent write.
        if (!wanted && e instanceof StatusError && e.reason === 'Conflict' && attempt < 5) continue;
        throw e;
      }
    }
  }

  async delete(def: ResourceDef, namespace: string | undefined, name: string, opts: DeleteOptions = {}): Promise<KubeObject> {
    const key = storeKey(def, namespace, name);
    for (let attempt = 0; ; attempt++) {
      const kv = await this.store.get(key);
      if (!kv) throw this.notFound(def, name);
      const obj = decode(kv, def);
      const pre = opts.preconditions ?? {};
      if (pre.uid && pre.uid !== obj.metadata.uid) throw conflict(def.plural, name, `Precondition failed: UID in precondition: ${pre.uid}, UID in object meta: ${obj.metadata.uid}`, def.group);
      if (pre.resourceVersion && pre.resourceVersion !== obj.metadata.resourceVersion)
        throw conflict(def.plural, name, `Precondition failed: ResourceVersion in precondition: ${pre.resourceVersion}, ResourceVersion in object meta: ${obj.metadata.resourceVersion}`, def.group);
      if (opts.dryRun?.length) return obj;
      const policy = opts.propagationPolicy ?? (opts.orphanDependents ? 'Orphan' : undefined);
      const finalizers = [...(obj.metadata.finalizers ?? [])];
      if (policy === 'Foreground' && !finalizers.includes('foregroundDeletion')) finalizers.push('foregroundDeletion');
      if (policy === 'Orphan' && !finalizers.includes('orphan')) finalizers.push('orphan');
      let grace = 0;
      if (def.kind === 'Pod' && (obj as Any).spec?.nodeName && (obj as Any).status?.phase !== 'Succeeded' && (obj as Any).status?.phase !== 'Failed') {
        grace = opts.gracePeriodSeconds ?? (obj as Any).spec?.terminationGracePeriodSeconds ?? 30;
        if (obj.metadata.deletionGracePeriodSeconds !== undefined) grace = Math.min(grace, obj.metadata.deletionGracePeriodSeconds);
      }
      if (def.kind === 'Namespace') {
        // The namespace controller empties it, then removes the "kubernetes" finalizer.
        const ns = obj as Any;
        if ((ns.spec?.finalizers ?? []).length) {
          if (ns.status?.phase !== 'Terminating' || !obj.metadata.deletionTimestamp) {
            ns.status = { ...(ns.status ?? {}), phase: 'Terminating' };
            obj.metadata.deletionTimestamp ??= now();
            obj.metadata.deletionGracePeriodSeconds ??= 0;
            obj.metadata.finalizers = finalizers.length ? finalizers : undefined;
            if (!obj.metadata.finalizers) delete obj.metadata.finalizers;
            const rev = await this.tryUpdate(def, key, obj, kv.modRevision);
            if (rev === undefined) continue;
            obj.metadata.resourceVersion = String(rev);
          }
          return obj;
        }
      }
      if (finalizers.length || grace > 0) {
        obj.metadata.finalizers = finalizers.length ? finalizers : undefined;
        if (!obj.metadata.finalizers) delete obj.metadata.finalizers;
        if (!obj.metadata.deletionTimestamp || (obj.metadata.deletionGracePeriodSeconds ?? 0) > grace) {
          obj.metadata.deletionTimestamp = obj.metadata.deletionTimestamp && grace === 0 ? obj.metadata.deletionTimestamp : formatTime(Date.now() + grace * 1000);
          obj.metadata.deletionGracePeriodSeconds = grace;
        }
        if (grace > 0 || finalizers.length) {
          const rev = await this.tryUpdate(def, key, obj, kv.modRevision);
          if (rev === undefined) continue;
          obj.metadata.resourceVersion = String(rev);
          return obj;
        }
      }
      try {
        const rev = await this.store.delete(key, kv.modRevision);
        obj.metadata.resourceVersion = String(rev);
        await this.admission.afterDelete?.(def, obj);
        return obj;
      } catch (e) {
        if ((e instanceof RevisionConflictError || e instanceof KeyNotFoundError) && attempt < 5) continue;
        return this.storeError(def, name, e);
      }
    }
  }

  private async tryUpdate(def: ResourceDef, key: string, obj: KubeObject, rev: number): Promise<number | undefined> {
    try {
      return await this.store.update(key, encode(obj, def), rev);
    } catch (e) {
      if (e instanceof RevisionConflictError) return undefined;
      return this.storeError(def, obj.metadata.name!, e);
    }
  }

  private filters(def: ResourceDef, q: { labelSelector?: string; fieldSelector?: string }): (o: KubeObject) => boolean {
    const sel: Selector = parseSelector(q.labelSelector);
    const fsel: FieldRequirement[] = parseFieldSelector(q.fieldSelector);
    for (const r of fsel) {
      const known = ['metadata.name', 'metadata.namespace', ...Object.keys(def.fields?.({ metadata: {} } as KubeObject) ?? {})];
      if (!known.includes(r.field)) throw badRequest(`field label not supported: ${r.field}`);
    }
    return (o) => matches(sel, o.metadata.labels) && fieldMatches(fsel, { 'metadata.name': o.metadata.name ?? '', 'metadata.namespace': o.metadata.namespace ?? '', ...(def.fields?.(o) ?? {}) });
  }

  async list(def: ResourceDef, namespace: string | undefined, q: ListQuery): Promise<{ items: KubeObject[]; resourceVersion: string; continue?: string; remainingItemCount?: number }> {
    const accept = this.filters(def, q);
    const prefix = storePrefix(def, namespace);
    let revision = 0;
    let start: string | undefined;
    if (q.continue) {
      let tok: ContinueToken;
      try {
        tok = JSON.parse(Buffer.from(q.continue, 'base64url').toString('utf8'));
        if (typeof tok.rv !== 'number' || typeof tok.start !== 'string' || !tok.start.startsWith(prefix)) throw new Error('bad token');
      } catch {
        throw badRequest('continue key is not valid: malformed continue token');
      }
      revision = tok.rv;
      start = tok.start;
    } else if (q.resourceVersion && q.resourceVersion !== '0') {
      const rv = Number(q.resourceVersion);
      if (!Number.isInteger(rv) || rv < 0) throw badRequest(`invalid resource version "${q.resourceVersion}"`);
      const current = await this.store.currentRevision();
      if (q.resourceVersionMatch === 'Exact') revision = rv;
      else if (rv > current) throw new StatusError(504, 'Timeout', `Too large resource version: ${rv}, current: ${current}`, { causes: [{ reason: 'ResourceVersionTooLarge', message: 'Too large resource version' }], retryAfterSeconds: 1 });
    }
    const limit = q.limit && q.limit > 0 ? q.limit : 0;
    const items: KubeObject[] = [];
    let more = false;
    let lastKey: string | undefined;
    try {
      for (;;) {
        const page = await this.store.list(prefix, { revision, startKey: start, limit: limit ? Math.max(limit - items.length, 100) : 0 });
        revision = page.revision;
        for (const kv of page.items) {
          if (limit && items.length >= limit) {
            more = true;
            break;
          }
          lastKey = kv.key;
          const o = decode(kv, def);
          if (accept(o)) items.push(o);
        }
        if (more || !page.more) break;
        if (limit && items.length >= limit) {
          more = true;
          break;
        }
        start = page.items[page.items.length - 1].key + '\0';
      }
    } catch (e) {
      if (e instanceof ExpiredError)
        throw new StatusError(410, 'Expired', q.continue ? 'The provided continue parameter is too old to display a consistent list result. You can start a new list without the continue parameter, or use the continue token in this response to retrieve the remainder of the results. Continuing with the provided token results in an inconsistent list - objects that were created, modified, or deleted between the time the first chunk was returned and now may show up in the list.' : `too old resource version: ${revision} (${e.compacted})`);
      throw e;
    }
    const out: { items: KubeObject[]; resourceVersion: string; continue?: string } = { items, resourceVersion: String(revision) };
    if (more && lastKey) out.continue = Buffer.from(JSON.stringify({ rv: revision, start: lastKey + '\0' } satisfies ContinueToken)).toString('base64url');
    return out;
  }

  /**
   * Streams events to `send`. resourceVersion "" or "0" starts with ADDED for every current object, then follows;
   * otherwise replays everything after that revision. A revision older than the compacted one sends a 410 ERROR.
   */
  async watch(def: ResourceDef, namespace: string | undefined, q: ListQuery & { allowWatchBookmarks?: boolean; sendInitialEvents?: boolean }, send: (e: WatchEventOut) => void, onEnd: () => void): Promise<{ close(): void }> {
    const accept = this.filters(def, q);
    let from: number;
    if (!q.resourceVersion || q.resourceVersion === '0' || q.sendInitialEvents) {
      const initial = await this.list(def, namespace, { labelSelector: q.labelSelector, fieldSelector: q.fieldSelector });
      for (const o of initial.items) send({ type: 'ADDED', object: o });
      from = Number(initial.resourceVersion);
      // A streaming list (sendInitialEvents) ends its initial events with an annotated bookmark, as kube-apiserver does.
      if (q.sendInitialEvents && q.allowWatchBookmarks)
        send({ type: 'BOOKMARK', object: { kind: def.kind, apiVersion: apiVersionOf(def), metadata: { resourceVersion: initial.resourceVersion, annotations: { 'k8s.io/initial-events-end': 'true' } } } });
    } else {
      from = Number(q.resourceVersion);
      if (!Number.isInteger(from) || from < 0) throw badRequest(`invalid resource version "${q.resourceVersion}"`);
    }
    let lastRev = from;
    const onEvent = (e: StoreEvent) => {
      lastRev = e.modRevision;
      const cur = decode({ value: e.value, modRevision: e.modRevision }, def);
      const prev = e.prevValue ? decode({ value: e.prevValue, modRevision: 0 }, def) : undefined;
      if (e.type === 'delete') {
        if (accept(cur)) send({ type: 'DELETED', object: cur });
        return;
      }
      const now = accept(cur);
      const before = prev ? accept(prev) : false;
      if (now && before) send({ type: 'MODIFIED', object: cur });
      else if (now) send({ type: 'ADDED', object: cur });
      else if (before) send({ type: 'DELETED', object: cur });
    };
    const w: Watch = this.store.watch(storePrefix(def, namespace), from, onEvent, (err) => {
      if (err instanceof ExpiredError) send({ type: 'ERROR', object: new StatusError(410, 'Expired', `too old resource version: ${from} (${err.compacted})`).toStatus() });
      else send({ type: 'ERROR', object: new StatusError(500, 'InternalError', err.message).toStatus() });
      onEnd();
    });
    let bookmarks: NodeJS.Timeout | undefined;
    if (q.allowWatchBookmarks) {
      bookmarks = setInterval(async () => {
        const rev = Math.max(lastRev, await this.store.currentRevision());
        send({ type: 'BOOKMARK', object: { kind: def.kind, apiVersion: apiVersionOf(def), metadata: { resourceVersion: String(rev) } } });
      }, 30_000);
      bookmarks.unref();
    }
    return {
      close: () => {
        if (bookmarks) clearInterval(bookmarks);
        w.close();
      },
    };
  }
}
