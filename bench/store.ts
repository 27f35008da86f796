// Store throughput and latency, directly on the Store interface: create, get, list, update (CAS) and watch delivery,
// each for a few seconds at a fixed concurrency, on the embedded SQLite store and on a 3-member etcd cluster on
// loopback (fsync on). Prints figures; asserts nothing. Run: node dist/bench/store.js [--seconds 3] [--concurrency 16]
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { parseArgs } from 'node:util';
import { EtcdStore } from '../control-plane/storage/etcd.js';
import { SqliteStore } from '../control-plane/storage/sqlite.js';
import type { Store } from '../control-plane/storage/store.js';
import { startEtcdCluster } from '../test/etcd-cluster.js';
import { until } from '../test/until.js';
import { percentile, printTable, timedPhase } from './timing.js';

const { values } = parseArgs({ options: { seconds: { type: 'string', default: '3' }, concurrency: { type: 'string', default: '16' }, only: { type: 'string' } } });
const PHASE_MS = Number(values.seconds) * 1000;
const CONCURRENCY = Number(values.concurrency);
const LIST_KEYS = 200;

// About the size of a small Pod as the API server stores it.
const VALUE = JSON.stringify({
  kind: 'ConfigMap',
  apiVersion: 'v1',
  metadata: { name: 'bench', namespace: 'default', labels: { app: 'bench', tier: 'storage' } },
  data: Object.fromEntries(Array.from({ length: 16 }, (_, i) => [`key-${i}`, 'x'.repeat(48)])),
});

interface Row {
  store: string;
  op: string;
  ops: number;
  perSec: number;
  p50: number;
  p99: number;
}


function row(store: string, op: string, latencies: number[], ms: number): Row {
  const sorted = latencies.sort((a, b) => a - b);
  return { store, op, ops: sorted.length, perSec: (sorted.length * 1000) / ms, p50: percentile(sorted, 50), p99: percentile(sorted, 99) };
}

/** Runs op in CONCURRENCY loops for PHASE_MS, timing each call. */
async function phase(storeName: string, op: string, fn: (worker: number, i: number) => Promise<void>): Promise<Row> {
  const { latencies, elapsedMs } = await timedPhase(CONCURRENCY, PHASE_MS, fn);
  return row(storeName, op, latencies, elapsedMs);
}

async function benchStore(name: string, store: Store): Promise<Row[]> {
  const p = `/bench/${Date.now().toString(36)}/`;
  const rows: Row[] = [];
  const mine: { key: string; rev: number }[][] = Array.from({ length: CONCURRENCY }, () => []);

  rows.push(await phase(name, 'create', async (w, i) => {
    const key = `${p}objs/w${w}/${i}`;
    mine[w].push({ key, rev: await store.create(key, VALUE) });
  }));
  const all = mine.flat();
  rows.push(await phase(name, 'get', async () => {
    await store.get(all[Math.floor(Math.random() * all.length)].key);
  }));
  rows.push(await phase(name, 'update (CAS)', async (w, i) => {
    const own = mine[w][i % mine[w].length];
    own.rev = await store.update(own.key, VALUE, own.rev);
  }));
  for (let i = 0; i < LIST_KEYS; i++) await store.create(`${p}list/${String(i).padStart(4, '0')}`, VALUE);
  rows.push(await phase(name, `list (${LIST_KEYS} keys)`, async () => {
    await store.list(`${p}list/`);
  }));

  // Watch: one watcher on the prefix while every worker creates; latency is from the create call to the event.
  const sent = new Map<string, number>();
  const delivery: number[] = [];
  const w = store.watch(`${p}watched/`, await store.currentRevision(), (e) => {
    const t0 = sent.get(e.key);
    if (t0 !== undefined) delivery.push(performance.now() - t0);
  }, (e) => console.error(`${name}: watch failed: ${e.message}`));
  const writes = await phase(name, 'create (watched)', async (wk, i) => {
    const key = `${p}watched/w${wk}/${i}`;
    sent.set(key, performance.now());
    await store.create(key, VALUE);
  });
  // What has not arrived within 10 s shows as missing in the figures.
  await until('every watched create delivered', () => delivery.length >= writes.ops, 10_000, 20).catch(() => undefined);
  w.close();
  rows.push(writes, { ...row(name, 'watch delivery', delivery, PHASE_MS), op: `watch delivery (${delivery.length}/${writes.ops} events)` });
  return rows;
}

function print(rows: Row[]): void {
  const header = ['store', 'operation', 'ops', 'ops/s', 'p50 ms', 'p99 ms'];
  printTable(header, rows.map((r) => [r.store, r.op, String(r.ops), r.perSec.toFixed(0), r.p50.toFixed(2), r.p99.toFixed(2)]), 2);
}

async function main(): Promise<void> {
  console.log(`store bench: ${CONCURRENCY} concurrent callers, ${PHASE_MS / 1000} s per operation, ${VALUE.length}-byte values, ${os.cpus().length} CPUs`);
  const rows: Row[] = [];
  if (!values.only || values.only === 'sqlite') {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'kubets-bench-'));
    const store = new SqliteStore(path.join(dir, 'state.db'));
    try {
      rows.push(...(await benchStore('sqlite', store)));
    } finally {
      await store.close();
      fs.rmSync(dir, { recursive: true, force: true });
    }
  }
  if (!values.only || values.only === 'etcd') {
    const cluster = await startEtcdCluster();
    const store = new EtcdStore({ endpoints: cluster.endpoints, tls: cluster.tls });
    try {
      rows.push(...(await benchStore('etcd x3', store)));
    } finally {
      await store.close();
      await cluster.close();
    }
  }
  print(rows);
}

main().catch((e) => {
  console.error(e);
  process.exit(1);
});
