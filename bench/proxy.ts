// kube-proxy's sync cost (what its sync_proxy_rules_duration_seconds metrics measure), iptables beside nftables: the
// real proxiers (agent/proxy) driven as the conformance suite drives them, each size in a fresh scratch network
// namespace with the real iptables-restore and nft. For 1k / 5k / 10k ClusterIP Services × 10 endpoints: the full sync
// (start-up), and a one-Service change (one endpoint added to one Service; the median of a few). Beside them, for 1k
// Services, the per-rule baseline: the same ruleset the iptables proxier restores, applied with one `iptables` exec
// per chain and rule, as a per-rule wrapper (the npm `iptables` package) does. Prints figures; asserts nothing.
// Run as root: node dist/bench/proxy.js [--sizes 1000,5000,10000] [--endpoints 10] [--changes 5]
// [--per-rule-budget 120] [--json]. A per-rule run that outlasts its budget (seconds) stops, and its figure is the
// measured rate extrapolated to the whole ruleset, marked "~" (and per_rule_1k_extrapolated in the JSON).
import { randomBytes } from 'node:crypto';
import os from 'node:os';
import { parseArgs } from 'node:util';
import type { EndpointSlice, Service } from '../api/types.js';
import { ruleWords } from '../agent/doctor/iptables.js';
import type { BaseProxier } from '../agent/proxy/base.js';
import { hostExec } from '../agent/proxy/exec.js';
import { IptablesProxier } from '../agent/proxy/iptables/proxier.js';
import { NftablesProxier } from '../agent/proxy/nftables/proxier.js';
import type { Exec } from '../agent/proxy/types.js';
import { makeService, makeSlice } from '../test/fixtures/proxy.js';
import { percentile, printTable, skip } from './timing.js';
import { commandExists } from './tools.js';

const { values } = parseArgs({
  options: {
    sizes: { type: 'string', default: '1000,5000,10000' },
    endpoints: { type: 'string', default: '10' },
    changes: { type: 'string', default: '5' },
    'per-rule-budget': { type: 'string', default: '120' },
    json: { type: 'boolean', default: false },
  },
});
const SIZES = values.sizes.split(',').map(Number);
const ENDPOINTS = Number(values.endpoints);
const CHANGES = Number(values.changes);
const PER_RULE_BUDGET_MS = Number(values['per-rule-budget']) * 1000;
const BASELINE_SERVICES = 1000;
const CLUSTER_CIDR = '10.128.0.0/9';
const SERVICE_CIDR = '10.96.0.0/12';
const NS = 'bench';
const MODES = ['iptables', 'nftables'] as const;
type Mode = (typeof MODES)[number];

// ---- scratch namespaces: random names, removed after, also on failure or ^C ----

const liveNetns = new Set<string>();

async function sh(file: string, args: string[]): Promise<void> {
  const r = await hostExec(file, args);
  if (r.exitCode !== 0) throw new Error(`${file} ${args.join(' ')}: ${r.stderr.trim()}`);
}

async function withNetns<T>(fn: (exec: Exec) => Promise<T>): Promise<T> {
  const netns = `kt-pxb-${randomBytes(3).toString('hex')}`;
  await sh('ip', ['netns', 'add', netns]);
  liveNetns.add(netns);
  try {
    await sh('ip', ['-n', netns, 'link', 'set', 'lo', 'up']);
    // nsenter enters only the network namespace: cheaper per command than `ip netns exec`, which matters to the
    // per-rule baseline; the proxiers get the same.
    return await fn((file, args, opts) => hostExec('nsenter', [`--net=/run/netns/${netns}`, file, ...args], opts));
  } finally {
    await removeNetns(netns);
  }
}

async function removeNetns(netns: string): Promise<void> {
  if (!liveNetns.delete(netns)) return;
  await hostExec('ip', ['netns', 'del', netns]);
}

for (const signal of ['SIGINT', 'SIGTERM'] as const) {
  process.once(signal, () => {
    void Promise.all([...liveNetns].map(removeNetns)).finally(() => process.exit(130));
  });
}

// ---- the Services: ClusterIP, one port, ENDPOINTS endpoints each on other nodes ----

const v4 = (base: number, n: number) => `10.${base + (n >> 16)}.${(n >> 8) & 255}.${n & 255}`;
const serviceIP = (i: number) => v4(96, i + 1);
const endpointIP = (i: number, j: number) => v4(128, i * (ENDPOINTS + 1) + j + 1);

function service(i: number): Service {
  return makeService(`svc-${i}`, { clusterIP: serviceIP(i), ports: [{ name: 'http', port: 80, targetPort: 8080 }] }, NS);
}
function slice(i: number, endpoints: number): EndpointSlice {
  const eps = Array.from({ length: endpoints }, (_, j) => ({ ip: endpointIP(i, j), node: `node-${j}` }));
  return makeSlice(`svc-${i}`, eps, [{ name: 'http', port: 8080 }], { namespace: NS });
}

function newProxier(mode: Mode, exec: Exec): BaseProxier {
  const common = { exec, nodeName: 'bench-node', clusterCIDR: CLUSTER_CIDR };
  return mode === 'iptables' ? new IptablesProxier(common) : new NftablesProxier({ ...common, serviceCIDRs: [SERVICE_CIDR] });
}

interface ExecCall {
  file: string;
  input?: string;
  ms: number;
}

interface SyncFigures {
  mode: Mode;
  services: number;
  fullSyncMs: number;
  oneChangeMs: number;
  oneChangeAllMs: number[];
  /** The iptables-restore (or nft -f) run of the full sync alone. */
  fullApplyMs: number;
  /** The document the full sync applied. */
  fullDocument: string;
}

/** Full sync of `size` Services, then CHANGES one-Service changes, each in a sync of its own. */
async function measureSyncs(mode: Mode, size: number): Promise<SyncFigures> {
  return withNetns(async (nsExec) => {
    const calls: ExecCall[] = [];
    const exec: Exec = async (file, args, opts) => {
      const t0 = performance.now();
      const r = await nsExec(file, args, opts);
      calls.push({ file, input: opts?.input, ms: performance.now() - t0 });
      return r;
    };
    const proxier = newProxier(mode, exec);
    try {
      const slices = Array.from({ length: size }, (_, i) => slice(i, ENDPOINTS));
      for (let i = 0; i < size; i++) {
        proxier.onServiceAdd(service(i));
        proxier.onEndpointSliceAdd(slices[i]!);
      }
      proxier.onServiceSynced();
      proxier.onEndpointSlicesSynced();
      const t0 = performance.now();
      await proxier.syncProxyRules();
      const fullSyncMs = performance.now() - t0;
      const apply = calls.find((c) => c.file === (mode === 'iptables' ? 'iptables-restore' : 'nft') && c.input);
      if (!apply) throw new Error(`${mode}: the full sync applied nothing`);

      const changes: number[] = [];
      for (let c = 0; c < CHANGES; c++) {
        const i = Math.floor(size / 2) + c;
        const grown = slice(i, ENDPOINTS + 1);
        proxier.onEndpointSliceUpdate(slices[i]!, grown);
        slices[i] = grown;
        const t1 = performance.now();
        await proxier.syncProxyRules();
        changes.push(performance.now() - t1);
      }
      changes.sort((a, b) => a - b);
      return { mode, services: size, fullSyncMs, oneChangeMs: percentile(changes, 50), oneChangeAllMs: changes, fullApplyMs: apply.ms, fullDocument: apply.input! };
    } finally {
      await proxier.close();
    }
  });
}

/** The iptables-restore document as iptables commands, one per chain and rule, in its order. */
function perRuleCommands(doc: string): string[][] {
  const out: string[][] = [];
  let table = '';
  for (const line of doc.split('\n')) {
    if (line.startsWith('*')) table = line.slice(1);
    else if (line.startsWith(':')) out.push(['-w', '-t', table, '-N', line.slice(1).split(' ')[0]!]);
    else if (line.startsWith('-')) out.push(['-w', '-t', table, ...ruleWords(line)]);
  }
  return out;
}

interface PerRuleFigures {
  commands: number;
  done: number;
  /** The whole ruleset's time: measured, or extrapolated from `done` commands when the budget ran out. */
  ms: number;
  extrapolated: boolean;
}

async function measurePerRule(doc: string): Promise<PerRuleFigures> {
  const commands = perRuleCommands(doc);
  return withNetns(async (exec) => {
    const t0 = performance.now();
    let done = 0;
    for (const args of commands) {
      if (performance.now() - t0 > PER_RULE_BUDGET_MS) break;
      const r = await exec('iptables', args);
      if (r.exitCode !== 0) throw new Error(`iptables ${args.join(' ')}: ${r.stderr.trim()}`);
      done++;
    }
    const elapsed = performance.now() - t0;
    const extrapolated = done < commands.length;
    return { commands: commands.length, done, ms: extrapolated ? (elapsed * commands.length) / done : elapsed, extrapolated };
  });
}

async function main(): Promise<void> {
  if (process.getuid?.() !== 0) skip('the proxy bench makes network namespaces: run it as root', values.json);
  for (const tool of ['ip', 'iptables-restore', 'nft', 'nsenter']) if (!(await commandExists(tool))) skip(`no ${tool} on PATH`, values.json);
  console.log(`proxy bench: ClusterIP Services × ${ENDPOINTS} endpoints, fresh network namespace per run, one-Service change = one endpoint added (median of ${CHANGES}), ${os.cpus().length} CPUs`);
  const figures: SyncFigures[] = [];
  let perRule: PerRuleFigures | undefined;
  for (const size of SIZES) {
    for (const mode of MODES) {
      const f = await measureSyncs(mode, size);
      console.error(`${mode} ${size}: full sync ${f.fullSyncMs.toFixed(0)} ms, one change ${f.oneChangeAllMs.map((m) => m.toFixed(0)).join('/')} ms`);
      figures.push(f);
      if (mode === 'iptables' && size === BASELINE_SERVICES) {
        perRule = await measurePerRule(f.fullDocument);
        console.error(`per-rule baseline: ${perRule.done}/${perRule.commands} iptables commands in ${perRule.extrapolated ? 'the budget' : 'full'}`);
      }
      f.fullDocument = '';
    }
  }

  const ms = (n: number) => n.toFixed(n < 100 ? 1 : 0);
  const rows = figures.map((f) => [f.mode, String(f.services), ms(f.fullSyncMs), ms(f.oneChangeMs), ms(f.fullApplyMs)]);
  const ipt1k = figures.find((f) => f.mode === 'iptables' && f.services === BASELINE_SERVICES);
  if (perRule && ipt1k) rows.push([`iptables per-rule (${perRule.commands} execs)`, String(BASELINE_SERVICES), `${perRule.extrapolated ? '~' : ''}${ms(perRule.ms)}`, '-', '-']);
  printTable(['mode', 'services', 'full sync ms', 'one-change ms', 'apply ms'], rows, 1);

  const ratio = (a: number, b: number) => Number((a / b).toFixed(2));
  const bySize = SIZES.map((size) => {
    const [i, n] = MODES.map((m) => figures.find((f) => f.mode === m && f.services === size)!);
    return { size, full: ratio(n!.fullSyncMs, i!.fullSyncMs), change: ratio(n!.oneChangeMs, i!.oneChangeMs) };
  });
  console.log('');
  printTable(['nftables/iptables', 'services', 'full sync', 'one change'], bySize.map((r) => ['', String(r.size), `${r.full}×`, `${r.change}×`]), 1);
  const baselineRatio = perRule && ipt1k ? ratio(perRule.ms, ipt1k.fullSyncMs) : undefined;
  if (baselineRatio !== undefined) {
    console.log(`\nper-rule baseline / iptables full sync at ${BASELINE_SERVICES} Services: ${baselineRatio}× (${perRule!.extrapolated ? `extrapolated from ${perRule!.done} of ${perRule!.commands} execs` : 'measured'})`);
  }

  if (values.json) {
    const of = (mode: Mode, key: 'fullSyncMs' | 'oneChangeMs' | 'fullApplyMs') => SIZES.map((s) => Number(figures.find((f) => f.mode === mode && f.services === s)![key].toFixed(1)));
    console.log(
      JSON.stringify({
        services: SIZES,
        endpoints_per_service: ENDPOINTS,
        full_sync_ms: of('iptables', 'fullSyncMs'),
        one_change_ms: of('iptables', 'oneChangeMs'),
        nftables_full_sync_ms: of('nftables', 'fullSyncMs'),
        nftables_one_change_ms: of('nftables', 'oneChangeMs'),
        ratio_nftables_iptables_full_sync: bySize.map((r) => r.full),
        ratio_nftables_iptables_one_change: bySize.map((r) => r.change),
        restore_1k_ms: ipt1k ? Number(ipt1k.fullApplyMs.toFixed(1)) : null,
        per_rule_1k_ms: perRule ? Number(perRule.ms.toFixed(0)) : null,
        per_rule_1k_extrapolated: perRule?.extrapolated ?? null,
        per_rule_1k_execs_done: perRule?.done ?? null,
        per_rule_1k_execs: perRule?.commands ?? null,
        ratio_per_rule_full_sync_1k: baselineRatio ?? null,
      }),
    );
  }
}

main().then(
  () => process.exit(0),
  async (e) => {
    process.stderr.write(`bench/proxy: ${(e as Error).stack}\n`);
    await Promise.all([...liveNetns].map(removeNetns));
    process.exit(1);
  },
);
