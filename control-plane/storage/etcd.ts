// etcd v3 as the store, for a highly available control plane (several `kubets server`s on one etcd cluster). etcd's
// revisions are the resourceVersions, exactly as in Kubernetes: writes are transactions that compare a key's
// create/mod revision, lists are ranges at a revision, and watches are etcd watches from revision+1 with prev_kv, so
// every API server sees every write, whichever server made it. Speaks etcd's gRPC API (etcd.proto) to a list of
// endpoints and fails over between them: a call that finds its member unreachable or leaderless moves to the next.
import { existsSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import * as grpc from '@grpc/grpc-js';
import * as protoLoader from '@grpc/proto-loader';
import { logger } from '../../api/log.js';
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

const log = logger('etcd');

// ---- wire shapes (proto field names; int64 decoded as numbers, bytes as Buffers) ----

interface PbHeader {
  revision: number;
  member_id: number;
}
interface PbKeyValue {
  key: Buffer;
  create_revision: number;
  mod_revision: number;
  version: number;
  value: Buffer;
}
interface PbRangeResponse {
  header: PbHeader;
  kvs: PbKeyValue[];
  more: boolean;
  count: number;
}
interface PbDeleteRangeResponse {
  header: PbHeader;
  deleted: number;
  prev_kvs: PbKeyValue[];
}
interface PbTxnResponse {
  header: PbHeader;
  succeeded: boolean;
  responses: { response_range?: PbRangeResponse | null; response_delete_range?: PbDeleteRangeResponse | null }[];
}
interface PbEvent {
  type: 'PUT' | 'DELETE';
  kv: PbKeyValue | null;
  prev_kv: PbKeyValue | null;
}
interface PbWatchResponse {
  header: PbHeader | null;
  watch_id: number;
  created: boolean;
  canceled: boolean;
  compact_revision: number;
  cancel_reason: string;
  events: PbEvent[];
}
interface PbStatusResponse {
  header: PbHeader;
  version: string;
  leader: number;
}
interface PbCompare {
  result: 'EQUAL' | 'GREATER' | 'LESS' | 'NOT_EQUAL';
  target: 'CREATE' | 'MOD';
  key: Buffer;
  create_revision?: number;
  mod_revision?: number;
}

const LOADER_OPTIONS: protoLoader.Options = { keepCase: true, longs: Number, enums: String, defaults: true, oneofs: true };

/** Finds etcd.proto from either the source tree or dist/ (tsc does not copy it). */
export function etcdProtoPath(): string {
  const here = dirname(fileURLToPath(import.meta.url));
  const beside = join(here, 'etcd.proto');
  if (existsSync(beside)) return beside;
  for (let dir = here; ; ) {
    const p = join(dir, 'control-plane', 'storage', 'etcd.proto');
    if (existsSync(join(dir, 'package.json')) && existsSync(p)) return p;
    const up = dirname(dir);
    if (up === dir) throw new Error('cannot find control-plane/storage/etcd.proto');
    dir = up;
  }
}

type ServiceName = 'KV' | 'Watch' | 'Maintenance';
let services: Record<ServiceName, grpc.ServiceClientConstructor> | undefined;
function etcdServices(): Record<ServiceName, grpc.ServiceClientConstructor> {
  if (!services) {
    const pkg = grpc.loadPackageDefinition(protoLoader.loadSync(etcdProtoPath(), LOADER_OPTIONS)).etcdserverpb as grpc.GrpcObject;
    services = { KV: pkg.KV as grpc.ServiceClientConstructor, Watch: pkg.Watch as grpc.ServiceClientConstructor, Maintenance: pkg.Maintenance as grpc.ServiceClientConstructor };
  }
  return services;
}

/** `etcd://h1:2379,h2:2379`, `https://h1:2379,https://h2:2379` (or a bare list) → ['h1:2379', 'h2:2379']. */
export function parseEtcdEndpoints(datastore: string): string[] {
  const list = datastore.replace(/^etcd:\/\//, '');
  const endpoints = list
    .split(',')
    .map((e) => e.trim().replace(/^https?:\/\//, '').replace(/\/+$/, ''))
    .filter(Boolean);
  if (!endpoints.length || endpoints.some((e) => !/^[^\s/:]+:\d+$/.test(e) && !/^\[[0-9a-fA-F:]+\]:\d+$/.test(e)))
    throw new Error(`invalid etcd datastore "${datastore}": want etcd://host:port[,host:port…] or https://host:port[,https://host:port…]`);
  return endpoints;
}

/** The cluster did not answer at connect time (as opposed to a configuration that can never work). */
export class EtcdUnavailableError extends Error {
  override name = 'EtcdUnavailableError';
}

/** An etcd call that failed; `code` is the gRPC status. */
export class EtcdError extends Error {
  constructor(
    readonly method: string,
    readonly code: grpc.status,
    readonly details: string,
  ) {
    super(`etcd ${method}: ${grpc.status[code] ?? code}: ${details}`);
  }
}

function asEtcdError(method: string, e: unknown): EtcdError {
  if (e instanceof EtcdError) return e;
  const se = e as Partial<grpc.ServiceError>;
  return new EtcdError(method, se.code ?? grpc.status.UNKNOWN, se.details ?? (e as Error).message ?? String(e));
}

/**
 * Worth trying on another member: unreachable, timed out, or no leader / leader changed / request timed out. A write
 * that timed out may still have been applied; its retry then fails its compare (KeyExists/RevisionConflict) rather
 * than applying twice, so an error never hides a second copy, though it may hide a success.
 */
function isRetryable(e: EtcdError): boolean {
  return e.code === grpc.status.UNAVAILABLE || e.code === grpc.status.DEADLINE_EXCEEDED;
}

function isCompacted(e: EtcdError): boolean {
  return e.code === grpc.status.OUT_OF_RANGE && e.details.includes('compacted');
}

interface Member {
  endpoint: string;
  channel: grpc.Channel;
  kv: grpc.Client;
  watch: grpc.Client;
  maintenance: grpc.Client;
}

export interface EtcdStoreOptions {
  endpoints: string[];
  /** Deadline of one call to one member. */
  requestTimeoutMs?: number;
  /** How long a call (or a broken watch) keeps trying other members before it fails. */
  retryForMs?: number;
  /** TLS to the members (https:// endpoints): the CA of their certificates and the client's certificate and key. */
  tls?: { ca: Buffer | string; cert: Buffer | string; key: Buffer | string };
}

/**
 * etcd does not report its compacted revision; every kubets server records each compaction it makes here (as
 * kube-apiserver keeps compact_rev_key), and the value only moves forward.
 */
const COMPACT_KEY = '/kubets/compact-revision';
const bytes = (s: string): Buffer => Buffer.from(s, 'utf8');

/**
 * etcd's "hasleader" request metadata: a member without a leader refuses the call at once (UNAVAILABLE, so it is
 * tried on another member) and ends watches when it loses its leader, instead of holding them while cut off.
 */
function requireLeader(): grpc.Metadata {
  const md = new grpc.Metadata();
  md.set('hasleader', 'true');
  return md;
}
const sleep = (ms: number) => new Promise<void>((r) => setTimeout(r, ms));

export class EtcdStore implements Store {
  readonly endpoints: string[];
  private readonly members: Member[];
  private readonly requestTimeoutMs: number;
  readonly retryForMs: number;
  private readonly watches = new Set<EtcdWatch>();
  /** The member calls go to; moves on when that member fails. */
  private current = 0;
  private knownCompacted = 0;
  private compactTimer?: NodeJS.Timeout;
  private closed = false;

  constructor(opts: EtcdStoreOptions) {
    if (!opts.endpoints.length) throw new Error('etcd store needs at least one endpoint');
    this.endpoints = opts.endpoints;
    this.requestTimeoutMs = opts.requestTimeoutMs ?? 5_000;
    this.retryForMs = opts.retryForMs ?? 15_000;
    const svc = etcdServices();
    const channelOptions: grpc.ChannelOptions = {
      // A watch batch from history can hold up to 1000 revisions of values up to etcd's 1.5 MiB request limit.
      'grpc.max_receive_message_length': -1,
      'grpc.initial_reconnect_backoff_ms': 100,
      'grpc.max_reconnect_backoff_ms': 2_000,
      // Notice a silently dead member; etcd accepts pings every 5 s or slower.
      'grpc.keepalive_time_ms': 10_000,
      'grpc.keepalive_timeout_ms': 5_000,
    };
    const credentials = () => (opts.tls ? grpc.credentials.createSsl(Buffer.from(opts.tls.ca), Buffer.from(opts.tls.key), Buffer.from(opts.tls.cert)) : grpc.credentials.createInsecure());
    this.members = opts.endpoints.map((endpoint) => {
      const channel = new grpc.Channel(endpoint, credentials(), channelOptions);
      const client = (C: grpc.ServiceClientConstructor) => new C(endpoint, credentials(), { channelOverride: channel });
      return { endpoint, channel, kv: client(svc.KV), watch: client(svc.Watch), maintenance: client(svc.Maintenance) };
    });
  }

  /** Opens a store on the endpoints of a --datastore etcd://… value and checks that the cluster answers. */
  static async connect(datastore: string, opts: Omit<EtcdStoreOptions, 'endpoints'> = {}): Promise<EtcdStore> {
    const store = new EtcdStore({ ...opts, endpoints: parseEtcdEndpoints(datastore) });
    try {
      await store.currentRevision();
      return store;
    } catch (e) {
      await store.close();
      throw new EtcdUnavailableError(`etcd at ${store.endpoints.join(',')} does not answer: ${(e as Error).message}`, { cause: e });
    }
  }

  // ---- calls with failover ----

  /** Runs fn against the current member; on a retryable failure moves to the next member and tries again. */
  private async withFailover<T>(method: string, fn: (m: Member) => Promise<T>): Promise<T> {
    const started = Date.now();
    for (let attempt = 1; ; attempt++) {
      if (this.closed) throw new EtcdError(method, grpc.status.CANCELLED, 'store is closed');
      const i = this.current;
      try {
        return await fn(this.members[i]);
      } catch (e) {
        const err = asEtcdError(method, e);
        if (!isRetryable(err) || Date.now() - started > this.retryForMs) throw err;
        this.failover(i);
        // Every member tried once: wait a little (an election takes about one election timeout).
        if (attempt % this.members.length === 0) await sleep(Math.min(50 * 2 ** (attempt / this.members.length), 1_000));
      }
    }
  }

  /** Moves on from member i, unless another caller already did. */
  failover(i: number): void {
    if (this.current === i) {
      this.current = (i + 1) % this.members.length;
      log.debug({ from: this.members[i].endpoint, to: this.members[this.current].endpoint }, 'etcd failover');
    }
  }

  private unary<T>(service: 'kv' | 'maintenance', method: string, req: object): Promise<T> {
    return this.withFailover(method, (m) => new Promise<T>((resolve, reject) => {
      const client = m[service] as unknown as Record<string, (req: object, md: grpc.Metadata, opts: grpc.CallOptions, cb: (err: grpc.ServiceError | null, res: T) => void) => void>;
      client[method](req, requireLeader(), { deadline: Date.now() + this.requestTimeoutMs }, (err, res) => (err ? reject(err) : resolve(res)));
    }));
  }

  /** One member's own view (no failover): its version, store revision, and whether it is the raft leader. */
  memberStatus(i: number): Promise<{ endpoint: string; version: string; revision: number; isLeader: boolean }> {
    const m = this.members[i];
    return new Promise((resolve, reject) => {
      const client = m.maintenance as unknown as { Status(req: object, md: grpc.Metadata, opts: grpc.CallOptions, cb: (err: grpc.ServiceError | null, res: PbStatusResponse) => void): void };
      client.Status({}, new grpc.Metadata({ waitForReady: true }), { deadline: Date.now() + this.requestTimeoutMs }, (err, res) => {
        if (err) reject(asEtcdError('Status', err));
        else resolve({ endpoint: m.endpoint, version: res.version, revision: res.header.revision, isLeader: res.leader !== 0 && res.leader === res.header.member_id });
      });
    });
  }

  private range(req: object): Promise<PbRangeResponse> {
    return this.unary<PbRangeResponse>('kv', 'Range', req);
  }

  private txn(compare: PbCompare[], success: object[], failure: object[]): Promise<PbTxnResponse> {
    return this.unary<PbTxnResponse>('kv', 'Txn', { compare, success, failure });
  }

  /** Opens a Watch stream on the current member; etcd ends it if that member loses its leader. */
  openWatchStream(): { call: grpc.ClientDuplexStream<object, PbWatchResponse>; member: number } {
    const member = this.current;
    const client = this.members[member].watch as unknown as { Watch(md: grpc.Metadata): grpc.ClientDuplexStream<object, PbWatchResponse> };
    return { call: client.Watch(requireLeader()), member };
  }

  // ---- Store ----

  async get(key: string): Promise<KeyValue | undefined> {
    const res = await this.range({ key: bytes(key) });
    return res.kvs.length ? toKV(res.kvs[0]) : undefined;
  }

  async list(prefix: string, opts: ListOptions = {}): Promise<ListResult> {
    const start = opts.startKey && opts.startKey > prefix ? opts.startKey : prefix;
    const limit = opts.limit && opts.limit > 0 ? opts.limit : 0;
    let res: PbRangeResponse;
    try {
      res = await this.range({ key: bytes(start), range_end: bytes(prefixEnd(prefix)), limit, revision: opts.revision ?? 0 });
    } catch (e) {
      if (e instanceof EtcdError && isCompacted(e)) throw new ExpiredError(opts.revision ?? 0, await this.compactedRevision());
      throw e;
    }
    const items = res.kvs.map(toKV);
    return { items, revision: opts.revision || res.header.revision, more: res.more, remaining: res.more ? res.count - items.length : 0 };
  }

  async create(key: string, value: string): Promise<number> {
    const k = bytes(key);
    const res = await this.txn([{ result: 'EQUAL', target: 'CREATE', key: k, create_revision: 0 }], [{ request_put: { key: k, value: bytes(value) } }], []);
    if (!res.succeeded) throw new KeyExistsError(key);
    return res.header.revision;
  }

  async update(key: string, value: string, expectedModRevision: number): Promise<number> {
    const k = bytes(key);
    const res = await this.txn(
      [exists(k), { result: 'EQUAL', target: 'MOD', key: k, mod_revision: expectedModRevision }],
      [{ request_put: { key: k, value: bytes(value) } }],
      [{ request_range: { key: k } }],
    );
    if (!res.succeeded) throw conflict(key, res);
    return res.header.revision;
  }

  async delete(key: string, expectedModRevision?: number): Promise<number> {
    const k = bytes(key);
    const compare = [exists(k)];
    if (expectedModRevision !== undefined) compare.push({ result: 'EQUAL', target: 'MOD', key: k, mod_revision: expectedModRevision });
    const res = await this.txn(compare, [{ request_delete_range: { key: k } }], [{ request_range: { key: k } }]);
    if (!res.succeeded) throw conflict(key, res);
    return res.header.revision;
  }

  watch(prefix: string, fromRevision: number, onEvent: (e: StoreEvent) => void, onError: (e: Error) => void): Watch {
    const w = new EtcdWatch(this, prefix, fromRevision, onEvent, (e) => {
      this.watches.delete(w);
      onError(e);
    });
    if (this.closed) {
      queueMicrotask(() => onError(new Error('etcd store is closed')));
      return { close() {} };
    }
    this.watches.add(w);
    w.start();
    return {
      close: () => {
        this.watches.delete(w);
        w.close();
      },
    };
  }

  async currentRevision(): Promise<number> {
    const res = await this.range({ key: bytes(COMPACT_KEY), count_only: true });
    return res.header.revision;
  }

  async compact(rev: number): Promise<void> {
    try {
      await this.unary('kv', 'Compact', { revision: rev, physical: true });
    } catch (e) {
      // Already compacted at or past rev (by us or another server): nothing to do.
      if (!(e instanceof EtcdError && isCompacted(e))) throw e;
    }
    this.knownCompacted = Math.max(this.knownCompacted, rev);
    const key = bytes(COMPACT_KEY);
    for (;;) {
      const kv = (await this.range({ key })).kvs[0];
      if (kv && Number(kv.value.toString()) >= rev) return;
      const guard: PbCompare = kv ? { result: 'EQUAL', target: 'MOD', key, mod_revision: kv.mod_revision } : { result: 'EQUAL', target: 'CREATE', key, create_revision: 0 };
      if ((await this.txn([guard], [{ request_put: { key, value: bytes(String(rev)) } }], [])).succeeded) return;
    }
  }

  /** The newest compaction any kubets server made (compactions made outside kubets are not seen here). */
  async compactedRevision(): Promise<number> {
    const kv = (await this.range({ key: bytes(COMPACT_KEY) })).kvs[0];
    this.knownCompacted = Math.max(this.knownCompacted, kv ? Number(kv.value.toString()) : 0);
    return this.knownCompacted;
  }

  /** Compacts every intervalMs, keeping the newest keepRevisions revisions (as kube-apiserver's compactor does). */
  startCompactor(intervalMs: number, keepRevisions: number): void {
    this.compactTimer = setInterval(() => {
      void (async () => {
        const rev = (await this.currentRevision()) - keepRevisions;
        if (rev > this.knownCompacted) await this.compact(rev);
      })().catch((e) => log.warn({ err: (e as Error).message }, 'etcd compaction failed; trying again next interval'));
    }, intervalMs);
    this.compactTimer.unref();
  }

  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    if (this.compactTimer) clearInterval(this.compactTimer);
    for (const w of this.watches) w.close();
    this.watches.clear();
    for (const m of this.members) {
      m.kv.close();
      m.watch.close();
      m.maintenance.close();
      m.channel.close();
    }
  }
}

function exists(key: Buffer): PbCompare {
  return { result: 'GREATER', target: 'CREATE', key, create_revision: 0 };
}

/** Why a guarded write's comparison failed, from the failure branch's read of the key. */
function conflict(key: string, res: PbTxnResponse): Error {
  const kv = res.responses[0]?.response_range?.kvs[0];
  return kv ? new RevisionConflictError(key, kv.mod_revision) : new KeyNotFoundError(key);
}

function toKV(kv: PbKeyValue): KeyValue {
  return { key: kv.key.toString('utf8'), value: kv.value.toString('utf8'), modRevision: kv.mod_revision, createRevision: kv.create_revision };
}

/** etcd's event as the store's: a delete carries the deleted value (from prev_kv), as the SQLite store's does. */
function toEvent(ev: PbEvent): StoreEvent | undefined {
  const kv = ev.kv!;
  const prev = ev.prev_kv ?? undefined;
  const key = kv.key.toString('utf8');
  if (ev.type === 'DELETE') {
    if (!prev) return undefined;
    const old = prev.value.toString('utf8');
    return { type: 'delete', key, value: old, prevValue: old, modRevision: kv.mod_revision, createRevision: prev.create_revision };
  }
  return { type: 'put', key, value: kv.value.toString('utf8'), prevValue: prev?.value.toString('utf8'), modRevision: kv.mod_revision, createRevision: kv.create_revision };
}

/**
 * One store watch: an etcd watch on the prefix from the next wanted revision. When its stream breaks (member gone,
 * member lost its leader) it opens a new one on the next member from the revision after the last event it delivered,
 * so nothing is skipped or repeated; when the history it needs has been compacted it ends with ExpiredError.
 */
class EtcdWatch {
  private call?: grpc.ClientDuplexStream<object, PbWatchResponse>;
  /** The first revision not yet delivered. */
  private next: number;
  private closed = false;
  private brokenSince = 0;
  private attempts = 0;
  private retryTimer?: NodeJS.Timeout;

  constructor(
    private readonly store: EtcdStore,
    private readonly prefix: string,
    fromRevision: number,
    private readonly onEvent: (e: StoreEvent) => void,
    private readonly onError: (e: Error) => void,
  ) {
    this.next = fromRevision + 1;
  }

  start(): void {
    if (this.closed) return;
    const { call, member } = this.store.openWatchStream();
    this.call = call;
    call.on('data', (r: PbWatchResponse) => this.onResponse(call, r));
    call.on('error', (e: grpc.ServiceError) => this.onBroken(call, member, asEtcdError('Watch', e)));
    call.on('end', () => this.onBroken(call, member, new EtcdError('Watch', grpc.status.UNAVAILABLE, 'watch stream ended')));
    call.write({
      create_request: { key: bytes(this.prefix), range_end: bytes(prefixEnd(this.prefix)), start_revision: this.next, prev_kv: true, progress_notify: true },
    });
  }

  private onResponse(call: grpc.ClientDuplexStream<object, PbWatchResponse>, r: PbWatchResponse): void {
    if (call !== this.call || this.closed) return;
    if (r.canceled) {
      if (r.compact_revision > 0) this.fail(new ExpiredError(this.next - 1, r.compact_revision));
      else this.fail(new EtcdError('Watch', grpc.status.UNKNOWN, `watch canceled: ${r.cancel_reason || 'no reason given'}`));
      return;
    }
    if (r.created) {
      this.brokenSince = 0;
      this.attempts = 0;
      return;
    }
    if (!r.events.length) {
      // A progress notification: nothing at or below header.revision is still to come.
      if (r.header && r.header.revision >= this.next) this.next = r.header.revision + 1;
      return;
    }
    for (const ev of r.events) {
      const e = toEvent(ev);
      if (!e) {
        this.fail(new EtcdError('Watch', grpc.status.DATA_LOSS, `delete of ${ev.kv?.key.toString('utf8')} at ${ev.kv?.mod_revision} came without the deleted value`));
        return;
      }
      this.next = e.modRevision + 1;
      try {
        this.onEvent(e);
      } catch (err) {
        this.fail(err as Error);
      }
      if (this.closed) return;
    }
  }

  private onBroken(call: grpc.ClientDuplexStream<object, PbWatchResponse>, member: number, err: EtcdError): void {
    if (call !== this.call || this.closed) return;
    this.call = undefined;
    call.cancel();
    this.store.failover(member);
    this.brokenSince ||= Date.now();
    if (Date.now() - this.brokenSince > this.store.retryForMs) {
      this.fail(err);
      return;
    }
    this.retryTimer = setTimeout(() => this.start(), Math.min(50 * 2 ** this.attempts++, 2_000));
  }

  private fail(err: Error): void {
    if (this.closed) return;
    this.close();
    this.onError(err);
  }

  close(): void {
    if (this.closed) return;
    this.closed = true;
    if (this.retryTimer) clearTimeout(this.retryTimer);
    const call = this.call;
    this.call = undefined;
    call?.cancel();
  }
}
