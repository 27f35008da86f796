// What the API server keeps in memory of a kind for its own decisions (kube-apiserver's authorizers and admission
// plugins read informers over loopback; here they read the watch cache, or the store directly): a list, then a watch
// from its revision, started again from a fresh list when the watch ends. Handlers hear of every change, in order.
// The objects may be the watch cache's, shared and frozen: handlers read them and keep them, never change them.
import { logger } from '../../../api/log.js';
import { objectKey, type KubeObject } from '../../../api/types.js';
import type { ResourceDef } from './kinds.js';
import type { Reads } from './store.js';

const log = logger('apiserver.cache');

export interface CacheHandlers<T extends KubeObject> {
  onUpsert?(obj: T, old: T | undefined): void;
  onDelete?(obj: T): void;
}

export class ObjectCache<T extends KubeObject = KubeObject> {
  private readonly items = new Map<string, T>();
  private readonly handlers: CacheHandlers<T>[] = [];
  private closed = false;
  private watch?: { close(): void };
  private timer?: NodeJS.Timeout;
  private resolveSynced!: () => void;
  /** Resolves once the first list has been loaded. */
  readonly synced: Promise<void>;
  private isSynced = false;

  constructor(
    private readonly reads: Reads,
    readonly def: ResourceDef,
  ) {
    this.synced = new Promise((r) => (this.resolveSynced = r));
  }

  addHandlers(h: CacheHandlers<T>): void {
    this.handlers.push(h);
  }

  get(key: string): T | undefined {
    return this.items.get(key);
  }

  list(): IterableIterator<T> {
    return this.items.values();
  }

  hasSynced(): boolean {
    return this.isSynced;
  }

  start(): this {
    void this.run();
    return this;
  }

  private upsert(obj: T): void {
    const key = objectKey(obj);
    const old = this.items.get(key);
    this.items.set(key, obj);
    for (const h of this.handlers) h.onUpsert?.(obj, old);
  }

  private remove(obj: T): void {
    const key = objectKey(obj);
    if (!this.items.delete(key)) return;
    for (const h of this.handlers) h.onDelete?.(obj);
  }

  private async run(): Promise<void> {
    if (this.closed) return;
    try {
      const listed = await this.reads.list(this.def, undefined, {});
      const seen = new Set<string>();
      for (const o of listed.items as T[]) {
        seen.add(objectKey(o));
        this.upsert(o);
      }
      for (const o of [...this.items.values()]) if (!seen.has(objectKey(o))) this.remove(o);
      if (!this.isSynced) {
        this.isSynced = true;
        this.resolveSynced();
      }
      if (this.closed) return;
      this.watch = await this.reads.watch(
        this.def,
        undefined,
        { resourceVersion: listed.resourceVersion },
        (e) => {
          if (e.type === 'ADDED' || e.type === 'MODIFIED') this.upsert(e.object as T);
          else if (e.type === 'DELETED') this.remove(e.object as T);
        },
        () => this.restart(),
      );
    } catch (e) {
      log.warn({ kind: this.def.kind, err: (e as Error).message }, 'cache list failed; retrying');
      this.restart();
    }
  }

  private restart(): void {
    this.watch?.close();
    this.watch = undefined;
    if (this.closed) return;
    this.timer = setTimeout(() => void this.run(), 1000);
    this.timer.unref();
  }

  close(): void {
    this.closed = true;
    if (this.timer) clearTimeout(this.timer);
    this.watch?.close();
  }
}
