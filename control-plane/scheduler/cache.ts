// kube-scheduler's cache (pkg/scheduler/backend/cache): per node, the pods counted on it — bound ones as the informer
// shows them, plus the ones this scheduler has assumed onto it while their binding is in flight — kept up to date by
// the informers' events, so that a scheduling cycle reads a ready snapshot instead of regrouping every pod.
import type { Node, Pod } from '../../api/types.js';
import { countRequests, keepRequested, type NodeInfo, type Requested } from './plugins.js';

const terminal = (p: Pod) => p.status?.phase === 'Succeeded' || p.status?.phase === 'Failed';

export class SchedulerCache {
  private readonly nodes = new Map<string, Node>();
  /** Pods counted per node name (also for nodes not seen yet: their pods are counted once they appear). */
  private readonly podsOn = new Map<string, Pod[]>();
  /** Their requests, summed as pods come and go (read by the resource filter and scorer). */
  private readonly requested = new Map<string, Requested>();
  /** Where each counted pod (by uid) is counted, and whether it is only assumed. */
  private readonly placed = new Map<string, { node: string; pod: Pod; assumed: boolean }>();
  private snapshot?: NodeInfo[];

  setNode(node: Node): void {
    this.nodes.set(node.metadata.name!, node);
    this.snapshot = undefined;
  }

  deleteNode(node: Node): void {
    this.nodes.delete(node.metadata.name!);
    this.snapshot = undefined;
  }

  /** A pod as the informer shows it now (added or updated). */
  setPod(pod: Pod): void {
    const uid = pod.metadata.uid!;
    const counted = !!pod.spec.nodeName && !terminal(pod);
    const was = this.placed.get(uid);
    // An assumed pod stays counted on its node until the informer shows it bound (or it is forgotten).
    if (was?.assumed && !counted) return;
    if (was) this.unplace(uid);
    if (counted) this.place(uid, pod.spec.nodeName!, pod, false);
  }

  deletePod(pod: Pod): void {
    this.unplace(pod.metadata.uid!);
  }

  /** Counts a pod on the node it is being bound to, before the binding is written. */
  assume(pod: Pod, node: string): void {
    this.unplace(pod.metadata.uid!);
    this.place(pod.metadata.uid!, node, pod, true);
  }

  isAssumed(uid: string): boolean {
    return this.placed.get(uid)?.assumed ?? false;
  }

  /** A binding that failed: the pod is no longer counted on the node it was assumed onto. */
  forget(uid: string): void {
    if (this.placed.get(uid)?.assumed) this.unplace(uid);
  }

  /** Every node with its pods; the same array until a node is added, changed or removed. */
  nodeInfos(): NodeInfo[] {
    this.snapshot ??= [...this.nodes.values()].map((node) => ({ node, pods: this.podList(node.metadata.name!) }));
    return this.snapshot;
  }

  private podList(node: string): Pod[] {
    let l = this.podsOn.get(node);
    if (!l) {
      this.podsOn.set(node, (l = []));
      this.requested.set(node, keepRequested(l));
    }
    return l;
  }

  private place(uid: string, node: string, pod: Pod, assumed: boolean): void {
    this.placed.set(uid, { node, pod, assumed });
    this.podList(node).push(pod);
    countRequests(this.requested.get(node)!, pod, 1);
  }

  private unplace(uid: string): void {
    const was = this.placed.get(uid);
    if (!was) return;
    this.placed.delete(uid);
    const l = this.podList(was.node);
    const i = l.indexOf(was.pod);
    if (i >= 0) {
      l.splice(i, 1);
      countRequests(this.requested.get(was.node)!, was.pod, -1);
    }
  }
}
