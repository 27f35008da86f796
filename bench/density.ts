// Node density (Kubernetes' node-density/kubelet resource tests): POD pods Running on one node (110: the default
// max-pods), then idle for a while — the agent's CPU % of a core and RSS, containerd's RSS — and, apart, the API
// server's RSS with 10 000 pods stored (server fixture, objects only). The pod manager runs in this process
// (test/kubelet-node.ts): its CPU is process.cpuUsage() over the idle period and its RSS this process's, bench
// included. Prints figures; asserts nothing.
// Run as root: node dist/bench/density.js [--pods 110] [--idle 60] [--stored-pods 10000] [--json]
import { Resources } from '../api/resources.js';
import type { Pod } from '../api/types.js';
import { ensureServiceAccount, startServer } from '../test/server-fixture.js';
import { cannotStartNode, deletePods, sleeperSpec, startBenchNode, startPods } from './node.js';
import { benchArgs, fmtMs, percentile, printJson, printTable, round, rssMb, skip } from './timing.js';

const { values } = benchArgs({ options: { pods: { type: 'string', default: '110' }, idle: { type: 'string', default: '60' }, 'stored-pods': { type: 'string', default: '10000' }, json: { type: 'boolean', default: false } } });
const PODS = Number(values.pods);
const IDLE_S = Number(values.idle);
const STORED = Number(values['stored-pods']);

interface NodeFigures {
  startP99: number;
  idleCpuPct: number;
  agentRss: number;
  containerdRss: number;
}

async function onNode(): Promise<NodeFigures> {
  const node = await startBenchNode('kt-bden', '10.97.0.0/23');
  try {
    const kn = node.kn;
    const pods = Array.from({ length: PODS }, (_, i) => kn.pod(`d-${i}`, sleeperSpec()));
    const started = await startPods(kn, pods);
    // Idle: every pod Running, nothing asked of the node; what the agent costs just to keep watching.
    const cpu0 = process.cpuUsage();
    const t0 = performance.now();
    await new Promise((r) => setTimeout(r, IDLE_S * 1000));
    const cpu = process.cpuUsage(cpu0);
    const figures = { startP99: percentile(started, 99), idleCpuPct: ((cpu.user + cpu.system) / 1000 / (performance.now() - t0)) * 100, agentRss: rssMb(process.pid), containerdRss: rssMb(kn.node.containerdPid) };
    await deletePods(kn, pods);
    return figures;
  } finally {
    await node.close();
  }
}

async function serverRss(): Promise<{ before: number; after: number }> {
  const srv = await startServer({ args: ['--disable-controllers'] });
  try {
    const ns = 'density';
    await srv.client.create(Resources.namespaces, undefined, { apiVersion: 'v1', kind: 'Namespace', metadata: { name: ns } });
    await ensureServiceAccount(srv.client, ns);
    const before = rssMb(srv.proc.pid!);
    let next = 0;
    await Promise.all(Array.from({ length: 32 }, async () => {
      for (let i = next++; i < STORED; i = next++)
        await srv.client.create(Resources.pods, ns, { apiVersion: 'v1', kind: 'Pod', metadata: { name: `stored-${i}`, namespace: ns, labels: { app: 'density' } }, spec: { containers: [{ name: 'c', image: 'busybox:1.35', command: ['sleep', '3600'] }] } } as Pod);
    }));
    // One full list, as every informer's start does: what the server holds while serving it counts too.
    await srv.client.list(Resources.pods, ns);
    return { before, after: rssMb(srv.proc.pid!) };
  } finally {
    await srv.destroy();
  }
}

async function main(): Promise<void> {
  const why = await cannotStartNode();
  if (why) skip(why, values.json);
  const n = await onNode();
  const s = await serverRss();
  console.log(`density: ${PODS} pods Running on one node, idle ${IDLE_S} s; API server with ${STORED} pods stored`);
  printTable(['figure', 'value', 'goal'], [
    [`start-up p99 of ${PODS} pods ms`, fmtMs(n.startP99), '-'],
    ['agent idle CPU % of a core (in-process)', n.idleCpuPct.toFixed(2), '≤ 2'],
    ['agent RSS MB (this process)', n.agentRss.toFixed(0), '≤ 120'],
    ['containerd RSS MB', n.containerdRss.toFixed(0), '-'],
    ['server RSS MB, empty', s.before.toFixed(0), '-'],
    [`server RSS MB, ${STORED} pods stored`, s.after.toFixed(0), '≤ 300'],
  ]);
  if (values.json)
    printJson({
      pods: PODS,
      idle_s: IDLE_S,
      agent_idle_cpu_pct: round(n.idleCpuPct),
      agent_rss_mb: round(n.agentRss, 0),
      containerd_rss_mb: round(n.containerdRss, 0),
      start_p99_ms: round(n.startP99, 0),
      stored_pods: STORED,
      server_rss_mb_10k_pods: round(s.after, 0),
      server_rss_mb_empty: round(s.before, 0),
      agent_source: 'in-process pod manager: process.cpuUsage() and this process\'s RSS',
    });
}

main().then(
  () => process.exit(0),
  (e) => {
    process.stderr.write(`bench/density: ${(e as Error).stack}\n`);
    process.exit(1);
  },
);
