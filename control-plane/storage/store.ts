// The one storage interface the API server uses. Every write gets a new, strictly increasing revision (the objects'
// resourceVersion); reads and lists can be made at a revision; watches replay history from a revision and then follow
// live writes, in revision order. SQLite (embedded default) and etcd v3 implement it.

export interface KeyValue {
  key: string;
  value: string;
  /** Revision of the last write to this key (the object's resourceVersion). */
  modRevision: number;
  /** Revision at which the key was created. */
  createRevision: number;
}

export interface ListResult {
  items: KeyValue[];
  /** The store revision the list was served at. */
  revision: number;
  /** More keys follow the last returned one (for limit/continue). */
  more: boolean;
  /** How many keys follow, when known. */
  remaining?: number;
}

export interface ListOptions {
  /** Serve at this revision (0 = current). Older than the compacted revision → ExpiredError. */
  revision?: number;
  limit?: number;
  /** Start at this key (inclusive); used by continue tokens. */
  startKey?: string;
}

export interface StoreEvent {
  type: 'put' | 'delete';
  key: string;
  /** The new value (for delete: the value that was deleted). */
  value: string;
  /** The value before this write, if any. */
  prevValue?: string;
  modRevision: number;
  createRevision: number;
}

export interface Watch {
  close(): void;
}

export interface Store {
  get(key: string): Promise<KeyValue | undefined>;
  list(prefix: string, opts?: ListOptions): Promise<ListResult>;
  /** Fails with KeyExistsError if the key exists. Returns the new revision. */
  create(key: string, value: string): Promise<number>;
  /** Compare-and-swap on the key's modRevision; fails with RevisionConflictError or KeyNotFoundError. */
  update(key: string, value: string, expectedModRevision: number): Promise<number>;
  /** Deletes if the key's modRevision matches (when given). Returns the deletion's revision. */
  delete(key: string, expectedModRevision?: number): Promise<number>;
  /**
   * Events for keys under prefix with revision > fromRevision, first from history then live, in order.
   * fromRevision older than the compacted revision → onError(ExpiredError) and the watch ends.
   */
  watch(prefix: string, fromRevision: number, onEvent: (e: StoreEvent) => void, onError: (e: Error) => void): Watch;
  currentRevision(): Promise<number>;
  /**
   * True when a watch hears of every write before the write's caller does, with its history delivered in the one
   * microtask watch() queues (an in-process store): a watch that has caught up is then current at every moment, and a
   * cache it feeds can answer consistent reads without asking the store which revision is the newest.
   */
  readonly synchronousWatch?: boolean;
  /** Forget superseded revisions up to rev (watches from before it then get ExpiredError). */
  compact(rev: number): Promise<void>;
  compactedRevision(): Promise<number>;
  close(): Promise<void>;
}

export class KeyExistsError extends Error {
  constructor(readonly key: string) {
    super(`key exists: ${key}`);
  }
}
export class KeyNotFoundError extends Error {
  constructor(readonly key: string) {
    super(`key not found: ${key}`);
  }
}
export class RevisionConflictError extends Error {
  constructor(
    readonly key: string,
    readonly actual: number,
  ) {
    super(`revision conflict on ${key}: now at ${actual}`);
  }
}
export class ExpiredError extends Error {
  constructor(
    readonly requested: number,
    readonly compacted: number,
  ) {
    super(`too old resource version: ${requested} (${compacted})`);
  }
}

/** The end of a key range: every key that starts with prefix sorts below it. */
export function prefixEnd(prefix: string): string {
  return prefix.slice(0, -1) + String.fromCharCode(prefix.charCodeAt(prefix.length - 1) + 1);
}
