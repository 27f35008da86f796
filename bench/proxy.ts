// kube-proxy's sync cost (what its sync_proxy_rules_duration_seconds metrics measure), iptables beside nftables: the
// real proxiers (agent/proxy) driven as the conformance suite drives them, each size in a fresh scratch network
// namespace with the real iptables-restore and nft. For 1k / 5k / 10k ClusterIP Services × 10 endpoints: the full sync
// (start-up), and a one-Service change (one endpoint added to one Service; the median of a few), each split into
// generation (the proxier's JavaScript) and apply (the commands it ran: iptables-restore or nft -f, and the few
// others), with the number of rules written; then the ratio nftables / iptables per size. Beside them, for 1k
// Services, the per-rule baseline: the same ruleset the iptables proxier restores, applied with one `iptables` exec
// per chain and rule, as a per-rule wrapper (the npm `iptables` package) does. Prints figures; asserts nothing.
// Run as root: node dist/bench/proxy.js [--quick] [--sizes 1000,5000,10000] [--endpoints 10] [--changes 5]
// [--per-rule-budget 120] [--modes iptables,nftables] [--json]. --quick: 1000 Services only, 3 changes, a 20 s per-rule budget. A per-rule run
// that outlasts its budget (seconds) stops, and its figure is the measured rate extrapolated to the whole ruleset,
// marked "~" (and per_rule_1k_extrapolated in the JSON). The JSON's issue-12 keys (services, full_sync_ms,
// one_change_ms: iptables) are the largest size's; the per-size keys carry the size and mode in their names.
import { randomBytes } from 'node:crypto';
import os from 'node:os';
import { ruleWords } from '../agent/doctor/iptables.js';
import type { BaseProxier } from '../agent/proxy/base.js';
import { hostExec } from '../agent/proxy/exec.js';
import { IptablesProxier } from '../agent/proxy/iptables/proxier.js';
import { NftablesProxier } from '../agent/proxy/nftables/proxier.js';
import type { Exec } from '../agent/proxy/types.js';
import { benchSlice, feedProxier } from './proxy-services.js';
import { benchArgs, printTable, skip } from './timing.js';
import { commandExists } from './tools.js';

const { values } = benchArgs({
  options: {
    quick: { type: 'boolean', default: false },
    sizes: { type: 'string' },
    endpoints: { type: 'string', default: '10' },
    changes: { type: 'string' },
    'per-rule-budget': { type: 'string' },
    modes: { type: 'string', default: 'iptables,nftables' },
    json: { type: 'boolean', default: false },
  },
});
const SIZES = (values.sizes ?? (values.quick ? '1000' : '1000,5000,10000')).split(',').map(Number);
const ENDPOINTS = Number(values.endpoints);
const CHANGES = Number(values.changes ?? (values.quick ? 3 : 5));
const PER_RULE_BUDGET_MS = Number(values['per-rule-budget'] ?? (values.quick ? 20 : 120)) * 1000;
const BASELINE_SERVICES = 1000;
const CLUSTER_CIDR = '10.128.0.0/9';
const SERVICE_CIDR = '10.96.0.0/12';
const ALL_MODES = ['iptables', 'nftables'] as const;
type Mode = (typeof ALL_MODES)[number];
const MODES = ALL_MODES.filter((m) => values.modes.split(',').includes(m));

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

// ---- the Services: ClusterIP, one port, ENDPOINTS endpoints each on other nodes (bench/proxy-services.ts) ----

const slice = (i: number, endpoints: number) => benchSlice(i, endpoints, ENDPOINTS);

function newProxier(mode: Mode, exec: Exec): BaseProxier {
  const common = { exec, nodeName: 'bench-node', clusterCIDR: CLUSTER_CIDR };
  return mode === 'iptables' ? new IptablesProxier(common) : new NftablesProxier({ ...common, serviceCIDRs: [SERVICE_CIDR] });
}

/** One sync's time, split into the proxier's own work and the commands it waited for. */
interface SyncTime {
  ms: number;
  /** Building the rules in JavaScript: the sync's time less its commands'. */
  genMs: number;
  /** The commands the sync ran (iptables-restore or nft -f, and any listing or check), end to end. */
  applyMs: number;
}

interface SyncFigures {
  mode: Mode;
  services: number;
  full: SyncTime;
  /** The median one-Service change (by total time), and every change's total. */
  oneChange: SyncTime;
  oneChangeAllMs: number[];
  /** Rules the full sync wrote: iptables `-A` lines; nftables `add rule` lines (its map and set elements apart). */
  rules: number;
  elements: number;
  /** The iptables-restore (or nft -f) run of the full sync alone. */
  fullRestoreMs: number;
  /** The document the full sync applied. */
  fullDocument: string;
}

/** Full sync of `size` Services, then CHANGES one-Service changes, each in a sync of its own. */
async function measureSyncs(mode: Mode, size: number): Promise<SyncFigures> {
  return withNetns(async (nsExec) => {
    let execMs = 0;
    let applied = '';
    let appliedMs = 0;
    const exec: Exec = async (file, args, opts) => {
      const t0 = performance.now();
      try {
        return await nsExec(file, args, opts);
      } finally {
        const ms = performance.now() - t0;
        execMs += ms;
        if (opts?.input && file === (mode === 'iptables' ? 'iptables-restore' : 'nft')) [applied, appliedMs] = [opts.input, ms];
      }
    };
    const timed = async (sync: () => Promise<void>): Promise<SyncTime> => {
      const exec0 = execMs;
      const t0 = performance.now();
      await sync();
      const ms = performance.now() - t0;
      const applyMs = execMs - exec0;
      return { ms, genMs: ms - applyMs, applyMs };
    };
    const proxier = newProxier(mode, exec);
    try {
      const slices = Array.from({ length: size }, (_, i) => slice(i, ENDPOINTS));
      feedProxier(proxier, size, slices);
      const full = await timed(() => proxier.syncProxyRules());
      if (!applied) throw new Error(`${mode}: the full sync applied nothing`);
      const fullDocument = applied;
      const fullRestoreMs = appliedMs;

      const changes: SyncTime[] = [];
      for (let c = 0; c < CHANGES; c++) {
        const i = Math.floor(size / 2) + c;
        const grown = slice(i, ENDPOINTS + 1);
        proxier.onEndpointSliceUpdate(slices[i]!, grown);
        slices[i] = grown;
        changes.push(await timed(() => proxier.syncProxyRules()));
      }
      changes.sort((a, b) => a.ms - b.ms);
      const count = (re: RegExp) => fullDocument.match(re)?.length ?? 0;
      return {
        mode,
        services: size,
        full,
        oneChange: changes[Math.min(changes.length - 1, Math.floor(changes.length / 2))]!,
        oneChangeAllMs: changes.map((c) => c.ms),
        rules: count(mode === 'iptables' ? /^-A /gm : /^add rule /gm),
        elements: mode === 'nftables' ? count(/^add element /gm) : 0,
        fullRestoreMs,
        fullDocument,
      };
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
    // (-S: the listing the proxier puts first in a large restore; not a rule.)
    else if (line.startsWith('-') && line !== '-S') out.push(['-w', '-t', table, ...ruleWords(line)]);
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
  console.log(
    `proxy bench: ClusterIP Services × ${ENDPOINTS} endpoints, fresh network namespace per run, one-Service change = one endpoint added (median of ${CHANGES}), ${os.cpus().length} CPUs, load ${os.loadavg()[0]!.toFixed(1)}`,
  );
  const figures: SyncFigures[] = [];
  let perRule: PerRuleFigures | undefined;
  for (const size of SIZES) {
    for (const mode of MODES) {
      const f = await measureSyncs(mode, size);
      console.error(`${mode} ${size}: full sync ${f.full.ms.toFixed(0)} ms, one change ${f.oneChangeAllMs.map((m) => m.toFixed(0)).join('/')} ms`);
      figures.push(f);
      if (mode === 'iptables' && size === BASELINE_SERVICES) {
        perRule = await measurePerRule(f.fullDocument);
        console.error(`per-rule baseline: ${perRule.done}/${perRule.commands} iptables commands in ${perRule.extrapolated ? 'the budget' : 'full'}`);
      }
      f.fullDocument = '';
    }
  }

  const ms = (n: number) => n.toFixed(n < 100 ? 1 : 0);
  const rows = figures.map((f) => [
    f.mode,
    String(f.services),
    ms(f.full.ms),
    ms(f.full.genMs),
    ms(f.full.applyMs),
    ms(f.oneChange.ms),
    ms(f.oneChange.genMs),
    ms(f.oneChange.applyMs),
    f.elements ? `${f.rules} + ${f.elements} elements` : String(f.rules),
  ]);
  const ipt1k = figures.find((f) => f.mode === 'iptables' && f.services === BASELINE_SERVICES);
  if (perRule && ipt1k) rows.push([`iptables per-rule (${perRule.commands} execs)`, String(BASELINE_SERVICES), `${perRule.extrapolated ? '~' : ''}${ms(perRule.ms)}`, '-', '-', '-', '-', '-', String(ipt1k.rules)]);
  printTable(['mode', 'services', 'full sync ms', 'generate', 'apply', 'one-change ms', 'generate', 'apply', 'rules'], rows, 1);

  const ratio = (a: number, b: number) => Number((a / b).toFixed(2));
  const of = (mode: Mode, size: number) => figures.find((f) => f.mode === mode && f.services === size);
  // The ratios need both modes (--modes may have picked one).
  const bySize = MODES.length < 2 ? [] : SIZES.map((size) => {
    const [i, n] = [of('iptables', size)!, of('nftables', size)!];
    return { size, full: ratio(n.full.ms, i.full.ms), change: ratio(n.oneChange.ms, i.oneChange.ms) };
  });
  console.log('');
  if (bySize.length) printTable(['nftables/iptables', 'services', 'full sync', 'one change'], bySize.map((r) => ['', String(r.size), `${r.full}×`, `${r.change}×`]), 1);
  const baselineRatio = perRule && ipt1k ? ratio(perRule.ms, ipt1k.full.ms) : undefined;
  if (baselineRatio !== undefined) {
    console.log(`\nper-rule baseline / iptables full sync at ${BASELINE_SERVICES} Services: ${baselineRatio}× (${perRule!.extrapolated ? `extrapolated from ${perRule!.done} of ${perRule!.commands} execs` : 'measured'})`);
  }

  if (values.json) {
    const r1 = (n: number) => Number(n.toFixed(1));
    const opt = (n: number | undefined) => (n === undefined ? null : r1(n));
    const largest = SIZES[SIZES.length - 1]!;
    const perSize: Record<string, number> = {};
    for (const f of figures) {
      const k = `${f.mode}_${f.services}`;
      perSize[`${k}_full_sync_ms`] = r1(f.full.ms);
      perSize[`${k}_full_generate_ms`] = r1(f.full.genMs);
      perSize[`${k}_full_apply_ms`] = r1(f.full.applyMs);
      perSize[`${k}_one_change_ms`] = r1(f.oneChange.ms);
      perSize[`${k}_one_change_generate_ms`] = r1(f.oneChange.genMs);
      perSize[`${k}_one_change_apply_ms`] = r1(f.oneChange.applyMs);
      perSize[`${k}_rules`] = f.rules;
      if (f.elements) perSize[`${k}_elements`] = f.elements;
    }
    for (const r of bySize) {
      perSize[`ratio_nftables_iptables_full_sync_${r.size}`] = r.full;
      perSize[`ratio_nftables_iptables_one_change_${r.size}`] = r.change;
    }
    console.log(
      JSON.stringify({
        services: largest,
        endpoints_per_service: ENDPOINTS,
        full_sync_ms: opt(of('iptables', largest)?.full.ms),
        one_change_ms: opt(of('iptables', largest)?.oneChange.ms),
        nftables_full_sync_ms: opt(of('nftables', largest)?.full.ms),
        nftables_one_change_ms: opt(of('nftables', largest)?.oneChange.ms),
        ratio_nftables_iptables_full_sync: bySize[bySize.length - 1]?.full ?? null,
        ratio_nftables_iptables_one_change: bySize[bySize.length - 1]?.change ?? null,
        restore_1k_ms: ipt1k ? r1(ipt1k.fullRestoreMs) : null,
        per_rule_1k_ms: perRule ? Number(perRule.ms.toFixed(0)) : null,
        per_rule_1k_extrapolated: perRule?.extrapolated ?? null,
        per_rule_1k_execs_done: perRule?.done ?? null,
        per_rule_1k_execs: perRule?.commands ?? null,
        ratio_per_rule_full_sync_1k: baselineRatio ?? null,
        load_average: Number(os.loadavg()[0]!.toFixed(1)),
        ...perSize,
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
