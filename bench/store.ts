// Store throughput and latency, directly on the Store interface: create, get, update (CAS) and list at a fixed
// concurrency, and watch delivery, each for a few seconds, on the embedded SQLite store and on a 3-member etcd cluster
// on loopback (fsync on). Prints figures; asserts nothing.
// Run: node dist/bench/store.js [--seconds 3] [--concurrency 16] [--only sqlite|etcd]
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { EtcdStore } from '../control-plane/storage/etcd.js';
import { SqliteStore } from '../control-plane/storage/sqlite.js';
import type { Store } from '../control-plane/storage/store.js';
import { startEtcdCluster } from '../test/etcd-cluster.js';
import { until } from '../test/until.js';
import { benchArgs, timedPhase } from './timing.js';
import { printRows, row, storeLoad, VALUE, type Row } from './workload.js';

const { values } = benchArgs({ options: { seconds: { type: 'string', default: '3' }, concurrency: { type: 'string', default: '16' }, only: { type: 'string' } } });
const PHASE_MS = Number(values.seconds) * 1000;
const CONCURRENCY = Number(values.concurrency);
const LIST_KEYS = 200;

/** Watch: one watcher on a prefix while every worker creates; latency is from the create call to the event. */
async function watchDelivery(name: string, store: Store): Promise<Row[]> {
  const p = `/bench/${Date.now().toString(36)}/watched/`;
  const sent = new Map<string, number>();
  const delivery: number[] = [];
  const w = store.watch(p, await store.currentRevision(), (e) => {
    const t0 = sent.get(e.key);
    if (t0 !== undefined) delivery.push(performance.now() - t0);
  }, (e) => console.error(`${name}: watch failed: ${e.message}`));
  const writes = row(name, 'create (watched)', await timedPhase(CONCURRENCY, PHASE_MS, async (wk, i) => {
    const key = `${p}w${wk}/${i}`;
    sent.set(key, performance.now());
    await store.create(key, VALUE);
  }));
  // What has not arrived within 10 s shows as missing in the figures.
  await until('every watched create delivered', () => delivery.length >= writes.ops, 10_000, 20).catch(() => undefined);
  w.close();
  return [writes, row(name, `watch delivery (${delivery.length}/${writes.ops} events)`, { latencies: delivery.sort((a, b) => a - b), elapsedMs: PHASE_MS })];
}

async function bench(name: string, store: Store): Promise<Row[]> {
  return [...(await storeLoad(name, store, { concurrency: CONCURRENCY, phaseMs: PHASE_MS, listKeys: LIST_KEYS })), ...(await watchDelivery(name, store))];
}

async function main(): Promise<void> {
  console.log(`store bench: ${CONCURRENCY} concurrent callers, ${PHASE_MS / 1000} s per operation, ${VALUE.length}-byte values, ${os.cpus().length} CPUs`);
  const rows: Row[] = [];
  if (!values.only || values.only === 'sqlite') {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'kubets-bench-'));
    const store = new SqliteStore(path.join(dir, 'state.db'));
    try {
      rows.push(...(await bench('sqlite', store)));
    } finally {
      await store.close();
      fs.rmSync(dir, { recursive: true, force: true });
    }
  }
  if (!values.only || values.only === 'etcd') {
    const cluster = await startEtcdCluster();
    const store = new EtcdStore({ endpoints: cluster.endpoints, tls: cluster.tls });
    try {
      rows.push(...(await bench('etcd x3', store)));
    } finally {
      await store.close();
      await cluster.close();
    }
  }
  printRows(rows);
}

main().catch((e) => {
  console.error(e);
  process.exit(1);
});
