// pkg/controller/garbagecollector GarbageCollector: passes over the tracked kinds, applying
// computeGarbageCollection. Owners are confirmed missing with a live GET before anything is deleted, so informer lag
// never deletes a dependent whose owner was just created.
import { ignoreNotFound } from '../../../api/errors.js';
import { logger } from '../../../api/log.js';
import { apiVersionOf, Resources, type ResourceRef } from '../../../api/resources.js';
import type { KubeObject, OwnerReference } from '../../../api/types.js';
import { periodic, type Controller, type ControllerContext } from '../controller.js';
import { absentOwnerKey, computeGarbageCollection, type GraphObject } from './actions.js';

const log = logger('garbage-collector');
const PASS_INTERVAL_MS = 10_000;

/** Kinds that own or are owned in this cluster. */
const tracked: ResourceRef[] = [Resources.deployments, Resources.replicasets, Resources.daemonsets, Resources.statefulsets, Resources.jobs, Resources.cronjobs, Resources.pods, Resources.services, Resources.endpointslices, Resources.nodes, Resources.leases, Resources.configmaps, Resources.secrets];

export function garbageCollector(ctx: ControllerContext): Controller {
  const { client, informers } = ctx;
  const caches = tracked.map((r) => ({ resource: r, informer: informers.for<KubeObject>(r) }));
  const byKind = new Map(caches.map((c) => [`${apiVersionOf(c.resource)}/${c.resource.kind}`, c]));

  /** Whether the owner exists with this uid (cache first, then a live read); owners of kinds not tracked always do. */
  async function ownerExists(o: OwnerReference, namespace: string | undefined): Promise<boolean> {
    const c = byKind.get(`${o.apiVersion}/${o.kind}`);
    if (!c) return true;
    const key = c.resource.namespaced ? `${namespace}/${o.name}` : o.name;
    if (c.informer.get(key)?.metadata.uid === o.uid) return true;
    const live = await ignoreNotFound(client.get<KubeObject>(c.resource, c.resource.namespaced ? namespace : undefined, o.name));
    return live?.metadata.uid === o.uid;
  }

  async function pass(): Promise<void> {
    if (caches.some((c) => !c.informer.hasSynced())) return;
    const objects: GraphObject[] = caches.flatMap((c) => c.informer.list().map((object) => ({ resource: c.resource, object })));
    const absentOwners = new Set<string>();
    const checked = new Set<string>();
    for (const { object } of objects) {
      if (object.metadata.deletionTimestamp) continue;
      for (const o of object.metadata.ownerReferences ?? []) {
        const key = absentOwnerKey(object.metadata.namespace, o);
        if (checked.has(key)) continue;
        checked.add(key);
        if (!(await ownerExists(o, object.metadata.namespace))) absentOwners.add(key);
      }
    }

    const actions = computeGarbageCollection({ objects, absentOwners });
    for (const { resource, object } of actions.deleteOrphaned) {
      log.info({ kind: resource.kind, name: object.metadata.name, namespace: object.metadata.namespace }, 'deleting dependent whose owners are gone');
      await ignoreNotFound(client.delete(resource, object.metadata.namespace, object.metadata.name!, { propagationPolicy: 'Background' }));
    }
    for (const { resource, object } of actions.deleteForeground) await ignoreNotFound(client.delete(resource, object.metadata.namespace, object.metadata.name!, { propagationPolicy: 'Foreground' }));
    for (const { dependent, ownerReferences } of actions.release) {
      const { resource, object } = dependent;
      await ignoreNotFound(client.patch(resource, object.metadata.namespace, object.metadata.name!, 'merge', { metadata: { ownerReferences: ownerReferences.length ? ownerReferences : null } }));
    }
    for (const { owner, finalizer } of actions.removeFinalizer) {
      const { resource, object } = owner;
      const finalizers = (object.metadata.finalizers ?? []).filter((f) => f !== finalizer);
      await ignoreNotFound(client.patch(resource, object.metadata.namespace, object.metadata.name!, 'merge', { metadata: { finalizers: finalizers.length ? finalizers : null, resourceVersion: object.metadata.resourceVersion } }));
    }
  }

  // Deletions are what make dependents collectable: run a pass soon after one, and every 10 s regardless.
  const loop = periodic('garbage-collector', PASS_INTERVAL_MS, pass, (e) => log.warn({ err: (e as Error).message }, 'gc pass failed'), 500);
  for (const { informer } of caches) informer.addHandlers({ onDelete: () => loop.kick(), onUpdate: (_o, n) => n.metadata.deletionTimestamp && loop.kick() });
  return loop;
}
