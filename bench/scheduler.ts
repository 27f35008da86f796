// kube-scheduler's scheduler_perf SchedulingBasic case (test/integration/scheduler_perf): hollow nodes (Node objects
// only, nothing runs them) and pods of the default pod template, scheduled by the real scheduler (in this process)
// against a real API server (its own process, SQLite, no controllers). The pods are created first; the scheduler then
// starts, and the figures are pods bound per second from its start to the last binding, and the p99 of each pod's
// attempt (dequeue → binding written). The published baseline is kube-scheduler's CI threshold for this case (680
// pods/s at 5000 nodes / 10 000 pods). Beside them, the CPU each process spent per pod while the pods were
// scheduled: the API server's (from /proc, its binding and event writes) and this process's (the scheduler), figures
// a loaded machine moves far less than the rate. Prints figures; asserts nothing.
// Run: node dist/bench/scheduler.js [--nodes 5000] [--pods 10000] [--json]
import fs from 'node:fs';
import type { ApiClient } from '../api/client.js';
import { Resources } from '../api/resources.js';
import type { Node, Pod } from '../api/types.js';
import { startScheduler } from '../control-plane/scheduler/index.js';
import { ensureServiceAccount, startServer } from '../test/server-fixture.js';
import { until } from '../test/until.js';
import { benchArgs, fmtMs, percentile, printJson, printTable, round } from './timing.js';

const { values } = benchArgs({ options: { nodes: { type: 'string', default: '5000' }, pods: { type: 'string', default: '10000' }, json: { type: 'boolean', default: false } } });
const NODES = Number(values.nodes);
const PODS = Number(values.pods);
const NS = 'sched-bench';
/** Objects created at once while setting up. */
const CREATORS = 48;
const CI_THRESHOLD = 680;

/** scheduler_perf's node-default.yaml: a Ready node with room for 110 pods. */
const hollowNode = (i: number): Node => ({
  apiVersion: 'v1',
  kind: 'Node',
  metadata: { name: `hollow-${i}`, labels: { 'kubernetes.io/hostname': `hollow-${i}` } },
  spec: {},
  status: { capacity: { cpu: '4', memory: '32Gi', pods: '110' }, allocatable: { cpu: '4', memory: '32Gi', pods: '110' }, conditions: [{ type: 'Ready', status: 'True' }] },
}) as Node;

/** scheduler_perf's pod-default.yaml: one pause container with requests. */
const benchPod = (i: number): Pod => ({
  apiVersion: 'v1',
  kind: 'Pod',
  metadata: { name: `pod-${i}`, namespace: NS, labels: { app: 'sched-bench' } },
  spec: { containers: [{ name: 'pause', image: 'registry.k8s.io/pause:3.10', resources: { requests: { cpu: '100m', memory: '500Mi' }, limits: { cpu: '100m', memory: '500Mi' } } }] },
}) as Pod;

async function createAll(client: ApiClient, n: number, make: (i: number) => Promise<unknown>): Promise<number> {
  const t0 = performance.now();
  let next = 0;
  await Promise.all(Array.from({ length: CREATORS }, async () => {
    for (let i = next++; i < n; i = next++) await make(i);
  }));
  return performance.now() - t0;
}

/** A process's CPU (user + system) so far in ms, from /proc: the API server runs in its own process. */
function processCpuMs(pid: number): number {
  // Fields after the command's closing parenthesis: utime and stime are the 12th and 13th, in clock ticks (100 per s).
  const fields = fs.readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1]!.split(' ');
  return (Number(fields[11]) + Number(fields[12])) * 10;
}

async function main(): Promise<void> {
  const srv = await startServer({ args: ['--disable-controllers'] });
  try {
    const client = srv.client;
    await client.create(Resources.namespaces, undefined, { apiVersion: 'v1', kind: 'Namespace', metadata: { name: NS } });
    await ensureServiceAccount(client, NS);
    // As a (hollow) kubelet registers: the Node, then its status (a create keeps no status).
    const nodesMs = await createAll(client, NODES, async (i) => client.updateStatus(Resources.nodes, { ...hollowNode(i), metadata: (await client.create(Resources.nodes, undefined, hollowNode(i))).metadata }));
    const podsMs = await createAll(client, PODS, (i) => client.create(Resources.pods, NS, benchPod(i)));
    console.error(`set-up: ${NODES} nodes in ${(nodesMs / 1000).toFixed(1)} s, ${PODS} pods in ${(podsMs / 1000).toFixed(1)} s`);

    const attempts: number[] = [];
    const serverCpu0 = processCpuMs(srv.proc.pid!);
    const ownCpu0 = process.cpuUsage();
    const t0 = performance.now();
    let tLast = t0;
    const scheduler = await startScheduler(client, {
      onBound: (_key, _node, ms) => {
        attempts.push(ms);
        tLast = performance.now();
      },
    });
    const synced = performance.now();
    try {
      await until(`${PODS} pods bound`, () => attempts.length >= PODS, 30 * 60_000, 50);
    } finally {
      await scheduler.close();
    }
    const serverCpuPerPod = (processCpuMs(srv.proc.pid!) - serverCpu0) / PODS;
    const ownCpu = process.cpuUsage(ownCpu0);
    const schedulerCpuPerPod = (ownCpu.user + ownCpu.system) / 1000 / PODS;
    // What the store holds, not only what the scheduler says.
    const listed = await client.list<Pod>(Resources.pods, NS);
    const bound = listed.items.filter((p) => p.spec.nodeName).length;
    const perNode = new Map<string, number>();
    for (const p of listed.items) if (p.spec.nodeName) perNode.set(p.spec.nodeName, (perNode.get(p.spec.nodeName) ?? 0) + 1);

    attempts.sort((a, b) => a - b);
    const seconds = (tLast - t0) / 1000;
    const podsPerS = PODS / seconds;
    // kube-scheduler's scheduler_perf samples its throughput once the scheduler runs, its informers synced.
    const podsPerSAfterSync = PODS / ((tLast - synced) / 1000);
    console.log(`scheduler bench (SchedulingBasic): ${NODES} hollow nodes, ${PODS} pods, scheduler in this process, API server (SQLite) in its own`);
    printTable(['figure', 'kubets', 'baseline'], [
      ['pods bound per s (start → last binding)', podsPerS.toFixed(0), `${CI_THRESHOLD} (kube-scheduler CI threshold)`],
      ['pods bound per s (informers synced → last binding)', podsPerSAfterSync.toFixed(0), '-'],
      ['informer sync at start ms', (synced - t0).toFixed(0), '-'],
      ['attempt p50 ms', fmtMs(percentile(attempts, 50)), '-'],
      ['attempt p99 ms', fmtMs(percentile(attempts, 99)), '-'],
      ['API server CPU ms per pod (bindings, events)', serverCpuPerPod.toFixed(2), '-'],
      ['scheduler CPU ms per pod (this process)', schedulerCpuPerPod.toFixed(2), '-'],
      ['pods bound in the store', String(bound), String(PODS)],
      ['nodes used / most pods on one node', `${perNode.size} / ${Math.max(0, ...perNode.values())}`, '-'],
    ]);
    if (values.json)
      printJson({
        nodes: NODES,
        pods: PODS,
        pods_per_s: round(podsPerS, 0),
        pods_per_s_after_sync: round(podsPerSAfterSync, 0),
        p99_ms: round(percentile(attempts, 99)),
        p50_ms: round(percentile(attempts, 50)),
        sync_ms: round(synced - t0, 0),
        server_cpu_ms_per_pod: round(serverCpuPerPod),
        scheduler_cpu_ms_per_pod: round(schedulerCpuPerPod),
        bound_in_store: bound,
        nodes_used: perNode.size,
        ratio_ci_threshold: round(podsPerS / CI_THRESHOLD),
      });
  } finally {
    await srv.destroy();
  }
}

main().then(
  () => process.exit(0),
  (e) => {
    process.stderr.write(`bench/scheduler: ${(e as Error).stack}\n`);
    process.exit(1);
  },
);
