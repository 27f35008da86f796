// Where an installed kubets lives on a host (k3s's /usr/local/bin/k3s, /etc/rancher/k3s, /var/lib/rancher/k3s; kubeadm's
// /etc/kubernetes). Every path the installer writes and the uninstaller removes is named here, under one root so the
// installer's tests can run against a scratch directory.
import path from 'node:path';

export interface Layout {
  root: string;
  /** The program: dist/, package.json, production node_modules, systemd/ and bin/node. */
  opt: string;
  node: string;
  entry: string;
  /** The `kubets` command on PATH: a small script that runs the program with its own Node. */
  wrapper: string;
  etc: string;
  serverConfig: string;
  agentConfig: string;
  adminKubeconfig: string;
  containerdConfig: string;
  unitDir: string;
  units: { server: string; agent: string; nodeShutdown: string; containerdDropIn: string };
  varLib: string;
  serverData: string;
  agentData: string;
  /** Image archives the agent imports at start (k3s's agent/images): the product's own, and any the admin adds. */
  images: string;
  /** What the installer made and found, for `kubets uninstall`. */
  record: string;
  /** kubeadm hosts keep pod logs here; ours links to the agent's pod log directory. */
  podLogs: string;
  cniConfDir: string;
  /** kubeadm's: a master's certificates, kubeconfigs and static pod manifests (`kubets init`). */
  kubernetesEtc: string;
  etcdData: string;
  /** libcni's cache (containerd's CNI results). */
  cniCache: string;
  containerdSocket: string;
}

export const SERVER_UNIT = 'kubets-server.service';
export const AGENT_UNIT = 'kubets-agent.service';
export const NODE_SHUTDOWN_UNIT = 'kubets-node-shutdown.service';
export const CONTAINERD_UNIT = 'containerd.service';

export function layout(root = '/'): Layout {
  const p = (...parts: string[]) => path.join(root, ...parts);
  return {
    root,
    opt: p('opt/kubets'),
    node: p('opt/kubets/bin/node'),
    entry: p('opt/kubets/dist/cli/kubets.js'),
    wrapper: p('usr/local/bin/kubets'),
    etc: p('etc/kubets'),
    serverConfig: p('etc/kubets/server.yaml'),
    agentConfig: p('etc/kubets/agent.yaml'),
    adminKubeconfig: p('etc/kubets/admin.kubeconfig'),
    containerdConfig: p('etc/kubets/containerd.toml'),
    unitDir: p('etc/systemd/system'),
    units: {
      server: p('etc/systemd/system', SERVER_UNIT),
      agent: p('etc/systemd/system', AGENT_UNIT),
      nodeShutdown: p('etc/systemd/system', NODE_SHUTDOWN_UNIT),
      containerdDropIn: p('etc/systemd/system/containerd.service.d/kubets.conf'),
    },
    varLib: p('var/lib/kubets'),
    serverData: p('var/lib/kubets/server'),
    agentData: p('var/lib/kubets/agent'),
    images: p('var/lib/kubets/agent/images'),
    record: p('var/lib/kubets/install.json'),
    podLogs: p('var/log/pods'),
    cniConfDir: p('etc/cni/net.d'),
    kubernetesEtc: p('etc/kubernetes'),
    etcdData: p('var/lib/etcd'),
    cniCache: p('var/lib/cni'),
    containerdSocket: p('run/containerd/containerd.sock'),
  };
}

/** A path as the host sees it (the layout's root taken off), for config files and messages. */
export function hostPath(l: Layout, p: string): string {
  return '/' + path.relative(l.root, p);
}
