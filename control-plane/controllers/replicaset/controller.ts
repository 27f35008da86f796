// pkg/controller/replicaset ReplicaSetController: keeps `replicas` live pods matching the template, owned by the
// set. Expectations stop a second sync from creating the same pods again before the informer has seen the first batch.
// ReplicationControllers are the same controller over core/v1's older kind (pkg/controller/replication), as in kube.
import { ignoreNotFound, isNotFound } from '../../../api/errors.js';
import { logger } from '../../../api/log.js';
import { Resources } from '../../../api/resources.js';
import type { ResourceRef } from '../../../api/resources.js';
import { objectKey, type Pod, type ReplicaSet, type ReplicaSetStatus } from '../../../api/types.js';
import { controlledBy, controllerKey, enqueueObject, queueController, type Controller, type ControllerContext } from '../controller.js';
import { computeReplicaSetActions, REPLICA_SET, type OwnerKind } from './actions.js';

const log = logger('replicaset-controller');
const EXPECTATIONS_TIMEOUT_MS = 5 * 60_000;

/** What the last sync of a set asked for and has not yet seen in the cache. */
interface Expectation {
  adds: number;
  dels: Set<string>;
  at: number;
}

interface ReplicaKind {
  name: string;
  resource: ResourceRef;
  owner: OwnerKind;
}

export const replicaSetController = (ctx: ControllerContext): Controller => replicaController(ctx, { name: 'replicaset-controller', resource: Resources.replicasets, owner: REPLICA_SET });

/** The replication manager: the same decisions, for pods a ReplicationController owns. */
export const replicationController = (ctx: ControllerContext): Controller =>
  replicaController(ctx, { name: 'replicationcontroller', resource: Resources.replicationcontrollers, owner: { apiVersion: 'v1', kind: 'ReplicationController' } });

function replicaController(ctx: ControllerContext, what: ReplicaKind): Controller {
  const { client, informers, recorder } = ctx;
  const sets = informers.for<ReplicaSet>(what.resource);
  const pods = informers.for<Pod>(Resources.pods);
  const expectations = new Map<string, Expectation>();
  const satisfied = (key: string) => {
    const e = expectations.get(key);
    return !e || (e.adds <= 0 && e.dels.size === 0) || Date.now() - e.at > EXPECTATIONS_TIMEOUT_MS;
  };

  const c = queueController(what.name, 2, sync);
  sets.addHandlers(enqueueObject(c.queue));
  const ownerKey = (p: Pod) => controllerKey(p, what.owner.kind);
  pods.addHandlers({
    onAdd: (p) => {
      const k = ownerKey(p);
      if (!k) return;
      const e = expectations.get(k);
      if (e) e.adds--;
      c.queue.add(k);
    },
    onUpdate: (o, p) => {
      const k = ownerKey(p);
      if (k) c.queue.add(k);
      if (p.metadata.deletionTimestamp && !o.metadata.deletionTimestamp && k) expectations.get(k)?.dels.delete(p.metadata.uid!);
    },
    onDelete: (p) => {
      const k = ownerKey(p);
      if (!k) return;
      expectations.get(k)?.dels.delete(p.metadata.uid!);
      c.queue.add(k);
    },
  });

  async function sync(key: string): Promise<void> {
    const rs = sets.get(key);
    if (!rs) {
      expectations.delete(key);
      return;
    }
    const actions = computeReplicaSetActions({ replicaSet: rs, pods: controlledBy(pods.list(), rs), expectationsSatisfied: satisfied(key), owner: what.owner });
    if (actions.create.length) await createPods(rs, actions.create, key);
    if (actions.delete.length) await deletePods(rs, actions.delete, key);
    if (actions.status) await writeStatus(rs, actions.status);
  }

  async function createPods(rs: ReplicaSet, wanted: Pod[], key: string): Promise<void> {
    expectations.set(key, { adds: wanted.length, dels: new Set(), at: Date.now() });
    const results = await Promise.allSettled(wanted.map((p) => client.create<Pod>(Resources.pods, rs.metadata.namespace, p)));
    let failed = 0;
    for (const r of results) {
      if (r.status === 'fulfilled') recorder.record(rs, 'Normal', 'SuccessfulCreate', `Created pod: ${r.value.metadata.name}`);
      else {
        failed++;
        recorder.record(rs, 'Warning', 'FailedCreate', `Error creating: ${(r.reason as Error).message}`);
      }
    }
    const e = expectations.get(key);
    if (e) e.adds -= failed;
    if (failed) throw new Error(`${failed} of ${wanted.length} pod creations failed`);
  }

  async function deletePods(rs: ReplicaSet, victims: Pod[], key: string): Promise<void> {
    expectations.set(key, { adds: 0, dels: new Set(victims.map((p) => p.metadata.uid!)), at: Date.now() });
    await Promise.all(
      victims.map(async (p) => {
        try {
          await client.delete(Resources.pods, p.metadata.namespace, p.metadata.name!);
          recorder.record(rs, 'Normal', 'SuccessfulDelete', `Deleted pod: ${p.metadata.name}`);
        } catch (e) {
          expectations.get(key)?.dels.delete(p.metadata.uid!);
          if (!isNotFound(e)) throw e;
        }
      }),
    );
  }

  async function writeStatus(rs: ReplicaSet, status: ReplicaSetStatus): Promise<void> {
    await ignoreNotFound(client.updateStatus(what.resource, { ...rs, status }));
    log.debug({ rs: objectKey(rs), ...status }, 'status updated');
  }

  return c;
}
