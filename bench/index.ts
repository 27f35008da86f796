// `npm run bench`: every bench in turn, each as its own process (`node dist/bench/<name>.js --json`), and one table of
// their figures beside their baselines and the goals of issue 12. A bench that cannot run here says why on its
// last line ({"skipped": why}) and shows as skipped. Asserts nothing; exits non-zero only if a bench failed.
// Run: node dist/bench/index.js [--only api,scheduler] [--quick] [--out figures.json]
import { spawn } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { benchArgs, printTable } from './timing.js';

const { values } = benchArgs({ options: { only: { type: 'string' }, quick: { type: 'boolean', default: false }, out: { type: 'string' } } });
const here = path.dirname(fileURLToPath(import.meta.url));

type Figures = Record<string, unknown>;

interface Figure {
  name: string;
  /** kubets' figure. */
  value(f: Figures): number | undefined;
  /** The baseline measured in the same run (or a published reference), if any. */
  baseline?(f: Figures): number | undefined;
  goal: string;
  met(v: number, f: Figures): boolean;
}

interface Bench {
  name: string;
  /** Smaller sizes for --quick (a check that every bench works, not figures to compare). */
  quick: string[];
  figures: Figure[];
}

const num = (f: Figures, key: string): number | undefined => {
  const v = f[key];
  // Per-size figures (proxy) are arrays: the largest size is the one the goal is about.
  const x = Array.isArray(v) ? v[v.length - 1] : v;
  return typeof x === 'number' ? x : undefined;
};
const key = (k: string) => (f: Figures) => num(f, k);

const BENCHES: Bench[] = [
  {
    name: 'pods',
    quick: ['--sizes', '10'],
    figures: [
      { name: 'start-up p99 ms (vs raw CRI)', value: key('kubets_p99_ms'), baseline: key('cri_p99_ms'), goal: '≤ 1.10 × CRI', met: (_v, f) => (num(f, 'ratio_p99') ?? Infinity) <= 1.1 },
      { name: 'kubelet CPU ms per pod', value: key('kubelet_cpu_ms_per_pod'), goal: '≤ 25', met: (v) => v <= 25 },
    ],
  },
  {
    name: 'api',
    quick: ['--seconds', '1', '--only', 'sqlite'],
    figures: [
      { name: 'list 1000 pods p50 ms', value: key('list1000_p50_ms'), goal: '≤ 10', met: (v) => v <= 10 },
      { name: 'list 1000 pods p50 ms, server\'s own', value: key('list1000_server_p50_ms'), goal: '-', met: () => true },
      { name: 'create p99 ms @500 w/s sqlite (vs store)', value: key('create_p99_ms_at_500ws_sqlite'), baseline: key('store_create_p99_ms_sqlite'), goal: '≤ 25', met: (v) => v <= 25 },
      { name: 'create p99 ms @500 w/s etcd (vs store)', value: key('create_p99_ms_at_500ws_etcd'), baseline: key('store_create_p99_ms_etcd'), goal: '-', met: () => true },
    ],
  },
  {
    name: 'scheduler',
    quick: ['--nodes', '500', '--pods', '1000'],
    figures: [
      // kube-scheduler's CI threshold for SchedulingBasic 5000 nodes / 10 000 pods is the published baseline.
      { name: 'pods bound per s (vs kube CI threshold)', value: key('pods_per_s'), baseline: () => 680, goal: '≥ 1000', met: (v) => v >= 1000 },
      { name: 'scheduling p99 ms', value: key('p99_ms'), goal: '-', met: () => true },
    ],
  },
  {
    name: 'proxy',
    quick: ['--quick'],
    figures: [
      { name: 'iptables full sync ms (largest size)', value: key('full_sync_ms'), goal: '≤ 2000', met: (v) => v <= 2000 },
      { name: 'iptables one-Service change ms', value: key('one_change_ms'), goal: '≤ 100', met: (v) => v <= 100 },
      { name: 'restore 1k Services ms (vs per-rule execs)', value: key('restore_1k_ms'), baseline: key('per_rule_1k_ms'), goal: '< per-rule', met: (v, f) => v < (num(f, 'per_rule_1k_ms') ?? Infinity) },
    ],
  },
  {
    name: 'dns',
    quick: ['--seconds', '2', '--services', '50'],
    figures: [
      // CoreDNS's published scaling figure: ~33.7k queries/s on 2 vCPUs.
      { name: 'cached queries/s per core (vs CoreDNS ref)', value: key('qps_per_core_cached'), baseline: () => 16_850, goal: '≥ 20000', met: (v) => v >= 20_000 },
      { name: 'cached p99 ms (at a fixed rate)', value: key('p99_ms_cached'), goal: '≤ 2', met: (v) => v <= 2 },
    ],
  },
  {
    name: 'logs',
    quick: ['--lines', '20000', '--searches', '50'],
    figures: [
      { name: 'log lines/s from one node to searchable', value: key('pipeline_lines_per_s'), goal: '-', met: () => true },
      { name: 'search p99 ms over the lines (rare word)', value: key('search_rare_p99_ms'), goal: '-', met: () => true },
      { name: 'search p99 ms (word in 1/1000 lines)', value: key('search_common_p99_ms'), goal: '-', met: () => true },
    ],
  },
  {
    name: 'stats',
    quick: ['--scrapes', '20'],
    figures: [
      { name: 'kubelet /metrics/resource CPU ms per scrape, 100 pods', value: key('resource_cpu_ms'), goal: '-', met: () => true },
      { name: 'kubelet /metrics/cadvisor CPU ms per scrape, 100 pods', value: key('cadvisor_cpu_ms'), goal: '-', met: () => true },
      { name: 'kubelet /stats/summary CPU ms per scrape, 100 pods', value: key('summary_cpu_ms'), goal: '-', met: () => true },
    ],
  },
  {
    name: 'density',
    quick: ['--pods', '10', '--idle', '10', '--stored-pods', '1000'],
    figures: [
      { name: 'agent idle CPU % of a core', value: key('agent_idle_cpu_pct'), goal: '≤ 2', met: (v) => v <= 2 },
      { name: 'agent RSS MB', value: key('agent_rss_mb'), goal: '≤ 120', met: (v) => v <= 120 },
      { name: 'containerd RSS MB', value: key('containerd_rss_mb'), goal: '-', met: () => true },
      { name: 'server RSS MB, 10k pods stored', value: key('server_rss_mb_10k_pods'), goal: '≤ 300', met: (v) => v <= 300 },
    ],
  },
];

interface Outcome {
  bench: string;
  figures?: Figures;
  skipped?: string;
  failed?: string;
}

/** Runs one bench; its stdout is shown as it comes, its last line kept. */
function runBench(b: Bench): Promise<Outcome> {
  return new Promise((resolve) => {
    const args = [path.join(here, `${b.name}.js`), '--json', ...(values.quick ? b.quick : [])];
    console.log(`\n== ${b.name}: node ${path.relative(process.cwd(), args[0]!)} ${args.slice(1).join(' ')}`);
    const child = spawn(process.execPath, args, { stdio: ['ignore', 'pipe', 'inherit'] });
    let out = '';
    child.stdout.setEncoding('utf8');
    child.stdout.on('data', (d: string) => {
      out += d;
      process.stdout.write(d);
    });
    child.on('close', (code, signal) => {
      const last = out.trimEnd().split('\n').pop() ?? '';
      let figures: Figures | undefined;
      try {
        figures = JSON.parse(last) as Figures;
      } catch {
        figures = undefined;
      }
      if (code !== 0 || !figures) return resolve({ bench: b.name, failed: `exit ${code ?? signal}${figures ? '' : ', no JSON line'}` });
      if (typeof figures.skipped === 'string') return resolve({ bench: b.name, skipped: figures.skipped });
      resolve({ bench: b.name, figures });
    });
  });
}

const show = (n: number | undefined) => (n === undefined ? '-' : Math.abs(n) >= 100 ? n.toFixed(0) : String(Number(n.toFixed(2))));

async function main(): Promise<void> {
  const only = values.only?.split(',');
  const chosen = BENCHES.filter((b) => !only || only.includes(b.name));
  const outcomes: Outcome[] = [];
  for (const b of chosen) outcomes.push(await runBench(b));

  const rows: string[][] = [];
  for (const o of outcomes) {
    const b = BENCHES.find((x) => x.name === o.bench)!;
    if (!o.figures) {
      rows.push([o.bench, o.skipped ? `skipped: ${o.skipped}` : `FAILED: ${o.failed}`, '-', '-', '-', '-', '-']);
      continue;
    }
    for (const fig of b.figures) {
      const v = fig.value(o.figures);
      const base = fig.baseline?.(o.figures);
      const ratio = v !== undefined && base ? `${(v / base).toFixed(2)}×` : '-';
      rows.push([o.bench, fig.name, show(v), show(base), ratio, fig.goal, v === undefined ? '-' : fig.goal === '-' ? '' : fig.met(v, o.figures) ? 'yes' : 'no']);
    }
  }
  console.log(`\nkubets benches${values.quick ? ' (--quick: small sizes)' : ''}: ${os.cpus().length} × ${os.cpus()[0]?.model ?? 'CPU'}, ${(os.totalmem() / 2 ** 30).toFixed(0)} GiB, load ${os.loadavg()[0]!.toFixed(1)}`);
  printTable(['bench', 'figure', 'kubets', 'baseline', 'ratio', 'goal', 'met?'], rows, 2);
  if (values.out) fs.writeFileSync(values.out, `${JSON.stringify(Object.fromEntries(outcomes.map((o) => [o.bench, o.figures ?? { skipped: o.skipped, failed: o.failed }])), null, 2)}\n`);
  process.exitCode = outcomes.some((o) => o.failed) ? 1 : 0;
}

await main();
