// The containerd 1.6 config (version 2) for one node. Several containerds share this host in the lab, so every path
// containerd or its runc shims would otherwise take from a global default is pointed into the node's data dir, and
// no listener is opened besides the node's own gRPC socket (and its derived `.ttrpc` socket).
import { existsSync, readFileSync } from 'node:fs';
import { mkdir, writeFile } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import type { AgentConfig } from '../config.js';

export type ContainerdNodeConfig = Pick<AgentConfig, 'dataDir' | 'containerdSocket' | 'sandboxImage' | 'cniBinDir' | 'cniConfDir'>;

export interface ContainerdPaths {
  /** containerd's persistent root (content store, snapshots, metadata). */
  root: string;
  /** containerd's runtime state (tasks, CRI sandboxes and their network-namespace mounts). */
  state: string;
  /** runc's state for this node's containers (runc's default, /run/containerd/runc, would be shared by all nodes). */
  runcRoot: string;
  /** Path of the `opt` plugin (default /opt/containerd, global). */
  opt: string;
  config: string;
  log: string;
}

export function containerdPaths(dataDir: string): ContainerdPaths {
  const base = join(dataDir, 'containerd');
  return {
    root: join(base, 'root'),
    state: join(base, 'state'),
    runcRoot: join(base, 'state', 'runc'),
    opt: join(base, 'opt'),
    config: join(base, 'config.toml'),
    log: join(base, 'containerd.log'),
  };
}

/**
 * The system-wide locations Debian's containerd.service uses, for an installed node that has the host's containerd to
 * itself (`kubets install agent`): `ctr` and `crictl` find it where they look by default.
 */
export function systemContainerdPaths(): ContainerdPaths {
  return {
    root: '/var/lib/containerd',
    state: '/run/containerd',
    runcRoot: '/run/containerd/runc',
    opt: '/opt/containerd',
    config: '/etc/kubets/containerd.toml',
    log: 'journald (journalctl -u containerd)',
  };
}

/** AppArmor confinement only works where the kernel has AppArmor enabled; elsewhere the CRI plugin must not ask for it. */
export function apparmorAvailable(): boolean {
  const f = '/sys/module/apparmor/parameters/enabled';
  return existsSync(f) && readFileSync(f, 'utf8').trim() === 'Y';
}

// TOML basic strings share JSON's escapes for everything we write (paths, image names).
const q = (s: string): string => JSON.stringify(s);

export function renderContainerdConfig(node: ContainerdNodeConfig, opts: { apparmor?: boolean; paths?: ContainerdPaths } = {}): string {
  const p = opts.paths ?? containerdPaths(node.dataDir);
  const apparmor = opts.apparmor ?? apparmorAvailable();
  const cri = 'plugins."io.containerd.grpc.v1.cri"';
  return `# Written by kubets for this node${opts.paths ? '' : '; regenerated at every start'}.
version = 2
root = ${q(p.root)}
state = ${q(p.state)}
# Snapshotters this host cannot use only add start-up noise.
disabled_plugins = ["io.containerd.snapshotter.v1.aufs", "io.containerd.snapshotter.v1.btrfs", "io.containerd.snapshotter.v1.devmapper", "io.containerd.snapshotter.v1.zfs"]

[grpc]
  address = ${q(node.containerdSocket)}

# The ttrpc socket defaults to "<grpc address>.ttrpc" (per node); debug and metrics listeners stay off.
[ttrpc]
  address = ""

[debug]
  address = ""
  level = "info"

[metrics]
  address = ""

[plugins]
  [plugins."io.containerd.internal.v1.opt"]
    path = ${q(p.opt)}

  [${cri}]
    sandbox_image = ${q(node.sandboxImage)}
    # Without CAP_SYS_RESOURCE runc cannot lower oom_score_adj below ours ("can't get final child's PID from pipe").
    restrict_oom_score_adj = true
    disable_apparmor = ${!apparmor}
    enable_selinux = false
    disable_tcp_service = true
    # Exec/attach/port-forward streaming: loopback with a kernel-chosen port, inside the node's network namespace.
    stream_server_address = "127.0.0.1"
    stream_server_port = "0"
    # Pod network namespaces are bind-mounted under this node's state dir rather than the shared /run/netns.
    netns_mounts_under_state_dir = true
    # Like containerd 2.x: pods may bind ports < 1024 and ping without extra capabilities.
    enable_unprivileged_ports = true
    enable_unprivileged_icmp = true
    max_container_log_line_size = 16384

    [${cri}.cni]
      bin_dir = ${q(node.cniBinDir)}
      conf_dir = ${q(node.cniConfDir)}
      max_conf_num = 1

    [${cri}.containerd]
      snapshotter = "overlayfs"
      default_runtime_name = "runc"

      [${cri}.containerd.runtimes.runc]
        runtime_type = "io.containerd.runc.v2"

        [${cri}.containerd.runtimes.runc.options]
          SystemdCgroup = false
          Root = ${q(p.runcRoot)}
`;
}

/** Writes the node's config.toml (creating root/state dirs) and returns its paths. */
export async function writeContainerdConfig(node: ContainerdNodeConfig, opts: { apparmor?: boolean } = {}): Promise<ContainerdPaths> {
  const p = containerdPaths(node.dataDir);
  for (const d of [p.root, p.state, p.opt, dirname(node.containerdSocket)]) await mkdir(d, { recursive: true });
  await writeFile(p.config, renderContainerdConfig(node, opts), { mode: 0o600 });
  return p;
}
