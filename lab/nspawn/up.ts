// `kubets lab up --machines nspawn`: the same lab as booted Debian machines — the cached root, the bridge, one machine
// per node, then each provisioned as a real host would be: vagrant/provision.sh (the Vagrantfile's own script) runs
// `kubets init` on the master and the join command it leaves in the shared folder on every worker.
import { spawn } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { buildImages } from '../images/build.js';
import { buildPrometheusImage } from '../images/prometheus.js';
import { LabError } from '../exec.js';
import { createBridge } from '../netns.js';
import { checkPrerequisites, hostForwardWarning } from '../prereqs.js';
import { cgroupDirs, isAlive } from '../processes.js';
import { apiServerURL, controlPlaneNode, labPaths, repoRoot, validateSpec, type LabNodeSpec, type LabSpec } from '../spec.js';
import { newState, StateRecorder, type LabProcess } from '../state.js';
import { waitForNodesReady, writeAdminKubeconfig, type LabInfo, type LabUpOptions } from '../up.js';
import { waitForKubeSystem } from '../controlplane.js';
import { ensureNspawnRun, machineCgroup, machineCommand, machineInitPid, machineMounts, machineName, prepareMachine, SOURCE_MOUNT, startMachine, waitBooted } from './machines.js';
import { ensureRootfs } from './rootfs.js';

/** The provisioning script every machine runs, as every Vagrant VM does. */
export const PROVISION_SCRIPT = `${SOURCE_MOUNT}/vagrant/provision.sh`;

const seconds = (since: number) => `${((Date.now() - since) / 1000).toFixed(1)} s`;

function tail(file: string, n = 20): string {
  try {
    return fs.readFileSync(file, 'utf8').trimEnd().split('\n').slice(-n).join('\n');
  } catch {
    return '(no output)';
  }
}

/** Runs the provisioning script inside a machine; its output goes to the machine's provision log. */
async function provision(spec: LabSpec, node: LabNodeSpec, runner: LabProcess, opts: LabUpOptions): Promise<void> {
  const pid = machineInitPid(runner);
  if (!pid) throw new LabError('LAB_PROCESS_EXITED', `machine ${node.name} is not running; see ${runner.log}`);
  const log = labPaths(spec).machine(node.name).provisionLog;
  // The pod network is the cluster's (kubets init --pod-network); the workers' agents follow it.
  const env = [...(opts.proxyMode ? [`KUBETS_PROXY_MODE=${opts.proxyMode}`] : []), ...(opts.podNetwork ? [`KUBETS_POD_NETWORK=${opts.podNetwork}`] : [])];
  const argv = machineCommand(pid, [...env, PROVISION_SCRIPT, node.controlPlane ? 'master' : 'worker', node.name, node.ip], cgroupDirs(machineCgroup(spec, node.name)));
  const fd = fs.openSync(log, 'a');
  try {
    const code = await new Promise<number>((resolve, reject) => {
      const child = spawn(argv[0], argv.slice(1), { stdio: ['ignore', fd, fd] });
      child.once('error', reject);
      child.once('exit', (c, sig) => resolve(c ?? (sig ? 128 : 1)));
    });
    if (code !== 0) throw new LabError('LAB_COMMAND_FAILED', `provisioning ${node.name} failed (exit ${code}); last lines of ${log}:\n${tail(log)}\n(run \`kubets lab down\` to remove the lab)`);
  } finally {
    fs.closeSync(fd);
  }
}

export async function upMachines(spec: LabSpec, opts: LabUpOptions = {}): Promise<LabInfo> {
  const progress = opts.onProgress ?? (() => {});
  const started = Date.now();
  const deadline = started + (opts.timeoutSeconds ?? 600) * 1000;
  validateSpec(spec);
  await checkPrerequisites(spec, { machines: true });
  const paths = labPaths(spec);
  fs.mkdirSync(spec.root, { recursive: true, mode: 0o755 });
  const rec = new StateRecorder(paths.state, newState(spec, 'nspawn'));

  // The product's image archives, which the installer in each machine copies from the checkout.
  const repo = repoRoot();
  const images = [...(await buildImages(path.join(repo, 'dist', 'images'))), await buildPrometheusImage(path.join(repo, 'dist', 'images'))];
  progress(`images: ${images.map((i) => i.name).join(', ')} in ${path.join(repo, 'dist', 'images')}`);
  let t = Date.now();
  const rootfs = await ensureRootfs(progress);
  progress(`rootfs: ${rootfs} (${seconds(t)})`);

  await createBridge(spec, rec);
  progress(`network: bridge ${spec.bridge} ${spec.bridgeIP}/${spec.prefixLength}`);
  const forwardWarning = await hostForwardWarning(spec);
  if (forwardWarning) progress(forwardWarning);
  if (await ensureNspawnRun()) rec.update((s) => (s.mountedNspawnRun = true));
  fs.mkdirSync(paths.shared, { recursive: true });

  // The machines, booted together.
  t = Date.now();
  const mounts = machineMounts(repo);
  const runners = new Map<string, LabProcess>();
  for (const node of spec.nodes) {
    await prepareMachine(spec, node, rootfs, rec);
    runners.set(node.name, await startMachine(spec, node, mounts, rec));
  }
  await Promise.all(
    spec.nodes.map(async (node) => {
      await waitBooted(runners.get(node.name)!, deadline, (failed) => progress(`${node.name}: booted degraded (failed: ${failed})`));
      progress(`${node.name}: machine ${machineName(spec, node.name)} booted (${node.ip}, console ${paths.machine(node.name).console})`);
    }),
  );
  progress(`machines: all booted in ${seconds(t)}`);

  // The control plane first (kubets init), then every worker with the join command it left in the shared folder.
  const cp = controlPlaneNode(spec);
  t = Date.now();
  progress(`${cp.name}: kubets init (log ${paths.machine(cp.name).provisionLog})`);
  await provision(spec, cp, runners.get(cp.name)!, opts);
  progress(`${cp.name}: initialized in ${seconds(t)}`);
  writeAdminKubeconfig(path.join(paths.shared, 'admin.kubeconfig'), paths.adminKubeconfig, apiServerURL(spec));

  t = Date.now();
  await Promise.all(
    spec.nodes
      .filter((n) => !n.controlPlane)
      .map(async (node) => {
        const mine = Date.now();
        progress(`${node.name}: kubets join (log ${paths.machine(node.name).provisionLog})`);
        await provision(spec, node, runners.get(node.name)!, opts);
        progress(`${node.name}: joined in ${seconds(mine)}`);
      }),
  );
  progress(`workers: all joined in ${seconds(t)}`);

  const alive = () => {
    for (const [name, r] of runners) if (!isAlive(r.pid, r.startTime)) throw new LabError('LAB_PROCESS_EXITED', `machine ${name} stopped; see ${r.log}`);
  };
  const podCIDRs = await waitForNodesReady(spec, alive, deadline, progress, (n) => `kubets lab exec ${n} -- journalctl -u kubets-agent`);
  await waitForKubeSystem(spec, alive, deadline);
  progress('kube-system: control-plane static pods, kube-proxy on every node and coredns running');
  rec.update((s) => (s.readyAt = new Date().toISOString()));
  progress(`lab: up in ${seconds(started)}`);

  return {
    kind: 'nspawn',
    root: spec.root,
    apiServer: apiServerURL(spec),
    kubeconfig: paths.adminKubeconfig,
    nodes: spec.nodes.map((n) => ({
      name: n.name,
      ip: n.ip,
      netns: machineName(spec, n.name),
      podCIDR: podCIDRs.get(n.name),
      agentPid: runners.get(n.name)!.pid,
      agentLog: `journalctl -u kubets-agent (kubets lab exec ${n.name} -- journalctl -u kubets-agent)`,
      containerdLog: `journalctl -u containerd (kubets lab exec ${n.name} -- journalctl -u containerd)`,
    })),
  };
}
