// The one-machine lab: four "machines" on a host bridge — network namespaces, each running a kubets agent with its own
// containerd and the master also the control plane, or booted Debian machines provisioned by the installer. Entry
// points for `kubets lab up|down|status|kubeconfig|exec`.
import { downLab } from './down.js';
import { execOnNode } from './nodeexec.js';
import { labStatusFor, type LabStatus } from './status.js';
import { defaultLabSpec, labPaths } from './spec.js';
import { upLab, type LabInfo, type LabUpOptions } from './up.js';

export type { LabInfo, LabNodeInfo, LabUpOptions } from './up.js';
export type { LabStatus, LabNodeStatus, LabProcessStatus } from './status.js';
export type { TeardownReport } from './down.js';
export { LabError, type LabErrorCode } from './exec.js';
export { defaultLabSpec, type LabSpec } from './spec.js';
export type { LabKind } from './state.js';

/** Brings the lab up and returns once every node is Ready. Throws LabError (with log paths) otherwise. */
export function labUp(opts: LabUpOptions = {}): Promise<LabInfo> {
  return upLab(defaultLabSpec, opts);
}

/** Removes everything the lab made; idempotent. Throws LabError listing anything that could not be removed. */
export async function labDown(opts: { onProgress?: (msg: string) => void } = {}): Promise<void> {
  await downLab(defaultLabSpec, opts.onProgress);
}

/** What exists of the lab now; `.summary` is the printable form. */
export function labStatus(): Promise<LabStatus> {
  return labStatusFor(defaultLabSpec);
}

/** The admin kubeconfig `lab up` writes for the user (API at https://192.168.56.10:6443). */
export function labKubeconfigPath(): string {
  return labPaths(defaultLabSpec).adminKubeconfig;
}

/** Runs a command on a lab node (`kubets lab exec NODE -- CMD…`) with this process's stdio; resolves to its exit code. */
export function labExec(node: string, argv: string[]): Promise<number> {
  return execOnNode(defaultLabSpec, node, argv);
}
