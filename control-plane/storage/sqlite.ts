// The embedded store: one SQLite table that keeps every revision of every key (a log, as kine lays it out), so that
// lists at a revision and watches from a revision are plain queries. Writes that arrive in the same turn of the event
// loop are committed together in one transaction (group commit, as etcd batches its raft log writes), each checked in
// turn inside it. A write is acknowledged only after it is on disk: the commit appends to the WAL (synchronous=NORMAL)
// and the WAL is then fdatasync'ed on libuv's thread pool, so the event loop goes on serving while the disk works.
// Commits made meanwhile wait for the next fsync, which covers them all. Watches in this process are fed from the
// write path once a write is durable, before its writer hears back; reads never show a write that is not.
import Database from 'better-sqlite3';
import fs from 'node:fs';
import path from 'node:path';
import {
  ExpiredError,
  KeyExistsError,
  KeyNotFoundError,
  RevisionConflictError,
  prefixEnd,
  type KeyValue,
  type ListOptions,
  type ListResult,
  type Store,
  type StoreEvent,
  type Watch,
} from './store.js';

interface Row {
  id: number;
  name: string;
  created: number;
  deleted: number;
  create_revision: number;
  prev_revision: number;
  value: string;
}

interface Watcher {
  start: string;
  end: string;
  onEvent: (e: StoreEvent) => void;
  /** A watcher whose handler throws is ended through here; the write that fed it stays committed and acknowledged. */
  fail: (e: Error) => void;
}

/** A write waiting for the next group commit. */
interface PendingWrite {
  key: string;
  /** undefined: delete. */
  value?: string;
  /** 'create': the key must not exist; a number: its modRevision must be this; undefined: it must exist. */
  expect: 'create' | number | undefined;
  resolve(rev: number): void;
  reject(e: Error): void;
}

const INIT_KEY = '/kubets/initialized';

export class SqliteStore implements Store {
  private readonly db: Database.Database;
  private readonly watchers = new Set<Watcher>();
  private readonly stmts;
  private compactTimer?: NodeJS.Timeout;
  private batch: PendingWrite[] = [];
  /** The WAL's path (undefined in memory: nothing to sync) and a descriptor to fsync it through. */
  private readonly walFile?: string;
  private walFd?: number;
  /** Committed writes waiting for the WAL's fsync, with their outcomes; announced together once it is done. */
  private unsynced: { w: PendingWrite; outcome: StoreEvent | Error }[] = [];
  /** The fsync under way, if any. */
  private syncing?: Promise<void>;
  /** The newest revision on disk and announced: what reads see and currentRevision() reports. */
  private durable: number;
  /** Reads that met a write newer than `durable`, waiting for its fsync. */
  private waiters: { rev: number; resolve(): void; reject(e: Error): void }[] = [];
  /** Set when an fsync fails: the store then refuses writes, as etcd stops on a failed fsync. */
  private diskError?: Error;
  /** Events go out once a write is durable, before its writer hears back; a watch's history in the microtask watch() queues. */
  readonly synchronousWatch = true;

  constructor(file: string) {
    if (file !== ':memory:') {
      // Secrets live here: the directory is 0700 and the database 0600 (SQLite gives its -wal and -shm files the
      // database's mode).
      fs.mkdirSync(path.dirname(file), { recursive: true, mode: 0o700 });
      fs.closeSync(fs.openSync(file, 'a', 0o600));
      fs.chmodSync(file, 0o600);
    }
    this.db = new Database(file);
    this.db.pragma('journal_mode = WAL');
    // The commit writes the WAL without fsync; sync() makes it durable before anyone hears of the write.
    this.db.pragma('synchronous = NORMAL');
    if (file !== ':memory:') this.walFile = `${file}-wal`;
    this.db.pragma('busy_timeout = 5000');
    this.db.exec(`
      CREATE TABLE IF NOT EXISTS kv (
        id INTEGER PRIMARY KEY AUTOINCREMENT,
        name TEXT NOT NULL,
        created INTEGER NOT NULL,
        deleted INTEGER NOT NULL,
        create_revision INTEGER NOT NULL,
        prev_revision INTEGER NOT NULL,
        value TEXT NOT NULL
      );
      CREATE INDEX IF NOT EXISTS kv_name_id ON kv (name, id);
      CREATE TABLE IF NOT EXISTS meta (k TEXT PRIMARY KEY, v INTEGER NOT NULL);
    `);
    this.stmts = {
      latest: this.db.prepare<[string], Row>('SELECT * FROM kv WHERE name = ? ORDER BY id DESC LIMIT 1'),
      insert: this.db.prepare('INSERT INTO kv (name, created, deleted, create_revision, prev_revision, value) VALUES (?, ?, ?, ?, ?, ?)'),
      fixCreateRev: this.db.prepare('UPDATE kv SET create_revision = id WHERE id = ?'),
      rev: this.db.prepare<[], { seq: number }>("SELECT seq FROM sqlite_sequence WHERE name = 'kv'"),
      list: this.db.prepare<[string, string, number, number, number], Row>(`
        SELECT kv.* FROM kv JOIN (
          SELECT MAX(id) AS id FROM kv WHERE name >= ? AND name < ? AND id <= ? GROUP BY name
        ) latest ON kv.id = latest.id
        WHERE kv.deleted = 0 ORDER BY kv.name LIMIT ? OFFSET ?`),
      count: this.db.prepare<[string, string, number], { n: number }>(`
        SELECT COUNT(*) AS n FROM kv JOIN (
          SELECT MAX(id) AS id FROM kv WHERE name >= ? AND name < ? AND id <= ? GROUP BY name
        ) latest ON kv.id = latest.id WHERE kv.deleted = 0`),
      history: this.db.prepare<[number, number, string, string], Row>('SELECT * FROM kv WHERE id > ? AND id <= ? AND name >= ? AND name < ? ORDER BY id'),
      byId: this.db.prepare<[number], Row>('SELECT * FROM kv WHERE id = ?'),
      getMeta: this.db.prepare<[string], { v: number }>('SELECT v FROM meta WHERE k = ?'),
      setMeta: this.db.prepare('INSERT INTO meta (k, v) VALUES (?, ?) ON CONFLICT (k) DO UPDATE SET v = excluded.v'),
      // A row goes when a newer row of its key is also at or below the compaction revision (it is then invisible at
      // every revision still served); a tombstone goes with it. The newest row at or below rev is what lists at rev see.
      compact: this.db.prepare<[number, number]>(`
        DELETE FROM kv WHERE id <= ? AND name != '${INIT_KEY}' AND (deleted = 1 OR id < (SELECT MAX(k2.id) FROM kv k2 WHERE k2.name = kv.name AND k2.id <= ?))`),
    };
    // Revisions start above 0: "0" means "any" to Kubernetes clients.
    if (!this.stmts.latest.get(INIT_KEY)) this.write(INIT_KEY, '{}', undefined, false);
    this.durable = this.revisionSync();
  }

  /** Compacts every intervalMs, keeping the newest keepRevisions revisions (kube-apiserver compacts every 5 min). */
  startCompactor(intervalMs: number, keepRevisions: number): void {
    this.compactTimer = setInterval(() => {
      const rev = this.durable - keepRevisions;
      if (rev > this.compactedRevisionSync()) this.compactSync(rev);
    }, intervalMs);
    this.compactTimer.unref();
  }

  private revisionSync(): number {
    return this.stmts.rev.get()?.seq ?? 0;
  }

  private compactedRevisionSync(): number {
    return this.stmts.getMeta.get('compact_rev')?.v ?? 0;
  }

  /** Compacts up to rev; an older rev than the last compaction is a no-op (the compacted revision never goes back). */
  private compactSync(rev: number): void {
    const current = this.durable;
    if (rev > current) throw new Error(`cannot compact at future revision ${rev} (current ${current})`);
    if (rev <= this.compactedRevisionSync()) return;
    this.db.transaction(() => {
      this.stmts.compact.run(rev, rev);
      this.stmts.setMeta.run('compact_rev', rev);
    })();
  }

  /** One committed write at start-up, synced before the store is used. */
  private write(key: string, value: string, prev: Row | undefined, deleted: boolean): number {
    const ev = this.db.transaction(() => this.insert(key, value, prev, deleted))();
    if (this.walFile) fs.fdatasyncSync(this.wal());
    return ev.modRevision;
  }

  private wal(): number {
    this.walFd ??= fs.openSync(this.walFile!, 'r');
    return this.walFd;
  }

  /** The row of one write (inside a transaction), and the event it makes. */
  private insert(key: string, value: string, prev: Row | undefined, deleted: boolean): StoreEvent {
    const created = !prev || prev.deleted === 1;
    const info = this.stmts.insert.run(key, created ? 1 : 0, deleted ? 1 : 0, created ? 0 : prev!.create_revision, prev?.id ?? 0, value);
    const id = Number(info.lastInsertRowid);
    if (created) this.stmts.fixCreateRev.run(id);
    return {
      type: deleted ? 'delete' : 'put',
      key,
      value,
      prevValue: prev && prev.deleted === 0 ? prev.value : undefined,
      modRevision: id,
      createRevision: created ? id : prev!.create_revision,
    };
  }

  private emit(ev: StoreEvent): void {
    for (const w of this.watchers) {
      if (ev.key < w.start || ev.key >= w.end) continue;
      try {
        w.onEvent(ev);
      } catch (e) {
        this.watchers.delete(w);
        w.fail(e as Error);
      }
    }
  }

  /** Queues a write for the group commit that ends this turn of the event loop. */
  private enqueue(key: string, value: string | undefined, expect: PendingWrite['expect']): Promise<number> {
    if (!this.db.open) return Promise.reject(new Error('the store is closed'));
    if (this.diskError) return Promise.reject(this.diskError);
    return new Promise((resolve, reject) => {
      if (!this.batch.length) setImmediate(() => this.commit());
      this.batch.push({ key, value, expect, resolve, reject });
    });
  }

  /**
   * Commits the queued writes in one transaction, each checked against what the ones before it wrote; a write whose
   * check fails is refused alone. Events go out and callers hear back only after the WAL's fsync (sync()).
   */
  private commit(): void {
    const batch = this.batch;
    this.batch = [];
    if (!this.db.open) {
      for (const w of batch) w.reject(new Error('the store is closed'));
      return;
    }
    const outcomes: (StoreEvent | Error)[] = [];
    try {
      this.db.transaction(() => {
        for (const w of batch) {
          const row = this.live(w.key);
          if (w.expect === 'create') outcomes.push(row ? new KeyExistsError(w.key) : this.insert(w.key, w.value!, this.stmts.latest.get(w.key), false));
          else if (!row) outcomes.push(new KeyNotFoundError(w.key));
          else if (w.expect !== undefined && row.id !== w.expect) outcomes.push(new RevisionConflictError(w.key, row.id));
          else outcomes.push(w.value === undefined ? this.insert(w.key, row.value, row, true) : this.insert(w.key, w.value, row, false));
        }
      })();
    } catch (e) {
      for (const w of batch) w.reject(e as Error);
      return;
    }
    batch.forEach((w, i) => this.unsynced.push({ w, outcome: outcomes[i]! }));
    this.sync();
  }

  /**
   * fsyncs the WAL, then announces what was committed before the fsync began: each write's event to the watchers,
   * then its writer. One fsync at a time; what is committed meanwhile waits for the next. In memory, at once.
   */
  private sync(): void {
    if (this.syncing || !this.unsynced.length) return;
    const ready = this.unsynced;
    this.unsynced = [];
    if (!this.walFile) return this.announce(ready);
    this.syncing = new Promise<void>((resolve) =>
      fs.fdatasync(this.wal(), (err) => {
        this.syncing = undefined;
        if (err) this.failDisk(err, ready);
        else this.announce(ready);
        resolve();
        this.sync();
      }),
    );
  }

  private announce(ready: { w: PendingWrite; outcome: StoreEvent | Error }[]): void {
    for (const { w, outcome } of ready) {
      if (outcome instanceof Error) {
        w.reject(outcome);
        continue;
      }
      this.durable = outcome.modRevision;
      this.emit(outcome);
      w.resolve(outcome.modRevision);
    }
    if (this.waiters.length) {
      const waiting = this.waiters;
      this.waiters = waiting.filter((r) => r.rev > this.durable);
      for (const r of waiting) if (r.rev <= this.durable) r.resolve();
    }
  }

  /**
   * A failed fsync leaves the writes it covered in doubt (the kernel may have dropped the pages): their writers and
   * the reads waiting for them get the error, the watchers end, and the store refuses writes from then on, as etcd does.
   */
  private failDisk(err: Error, ready: { w: PendingWrite }[]): void {
    this.diskError = new Error(`the store's write-ahead log could not be synced to disk: ${err.message}`);
    for (const { w } of [...ready, ...this.unsynced]) w.reject(this.diskError);
    this.unsynced = [];
    for (const w of this.watchers) w.fail(this.diskError);
    this.watchers.clear();
    for (const r of this.waiters) r.reject(this.diskError);
    this.waiters = [];
  }

  /** Resolves once revision `rev` is durable (at once if it is). */
  private whenDurable(rev: number): Promise<void> | undefined {
    if (rev <= this.durable) return undefined;
    if (this.diskError) return Promise.reject(this.diskError);
    return new Promise((resolve, reject) => this.waiters.push({ rev, resolve, reject }));
  }

  private live(key: string): Row | undefined {
    const row = this.stmts.latest.get(key);
    return row && row.deleted === 0 ? row : undefined;
  }

  /** The newest row of a key; one committed but not yet synced is returned once it is (never before). */
  async get(key: string): Promise<KeyValue | undefined> {
    let row = this.stmts.latest.get(key);
    for (let wait = row && this.whenDurable(row.id); wait; wait = row && this.whenDurable(row.id)) {
      await wait;
      row = this.stmts.latest.get(key);
    }
    return row && row.deleted === 0 ? toKV(row) : undefined;
  }

  async list(prefix: string, opts: ListOptions = {}): Promise<ListResult> {
    const current = this.durable;
    const revision = opts.revision || current;
    const compacted = this.compactedRevisionSync();
    if (opts.revision && opts.revision < compacted) throw new ExpiredError(opts.revision, compacted);
    const start = opts.startKey && opts.startKey > prefix ? opts.startKey : prefix;
    const end = prefixEnd(prefix);
    const limit = opts.limit && opts.limit > 0 ? opts.limit : -1;
    const rows = this.stmts.list.all(start, end, revision, limit === -1 ? -1 : limit + 1, 0);
    const more = limit !== -1 && rows.length > limit;
    const items = (more ? rows.slice(0, limit) : rows).map(toKV);
    const remaining = more ? this.stmts.count.get(start, end, revision)!.n - items.length : 0;
    return { items, revision, more, remaining };
  }

  create(key: string, value: string): Promise<number> {
    return this.enqueue(key, value, 'create');
  }

  update(key: string, value: string, expectedModRevision: number): Promise<number> {
    return this.enqueue(key, value, expectedModRevision);
  }

  delete(key: string, expectedModRevision?: number): Promise<number> {
    return this.enqueue(key, undefined, expectedModRevision);
  }

  watch(prefix: string, fromRevision: number, onEvent: (e: StoreEvent) => void, onError: (e: Error) => void): Watch {
    const start = prefix;
    const end = prefixEnd(prefix);
    const compacted = this.compactedRevisionSync();
    if (fromRevision < compacted) {
      queueMicrotask(() => onError(new ExpiredError(fromRevision, compacted)));
      return { close() {} };
    }
    // History and registration happen in one synchronous step, so no write can fall between them.
    const backlog: StoreEvent[] = [];
    for (const row of this.stmts.history.iterate(fromRevision, this.durable, start, end)) {
      const prev = row.prev_revision ? this.stmts.byId.get(row.prev_revision) : undefined;
      backlog.push({
        type: row.deleted ? 'delete' : 'put',
        key: row.name,
        value: row.value,
        prevValue: prev && prev.deleted === 0 ? prev.value : undefined,
        modRevision: row.id,
        createRevision: row.create_revision,
      });
    }
    let closed = false;
    const pending: StoreEvent[] = [];
    let replaying = true;
    const watcher: Watcher = {
      start,
      end,
      // Live writes at or below fromRevision (a watch from a revision not reached yet) are not "after" it.
      onEvent: (e) => e.modRevision > fromRevision && (replaying ? pending.push(e) : closed || onEvent(e)),
      fail: (e) => {
        if (closed) return;
        closed = true;
        queueMicrotask(() => onError(e));
      },
    };
    this.watchers.add(watcher);
    queueMicrotask(() => {
      for (const e of backlog) if (!closed) onEvent(e);
      for (const e of pending) if (!closed) onEvent(e);
      replaying = false;
    });
    return {
      close: () => {
        closed = true;
        this.watchers.delete(watcher);
      },
    };
  }

  async currentRevision(): Promise<number> {
    return this.durable;
  }

  async compact(rev: number): Promise<void> {
    this.compactSync(rev);
  }

  async compactedRevision(): Promise<number> {
    return this.compactedRevisionSync();
  }

  async close(): Promise<void> {
    if (this.compactTimer) clearInterval(this.compactTimer);
    // Writes already queued are committed and synced, not dropped.
    if (this.batch.length) this.commit();
    while (this.syncing) await this.syncing;
    this.watchers.clear();
    if (this.walFd !== undefined) fs.closeSync(this.walFd);
    this.walFd = undefined;
    if (this.db.open) this.db.close();
  }
}

function toKV(row: Row): KeyValue {
  return { key: row.name, value: row.value, modRevision: row.id, createRevision: row.create_revision };
}
