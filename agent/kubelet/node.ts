// The Node object: registration (create, or reconcile labels of an existing Node), the wait for the control plane's
// podCIDR, and the status loop that posts capacity, addresses, node info, images and conditions every 10 s.
// nodeStatus() computes the status (pure); the loop only gathers inputs and writes.
import fs from 'node:fs';
import os from 'node:os';
import si from 'systeminformation';
import type { ApiClient } from '../../api/client.js';
import { isAlreadyExists } from '../../api/errors.js';
import { sleep } from '../../api/informer.js';
import { logger } from '../../api/log.js';
import { Resources } from '../../api/resources.js';
import type { Condition, Node, NodeStatus } from '../../api/types.js';
import type { AgentConfig } from '../config.js';
import { embeddedProxyLabel } from '../proxy/manifests.js';
import type { NodeAllocatable } from './fieldpath.js';
import { startLoop, type Loop } from './loop.js';
import type { RuntimeService } from './runtime.js';
import { formatTime } from '../../api/time.js';

const log = logger('kubelet.node');

export const kubeletVersion = 'v1.32.0-kubets';
export const kubeletPort = 10250;
export const maxPods = 110;
export const nodeStatusIntervalMs = 10_000;

type NodeIdentity = Pick<AgentConfig, 'nodeName' | 'nodeIP' | 'nodeLabels' | 'registerWithTaints' | 'dataDir'> & Partial<Pick<AgentConfig, 'embeddedProxy'>>;

export interface MachineInfo {
  cpuCores: number;
  memoryBytes: number;
  ephemeralStorageBytes: number;
  osImage: string;
  kernelVersion: string;
  architecture: string;
  machineID: string;
  systemUUID: string;
  bootID: string;
}

const readTrimmed = (file: string): string => {
  try {
    return fs.readFileSync(file, 'utf8').trim();
  } catch {
    return '';
  }
};

/** What the machine has: CPUs and memory (systeminformation), the data dir's filesystem, OS identity. */
export async function machineInfo(dataDir: string): Promise<MachineInfo> {
  const [cpu, mem] = await Promise.all([si.cpu(), si.mem()]);
  fs.mkdirSync(dataDir, { recursive: true });
  const fsStat = fs.statfsSync(dataDir);
  const osRelease = readTrimmed('/etc/os-release');
  const pretty = /^PRETTY_NAME="?([^"\n]*)"?$/m.exec(osRelease)?.[1];
  return {
    cpuCores: cpu.cores || os.cpus().length,
    memoryBytes: mem.total,
    ephemeralStorageBytes: fsStat.blocks * fsStat.bsize,
    osImage: pretty ?? `${os.type()} ${os.release()}`,
    kernelVersion: os.release(),
    architecture: process.arch === 'x64' ? 'amd64' : process.arch,
    machineID: readTrimmed('/etc/machine-id'),
    systemUUID: readTrimmed('/sys/class/dmi/id/product_uuid'),
    bootID: readTrimmed('/proc/sys/kernel/random/boot_id'),
  };
}

export function nodeLabels(config: NodeIdentity, arch: string): Record<string, string> {
  return {
    'beta.kubernetes.io/arch': arch,
    'beta.kubernetes.io/os': 'linux',
    'kubernetes.io/arch': arch,
    'kubernetes.io/hostname': config.nodeName,
    'kubernetes.io/os': 'linux',
    ...(config.embeddedProxy ? { [embeddedProxyLabel.key]: embeddedProxyLabel.value } : {}),
    ...config.nodeLabels,
  };
}

export interface NodeStatusInputs {
  now: string;
  machine: MachineInfo;
  nodeIP: string;
  nodeName: string;
  /** "containerd://1.6.20" from the CRI Version call; undefined when the runtime did not answer. */
  runtimeVersion?: string;
  /** The runtime's own conditions (CRI Status): RuntimeReady, NetworkReady (false until a CNI config exists). */
  runtimeConditions: { type: string; status: boolean; reason: string; message: string }[];
  images: { names: string[]; sizeBytes?: number }[];
}

function condition(old: Condition[] | undefined, c: Omit<Condition, 'lastTransitionTime' | 'lastHeartbeatTime'>, now: string): Condition {
  const prev = old?.find((o) => o.type === c.type);
  return { ...c, lastHeartbeatTime: now, lastTransitionTime: prev?.status === c.status && prev.lastTransitionTime ? prev.lastTransitionTime : now };
}

/** What pods may use: kubelet's default hard-eviction reserve held back, 100Mi of memory and 10% of the disk. */
export function allocatableOf(m: MachineInfo): NodeAllocatable {
  return { cpu: m.cpuCores, memory: Math.max(0, m.memoryBytes - 100 * 1024 * 1024), ephemeralStorage: Math.floor(m.ephemeralStorageBytes * 0.9) };
}

/** kubelet's words for a runtime whose pod network is not ready (no CNI config yet). */
export const runtimeNetworkNotReady = (c: { reason: string; message: string }): string => `container runtime network not ready: NetworkReady=false reason:${c.reason} message:${c.message}`;

/** The Node status kubelet posts (pure). */
export function nodeStatus(old: NodeStatus | undefined, i: NodeStatusInputs): NodeStatus {
  const m = i.machine;
  const Ki = (bytes: number) => `${Math.floor(bytes / 1024)}Ki`;
  const capacity = {
    cpu: String(m.cpuCores),
    'ephemeral-storage': Ki(m.ephemeralStorageBytes),
    'hugepages-2Mi': '0',
    memory: Ki(m.memoryBytes),
    pods: String(maxPods),
  };
  const a = allocatableOf(m);
  const allocatable = { ...capacity, 'ephemeral-storage': String(a.ephemeralStorage), memory: Ki(a.memory) };
  let notReady: string | undefined;
  const runtimeCondition = (type: string) => i.runtimeConditions.find((c) => c.type === type);
  const runtimeReady = runtimeCondition('RuntimeReady');
  const networkReady = runtimeCondition('NetworkReady');
  if (!i.runtimeVersion) notReady = 'container runtime is down';
  else if (runtimeReady && !runtimeReady.status) notReady = `container runtime status check may not have completed yet: RuntimeReady=false reason:${runtimeReady.reason} message:${runtimeReady.message}`;
  else if (networkReady && !networkReady.status) notReady = runtimeNetworkNotReady(networkReady);
  const oc = old?.conditions;
  return {
    capacity,
    allocatable,
    conditions: [
      condition(oc, { type: 'MemoryPressure', status: 'False', reason: 'KubeletHasSufficientMemory', message: 'kubelet has sufficient memory available' }, i.now),
      condition(oc, { type: 'DiskPressure', status: 'False', reason: 'KubeletHasNoDiskPressure', message: 'kubelet has no disk pressure' }, i.now),
      condition(oc, { type: 'PIDPressure', status: 'False', reason: 'KubeletHasSufficientPID', message: 'kubelet has sufficient PID available' }, i.now),
      notReady
        ? condition(oc, { type: 'Ready', status: 'False', reason: 'KubeletNotReady', message: notReady }, i.now)
        : condition(oc, { type: 'Ready', status: 'True', reason: 'KubeletReady', message: 'kubelet is posting ready status' }, i.now),
    ],
    addresses: [
      { type: 'InternalIP', address: i.nodeIP },
      { type: 'Hostname', address: i.nodeName },
    ],
    daemonEndpoints: { kubeletEndpoint: { Port: kubeletPort } },
    nodeInfo: {
      machineID: m.machineID,
      systemUUID: m.systemUUID,
      bootID: m.bootID,
      kernelVersion: m.kernelVersion,
      osImage: m.osImage,
      containerRuntimeVersion: i.runtimeVersion ?? (old?.nodeInfo?.containerRuntimeVersion ?? ''),
      kubeletVersion,
      kubeProxyVersion: '',
      operatingSystem: 'linux',
      architecture: m.architecture,
    },
    images: i.images,
  };
}

export async function runtimeVersion(runtime: RuntimeService): Promise<string | undefined> {
  try {
    const v = await runtime.version({ version: 'v1' });
    return `${v.runtime_name}://${v.runtime_version}`;
  } catch {
    return undefined;
  }
}

async function imageList(runtime: RuntimeService): Promise<NodeStatusInputs['images']> {
  const { images = [] } = await runtime.listImages({});
  return images
    .map((img) => ({ names: [...(img.repo_digests ?? []), ...(img.repo_tags ?? [])], sizeBytes: Number(img.size ?? 0) }))
    .filter((img) => img.names.length > 0)
    .sort((a, b) => b.sizeBytes - a.sizeBytes)
    .slice(0, 50);
}

const nowIso = () => formatTime();

// The machine does not change under a running agent: look it up once per data dir.
const machines = new Map<string, Promise<MachineInfo>>();
function cachedMachineInfo(dataDir: string): Promise<MachineInfo> {
  let m = machines.get(dataDir);
  if (!m) {
    m = machineInfo(dataDir);
    machines.set(dataDir, m);
    m.catch(() => machines.delete(dataDir));
  }
  return m;
}

async function gatherInputs(config: NodeIdentity, runtime: RuntimeService): Promise<NodeStatusInputs> {
  const [machine, version, images, runtimeStatus] = await Promise.all([
    cachedMachineInfo(config.dataDir),
    runtimeVersion(runtime),
    imageList(runtime).catch(() => []),
    runtime.status({}).catch(() => undefined),
  ]);
  const runtimeConditions = runtimeStatus?.status?.conditions ?? [];
  return { now: nowIso(), machine, nodeIP: config.nodeIP, nodeName: config.nodeName, runtimeVersion: version, runtimeConditions, images };
}

/**
 * Creates the Node (labels, taints, initial status), or — when it exists already, e.g. after an agent restart —
 * reconciles its labels. Taints of an existing Node belong to the cluster and are left alone, as kubelet does.
 */
export async function registerNode(client: ApiClient, config: NodeIdentity, runtime: RuntimeService): Promise<Node> {
  const inputs = await gatherInputs(config, runtime);
  const labels = nodeLabels(config, inputs.machine.architecture);
  const node: Node = {
    apiVersion: 'v1',
    kind: 'Node',
    metadata: { name: config.nodeName, labels, annotations: { 'node.alpha.kubernetes.io/ttl': '0', 'volumes.kubernetes.io/controller-managed-attach-detach': 'true' } },
    spec: config.registerWithTaints.length > 0 ? { taints: config.registerWithTaints.map((t) => ({ ...t })) } : {},
    status: nodeStatus(undefined, inputs),
  };
  try {
    const created = await client.create(Resources.nodes, undefined, node);
    log.info({ node: config.nodeName }, 'node registered');
    return created;
  } catch (e) {
    if (!isAlreadyExists(e)) throw e;
  }
  const existing = await client.get<Node>(Resources.nodes, undefined, config.nodeName);
  const patch: Record<string, string | null> = Object.fromEntries(Object.entries(labels).filter(([k, v]) => existing.metadata.labels?.[k] !== v));
  // An agent restarted without its own kube-proxy hands the node back to the DaemonSet.
  if (!(embeddedProxyLabel.key in labels) && existing.metadata.labels?.[embeddedProxyLabel.key] !== undefined) patch[embeddedProxyLabel.key] = null;
  if (Object.keys(patch).length === 0) return existing;
  log.info({ node: config.nodeName, labels: patch }, 'node exists; reconciling labels');
  return client.patch<Node>(Resources.nodes, undefined, config.nodeName, 'merge', { metadata: { labels: patch } });
}

/**
 * registerNode until it succeeds, as kubelet's registerWithAPIServer: the API server may not be up yet — on a control
 * plane node it is one of the static pods this kubelet is starting. Waits 100 ms doubling to 7 s between attempts.
 */
export async function registerNodeWhenReachable(client: ApiClient, config: NodeIdentity, runtime: RuntimeService, signal?: AbortSignal): Promise<Node> {
  let delay = 100;
  for (let attempt = 1; ; attempt++) {
    try {
      return await registerNode(client, config, runtime);
    } catch (e) {
      if (signal?.aborted) throw e;
      if (attempt === 1 || attempt % 10 === 0) log.warn({ node: config.nodeName, err: (e as Error).message, attempt }, 'unable to register node with the API server; retrying');
      await sleep(delay, signal);
      delay = Math.min(delay * 2, 7000);
    }
  }
}

/** Waits until the node IPAM controller has assigned this node's spec.podCIDR. */
export async function waitForPodCIDR(client: ApiClient, nodeName: string, signal?: AbortSignal, pollMs = 1000): Promise<string> {
  let logged = false;
  while (!signal?.aborted) {
    const node = await client.get<Node>(Resources.nodes, undefined, nodeName).catch(() => undefined);
    const cidr = node?.spec.podCIDR;
    if (cidr) return cidr;
    if (!logged) log.info({ node: nodeName }, 'waiting for the control plane to assign spec.podCIDR');
    logged = true;
    await sleep(pollMs, signal);
  }
  throw new Error('aborted while waiting for spec.podCIDR');
}

/**
 * Posts the Node's status every 10 s through the status subresource (merge patch: no conflicts to retry). Ready
 * follows the runtime's own conditions, so the node turns Ready once the CNI config is in place.
 */
export function startNodeStatus(client: ApiClient, config: NodeIdentity, runtime: RuntimeService, intervalMs = nodeStatusIntervalMs): Loop {
  return startLoop('kubelet.nodestatus', intervalMs, async () => {
    const [node, inputs] = await Promise.all([client.get<Node>(Resources.nodes, undefined, config.nodeName), gatherInputs(config, runtime)]);
    const status = nodeStatus(node.status, inputs);
    await client.patch(Resources.nodes, undefined, config.nodeName, 'merge', { status }, 'status');
  });
}
