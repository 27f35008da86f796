// CRI v1 client over containerd's gRPC unix socket. Requests and responses are plain objects whose field names are the
// proto's own (snake_case); enums travel as their names, int64 as numbers, bytes as Buffers.
import { existsSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import * as grpc from '@grpc/grpc-js';
import * as protoLoader from '@grpc/proto-loader';

// ---- message types (only the fields kubets uses; see api.proto) ----

export type Protocol = 'TCP' | 'UDP' | 'SCTP';
export type NamespaceMode = 'POD' | 'CONTAINER' | 'NODE' | 'TARGET';
export type MountPropagation = 'PROPAGATION_PRIVATE' | 'PROPAGATION_HOST_TO_CONTAINER' | 'PROPAGATION_BIDIRECTIONAL';
export type PodSandboxState = 'SANDBOX_READY' | 'SANDBOX_NOTREADY';
export type ContainerState = 'CONTAINER_CREATED' | 'CONTAINER_RUNNING' | 'CONTAINER_EXITED' | 'CONTAINER_UNKNOWN';
export type SecurityProfileType = 'RuntimeDefault' | 'Unconfined' | 'Localhost';

export interface KeyValue { key: string; value: string }
export interface Int64Value { value: number }
export interface DNSConfig { servers?: string[]; searches?: string[]; options?: string[] }
export interface PortMapping { protocol?: Protocol; container_port: number; host_port?: number; host_ip?: string }
export interface Mount { container_path: string; host_path: string; readonly?: boolean; selinux_relabel?: boolean; propagation?: MountPropagation }
export interface NamespaceOption { network?: NamespaceMode; pid?: NamespaceMode; ipc?: NamespaceMode; target_id?: string }
export interface SecurityProfile { profile_type?: SecurityProfileType; localhost_ref?: string }

export interface LinuxSandboxSecurityContext {
  namespace_options?: NamespaceOption;
  run_as_user?: Int64Value;
  run_as_group?: Int64Value;
  readonly_rootfs?: boolean;
  supplemental_groups?: number[];
  privileged?: boolean;
  seccomp?: SecurityProfile;
  apparmor?: SecurityProfile;
}

export interface LinuxContainerResources {
  cpu_period?: number;
  cpu_quota?: number;
  cpu_shares?: number;
  memory_limit_in_bytes?: number;
  oom_score_adj?: number;
  cpuset_cpus?: string;
  cpuset_mems?: string;
  unified?: Record<string, string>;
  memory_swap_limit_in_bytes?: number;
}

export interface LinuxPodSandboxConfig {
  cgroup_parent?: string;
  security_context?: LinuxSandboxSecurityContext;
  sysctls?: Record<string, string>;
  overhead?: LinuxContainerResources;
  resources?: LinuxContainerResources;
}

export interface PodSandboxMetadata { name: string; uid: string; namespace: string; attempt?: number }

export interface PodSandboxConfig {
  metadata: PodSandboxMetadata;
  hostname?: string;
  log_directory?: string;
  dns_config?: DNSConfig;
  port_mappings?: PortMapping[];
  labels?: Record<string, string>;
  annotations?: Record<string, string>;
  linux?: LinuxPodSandboxConfig;
}

export interface PodSandboxNetworkStatus { ip: string; additional_ips: { ip: string }[] }

export interface PodSandboxStatus {
  id: string;
  metadata: PodSandboxMetadata | null;
  state: PodSandboxState;
  /** Nanoseconds since the epoch. */
  created_at: number;
  network: PodSandboxNetworkStatus | null;
  linux: { namespaces: { options: NamespaceOption | null } | null } | null;
  labels: Record<string, string>;
  annotations: Record<string, string>;
  runtime_handler: string;
}

export interface PodSandboxFilter {
  id?: string;
  state?: { state: PodSandboxState };
  label_selector?: Record<string, string>;
}

export interface PodSandbox {
  id: string;
  metadata: PodSandboxMetadata | null;
  state: PodSandboxState;
  created_at: number;
  labels: Record<string, string>;
  annotations: Record<string, string>;
  runtime_handler: string;
}

export interface ImageSpec { image: string; annotations?: Record<string, string> }

export interface Capability { add_capabilities?: string[]; drop_capabilities?: string[] }

export interface LinuxContainerSecurityContext {
  capabilities?: Capability;
  privileged?: boolean;
  namespace_options?: NamespaceOption;
  run_as_user?: Int64Value;
  run_as_group?: Int64Value;
  run_as_username?: string;
  readonly_rootfs?: boolean;
  supplemental_groups?: number[];
  no_new_privs?: boolean;
  masked_paths?: string[];
  readonly_paths?: string[];
  seccomp?: SecurityProfile;
  apparmor?: SecurityProfile;
}

export interface LinuxContainerConfig { resources?: LinuxContainerResources; security_context?: LinuxContainerSecurityContext }
export interface ContainerMetadata { name: string; attempt?: number }
export interface Device { container_path: string; host_path: string; permissions?: string }

export interface ContainerConfig {
  metadata: ContainerMetadata;
  image: ImageSpec;
  command?: string[];
  args?: string[];
  working_dir?: string;
  envs?: KeyValue[];
  mounts?: Mount[];
  devices?: Device[];
  labels?: Record<string, string>;
  annotations?: Record<string, string>;
  /** Relative to the sandbox's log_directory. */
  log_path?: string;
  stdin?: boolean;
  stdin_once?: boolean;
  tty?: boolean;
  linux?: LinuxContainerConfig;
}

export interface ContainerFilter {
  id?: string;
  state?: { state: ContainerState };
  pod_sandbox_id?: string;
  label_selector?: Record<string, string>;
}

export interface Container {
  id: string;
  pod_sandbox_id: string;
  metadata: ContainerMetadata | null;
  image: ImageSpec | null;
  image_ref: string;
  state: ContainerState;
  created_at: number;
  labels: Record<string, string>;
  annotations: Record<string, string>;
}

export interface ContainerStatus {
  id: string;
  metadata: ContainerMetadata | null;
  state: ContainerState;
  /** Nanoseconds since the epoch (0 when not yet started/finished). */
  created_at: number;
  started_at: number;
  finished_at: number;
  exit_code: number;
  image: ImageSpec | null;
  image_ref: string;
  reason: string;
  message: string;
  labels: Record<string, string>;
  annotations: Record<string, string>;
  mounts: Mount[];
  log_path: string;
}

export interface Image {
  id: string;
  repo_tags: string[];
  repo_digests: string[];
  size: number;
  uid: Int64Value | null;
  username: string;
  spec: ImageSpec | null;
  pinned: boolean;
}

export interface RuntimeCondition { type: string; status: boolean; reason: string; message: string }

export interface VersionResponse { version: string; runtime_name: string; runtime_version: string; runtime_api_version: string }
export interface StatusResponse { status: { conditions: RuntimeCondition[] } | null; info: Record<string, string> }
export interface RunPodSandboxRequest { config: PodSandboxConfig; runtime_handler?: string }
export interface PodSandboxStatusResponse { status: PodSandboxStatus | null; info: Record<string, string> }
export interface CreateContainerRequest { pod_sandbox_id: string; config: ContainerConfig; sandbox_config: PodSandboxConfig }
export interface ContainerStatusResponse { status: ContainerStatus | null; info: Record<string, string> }
export interface ExecSyncRequest { container_id: string; cmd: string[]; /** Seconds; 0 means none. */ timeout?: number }
export interface ExecSyncResponse { stdout: Buffer; stderr: Buffer; exit_code: number }
export interface ExecRequest { container_id: string; cmd: string[]; tty?: boolean; stdin?: boolean; stdout?: boolean; stderr?: boolean }
export interface AttachRequest { container_id: string; tty?: boolean; stdin?: boolean; stdout?: boolean; stderr?: boolean }
export interface ImageStatusResponse { image: Image | null; info: Record<string, string> }
export interface PullImageRequest { image: ImageSpec; sandbox_config?: PodSandboxConfig }

export interface UInt64Value { value: number }
export interface FilesystemUsage { timestamp: number; fs_id: { mountpoint: string } | null; used_bytes: UInt64Value | null; inodes_used: UInt64Value | null }
export interface ImageFsInfoResponse { image_filesystems: FilesystemUsage[]; container_filesystems: FilesystemUsage[] }
export interface CriCpuUsage { timestamp: number; usage_core_nano_seconds: UInt64Value | null; usage_nano_cores: UInt64Value | null }
export interface CriMemoryUsage {
  timestamp: number;
  working_set_bytes: UInt64Value | null;
  available_bytes: UInt64Value | null;
  usage_bytes: UInt64Value | null;
  rss_bytes: UInt64Value | null;
  page_faults: UInt64Value | null;
  major_page_faults: UInt64Value | null;
}
export interface ContainerStats {
  attributes: { id: string; metadata: ContainerMetadata | null; labels: Record<string, string>; annotations: Record<string, string> } | null;
  cpu: CriCpuUsage | null;
  memory: CriMemoryUsage | null;
  writable_layer: FilesystemUsage | null;
}
export interface ContainerStatsFilter { id?: string; pod_sandbox_id?: string; label_selector?: Record<string, string> }

// ---- errors ----

/** A failed CRI call: `code` is the gRPC status code (grpc.status.NOT_FOUND = 5, …). */
export class CriError extends Error {
  constructor(
    readonly method: string,
    readonly code: number,
    readonly details: string,
  ) {
    super(`CRI ${method}: ${grpc.status[code] ?? 'UNKNOWN'} (${code}): ${details}`);
    this.name = 'CriError';
  }
}

export function isCriNotFound(err: unknown): boolean {
  return err instanceof CriError && err.code === grpc.status.NOT_FOUND;
}

// ---- the client ----

const LOADER_OPTIONS: protoLoader.Options = { keepCase: true, longs: Number, enums: String, defaults: true, oneofs: true };

/** Finds api.proto from either the source tree or dist/ (tsc does not copy it): beside this module, else via the project root. */
export function criProtoPath(): string {
  const here = dirname(fileURLToPath(import.meta.url));
  const beside = join(here, 'api.proto');
  if (existsSync(beside)) return beside;
  for (let dir = here; ; ) {
    if (existsSync(join(dir, 'package.json'))) {
      const p = join(dir, 'agent', 'kubelet', 'cri', 'api.proto');
      if (existsSync(p)) return p;
    }
    const up = dirname(dir);
    if (up === dir) throw new Error('cannot find agent/kubelet/cri/api.proto');
    dir = up;
  }
}

let loaded: grpc.GrpcObject | undefined;
function criPackage(): { RuntimeService: grpc.ServiceClientConstructor; ImageService: grpc.ServiceClientConstructor } {
  loaded ??= grpc.loadPackageDefinition(protoLoader.loadSync(criProtoPath(), LOADER_OPTIONS));
  const v1 = (loaded.runtime as grpc.GrpcObject).v1 as grpc.GrpcObject;
  return { RuntimeService: v1.RuntimeService as grpc.ServiceClientConstructor, ImageService: v1.ImageService as grpc.ServiceClientConstructor };
}

export interface CallOptions {
  /** Per-call deadline; default 2 minutes (sandbox creation with CNI can take a while on a busy host). */
  timeoutMs?: number;
}

const DEFAULT_TIMEOUT_MS = 120_000;

type Rpc = (req: object, md: grpc.Metadata, opts: grpc.CallOptions, cb: (err: grpc.ServiceError | null, res: unknown) => void) => void;

export class CriClient {
  private closed = false;

  private constructor(
    private readonly runtime: grpc.Client,
    private readonly images: grpc.Client,
  ) {}

  /** Connects to a CRI runtime socket and waits (up to timeoutMs, default 10 s) until the channel is ready. */
  static async connect(socketPath: string, opts: { timeoutMs?: number } = {}): Promise<CriClient> {
    const { RuntimeService, ImageService } = criPackage();
    const address = `unix://${resolve(socketPath)}`;
    const channelOptions = { 'grpc.max_receive_message_length': 16 * 1024 * 1024, 'grpc.max_send_message_length': 16 * 1024 * 1024 };
    const runtime = new RuntimeService(address, grpc.credentials.createInsecure(), channelOptions);
    // Both services share one HTTP/2 connection.
    const images = new ImageService(address, grpc.credentials.createInsecure(), { ...channelOptions, channelOverride: runtime.getChannel() });
    const client = new CriClient(runtime, images);
    try {
      await new Promise<void>((res, rej) => runtime.waitForReady(Date.now() + (opts.timeoutMs ?? 10_000), (e) => (e ? rej(e) : res())));
    } catch (e) {
      client.close();
      throw new Error(`CRI socket ${socketPath} not ready: ${(e as Error).message}`);
    }
    return client;
  }

  close(): void {
    if (this.closed) return;
    this.closed = true;
    this.images.close();
    this.runtime.close();
  }

  private call<T>(service: grpc.Client, method: string, req: object, opts: CallOptions = {}): Promise<T> {
    const fn = (service as unknown as Record<string, Rpc>)[method];
    return new Promise<T>((res, rej) => {
      fn.call(service, req, new grpc.Metadata(), { deadline: Date.now() + (opts.timeoutMs ?? DEFAULT_TIMEOUT_MS) }, (err, out) => {
        if (err) rej(new CriError(method, err.code, err.details || err.message));
        else res(out as T);
      });
    });
  }

  // ---- RuntimeService ----

  version(req: { version?: string } = {}, o?: CallOptions): Promise<VersionResponse> {
    return this.call(this.runtime, 'Version', { version: 'v1', ...req }, o);
  }

  status(req: { verbose?: boolean } = {}, o?: CallOptions): Promise<StatusResponse> {
    return this.call(this.runtime, 'Status', req, o);
  }

  updateRuntimeConfig(req: { runtime_config: { network_config: { pod_cidr: string } } }, o?: CallOptions): Promise<Record<string, never>> {
    return this.call(this.runtime, 'UpdateRuntimeConfig', req, o);
  }

  runPodSandbox(req: RunPodSandboxRequest, o?: CallOptions): Promise<{ pod_sandbox_id: string }> {
    return this.call(this.runtime, 'RunPodSandbox', req, o);
  }

  stopPodSandbox(req: { pod_sandbox_id: string }, o?: CallOptions): Promise<Record<string, never>> {
    return this.call(this.runtime, 'StopPodSandbox', req, o);
  }

  removePodSandbox(req: { pod_sandbox_id: string }, o?: CallOptions): Promise<Record<string, never>> {
    return this.call(this.runtime, 'RemovePodSandbox', req, o);
  }

  podSandboxStatus(req: { pod_sandbox_id: string; verbose?: boolean }, o?: CallOptions): Promise<PodSandboxStatusResponse> {
    return this.call(this.runtime, 'PodSandboxStatus', req, o);
  }

  listPodSandbox(req: { filter?: PodSandboxFilter } = {}, o?: CallOptions): Promise<{ items: PodSandbox[] }> {
    return this.call(this.runtime, 'ListPodSandbox', req, o);
  }

  createContainer(req: CreateContainerRequest, o?: CallOptions): Promise<{ container_id: string }> {
    return this.call(this.runtime, 'CreateContainer', req, o);
  }

  startContainer(req: { container_id: string }, o?: CallOptions): Promise<Record<string, never>> {
    return this.call(this.runtime, 'StartContainer', req, o);
  }

  /** timeout: seconds to wait after the stop signal before SIGKILL. */
  stopContainer(req: { container_id: string; timeout?: number }, o?: CallOptions): Promise<Record<string, never>> {
    const grace = (req.timeout ?? 0) * 1000;
    return this.call(this.runtime, 'StopContainer', req, { timeoutMs: Math.max(o?.timeoutMs ?? DEFAULT_TIMEOUT_MS, grace + 30_000) });
  }

  removeContainer(req: { container_id: string }, o?: CallOptions): Promise<Record<string, never>> {
    return this.call(this.runtime, 'RemoveContainer', req, o);
  }

  listContainers(req: { filter?: ContainerFilter } = {}, o?: CallOptions): Promise<{ containers: Container[] }> {
    return this.call(this.runtime, 'ListContainers', req, o);
  }

  containerStatus(req: { container_id: string; verbose?: boolean }, o?: CallOptions): Promise<ContainerStatusResponse> {
    return this.call(this.runtime, 'ContainerStatus', req, o);
  }

  reopenContainerLog(req: { container_id: string }, o?: CallOptions): Promise<Record<string, never>> {
    return this.call(this.runtime, 'ReopenContainerLog', req, o);
  }

  execSync(req: ExecSyncRequest, o?: CallOptions): Promise<ExecSyncResponse> {
    const limit = (req.timeout ?? 0) * 1000;
    return this.call(this.runtime, 'ExecSync', req, { timeoutMs: o?.timeoutMs ?? (limit ? limit + 10_000 : DEFAULT_TIMEOUT_MS) });
  }

  /** Prepares a streaming exec session; the returned URL (on the runtime's stream server) serves it once. */
  exec(req: ExecRequest, o?: CallOptions): Promise<{ url: string }> {
    return this.call(this.runtime, 'Exec', req, o);
  }

  /** Prepares a streaming attach to the container's own stdio; the returned URL serves it once. */
  attach(req: AttachRequest, o?: CallOptions): Promise<{ url: string }> {
    return this.call(this.runtime, 'Attach', req, o);
  }

  /** Prepares port forwarding into the sandbox's network namespace; the returned URL speaks portforward.k8s.io. */
  portForward(req: { pod_sandbox_id: string; port?: number[] }, o?: CallOptions): Promise<{ url: string }> {
    return this.call(this.runtime, 'PortForward', req, o);
  }

  containerStats(req: { container_id: string }, o?: CallOptions): Promise<{ stats: ContainerStats | null }> {
    return this.call(this.runtime, 'ContainerStats', req, o);
  }

  /** Stats of the running containers the filter selects. */
  listContainerStats(req: { filter?: ContainerStatsFilter } = {}, o?: CallOptions): Promise<{ stats: ContainerStats[] }> {
    return this.call(this.runtime, 'ListContainerStats', req, o);
  }

  // ---- ImageService ----

  imageFsInfo(o?: CallOptions): Promise<ImageFsInfoResponse> {
    return this.call(this.images, 'ImageFsInfo', {}, o);
  }

  imageStatus(req: { image: ImageSpec; verbose?: boolean }, o?: CallOptions): Promise<ImageStatusResponse> {
    return this.call(this.images, 'ImageStatus', req, o);
  }

  listImages(req: { filter?: { image?: ImageSpec } } = {}, o?: CallOptions): Promise<{ images: Image[] }> {
    return this.call(this.images, 'ListImages', req, o);
  }

  pullImage(req: PullImageRequest, o?: CallOptions): Promise<{ image_ref: string }> {
    return this.call(this.images, 'PullImage', req, o);
  }

  removeImage(req: { image: ImageSpec }, o?: CallOptions): Promise<Record<string, never>> {
    return this.call(this.images, 'RemoveImage', req, o);
  }
}
