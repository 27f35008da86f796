// The node the pods and density benches run pods on: the kubelet tests' fixture (test/kubelet-node.ts) — a real
// containerd with CNI in a scratch network namespace and the pod manager (kubelet's pod workers, PLEG, status
// manager) in this process, writing statuses to memory — with its clean-up owned here instead of by a tap test.
import type * as Tap from 'tap';
import type { Pod } from '../api/types.js';
import { startKubeletNode, type KubeletNode } from '../test/kubelet-node.js';
import { until } from '../test/until.js';
import { commandExists } from './tools.js';

export interface BenchNode {
  kn: KubeletNode;
  close(): Promise<void>;
}

/** Why a node cannot be started here, if it cannot. */
export async function cannotStartNode(): Promise<string | undefined> {
  if (process.getuid?.() !== 0) return 'real containers need root';
  for (const tool of ['containerd', 'runc', 'ip']) if (!(await commandExists(tool))) return `no ${tool} on PATH`;
  return undefined;
}

export async function startBenchNode(prefix: string, podCIDR: string): Promise<BenchNode> {
  const teardowns: (() => unknown)[] = [];
  // The fixture asks its caller only to own its clean-up, as a tap test does with t.teardown.
  const owner = { teardown: (fn: () => unknown) => void teardowns.push(fn) } as unknown as Tap.Test;
  let closed = false;
  const close = async () => {
    if (closed) return;
    closed = true;
    for (const fn of teardowns.reverse()) await fn();
  };
  const onSignal = () => void close().finally(() => process.exit(130));
  process.once('SIGINT', onSignal).once('SIGTERM', onSignal);
  try {
    return { kn: await startKubeletNode(owner, { prefix, podCIDR, nodeName: `${prefix}-node` }), close };
  } catch (e) {
    await close();
    throw e;
  }
}

/** A pod of one busybox container that sleeps (what the pod start-up SLO measures: no image pull, no probes). */
export const sleeperSpec = (): Pod['spec'] => ({ containers: [{ name: 'c', image: 'busybox:1.35', command: ['sh', '-c', 'exec sleep 3600'] }], terminationGracePeriodSeconds: 0 });

/**
 * Hands all the pods to the pod manager at once and times each from then until its first Running status
 * (the status manager's writes, watched as they arrive: polled every 10 ms). Latencies in ms, ascending.
 */
export async function startPods(kn: KubeletNode, pods: Pod[]): Promise<number[]> {
  const t0 = performance.now();
  const running = new Map<string, number>();
  for (const p of pods) kn.manager.podUpdated(p);
  await until(`${pods.length} pods Running`, () => {
    const now = performance.now();
    for (const p of pods) if (!running.has(p.metadata.uid!) && kn.latest(p.metadata.uid!)?.phase === 'Running') running.set(p.metadata.uid!, now - t0);
    return running.size === pods.length;
  }, 10 * 60_000, 10);
  return [...running.values()].sort((a, b) => a - b);
}

/** Deletes the pods through the manager, all at once, and waits until the runtime has none of them. */
export async function deletePods(kn: KubeletNode, pods: Pod[]): Promise<void> {
  await Promise.all(pods.map((p) => kn.deletePod(p, 0)));
}
