// The generic store (kube: k8s.io/apiserver/pkg/registry/generic/registry/store.go): REST semantics over the
// key-value storage for every served kind, knowing none of them — create (generateName, uid, defaults, validation),
// get, list (selectors, limit/continue, at a revision), update with optimistic concurrency, graceful deletion with
// finalizers and propagation policies, and watch with bookmarks and 410 Expired. What differs per kind is its strategy.
import { randomUUID } from 'node:crypto';
import { alreadyExists, badRequest, conflict, invalid, notFound, StatusError } from '../../../api/errors.js';
import { fieldMatches, matches, parseFieldSelector, parseSelector, type FieldRequirement, type Selector } from '../../../api/labels.js';
import type { KubeObject, Status, StatusCause, UserInfo } from '../../../api/types.js';
import { formatTime } from '../../../api/time.js';
import { ExpiredError, KeyExistsError, KeyNotFoundError, RevisionConflictError, type Store, type StoreEvent, type Watch } from '../../storage/store.js';
import { deepEqual } from '../equality.js';
import { apiVersionOf, storeKey, storePrefix, type ResourceDef } from './kinds.js';
import type { Strategy } from './strategy.js';

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
  /** The event as one JSON line, encoded once for every watcher that wants the object itself (the watch cache's). */
  wire?: () => Buffer;
}

export interface ListOut {
  items: KubeObject[];
  resourceVersion: string;
  continue?: string;
  remainingItemCount?: number;
  /**
   * The items' JSON as the list body has them (joined with commas), put together from encodings made once for every
   * reader (the watch cache's).
   */
  encodedItems?: () => Buffer;
}

/**
 * What the read handlers (get, list, watch) read through: the generic store itself, or the watch cache in front of it
 * (kube-apiserver's cacher), which answers the same.
 */
export interface Reads {
  /** resourceVersion "0" may be served from memory; any other is read from the store. */
  get(def: ResourceDef, namespace: string | undefined, name: string, resourceVersion?: string): Promise<KubeObject>;
  list(def: ResourceDef, namespace: string | undefined, q: ListQuery): Promise<ListOut>;
  watch(def: ResourceDef, namespace: string | undefined, q: WatchQuery, send: (e: WatchEventOut) => void, onEnd: () => void): Promise<{ close(): void }>;
  /** The JSON an object this reader answered with has on the wire, when it keeps one encoding for every reader. */
  encoding?(o: KubeObject): Buffer | undefined;
}

export type WatchQuery = ListQuery & { allowWatchBookmarks?: boolean; sendInitialEvents?: boolean };

/** Who asks for a write, and through which endpoint (kube's request context: user, RequestInfo.Subresource). */
export interface Requester {
  user?: UserInfo;
  subresource?: string;
}

/** What admission sees of a write (kube's admission.Attributes). */
export interface WriteAttributes extends Requester {
  operation: 'CREATE' | 'UPDATE' | 'DELETE';
  def: ResourceDef;
  /** The object to store; for DELETE, the stored object being deleted. */
  object: KubeObject;
  /** The stored object an update replaces. */
  oldObject?: KubeObject;
  dryRun: boolean;
}

/**
 * Admission, handed to the store (kube's admit and validation funcs): the mutating phase may change the object
 * before it is validated; the validating phase sees the final object. Either refuses a write by throwing.
 */
export interface Admission {
  admit(attributes: WriteAttributes): Promise<void>;
  validate(attributes: WriteAttributes): Promise<void>;
}

const NO_ADMISSION: Admission = { admit: async () => {}, validate: async () => {} };

/** Records managedFields on `obj`, written over `live` (undefined on create), for the request's field manager. */
export type ManagedFieldsUpdate = (live: KubeObject | undefined, obj: KubeObject) => void;

export interface WriteOptions extends Requester {
  dryRun?: boolean;
  /** Without one the object keeps the managedFields it had (the server's own writes: binding, eviction, finalize). */
  managedFields?: ManagedFieldsUpdate;
  /** The caller gives the object up (a request's body, decoded for it alone): a create changes it instead of a copy. */
  owned?: boolean;
}

export interface UpdateOptions extends WriteOptions {
  /** The endpoint's strategy: the kind's own (the default), its /status one, namespaces' /finalize one. */
  strategy?: Strategy;
  /**
   * The object as the watch cache holds it (kube's cachedExistingObject): the first try starts from it instead of
   * reading the store. It may be older than what is stored, and it is shared and frozen: a try from it that fails for
   * any reason (a newer revision stored, a change in place refused) is made again from the store's copy. For callers
   * that read the result and do not change it.
   */
  cached?: KubeObject;
}

/** The object an update stores, computed from the stored one (kube's rest.UpdatedObjectInfo). */
export type UpdatedObject = (live: KubeObject) => KubeObject;

export interface DeleteResult {
  object: KubeObject;
  /** Still there, waiting for finalizers or a grace period: the API answers 202. */
  pending: boolean;
}

/**
 * The handlers' check that a body is an object of the URL's kind (the serializer's decoding into the kind), for every
 * endpoint that takes one.
 */
export function checkKind(def: ResourceDef, body: unknown): KubeObject {
  if (!body || typeof body !== 'object' || Array.isArray(body)) throw badRequest('the body of the request must be a JSON object');
  const obj = body as KubeObject;
  if (obj.kind !== undefined && obj.kind !== def.kind) throw badRequest(`${obj.kind} in version "${obj.apiVersion ?? ''}" cannot be handled as a ${def.kind}: the object provided is unrecognized (must be of type ${def.kind})`);
  return obj;
}

/** The handlers' check that a body names the object of the URL (kube's checkName), for every endpoint that takes one. */
export function checkName(body: KubeObject | undefined, name: string): void {
  if (body?.metadata?.name && body.metadata.name !== name) throw badRequest(`the name of the object (${body.metadata.name}) does not match the name on the URL (${name})`);
}

const now = () => formatTime();
const randomSuffix = () => Array.from({ length: 5 }, () => 'bcdfghjklmnpqrstvwxz2456789'[Math.floor(Math.random() * 27)]).join('');

/** A stored value as the kind's API version serves it (converted when the kind lives in another's storage). */
export function decode(kv: { value: string; modRevision: number }, def?: ResourceDef): KubeObject {
  let obj = JSON.parse(kv.value) as KubeObject;
  if (def?.storage) obj = def.storage.fromStorage(obj);
  obj.metadata.resourceVersion = String(kv.modRevision);
  return obj;
}

/** The most a stored object may weigh (etcd's default request limit, which kube-apiserver's objects live under). */
export const MAX_STORED_BYTES = 1.5 * 1024 * 1024;

function encode(obj: KubeObject, def?: ResourceDef): string {
  const stored = def?.storage ? def.storage.toStorage(obj) : obj;
  const { resourceVersion: _, ...meta } = stored.metadata;
  const text = JSON.stringify({ ...stored, metadata: meta });
  const size = Buffer.byteLength(text);
  if (size > MAX_STORED_BYTES) throw new StatusError(413, 'RequestEntityTooLarge', `Request entity too large: the object is ${size} bytes, the limit is ${MAX_STORED_BYTES}`);
  return text;
}

/** Empty maps and lists in metadata vanish, as Go's omitempty drops them (`kubectl label x a-` leaves no `labels: {}`). */
function omitEmpty(meta: Any): void {
  // managedFields is left to the field manager: an empty list in a request is the signal to clear them.
  for (const f of ['labels', 'annotations', 'finalizers', 'ownerReferences']) {
    const v = meta[f];
    if (v && typeof v === 'object' && Object.keys(v).length === 0) delete meta[f];
  }
}

interface ContinueToken {
  rv: number;
  start: string;
}

/** The continue token of a list page at rv whose last key was lastKey: the next page starts after it. */
export function continueToken(rv: number, lastKey: string): string {
  return Buffer.from(JSON.stringify({ rv, start: lastKey + '\0' } satisfies ContinueToken)).toString('base64url');
}

/** A list's or watch's resourceVersion as a number ("" and "0" are 0); anything else is a 400. */
export function parseResourceVersion(rv: string | undefined): number {
  if (!rv || rv === '0') return 0;
  const n = Number(rv);
  if (!Number.isInteger(n) || n < 0) throw badRequest(`invalid resource version "${rv}"`);
  return n;
}

/** A list at a revision the store has not reached (kube's "Too large resource version": the client retries). */
export function tooLargeResourceVersion(rv: number, current: number): StatusError {
  return new StatusError(504, 'Timeout', `Too large resource version: ${rv}, current: ${current}`, { causes: [{ reason: 'ResourceVersionTooLarge', message: 'Too large resource version' }], retryAfterSeconds: 1 });
}

/** What a list or watch selects: its label and field selectors, over the fields the kind supports (kube's SelectionPredicate). */
export function selection(def: ResourceDef, q: { labelSelector?: string; fieldSelector?: string }): (o: KubeObject) => boolean {
  const sel: Selector = parseSelector(q.labelSelector);
  const fsel: FieldRequirement[] = parseFieldSelector(q.fieldSelector);
  for (const r of fsel) {
    const known = ['metadata.name', 'metadata.namespace', ...Object.keys(def.strategy.fields({ metadata: {} } as KubeObject))];
    if (!known.includes(r.field)) throw badRequest(`field label not supported: ${r.field}`);
  }
  // Lists and watches without selectors (most of them) select everything without looking.
  if (!fsel.length && !sel.length) return () => true;
  return (o) => matches(sel, o.metadata.labels) && (!fsel.length || fieldMatches(fsel, { 'metadata.name': o.metadata.name ?? '', 'metadata.namespace': o.metadata.namespace ?? '', ...def.strategy.fields(o) }));
}

/** The bookmark event of a kind at a revision. */
export function bookmark(def: ResourceDef, rv: string | number, annotations?: Record<string, string>): WatchEventOut {
  return { type: 'BOOKMARK', object: { kind: def.kind, apiVersion: apiVersionOf(def), metadata: { resourceVersion: String(rv), ...(annotations ? { annotations } : {}) } } };
}

/** How often a watch that asked for bookmarks gets one. */
export const BOOKMARK_INTERVAL_MS = 30_000;

/**
 * Sends a watch a bookmark every BOOKMARK_INTERVAL_MS at the newest revision it may claim (the last event it got, or
 * the store's current revision if newer); returns the stop. A store that can't answer skips that bookmark.
 */
export function startBookmarks(def: ResourceDef, lastRev: () => number, currentRevision: () => Promise<number>, send: (e: WatchEventOut) => void): () => void {
  const timer = setInterval(() => {
    currentRevision().then(
      (rev) => send(bookmark(def, Math.max(lastRev(), rev))),
      () => undefined,
    );
  }, BOOKMARK_INTERVAL_MS);
  timer.unref();
  return () => clearInterval(timer);
}

const NOT_SPEC = new Set(['metadata', 'status', 'apiVersion', 'kind']);

/** Whether the part of an object outside metadata and status differs (as kube compares it): a new generation. */
function specChanged(a: KubeObject, b: KubeObject): boolean {
  for (const k of new Set([...Object.keys(a), ...Object.keys(b)])) if (!NOT_SPEC.has(k) && !deepEqual((a as Any)[k], (b as Any)[k])) return true;
  return false;
}

/** An object with the managedFields it had: the stored one's on update, its own on create. */
function keepManagedFields(live: KubeObject | undefined, obj: KubeObject): void {
  const entries = live ? live.metadata.managedFields : obj.metadata.managedFields;
  if (Array.isArray(entries) && entries.length) obj.metadata.managedFields = entries;
  else delete obj.metadata.managedFields;
}

/** Same stored content, whatever the key order, resourceVersion aside: such a write changes nothing. */
function sameStoredObject(a: KubeObject, b: KubeObject): boolean {
  const strip = (o: KubeObject) => ({ ...o, metadata: { ...o.metadata, resourceVersion: undefined } });
  return deepEqual(strip(a), strip(b));
}

/** An object whose deletion has begun and that waits for something before it goes. */
function terminating(strategy: Strategy, obj: KubeObject): boolean {
  const m = obj.metadata;
  return !!m.deletionTimestamp && ((m.finalizers ?? []).length > 0 || (m.deletionGracePeriodSeconds ?? 0) > 0 || strategy.awaitsFinalization(obj));
}

export class GenericStore implements Reads {
  constructor(
    private readonly storage: Store,
    private readonly admission: Admission = NO_ADMISSION,
  ) {}

  private notFound(def: ResourceDef, name: string): StatusError {
    return notFound(def.plural, name, def.group);
  }

  private check(def: ResourceDef, obj: KubeObject, causes: StatusCause[]): void {
    if (causes.length) throw invalid(def.kind, obj.metadata.name ?? '', causes, def.group);
  }

  async get(def: ResourceDef, namespace: string | undefined, name: string): Promise<KubeObject> {
    const kv = await this.storage.get(storeKey(def, namespace, name));
    if (!kv) throw this.notFound(def, name);
    return decode(kv, def);
  }

  async create(def: ResourceDef, namespace: string | undefined, body: KubeObject, opts: WriteOptions = {}): Promise<KubeObject> {
    const { strategy } = def;
    if (def.terminating) {
      const name = body?.metadata?.name ?? '';
      throw new StatusError(403, 'Forbidden', `${def.plural}.${def.group} "${name}" is forbidden: create not allowed while custom resource definition is terminating`, { name, group: def.group, kind: def.plural });
    }
    const obj = opts.owned ? body : structuredClone(body);
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
    if (def.namespaced && !meta.namespace) throw badRequest('the server could not find the requested resource: a namespace is required');
    meta.uid = randomUUID();
    meta.creationTimestamp = now();
    delete meta.resourceVersion;
    delete meta.deletionTimestamp;
    delete meta.deletionGracePeriodSeconds;
    if (strategy.tracksGeneration) meta.generation = 1;
    else delete meta.generation;
    omitEmpty(meta);
    strategy.prepareForCreate(obj, { user: opts.user, subresource: opts.subresource });
    strategy.defaults(obj);
    (opts.managedFields ?? keepManagedFields)(undefined, obj);
    const attributes: WriteAttributes = { operation: 'CREATE', def, object: obj, dryRun: !!opts.dryRun, user: opts.user, subresource: opts.subresource };
    await this.admission.admit(attributes);
    this.check(def, obj, strategy.validate(obj));
    await this.admission.validate(attributes);
    if (opts.dryRun) return obj;
    try {
      const rev = await this.storage.create(storeKey(def, meta.namespace, meta.name), encode(obj, def));
      meta.resourceVersion = String(rev);
      return obj;
    } catch (e) {
      if (e instanceof KeyExistsError) throw alreadyExists(def.plural, meta.name, def.group);
      throw e;
    }
  }

  /**
   * Stores what `updated` makes of the stored object. A resourceVersion in it must be the stored one (an empty one
   * means "unconditional", as kube-apiserver allows for these kinds); an unconditional update is tried again when
   * another write comes in between.
   */
  async update(def: ResourceDef, namespace: string | undefined, name: string, updated: UpdatedObject, opts: UpdateOptions = {}): Promise<KubeObject> {
    const strategy = opts.strategy ?? def.strategy;
    const key = storeKey(def, namespace, name);
    if (opts.cached) {
      const old = opts.cached;
      try {
        return await this.write(def, strategy, key, this.updatedObject(def, strategy, updated, old), old, Number(old.metadata.resourceVersion), opts);
      } catch {
        // Whatever failed is decided again on the stored object, below.
      }
    }
    for (let attempt = 0; ; attempt++) {
      const kv = await this.storage.get(key);
      if (!kv) throw this.notFound(def, name);
      const old = decode(kv, def);
      const obj = this.updatedObject(def, strategy, updated, old);
      try {
        return await this.write(def, strategy, key, obj, old, kv.modRevision, opts);
      } catch (e) {
        // Another write came between the read and this one (GuaranteedUpdate): apply the change again to what is
        // stored now. A caller's own resourceVersion precondition then fails above, as it should; a patch that named
        // none (its result carries the version it was applied to) applies cleanly.
        if (e instanceof StatusError && e.reason === 'Conflict' && attempt < 5) continue;
        throw e;
      }
    }
  }

  /** What `updated` makes of the stored object `old`, refused if it names another resourceVersion, then prepared. */
  private updatedObject(def: ResourceDef, strategy: Strategy, updated: UpdatedObject, old: KubeObject): KubeObject {
    const body = updated(old);
    const wanted = body.metadata?.resourceVersion;
    if (wanted && wanted !== old.metadata.resourceVersion) throw conflict(def.plural, old.metadata.name!, 'the object has been modified; please apply your changes to the latest version and try again', def.group);
    return this.prepareForUpdate(def, strategy, body, old);
  }

  /** What the endpoint may change, then the fields the server owns. */
  private prepareForUpdate(def: ResourceDef, strategy: Strategy, body: KubeObject, old: KubeObject): KubeObject {
    const obj = strategy.prepareForUpdate(body, old);
    obj.apiVersion = apiVersionOf(def);
    obj.kind = def.kind;
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

  private async write(def: ResourceDef, strategy: Strategy, key: string, obj: KubeObject, old: KubeObject, modRevision: number, opts: WriteOptions): Promise<KubeObject> {
    strategy.defaults(obj);
    (opts.managedFields ?? keepManagedFields)(old, obj);
    if (strategy.tracksGeneration && specChanged(obj, old)) obj.metadata.generation = (old.metadata.generation ?? 1) + 1;
    const attributes: WriteAttributes = { operation: 'UPDATE', def, object: obj, oldObject: old, dryRun: !!opts.dryRun, user: opts.user, subresource: opts.subresource };
    await this.admission.admit(attributes);
    this.check(def, obj, strategy.validateUpdate(obj, old));
    await this.admission.validate(attributes);
    if (opts.dryRun) return obj;
    // A terminating object whose last finalizer is gone is deleted now.
    if (obj.metadata.deletionTimestamp && !(obj.metadata.finalizers ?? []).length && !strategy.awaitsFinalization(obj)) {
      await this.storage.delete(key, modRevision).catch((e) => this.storageError(def, obj.metadata.name!, e));
      return obj;
    }
    if (sameStoredObject(obj, old)) return old; // no-op writes keep their resourceVersion, as in Kubernetes
    try {
      const rev = await this.storage.update(key, encode(obj, def), modRevision);
      obj.metadata.resourceVersion = String(rev);
      return obj;
    } catch (e) {
      return this.storageError(def, obj.metadata.name!, e);
    }
  }

  private storageError(def: ResourceDef, name: string, e: unknown): never {
    if (e instanceof RevisionConflictError) throw conflict(def.plural, name, 'the object has been modified; please apply your changes to the latest version and try again', def.group);
    if (e instanceof KeyNotFoundError) throw this.notFound(def, name);
    throw e;
  }

  /**
   * Deletes at once, or — with finalizers, a grace period or a strategy that makes it wait — marks the object
   * deleted (deletionTimestamp, deletionGracePeriodSeconds) and leaves it to whoever finishes the deletion.
   */
  async delete(def: ResourceDef, namespace: string | undefined, name: string, opts: DeleteOptions = {}, requester: Requester = {}): Promise<DeleteResult> {
    const { strategy } = def;
    const key = storeKey(def, namespace, name);
    for (let attempt = 0; ; attempt++) {
      const kv = await this.storage.get(key);
      if (!kv) throw this.notFound(def, name);
      const obj = decode(kv, def);
      const pre = opts.preconditions ?? {};
      if (pre.uid && pre.uid !== obj.metadata.uid) throw conflict(def.plural, name, `Precondition failed: UID in precondition: ${pre.uid}, UID in object meta: ${obj.metadata.uid}`, def.group);
      if (pre.resourceVersion && pre.resourceVersion !== obj.metadata.resourceVersion)
        throw conflict(def.plural, name, `Precondition failed: ResourceVersion in precondition: ${pre.resourceVersion}, ResourceVersion in object meta: ${obj.metadata.resourceVersion}`, def.group);
      await this.admission.validate({ operation: 'DELETE', def, object: obj, dryRun: !!opts.dryRun?.length, ...requester });
      if (opts.dryRun?.length) return { object: obj, pending: terminating(strategy, obj) };
      const policy = opts.propagationPolicy ?? (opts.orphanDependents ? 'Orphan' : undefined);
      const finalizers = [...(obj.metadata.finalizers ?? [])];
      if (policy === 'Foreground' && !finalizers.includes('foregroundDeletion')) finalizers.push('foregroundDeletion');
      if (policy === 'Orphan' && !finalizers.includes('orphan')) finalizers.push('orphan');
      const grace = strategy.gracePeriod(obj, opts.gracePeriodSeconds ?? undefined);
      const marked = structuredClone(obj);
      const m = marked.metadata;
      if (finalizers.length) m.finalizers = finalizers;
      else delete m.finalizers;
      if (!m.deletionTimestamp || (m.deletionGracePeriodSeconds ?? 0) > grace) {
        m.deletionTimestamp = m.deletionTimestamp && grace === 0 ? m.deletionTimestamp : formatTime(Date.now() + grace * 1000);
        m.deletionGracePeriodSeconds = grace;
      }
      // The kind marks what begins its deletion; a CRD adds the finalizer that has its objects deleted first.
      strategy.prepareForDelete(marked, obj);
      if ((m.finalizers ?? []).length || grace > 0 || strategy.awaitsFinalization(marked)) {
        if (!sameStoredObject(marked, obj)) {
          const rev = await this.tryUpdate(def, key, marked, kv.modRevision);
          if (rev === undefined) continue;
          m.resourceVersion = String(rev);
        }
        return { object: marked, pending: true };
      }
      try {
        const rev = await this.storage.delete(key, kv.modRevision);
        obj.metadata.resourceVersion = String(rev);
        return { object: obj, pending: false };
      } catch (e) {
        if ((e instanceof RevisionConflictError || e instanceof KeyNotFoundError) && attempt < 5) continue;
        return this.storageError(def, name, e);
      }
    }
  }

  private async tryUpdate(def: ResourceDef, key: string, obj: KubeObject, rev: number): Promise<number | undefined> {
    try {
      return await this.storage.update(key, encode(obj, def), rev);
    } catch (e) {
      if (e instanceof RevisionConflictError) return undefined;
      return this.storageError(def, obj.metadata.name!, e);
    }
  }

  async list(def: ResourceDef, namespace: string | undefined, q: ListQuery): Promise<ListOut> {
    const accept = selection(def, q);
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
      const rv = parseResourceVersion(q.resourceVersion);
      const current = await this.storage.currentRevision();
      if (q.resourceVersionMatch === 'Exact') revision = rv;
      else if (rv > current) throw tooLargeResourceVersion(rv, current);
    }
    const limit = q.limit && q.limit > 0 ? q.limit : 0;
    const items: KubeObject[] = [];
    let more = false;
    let lastKey: string | undefined;
    try {
      for (;;) {
        const page = await this.storage.list(prefix, { revision, startKey: start, limit: limit ? Math.max(limit - items.length, 100) : 0 });
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
    if (more && lastKey) out.continue = continueToken(revision, lastKey);
    return out;
  }

  /**
   * Streams events to `send`. resourceVersion "" or "0" starts with ADDED for every current object, then follows;
   * otherwise replays everything after that revision. A revision older than the compacted one sends a 410 ERROR.
   */
  async watch(def: ResourceDef, namespace: string | undefined, q: WatchQuery, send: (e: WatchEventOut) => void, onEnd: () => void): Promise<{ close(): void }> {
    const accept = selection(def, q);
    let from: number;
    if (!q.resourceVersion || q.resourceVersion === '0' || q.sendInitialEvents) {
      const initial = await this.list(def, namespace, { labelSelector: q.labelSelector, fieldSelector: q.fieldSelector });
      for (const o of initial.items) send({ type: 'ADDED', object: o });
      from = Number(initial.resourceVersion);
      // A streaming list (sendInitialEvents) ends its initial events with an annotated bookmark, as kube-apiserver does.
      if (q.sendInitialEvents && q.allowWatchBookmarks) send(bookmark(def, initial.resourceVersion, { 'k8s.io/initial-events-end': 'true' }));
    } else from = parseResourceVersion(q.resourceVersion);
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
    const w: Watch = this.storage.watch(storePrefix(def, namespace), from, onEvent, (err) => {
      if (err instanceof ExpiredError) send({ type: 'ERROR', object: new StatusError(410, 'Expired', `too old resource version: ${from} (${err.compacted})`).toStatus() });
      else send({ type: 'ERROR', object: new StatusError(500, 'InternalError', err.message).toStatus() });
      onEnd();
    });
    const stopBookmarks = q.allowWatchBookmarks ? startBookmarks(def, () => lastRev, () => this.storage.currentRevision(), send) : undefined;
    return {
      close: () => {
        stopBookmarks?.();
        w.close();
      },
    };
  }
}
