// Pure translations from a Pod to the CRI configs that run it: the sandbox config (DNS, ports, cgroup parent,
// namespaces, log directory) and each container's config (command/args with $(VAR) expanded, env and mounts as
// resolved by the pod syncer, resources, labels).
import fs from 'node:fs';
import path from 'node:path';
import type { Container, Pod } from '../../api/types.js';
import { parseQuantity } from '../../api/quantity.js';
import { containerHash } from './actions.js';
import { expandCommandAndArgs, makeEnvironmentVariables, type KeyValue } from './env.js';
import type { NodeAllocatable } from './fieldpath.js';
import { planMounts, podVolumes } from './volumes/layout.js';
import { Annotation, Label, type ContainerConfig, type DNSConfig, type LinuxContainerResources, type Mount, type NamespaceOption, type PodSandboxConfig, type PortMapping } from './runtime.js';

export interface SpecOptions {
  dataDir: string;
  cgroupParent: string;
  clusterDNS: string;
  clusterDomain: string;
  nodeName: string;
  nodeIP: string;
  /** The node's resolv.conf text, for dnsPolicy Default with extra dnsConfig (read from /etc/resolv.conf if unset). */
  hostResolvConf?: string;
  /** The node's allocatable CPU and memory: the downward API's value for a limit a container does not set. */
  allocatable?: NodeAllocatable;
}

export const podLogDirectory = (dataDir: string, pod: Pod): string =>
  path.join(dataDir, 'pods', `${pod.metadata.namespace}_${pod.metadata.name}_${pod.metadata.uid}`);

export function podCgroupParent(cgroupParent: string, uid: string): string {
  return path.posix.join('/', cgroupParent || 'kubepods', `pod${uid}`);
}

const defaultGracePeriodSeconds = 30;
export const terminationGracePeriod = (pod: Pod): number => pod.spec.terminationGracePeriodSeconds ?? defaultGracePeriodSeconds;

function readResolvConf(): string {
  try {
    return fs.readFileSync('/etc/resolv.conf', 'utf8');
  } catch {
    return '';
  }
}

export function parseResolvConf(text: string): { servers: string[]; searches: string[]; options: string[] } {
  const out = { servers: [] as string[], searches: [] as string[], options: [] as string[] };
  for (const line of text.split('\n')) {
    const [key, ...values] = line.replace(/[#;].*$/, '').trim().split(/\s+/);
    if (key === 'nameserver' && values[0]) out.servers.push(values[0]);
    else if (key === 'search' || key === 'domain') out.searches = values;
    else if (key === 'options') out.options.push(...values);
  }
  return out;
}

/** DNS for the sandbox by dnsPolicy, as kubelet's dns configurer; undefined means "the node's resolv.conf". */
export function dnsConfigFor(pod: Pod, opts: SpecOptions): DNSConfig | undefined {
  let policy = pod.spec.dnsPolicy ?? 'ClusterFirst';
  if (policy === 'ClusterFirst' && pod.spec.hostNetwork) policy = 'Default';
  if (policy === 'ClusterFirstWithHostNet') policy = 'ClusterFirst';
  const extra = (pod.spec.dnsConfig ?? {}) as { nameservers?: string[]; searches?: string[]; options?: { name: string; value?: string }[] };
  const extraOptions = (extra.options ?? []).map((o) => (o.value !== undefined ? `${o.name}:${o.value}` : o.name));
  let base: Required<Pick<DNSConfig, 'servers' | 'searches' | 'options'>>;
  if (policy === 'ClusterFirst') {
    const d = opts.clusterDomain;
    base = { servers: [opts.clusterDNS], searches: [`${pod.metadata.namespace}.svc.${d}`, `svc.${d}`, d], options: ['ndots:5'] };
  } else if (policy === 'None') {
    base = { servers: [], searches: [], options: [] };
  } else if (!extra.nameservers && !extra.searches && !extra.options) {
    return undefined;
  } else {
    base = parseResolvConf(opts.hostResolvConf ?? readResolvConf());
  }
  const options = new Map<string, string>();
  for (const o of [...base.options, ...extraOptions]) options.set(o.split(':')[0], o);
  return {
    servers: [...new Set([...base.servers, ...(extra.nameservers ?? [])])],
    searches: [...new Set([...base.searches, ...(extra.searches ?? [])])],
    options: [...options.values()],
  };
}

function namespaceOptions(pod: Pod): NamespaceOption {
  return {
    network: pod.spec.hostNetwork ? 'NODE' : 'POD',
    pid: pod.spec.hostPID ? 'NODE' : pod.spec.shareProcessNamespace ? 'POD' : 'CONTAINER',
    ipc: pod.spec.hostIPC ? 'NODE' : 'POD',
  };
}

export function sandboxConfig(pod: Pod, attempt: number, opts: SpecOptions): PodSandboxConfig {
  const { name = '', namespace = 'default', uid = '' } = pod.metadata;
  const portMappings: PortMapping[] = [];
  for (const c of pod.spec.containers) {
    for (const p of c.ports ?? []) {
      if (!p.hostPort) continue;
      portMappings.push({ protocol: (p.protocol ?? 'TCP') as PortMapping['protocol'], container_port: p.containerPort, host_port: p.hostPort, host_ip: (p as { hostIP?: string }).hostIP ?? '' });
    }
  }
  const hostname = pod.spec.hostNetwork ? '' : String(pod.spec.hostname ?? name).slice(0, 63);
  const config: PodSandboxConfig = {
    metadata: { name, namespace, uid, attempt },
    hostname,
    log_directory: podLogDirectory(opts.dataDir, pod),
    port_mappings: portMappings,
    labels: { ...(pod.metadata.labels ?? {}), [Label.podName]: name, [Label.podNamespace]: namespace, [Label.podUID]: uid },
    annotations: { ...(pod.metadata.annotations ?? {}) },
    linux: { cgroup_parent: podCgroupParent(opts.cgroupParent, uid), security_context: { namespace_options: namespaceOptions(pod) } },
  };
  const dns = dnsConfigFor(pod, opts);
  if (dns) config.dns_config = dns;
  return config;
}

function resourcesFor(c: Container): LinuxContainerResources {
  const r: LinuxContainerResources = {};
  const limits = c.resources?.limits ?? {};
  const requests = c.resources?.requests ?? {};
  const cpuRequest = parseQuantity(requests.cpu ?? limits.cpu);
  const cpuLimit = parseQuantity(limits.cpu);
  const memoryLimit = parseQuantity(limits.memory);
  // cgroup v1 CFS: shares from the request (1 CPU = 1024, at least 2), quota per 100 ms period from the limit.
  r.cpu_shares = cpuRequest > 0 ? Math.max(2, Math.floor(cpuRequest * 1024)) : 2;
  if (cpuLimit > 0) {
    r.cpu_period = 100_000;
    r.cpu_quota = Math.max(1000, Math.floor(cpuLimit * 100_000));
  }
  if (memoryLimit > 0) r.memory_limit_in_bytes = Math.floor(memoryLimit);
  return r;
}

/** What a container runs with beyond its spec (kubelet's RunContainerOptions): the final env and the mounts. */
export interface RunContainerOptions {
  envs: KeyValue[];
  mounts: Mount[];
}

/**
 * The options of a container whose env names no ConfigMap or Secret and whose mounts have no subPath to resolve:
 * what containerConfig uses when the caller has not resolved them (a reference to an object fails as not found).
 */
export function localRunOptions(pod: Pod, c: Container, podIP: string, opts: SpecOptions): RunContainerOptions {
  const { env } = makeEnvironmentVariables(pod, c, { nodeName: opts.nodeName, nodeIP: opts.nodeIP, podIP, podIPs: podIP ? [podIP] : [], configMaps: new Map(), secrets: new Map(), allocatable: opts.allocatable });
  const mounts = planMounts(c, podVolumes(pod, opts.dataDir), env).map((m) => ({ container_path: m.containerPath, host_path: m.hostPath, readonly: m.readOnly }));
  return { envs: env, mounts };
}

export function containerConfig(pod: Pod, c: Container, restartCount: number, imageRef: string, podIP: string, opts: SpecOptions, run: RunContainerOptions = localRunOptions(pod, c, podIP, opts)): ContainerConfig {
  const { name = '', namespace = 'default', uid = '' } = pod.metadata;
  const { command, args } = expandCommandAndArgs(c, run.envs);
  return {
    metadata: { name: c.name, attempt: restartCount },
    image: { image: imageRef },
    command,
    args,
    working_dir: c.workingDir ?? '',
    envs: run.envs,
    mounts: run.mounts,
    labels: { [Label.containerName]: c.name, [Label.podName]: name, [Label.podNamespace]: namespace, [Label.podUID]: uid },
    annotations: {
      [Annotation.containerHash]: containerHash(c),
      [Annotation.restartCount]: String(restartCount),
      [Annotation.terminationGracePeriod]: String(terminationGracePeriod(pod)),
    },
    log_path: `${c.name}/${restartCount}.log`,
    stdin: !!(c as { stdin?: boolean }).stdin,
    tty: !!(c as { tty?: boolean }).tty,
    linux: { resources: resourcesFor(c), security_context: { namespace_options: namespaceOptions(pod) } },
  };
}
