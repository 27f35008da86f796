// `kubets install server|agent`, `kubets init`, `kubets join` (kubeadm init/join, k3s's install.sh): one linear
// sequence per command — check everything that can be checked (flags, an existing install, the join credentials),
// then prerequisites, the program, config files, units, and start — each step named in the progress it prints.
// Running it again with the same settings changes nothing; other settings stop it with one line. A failure after
// the host was changed removes what this run made.
import dns from 'node:dns/promises';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { parse as parseYaml } from 'yaml';
import { createToken, joinCommand, parseTTL } from '../../api/bootstraptoken.js';
import { ApiClient, loadKubeconfig } from '../../api/client.js';
import { Resources } from '../../api/resources.js';
import type { JoinConfig } from '../../agent/bootstrap.js';
import { renderContainerdConfig, systemContainerdPaths } from '../../agent/containerd/config.js';
import { archiveRefs } from '../../agent/containerd/import.js';
import { agentDefaults } from '../../agent/config.js';
import { renderConfig, type FlagValues, type Options } from '../configfile.js';
import { InstallError } from './errors.js';
import { Systemd, type Host } from './host.js';
import { AGENT_UNIT, CONTAINERD_UNIT, hostPath, NODE_SHUTDOWN_UNIT, SERVER_UNIT, type Layout } from './layout.js';
import { checkSystemd, installRequirements, requirementsFor, type Component } from './prereqs.js';
import { checkSource, installProduct, productImages, wrapperScript, type ProductSource } from './product.js';
import { emptyRecord, readRecord, writeRecord, type InstallRecord } from './record.js';
import { uninstallComponents } from './uninstall.js';
import { installAddons } from '../../addons/index.js';
import type { ProxyMode } from '../../agent/proxy/modes.js';
import type { PodNetworkMode } from '../../api/podnetwork.js';
import { writeControlPlane } from '../../control-plane/staticpods.js';

export interface InstallDeps {
  host: Host;
  layout: Layout;
  source: ProductSource;
  /** The flags each component's own command declares (config files use the same keys). */
  options: Record<Component, Options>;
  /** Checks values the way `kubets server|agent` would, without starting anything; throws the command's usage error. */
  validate(component: Component, values: FlagValues): Promise<void>;
  /** Verifies the join credentials against the server (discovery), returning the cluster CA. */
  discover(join: JoinConfig): Promise<string>;
  /** Whether the cluster runs kube-proxy as a DaemonSet (its kube-proxy ConfigMap, readable with the join token). */
  kubeProxyDaemonSet?(join: JoinConfig, ca: string): Promise<boolean>;
  /** Builds the image archives into a directory, for a source that has none yet. */
  buildImages(dir: string): Promise<unknown>;
}

export const CONTROL_PLANE_TAINT = 'node-role.kubernetes.io/control-plane:NoSchedule';
const CONTROL_PLANE_LABEL = 'node-role.kubernetes.io/control-plane';
/** Flags that make no sense for an installed component. */
const NOT_FOR_INSTALL: Record<Component, string[]> = { server: ['config'], agent: ['config', 'run-containerd'] };
/** Agent settings used only to join: once the node has its kubeconfig, new values for them change nothing. */
const JOIN_ONLY = ['token', 'discovery-token-ca-cert-hash', 'disable-proxy'];

const say = (d: InstallDeps, step: string, msg: string) => d.host.say(`[${step}] ${msg}`);

// ---- config files ----

export function serverValues(l: Layout, flags: FlagValues): FlagValues {
  return { 'data-dir': hostPath(l, l.serverData), ...flags };
}

export function agentValues(l: Layout, flags: FlagValues): FlagValues {
  return {
    'data-dir': hostPath(l, l.agentData),
    'containerd-socket': hostPath(l, l.containerdSocket),
    'images-dir': hostPath(l, l.images),
    'cni-conf-dir': hostPath(l, l.cniConfDir),
    // The kubelet's cgroupfs-driver parent for pods.
    'cgroup-parent': '/kubepods',
    ...flags,
  };
}

function configHeader(component: Component): string[] {
  return [`kubets ${component} settings: keys are \`kubets ${component}\` flags (see \`kubets ${component} --help\`).`, `Read by ${component === 'server' ? SERVER_UNIT : AGENT_UNIT} (kubets ${component} --config); flags on its command line override them.`, 'Written by `kubets install`; edit and `systemctl restart` the unit to change a setting.'];
}

const show = (v: unknown) => (Array.isArray(v) ? v.join(',') : v === undefined ? '(unset)' : String(v));

/**
 * The values to write, checked against an existing file: the same → unchanged; join-only differences on a node that
 * has joined → the existing values stay; any other difference → the one-line conflict error.
 */
function reconcile(component: Component, file: string, options: Options, desired: FlagValues, joined: boolean): FlagValues {
  if (!fs.existsSync(file)) return desired;
  const current = (parseYaml(fs.readFileSync(file, 'utf8')) ?? {}) as FlagValues;
  const out = { ...desired };
  const diffs: string[] = [];
  for (const key of new Set([...Object.keys(current), ...Object.keys(desired)])) {
    if (!(key in options)) continue;
    if (show(current[key]) === show(desired[key])) continue;
    if (component === 'agent' && joined && JOIN_ONLY.includes(key)) {
      out[key] = current[key];
      continue;
    }
    diffs.push(key === 'token' ? 'token' : `${key} ${show(current[key])} → ${show(desired[key])}`);
  }
  if (diffs.length)
    throw new InstallError('INSTALL_CONFLICT', `kubets ${component} is already installed on this host with other settings (${diffs.join('; ')}): run \`kubets uninstall\` first, or edit ${file} and run \`systemctl restart ${component === 'server' ? SERVER_UNIT : AGENT_UNIT}\``);
  return out;
}

/** Writes a file when its content differs; returns whether it did. */
function writeIfChanged(file: string, content: string, mode = 0o644): boolean {
  try {
    if (fs.readFileSync(file, 'utf8') === content) return false;
  } catch {
    /* new file */
  }
  fs.mkdirSync(path.dirname(file), { recursive: true });
  const tmp = `${file}.kubets-tmp`;
  fs.writeFileSync(tmp, content, { mode });
  fs.chmodSync(tmp, mode);
  fs.renameSync(tmp, file);
  return true;
}

function copyIfChanged(from: string, to: string, mode = 0o644): boolean {
  return writeIfChanged(to, fs.readFileSync(from, 'utf8'), mode);
}

// ---- shared steps ----

async function preflight(d: InstallDeps, component: Component, flags: FlagValues): Promise<void> {
  if (!d.host.isRoot()) throw new InstallError('INSTALL_NOT_ROOT', 'kubets install needs root (it installs packages, files and systemd units): run it with sudo');
  for (const f of NOT_FOR_INSTALL[component]) if (flags[f] !== undefined) throw new InstallError('INSTALL_BAD_INPUT', `--${f} cannot be used with an install: ${f === 'run-containerd' ? 'an installed agent uses the host\'s containerd service' : 'the install writes its own config file'}`);
  checkSystemd(d.host, d.layout);
}

async function validate(d: InstallDeps, component: Component, values: FlagValues): Promise<void> {
  try {
    await d.validate(component, values);
  } catch (e) {
    throw new InstallError('INSTALL_BAD_INPUT', (e as Error).message);
  }
}

/** The installed program and the `kubets` command; returns whether the program changed (an upgrade). */
function installProgram(d: InstallDeps, record: InstallRecord): boolean {
  const l = d.layout;
  const changed = installProduct(d.source, l);
  if (changed) say(d, 'program', `installed under ${hostPath(l, l.opt)} (Node ${process.version})`);
  const script = wrapperScript(l);
  const existing = fs.existsSync(l.wrapper) || isSymlink(l.wrapper) ? readOrUndefined(l.wrapper) : undefined;
  if (existing !== script) {
    if (existing !== undefined && record.replacedWrapper === undefined) {
      // Someone else's `kubets` (a checkout's): kept aside and put back by uninstall.
      const aside = path.join(l.varLib, 'kubets.before-install');
      fs.mkdirSync(l.varLib, { recursive: true });
      fs.renameSync(l.wrapper, aside);
      record.replacedWrapper = hostPath(l, aside);
    }
    writeIfChanged(l.wrapper, script, 0o755);
    say(d, 'program', `${hostPath(l, l.wrapper)} runs it`);
  }
  return changed;
}

function isSymlink(p: string): boolean {
  try {
    return fs.lstatSync(p).isSymbolicLink();
  } catch {
    return false;
  }
}

function readOrUndefined(p: string): string | undefined {
  try {
    return fs.readFileSync(p, 'utf8');
  } catch {
    return isSymlink(p) ? `symlink to ${fs.readlinkSync(p)}` : undefined;
  }
}

/** Remembers a path the install is about to create — with any missing parents — so uninstall removes just those. */
function noteCreated(record: InstallRecord, l: Layout, p: string): void {
  const missing: string[] = [];
  for (let d = p; d !== l.root && d !== path.dirname(d) && !fs.existsSync(d) && !isSymlink(d); d = path.dirname(d)) missing.unshift(hostPath(l, d));
  for (const m of missing) if (!record.created.includes(m)) record.created.push(m);
}

/** Installs (or refreshes) a unit file from the installed program; returns whether it changed. */
function installUnit(d: InstallDeps, unit: string, target: string): boolean {
  return copyIfChanged(path.join(d.layout.opt, 'systemd', unit), target);
}

/** The one line that says why a unit failed to start: the command's own error line, else its last error log. */
export function failureReason(lines: string[], command: string): string {
  for (const line of [...lines].reverse()) if (line.startsWith(`kubets ${command}:`)) return line.slice(`kubets ${command}:`.length).trim();
  for (const line of [...lines].reverse()) {
    try {
      const j = JSON.parse(line) as { level?: number; msg?: string; err?: string };
      if ((j.level ?? 0) >= 50) return [j.msg, j.err].filter(Boolean).join(': ');
    } catch {
      /* not a log record */
    }
  }
  return lines[lines.length - 1] ?? 'no log output';
}

/** Enables a unit and brings it to the running state (restarting it when something it runs changed). */
async function startUnit(d: InstallDeps, unit: string, command: string, changed: boolean): Promise<void> {
  const sd = new Systemd(d.host);
  if (!(await sd.isEnabled(unit))) await sd.enable(unit);
  const active = await sd.isActive(unit);
  if (active && !changed) return;
  say(d, 'start', `${active ? 'restarting' : 'starting'} ${unit}`);
  try {
    await sd.start(unit, active);
  } catch {
    const reason = failureReason(await sd.journal(unit), command);
    throw new InstallError('INSTALL_START_FAILED', `${unit} did not start: ${reason} (see journalctl -u ${unit})`);
  }
}

/** Runs `steps` that change the host; if they fail, removes what a first install of `components` made. */
async function changing<T>(d: InstallDeps, components: Component[], fresh: boolean, steps: () => Promise<T>): Promise<T> {
  try {
    return await steps();
  } catch (e) {
    if (fresh) {
      d.host.say(`[rollback] removing what this install made`);
      await uninstallComponents(d.host, d.layout, components, { quiet: true }).catch((u) => d.host.say(`[rollback] ${(u as Error).message}`));
    }
    throw e;
  }
}

// ---- server ----

export interface ServerInstallResult {
  adminKubeconfig: string;
  url: string;
}

export async function installServer(d: InstallDeps, flags: FlagValues): Promise<ServerInstallResult> {
  const l = d.layout;
  await preflight(d, 'server', flags);
  const values = reconcile('server', l.serverConfig, d.options.server, serverValues(l, flags), false);
  await validate(d, 'server', values);
  checkSource(d.source);
  const record = readRecord(l.record) ?? emptyRecord();
  const fresh = !record.components.includes('server');
  return changing(d, ['server'], fresh, async () => {
    noteCreated(record, l, l.varLib);
    const programChanged = installProgram(d, record);
    const configChanged = writeIfChanged(l.serverConfig, renderConfig(values, d.options.server, configHeader('server')), 0o600);
    if (configChanged) say(d, 'config', `wrote ${hostPath(l, l.serverConfig)}`);
    const unitChanged = installUnit(d, SERVER_UNIT, l.units.server);
    if (unitChanged) await new Systemd(d.host).daemonReload();
    if (!record.components.includes('server')) record.components.push('server');
    writeRecord(l.record, record);
    await startUnit(d, SERVER_UNIT, 'server', programChanged || configChanged || unitChanged);
    const dataKubeconfig = path.join(l.root, String(values['data-dir']), 'admin.kubeconfig');
    if (writeIfChanged(l.adminKubeconfig, fs.readFileSync(dataKubeconfig, 'utf8'), 0o600)) say(d, 'kubeconfig', `admin kubeconfig: ${hostPath(l, l.adminKubeconfig)}`);
    say(d, 'server', `${SERVER_UNIT} is active`);
    return { adminKubeconfig: l.adminKubeconfig, url: loadKubeconfig(l.adminKubeconfig).server };
  });
}

// ---- agent ----

/** The address this host uses to reach `server`: what the node registers as its InternalIP. */
export async function sourceAddressTowards(host: Host, server: string): Promise<string> {
  const hostname = new URL(server).hostname.replace(/^\[|\]$/g, '');
  const ip = /^[\d.]+$/.test(hostname) ? hostname : (await dns.lookup(hostname, { family: 4 })).address;
  const routes = JSON.parse(await host.run('ip', ['-j', 'route', 'get', ip])) as { prefsrc?: string }[];
  const src = routes[0]?.prefsrc;
  if (!src) throw new InstallError('INSTALL_BAD_INPUT', `cannot tell which address this host reaches ${ip} from: pass --node-ip`);
  return src;
}

export function defaultNodeName(): string {
  return os.hostname().split('.')[0].toLowerCase();
}

async function ensureImages(d: InstallDeps): Promise<string[]> {
  let images = productImages(d.source.dir);
  if (images.length) return images;
  const dir = path.join(d.source.dir, 'dist', 'images');
  try {
    await d.buildImages(dir);
  } catch (e) {
    throw new InstallError('INSTALL_PRODUCT', `the pause and busybox image archives are missing from ${dir} and could not be built here (${(e as Error).message.split('\n')[0]}): run ./scripts/setup in ${d.source.dir} first`);
  }
  images = productImages(d.source.dir);
  if (!images.length) throw new InstallError('INSTALL_PRODUCT', `no image archives in ${dir}`);
  return images;
}

export interface AgentInstallResult {
  nodeName: string;
  nodeIP: string;
}

export async function installAgent(d: InstallDeps, flags: FlagValues): Promise<AgentInstallResult> {
  const l = d.layout;
  await preflight(d, 'agent', flags);
  // A node given its kubeconfig (the master's kubeadm kubelet.conf) needs no join credentials.
  const givenKubeconfig = flags.kubeconfig === undefined ? undefined : path.join(l.root, String(flags.kubeconfig));
  const credentialed = !flags.server && givenKubeconfig !== undefined && fs.existsSync(givenKubeconfig);
  if (!credentialed && (!flags.server || !flags.token || !flags['discovery-token-ca-cert-hash']))
    throw new InstallError('INSTALL_BAD_INPUT', 'an agent joins a cluster: pass --server https://IP:6443 --token T --discovery-token-ca-cert-hash sha256:H (the control plane prints them: kubets token create --print-join-command)');
  const server = credentialed ? loadKubeconfig(givenKubeconfig!).server : String(flags.server);
  if (!/^https:\/\/[^/]+$/.test(server.replace(/\/$/, ''))) throw new InstallError('INSTALL_BAD_INPUT', `--server "${server}": want https://HOST:PORT`);
  const given: FlagValues = { ...flags };
  if (flags['discovery-token-ca-cert-hash'] !== undefined) given['discovery-token-ca-cert-hash'] = [flags['discovery-token-ca-cert-hash']].flat() as string[];
  if (given['node-name'] === undefined) given['node-name'] = defaultNodeName();
  if (given['node-ip'] === undefined) given['node-ip'] = await sourceAddressTowards(d.host, server);
  const kubeconfig = path.join(l.root, String(given.kubeconfig ?? path.join(hostPath(l, l.agentData), 'kubelet.kubeconfig')));
  const joined = fs.existsSync(kubeconfig);
  const values = reconcile('agent', l.agentConfig, d.options.agent, agentValues(l, given), joined);
  await validate(d, 'agent', values);

  // The credentials, checked against the server before anything on this host changes.
  if (!joined) {
    d.host.say(`[join] checking the token and the CA hash against ${server}`);
    const join = { server, token: String(values.token), caCertHashes: [values['discovery-token-ca-cert-hash']].flat() as string[] };
    let ca: string;
    try {
      ca = await d.discover(join);
    } catch (e) {
      throw new InstallError('INSTALL_JOIN', (e as Error).message);
    }
    // A kubeadm-shaped cluster (kubets init) runs kube-proxy as a DaemonSet: this node then runs none of its own —
    // unless it was given a mode of its own, which its agent runs (its Node's label keeps the DaemonSet away).
    if (values['disable-proxy'] === undefined && (await d.kubeProxyDaemonSet?.(join, ca))) {
      if (values['proxy-mode'] === undefined) {
        values['disable-proxy'] = true;
        d.host.say('[join] the cluster runs kube-proxy as a DaemonSet: the agent runs none of its own');
      } else {
        d.host.say(`[join] the cluster runs kube-proxy as a DaemonSet; this node runs its own in ${values['proxy-mode']} mode, and the DaemonSet stays off it`);
      }
    }
  }
  checkSource(d.source);
  const images = await ensureImages(d);

  const record = readRecord(l.record) ?? emptyRecord();
  const fresh = !record.components.includes('agent');
  const sd = new Systemd(d.host);
  // How containerd was before kubets touched it, so uninstall can put it back.
  if (!record.containerd) {
    const unitExisted = await sd.exists(CONTAINERD_UNIT);
    record.containerd = { unitExisted, enabled: unitExisted && (await sd.isEnabled(CONTAINERD_UNIT)), active: unitExisted && (await sd.isActive(CONTAINERD_UNIT)) };
  }
  return changing(d, ['agent'], fresh, async () => {
    noteCreated(record, l, l.varLib);
    writeRecord(l.record, record);
    const pkgs = await installRequirements(d.host, l, requirementsFor(['agent']));
    record.packages = [...new Set([...record.packages, ...pkgs])];
    writeRecord(l.record, record);

    const programChanged = installProgram(d, record);
    for (const p of [l.cniConfDir, l.cniCache, l.podLogs]) noteCreated(record, l, p);
    const configChanged = writeIfChanged(l.agentConfig, renderConfig(values, d.options.agent, configHeader('agent')), 0o600);
    if (configChanged) say(d, 'config', `wrote ${hostPath(l, l.agentConfig)}`);

    // containerd: Debian's unit, with the configuration the agent needs.
    const containerdConfig = renderContainerdConfig(
      { dataDir: hostPath(l, l.agentData), containerdSocket: String(values['containerd-socket']), sandboxImage: String(values['sandbox-image'] ?? agentDefaults.sandboxImage), cniBinDir: String(values['cni-bin-dir'] ?? agentDefaults.cniBinDir), cniConfDir: String(values['cni-conf-dir']) },
      { paths: systemContainerdPaths() },
    );
    const containerdChanged = [writeIfChanged(l.containerdConfig, containerdConfig), installUnit(d, 'containerd.service.d/kubets.conf', l.units.containerdDropIn)].some(Boolean);

    fs.mkdirSync(l.images, { recursive: true });
    for (const img of images) copyFileIfChanged(img, path.join(l.images, path.basename(img)));
    fs.mkdirSync(path.join(l.agentData, 'pods'), { recursive: true });
    if (!fs.existsSync(l.podLogs) && !isSymlink(l.podLogs)) {
      fs.mkdirSync(path.dirname(l.podLogs), { recursive: true });
      fs.symlinkSync(path.join(hostPath(l, l.agentData), 'pods'), l.podLogs);
    }
    fs.mkdirSync(l.cniConfDir, { recursive: true });
    const unitChanged = [installUnit(d, AGENT_UNIT, l.units.agent), installUnit(d, NODE_SHUTDOWN_UNIT, l.units.nodeShutdown)].some(Boolean);
    if (!record.components.includes('agent')) record.components.push('agent');
    writeRecord(l.record, record);
    if (unitChanged || containerdChanged) await sd.daemonReload();
    await startUnit(d, CONTAINERD_UNIT, 'containerd', containerdChanged);
    // Never restarted: stopping it stops the pods. A changed definition applies from the reload above.
    await startUnit(d, NODE_SHUTDOWN_UNIT, 'node-shutdown', false);
    await startUnit(d, AGENT_UNIT, 'agent', programChanged || configChanged || unitChanged || containerdChanged);
    say(d, 'agent', `${AGENT_UNIT} is active: node ${values['node-name']} (${values['node-ip']}) is registered`);
    return { nodeName: String(values['node-name']), nodeIP: String(values['node-ip']) };
  });
}

function copyFileIfChanged(from: string, to: string): void {
  try {
    const a = fs.statSync(from);
    const b = fs.statSync(to);
    if (a.size === b.size && a.mtimeMs <= b.mtimeMs) return;
  } catch {
    /* not there yet */
  }
  fs.copyFileSync(from, `${to}.kubets-tmp`);
  fs.renameSync(`${to}.kubets-tmp`, to);
}

// ---- init and join ----

export interface InitResult {
  joinCommand: string;
  adminKubeconfig: string;
}

/** The server flags `kubets init` turns into the static pods' settings; others belong to `kubets install server`. */
const INIT_SERVER_FLAGS = ['advertise-address', 'bind-address', 'port', 'service-cidr', 'cluster-cidr', 'pod-network'];

/**
 * `kubets init` (kubeadm init's phases): the master's certificates, kubeconfigs and static pod manifests under
 * /etc/kubernetes; this host's agent started with kubeadm's kubelet.conf, running them (etcd, kube-apiserver,
 * kube-controller-manager, kube-scheduler) and registering the node with the control-plane taint; the add-ons
 * (kube-proxy DaemonSet, CoreDNS); a bootstrap token; returns the workers' join command.
 */
export async function init(d: InstallDeps, flags: FlagValues, o: { nodeName?: string; nodeIP?: string; proxyMode?: string; token?: string; tokenTTL?: string } = {}): Promise<InitResult> {
  const l = d.layout;
  const other = Object.keys(flags).filter((k) => !INIT_SERVER_FLAGS.includes(k) && flags[k] !== undefined);
  if (other.length) throw new InstallError('INSTALL_BAD_INPUT', `kubets init runs the control plane as static pods and takes only ${INIT_SERVER_FLAGS.map((f) => `--${f}`).join(', ')} of the server flags, not ${other.map((f) => `--${f}`).join(', ')}: use kubets install server for a single-process server with those`);
  const port = Number(flags.port ?? 6443);
  const bind = flags['bind-address'] === undefined ? undefined : String(flags['bind-address']);
  const advertise = String(flags['advertise-address'] ?? (bind && bind !== '0.0.0.0' ? bind : await firstAddress()));
  const nodeName = o.nodeName ?? defaultNodeName();
  const server = `https://${advertise}:${port}`;
  const record = readRecord(l.record) ?? emptyRecord();
  if (record.components.includes('server')) throw new InstallError('INSTALL_CONFLICT', 'this host runs kubets install server (the single-process control plane): run kubets uninstall first');
  const fresh = !record.components.length;
  return changing(d, ['agent'], fresh, async () => {
    // kubeadm's certs, kubeconfig and control-plane phases: kept when there (a second init changes nothing).
    noteCreated(record, l, l.kubernetesEtc);
    noteCreated(record, l, l.etcdData);
    writeRecord(l.record, record);
    const images = await imageNames(d);
    const files = await writeControlPlane(l.kubernetesEtc, {
      nodeName,
      advertiseAddress: advertise,
      port,
      image: images.kubets,
      etcdImage: images.etcd,
      serviceCIDR: flags['service-cidr'] as string | undefined,
      clusterCIDR: flags['cluster-cidr'] as string | undefined,
      podNetwork: flags['pod-network'] as PodNetworkMode | undefined,
      etcdDataDir: hostPath(l, l.etcdData),
    });
    say(d, 'control-plane', `wrote ${hostPath(l, path.join(l.kubernetesEtc, 'manifests'))}: etcd, kube-apiserver, kube-controller-manager, kube-scheduler`);
    // The master's kubelet has kubeadm's kubelet.conf: there is no API server to join through yet. It runs the
    // static pods, and is ready once its Node is registered, so the API answers when this returns.
    const agent = await installAgent(d, {
      kubeconfig: hostPath(l, files.kubeletKubeconfig),
      'node-name': nodeName,
      'node-ip': o.nodeIP ?? advertise,
      'register-with-taints': CONTROL_PLANE_TAINT,
      'disable-proxy': true,
    });
    if (writeIfChanged(l.adminKubeconfig, fs.readFileSync(files.adminKubeconfig, 'utf8'), 0o600)) say(d, 'kubeconfig', `admin kubeconfig: ${hostPath(l, l.adminKubeconfig)}`);
    await labelControlPlane(l.adminKubeconfig, agent.nodeName);
    const client = ApiClient.fromKubeconfig(l.adminKubeconfig, 'kubets-init');
    try {
      await installAddons(client, { image: images.kubets, apiServer: server, mode: (o.proxyMode ?? agentDefaults.proxyMode) as ProxyMode, clusterCIDR: flags['cluster-cidr'] as string | undefined });
    } finally {
      client.close();
    }
    say(d, 'addons', 'applied kube-proxy (DaemonSet) and CoreDNS (coredns Deployment, kube-dns Service)');
    let token = o.token;
    if (!token || !(await tokenValid(l.adminKubeconfig, token))) {
      token = await createToken(l.adminKubeconfig, { ttlSeconds: parseTTL(o.tokenTTL ?? '24h'), description: 'kubets init', token });
      say(d, 'token', 'created a bootstrap token for joining nodes');
    }
    return { joinCommand: joinCommand(l.adminKubeconfig, token), adminKubeconfig: l.adminKubeconfig };
  });
}

/** The names of the kubets and etcd images among the product's image archives (what every node imports). */
async function imageNames(d: InstallDeps): Promise<{ kubets: string; etcd: string }> {
  const names = (await Promise.all((await ensureImages(d)).map(async (f) => (await archiveRefs(f)).map((r) => r.name)))).flat();
  const kubets = names.find((n) => n.startsWith('kubets.local/kubets:'));
  const etcd = names.find((n) => n.startsWith('kubets.local/etcd:'));
  if (!kubets || !etcd) throw new InstallError('INSTALL_PRODUCT', `the product's images lack ${!kubets ? 'kubets.local/kubets' : 'kubets.local/etcd'} (have: ${names.join(', ')}): run ./scripts/setup in ${d.source.dir} first`);
  return { kubets, etcd };
}

async function tokenValid(kubeconfig: string, token: string): Promise<boolean> {
  const client = ApiClient.fromKubeconfig(kubeconfig, 'kubets-init');
  try {
    await client.get(Resources.secrets, 'kube-system', `bootstrap-token-${token.split('.')[0]}`);
    return true;
  } catch {
    return false;
  } finally {
    client.close();
  }
}

async function labelControlPlane(kubeconfig: string, node: string): Promise<void> {
  const client = ApiClient.fromKubeconfig(kubeconfig, 'kubets-init');
  try {
    await client.patch(Resources.nodes, undefined, node, 'merge', { metadata: { labels: { [CONTROL_PLANE_LABEL]: '' } } });
  } finally {
    client.close();
  }
}

async function firstAddress(): Promise<string> {
  for (const addrs of Object.values(os.networkInterfaces())) for (const a of addrs ?? []) if (a.family === 'IPv4' && !a.internal) return a.address;
  throw new InstallError('INSTALL_BAD_INPUT', 'this host has no non-loopback IPv4 address to advertise: pass --advertise-address');
}

/** `kubets join URL --token T --discovery-token-ca-cert-hash H [agent flags]`. */
export function join(d: InstallDeps, url: string | undefined, flags: FlagValues): Promise<AgentInstallResult> {
  if (!url) throw new InstallError('INSTALL_BAD_INPUT', 'join needs the API server: kubets join https://IP:6443 --token T --discovery-token-ca-cert-hash sha256:H');
  return installAgent(d, { ...flags, server: url });
}
