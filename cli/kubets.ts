#!/usr/bin/env node
// The kubets command: parses flags into one typed config per component and calls that component's start().
// Flags are declared here, apart from behaviour; the components never read argv.
import { parseArgs, type ParseArgsConfig } from 'node:util';
import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import type { AgentConfig } from '../agent/config.js';
import { agentDefaults } from '../agent/config.js';
import { isProxyMode, proxyModes, type ProxyMode } from '../agent/proxy/modes.js';
import { defaultPodNetwork, isPodNetworkMode, podNetworkModes, type PodNetworkMode } from '../api/podnetwork.js';
import type { ServerConfig } from '../control-plane/config.js';
import { serverDefaults } from '../control-plane/config.js';
import { ServiceNotifier } from '../api/sdnotify.js';
import { readConfigFile, withConfigFile, type FlagValues } from './configfile.js';
import { componentCommands } from './components.js';
import { dnsCommand } from './dns.js';
import { doctorCommand } from './doctor.js';
import { ingressCommand } from './ingress.js';
import { logCollectorCommand, clusterLogsCommand } from './logging.js';
import { metricsServerCommand } from './metrics-server.js';
import { dashboardCommand } from './dashboard.js';
import { prometheusSDCommand } from './prometheus-sd.js';

type Options = NonNullable<ParseArgsConfig['options']>;

const pkg = JSON.parse(fs.readFileSync(path.join(path.dirname(fileURLToPath(import.meta.url)), '../../package.json'), 'utf8')) as { version: string };

class UsageError extends Error {}

interface Command {
  summary: string;
  usage: string;
  options: Options;
  /** The flags a --config file may set, when they are another command's (default: this command's options). */
  configKeys?: Options;
  /** The command reads --config itself (kube-proxy's KubeProxyConfiguration), not as a file of its flags. */
  ownConfigFile?: boolean;
  help: Record<string, string>;
  run(values: Record<string, string | boolean | undefined>, positionals: string[], ctx?: RunContext): Promise<void>;
}

interface RunContext {
  /** Build and check the component's config from the values, then return without starting anything (the installer's check). */
  validateOnly?: boolean;
}

const serverCmd: Command = {
  summary: 'Run the control plane: API server (SQLite store), scheduler and controllers',
  usage: 'kubets server --data-dir DIR [flags]',
  options: {
    config: { type: 'string' },
    'data-dir': { type: 'string' },
    'bind-address': { type: 'string' },
    port: { type: 'string' },
    'advertise-address': { type: 'string' },
    'tls-san': { type: 'string', multiple: true },
    datastore: { type: 'string' },
    'cluster-cidr': { type: 'string' },
    'pod-network': { type: 'string' },
    'service-cidr': { type: 'string' },
    'service-node-port-range': { type: 'string' },
    'node-monitor-grace-period': { type: 'string' },
    'horizontal-pod-autoscaler-sync-period': { type: 'string' },
    'disable-controllers': { type: 'boolean' },
    'token-auth-file': { type: 'string' },
    'encryption-provider-config': { type: 'string' },
    'service-account-issuer': { type: 'string' },
    'max-requests-inflight': { type: 'string' },
    'max-mutating-requests-inflight': { type: 'string' },
    'watch-cache': { type: 'string' },
    'etcd-cafile': { type: 'string' },
    'etcd-certfile': { type: 'string' },
    'etcd-keyfile': { type: 'string' },
  },
  help: {
    config: 'YAML file of flag values (keys are flag names, e.g. /etc/kubets/server.yaml); flags given here override it',
    'data-dir': 'where the database, pki/ and admin.kubeconfig live (required)',
    'bind-address': `address to listen on (default ${serverDefaults.bindAddress})`,
    port: `HTTPS port (default ${serverDefaults.port})`,
    'advertise-address': 'address written into kubeconfigs and the kubernetes Service (default: --bind-address unless 0.0.0.0, else first non-loopback IPv4, else 127.0.0.1)',
    'tls-san': 'extra IP or DNS name for the serving certificate (repeatable)',
    datastore: 'sqlite (default), sqlite:///path/to/file.db, or etcd://host:port[,host:port…]',
    'cluster-cidr': `pod network (default ${serverDefaults.clusterCIDR})`,
    'pod-network': `the cluster's pod network for agents not given one: ${podNetworkModes.join(', ')} (default ${serverDefaults.podNetwork})`,
    'service-cidr': `service ClusterIP range (default ${serverDefaults.serviceCIDR})`,
    'service-node-port-range': 'NodePort range (default 30000-32767)',
    'node-monitor-grace-period': `seconds without a heartbeat before a node is NotReady (default ${serverDefaults.nodeMonitorGracePeriodSeconds})`,
    'horizontal-pod-autoscaler-sync-period': 'seconds between reconciliations of each HorizontalPodAutoscaler (default 15)',
    'disable-controllers': 'serve the API only: no scheduler, no controllers',
    'token-auth-file': 'static bearer tokens, one per line: token,user,uid,"group1,group2"',
    'encryption-provider-config': 'EncryptionConfiguration file: encrypt Secrets (or other resources) at rest',
    'service-account-issuer': 'issuer of service-account tokens (default https://kubernetes.default.svc.cluster.local)',
    'max-requests-inflight': 'read-only requests served at once before 429 (default 400)',
    'max-mutating-requests-inflight': 'mutating requests served at once before 429 (default 200)',
    'watch-cache': 'true (default) or false: serve lists, watches and gets at resourceVersion 0 from memory',
    'etcd-cafile': 'CA that signs the etcd servers\' certificates (https:// datastore endpoints)',
    'etcd-certfile': 'client certificate for etcd',
    'etcd-keyfile': 'client key for etcd',
  },
  async run(v, _pos, ctx) {
    if (!v['data-dir']) throw new UsageError('--data-dir is required');
    const range = String(v['service-node-port-range'] ?? '30000-32767').split('-').map(Number);
    if (range.length !== 2 || range.some((n) => !Number.isInteger(n)) || range[0] > range[1]) throw new UsageError(`--service-node-port-range "${v['service-node-port-range']}": want LOW-HIGH`);
    const port = Number(v.port ?? serverDefaults.port);
    if (!Number.isInteger(port) || port < 1 || port > 65535) throw new UsageError(`--port "${v.port}": want a port number`);
    const bindAddress = String(v['bind-address'] ?? serverDefaults.bindAddress);
    const config: ServerConfig = {
      ...serverDefaults,
      dataDir: path.resolve(String(v['data-dir'])),
      bindAddress,
      port,
      // kube-apiserver's rule: a specific bind address is also the address clients are told to use.
      advertiseAddress: String(v['advertise-address'] ?? (isUnspecified(bindAddress) ? await defaultAddress() : bindAddress)),
      extraSANs: (v['tls-san'] as unknown as string[] | undefined) ?? [],
      datastore: String(v.datastore ?? serverDefaults.datastore),
      clusterCIDR: String(v['cluster-cidr'] ?? serverDefaults.clusterCIDR),
      podNetwork: parsePodNetworkFlag(v['pod-network']) ?? serverDefaults.podNetwork,
      serviceCIDR: String(v['service-cidr'] ?? serverDefaults.serviceCIDR),
      nodePortRange: [range[0], range[1]],
      runControllers: !v['disable-controllers'],
      nodeMonitorGracePeriodSeconds: Number(v['node-monitor-grace-period'] ?? serverDefaults.nodeMonitorGracePeriodSeconds),
      ...(v['horizontal-pod-autoscaler-sync-period'] !== undefined ? { horizontalPodAutoscalerSyncPeriodSeconds: positiveInt(v['horizontal-pod-autoscaler-sync-period'], 'horizontal-pod-autoscaler-sync-period', 15) } : {}),
      tokenAuthFile: v['token-auth-file'] ? path.resolve(String(v['token-auth-file'])) : undefined,
      encryptionProviderConfig: v['encryption-provider-config'] ? path.resolve(String(v['encryption-provider-config'])) : undefined,
      serviceAccountIssuer: v['service-account-issuer'] as string | undefined,
      maxRequestsInflight: positiveInt(v['max-requests-inflight'], 'max-requests-inflight', serverDefaults.maxRequestsInflight),
      maxMutatingRequestsInflight: positiveInt(v['max-mutating-requests-inflight'], 'max-mutating-requests-inflight', serverDefaults.maxMutatingRequestsInflight),
      watchCache: trueOrFalse(v['watch-cache'], 'watch-cache', serverDefaults.watchCache),
      etcdCAFile: v['etcd-cafile'] as string | undefined,
      etcdCertFile: v['etcd-certfile'] as string | undefined,
      etcdKeyFile: v['etcd-keyfile'] as string | undefined,
    };
    if (ctx?.validateOnly) return;
    const notifier = new ServiceNotifier();
    const { startServer } = await import('../control-plane/index.js');
    const server = await startServer(config);
    // systemd's Type=notify: ready once the API answers where it listens.
    await apiAnswers(server.adminKubeconfig, `https://${isUnspecified(bindAddress) ? '127.0.0.1' : bindAddress}:${port}`);
    await notifier.ready(`serving ${server.url}`).catch((e) => process.stderr.write(`kubets server: telling systemd: ${(e as Error).message}\n`));
    process.stderr.write(`kubets server: serving ${server.url}; admin kubeconfig: ${server.adminKubeconfig}\n`);
    await untilSignal(() => server.close(), notifier);
  },
};

/** `kubets apiserver`: the API server alone, as kube-apiserver runs in its static pod beside the other components. */
const apiserverCmd: Command = {
  summary: 'Run the API server alone (kube-apiserver): the controller manager and scheduler run as their own commands',
  usage: 'kubets apiserver --data-dir DIR [flags]',
  options: Object.fromEntries(Object.entries(serverCmd.options).filter(([k]) => k !== 'disable-controllers')),
  help: Object.fromEntries(Object.entries(serverCmd.help).filter(([k]) => k !== 'disable-controllers')),
  async run(v, positionals) {
    process.title = 'kube-apiserver';
    await serverCmd.run({ ...v, 'disable-controllers': true }, positionals);
  },
};

function parseTaints(text: string | undefined): AgentConfig['registerWithTaints'] {
  if (!text) return [];
  return text.split(',').map((t) => {
    const m = /^([^=:]+)(?:=([^:]*))?:(NoSchedule|PreferNoSchedule|NoExecute)$/.exec(t.trim());
    if (!m) throw new UsageError(`--register-with-taints "${t}": want key[=value]:NoSchedule|PreferNoSchedule|NoExecute`);
    return { key: m[1], ...(m[2] !== undefined ? { value: m[2] } : {}), effect: m[3] as 'NoSchedule' };
  });
}

function parseLabels(text: string | undefined): Record<string, string> {
  const out: Record<string, string> = {};
  if (!text) return out;
  for (const kv of text.split(',')) {
    const i = kv.indexOf('=');
    if (i <= 0) throw new UsageError(`--node-labels "${kv}": want key=value`);
    out[kv.slice(0, i).trim()] = kv.slice(i + 1).trim();
  }
  return out;
}

function positiveInt(value: string | boolean | undefined, flag: string, dflt: number): number {
  if (value === undefined) return dflt;
  const n = Number(value);
  if (!Number.isInteger(n) || n < 1) throw new UsageError(`--${flag} "${value}": want a whole number of at least 1`);
  return n;
}

/** A boolean flag given as --flag=true|false (a config file's YAML true/false too). */
function trueOrFalse(value: string | boolean | undefined, flag: string, dflt: boolean): boolean {
  if (value === undefined) return dflt;
  if (String(value) === 'true') return true;
  if (String(value) === 'false') return false;
  throw new UsageError(`--${flag} "${value}": want true or false`);
}

function parseProxyModeFlag(value: string | boolean | undefined): ProxyMode {
  const mode = String(value ?? agentDefaults.proxyMode);
  if (!isProxyMode(mode)) throw new UsageError(`--proxy-mode "${mode}": want one of ${proxyModes.join(', ')}`);
  return mode;
}

/** --pod-network's value, or undefined when not given (an agent then follows the cluster). */
function parsePodNetworkFlag(value: string | boolean | undefined): PodNetworkMode | undefined {
  if (value === undefined) return undefined;
  const mode = String(value);
  if (!isPodNetworkMode(mode)) throw new UsageError(`--pod-network "${mode}": want one of ${podNetworkModes.join(', ')}`);
  return mode;
}

const agentCmd: Command = {
  summary: 'Run the node agent: kubelet on containerd (CRI), CNI bridge networking and kube-proxy',
  usage: 'kubets agent --node-name NAME --node-ip IP --data-dir DIR (--kubeconfig FILE | --server URL --token T --discovery-token-ca-cert-hash sha256:H) [flags]',
  options: {
    config: { type: 'string' },
    'node-name': { type: 'string' },
    'node-ip': { type: 'string' },
    kubeconfig: { type: 'string' },
    server: { type: 'string' },
    token: { type: 'string' },
    'discovery-token-ca-cert-hash': { type: 'string', multiple: true },
    'no-rotate-certificates': { type: 'boolean' },
    'disable-proxy': { type: 'boolean' },
    'disable-network-policy': { type: 'boolean' },
    'metrics-bind-address': { type: 'string' },
    'data-dir': { type: 'string' },
    'pod-manifest-path': { type: 'string' },
    'pod-log-dir': { type: 'string' },
    'containerd-socket': { type: 'string' },
    'run-containerd': { type: 'boolean' },
    'images-dir': { type: 'string' },
    'cni-bin-dir': { type: 'string' },
    'cni-conf-dir': { type: 'string' },
    'cgroup-parent': { type: 'string' },
    'register-with-taints': { type: 'string' },
    'node-labels': { type: 'string' },
    'sandbox-image': { type: 'string' },
    'proxy-mode': { type: 'string' },
    'pod-network': { type: 'string' },
    'cluster-cidr': { type: 'string' },
    'service-cidr': { type: 'string' },
    'cluster-dns': { type: 'string' },
    'cluster-domain': { type: 'string' },
  },
  help: {
    config: 'YAML file of flag values (keys are flag names, e.g. /etc/kubets/agent.yaml); flags given here override it',
    'node-name': 'the Node name to register (required)',
    'node-ip': 'the node InternalIP (required)',
    kubeconfig: 'the node\'s kubeconfig; written by the join when absent (default DATA_DIR/kubelet.kubeconfig)',
    server: 'API server to join, https://IP:6443 (with --token and --discovery-token-ca-cert-hash)',
    token: 'bootstrap token to join with (kubets token create)',
    'discovery-token-ca-cert-hash': 'sha256:… pin of the cluster CA\'s public key (repeatable)',
    'no-rotate-certificates': 'keep the client certificate as it is and serve :10250 with a node-made certificate',
    'disable-proxy': 'do not run kube-proxy in the agent (it runs as the kube-proxy DaemonSet)',
    'disable-network-policy': 'do not enforce NetworkPolicies on this node (its kubets-netpol nftables table is removed)',
    'metrics-bind-address': 'address:port of kube-proxy\'s metrics server (default 127.0.0.1:10249)',
    'data-dir': 'where the agent keeps containerd state, CNI config, pod volumes (required)',
    'pod-manifest-path': `static pod manifests, run with or without an API server (default ${agentDefaults.podManifestPath}; "" for none)`,
    'pod-log-dir': `where container logs are written, <ns>_<pod>_<uid>/<container>/<n>.log (default ${agentDefaults.podLogDir})`,
    'containerd-socket': 'containerd socket (default DATA_DIR/containerd/containerd.sock)',
    'run-containerd': 'start and supervise containerd as a child',
    'images-dir': 'import every *.tar image archive here into containerd at start',
    'cni-bin-dir': `CNI plugin binaries (default ${agentDefaults.cniBinDir})`,
    'cni-conf-dir': 'where the CNI conflist is written (default DATA_DIR/cni/net.d)',
    'cgroup-parent': 'cgroup parent for pods (default /kubets-NODE_NAME)',
    'register-with-taints': 'key[=value]:Effect,… taints to register with',
    'node-labels': 'k=v,… labels to register with',
    'sandbox-image': `pause image (default ${agentDefaults.sandboxImage})`,
    'proxy-mode': `kube-proxy mode: ${proxyModes.join(', ')} (default ${agentDefaults.proxyMode})`,
    'pod-network': `how pods reach other nodes' pods: ${podNetworkModes.join(', ')} (VXLAN overlay, device kubets.1, UDP 8472) (default: the cluster's, which is ${defaultPodNetwork} unless the server sets --pod-network)`,
    'cluster-cidr': `pod network (default ${agentDefaults.clusterCIDR})`,
    'service-cidr': `service range (default ${agentDefaults.serviceCIDR})`,
    'cluster-dns': `DNS server IP given to pods (default ${agentDefaults.clusterDNS})`,
    'cluster-domain': `cluster domain (default ${agentDefaults.clusterDomain})`,
  },
  async run(v, _pos, ctx) {
    for (const f of ['node-name', 'node-ip', 'data-dir']) if (!v[f]) throw new UsageError(`--${f} is required`);
    const joining = v.server !== undefined || v.token !== undefined || v['discovery-token-ca-cert-hash'] !== undefined;
    if (joining && (!v.server || !v.token || !v['discovery-token-ca-cert-hash'])) throw new UsageError('joining needs all of --server, --token and --discovery-token-ca-cert-hash');
    const dataDir = path.resolve(String(v['data-dir']));
    const nodeName = String(v['node-name']);
    const proxyMode = parseProxyModeFlag(v['proxy-mode']);
    const config: AgentConfig = {
      ...agentDefaults,
      nodeName,
      nodeIP: String(v['node-ip']),
      kubeconfig: path.resolve(String(v.kubeconfig ?? path.join(dataDir, 'kubelet.kubeconfig'))),
      join: joining ? { server: String(v.server), token: String(v.token), caCertHashes: v['discovery-token-ca-cert-hash'] as unknown as string[] } : undefined,
      rotateCertificates: !v['no-rotate-certificates'],
      embeddedProxy: !v['disable-proxy'],
      networkPolicy: !v['disable-network-policy'],
      proxyMetricsBindAddress: String(v['metrics-bind-address'] ?? agentDefaults.proxyMetricsBindAddress),
      dataDir,
      podManifestPath: v['pod-manifest-path'] === undefined ? agentDefaults.podManifestPath : v['pod-manifest-path'] ? path.resolve(String(v['pod-manifest-path'])) : '',
      podLogDir: path.resolve(String(v['pod-log-dir'] ?? agentDefaults.podLogDir)),
      containerdSocket: String(v['containerd-socket'] ?? path.join(dataDir, 'containerd', 'containerd.sock')),
      runContainerd: !!v['run-containerd'],
      imagesDir: v['images-dir'] ? path.resolve(String(v['images-dir'])) : undefined,
      cniBinDir: String(v['cni-bin-dir'] ?? agentDefaults.cniBinDir),
      cniConfDir: String(v['cni-conf-dir'] ?? path.join(dataDir, 'cni', 'net.d')),
      registerWithTaints: parseTaints(v['register-with-taints'] as string | undefined),
      nodeLabels: parseLabels(v['node-labels'] as string | undefined),
      cgroupParent: String(v['cgroup-parent'] ?? `/kubets-${nodeName}`),
      sandboxImage: String(v['sandbox-image'] ?? agentDefaults.sandboxImage),
      podNetwork: parsePodNetworkFlag(v['pod-network']),
      proxyMode,
      clusterCIDR: String(v['cluster-cidr'] ?? agentDefaults.clusterCIDR),
      serviceCIDR: String(v['service-cidr'] ?? agentDefaults.serviceCIDR),
      clusterDNS: String(v['cluster-dns'] ?? agentDefaults.clusterDNS),
      clusterDomain: String(v['cluster-domain'] ?? agentDefaults.clusterDomain),
    };
    if (ctx?.validateOnly) return;
    const notifier = new ServiceNotifier();
    const { startAgent } = await import('../agent/index.js');
    // systemd's Type=notify: ready once the Node is registered.
    const onRegistered = (node: string) => void notifier.ready(`node ${node} registered`).catch((e) => process.stderr.write(`kubets agent: telling systemd: ${(e as Error).message}\n`));
    const agent = await startAgent(config, { onRegistered });
    await notifier.status(`node ${nodeName} (${config.nodeIP}) running`).catch(() => undefined);
    process.stderr.write(`kubets agent: node ${nodeName} (${config.nodeIP}) running\n`);
    await untilSignal(() => agent.close(), notifier);
  },
};

const labCmd: Command = {
  summary: 'A one-machine lab: master + worker1..3 on the kubets0 bridge, as network namespaces or booted machines',
  usage: 'kubets lab up [--machines netns|nspawn] [--proxy-mode MODE] [--pod-network host-gw|vxlan] | down | status | kubeconfig | exec NODE -- CMD…',
  options: { timeout: { type: 'string' }, 'proxy-mode': { type: 'string' }, 'pod-network': { type: 'string' }, machines: { type: 'string' } },
  help: {
    timeout: 'seconds `lab up` waits for every node Ready and kube-system running (default 480; 600 with --machines nspawn)',
    machines: 'netns (default): network namespaces in one process tree; nspawn: booted Debian 12 machines (systemd-nspawn) provisioned with kubets init / join',
    'proxy-mode': `kube-proxy mode of every node's agent: ${proxyModes.join(', ')} (default ${agentDefaults.proxyMode})`,
    'pod-network': `pod network of every node's agent and the cluster's default: ${podNetworkModes.join(', ')} (default ${defaultPodNetwork})`,
  },
  async run(v, pos) {
    const lab = await import('../lab/index.js');
    switch (pos[0]) {
      case 'up': {
        const proxyMode = parseProxyModeFlag(v['proxy-mode']);
        const podNetwork = parsePodNetworkFlag(v['pod-network']);
        const machines = String(v.machines ?? 'netns');
        if (machines !== 'netns' && machines !== 'nspawn') throw new UsageError(`--machines "${machines}": want netns or nspawn`);
        await lab.labUp({ onProgress: (m: string) => process.stdout.write(`${m}\n`), timeoutSeconds: v.timeout ? Number(v.timeout) : undefined, proxyMode, podNetwork, machines });
        process.stdout.write(`\nlab is up. Try:\n  export KUBECONFIG=${lab.labKubeconfigPath()}\n  kubectl get nodes -o wide\n  kubets lab exec worker1 -- curl -s 127.0.0.1:10249/proxyMode\n`);
        return;
      }
      case 'exec': {
        const [node, ...argv] = pos.slice(1);
        if (!node || !argv.length) throw new UsageError('lab exec needs a node and a command: kubets lab exec NODE -- CMD…');
        process.exitCode = await lab.labExec(node, argv);
        return;
      }
      case 'down':
        await lab.labDown({ onProgress: (m: string) => process.stdout.write(`${m}\n`) });
        process.stdout.write('lab is down\n');
        return;
      case 'status':
        process.stdout.write(`${(await lab.labStatus()).summary}\n`);
        return;
      case 'kubeconfig':
        process.stdout.write(`${lab.labKubeconfigPath()}\n`);
        return;
      default:
        throw new UsageError(pos[0] ? `unknown lab command "${pos[0]}"` : 'lab needs a command: up, down, status, kubeconfig or exec');
    }
  },
};

/** The admin kubeconfig: --kubeconfig, else $KUBECONFIG, else the installed one. */
const adminKubeconfig = (v: Record<string, string | boolean | undefined>) => String(v.kubeconfig ?? process.env.KUBECONFIG ?? '/etc/kubets/admin.kubeconfig');

const tokenCmd: Command = {
  summary: 'Manage bootstrap tokens for joining nodes: create, list, delete',
  usage: 'kubets token create [--ttl 24h] [--description TEXT] [--print-join-command] | list | delete TOKEN_ID',
  options: { kubeconfig: { type: 'string' }, ttl: { type: 'string' }, description: { type: 'string' }, 'print-join-command': { type: 'boolean' } },
  help: {
    kubeconfig: 'admin kubeconfig (default $KUBECONFIG, else /etc/kubets/admin.kubeconfig)',
    ttl: 'how long the token is valid: 24h (default), 90m, 0 for never',
    description: 'a note stored with the token',
    'print-join-command': 'print the whole kubets join command instead of the token alone',
  },
  async run(v, pos) {
    const tokens = await import('../api/bootstraptoken.js');
    const kubeconfig = adminKubeconfig(v);
    switch (pos[0]) {
      case 'create': {
        const token = await tokens.createToken(kubeconfig, { ttlSeconds: tokens.parseTTL(String(v.ttl ?? '24h')), description: v.description as string | undefined, token: pos[1] });
        process.stdout.write(`${v['print-join-command'] ? tokens.joinCommand(kubeconfig, token) : token}\n`);
        return;
      }
      case 'list':
        process.stdout.write(await tokens.listTokens(kubeconfig));
        return;
      case 'delete':
        if (!pos[1]) throw new UsageError('token delete needs a token id');
        process.stdout.write(`${await tokens.deleteToken(kubeconfig, pos[1])}\n`);
        return;
      default:
        throw new UsageError(pos[0] ? `unknown token command "${pos[0]}"` : 'token needs a command: create, list or delete');
    }
  },
};

// ---- installing on hosts: kubets install | init | join | uninstall ----

type Values = Record<string, string | boolean | undefined>;
const without = (o: Options, drop: string[]): Options => Object.fromEntries(Object.entries(o).filter(([k]) => !drop.includes(k)));
const helpFor = (c: Command, keys: string[]) => Object.fromEntries(keys.filter((k) => c.help[k]).map((k) => [k, c.help[k]]));

/** What the installer needs from this command line: the components' flags and their own checks. */
async function installDeps() {
  const [{ realHost, layout }, { discoverClusterCA }, { buildImages }] = await Promise.all([import('./install/index.js'), import('../agent/bootstrap.js'), import('../lab/images/build.js')]);
  const here = path.dirname(fileURLToPath(import.meta.url));
  return {
    host: realHost(),
    layout: layout('/'),
    source: { dir: path.resolve(here, '..', '..'), node: process.execPath },
    options: { server: serverCmd.options, agent: agentCmd.options },
    validate: (component: 'server' | 'agent', values: FlagValues) => (component === 'server' ? serverCmd : agentCmd).run(values as Values, [], { validateOnly: true }),
    discover: (join: { server: string; token: string; caCertHashes: string[] }) => discoverClusterCA(join, { timeoutMs: 20_000 }),
    kubeProxyDaemonSet: async (join: { server: string; token: string }, ca: string) => {
      const { ApiClient } = await import('../api/client.js');
      const { Resources } = await import('../api/resources.js');
      const { StatusError } = await import('../api/errors.js');
      const client = new ApiClient({ server: join.server, ca, token: join.token, userAgent: 'kubets-join' });
      try {
        await client.get(Resources.configmaps, 'kube-system', 'kube-proxy');
        return true;
      } catch (e) {
        // No such ConfigMap, or a cluster whose tokens may not read it (not kubeadm-shaped): the agent runs its proxy.
        if (e instanceof StatusError && (e.code === 404 || e.code === 403)) return false;
        throw e;
      } finally {
        client.close();
      }
    },
    buildImages,
  };
}

/** Only the flags of one component, as given (unset ones left out). */
function flagsOf(v: Values, options: Options, component: string): FlagValues {
  const out: FlagValues = {};
  for (const [k, val] of Object.entries(v)) {
    if (val === undefined) continue;
    if (!(k in options)) throw new UsageError(`--${k} is not a kubets ${component} flag`);
    out[k] = val as FlagValues[string];
  }
  return out;
}

const installCmd: Command = {
  summary: 'Install kubets on this host as a systemd service: the control plane (server) or a node agent',
  usage: 'kubets install server [server flags] | kubets install agent --server https://IP:6443 --token T --discovery-token-ca-cert-hash sha256:H [agent flags]',
  options: { ...without(serverCmd.options, ['config']), ...without(agentCmd.options, ['config', 'run-containerd']) },
  help: {
    ...helpFor(serverCmd, Object.keys(serverCmd.options).filter((k) => k !== 'config')),
    ...helpFor(agentCmd, Object.keys(agentCmd.options).filter((k) => k !== 'config' && k !== 'run-containerd')),
  },
  async run(v, pos) {
    const component = pos[0];
    if (component !== 'server' && component !== 'agent') throw new UsageError(component ? `unknown component "${component}": want server or agent` : 'install what? kubets install server | agent');
    if (pos.length > 1) throw new UsageError(`unexpected argument "${pos[1]}"`);
    const { installServer, installAgent } = await import('./install/index.js');
    const deps = await installDeps();
    if (component === 'server') {
      const r = await installServer(deps, flagsOf(v, serverCmd.options, 'server'));
      process.stdout.write(`\nkubets server is installed and running (${r.url}).\nUse kubectl with: export KUBECONFIG=/etc/kubets/admin.kubeconfig\n`);
    } else {
      const r = await installAgent(deps, flagsOf(v, agentCmd.options, 'agent'));
      process.stdout.write(`\nkubets agent is installed and running: node ${r.nodeName} (${r.nodeIP}) joined the cluster.\n`);
    }
  },
};

const initOwn: Options = { 'node-name': { type: 'string' }, 'node-ip': { type: 'string' }, 'proxy-mode': { type: 'string' }, token: { type: 'string' }, 'token-ttl': { type: 'string' } };
const initCmd: Command = {
  summary: 'Set up the first control-plane host as kubeadm init does: static pods for etcd and the control plane, this node\'s agent, the add-ons, and the join command',
  usage: 'kubets init [--advertise-address IP] [--node-name NAME] [--port P] [--service-cidr C] [--cluster-cidr C] [--proxy-mode M] [--pod-network host-gw|vxlan]',
  options: { ...without(serverCmd.options, ['config', 'data-dir']), ...initOwn },
  help: {
    ...helpFor(serverCmd, Object.keys(serverCmd.options).filter((k) => k !== 'config' && k !== 'data-dir')),
    'node-name': 'this node\'s name (default: the host name)',
    'node-ip': 'this node\'s InternalIP (default: the advertise address)',
    'proxy-mode': `mode of the kube-proxy DaemonSet (its ConfigMap): ${proxyModes.join(', ')} (default ${agentDefaults.proxyMode})`,
    token: 'the bootstrap token to create, [a-z0-9]{6}.[a-z0-9]{16} (default: a random one)',
    'token-ttl': 'how long the bootstrap token is valid (default 24h, 0 for never)',
  },
  async run(v) {
    const { init } = await import('./install/index.js');
    const own = Object.keys(initOwn);
    const serverFlags = flagsOf(Object.fromEntries(Object.entries(v).filter(([k]) => !own.includes(k))), serverCmd.options, 'server');
    if (v['proxy-mode'] !== undefined) parseProxyModeFlag(v['proxy-mode']);
    parsePodNetworkFlag(v['pod-network']);
    const r = await init(await installDeps(), serverFlags, {
      nodeName: v['node-name'] as string | undefined,
      nodeIP: v['node-ip'] as string | undefined,
      proxyMode: v['proxy-mode'] as string | undefined,
      token: v.token as string | undefined,
      tokenTTL: v['token-ttl'] as string | undefined,
    });
    process.stdout.write(`\nYour kubets control plane is up.\n\nTo use kubectl:\n  export KUBECONFIG=${r.adminKubeconfig}\n\nJoin worker nodes by running this on each as root:\n\n${r.joinCommand}\n`);
  },
};

const joinCmd: Command = {
  summary: 'Join this host to a cluster as a node: install the agent and wait until the node is registered',
  usage: 'kubets join https://IP:6443 --token T --discovery-token-ca-cert-hash sha256:H [agent flags]',
  options: without(agentCmd.options, ['config', 'run-containerd', 'server']),
  help: helpFor(agentCmd, Object.keys(agentCmd.options).filter((k) => !['config', 'run-containerd', 'server'].includes(k))),
  async run(v, pos) {
    if (pos.length > 1) throw new UsageError(`unexpected argument "${pos[1]}"`);
    const { join } = await import('./install/index.js');
    const r = await join(await installDeps(), pos[0], flagsOf(v, agentCmd.options, 'agent'));
    process.stdout.write(`\nThis node (${r.nodeName}, ${r.nodeIP}) has joined the cluster: run kubectl get nodes on the control plane to see it.\n`);
  },
};

const uninstallCmd: Command = {
  summary: 'Remove kubets from this host: units, pods, rules, links, mounts, files and processes it made',
  usage: 'kubets uninstall',
  options: {},
  help: {},
  async run() {
    const { uninstall, realHost, layout } = await import('./install/index.js');
    const l = layout('/');
    const nodeName = (() => {
      try {
        return /^node-name:\s*(\S+)/m.exec(fs.readFileSync(l.agentConfig, 'utf8'))?.[1];
      } catch {
        return undefined;
      }
    })();
    const report = await uninstall(realHost(), l);
    for (const n of report.notes) process.stdout.write(`${n}\n`);
    if (nodeName) process.stdout.write(`The Node ${nodeName} stays in the cluster's API as NotReady: remove it there with \`kubectl delete node ${nodeName}\`.\n`);
    process.stdout.write('kubets is uninstalled\n');
  },
};

const nodeShutdownCmd: Command = {
  summary: 'Stop this node\'s pods and their networks as the host shuts down (kubets-node-shutdown.service runs it)',
  usage: 'kubets node-shutdown [--config /etc/kubets/agent.yaml] [--grace-period SECONDS]',
  options: { config: { type: 'string' }, 'containerd-socket': { type: 'string' }, 'grace-period': { type: 'string' } },
  configKeys: agentCmd.options,
  help: {
    config: 'the agent\'s config file, for its containerd socket',
    'containerd-socket': 'containerd socket (default /run/containerd/containerd.sock)',
    'grace-period': 'seconds a container gets between SIGTERM and SIGKILL (default 10)',
  },
  async run(v) {
    const grace = Number(v['grace-period'] ?? 10);
    if (!Number.isInteger(grace) || grace < 0) throw new UsageError(`--grace-period "${v['grace-period']}": want whole seconds`);
    const { stopAllPods } = await import('../agent/shutdown.js');
    const r = await stopAllPods(String(v['containerd-socket'] ?? '/run/containerd/containerd.sock'), grace);
    process.stdout.write(`kubets node-shutdown: stopped ${r.containers} container(s) and ${r.sandboxes} pod sandbox(es)\n`);
    if (r.errors.length) throw new Error(r.errors.join('; '));
  },
};

const versionCmd: Command = {
  summary: 'Print the kubets version',
  usage: 'kubets version',
  options: {},
  help: {},
  async run() {
    process.stdout.write(`kubets v${pkg.version} (Kubernetes API v1.32, node ${process.versions.node})\n`);
  },
};

const commands: Record<string, Command> = {
  server: serverCmd,
  apiserver: apiserverCmd,
  agent: agentCmd,
  ...componentCommands({ UsageError, untilSignal }),
  dns: dnsCommand({ UsageError, untilSignal }),
  'ingress-controller': ingressCommand({ UsageError, untilSignal }),
  'metrics-server': metricsServerCommand({ UsageError, untilSignal }),
  'log-collector': logCollectorCommand({ UsageError, untilSignal }),
  'cluster-logs': clusterLogsCommand({ UsageError, untilSignal }),
  dashboard: dashboardCommand({ UsageError, untilSignal }),
  'prometheus-sd': prometheusSDCommand({ UsageError, untilSignal }),
  init: initCmd,
  join: joinCmd,
  install: installCmd,
  uninstall: uninstallCmd,
  'node-shutdown': nodeShutdownCmd,
  token: tokenCmd,
  doctor: doctorCommand({ UsageError }),
  lab: labCmd,
  version: versionCmd,
};

function commandHelp(name: string, c: Command): string {
  const width = Math.max(26, ...Object.keys(c.options).map((f) => f.length));
  const flags = Object.keys(c.options).map((f) => `  --${f.padEnd(width)} ${c.help[f] ?? ''}`);
  return `${c.summary}\n\nUsage:\n  ${c.usage}\n${flags.length ? `\nFlags:\n${flags.join('\n')}\n` : ''}  --${'help'.padEnd(width)} show this help\n`;
}

function mainHelp(): string {
  const width = Math.max(...Object.keys(commands).map((n) => n.length));
  const lines = Object.entries(commands).map(([n, c]) => `  ${n.padEnd(width)}  ${c.summary}`);
  return `kubets: the Kubernetes architecture in TypeScript\n\nUsage:\n  kubets COMMAND [flags]\n\nCommands:\n${lines.join('\n')}\n\nRun 'kubets COMMAND --help' for a command's flags.\n`;
}

/** 0.0.0.0 and :: listen on every address, so they name none a client could use. */
const isUnspecified = (addr: string) => addr === '0.0.0.0' || addr === '::' || addr === '';

async function defaultAddress(): Promise<string> {
  const os = await import('node:os');
  for (const addrs of Object.values(os.networkInterfaces())) for (const a of addrs ?? []) if (a.family === 'IPv4' && !a.internal) return a.address;
  return '127.0.0.1';
}

/** Polls the API's /readyz on `url` (the admin kubeconfig's credentials) until it answers 200. */
async function apiAnswers(kubeconfig: string, url: string, timeoutMs = 60_000): Promise<void> {
  const { ApiClient, loadKubeconfig } = await import('../api/client.js');
  const client = new ApiClient({ ...loadKubeconfig(kubeconfig), server: url, userAgent: 'kubets-server/readiness' });
  const deadline = Date.now() + timeoutMs;
  try {
    for (;;) {
      const status = await client.raw('GET', '/readyz').then((r) => r.status, (e: Error) => e.message);
      if (status === 200) return;
      if (Date.now() > deadline) throw new Error(`the API at ${url} did not answer /readyz (${status})`);
      await new Promise((r) => setTimeout(r, 200));
    }
  } finally {
    client.close();
  }
}

/**
 * Runs until SIGINT/SIGTERM, then closes once; a second signal exits at once. Holds the event loop open itself: a
 * daemon whose only work is unref'd timers (a candidate waiting for a lease) must not exit for lack of work.
 */
function untilSignal(close: () => Promise<void>, notifier?: ServiceNotifier): Promise<void> {
  const keepAlive = setInterval(() => {}, 1 << 30);
  return new Promise<void>((resolve) => {
    let closing = false;
    const onSignal = (sig: string) => {
      if (closing) process.exit(1);
      closing = true;
      void notifier?.stopping().catch(() => undefined);
      process.stderr.write(`kubets: ${sig}: shutting down\n`);
      close().then(resolve, (e) => {
        process.stderr.write(`kubets: shutdown: ${(e as Error).message}\n`);
        resolve();
      });
    };
    process.once('SIGINT', () => onSignal('SIGINT'));
    process.once('SIGTERM', () => onSignal('SIGTERM'));
  }).finally(() => clearInterval(keepAlive));
}

async function main(argv: string[]): Promise<number> {
  const [name, ...rest] = argv;
  if (!name || name === '--help' || name === '-h' || name === 'help') {
    process.stdout.write(mainHelp());
    return name ? 0 : 1;
  }
  const cmd = commands[name];
  if (!cmd) {
    process.stderr.write(`kubets: unknown command "${name}"\n\n${mainHelp()}`);
    return 2;
  }
  if (rest.includes('--help') || rest.includes('-h')) {
    process.stdout.write(commandHelp(name, cmd));
    return 0;
  }
  let parsed;
  try {
    parsed = parseArgs({ args: rest, options: cmd.options, allowPositionals: ['lab', 'token', 'install', 'join', 'doctor'].includes(name), strict: true });
  } catch (e) {
    process.stderr.write(`kubets ${name}: ${(e as Error).message}\n\n${commandHelp(name, cmd)}`);
    return 2;
  }
  let values = parsed.values as FlagValues;
  try {
    if (typeof values.config === 'string' && !cmd.ownConfigFile) {
      const file = readConfigFile(values.config, cmd.configKeys ?? cmd.options);
      values = withConfigFile(values, Object.fromEntries(Object.entries(file).filter(([k]) => k in cmd.options)));
    }
  } catch (e) {
    process.stderr.write(`kubets ${name}: ${(e as Error).message}\n`);
    return 2;
  }
  try {
    await cmd.run(values as Record<string, string | boolean | undefined>, parsed.positionals);
    // A command may end with another process's exit status (lab exec).
    return Number(process.exitCode ?? 0);
  } catch (e) {
    if (e instanceof UsageError) {
      process.stderr.write(`kubets ${name}: ${e.message}\n\n${commandHelp(name, cmd)}`);
      return 2;
    }
    process.stderr.write(`kubets ${name}: ${(e as Error).message}\n`);
    return 1;
  }
}

main(process.argv.slice(2)).then((code) => process.exit(code));
