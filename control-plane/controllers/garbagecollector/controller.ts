// pkg/controller/garbagecollector GarbageCollector: passes over every kind discovery lists as deletable, custom
// resources included, applying computeGarbageCollection. Owners are confirmed missing with a live GET before anything
// is deleted, so informer lag never deletes a dependent whose owner was just created.
import { ignoreNotFound } from '../../../api/errors.js';
import { logger } from '../../../api/log.js';
import { serverPreferredResources, supportsVerbs } from '../../../api/discovery.js';
import type { Informer } from '../../../api/informer.js';
import { apiVersionOf, type ResourceRef } from '../../../api/resources.js';
import type { KubeObject, OwnerReference } from '../../../api/types.js';
import { periodic, type Controller, type ControllerContext } from '../controller.js';
import { absentOwnerKey, computeGarbageCollection, type GraphObject } from './actions.js';

const log = logger('garbage-collector');

const PASS_INTERVAL_MS = 10_000;
/**
 * How long what discovery found stands while no CustomResourceDefinition changes: the kinds served change with those
 * alone (nothing here aggregates other APIs), so this is only the periodic resync kube's GC has as well.
 */
const DISCOVERY_TTL_MS = 30_000;

/** What the collector never tracks, as kube's GC ignores events: they are many, short-lived and own nothing. */
const IGNORED = new Set(['/events', 'events.k8s.io/events']);

/** group/kind: how owner references are matched to a tracked kind, whatever version they name. */
const groupKind = (apiVersion: string, kind: string) => `${apiVersion.includes('/') ? apiVersion.slice(0, apiVersion.lastIndexOf('/')) : ''}/${kind}`;

const CRDS = groupKind('apiextensions.k8s.io/v1', 'CustomResourceDefinition');

interface Tracked {
  resource: ResourceRef;
  informer: Informer<KubeObject>;
}

export function garbageCollector(ctx: ControllerContext): Controller {
  const { client, informers } = ctx;
  // Every kind that can be listed, watched and deleted, found through discovery (kube's GC resyncs its monitors from
  // discovery): asked again on the pass after a CustomResourceDefinition changes, so custom resources are collected
  // once their CRD is served and forgotten once it is not, and otherwise at the resync period.
  const tracked = new Map<string, Tracked>();
  const handled = new Set<string>();
  let discoveredAt = -Infinity;
  /** CustomResourceDefinition changes seen, and how many of them the last discovery had seen. */
  let crdChanges = 0;
  let discoveredChanges = -1;
  const crdChanged = () => {
    crdChanges++;
    loop.kick();
  };

  async function discover(): Promise<void> {
    if (discoveredChanges === crdChanges && Date.now() - discoveredAt < DISCOVERY_TTL_MS) return;
    const changes = crdChanges;
    const found = (await serverPreferredResources(client)).filter((r) => supportsVerbs(r, ['list', 'watch', 'delete']) && !IGNORED.has(`${r.group}/${r.plural}`));
    const keys = new Set(found.map((r) => groupKind(apiVersionOf(r), r.kind)));
    for (const key of [...tracked.keys()]) if (!keys.has(key)) tracked.delete(key);
    for (const r of found) {
      const key = groupKind(apiVersionOf(r), r.kind);
      if (tracked.get(key)?.resource.version === r.version) continue;
      const resource: ResourceRef = { group: r.group, version: r.version, plural: r.plural, kind: r.kind, namespaced: r.namespaced };
      const informer = informers.for<KubeObject>(resource).start();
      tracked.set(key, { resource, informer });
      if (!handled.has(key)) {
        handled.add(key);
        informer.addHandlers({ onDelete: () => loop.kick(), onUpdate: (_o, n) => n.metadata.deletionTimestamp && loop.kick() });
        if (key === CRDS) informer.addHandlers({ onAdd: crdChanged, onUpdate: crdChanged, onDelete: crdChanged });
      }
    }
    discoveredAt = Date.now();
    discoveredChanges = changes;
  }

  /** Whether the owner exists with this uid (cache first, then a live read); owners of kinds not tracked always do. */
  async function ownerExists(o: OwnerReference, namespace: string | undefined): Promise<boolean> {
    const c = tracked.get(groupKind(o.apiVersion, o.kind));
    if (!c) return true;
    const key = c.resource.namespaced ? `${namespace}/${o.name}` : o.name;
    if (c.informer.get(key)?.metadata.uid === o.uid) return true;
    const live = await ignoreNotFound(client.get<KubeObject>(c.resource, c.resource.namespaced ? namespace : undefined, o.name));
    return live?.metadata.uid === o.uid;
  }

  async function pass(): Promise<void> {
    await discover();
    const caches = [...tracked.values()];
    // Nothing is decided from partial state: look again soon.
    if (caches.some((c) => !c.informer.hasSynced())) return loop.kick();
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
  return loop;
}
