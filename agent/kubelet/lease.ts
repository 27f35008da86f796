// The node's heartbeat Lease: kube-node-lease/<nodeName>, held by the node, renewed every 10 s with a 40 s duration,
// owned by the Node so it goes when the Node goes. The node lifecycle controller reads renewTime.
import type { ApiClient } from '../../api/client.js';
import { isNotFound } from '../../api/errors.js';
import { Resources } from '../../api/resources.js';
import type { Lease, Node, OwnerReference } from '../../api/types.js';
import { startLoop, type Loop } from './loop.js';
import { formatMicroTime } from '../../api/time.js';

export const leaseNamespace = 'kube-node-lease';
export const leaseDurationSeconds = 40;
export const leaseRenewIntervalMs = 10_000;

export function desiredLease(existing: Lease | undefined, node: Pick<Node, 'metadata'>, nowMs: number): Lease {
  const owner: OwnerReference = { apiVersion: 'v1', kind: 'Node', name: node.metadata.name!, uid: node.metadata.uid! };
  const lease: Lease = existing
    ? { ...existing, spec: { ...existing.spec } }
    : { apiVersion: 'coordination.k8s.io/v1', kind: 'Lease', metadata: { name: node.metadata.name, namespace: leaseNamespace }, spec: {} };
  lease.metadata = { ...lease.metadata, ownerReferences: [owner] };
  lease.spec.holderIdentity = node.metadata.name;
  lease.spec.leaseDurationSeconds = leaseDurationSeconds;
  lease.spec.renewTime = formatMicroTime(nowMs);
  return lease;
}

export function startLease(client: ApiClient, node: Pick<Node, 'metadata'>, now: () => number = Date.now, intervalMs = leaseRenewIntervalMs): Loop {
  return startLoop('kubelet.lease', intervalMs, async () => {
    let existing: Lease | undefined;
    try {
      existing = await client.get<Lease>(Resources.leases, leaseNamespace, node.metadata.name!);
    } catch (e) {
      if (!isNotFound(e)) throw e;
    }
    const lease = desiredLease(existing, node, now());
    if (existing) await client.update(Resources.leases, lease);
    else await client.create(Resources.leases, leaseNamespace, lease);
  });
}
