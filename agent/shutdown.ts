// Graceful node shutdown (the kubelet's shutdownGracePeriod): as the host goes down, every running container is
// stopped through the CRI — SIGTERM, SIGKILL after the grace period — and then every pod sandbox, which takes its
// network down through CNI. Run by kubets-node-shutdown.service's ExecStop, after the agent has stopped and before
// containerd does; without it the host's final kill waits out DefaultTimeoutStopSec for container init processes that
// ignore SIGTERM, and pod addresses stay allocated across the reboot.
import { CriClient } from './kubelet/cri/client.js';

export interface ShutdownReport {
  containers: number;
  sandboxes: number;
  errors: string[];
}

export async function stopAllPods(socket: string, graceSeconds: number): Promise<ShutdownReport> {
  const cri = await CriClient.connect(socket, { timeoutMs: 10_000 });
  const errors: string[] = [];
  try {
    const { containers } = await cri.listContainers({ filter: { state: { state: 'CONTAINER_RUNNING' } } });
    await Promise.all(
      containers.map((c) => cri.stopContainer({ container_id: c.id, timeout: graceSeconds }, { timeoutMs: (graceSeconds + 30) * 1000 }).catch((e: Error) => void errors.push(`container ${c.id}: ${e.message}`))),
    );
    const { items } = await cri.listPodSandbox({ filter: { state: { state: 'SANDBOX_READY' } } });
    await Promise.all(items.map((s) => cri.stopPodSandbox({ pod_sandbox_id: s.id }).catch((e: Error) => void errors.push(`pod sandbox ${s.id}: ${e.message}`))));
    return { containers: containers.length, sandboxes: items.length, errors };
  } finally {
    cri.close();
  }
}
