// The storage's request latency (k8s.io/apiserver/pkg/storage/etcd3/metrics, etcd_request_duration_seconds): a Store
// decorator timing each call by operation and by the resource its key belongs to, whatever the backend.
import type { KeyValue, ListOptions, ListResult, Store, StoreEvent, Watch } from './store.js';

/** Told of each finished storage call: its operation, its key (or prefix), and how long it took. */
export type StorageObserver = (operation: string, key: string, seconds: number) => void;

export class InstrumentedStore implements Store {
  constructor(
    private readonly inner: Store,
    private readonly observe: StorageObserver,
  ) {}

  /** Timing changes nothing about when watchers hear of a write: the watch cache may rely on the backend's word. */
  get synchronousWatch(): boolean | undefined {
    return this.inner.synchronousWatch;
  }

  private async timed<T>(operation: string, key: string, call: () => Promise<T>): Promise<T> {
    const started = performance.now();
    try {
      return await call();
    } finally {
      this.observe(operation, key, (performance.now() - started) / 1000);
    }
  }

  get(key: string): Promise<KeyValue | undefined> {
    return this.timed('get', key, () => this.inner.get(key));
  }
  list(prefix: string, opts?: ListOptions): Promise<ListResult> {
    return this.timed('list', prefix, () => this.inner.list(prefix, opts));
  }
  create(key: string, value: string): Promise<number> {
    return this.timed('create', key, () => this.inner.create(key, value));
  }
  update(key: string, value: string, expectedModRevision: number): Promise<number> {
    return this.timed('update', key, () => this.inner.update(key, value, expectedModRevision));
  }
  delete(key: string, expectedModRevision?: number): Promise<number> {
    return this.timed('delete', key, () => this.inner.delete(key, expectedModRevision));
  }
  watch(prefix: string, fromRevision: number, onEvent: (e: StoreEvent) => void, onError: (e: Error) => void): Watch {
    return this.inner.watch(prefix, fromRevision, onEvent, onError);
  }
  currentRevision(): Promise<number> {
    return this.inner.currentRevision();
  }
  compact(rev: number): Promise<void> {
    return this.inner.compact(rev);
  }
  compactedRevision(): Promise<number> {
    return this.inner.compactedRevision();
  }
  close(): Promise<void> {
    return this.inner.close();
  }
}
