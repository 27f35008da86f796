// The cluster log store (the Elasticsearch of fluentd-elasticsearch, here SQLite with FTS5): lines with their pod,
// namespace, container, node and labels in one table, their text in an external-content FTS5 index kept by
// triggers; search by words and filters, newest matches first; retention by age (line time) and by size (the stored
// lines' bytes), oldest first. Lines stay after their pod is gone: nothing here follows the API.
import fs from 'node:fs';
import path from 'node:path';
import Database from 'better-sqlite3';
import { badRequest } from '../../api/errors.js';
import { parseDuration } from '../../api/time.js';
import type { LogRecord } from './record.js';

export interface SearchQuery {
  /** FTS5 query: every word given, as phrases (AND). Undefined: every line the filters let through. */
  match?: string;
  namespace?: string;
  pod?: string;
  container?: string;
  /** Only lines stamped at or after this instant (ms). */
  sinceMs?: number;
  limit: number;
}

export interface StoredLine {
  time: string;
  namespace: string;
  pod: string;
  container: string;
  node: string;
  labels: Record<string, string>;
  stream: string;
  line: string;
  truncated?: number;
}

export const SEARCH_PARAMS = ['q', 'namespace', 'pod', 'container', 'since', 'limit'] as const;
export const DEFAULT_LIMIT = 100;
export const MAX_LIMIT = 10_000;

/** `GET /search`'s query checked; a bad parameter is a 400 naming it and why. */
export function parseSearch(q: URLSearchParams, now = Date.now()): SearchQuery {
  for (const k of q.keys()) if (!(SEARCH_PARAMS as readonly string[]).includes(k)) throw badRequest(`unknown parameter "${k}": want one of ${SEARCH_PARAMS.join(', ')}`);
  for (const k of SEARCH_PARAMS) if (q.getAll(k).length > 1) throw badRequest(`${k}: given more than once`);
  const out: SearchQuery = { limit: DEFAULT_LIMIT };
  const text = q.get('q');
  if (text !== null) {
    // Every word a phrase of its own: the text is searched for, never read as FTS5 syntax.
    const words = text.split(/\s+/).filter((w) => /[\p{L}\p{N}]/u.test(w));
    if (!words.length) throw badRequest(`q: Invalid value: ${JSON.stringify(text)}: must contain a word to search for`);
    out.match = words.map((w) => `"${w.replaceAll('"', '""')}"`).join(' ');
  }
  const name = (k: 'namespace' | 'pod' | 'container') => {
    const v = q.get(k);
    if (v === null) return;
    if (!/^[a-z0-9]([-a-z0-9.]*[a-z0-9])?$/.test(v) || v.length > 253) throw badRequest(`${k}: Invalid value: ${JSON.stringify(v)}: must be a lowercase RFC 1123 name`);
    out[k] = v;
  };
  name('namespace');
  name('pod');
  name('container');
  const since = q.get('since');
  if (since !== null) {
    const date = /^(\d{4})-(\d\d)-(\d\d)T/.exec(since);
    if (date) {
      const ms = Date.parse(since);
      // Date.parse rolls a day past the month's end over (February 30th is March 2nd); RFC 3339 has no such day.
      const [y, m, d] = date.slice(1).map(Number);
      if (Number.isNaN(ms) || new Date(Date.UTC(y, m - 1, d)).getUTCDate() !== d) throw badRequest(`since: Invalid value: ${JSON.stringify(since)}: must be an RFC3339 time or a duration`);
      out.sinceMs = ms;
    } else {
      let d: number;
      try {
        d = parseDuration(since);
      } catch {
        throw badRequest(`since: Invalid value: ${JSON.stringify(since)}: must be an RFC3339 time (2006-01-02T15:04:05Z) or a duration (5m, 1h30m)`);
      }
      out.sinceMs = now - d;
    }
  }
  const limit = q.get('limit');
  if (limit !== null) {
    const n = Number(limit);
    if (!/^\d+$/.test(limit) || n < 1 || n > MAX_LIMIT) throw badRequest(`limit: Invalid value: ${JSON.stringify(limit)}: must be an integer from 1 to ${MAX_LIMIT}`);
    out.limit = n;
  }
  return out;
}

/** What one stored line counts against the size limit: its text and metadata. */
const recordBytes = (r: LogRecord, labels: string) => Buffer.byteLength(r.line) + labels.length + r.namespace.length + r.pod.length + r.container.length + r.node.length + r.time.length + 48;

export interface RetentionPolicy {
  maxAgeMs: number;
  maxBytes: number;
}

export class LogStore {
  private readonly db: Database.Database;
  private bytes: number;
  private readonly insert: Database.Statement;
  private readonly insertMany: (records: LogRecord[]) => void;

  constructor(
    dataDir: string | ':memory:',
    private readonly retention: RetentionPolicy,
    private readonly clock: () => number = Date.now,
  ) {
    if (dataDir !== ':memory:') fs.mkdirSync(dataDir, { recursive: true });
    this.db = new Database(dataDir === ':memory:' ? dataDir : path.join(dataDir, 'logs.db'));
    // Before the first table: freed pages can then be handed back to the file system after retention.
    this.db.pragma('auto_vacuum = INCREMENTAL');
    this.db.pragma('journal_mode = WAL');
    this.db.pragma('synchronous = NORMAL');
    // The pod's root file system is read-only: sorts and journals beyond the cache stay in memory.
    this.db.pragma('temp_store = MEMORY');
    this.db.exec(`
      CREATE TABLE IF NOT EXISTS lines (
        id INTEGER PRIMARY KEY, time_ms INTEGER NOT NULL, time TEXT NOT NULL, namespace TEXT NOT NULL, pod TEXT NOT NULL,
        uid TEXT NOT NULL, container TEXT NOT NULL, node TEXT NOT NULL, labels TEXT NOT NULL, stream TEXT NOT NULL,
        line TEXT NOT NULL, truncated INTEGER NOT NULL DEFAULT 0, bytes INTEGER NOT NULL);
      CREATE INDEX IF NOT EXISTS lines_by_time ON lines (time_ms);
      CREATE INDEX IF NOT EXISTS lines_by_pod ON lines (namespace, pod);
      CREATE VIRTUAL TABLE IF NOT EXISTS lines_fts USING fts5 (line, content = 'lines', content_rowid = 'id');
      CREATE TRIGGER IF NOT EXISTS lines_ai AFTER INSERT ON lines BEGIN
        INSERT INTO lines_fts (rowid, line) VALUES (new.id, new.line);
      END;
      CREATE TRIGGER IF NOT EXISTS lines_ad AFTER DELETE ON lines BEGIN
        INSERT INTO lines_fts (lines_fts, rowid, line) VALUES ('delete', old.id, old.line);
      END;`);
    this.bytes = (this.db.prepare('SELECT COALESCE(SUM(bytes), 0) AS n FROM lines').get() as { n: number }).n;
    this.insert = this.db.prepare(
      'INSERT INTO lines (time_ms, time, namespace, pod, uid, container, node, labels, stream, line, truncated, bytes) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)',
    );
    this.insertMany = this.db.transaction((records: LogRecord[]) => {
      for (const r of records) {
        const labels = JSON.stringify(r.labels ?? {});
        const bytes = recordBytes(r, labels);
        const ms = Date.parse(r.time);
        this.insert.run(Number.isNaN(ms) ? this.clock() : ms, r.time, r.namespace, r.pod, r.uid, r.container, r.node, labels, r.stream, r.line, r.truncated ?? 0, bytes);
        this.bytes += bytes;
      }
    });
  }

  add(records: LogRecord[]): void {
    if (!records.length) return;
    this.insertMany(records);
    if (this.bytes > this.retention.maxBytes) this.trimToSize();
  }

  /** Bytes the stored lines count against maxBytes. */
  size(): number {
    return this.bytes;
  }

  count(): number {
    return (this.db.prepare('SELECT COUNT(*) AS n FROM lines').get() as { n: number }).n;
  }

  /** Newest matches first, up to the limit; answered oldest first (as a log reads). */
  search(q: SearchQuery): StoredLine[] {
    const where: string[] = [];
    const args: (string | number)[] = [];
    if (q.match !== undefined) {
      where.push('lines_fts MATCH ?');
      args.push(q.match);
    }
    for (const k of ['namespace', 'pod', 'container'] as const) {
      if (q[k] === undefined) continue;
      where.push(`l.${k} = ?`);
      args.push(q[k]!);
    }
    if (q.sinceMs !== undefined) {
      where.push('l.time_ms >= ?');
      args.push(q.sinceMs);
    }
    // FTS5 hands out matches by rowid, newest first when asked: ordering by its rowid stops at the limit unsorted.
    const from = q.match !== undefined ? 'lines_fts f JOIN lines l ON l.id = f.rowid' : 'lines l';
    const sql = `SELECT l.time, l.namespace, l.pod, l.container, l.node, l.labels, l.stream, l.line, l.truncated FROM ${from}${where.length ? ` WHERE ${where.join(' AND ')}` : ''} ORDER BY ${q.match !== undefined ? 'f.rowid' : 'l.id'} DESC LIMIT ?`;
    const rows = this.db.prepare(sql).all(...args, q.limit) as (Omit<StoredLine, 'labels'> & { labels: string; truncated: number })[];
    return rows.reverse().map((r) => {
      const { truncated, labels, ...rest } = r;
      return { ...rest, labels: JSON.parse(labels) as Record<string, string>, ...(truncated ? { truncated } : {}) };
    });
  }

  /** Removes the lines older than maxAge; how many went. */
  applyAgeLimit(): number {
    const cutoff = this.clock() - this.retention.maxAgeMs;
    const removed = this.db.transaction(() => {
      const { n, bytes } = this.db.prepare('SELECT COUNT(*) AS n, COALESCE(SUM(bytes), 0) AS bytes FROM lines WHERE time_ms < ?').get(cutoff) as { n: number; bytes: number };
      if (n) this.db.prepare('DELETE FROM lines WHERE time_ms < ?').run(cutoff);
      this.bytes -= bytes;
      return n;
    })();
    if (removed) this.db.pragma('incremental_vacuum');
    return removed;
  }

  /** Removes the oldest lines until the rest take at most 90% of maxBytes (room for the next batches). */
  private trimToSize(): void {
    const target = this.retention.maxBytes * 0.9;
    this.db.transaction(() => {
      let excess = this.bytes - target;
      let last = 0;
      const page = this.db.prepare('SELECT id, bytes FROM lines WHERE id > ? ORDER BY id LIMIT 1000');
      while (excess > 0) {
        const rows = page.all(last) as { id: number; bytes: number }[];
        if (!rows.length) break;
        for (const r of rows) {
          last = r.id;
          excess -= r.bytes;
          this.bytes -= r.bytes;
          if (excess <= 0) break;
        }
      }
      if (last) this.db.prepare('DELETE FROM lines WHERE id <= ?').run(last);
    })();
    this.db.pragma('incremental_vacuum');
  }

  close(): void {
    if (this.db.open) this.db.close();
  }
}
