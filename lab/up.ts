// `kubets lab up`: a linear sequence of named steps — check, images, network, control plane, agents, wait for Ready.
// Each thing is recorded in state.json as it is made; on failure the lab is left as it is for inspection (the error
// says where the logs are) and `kubets lab down` removes it.
import fs from 'node:fs';
import { parse as parseYaml, stringify as toYaml } from 'yaml';
import { caCertHash, createToken } from '../api/bootstraptoken.js';
import { ApiClient, loadKubeconfig } from '../api/client.js';
import { Resources } from '../api/resources.js';
import type { Node } from '../api/types.js';
import { agentDefaults } from '../agent/config.js';
import { containerdPaths } from '../agent/containerd/config.js';
import { checkProxyMode, type ProxyMode } from '../agent/proxy/modes.js';
import { buildImages } from './images/build.js';
import { VAR_LIB_CNI } from './down.js';
import { sleep } from '../api/informer.js';
import { LabError, run, withTimeout } from './exec.js';
import { createNetwork } from './netns.js';
import { checkPrerequisites, hostForwardWarning } from './prereqs.js';
import { isAlive, startDetached } from './processes.js';
import { apiServerURL, cgroupParent, controlPlaneNode, kubetsEntry, labPaths, netnsName, validateSpec, type LabNodeSpec, type LabSpec } from './spec.js';
import { newState, StateRecorder, type LabKind, type LabProcess } from './state.js';

export interface LabUpOptions {
  onProgress?: (msg: string) => void;
  /** Network namespaces in one process tree (default), or booted Debian machines provisioned by the installer. */
  machines?: LabKind;
  /** How long to wait for the control plane and for every node to be Ready (default 300 s). */
  timeoutSeconds?: number;
  /** kube-proxy mode every node's agent runs (default iptables). */
  proxyMode?: ProxyMode;
}

export interface LabNodeInfo {
  name: string;
  ip: string;
  /** The node's network namespace (netns lab) or machine name (booted lab). */
  netns: string;
  podCIDR?: string;
  agentPid: number;
  agentLog: string;
  containerdLog: string;
}

export interface LabInfo {
  kind: LabKind;
  root: string;
  apiServer: string;
  kubeconfig: string;
  server: { pid: number; log: string };
  nodes: LabNodeInfo[];
}

const CONTROL_PLANE_TAINT = 'node-role.kubernetes.io/control-plane:NoSchedule';
/** Set by an admin, as kubeadm's mark-control-plane phase does: a kubelet may not label itself with node roles. */
const CONTROL_PLANE_LABEL = 'node-role.kubernetes.io/control-plane';
const EXTRA_PATH = '/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin';

/** Single-quotes a word for sh. */
const shq = (s: string): string => `'${s.replace(/'/g, `'\\''`)}'`;

function lastLines(file: string, n = 15): string {
  try {
    const lines = fs.readFileSync(file, 'utf8').trimEnd().split('\n');
    return lines.slice(-n).join('\n');
  } catch {
    return '(no log)';
  }
}

export async function upLab(spec: LabSpec, opts: LabUpOptions = {}): Promise<LabInfo> {
  if (opts.machines === 'nspawn') {
    const { upMachines } = await import('./nspawn/up.js');
    return upMachines(spec, opts);
  }
  const progress = opts.onProgress ?? (() => {});
  const deadline = Date.now() + (opts.timeoutSeconds ?? 300) * 1000;
  validateSpec(spec);
  // The nodes share this kernel: a proxy mode it can't run would only fail later, on every agent.
  await checkProxyMode(opts.proxyMode ?? agentDefaults.proxyMode);
  await checkPrerequisites(spec);
  const paths = labPaths(spec);
  fs.mkdirSync(spec.root, { recursive: true, mode: 0o755 });
  const rec = new StateRecorder(paths.state, newState(spec));

  const images = await buildImages(paths.images);
  progress(`images: ${images.map((i) => i.name).join(', ')} in ${paths.images}`);

  await createNetwork(spec, rec, progress);
  const forwardWarning = await hostForwardWarning(spec);
  if (forwardWarning) progress(forwardWarning);

  ensureCniMountPoint(rec);

  const env = { ...process.env, PATH: [process.env.PATH, EXTRA_PATH].filter(Boolean).join(':') };
  const startRecorded = async (role: LabProcess['role'], node: string, command: string[], log: string): Promise<LabProcess> => {
    const started = await startDetached(command, log, env);
    const proc: LabProcess = { role, node, pid: started.pid, startTime: started.startTime, log, command };
    rec.update((s) => s.processes.push(proc));
    return proc;
  };

  // Control plane, inside the master's namespace.
  const cp = controlPlaneNode(spec);
  const apiURL = apiServerURL(spec);
  fs.mkdirSync(paths.server, { recursive: true });
  const server = await startRecorded(
    'server',
    cp.name,
    ['ip', 'netns', 'exec', netnsName(spec, cp.name), process.execPath, kubetsEntry(), 'server', '--data-dir', paths.server, '--advertise-address', cp.ip, '--bind-address', '0.0.0.0', '--port', String(spec.apiPort)],
    paths.serverLog,
  );
  progress(`master: control plane starting (pid ${server.pid}, log ${paths.serverLog})`);
  await waitForControlPlane(spec, server, deadline);
  writeAdminKubeconfig(paths.serverKubeconfig, paths.adminKubeconfig, apiURL);
  progress(`master: control plane up (${apiURL})`);

  // Agents: one per node, each in its node's namespace with a private mount namespace (ip netns exec unshares one).
  // They join as real hosts do: a bootstrap token and the CA's hash, then a CSR for their own certificate — no
  // credentials are written for them here.
  const join = { token: await createToken(paths.adminKubeconfig, { ttlSeconds: 3600, description: 'kubets lab join' }), caCertHash: caCertHash(fs.readFileSync(`${paths.serverPKI}/ca.crt`, 'utf8')) };
  const agents = new Map<string, LabProcess>();
  for (const node of spec.nodes) {
    const np = paths.node(node.name);
    for (const d of [np.dir, np.cniConfDir, np.cniCache]) fs.mkdirSync(d, { recursive: true });
    const agent = await startRecorded('agent', node.name, ['ip', 'netns', 'exec', netnsName(spec, node.name), 'sh', '-c', agentScript(spec, node, join, opts.proxyMode)], np.agentLog);
    agents.set(node.name, agent);
    await bindNodeLocalPaths(spec, node, agent);
    progress(`${node.name}: agent starting (pid ${agent.pid}, log ${np.agentLog})`);
  }

  const alive = () => {
    assertRunning(server, 'the control plane');
    for (const [name, p] of agents) assertRunning(p, `the agent on ${name}`);
  };
  const podCIDRs = await waitForNodesReady(spec, alive, deadline, progress, (n) => `logs ${paths.node(n).agentLog}, ${containerdPaths(paths.node(n).dir).log}`);
  rec.update((s) => (s.readyAt = new Date().toISOString()));

  return {
    kind: 'netns',
    root: spec.root,
    apiServer: apiURL,
    kubeconfig: paths.adminKubeconfig,
    server: { pid: server.pid, log: paths.serverLog },
    nodes: spec.nodes.map((n) => ({
      name: n.name,
      ip: n.ip,
      netns: netnsName(spec, n.name),
      podCIDR: podCIDRs.get(n.name),
      agentPid: agents.get(n.name)!.pid,
      agentLog: paths.node(n.name).agentLog,
      containerdLog: containerdPaths(paths.node(n.name).dir).log,
    })),
  };
}

/** The agents bind their own CNI cache over /var/lib/cni in their mount namespace; the mount point must exist. */
export function ensureCniMountPoint(rec: StateRecorder): void {
  if (fs.existsSync(VAR_LIB_CNI)) return;
  rec.update((s) => (s.createdVarLibCni = true));
  fs.mkdirSync(VAR_LIB_CNI, { recursive: true });
}

/**
 * The agent's command line, run by sh inside the node's namespace. A tmpfs over /run/netns keeps the pod
 * network-namespace mounts of this node's containerd out of the host's view, and the node's own CNI cache is bound
 * over /var/lib/cni; both vanish with the node's mount namespace when its processes end.
 */
export function agentScript(spec: LabSpec, node: LabNodeSpec, join: { token: string; caCertHash: string }, proxyMode: ProxyMode = agentDefaults.proxyMode): string {
  const np = labPaths(spec).node(node.name);
  const args = [
    process.execPath,
    kubetsEntry(),
    'agent',
    '--node-name', node.name,
    '--node-ip', node.ip,
    '--kubeconfig', np.kubeconfig,
    '--server', apiServerURL(spec),
    '--token', join.token,
    '--discovery-token-ca-cert-hash', join.caCertHash,
    '--data-dir', np.dir,
    '--containerd-socket', np.containerdSocket,
    '--run-containerd',
    '--images-dir', labPaths(spec).images,
    '--cni-conf-dir', np.cniConfDir,
    '--cgroup-parent', cgroupParent(spec, node.name),
    ...(node.controlPlane ? ['--register-with-taints', CONTROL_PLANE_TAINT] : []),
    '--proxy-mode', proxyMode,
  ];
  return nodeScript(spec, node, args);
}

/** Runs `command` (via sh, inside the node's namespace) behind the node's private /run/netns and /var/lib/cni. */
export function nodeScript(spec: LabSpec, node: LabNodeSpec, command: string[]): string {
  const np = labPaths(spec).node(node.name);
  return [
    `mount -t tmpfs ${shq(`${spec.netnsPrefix}netns`)} /run/netns`,
    `mount --bind ${shq(np.cniCache)} ${VAR_LIB_CNI}`,
    `exec ${command.map(shq).join(' ')}`,
  ].join(' && ');
}

/** Paths a real node keeps to itself; a netns node sees its own at each, in its mount namespace. */
export const NODE_LOCAL_PATHS = ['/etc/kubets', '/etc/kubernetes/manifests', '/var/log/pods'] as const;

/**
 * Gives the node its own /etc and /var/log, as a separate host has: an overlay of the host's directory with the node's
 * changes above it, in the agent's mount namespace (which containerd and `kubets lab exec` share). The node's layer
 * holds its /etc/kubets and /etc/kubernetes/manifests, and /var/log/pods is a link to the kubelet's pod logs — the
 * layout an installed node has. Nothing changes in the host's own view.
 */
async function bindNodeLocalPaths(spec: LabSpec, node: LabNodeSpec, agent: LabProcess): Promise<void> {
  const dir = labPaths(spec).node(node.name).dir;
  const layers = { '/etc': `${dir}/overlay/etc`, '/var/log': `${dir}/overlay/var-log` };
  for (const upper of Object.values(layers)) for (const d of ['upper', 'work']) fs.mkdirSync(`${upper}/${d}`, { recursive: true });
  fs.mkdirSync(`${layers['/etc']}/upper/kubets`, { recursive: true });
  fs.mkdirSync(`${layers['/etc']}/upper/kubernetes/manifests`, { recursive: true });
  fs.mkdirSync(`${dir}/pods`, { recursive: true });
  const link = `${layers['/var/log']}/upper/pods`;
  if (!fs.existsSync(link)) fs.symlinkSync(`${dir}/pods`, link);
  // `ip netns exec` gives the agent its own mount namespace; wait until it has one before entering it.
  const own = fs.readlinkSync('/proc/self/ns/mnt');
  const deadline = Date.now() + 10_000;
  while (fs.readlinkSync(`/proc/${agent.pid}/ns/mnt`) === own) {
    if (Date.now() > deadline || !isAlive(agent.pid, agent.startTime)) throw new LabError('LAB_PROCESS_EXITED', `the agent on ${node.name} (pid ${agent.pid}) has no mount namespace of its own; see ${agent.log}`);
    await sleep(20);
  }
  const script = Object.entries(layers)
    .map(([target, layer]) => `mount -t overlay ${shq(`${spec.netnsPrefix}${node.name}`)} -o ${shq(`lowerdir=${target},upperdir=${layer}/upper,workdir=${layer}/work`)} ${target}`)
    .join(' && ');
  await run('nsenter', ['--target', String(agent.pid), '--mount', '--', 'sh', '-c', script]);
}

/** Copies the server's admin kubeconfig, pointed at the address the host reaches the API on. */
export function writeAdminKubeconfig(from: string, to: string, server: string): void {
  const doc = parseYaml(fs.readFileSync(from, 'utf8')) as { clusters?: { cluster?: { server?: string } }[] };
  for (const c of doc.clusters ?? []) if (c.cluster) c.cluster.server = server;
  fs.writeFileSync(to, toYaml(doc), { mode: 0o600 });
}

function assertRunning(p: LabProcess, what: string): void {
  if (!isAlive(p.pid, p.startTime)) {
    throw new LabError('LAB_PROCESS_EXITED', `${what} (pid ${p.pid}) exited; last lines of ${p.log}:\n${lastLines(p.log)}\n(run \`kubets lab down\` to remove the lab)`);
  }
}

/** Waits for the server to write its admin kubeconfig and answer /readyz (or /healthz) on the advertised address. */
async function waitForControlPlane(spec: LabSpec, server: LabProcess, deadline: number): Promise<void> {
  const paths = labPaths(spec);
  let last = 'no admin kubeconfig yet';
  while (Date.now() < deadline) {
    assertRunning(server, 'the control plane');
    if (fs.existsSync(paths.serverKubeconfig)) {
      let client: ApiClient | undefined;
      try {
        client = new ApiClient({ ...loadKubeconfig(paths.serverKubeconfig), server: apiServerURL(spec), userAgent: 'kubets-lab' });
        let res = await withTimeout(client.raw('GET', '/readyz'), 5_000);
        if (res.status === 404) res = await withTimeout(client.raw('GET', '/healthz'), 5_000);
        if (res.status === 200) return;
        last = `HTTP ${res.status}: ${res.body.toString('utf8').trim().slice(0, 200)}`;
      } catch (err) {
        last = (err as Error).message;
      } finally {
        client?.close();
      }
    }
    await sleep(500);
  }
  throw new LabError('LAB_TIMEOUT', `the control plane did not become ready at ${apiServerURL(spec)} (${last}); see ${paths.serverLog}\n${lastLines(paths.serverLog)}\n(run \`kubets lab down\` to remove the lab)`);
}

/** What keeps a Node from being usable, or undefined when it is Ready with a podCIDR. */
function notReadyReason(node: Node | undefined): string | undefined {
  if (!node) return 'not registered';
  const ready = node.status?.conditions?.find((c) => c.type === 'Ready');
  if (ready?.status !== 'True') return ready ? `Ready=${ready.status}${ready.reason ? ` (${ready.reason}${ready.message ? `: ${ready.message}` : ''})` : ''}` : 'no Ready condition';
  if (!node.spec?.podCIDR) return 'no podCIDR assigned';
  // Until the node lifecycle controller lifts it, a start-up taint keeps pods off the node.
  const taint = node.spec.taints?.find((t) => t.key === 'node.kubernetes.io/not-ready' || t.key === 'node.kubernetes.io/unreachable');
  if (taint) return `still tainted ${taint.key}:${taint.effect}`;
  return undefined;
}

/**
 * Waits until every node is Ready with a podCIDR and no start-up taint (labelling the control-plane node on the way).
 * `alive` throws when something the lab runs has died; `where` names a node's logs for the timeout message.
 */
export async function waitForNodesReady(spec: LabSpec, alive: () => void, deadline: number, progress: (msg: string) => void, where: (node: string) => string): Promise<Map<string, string>> {
  const paths = labPaths(spec);
  const client = ApiClient.fromKubeconfig(paths.adminKubeconfig, 'kubets-lab');
  const ready = new Map<string, string>();
  const waiting = new Map<string, string>(spec.nodes.map((n) => [n.name, 'not registered']));
  try {
    while (Date.now() < deadline) {
      alive();
      try {
        const list = await withTimeout(client.list<Node>(Resources.nodes), 10_000);
        for (const n of spec.nodes) {
          if (ready.has(n.name)) continue;
          const node = list.items.find((x) => x.metadata.name === n.name);
          if (node && n.controlPlane && node.metadata.labels?.[CONTROL_PLANE_LABEL] === undefined)
            await withTimeout(client.patch(Resources.nodes, undefined, n.name, 'merge', { metadata: { labels: { [CONTROL_PLANE_LABEL]: '' } } }), 10_000);
          const why = notReadyReason(node);
          if (why) waiting.set(n.name, why);
          else {
            waiting.delete(n.name);
            ready.set(n.name, node!.spec!.podCIDR!);
            progress(`${n.name}: node Ready (podCIDR ${node!.spec!.podCIDR})`);
          }
        }
        if (!waiting.size) return ready;
      } catch (err) {
        for (const n of waiting.keys()) waiting.set(n, `API: ${(err as Error).message}`);
      }
      await sleep(1000);
    }
  } finally {
    client.close();
  }
  const lines = [...waiting].map(([n, why]) => `  ${n}: ${why} — ${where(n)}`);
  throw new LabError('LAB_TIMEOUT', `timed out waiting for nodes to be Ready:\n${lines.join('\n')}\n(run \`kubets lab down\` to remove the lab)`);
}
