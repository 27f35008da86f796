// kube-proxy's IPVS mode's sync cost (sync_proxy_rules_duration_seconds) beside its iptables mode's, on one kernel
// that has IPVS: this host's kernel has no ip_vs, so the bench boots the test VM (test/fixtures/vm.ts: Debian's kernel
// under qemu, the host's root over 9p) in a scratch network namespace it makes, and inside the VM runs itself once
// per mode and size (`--guest`), each run a fresh network namespace of the VM's holding the process, so the IPVS
// proxier's generic netlink and rtnetlink sockets and every proxier's commands (ipset restore, iptables-restore, nft)
// program that namespace. For 1k / 5k ClusterIP Services × 10 endpoints (bench/proxy-services.ts): the full sync and a
// one-Service change (one endpoint added; the median of a few), each split into generation (JavaScript) and apply
// (commands and netlink requests), and for IPVS where the apply goes (requests per kind, ipset lines). qemu runs
// without KVM here (TCG), which inflates every absolute time: the ratio ipvs / iptables, on one kernel in one run, is
// the figure. Prints figures; asserts nothing. The VM is always closed (qemu killed, tap and namespace removed).
// Run as root: node dist/bench/proxy-vm.js [--sizes 1000,5000] [--modes ipvs,iptables] [--endpoints 10] [--changes 3]
// [--memory 3072] [--json]. --modes may add nftables (slow under TCG at 5k and more).
import { randomBytes } from 'node:crypto';
import os from 'node:os';
import { fileURLToPath } from 'node:url';
import { createGenericNetlink, createRtNetlink } from 'netlink';
import type { BaseProxier } from '../agent/proxy/base.js';
import { hostExec } from '../agent/proxy/exec.js';
import { IptablesProxier } from '../agent/proxy/iptables/proxier.js';
import { RtLinks } from '../agent/proxy/ipvs/dummy.js';
import { Cmd, GenlIpvs } from '../agent/proxy/ipvs/netlink.js';
import { IpvsProxier } from '../agent/proxy/ipvs/proxier.js';
import { NftablesProxier } from '../agent/proxy/nftables/proxier.js';
import type { Exec } from '../agent/proxy/types.js';
import { bootVm, debianKernel, type Vm } from '../test/fixtures/vm.js';
import { benchSlice, feedProxier } from './proxy-services.js';
import { benchArgs, printTable, skip } from './timing.js';
import { commandExists } from './tools.js';

const { values } = benchArgs({
  options: {
    sizes: { type: 'string', default: '1000,5000' },
    modes: { type: 'string', default: 'ipvs,iptables' },
    endpoints: { type: 'string', default: '10' },
    changes: { type: 'string', default: '3' },
    memory: { type: 'string', default: '3072' },
    json: { type: 'boolean', default: false },
    // The half that runs inside the VM: one mode, one size; its figures as JSON on its last line.
    guest: { type: 'string' },
    size: { type: 'string' },
  },
});
const ENDPOINTS = Number(values.endpoints);
const CHANGES = Number(values.changes);
const CLUSTER_CIDR = '10.128.0.0/9';
const SERVICE_CIDR = '10.96.0.0/12';
const MODES = ['ipvs', 'iptables', 'nftables'] as const;
type Mode = (typeof MODES)[number];

// ---- inside the VM: one proxier, its syncs timed, its commands and netlink requests tallied ----

interface Part {
  /** Commands run, or netlink requests sent. */
  n: number;
  ms: number;
  /** Lines of input written to the command (restore documents). */
  lines: number;
}
type Parts = Record<string, Part>;

/** One sync's time, split into the proxier's own work and what it waited for. */
interface SyncTime {
  ms: number;
  /** Building the rules in JavaScript: the sync's time less its commands' and netlink requests'. */
  genMs: number;
  /** Commands and netlink requests, end to end. */
  applyMs: number;
  /** Per command (`ipset restore`, `iptables-restore` …) and per netlink request kind (`genl NEW_DEST` …). */
  parts: Parts;
}

export interface GuestFigures {
  mode: Mode;
  services: number;
  full: SyncTime;
  /** The median one-Service change (by total time), and every change's total. */
  oneChange: SyncTime;
  oneChangeAllMs: number[];
}

class Tally {
  readonly parts: Parts = {};
  add(key: string, ms: number, input?: string): void {
    const p = (this.parts[key] ??= { n: 0, ms: 0, lines: 0 });
    p.n++;
    p.ms += ms;
    if (input) p.lines += input.split('\n').filter((l) => l !== '').length;
  }
  snapshot(): Parts {
    return Object.fromEntries(Object.entries(this.parts).map(([k, p]) => [k, { ...p }]));
  }
  since(before: Parts): Parts {
    const out: Parts = {};
    for (const [k, p] of Object.entries(this.parts)) {
      const b = before[k] ?? { n: 0, ms: 0, lines: 0 };
      if (p.n > b.n) out[k] = { n: p.n - b.n, ms: p.ms - b.ms, lines: p.lines - b.lines };
    }
    return out;
  }
}

/** The socket's request methods, each call timed and counted under `label(method, args)`. */
function tallied<T extends object>(socket: T, label: (method: string, args: unknown[]) => string, tally: Tally): T {
  return new Proxy(socket, {
    get(target, prop) {
      const v = Reflect.get(target, prop, target) as unknown;
      if (typeof v !== 'function') return v;
      return (...args: unknown[]) => {
        const t0 = performance.now();
        const out = (v as (...a: unknown[]) => unknown).apply(target, args);
        if (!(out instanceof Promise)) return out;
        return out.finally(() => tally.add(label(String(prop), args), performance.now() - t0));
      };
    },
  });
}

const genlCommands = new Map<number, string>(Object.entries(Cmd).map(([k, v]) => [v, k]));

function newProxier(mode: Mode, exec: Exec, tally: Tally): BaseProxier {
  const common = { exec, nodeName: 'bench-node', clusterCIDR: CLUSTER_CIDR };
  if (mode === 'iptables') return new IptablesProxier(common);
  if (mode === 'nftables') return new NftablesProxier({ ...common, serviceCIDRs: [SERVICE_CIDR] });
  const genl = tallied(createGenericNetlink(), (m, a) => (m === 'request' ? `genl ${genlCommands.get(a[1] as number) ?? a[1]}` : `genl ${m}`), tally);
  const rtnl = tallied(createRtNetlink(), (m) => `rtnetlink ${m}`, tally);
  return new IpvsProxier({ ...common, ipvs: new GenlIpvs(genl), links: new RtLinks(rtnl) });
}

/** Full sync of `size` Services, then CHANGES one-Service changes, each in a sync of its own. */
async function guest(mode: Mode, size: number): Promise<GuestFigures> {
  const tally = new Tally();
  const exec: Exec = async (file, args, opts) => {
    const t0 = performance.now();
    try {
      return await hostExec(file, args, opts);
    } finally {
      tally.add(file === 'ipset' ? `ipset ${args[0]}` : file, performance.now() - t0, opts?.input);
    }
  };
  const timed = async (sync: () => Promise<void>): Promise<SyncTime> => {
    const before = tally.snapshot();
    const t0 = performance.now();
    await sync();
    const ms = performance.now() - t0;
    const parts = tally.since(before);
    const applyMs = Object.values(parts).reduce((s, p) => s + p.ms, 0);
    return { ms, genMs: ms - applyMs, applyMs, parts };
  };
  const proxier = newProxier(mode, exec, tally);
  try {
    const slices = Array.from({ length: size }, (_, i) => benchSlice(i, ENDPOINTS, ENDPOINTS));
    feedProxier(proxier, size, slices);
    const full = await timed(() => proxier.syncProxyRules());
    const changes: SyncTime[] = [];
    for (let c = 0; c < CHANGES; c++) {
      const i = Math.floor(size / 2) + c;
      const grown = benchSlice(i, ENDPOINTS + 1, ENDPOINTS);
      proxier.onEndpointSliceUpdate(slices[i]!, grown);
      slices[i] = grown;
      changes.push(await timed(() => proxier.syncProxyRules()));
    }
    const byTime = [...changes].sort((a, b) => a.ms - b.ms);
    return { mode, services: size, full, oneChange: byTime[Math.floor((byTime.length - 1) / 2)]!, oneChangeAllMs: changes.map((c) => c.ms) };
  } finally {
    await proxier.close();
  }
}

// ---- on the host: the VM, in a scratch namespace, removed after, also on failure or ^C ----

const self = fileURLToPath(import.meta.url);
let vm: Vm | undefined;
let hostNetns: string | undefined;
/** Aborted on the way out: closes the VM even while it boots. */
const stop = new AbortController();
let booting: Promise<Vm> | undefined;

async function cleanUp(): Promise<void> {
  stop.abort();
  await booting?.then((v) => v.close(), () => undefined);
  if (hostNetns) await hostExec('ip', ['netns', 'del', hostNetns]);
  hostNetns = undefined;
}

async function sh(file: string, args: string[]): Promise<void> {
  const r = await hostExec(file, args);
  if (r.exitCode !== 0) throw new Error(`${file} ${args.join(' ')}: ${r.stderr.trim()}`);
}

/** One guest run: a fresh namespace of the VM's, the guest process inside it, the namespace removed after. */
async function runInVm(mode: Mode, size: number): Promise<GuestFigures> {
  const ns = `kt-pxb-${mode}-${size}`;
  const cmd = `${process.execPath} ${self} --guest ${mode} --size ${size} --endpoints ${ENDPOINTS} --changes ${CHANGES}`;
  const r = await vm!.run(`ip netns add ${ns} && ip -n ${ns} link set lo up && ip netns exec ${ns} ${cmd}; rc=$?; ip netns del ${ns}; exit $rc`);
  if (r.code !== 0) throw new Error(`${mode} ${size} in the VM: exit ${r.code}: ${(r.stderr || r.stdout).trim().slice(-3000)}`);
  const last = r.stdout.trim().split('\n').pop()!;
  return JSON.parse(last) as GuestFigures;
}

const ms = (n: number) => n.toFixed(n < 100 ? 1 : 0);
const sum = (parts: Parts, pick: (k: string) => boolean, field: 'n' | 'ms' | 'lines') => Object.entries(parts).filter(([k]) => pick(k)).reduce((s, [, p]) => s + p[field], 0);
const isNetlink = (k: string) => k.startsWith('genl ') || k.startsWith('rtnetlink ');

/** What the sync wrote, in a few words: rules for iptables/nftables; virtual and real servers, ipset lines for IPVS. */
function written(f: GuestFigures, t: SyncTime): string {
  const p = t.parts;
  if (f.mode === 'ipvs') return `${p['genl NEW_SERVICE']?.n ?? 0} VS, ${p['genl NEW_DEST']?.n ?? 0} RS, ipset ${p['ipset restore']?.lines ?? 0} lines`;
  if (f.mode === 'iptables') return `restore ${p['iptables-restore']?.lines ?? 0} lines`;
  return `nft ${p['nft']?.lines ?? 0} lines`;
}

async function host(): Promise<void> {
  const json = values.json;
  if (process.getuid?.() !== 0) skip('the IPVS VM bench makes network namespaces and boots qemu: run it as root', json);
  const modes = values.modes.split(',') as Mode[];
  for (const m of modes) if (!MODES.includes(m)) throw new Error(`unknown mode ${m}: ${MODES.join(', ')}`);
  const sizes = values.sizes.split(',').map(Number);
  const tools = ['ip', 'qemu-system-x86_64', 'xz', 'busybox', ...(modes.includes('ipvs') ? ['ipset'] : []), ...(modes.includes('iptables') ? ['iptables-restore'] : []), ...(modes.includes('nftables') ? ['nft'] : [])];
  for (const tool of tools) if (!(await commandExists(tool))) skip(`no ${tool} on PATH`, json);
  const kernel = debianKernel();
  if (!kernel) skip('no Debian kernel (linux-image-amd64) to boot', json);

  const load0 = os.loadavg()[0]!;
  hostNetns = `kt-pxvm-${randomBytes(3).toString('hex')}`;
  await sh('ip', ['netns', 'add', hostNetns]);
  const inNs = (args: string[]) => sh('ip', ['netns', 'exec', hostNetns!, ...args]);
  await inNs(['ip', 'link', 'add', 'br0', 'type', 'bridge']);
  await inNs(['ip', 'addr', 'add', '192.168.79.1/24', 'dev', 'br0']);
  await inNs(['ip', 'link', 'set', 'br0', 'up']);
  booting = bootVm({ netns: hostNetns, bridge: 'br0', ip: '192.168.79.2', prefix: 24, gateway: '192.168.79.1', memoryMb: Number(values.memory), bootTimeoutMs: 300_000, signal: stop.signal });
  vm = await booting;
  // The proxiers assume their modules are there, as kube-proxy's start-up checks (agent/proxy/modes.ts) make sure.
  await vm.sh('modprobe -a ip_vs ip_vs_rr dummy');
  console.log(
    `proxy bench in a VM (kernel ${kernel!.release}, qemu TCG, 1 vCPU, ${values.memory} MB; booted in ${vm.bootMs} ms): ClusterIP Services × ${ENDPOINTS} endpoints, fresh network namespace per run, one-Service change = one endpoint added (median of ${CHANGES}); host ${os.cpus().length} CPUs, load ${load0.toFixed(1)}`,
  );

  const figures: GuestFigures[] = [];
  const t0 = Date.now();
  for (const size of sizes) {
    for (const mode of modes) {
      const f = await runInVm(mode, size);
      console.error(`${mode} ${size}: full sync ${f.full.ms.toFixed(0)} ms, one change ${f.oneChangeAllMs.map((m) => m.toFixed(0)).join('/')} ms (${((Date.now() - t0) / 1000).toFixed(0)} s in)`);
      figures.push(f);
    }
  }
  const runSeconds = (Date.now() - t0) / 1000;
  await cleanUp();
  const load1 = os.loadavg()[0]!;

  printTable(
    ['mode', 'services', 'full sync ms', 'generate', 'apply', 'one-change ms', 'generate', 'apply', 'full sync wrote'],
    figures.map((f) => [f.mode, String(f.services), ms(f.full.ms), ms(f.full.genMs), ms(f.full.applyMs), ms(f.oneChange.ms), ms(f.oneChange.genMs), ms(f.oneChange.applyMs), written(f, f.full)]),
    1,
  );

  const ratio = (a: number, b: number) => Number((a / b).toFixed(2));
  const of = (mode: Mode, size: number) => figures.find((f) => f.mode === mode && f.services === size);
  const ratios: { name: string; size: number; full: number; change: number }[] = [];
  for (const [a, b] of [['ipvs', 'iptables'], ['nftables', 'iptables']] as const) {
    for (const size of sizes) {
      const [x, y] = [of(a, size), of(b, size)];
      if (x && y) ratios.push({ name: `${a}_${b}`, size, full: ratio(x.full.ms, y.full.ms), change: ratio(x.oneChange.ms, y.oneChange.ms) });
    }
  }
  if (ratios.length > 0) {
    console.log('');
    printTable(['ratio', 'services', 'full sync', 'one change'], ratios.map((r) => [r.name.replace('_', '/'), String(r.size), `${r.full}×`, `${r.change}×`]), 1);
  }

  // Where an IPVS sync's apply goes: per command and per netlink request kind.
  for (const f of figures.filter((f) => f.mode === 'ipvs')) {
    for (const [what, t] of [['full sync', f.full], ['one change', f.oneChange]] as const) {
      console.log(`\nipvs ${f.services} Services, ${what}: ${ms(t.ms)} ms = generate ${ms(t.genMs)} + apply ${ms(t.applyMs)} (netlink ${sum(t.parts, isNetlink, 'n')} requests, ${ms(sum(t.parts, isNetlink, 'ms'))} ms)`);
      const rows = Object.entries(t.parts).sort(([, a], [, b]) => b.ms - a.ms).map(([k, p]) => [k, String(p.n), ms(p.ms), p.lines ? String(p.lines) : '-']);
      printTable(['  request / command', 'count', 'ms', 'input lines'], rows, 1);
    }
  }
  console.log(`\n${runSeconds.toFixed(0)} s of syncing in the VM; host load ${load0.toFixed(1)} at the start, ${load1.toFixed(1)} at the end`);

  if (json) {
    const r1 = (n: number) => Number(n.toFixed(1));
    const out: Record<string, number | string> = { endpoints_per_service: ENDPOINTS, kernel: kernel!.release, vm_boot_ms: vm.bootMs, run_s: Math.round(runSeconds), load_average: Number(load0.toFixed(1)), load_average_end: Number(load1.toFixed(1)) };
    for (const f of figures) {
      const [m, s] = [f.mode, f.services];
      out[`${m}_full_sync_ms_${s}`] = r1(f.full.ms);
      out[`${m}_full_generate_ms_${s}`] = r1(f.full.genMs);
      out[`${m}_full_apply_ms_${s}`] = r1(f.full.applyMs);
      out[`${m}_one_change_ms_${s}`] = r1(f.oneChange.ms);
      out[`${m}_one_change_generate_ms_${s}`] = r1(f.oneChange.genMs);
      out[`${m}_one_change_apply_ms_${s}`] = r1(f.oneChange.applyMs);
      if (m === 'ipvs') {
        for (const [phase, t] of [['full', f.full], ['one_change', f.oneChange]] as const) {
          out[`ipvs_${phase}_netlink_requests_${s}`] = sum(t.parts, isNetlink, 'n');
          out[`ipvs_${phase}_netlink_ms_${s}`] = r1(sum(t.parts, isNetlink, 'ms'));
          out[`ipvs_${phase}_ipset_restore_lines_${s}`] = t.parts['ipset restore']?.lines ?? 0;
          out[`ipvs_${phase}_ipset_restore_ms_${s}`] = r1(t.parts['ipset restore']?.ms ?? 0);
          out[`ipvs_${phase}_iptables_ms_${s}`] = r1(sum(t.parts, (k) => k.startsWith('iptables'), 'ms'));
        }
      }
    }
    for (const r of ratios) {
      out[`ratio_${r.name}_full_${r.size}`] = r.full;
      out[`ratio_${r.name}_one_change_${r.size}`] = r.change;
    }
    console.log(JSON.stringify(out));
  }
}

if (values.guest) {
  const mode = values.guest as Mode;
  if (!MODES.includes(mode)) throw new Error(`unknown mode ${mode}`);
  guest(mode, Number(values.size)).then(
    (f) => {
      console.log(JSON.stringify(f));
      process.exit(0);
    },
    (e) => {
      process.stderr.write(`bench/proxy-vm (guest): ${(e as Error).stack}\n`);
      process.exit(1);
    },
  );
} else {
  // `on`, not `once`: while a listener of ours is there, execa's exit hook doesn't re-raise the signal before the
  // clean-up is done.
  for (const signal of ['SIGINT', 'SIGTERM'] as const) process.on(signal, () => void cleanUp().finally(() => process.exit(130)));
  host().then(
    () => process.exit(0),
    async (e) => {
      process.stderr.write(`bench/proxy-vm: ${(e as Error).stack}\n`);
      await cleanUp().catch(() => undefined);
      process.exit(1);
    },
  );
}
