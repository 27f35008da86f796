// The agent's NetworkPolicy enforcement, the part of a network plugin (Calico's Felix) that kube leaves to the node:
// informers on NetworkPolicies, Namespaces and Pods feed one serialized sync that computes this node's rules
// (rules.ts) and programs them as one nftables transaction (nftables.ts). Event handlers only ask for a sync; syncs
// coalesce (at most one per minSyncIntervalMs, so a change lands well within a second), repeat every
// resyncIntervalMs to repair tampering, retry after a failure, and wait until all three lists have loaded.
import type { ApiClient } from '../../api/client.js';
import { Informer } from '../../api/informer.js';
import { logger } from '../../api/log.js';
import { Resources } from '../../api/resources.js';
import type { Namespace, NetworkPolicy, Pod } from '../../api/types.js';
import { hostExec } from '../proxy/exec.js';
import { BoundedFrequencyRunner } from '../proxy/runner.js';
import type { Exec } from '../proxy/types.js';
import { applyNetpolRules } from './nftables.js';
import { computeNodeRules, type NodeRules } from './rules.js';

export { computeNodeRules, type NodeRules } from './rules.js';
export { NETPOL_FAMILY, NETPOL_TABLE, netpolTransaction, removeNetpolTable } from './nftables.js';

const log = logger('network-policy');

/** What the sync reads: the cluster as the informers (or a test) see it. */
export interface PolicySource {
  synced(): boolean;
  pods(): Pod[];
  namespaces(): Namespace[];
  policies(): NetworkPolicy[];
}

export interface NetworkPolicyOptions {
  nodeName: string;
  /** Runs nft in the node's network namespace (default: this process's). */
  exec?: Exec;
  minSyncIntervalMs?: number;
  resyncIntervalMs?: number;
  retryAfterMs?: number;
}

export class NetworkPolicyController {
  private readonly runner: BoundedFrequencyRunner;
  private readonly exec: Exec;
  private lastApplied?: string;
  /** The rules of the last successful sync. */
  programmed?: NodeRules;
  /** Successful syncs so far. */
  syncs = 0;

  constructor(
    private readonly source: PolicySource,
    private readonly opts: NetworkPolicyOptions,
  ) {
    this.exec = opts.exec ?? hostExec;
    this.runner = new BoundedFrequencyRunner('network-policy', () => this.sync(), { minIntervalMs: opts.minSyncIntervalMs ?? 100, maxIntervalMs: opts.resyncIntervalMs ?? 30_000 });
  }

  /** Asks for a sync (cheap: event handlers call it). */
  request(): void {
    this.runner.run();
  }

  start(): this {
    this.runner.loop();
    this.runner.run();
    return this;
  }

  private async sync(): Promise<void> {
    if (!this.source.synced()) return; // no rules from partial state: the informers' syncs ask again
    const rules = computeNodeRules({ nodeName: this.opts.nodeName, pods: this.source.pods(), namespaces: this.source.namespaces(), policies: this.source.policies() });
    try {
      await applyNetpolRules(this.exec, rules);
    } catch (e) {
      log.error({ err: (e as Error).message }, 'programming network policy rules failed; retrying');
      this.runner.retryAfter(this.opts.retryAfterMs ?? 1_000);
      return;
    }
    const text = JSON.stringify(rules);
    if (text !== this.lastApplied) log.info({ isolatedIngress: rules.ingress.length, isolatedEgress: rules.egress.length }, 'network policy rules programmed');
    this.lastApplied = text;
    this.programmed = rules;
    this.syncs++;
  }

  close(): Promise<void> {
    return this.runner.close();
  }
}

export interface RunningNetworkPolicy {
  controller: NetworkPolicyController;
  /** Stops watching and syncing; the programmed rules stay (pods keep running, as on a kubelet restart). Idempotent. */
  close(): Promise<void>;
}

/** Watches the API as this node (system:node:<name>) and keeps the node's rules in line with it. */
export async function startNetworkPolicy(client: ApiClient, opts: NetworkPolicyOptions): Promise<RunningNetworkPolicy> {
  const pods = new Informer<Pod>(client, Resources.pods);
  const namespaces = new Informer<Namespace>(client, Resources.namespaces);
  const policies = new Informer<NetworkPolicy>(client, Resources.networkpolicies);
  const informers = [pods, namespaces, policies];
  const controller = new NetworkPolicyController(
    {
      synced: () => informers.every((i) => i.hasSynced()),
      pods: () => pods.list(),
      namespaces: () => namespaces.list(),
      policies: () => policies.list(),
    },
    opts,
  );
  const changed = () => controller.request();
  for (const i of informers as Informer<Pod | Namespace | NetworkPolicy>[]) i.addHandlers({ onAdd: changed, onUpdate: changed, onDelete: changed });
  for (const i of informers) i.start();
  controller.start();
  // Once everything has been listed, the first full sync.
  void Promise.all(informers.map((i) => i.waitForSync())).then(changed);
  let closing: Promise<void> | undefined;
  return {
    controller,
    close: () =>
      (closing ??= (async () => {
        await controller.close();
        await Promise.all(informers.map((i) => i.close()));
      })()),
  };
}
