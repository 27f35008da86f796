// The watch cache (kube: k8s.io/apiserver/pkg/storage/cacher — cacher.go, watch_cache.go, delegator.go): one cache per
// built-in kind, fed by one store watch, holding every object decoded once, and a window of the latest events. Lists,
// gets at resourceVersion "0" and watches are answered from memory, from each object's JSON bytes made once for every
// watcher, list and get (a list's body is put together from them, and reused by the same list until the next event);
// what the cache cannot answer exactly as the store would (continue tokens, exact revisions, revisions older than the
// window) goes to the store, as kube's delegator sends it to etcd.
import { notFound } from '../../../api/errors.js';
import { logger } from '../../../api/log.js';
import type { KubeObject } from '../../../api/types.js';
import type { Store, StoreEvent, Watch } from '../../storage/store.js';
import { wireOrder } from '../http.js';
import { kinds, storeKey, storePrefix, type ResourceDef } from './kinds.js';
import {
  startBookmarks,
  bookmark,
  continueToken,
  decode,
  parseResourceVersion,
  selection,
  tooLargeResourceVersion,
  type GenericStore,
  type ListOut,
  type ListQuery,
  type Reads,
  type WatchEventOut,
  type WatchQuery,
} from './store.js';

const log = logger('apiserver.watchcache');

/** Events kept for watches from a resourceVersion (kube's cyclic buffer); older ones are replayed by the store. */
export const EVENT_WINDOW = 1024;

/** Objects handed to many readers at once: frozen, so that a reader changing one fails instead of changing them all. */
function deepFreeze<T>(v: T): T {
  if (v && typeof v === 'object' && !Object.isFrozen(v)) {
    Object.freeze(v);
    for (const x of Object.values(v)) deepFreeze(x);
  }
  return v;
}

/** Each cached object's JSON as the wire has it, as UTF-8 bytes made on first use: one encoding for every list, get and watcher. */
const wire = new WeakMap<KubeObject, Buffer>();
let encodings = 0;
export function encoded(o: KubeObject): Buffer {
  let bytes = wire.get(o);
  if (bytes === undefined) {
    encodings++;
    const text = JSON.stringify(wireOrder(o));
    // A buffer of its own: a slice of the shared pool would keep the pool's other tenants alive with it.
    bytes = Buffer.allocUnsafeSlow(Buffer.byteLength(text));
    bytes.write(text);
    wire.set(o, bytes);
  }
  return bytes;
}

/** The objects the caches hold (frozen, shared by every reader): those whose encodings are worth keeping. */
const held = new WeakSet<KubeObject>();

/** Decoded once for every reader, and frozen so that a reader changing it fails instead of changing it for all. */
function hold(o: KubeObject): KubeObject {
  held.add(deepFreeze(o));
  return o;
}

/** How many objects have been JSON-encoded for the wire so far: one per object, however many read it. */
export const encodeCount = (): number => encodings;

const eventHead = (type: string) => Buffer.from(`{"type":"${type}","object":`);
const EVENT_HEADS = { ADDED: eventHead('ADDED'), MODIFIED: eventHead('MODIFIED'), DELETED: eventHead('DELETED') };
const EVENT_TAIL = Buffer.from('}\n');

/** An event's JSON line as the watch handler's encodeJSON({ type, object: wireOrder(object) }) writes it. */
function eventLine(type: keyof typeof EVENT_HEADS, o: KubeObject): Buffer {
  return Buffer.concat([EVENT_HEADS[type], encoded(o), EVENT_TAIL]);
}

/** One event of the window: the object after it, the one before, and its JSON lines, encoded on first use. */
class CachedEvent {
  private readonly lines = new Map<string, Buffer>();

  constructor(
    readonly key: string,
    readonly rev: number,
    readonly deleted: boolean,
    readonly object: KubeObject,
    readonly prev: KubeObject | undefined,
  ) {}

  /** The event as a watcher that selected it with this type receives it. */
  out(type: 'ADDED' | 'MODIFIED' | 'DELETED'): WatchEventOut {
    return {
      type,
      object: this.object,
      wire: () => {
        let line = this.lines.get(type);
        if (line === undefined) this.lines.set(type, (line = eventLine(type, this.object)));
        return line;
      },
    };
  }
}

interface CacheWatcher {
  prefix: string;
  from: number;
  accept: (o: KubeObject) => boolean;
  send: (e: WatchEventOut) => void;
  end: () => void;
  lastRev: number;
}

/** The watchers' event from one cached event: the type it has for what they select, if any (the store watch's rule). */
function eventFor(w: CacheWatcher, ev: CachedEvent): WatchEventOut | undefined {
  if (ev.deleted) return w.accept(ev.object) ? ev.out('DELETED') : undefined;
  const now = w.accept(ev.object);
  const before = ev.prev ? w.accept(ev.prev) : false;
  if (now && before) return ev.out('MODIFIED');
  if (now) return ev.out('ADDED');
  if (before) return ev.out('DELETED');
  return undefined;
}

/** What a list selected, in key order, as the store's list pages it: the objects, whether keys follow, the last key read. */
interface Page {
  items: KubeObject[];
  more: boolean;
  lastKey?: string;
  /** The items' JSON joined with commas, made from their encodings on first use. */
  body?: Buffer;
  /** Its key among the pages kept between events. */
  key?: string;
}

/** Bytes of list bodies a kind's cache keeps between events, and how many selections. */
export const PAGE_BUDGET = { bytes: 32 * 1024 * 1024, pages: 64 };

const COMMA = Buffer.from(',');

/** The cache of one kind. */
class WatchCache {
  private readonly items = new Map<string, KubeObject>();
  /** The keys in store order, for lists and namespaces' ranges. */
  private readonly keys: string[] = [];
  private readonly window: (CachedEvent | undefined)[] = new Array(EVENT_WINDOW);
  private windowHead = 0;
  private windowSize = 0;
  /** Every event after this revision is in the window (or yet to come). */
  private windowStart = 0;
  /** The newest revision the cache has seen: its list's, or its newest event's. */
  rv = 0;
  /** Loaded and following the store. */
  ready = false;
  /** Ready, and (for a store whose watches are synchronous) caught up: current at every moment. */
  current = false;
  private readonly watchers = new Set<CacheWatcher>();
  /**
   * Lists answered since the last event, by namespace, selectors and limit: what the kind holds has not changed since,
   * so the same list has the same items and body (only the resourceVersion in its metadata may differ).
   */
  private readonly pages = new Map<string, Page>();
  private pageBytes = 0;
  private watch?: Watch;
  private timer?: NodeJS.Timeout;
  private closed = false;
  private readonly prefix: string;

  constructor(
    private readonly store: Store,
    readonly def: ResourceDef,
  ) {
    this.prefix = storePrefix(def);
  }

  start(): this {
    void this.load();
    return this;
  }

  private async load(): Promise<void> {
    try {
      const page = await this.store.list(this.prefix);
      if (this.closed) return;
      this.items.clear();
      this.keys.length = 0;
      this.dropPages();
      for (const kv of page.items) {
        this.items.set(kv.key, hold(decode(kv, this.def)));
        this.keys.push(kv.key);
      }
      this.keys.sort();
      this.window.fill(undefined);
      this.windowHead = this.windowSize = 0;
      this.windowStart = this.rv = page.revision;
      this.watch = this.store.watch(this.prefix, page.revision, (e) => this.apply(e), (e) => this.fail(e));
      this.ready = true;
      // The store's history since the list comes in the microtask watch() queued; after it, every write is seen as
      // it commits.
      if (this.store.synchronousWatch) queueMicrotask(() => (this.current = this.ready));
    } catch (e) {
      this.fail(e as Error);
    }
  }

  /** The cache stops serving, its watchers end (they watch again from their last resourceVersion), and it reloads. */
  private fail(e: Error): void {
    if (this.closed) return;
    log.warn({ resource: this.def.plural, err: e.message }, 'watch cache lost its store watch; reloading');
    this.ready = this.current = false;
    this.watch?.close();
    this.watch = undefined;
    this.endWatchers();
    this.timer = setTimeout(() => void this.load(), 1000);
    this.timer.unref();
  }

  private endWatchers(): void {
    const ws = [...this.watchers];
    this.watchers.clear();
    for (const w of ws) w.end();
  }

  private indexOf(key: string): number {
    let lo = 0;
    let hi = this.keys.length;
    while (lo < hi) {
      const mid = (lo + hi) >>> 1;
      if (this.keys[mid] < key) lo = mid + 1;
      else hi = mid;
    }
    return lo;
  }

  private apply(e: StoreEvent): void {
    const prev = this.items.get(e.key);
    const object = hold(decode({ value: e.value, modRevision: e.modRevision }, this.def));
    const deleted = e.type === 'delete';
    if (deleted) {
      if (prev) {
        this.items.delete(e.key);
        this.keys.splice(this.indexOf(e.key), 1);
      }
    } else {
      if (!prev) this.keys.splice(this.indexOf(e.key), 0, e.key);
      this.items.set(e.key, object);
    }
    this.dropPages();
    const ev = new CachedEvent(e.key, e.modRevision, deleted, object, prev);
    if (this.windowSize === EVENT_WINDOW) {
      this.windowStart = this.window[this.windowHead]!.rev;
      this.windowHead = (this.windowHead + 1) % EVENT_WINDOW;
      this.windowSize--;
    }
    this.window[(this.windowHead + this.windowSize++) % EVENT_WINDOW] = ev;
    this.rv = Math.max(this.rv, e.modRevision);
    for (const w of this.watchers) this.deliver(w, ev);
  }

  private deliver(w: CacheWatcher, ev: CachedEvent): void {
    if (ev.rev <= w.from || !ev.key.startsWith(w.prefix)) return;
    w.lastRev = ev.rev;
    const out = eventFor(w, ev);
    if (!out) return;
    try {
      w.send(out);
    } catch (err) {
      log.warn({ resource: this.def.plural, err: (err as Error).message }, 'ending a watcher that failed');
      this.watchers.delete(w);
      w.end();
    }
  }

  /**
   * The revision a read that must see `atLeast` (undefined: every write made before it, a consistent read) is answered
   * at, or undefined when the cache cannot answer it now. A revision past the store's is a 504, as from the store.
   */
  async readAt(atLeast: number | undefined): Promise<number | undefined> {
    if (!this.ready) return undefined;
    if (this.store.synchronousWatch) {
      const current = await this.store.currentRevision();
      if (atLeast !== undefined && atLeast > current) throw tooLargeResourceVersion(atLeast, current);
      // Caught up, the cache holds what the store holds now under its prefix, at the newest revision.
      return this.current ? Math.max(current, this.rv) : undefined;
    }
    // A cache fed asynchronously knows no more than its own newest revision: older reads, and "any", are answered.
    if (atLeast === undefined || atLeast > this.rv) return undefined;
    return this.rv;
  }

  get(key: string): KubeObject | undefined {
    return this.items.get(key);
  }

  private dropPages(): void {
    if (!this.pages.size) return;
    this.pages.clear();
    this.pageBytes = 0;
  }

  /** The objects under prefix in key order, as the store's list pages them: `limit` selected ones, and whether keys follow. */
  select(prefix: string, accept: (o: KubeObject) => boolean, limit: number): Page {
    const items: KubeObject[] = [];
    let more = false;
    let lastKey: string | undefined;
    for (let i = this.indexOf(prefix); i < this.keys.length; i++) {
      const key = this.keys[i];
      if (!key.startsWith(prefix)) break;
      if (limit && items.length >= limit) {
        more = true;
        break;
      }
      lastKey = key;
      const o = this.items.get(key)!;
      if (accept(o)) items.push(o);
    }
    return { items, more, lastKey };
  }

  /** A list's page, selected once per query between events (`query` names the selectors `accept` was made from). */
  page(prefix: string, query: string, accept: (o: KubeObject) => boolean, limit: number): Page {
    const key = `${prefix}\0${limit}\0${query}`;
    let p = this.pages.get(key);
    if (!p) {
      p = { ...this.select(prefix, accept, limit), key };
      // Shared by every list that asks the same until the next event: none may change it for the others.
      Object.freeze(p.items);
      // The oldest selection makes room for the newest.
      while (this.pages.size >= PAGE_BUDGET.pages) this.forget(this.pages.keys().next().value!);
      this.pages.set(key, p);
    }
    return p;
  }

  /** The page's items as the list body has them, put together from each item's encoding; kept within the budget. */
  body(p: Page): Buffer {
    if (p.body) return p.body;
    const pieces: Buffer[] = [];
    for (const o of p.items) {
      if (pieces.length) pieces.push(COMMA);
      pieces.push(encoded(o));
    }
    const body = Buffer.concat(pieces);
    // A page an event has dropped since it was selected still answers its own list, but is not kept.
    if (body.length > PAGE_BUDGET.bytes || this.pages.get(p.key!) !== p) return body;
    for (const [key, other] of this.pages) {
      if (this.pageBytes + body.length <= PAGE_BUDGET.bytes) break;
      if (other.body && other !== p) this.forget(key);
    }
    p.body = body;
    this.pageBytes += body.length;
    return body;
  }

  private forget(key: string): void {
    this.pageBytes -= this.pages.get(key)?.body?.length ?? 0;
    this.pages.delete(key);
  }

  /**
   * Follows the events after `from` under prefix, first those of the window, then live ones; false when the window
   * no longer holds every event after `from` (the store replays those).
   */
  follow(w: CacheWatcher): boolean {
    if (!this.ready || w.from < this.windowStart) return false;
    for (let i = 0; i < this.windowSize; i++) this.deliver(w, this.window[(this.windowHead + i) % EVENT_WINDOW]!);
    this.watchers.add(w);
    return true;
  }

  unfollow(w: CacheWatcher): void {
    this.watchers.delete(w);
  }

  close(): void {
    this.closed = true;
    this.ready = this.current = false;
    if (this.timer) clearTimeout(this.timer);
    this.watch?.close();
    this.endWatchers();
  }
}

/** Which lists go to the store (kube's shouldDelegateList): continuations, exact revisions, and limits at an exact one. */
function delegated(q: ListQuery): boolean {
  if (q.continue) return true;
  if (q.resourceVersionMatch && q.resourceVersionMatch !== 'NotOlderThan') return true;
  // A limit with a resourceVersion other than "0" and no match is the legacy exact read.
  return !q.resourceVersionMatch && !!q.limit && !!q.resourceVersion && q.resourceVersion !== '0';
}

/** The watch cache of every built-in kind, made on first read; what it cannot answer it asks the generic store. */
export class Cacher implements Reads {
  private readonly caches = new Map<ResourceDef, WatchCache>();
  private readonly builtin = new Set<ResourceDef>(kinds);
  private closed = false;

  constructor(
    private readonly store: Store,
    private readonly registry: GenericStore,
  ) {}

  /** The kind's cache; custom resources (whose definitions change) and reviews are read from the store. */
  private cacheFor(def: ResourceDef): WatchCache | undefined {
    if (this.closed || !this.builtin.has(def) || def.review) return undefined;
    let c = this.caches.get(def);
    if (!c) this.caches.set(def, (c = new WatchCache(this.store, def).start()));
    return c;
  }

  /** The kind's cache has loaded and follows the store (for a synchronous store: is current). */
  synced(def: ResourceDef): boolean {
    const c = this.caches.get(def);
    return !!c && (this.store.synchronousWatch ? c.current : c.ready);
  }

  /** Starts the caches of these kinds now rather than on their first read. */
  prime(defs: Iterable<ResourceDef>): void {
    for (const d of defs) this.cacheFor(d);
  }

  /**
   * The object as the cache holds it at a revision of at least `atLeast` (undefined: a consistent read, as a list's),
   * null when there is none; undefined when the cache can't answer now (then the caller reads the store).
   */
  private async cached(def: ResourceDef, namespace: string | undefined, name: string, atLeast: number | undefined): Promise<KubeObject | null | undefined> {
    const c = this.cacheFor(def);
    if (!c || (await c.readAt(atLeast)) === undefined) return undefined;
    return c.get(storeKey(def, namespace, name)) ?? null;
  }

  async get(def: ResourceDef, namespace: string | undefined, name: string, resourceVersion?: string): Promise<KubeObject> {
    const o = resourceVersion === '0' ? await this.cached(def, namespace, name, 0) : undefined;
    if (o === null) throw notFound(def.plural, name, def.group);
    return o ?? this.registry.get(def, namespace, name);
  }

  /** The object as stored now (a consistent read), null when there is none; undefined when the cache can't answer. */
  current(def: ResourceDef, namespace: string | undefined, name: string): Promise<KubeObject | null | undefined> {
    return this.cached(def, namespace, name, undefined);
  }

  /** The wire encoding of an object this cache answered with, made once for every reader; undefined for others. */
  encoding(o: KubeObject): Buffer | undefined {
    return held.has(o) ? encoded(o) : undefined;
  }

  async list(def: ResourceDef, namespace: string | undefined, q: ListQuery): Promise<ListOut> {
    const accept = selection(def, q);
    const c = this.cacheFor(def);
    if (!c || delegated(q)) return this.registry.list(def, namespace, q);
    const wanted = parseResourceVersion(q.resourceVersion);
    const rev = await c.readAt(q.resourceVersion ? wanted : undefined);
    if (rev === undefined) return this.registry.list(def, namespace, q);
    const page = c.page(storePrefix(def, namespace), `${q.labelSelector ?? ''}\0${q.fieldSelector ?? ''}`, accept, q.limit && q.limit > 0 ? q.limit : 0);
    const out: ListOut = { items: page.items, resourceVersion: String(rev), encodedItems: () => c.body(page) };
    if (page.more && page.lastKey) out.continue = continueToken(rev, page.lastKey);
    return out;
  }

  async watch(def: ResourceDef, namespace: string | undefined, q: WatchQuery, send: (e: WatchEventOut) => void, onEnd: () => void): Promise<{ close(): void }> {
    const accept = selection(def, q);
    const c = this.cacheFor(def);
    if (!c) return this.registry.watch(def, namespace, q, send, onEnd);
    const prefix = storePrefix(def, namespace);
    const w: CacheWatcher = { prefix, from: 0, accept, send, end: onEnd, lastRev: 0 };
    if (!q.resourceVersion || q.resourceVersion === '0' || q.sendInitialEvents) {
      // Every selected object as ADDED, then what follows: at the newest revision ("" and a streaming list), or at
      // any the cache has ("0").
      const rev = await c.readAt(q.resourceVersion === '0' && !q.sendInitialEvents ? 0 : undefined);
      if (rev === undefined) return this.registry.watch(def, namespace, q, send, onEnd);
      for (const o of c.select(prefix, accept, 0).items) send({ type: 'ADDED', object: o, wire: () => eventLine('ADDED', o) });
      if (q.sendInitialEvents && q.allowWatchBookmarks) send(bookmark(def, rev, { 'k8s.io/initial-events-end': 'true' }));
      w.from = w.lastRev = rev;
    } else w.from = w.lastRev = parseResourceVersion(q.resourceVersion);
    // Events after a revision older than the window, or while the cache reloads, come from the store's history (and
    // a revision it has compacted away, its 410 Expired).
    if (!c.follow(w)) return this.registry.watch(def, namespace, q, send, onEnd);
    const stopBookmarks = q.allowWatchBookmarks ? startBookmarks(def, () => w.lastRev, () => this.store.currentRevision(), send) : undefined;
    return {
      close: () => {
        stopBookmarks?.();
        c.unfollow(w);
      },
    };
  }

  close(): void {
    this.closed = true;
    for (const c of this.caches.values()) c.close();
    this.caches.clear();
  }
}
