// The load the store, watch and api benches share (kube's scheduler_perf/apiserver load tests drive one workload at
// several layers in the same way): create, get, update (CAS) and list, closed-loop at a fixed concurrency or
// open-loop at a fixed write rate, against the bare Store or the API server, with the same object size.
import type { ApiClient } from '../api/client.js';
import { Resources } from '../api/resources.js';
import type { KubeObject } from '../api/types.js';
import type { Store } from '../control-plane/storage/store.js';
import { openLoop, percentile, printTable, timedPhase, fmtMs, type PhaseResult } from './timing.js';

/** About the size of a small Pod as the API server stores it. */
export const CONFIGMAP_DATA: Record<string, string> = Object.fromEntries(Array.from({ length: 16 }, (_, i) => [`key-${i}`, 'x'.repeat(48)]));
export const VALUE = JSON.stringify({ kind: 'ConfigMap', apiVersion: 'v1', metadata: { name: 'bench', namespace: 'default', labels: { app: 'bench', tier: 'storage' } }, data: CONFIGMAP_DATA });

export interface Row {
  target: string;
  op: string;
  ops: number;
  perSec: number;
  p50: number;
  p99: number;
  errors?: number;
}

export function row(target: string, op: string, r: PhaseResult & { errors?: number }): Row {
  const sorted = r.latencies;
  return { target, op, ops: sorted.length, perSec: (sorted.length * 1000) / r.elapsedMs, p50: percentile(sorted, 50), p99: percentile(sorted, 99), errors: r.errors };
}

export function printRows(rows: Row[]): void {
  printTable(['target', 'operation', 'ops', 'ops/s', 'p50 ms', 'p99 ms', 'errors'], rows.map((r) => [r.target, r.op, String(r.ops), r.perSec.toFixed(0), fmtMs(r.p50), fmtMs(r.p99), String(r.errors ?? 0)]), 2);
}

export interface LoadOptions {
  concurrency: number;
  phaseMs: number;
  /** Open-loop write rates (creates, then updates) to run after the closed-loop phases. */
  rates?: number[];
  listKeys?: number;
}

/** What one layer (bare store or API server) must do for the shared workload. */
interface Target {
  name: string;
  setUp(): Promise<void>;
  create(name: string): Promise<void>;
  get(name: string): Promise<void>;
  /** Writes the object again (a CAS on its current revision). */
  update(name: string, n: number): Promise<void>;
  list(): Promise<void>;
}

async function run(t: Target, o: LoadOptions): Promise<Row[]> {
  await t.setUp();
  const rows: Row[] = [];
  const names: string[][] = Array.from({ length: o.concurrency }, () => []);
  rows.push(row(t.name, `create (${o.concurrency}-way)`, await timedPhase(o.concurrency, o.phaseMs, async (w, i) => {
    const name = `w${w}-${i}`;
    await t.create(name);
    names[w].push(name);
  })));
  const all = names.flat();
  rows.push(row(t.name, `get (${o.concurrency}-way)`, await timedPhase(o.concurrency, o.phaseMs, () => t.get(all[Math.floor(Math.random() * all.length)]))));
  rows.push(row(t.name, `update (${o.concurrency}-way)`, await timedPhase(o.concurrency, o.phaseMs, (w, i) => t.update(names[w][i % names[w].length], i))));
  rows.push(row(t.name, `list ${o.listKeys ?? 100} (${o.concurrency}-way)`, await timedPhase(o.concurrency, o.phaseMs, () => t.list())));
  for (const rate of o.rates ?? []) {
    rows.push(row(t.name, `create @${rate}/s`, await openLoop(rate, o.phaseMs, (i) => t.create(`r${rate}-${i}`))));
    // Updates spread over the objects made so far, so two in flight rarely touch one object.
    rows.push(row(t.name, `update @${rate}/s`, await openLoop(rate, o.phaseMs, (i) => t.update(`r${rate}-${i % Math.max(1, Math.floor((rate * o.phaseMs) / 1000))}`, i))));
  }
  return rows;
}

/** The workload straight on a Store: its own cost, the floor under the API server's. */
export function storeLoad(name: string, store: Store, o: LoadOptions): Promise<Row[]> {
  const p = `/bench/${Date.now().toString(36)}/`;
  const revs = new Map<string, number>();
  const listKeys = o.listKeys ?? 100;
  return run({
    name,
    setUp: async () => {
      for (let i = 0; i < listKeys; i++) await store.create(`${p}list/${String(i).padStart(4, '0')}`, VALUE);
    },
    create: async (n) => void revs.set(n, await store.create(`${p}objs/${n}`, VALUE)),
    get: async (n) => void (await store.get(`${p}objs/${n}`)),
    // A CAS on the revision this caller last wrote (each object has one writer at a time).
    update: async (n) => void revs.set(n, await store.update(`${p}objs/${n}`, VALUE, revs.get(n)!)),
    list: async () => void (await store.list(`${p}list/`)),
  }, o);
}

/** The workload through the API server (HTTPS, JSON) on ConfigMaps of the same size. */
export function apiLoad(name: string, client: ApiClient, namespace: string, o: LoadOptions): Promise<Row[]> {
  const listKeys = o.listKeys ?? 100;
  const cm = (n: string, extra: Record<string, string> = {}): KubeObject => ({ apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: n, namespace, labels: { app: 'bench' } }, data: { ...CONFIGMAP_DATA, ...extra } }) as KubeObject;
  const listNs = `${namespace}-list`;
  return run({
    name,
    setUp: async () => {
      for (const ns of [namespace, listNs]) await client.create(Resources.namespaces, undefined, { apiVersion: 'v1', kind: 'Namespace', metadata: { name: ns } } as KubeObject);
      for (let i = 0; i < listKeys; i += 20) await Promise.all(Array.from({ length: Math.min(20, listKeys - i) }, (_, j) => client.create(Resources.configmaps, listNs, { ...cm(`l${i + j}`), metadata: { name: `l${i + j}`, namespace: listNs } } as KubeObject)));
    },
    create: async (n) => void (await client.create(Resources.configmaps, namespace, cm(n))),
    get: async (n) => void (await client.get(Resources.configmaps, namespace, n)),
    // An unconditional PUT (no resourceVersion): the server reads the stored object and writes on its revision.
    update: async (n, i) => void (await client.update(Resources.configmaps, cm(n, { n: String(i) }))),
    list: async () => void (await client.list(Resources.configmaps, listNs)),
  }, o);
}
