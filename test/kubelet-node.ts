// A kubelet's pod management on a real containerd without an API server, for tests of what pods do on a node: a
// containerd node (test/containerd-node.ts) and a PodManager fed pod objects directly, its statuses, DELETEs and
// events recorded. `pod()` builds a pod with a unique UID; `exec()` runs a command in a pod's container.
import { join } from 'node:path';
import type * as Tap from 'tap';
import type { Pod, PodStatus } from '../api/types.js';
import { CriClient } from '../agent/kubelet/cri/client.js';
import type { PodEvents } from '../agent/kubelet/events.js';
import { PodManager, type PodManagerOptions } from '../agent/kubelet/pods.js';
import type { SpecOptions } from '../agent/kubelet/specs.js';
import { startContainerdNode, type ContainerdNode } from './containerd-node.js';
import { until } from './until.js';

export const kubeletNodeIP = '10.99.0.1';

export interface RecordedEvent {
  pod: string;
  type: string;
  reason: string;
  message: string;
  fieldPath?: string;
}

export interface KubeletNode {
  node: ContainerdNode;
  cri: CriClient;
  spec: SpecOptions;
  manager: PodManager;
  statuses: Map<string, PodStatus[]>;
  deleted: string[];
  events: RecordedEvent[];
  latest(uid: string): PodStatus | undefined;
  /** A pod named `name` with a UID unique to this node, bound to it, pending. */
  pod(name: string, spec: Pod['spec'], meta?: Partial<Pod['metadata']>): Pod;
  /** Waits for a status of the pod that satisfies `cond` and returns it. */
  waitStatus(pod: Pod, what: string, cond: (s: PodStatus) => boolean, timeoutMs?: number): Promise<PodStatus>;
  /** Runs a command in the pod's running container `container` (the first one unless named). */
  exec(pod: Pod, cmd: string[], container?: string): Promise<{ stdout: string; stderr: string; exitCode: number }>;
  /** Asks the manager to delete the pod (as a graceful API deletion) and waits until it is done. */
  deletePod(pod: Pod, graceSeconds?: number): Promise<void>;
  /** A new PodManager on the same containerd (the agent restarting), the old one closed. */
  restartManager(): Promise<PodManager>;
}

export async function startKubeletNode(t: Tap.Test, opts: { prefix: string; podCIDR: string; nodeName?: string; ownLogDir?: boolean; extraImages?: string[] } & Partial<Pick<PodManagerOptions, 'logRotation' | 'relistPeriodMs'>>): Promise<KubeletNode> {
  const node = await startContainerdNode(t, { prefix: opts.prefix, podCIDR: opts.podCIDR, extraImages: opts.extraImages });
  const cri = await CriClient.connect(node.criSocket);
  const statuses = new Map<string, PodStatus[]>();
  const deleted: string[] = [];
  const events: RecordedEvent[] = [];
  const recorder: PodEvents = { event: (pod, type, reason, message, fieldPath) => void events.push({ pod: pod.metadata.name!, type, reason, message, fieldPath }) };
  // With ownLogDir, pod logs go to a root of their own (the node's /var/log/pods) rather than DATA_DIR/pods.
  const spec: SpecOptions = { dataDir: node.data, ...(opts.ownLogDir ? { podLogDir: join(node.data, 'var', 'log', 'pods') } : {}), cgroupParent: node.cgroupParent, clusterDNS: '10.96.0.10', clusterDomain: 'cluster.local', nodeName: opts.nodeName ?? 'kl-node', nodeIP: kubeletNodeIP };
  const make = () =>
    new PodManager({
      runtime: cri,
      spec,
      events: recorder,
      logRotation: opts.logRotation,
      relistPeriodMs: opts.relistPeriodMs,
      statusWriter: {
        async patchStatus(pod, status) {
          statuses.set(pod.metadata.uid!, [...(statuses.get(pod.metadata.uid!) ?? []), status]);
        },
        async deletePod(pod) {
          deleted.push(pod.metadata.uid!);
        },
      },
    }).start();
  let manager = make();
  // Registered after the node's own teardown, so it runs first: our loops stop while containerd still answers.
  t.teardown(async () => {
    await manager.close();
    cri.close();
  });
  await until('CNI network ready', async () => (await cri.status()).status?.conditions.find((c) => c.type === 'NetworkReady')?.status, 60_000);

  const latest = (uid: string) => statuses.get(uid)?.at(-1);
  const kn: KubeletNode = {
    node,
    cri,
    spec,
    get manager() {
      return manager;
    },
    statuses,
    deleted,
    events,
    latest,
    pod: (name, podSpec, meta = {}) => ({
      apiVersion: 'v1',
      kind: 'Pod',
      metadata: { name, namespace: 'default', uid: `${name}-${node.id}`, resourceVersion: '1', ...meta },
      spec: { terminationGracePeriodSeconds: 2, ...podSpec, nodeName: spec.nodeName },
      status: { phase: 'Pending', conditions: [{ type: 'PodScheduled', status: 'True', lastTransitionTime: '2024-01-01T00:00:00Z' }] },
    }),
    waitStatus: (pod, what, cond, timeoutMs = 90_000) =>
      until(`${pod.metadata.name}: ${what}`, () => {
        const s = latest(pod.metadata.uid!);
        return s && cond(s) ? s : undefined;
      }, timeoutMs),
    async exec(pod, cmd, container) {
      const s = latest(pod.metadata.uid!);
      const all = [...(s?.containerStatuses ?? []), ...(s?.initContainerStatuses ?? []), ...(s?.ephemeralContainerStatuses ?? [])];
      const cs = container ? all.find((c) => c.name === container) : latest(pod.metadata.uid!)?.containerStatuses?.[0];
      if (!cs?.containerID) throw new Error(`${pod.metadata.name}: no container ${container ?? ''} yet`);
      const r = await cri.execSync({ container_id: cs.containerID.replace('containerd://', ''), cmd, timeout: 10 });
      return { stdout: r.stdout.toString(), stderr: r.stderr.toString(), exitCode: r.exit_code };
    },
    async deletePod(pod, graceSeconds = 2) {
      manager.podUpdated({ ...pod, metadata: { ...pod.metadata, resourceVersion: '99', deletionTimestamp: new Date().toISOString(), deletionGracePeriodSeconds: graceSeconds } });
      await until(`${pod.metadata.name} deleted`, () => deleted.includes(pod.metadata.uid!), 60_000);
      manager.podRemoved(pod);
      const selector = { filter: { label_selector: { 'io.kubernetes.pod.uid': pod.metadata.uid! } } };
      await until(`${pod.metadata.name} gone from the runtime`, async () => (await cri.listPodSandbox(selector)).items.length === 0 && (await cri.listContainers(selector)).containers.length === 0, 60_000);
    },
    async restartManager() {
      await manager.close();
      manager = make();
      return manager;
    },
  };
  return kn;
}
