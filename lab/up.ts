// `kubets lab up`: a linear sequence of named steps — check, images, network, control plane, agents, wait for Ready.
// Each thing is recorded in state.json as it is made; on failure the lab is left as it is for inspection (the error
// says where the logs are) and `kubets lab down` removes it.
import fs from 'node:fs';
import path from 'node:path';
import { parse as parseYaml, stringify as toYaml } from 'yaml';
import { caCertHash, createToken } from '../api/bootstraptoken.js';
import { ApiClient, loadKubeconfig } from '../api/client.js';
import { defaultPodNetwork, type PodNetworkMode } from '../api/podnetwork.js';
import { Resources } from '../api/resources.js';
import type { Node } from '../api/types.js';
import { agentDefaults } from '../agent/config.js';
import { containerdPaths } from '../agent/containerd/config.js';
import { VXLAN_DEVICE, VXLAN_PORT, VXLAN_VNI } from '../agent/network/vxlan.js';
import { checkProxyMode, type ProxyMode } from '../agent/proxy/modes.js';
import { buildImages } from './images/build.js';
import { buildPrometheusImage } from './images/prometheus.js';
import { VAR_LIB_CNI } from './down.js';
import { sleep } from '../api/informer.js';
import { LabError, withTimeout } from './exec.js';
import { installLabAddons, nodeEtc, waitForApiServer, waitForKubeSystem, writeMasterFiles } from './controlplane.js';
import { createNetwork } from './netns.js';
import { checkPrerequisites, hostForwardWarning } from './prereqs.js';
import { isAlive, startDetached } from './processes.js';
import { apiServerURL, cgroupParent, controlPlaneNode, kubetsEntry, labPaths, netnsName, validateSpec, type LabNodeSpec, type LabSpec } from './spec.js';
import { newState, StateRecorder, type LabKind, type LabProcess } from './state.js';

export interface LabUpOptions {
  onProgress?: (msg: string) => void;
  /** Network namespaces in one process tree (default), or booted Debian machines provisioned by the installer. */
  machines?: LabKind;
  /** How long to wait for the control plane, every node Ready and kube-system running (default 480 s). */
  timeoutSeconds?: number;
  /** kube-proxy mode every node's agent runs (default iptables). */
  proxyMode?: ProxyMode;
  /** Pod network of every node's agent, and the cluster's default (default host-gw). */
  podNetwork?: PodNetworkMode;
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
  const deadline = Date.now() + (opts.timeoutSeconds ?? 480) * 1000;
  validateSpec(spec);
  // The nodes share this kernel: a proxy mode it can't run would only fail later, on every agent.
  await checkProxyMode(opts.proxyMode ?? agentDefaults.proxyMode);
  await checkPrerequisites(spec);
  const paths = labPaths(spec);
  fs.mkdirSync(spec.root, { recursive: true, mode: 0o755 });
  const rec = new StateRecorder(paths.state, newState(spec));

  const images = [...(await buildImages(paths.images)), await buildPrometheusImage(paths.images)];
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

  // The master in kubeadm's shape: its /etc/kubernetes holds the certificates, kubeconfigs and static pod manifests
  // (etcd, kube-apiserver, kube-controller-manager, kube-scheduler) its kubelet runs; the master's agent starts first,
  // with kubeadm's kubelet.conf, since there is no API server to join through yet.
  const cp = controlPlaneNode(spec);
  const apiURL = apiServerURL(spec);
  for (const node of spec.nodes) prepareNodeDirs(spec, node.name);
  const master = await writeMasterFiles(spec, { podNetwork: opts.podNetwork });
  progress(`master: /etc/kubernetes written (pki, kubeconfigs, manifests/{etcd,kube-apiserver,kube-controller-manager,kube-scheduler}.yaml)`);
  progress(`pod network: ${podNetworkSummary(opts.podNetwork ?? defaultPodNetwork)}`);
  const agents = new Map<string, LabProcess>();
  const startAgent = async (node: LabNodeSpec, credentials: string[]) => {
    const np = paths.node(node.name);
    const agent = await startRecorded('agent', node.name, ['ip', 'netns', 'exec', netnsName(spec, node.name), 'sh', '-c', agentScript(spec, node, credentials, { podNetwork: opts.podNetwork })], np.agentLog);
    agents.set(node.name, agent);
    progress(`${node.name}: agent starting (pid ${agent.pid}, log ${np.agentLog})`);
  };
  const alive = () => {
    for (const [name, p] of agents) assertRunning(p, `the agent on ${name}`);
  };
  await startAgent(cp, ['--kubeconfig', master.kubeletKubeconfig]);
  await waitForApiServer(spec, master.adminKubeconfig, alive, deadline, `${paths.node(cp.name).agentLog} and the static pods' logs in ${path.join(paths.node(cp.name).dir, 'pods')}`);
  writeAdminKubeconfig(master.adminKubeconfig, paths.adminKubeconfig, apiURL);
  progress(`master: control plane up (${apiURL}), run as static pods`);

  // The workers join as real hosts do: a bootstrap token and the CA's hash, then a CSR for their own certificate — no
  // credentials are written for them here.
  const token = await createToken(paths.adminKubeconfig, { ttlSeconds: 3600, description: 'kubets lab join' });
  const caHash = caCertHash(String(loadKubeconfig(paths.adminKubeconfig).ca));
  for (const node of spec.nodes.filter((n) => !n.controlPlane)) {
    await startAgent(node, ['--kubeconfig', paths.node(node.name).kubeconfig, '--server', apiURL, '--token', token, '--discovery-token-ca-cert-hash', caHash]);
  }

  const podCIDRs = await waitForNodesReady(spec, alive, deadline, progress, (n) => `logs ${paths.node(n).agentLog}, ${containerdPaths(paths.node(n).dir).log}`);
  // kubeadm's addon phase, once every node is there (so CoreDNS spreads over the workers): kube-proxy as a DaemonSet
  // (the agents run none of their own) and CoreDNS.
  await installLabAddons(spec, opts.proxyMode ?? agentDefaults.proxyMode);
  progress(`add-ons: kube-proxy DaemonSet (${opts.proxyMode ?? agentDefaults.proxyMode} mode), coredns Deployment and kube-dns Service, Prometheus in monitoring (NodePort 30090)`);
  await waitForKubeSystem(spec, alive, deadline);
  progress('kube-system: control-plane static pods, kube-proxy on every node and coredns running');
  rec.update((s) => (s.readyAt = new Date().toISOString()));

  return {
    kind: 'netns',
    root: spec.root,
    apiServer: apiURL,
    kubeconfig: paths.adminKubeconfig,
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

/** One line on how pods reach other nodes' pods, for the progress lines. */
export function podNetworkSummary(mode: PodNetworkMode): string {
  return mode === 'vxlan' ? `vxlan (device ${VXLAN_DEVICE}, VNI ${VXLAN_VNI}, UDP ${VXLAN_PORT}; MTU 50 below the node link's)` : 'host-gw (routes via the nodes\' addresses on the lab bridge)';
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
export function agentScript(spec: LabSpec, node: LabNodeSpec, credentials: string[], opts: { podNetwork?: PodNetworkMode } = {}): string {
  const np = labPaths(spec).node(node.name);
  const args = [
    process.execPath,
    kubetsEntry(),
    'agent',
    '--node-name', node.name,
    '--node-ip', node.ip,
    ...credentials,
    '--data-dir', np.dir,
    '--containerd-socket', np.containerdSocket,
    '--run-containerd',
    '--images-dir', labPaths(spec).images,
    '--cni-conf-dir', np.cniConfDir,
    '--cgroup-parent', cgroupParent(spec, node.name),
    // kube-proxy runs as the kube-proxy DaemonSet.
    '--disable-proxy',
    ...(opts.podNetwork ? ['--pod-network', opts.podNetwork] : []),
    ...(node.controlPlane ? ['--register-with-taints', CONTROL_PLANE_TAINT] : []),
  ];
  return nodeScript(spec, node, args);
}

/**
 * Runs `command` (via sh, inside the node's namespace) in the node's own mount namespace: a private /run/netns, the
 * node's CNI cache over /var/lib/cni, and the node's own /etc and /var/log as a separate host has them — an overlay of
 * the host's directory with the node's changes above it (its /etc/kubets, /etc/kubernetes, and /var/log/pods linking
 * to the kubelet's pod logs). containerd and `kubets lab exec` share that namespace; the host's view is unchanged.
 */
export function nodeScript(spec: LabSpec, node: LabNodeSpec, command: string[]): string {
  const np = labPaths(spec).node(node.name);
  const overlays = Object.entries(nodeLayers(spec, node.name)).map(
    ([target, layer]) => `mount -t overlay ${shq(`${spec.netnsPrefix}${node.name}`)} -o ${shq(`lowerdir=${target},upperdir=${layer}/upper,workdir=${layer}/work`)} ${target}`,
  );
  return [
    `mount -t tmpfs ${shq(`${spec.netnsPrefix}netns`)} /run/netns`,
    `mount --bind ${shq(np.cniCache)} ${VAR_LIB_CNI}`,
    ...overlays,
    `exec ${command.map(shq).join(' ')}`,
  ].join(' && ');
}

/** Paths a real node keeps to itself; a netns node sees its own at each, in its mount namespace. */
export const NODE_LOCAL_PATHS = ['/etc/kubets', '/etc/kubernetes', '/var/log/pods'] as const;

/** The node's overlay layers: the host directory each covers → the layer's dir (upper/ and work/ below it). */
function nodeLayers(spec: LabSpec, node: string): Record<string, string> {
  const dir = labPaths(spec).node(node).dir;
  return { '/etc': path.dirname(nodeEtc(spec, node)), '/var/log': `${dir}/overlay/var-log` };
}

/** The node's dirs, made before its agent starts (the overlays are mounted as it starts). */
export function prepareNodeDirs(spec: LabSpec, node: string): void {
  const np = labPaths(spec).node(node);
  for (const d of [np.dir, np.cniConfDir, np.cniCache, `${np.dir}/pods`]) fs.mkdirSync(d, { recursive: true });
  for (const layer of Object.values(nodeLayers(spec, node))) for (const d of ['upper', 'work']) fs.mkdirSync(`${layer}/${d}`, { recursive: true });
  const etc = nodeEtc(spec, node);
  for (const d of ['kubets', 'kubernetes/manifests']) fs.mkdirSync(path.join(etc, d), { recursive: true });
  const link = `${nodeLayers(spec, node)['/var/log']}/upper/pods`;
  if (!fs.existsSync(link)) fs.symlinkSync(`${np.dir}/pods`, link);
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
