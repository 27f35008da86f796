// `kubets lab exec NODE -- CMD…`: a command run on a lab node as a user on that node would run it — inside the booted
// machine (all its namespaces), or in a netns node's network and mount namespaces (the agent's, where the node's own
// /etc and /var/log are), so `curl 127.0.0.1:10249/proxyMode` or `systemctl status kubets-agent` mean what they say.
import { spawn } from 'node:child_process';
import os from 'node:os';
import { LabError } from './exec.js';
import { machineCgroup, machineCommand, machineInitPid } from './nspawn/machines.js';
import { cgroupDirs, isAlive } from './processes.js';
import { labPaths, netnsName, type LabSpec } from './spec.js';
import { readState } from './state.js';

/** The host command line that runs `argv` on the node. */
export function nodeCommand(spec: LabSpec, node: string, argv: string[]): string[] {
  const state = readState(labPaths(spec).state);
  if (!state) throw new LabError('LAB_COMMAND_FAILED', 'no lab is up (no state file): run `kubets lab up` first');
  if (!state.spec.nodes.some((n) => n.name === node)) throw new LabError('LAB_COMMAND_FAILED', `no node "${node}" in this lab (nodes: ${state.spec.nodes.map((n) => n.name).join(', ')})`);
  if (!argv.length) throw new LabError('LAB_COMMAND_FAILED', 'lab exec needs a command: kubets lab exec NODE -- CMD…');
  const path = 'PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin';
  if (state.kind === 'nspawn') {
    const runner = state.processes.find((p) => p.role === 'machine' && p.node === node);
    const pid = runner && machineInitPid(runner);
    if (!pid) throw new LabError('LAB_PROCESS_EXITED', `machine ${node} is not running${runner ? `; see ${runner.log}` : ''}`);
    return machineCommand(pid, argv, cgroupDirs(machineCgroup(state.spec, node)));
  }
  const agent = state.processes.find((p) => p.role === 'agent' && p.node === node && isAlive(p.pid, p.startTime));
  if (agent) return ['nsenter', '--target', String(agent.pid), '--net', '--mount', '--', '/usr/bin/env', path, ...argv];
  // Without its agent the node has no mount namespace of its own left: its network is all there is.
  return ['ip', 'netns', 'exec', netnsName(state.spec, node), '/usr/bin/env', path, ...argv];
}

/** Runs the command on the node with this process's stdio; resolves to its exit code. */
export function execOnNode(spec: LabSpec, node: string, argv: string[]): Promise<number> {
  const cmd = nodeCommand(spec, node, argv);
  return new Promise((resolve, reject) => {
    const child = spawn(cmd[0], cmd.slice(1), { stdio: 'inherit' });
    child.once('error', reject);
    child.once('exit', (code, signal) => resolve(code ?? 128 + (signal ? os.constants.signals[signal] : 0)));
  });
}
