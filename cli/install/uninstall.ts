// `kubets uninstall` (k3s-uninstall.sh, kubeadm reset): stops the units, removes the pods through the CRI (so CNI
// takes their network down), kube-proxy's and the pod network's rules, links and routes, unmounts what lives under
// the data directory, deletes every file and link the install made, and puts containerd back as it was. Debian
// packages the install added stay (they are Debian's; the report names them). Safe to run any number of times.
// Everything it needs is imported up front: it deletes the program it runs from.
import fs from 'node:fs';
import path from 'node:path';
import { archiveRefs } from '../../agent/containerd/import.js';
import { CriClient } from '../../agent/kubelet/cri/client.js';
import { CNI_BRIDGE, CNI_CONFLIST_FILE } from '../../agent/network/cni.js';
import { VXLAN_DEVICE } from '../../agent/network/vxlan.js';
import { MASQ_CHAIN } from '../../agent/network/masquerade.js';
import { KUBETS_ROUTE_PROTOCOL } from '../../agent/network/routes.js';
import { cleanupAllModes } from '../../agent/proxy/cleanup.js';
import type { Exec } from '../../agent/proxy/types.js';
import { InstallError } from './errors.js';
import { Systemd, type Host } from './host.js';
import { AGENT_UNIT, CONTAINERD_UNIT, hostPath, NODE_SHUTDOWN_UNIT, SERVER_UNIT, type Layout } from './layout.js';
import type { Component } from './prereqs.js';
import { wrapperScript } from './product.js';
import { readRecord, writeRecord, type InstallRecord } from './record.js';

export interface UninstallReport {
  removed: string[];
  /** What stays on purpose (Debian packages), with how to remove it. */
  notes: string[];
}

/** Chains of the pod network and kube-proxy, in every iptables table: what uninstall takes out. */
const OUR_CHAINS = /^(KUBE-|CNI-|KUBETS-)/;

/**
 * An iptables-save document without our chains: their declarations, their rules, and every rule that jumps to them.
 * Only the tables that had any are returned, each whole, for iptables-restore to replace.
 */
export function withoutOurChains(save: string): string {
  const out: string[] = [];
  let table: string[] = [];
  let touched = false;
  const jumpsToOurs = (line: string) => /\s-[jg]\s+(\S+)/.exec(line)?.[1]?.match(OUR_CHAINS);
  for (const line of save.split('\n')) {
    if (line.startsWith('*')) {
      table = [line];
      touched = false;
    } else if (line === 'COMMIT') {
      if (touched) out.push(...table, 'COMMIT');
    } else if (line.startsWith(':') && OUR_CHAINS.test(line.slice(1))) touched = true;
    else if (line.startsWith('-A ') && (OUR_CHAINS.test(line.slice(3)) || jumpsToOurs(line))) touched = true;
    else if (table.length && !line.startsWith('#') && line) table.push(line);
  }
  return out.length ? out.join('\n') + '\n' : '';
}

function exists(p: string): boolean {
  try {
    fs.lstatSync(p);
    return true;
  } catch {
    return false;
  }
}

/** Mount points at or below `dir`, deepest first. */
function mountsUnder(dir: string): string[] {
  const root = path.resolve(dir);
  let text = '';
  try {
    text = fs.readFileSync('/proc/self/mountinfo', 'utf8');
  } catch {
    return [];
  }
  const points = text
    .split('\n')
    .filter(Boolean)
    .map((l) => (l.split(' ')[4] ?? '').replace(/\\([0-7]{3})/g, (_, o: string) => String.fromCharCode(parseInt(o, 8))))
    .filter((p) => p === root || p.startsWith(root + '/'));
  return [...new Set(points)].sort((a, b) => b.length - a.length);
}

class Remover {
  readonly removed: string[] = [];
  readonly left: string[] = [];
  constructor(
    readonly host: Host,
    readonly l: Layout,
    readonly quiet: boolean,
  ) {}

  note(what: string): void {
    this.removed.push(what);
    if (!this.quiet) this.host.say(`[uninstall] ${what}`);
  }

  async attempt(what: string, fn: () => Promise<unknown> | unknown): Promise<void> {
    try {
      await fn();
    } catch (e) {
      this.left.push(`${what}: ${(e as Error).message.split('\n')[0]}`);
    }
  }

  rm(p: string): void {
    if (!exists(p)) return;
    const still = mountsUnder(p);
    if (still.length) {
      this.left.push(`${hostPath(this.l, p)}: still mounted below it (${still.join(', ')})`);
      return;
    }
    try {
      fs.rmSync(p, { recursive: true, force: true });
      this.note(`removed ${hostPath(this.l, p)}`);
    } catch (e) {
      this.left.push(`${hostPath(this.l, p)}: ${(e as Error).message}`);
    }
  }

  /** Removes a directory only if it is empty (something else may have put files there since). */
  rmdirIfEmpty(p: string): void {
    try {
      if (fs.readdirSync(p).length === 0) {
        fs.rmdirSync(p);
        this.note(`removed ${hostPath(this.l, p)}`);
      }
    } catch {
      /* gone, or in use by something else */
    }
  }
}

async function stopUnit(r: Remover, sd: Systemd, unit: string, file: string): Promise<void> {
  if (!exists(file)) return;
  await r.attempt(`stop ${unit}`, async () => {
    await sd.stop(unit).catch(() => undefined);
    await sd.disable(unit).catch(() => undefined);
    r.note(`stopped and disabled ${unit}`);
  });
}

/** Every pod sandbox in containerd, stopped and removed (CNI DEL tears its network down), then our images. */
async function removePods(r: Remover, images: string[]): Promise<void> {
  if (!exists(r.l.containerdSocket)) return;
  let cri: CriClient | undefined;
  try {
    cri = await CriClient.connect(r.l.containerdSocket, { timeoutMs: 10_000 });
  } catch {
    return; // containerd is not running: nothing of ours runs in it
  }
  try {
    const { items } = await cri.listPodSandbox({});
    for (const s of items) {
      await r.attempt(`pod sandbox ${s.id}`, async () => {
        await cri!.stopPodSandbox({ pod_sandbox_id: s.id });
        await cri!.removePodSandbox({ pod_sandbox_id: s.id });
      });
    }
    if (items.length) r.note(`removed ${items.length} pod sandbox(es) and their containers`);
    const names: string[] = [];
    for (const file of images) names.push(...(await archiveRefs(file).catch(() => [])).map((ref) => ref.name));
    for (const name of names) await cri.removeImage({ image: { image: name } }).catch(() => undefined);
    if (names.length) r.note(`removed images ${names.join(', ')}`);
  } catch (e) {
    r.left.push(`pods: ${(e as Error).message}`);
  } finally {
    cri.close();
  }
}

/** kube-proxy's rules (every mode), the pod network's masquerade and CNI chains, cni0, the VXLAN device, and the host-gw routes. */
async function removeNetwork(r: Remover): Promise<void> {
  const exec: Exec = async (file, args, opts) => {
    try {
      return { exitCode: 0, stdout: await r.host.run(file, args, { input: opts?.input }), stderr: '' };
    } catch (e) {
      return { exitCode: 1, stdout: '', stderr: (e as Error).message };
    }
  };
  if (r.host.which('iptables-save')) {
    await r.attempt('kube-proxy rules', async () => {
      await cleanupAllModes(exec);
    });
    await r.attempt('iptables chains', async () => {
      const rest = withoutOurChains(await r.host.run('iptables-save', []));
      if (rest) {
        await r.host.run('iptables-restore', ['-w', '5'], { input: rest });
        r.note(`removed the KUBE-*, CNI-* and ${MASQ_CHAIN} iptables chains`);
      }
    });
  }
  if (r.host.which('ip')) {
    // Deleting the VXLAN device removes its routes, neighbour and FDB entries with it.
    for (const link of [CNI_BRIDGE, VXLAN_DEVICE, 'kube-ipvs0']) {
      const there = await r.host.run('ip', ['link', 'show', 'dev', link]).then(() => true, () => false);
      if (there) await r.attempt(`link ${link}`, async () => (await r.host.run('ip', ['link', 'delete', link]), r.note(`removed link ${link}`)));
    }
    const routes = await r.host.run('ip', ['-4', 'route', 'show', 'proto', String(KUBETS_ROUTE_PROTOCOL)]).catch(() => '');
    if (routes.trim()) await r.attempt('routes', async () => (await r.host.run('ip', ['-4', 'route', 'flush', 'proto', String(KUBETS_ROUTE_PROTOCOL)]), r.note('removed the routes to other nodes\' pod networks')));
  }
}

async function unmountUnder(r: Remover, dir: string): Promise<void> {
  for (const m of mountsUnder(dir)) await r.attempt(`unmount ${m}`, async () => (await r.host.run('umount', [m]).catch(() => r.host.run('umount', ['-l', m])), r.note(`unmounted ${m}`)));
}

/** containerd back as it was found: our drop-in and config gone; disabled and stopped if the install brought it. */
async function restoreContainerd(r: Remover, sd: Systemd, record: InstallRecord | undefined): Promise<void> {
  const hadOurs = exists(r.l.units.containerdDropIn) || exists(r.l.containerdConfig);
  r.rm(r.l.units.containerdDropIn);
  r.rmdirIfEmpty(path.dirname(r.l.units.containerdDropIn));
  r.rm(r.l.containerdConfig);
  if (!hadOurs) return;
  await sd.daemonReload().catch(() => undefined);
  const before = record?.containerd;
  if (!before?.unitExisted || !before.active) {
    await sd.stop(CONTAINERD_UNIT).catch(() => undefined);
    r.note('stopped containerd');
  } else {
    await r.attempt('restart containerd', async () => (await sd.start(CONTAINERD_UNIT, true), r.note('restarted containerd with its own configuration')));
  }
  if (!before?.unitExisted || !before.enabled) await sd.disable(CONTAINERD_UNIT).catch(() => undefined);
}

/** Processes still running from the installed program (other than this one), ended by PID. */
function killProgramProcesses(r: Remover): void {
  const node = r.l.node;
  for (const entry of fs.readdirSync('/proc')) {
    if (!/^\d+$/.test(entry) || Number(entry) === process.pid) continue;
    let exe = '';
    try {
      exe = fs.readlinkSync(`/proc/${entry}/exe`).replace(/ \(deleted\)$/, '');
    } catch {
      continue;
    }
    if (exe !== node) continue;
    try {
      process.kill(Number(entry), 'SIGKILL');
      r.note(`ended process ${entry} (${exe})`);
    } catch {
      /* gone */
    }
  }
}

/** Removes the given components (and, with the last one, the program itself). */
export async function uninstallComponents(host: Host, l: Layout, components: Component[], o: { quiet?: boolean } = {}): Promise<UninstallReport> {
  const r = new Remover(host, l, o.quiet ?? false);
  const sd = new Systemd(host);
  const record = readRecord(l.record);

  if (components.includes('agent')) {
    await stopUnit(r, sd, AGENT_UNIT, l.units.agent);
    // Stopping it stops the pods gracefully; whatever is left goes below.
    await stopUnit(r, sd, NODE_SHUTDOWN_UNIT, l.units.nodeShutdown);
    const images = exists(l.images) ? fs.readdirSync(l.images).filter((f) => f.endsWith('.tar')).map((f) => path.join(l.images, f)) : [];
    await removePods(r, images);
    await removeNetwork(r);
    await restoreContainerd(r, sd, record);
    await unmountUnder(r, l.agentData);
    r.rm(l.units.agent);
    r.rm(l.units.nodeShutdown);
    r.rm(l.agentConfig);
    r.rm(path.join(l.cniConfDir, CNI_CONFLIST_FILE));
    if (isSymlinkTo(l.podLogs, path.join(hostPath(l, l.agentData), 'pods'))) r.rm(l.podLogs);
    r.rm(l.agentData);
  }
  if (components.includes('server')) {
    await stopUnit(r, sd, SERVER_UNIT, l.units.server);
    r.rm(l.units.server);
    r.rm(l.serverConfig);
    r.rm(l.adminKubeconfig);
    await unmountUnder(r, l.serverData);
    r.rm(l.serverData);
  }

  const remaining = (record?.components ?? []).filter((c) => !components.includes(c));
  if (remaining.length && record) {
    writeRecord(l.record, { ...record, components: remaining });
  } else {
    // The last component: the program, the command, and what the install created.
    killProgramProcesses(r);
    const aside = record?.replacedWrapper ? path.join(l.root, record.replacedWrapper) : undefined;
    if (readText(l.wrapper) === wrapperScript(l)) r.rm(l.wrapper);
    if (aside && exists(aside)) {
      fs.renameSync(aside, l.wrapper);
      r.note(`put back the ${hostPath(l, l.wrapper)} that was there before`);
    }
    r.rm(l.opt);
    r.rm(l.etc);
    for (const p of [...(record?.created ?? [])].reverse()) {
      const full = path.join(l.root, p);
      // What holds data of ours throughout (libcni's cache, a master's /etc/kubernetes and etcd's data) goes whole.
      if (full === l.cniCache || full === l.kubernetesEtc || full === l.etcdData) r.rm(full);
      else r.rmdirIfEmpty(full);
    }
    r.rm(l.varLib);
  }
  await sd.daemonReload().catch(() => undefined);

  if (r.left.length) throw new InstallError('UNINSTALL_INCOMPLETE', `kubets uninstall could not remove everything: ${r.left.join('; ')}`);
  const notes = !remaining.length && record?.packages.length ? [`Debian packages installed for kubets were kept: ${record.packages.join(' ')} (remove them with apt-get purge if nothing else needs them)`] : [];
  return { removed: r.removed, notes };
}

function readText(p: string): string | undefined {
  try {
    return fs.readFileSync(p, 'utf8');
  } catch {
    return undefined;
  }
}

function isSymlinkTo(p: string, target: string): boolean {
  try {
    return fs.lstatSync(p).isSymbolicLink() && fs.readlinkSync(p) === target;
  } catch {
    return false;
  }
}

/** `kubets uninstall`: every installed component (those on record, else whatever units are there). */
export async function uninstall(host: Host, l: Layout): Promise<UninstallReport> {
  if (!host.isRoot()) throw new InstallError('INSTALL_NOT_ROOT', 'kubets uninstall needs root: run it with sudo');
  const record = readRecord(l.record);
  const components: Component[] = record?.components.length ? [...record.components].reverse() : [];
  if (!components.length) {
    if (exists(l.units.agent) || exists(l.agentConfig) || exists(l.agentData)) components.push('agent');
    if (exists(l.units.server) || exists(l.serverConfig) || exists(l.serverData)) components.push('server');
  }
  if (!components.includes('agent') && (exists(l.units.containerdDropIn) || exists(l.containerdConfig))) components.push('agent');
  return uninstallComponents(host, l, components);
}
