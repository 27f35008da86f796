// The API server's request path under load (kube's apiserver load tests: create/get/update/list latency at a given
// write rate), beside the bare store it writes to, driven directly in the same run: the store's own cost is the floor.
// On SQLite and on a 3-member etcd cluster: create/get/update/list at 16-way concurrency (closed loop), creates and
// updates at fixed rates (open loop: 100 and 500 writes/s, latency from when each call was due), and a list of 1000
// Pods, timed at the client and by the server itself. Prints figures; asserts nothing.
// Run: node dist/bench/api.js [--quick] [--watch-cache false] [--seconds 3] [--concurrency 16] [--rates 100,500] [--list-pods 1000] [--only sqlite|etcd] [--json]
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import type { ApiClient } from '../api/client.js';
import { Resources } from '../api/resources.js';
import type { Pod } from '../api/types.js';
import { EtcdStore } from '../control-plane/storage/etcd.js';
import { SqliteStore } from '../control-plane/storage/sqlite.js';
import { ETCD_BIN, startEtcdCluster } from '../test/etcd-cluster.js';
import { ensureServiceAccount, startServer } from '../test/server-fixture.js';
import { benchArgs, fmtMs, printJson, printTable, round, skip } from './timing.js';
import { apiLoad, printRows, row, storeLoad, type LoadOptions, type Row } from './workload.js';

const { values } = benchArgs({
  options: {
    seconds: { type: 'string', default: '3' },
    concurrency: { type: 'string', default: '16' },
    rates: { type: 'string', default: '100,500' },
    'list-pods': { type: 'string', default: '1000' },
    only: { type: 'string' },
    json: { type: 'boolean', default: false },
    // What `bench --quick` runs: 1 s per phase, SQLite only.
    quick: { type: 'boolean', default: false },
    // The server's --watch-cache: "false" measures the API reading the store for every list and watch.
    'watch-cache': { type: 'string', default: 'true' },
  },
});
if (values.quick) {
  values.seconds = '1';
  values.only ??= 'sqlite';
}
const LOAD: LoadOptions = { concurrency: Number(values.concurrency), phaseMs: Number(values.seconds) * 1000, rates: values.rates.split(',').map(Number) };
const LIST_PODS = Number(values['list-pods']);
const backends = (values.only ? [values.only] : ['sqlite', 'etcd']) as ('sqlite' | 'etcd')[];

/** A Pod as a Deployment's template makes it, unscheduled (no scheduler runs). */
function pod(namespace: string, name: string): Pod {
  return {
    apiVersion: 'v1',
    kind: 'Pod',
    metadata: { name, namespace, labels: { app: 'bench', 'pod-template-hash': '5d8f7b9c4' }, annotations: { 'bench/index': name } },
    spec: {
      containers: [{ name: 'app', image: 'registry.k8s.io/pause:3.10', ports: [{ containerPort: 8080, protocol: 'TCP' }], resources: { requests: { cpu: '10m', memory: '16Mi' } }, env: [{ name: 'MODE', value: 'bench' }] }],
    },
  } as Pod;
}

/** The server's own count and total seconds of namespaced pod lists (kube-apiserver's apiserver_request_duration_seconds). */
async function serverListSeconds(client: ApiClient): Promise<{ count: number; sum: number }> {
  const text = (await client.raw('GET', '/metrics')).body.toString('utf8');
  const value = (name: string) => {
    const line = text.split('\n').find((l) => l.startsWith(`apiserver_request_duration_seconds_${name}{`) && l.includes('verb="LIST"') && l.includes('resource="pods"') && l.includes('scope="namespace"'));
    return line ? Number(line.slice(line.lastIndexOf(' ') + 1)) : 0;
  };
  return { count: value('count'), sum: value('sum') };
}

/**
 * Lists of LIST_PODS Pods, one at a time: what a controller's relist or `kubectl get pods -A` costs. Timed at the
 * client until the body is read whole (not parsed: the client's JSON.parse of megabytes is not the server's cost), and
 * by the server itself: how much its apiserver_request_duration_seconds sum for LIST grew, read after each list.
 */
async function listPods(target: string, client: ApiClient): Promise<Row[]> {
  const ns = 'bench-pods';
  await client.create(Resources.namespaces, undefined, { apiVersion: 'v1', kind: 'Namespace', metadata: { name: ns } });
  await ensureServiceAccount(client, ns);
  for (let i = 0; i < LIST_PODS; i += 32) await Promise.all(Array.from({ length: Math.min(32, LIST_PODS - i) }, (_, j) => client.create(Resources.pods, ns, pod(ns, `p${i + j}`))));
  const listPath = `/api/v1/namespaces/${ns}/pods`;
  // The one list that is parsed: the server lists every pod; later bodies are as long (or longer by a resourceVersion's digits).
  const first = await client.raw('GET', listPath);
  const listed = (JSON.parse(first.body.toString('utf8')) as { items?: unknown[] }).items?.length;
  if (listed !== LIST_PODS) throw new Error(`listed ${listed} pods, want ${LIST_PODS}`);
  const atClient: number[] = [];
  const atServer: number[] = [];
  let before = await serverListSeconds(client);
  const deadline = performance.now() + LOAD.phaseMs;
  while (performance.now() < deadline) {
    const t0 = performance.now();
    const res = await client.raw('GET', listPath);
    atClient.push(performance.now() - t0);
    if (res.status !== 200 || res.body.length < first.body.length) throw new Error(`list answered ${res.status} with ${res.body.length} bytes`);
    // The server counts a request once its response is done, which may be just after the client has read it.
    let after = await serverListSeconds(client);
    while (after.count === before.count) after = await serverListSeconds(client);
    atServer.push(((after.sum - before.sum) * 1000) / (after.count - before.count));
    before = after;
  }
  // One list at a time: the rate is that of the lists themselves (the metrics reads between them not counted).
  const phase = (latencies: number[]) => ({ latencies: latencies.sort((a, b) => a - b), elapsedMs: atClient.reduce((a, b) => a + b, 0) });
  return [row(target, `list ${LIST_PODS} pods`, phase(atClient)), row(target, `list ${LIST_PODS} pods (server)`, phase(atServer))];
}

async function onSqlite(): Promise<Row[]> {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'kubets-bench-api-'));
  const store = new SqliteStore(path.join(dir, 'state.db'));
  const rows: Row[] = [];
  try {
    rows.push(...(await storeLoad('store sqlite', store, LOAD)));
  } finally {
    await store.close();
    fs.rmSync(dir, { recursive: true, force: true });
  }
  const srv = await startServer({ args: ['--disable-controllers', `--watch-cache=${values['watch-cache']}`] });
  try {
    rows.push(...(await apiLoad('api sqlite', srv.client, 'bench', LOAD)), ...(await listPods('api sqlite', srv.client)));
  } finally {
    await srv.destroy();
  }
  return rows;
}

async function onEtcd(): Promise<Row[]> {
  const cluster = await startEtcdCluster();
  const rows: Row[] = [];
  try {
    const store = new EtcdStore({ endpoints: cluster.endpoints, tls: cluster.tls });
    try {
      rows.push(...(await storeLoad('store etcd x3', store, LOAD)));
    } finally {
      await store.close();
    }
    const srv = await startServer({ args: ['--disable-controllers', `--watch-cache=${values['watch-cache']}`, ...cluster.serverArgs] });
    try {
      rows.push(...(await apiLoad('api etcd x3', srv.client, 'bench', LOAD)), ...(await listPods('api etcd x3', srv.client)));
    } finally {
      await srv.destroy();
    }
  } finally {
    await cluster.close();
  }
  return rows;
}

async function main(): Promise<void> {
  if (backends.includes('etcd') && !fs.existsSync(ETCD_BIN)) {
    if (values.only === 'etcd') skip(`no etcd binary at ${ETCD_BIN}`, values.json);
    backends.splice(backends.indexOf('etcd'), 1);
  }
  console.log(`api bench: ${LOAD.concurrency}-way closed loop and open loop at ${LOAD.rates!.join(', ')} writes/s, ${LOAD.phaseMs / 1000} s per phase, ${os.cpus().length} CPUs shared by client, server and store`);
  const rows: Row[] = [];
  if (backends.includes('sqlite')) rows.push(...(await onSqlite()));
  if (backends.includes('etcd')) rows.push(...(await onEtcd()));
  printRows(rows);

  // The API's cost over its store's, same operation, same run.
  const find = (target: string, op: string) => rows.find((r) => r.target === target && r.op === op);
  const ratios: string[][] = [];
  for (const b of backends) {
    const store = b === 'sqlite' ? 'store sqlite' : 'store etcd x3';
    const api = b === 'sqlite' ? 'api sqlite' : 'api etcd x3';
    for (const r of rows.filter((x) => x.target === store)) {
      const a = find(api, r.op);
      if (a) ratios.push([b, r.op, fmtMs(r.p99), fmtMs(a.p99), `${(a.p99 / r.p99).toFixed(1)}×`]);
    }
  }
  console.log('');
  printTable(['store', 'operation', 'store p99', 'api p99', 'api/store'], ratios, 2);

  if (values.json) {
    const p = (target: string, op: string, q: 'p50' | 'p99') => round(find(target, op)?.[q]);
    const top = Math.max(...LOAD.rates!);
    printJson({
      watch_cache: values['watch-cache'] !== 'false',
      list1000_p50_ms: p('api sqlite', `list ${LIST_PODS} pods`, 'p50'),
      list1000_p99_ms: p('api sqlite', `list ${LIST_PODS} pods`, 'p99'),
      list1000_server_p50_ms: p('api sqlite', `list ${LIST_PODS} pods (server)`, 'p50'),
      list1000_server_p99_ms: p('api sqlite', `list ${LIST_PODS} pods (server)`, 'p99'),
      list_pods: LIST_PODS,
      rate_ws: top,
      create_p99_ms_at_500ws_sqlite: p('api sqlite', `create @${top}/s`, 'p99'),
      create_p99_ms_at_500ws_etcd: p('api etcd x3', `create @${top}/s`, 'p99'),
      update_p99_ms_at_500ws_sqlite: p('api sqlite', `update @${top}/s`, 'p99'),
      update_p99_ms_at_500ws_etcd: p('api etcd x3', `update @${top}/s`, 'p99'),
      store_create_p99_ms_sqlite: p('store sqlite', `create @${top}/s`, 'p99'),
      store_create_p99_ms_etcd: p('store etcd x3', `create @${top}/s`, 'p99'),
      create_p50_ms_16way_sqlite: p('api sqlite', `create (${LOAD.concurrency}-way)`, 'p50'),
      get_p50_ms_16way_sqlite: p('api sqlite', `get (${LOAD.concurrency}-way)`, 'p50'),
      list100_p50_ms_16way_sqlite: p('api sqlite', `list 100 (${LOAD.concurrency}-way)`, 'p50'),
      list1000_p50_ms_etcd: p('api etcd x3', `list ${LIST_PODS} pods`, 'p50'),
      list1000_server_p50_ms_etcd: p('api etcd x3', `list ${LIST_PODS} pods (server)`, 'p50'),
      errors: rows.reduce((a, r) => a + (r.errors ?? 0), 0),
    });
  }
}

main().then(
  () => process.exit(0),
  (e) => {
    process.stderr.write(`bench/api: ${(e as Error).stack}\n`);
    process.exit(1);
  },
);
