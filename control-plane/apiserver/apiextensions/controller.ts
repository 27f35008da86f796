// The controllers kube-apiserver runs for CustomResourceDefinitions (kube: k8s.io/apiextensions-apiserver/pkg/
// controller — status/naming_controller.go, establish/establishing_controller.go, finalizer/crd_finalizer.go — and the
// crdHandler's serving map): names are accepted unless another CRD of the group holds them (NamesAccepted), accepted
// names are established (Established), established CRDs are served, and a CRD being deleted has its objects deleted
// before its cleanup finalizer goes. One worker, level-triggered: sync(name) works from the cache, never the event.
import { isNotFound } from '../../../api/errors.js';
import { logger } from '../../../api/log.js';
import type { CustomResourceDefinition, CustomResourceDefinitionCondition, CustomResourceDefinitionNames, KubeObject } from '../../../api/types.js';
import { runWorkers, WorkQueue } from '../../../api/workqueue.js';
import { deepEqual } from '../equality.js';
import { CLEANUP_FINALIZER, conditionTrue, setCondition } from '../registry/apiextensions/customresourcedefinition.js';
import { ObjectCache } from '../registry/cache.js';
import { findByPlural, type ResourceDef } from '../registry/kinds.js';
import type { ServedKinds } from '../registry/served.js';
import type { GenericStore } from '../registry/store.js';
import { customResourceKinds, storageKind } from './customresource.js';

const log = logger('apiextensions');

/** How soon a CRD whose objects are still going is looked at again. */
const RECHECK_MS = 1000;

type Names = CustomResourceDefinitionNames;

/** The names a CRD may take and the NamesAccepted and Established conditions that follow (kube's calculateNamesAndConditions). */
export function computeNames(crd: CustomResourceDefinition, others: CustomResourceDefinition[]): { names: Names; namesAccepted: CustomResourceDefinitionCondition; established: CustomResourceDefinitionCondition } {
  const resources = new Set<string>();
  const kinds = new Set<string>();
  for (const o of others) {
    if (o.metadata.name === crd.metadata.name || o.spec.group !== crd.spec.group) continue;
    const a = o.status?.acceptedNames;
    if (!a) continue;
    for (const n of [a.plural, a.singular, ...(a.shortNames ?? [])]) if (n) resources.add(n);
    for (const n of [a.kind, a.listKind]) if (n) kinds.add(n);
  }
  const wanted = crd.spec.names;
  const accepted = crd.status?.acceptedNames ?? { plural: '', kind: '' };
  const names: Names = { ...accepted };
  let conflict: { reason: string; message: string } | undefined;
  const fresh = (want: string | undefined, have: string | undefined, used: Set<string>) => want === have || !want || !used.has(want);
  const take = (field: 'plural' | 'singular' | 'kind' | 'listKind', used: Set<string>, reason: string) => {
    if (fresh(wanted[field], accepted[field], used)) names[field] = wanted[field] as string;
    else conflict = { reason, message: `"${wanted[field]}" is already in use` };
  };
  take('plural', resources, 'PluralConflict');
  take('singular', resources, 'SingularConflict');
  if (!deepEqual(wanted.shortNames ?? [], accepted.shortNames ?? [])) {
    const mine = new Set(accepted.shortNames ?? []);
    const taken = (wanted.shortNames ?? []).filter((s) => !mine.has(s) && resources.has(s));
    if (taken.length) conflict = { reason: 'ShortNamesConflict', message: taken.map((s) => `"${s}" is already in use`).join(', ') };
    else names.shortNames = wanted.shortNames;
  }
  take('kind', kinds, 'KindConflict');
  take('listKind', kinds, 'ListKindConflict');
  names.categories = wanted.categories;
  for (const k of Object.keys(names) as (keyof Names)[]) if (names[k] === undefined) delete names[k];
  const namesAccepted: CustomResourceDefinitionCondition = conflict
    ? { type: 'NamesAccepted', status: 'False', ...conflict }
    : { type: 'NamesAccepted', status: 'True', reason: 'NoConflicts', message: 'no conflicts found' };
  let established: CustomResourceDefinitionCondition = (crd.status?.conditions ?? []).find((c) => c.type === 'Established') ?? { type: 'Established', status: 'False', reason: 'NotAccepted', message: 'not all names are accepted' };
  if (established.status !== 'True' && namesAccepted.status === 'True') established = { type: 'Established', status: 'False', reason: 'Installing', message: 'the initial names have been accepted' };
  return { names, namesAccepted, established };
}

export class CustomResourceDefinitionController {
  private readonly cache: ObjectCache<CustomResourceDefinition>;
  private readonly queue = new WorkQueue(100, 30_000);
  private readonly def: ResourceDef;
  private running?: Promise<void>;
  /** Resolves once the CRDs stored at start-up are served. */
  readonly synced: Promise<void>;

  constructor(
    private readonly store: GenericStore,
    private readonly served: ServedKinds,
  ) {
    this.def = findByPlural('apiextensions.k8s.io', 'v1', 'customresourcedefinitions')!;
    this.cache = new ObjectCache<CustomResourceDefinition>(store, this.def);
    this.cache.addHandlers({
      onUpsert: (crd) => this.queue.add(crd.metadata.name!),
      // A deleted CRD frees its names: the others of its group may take them now.
      onDelete: (crd) => {
        this.queue.add(crd.metadata.name!);
        for (const o of this.cache.list()) if (o.spec.group === crd.spec.group) this.queue.add(o.metadata.name!);
      },
    });
    this.synced = this.cache.synced.then(() => {
      for (const crd of this.cache.list()) this.serve(crd);
    });
  }

  start(): this {
    this.cache.start();
    this.running ??= runWorkers('apiextensions', this.queue, 1, (name) => this.sync(name));
    return this;
  }

  close(): void {
    this.queue.close();
    this.cache.close();
  }

  hasSynced(): boolean {
    return this.cache.hasSynced();
  }

  private serve(crd: CustomResourceDefinition): void {
    const kinds = customResourceKinds(crd);
    if (kinds.length) this.served.set(crd.metadata.name!, kinds);
    else this.served.remove(crd.metadata.name!);
  }

  async sync(name: string): Promise<void> {
    const crd = this.cache.get(name);
    if (!crd) {
      this.served.remove(name);
      return;
    }
    this.serve(crd);
    if (await this.updateNames(crd)) return; // the write comes back through the cache
    if (await this.establish(crd)) return;
    if (crd.metadata.deletionTimestamp && (crd.metadata.finalizers ?? []).includes(CLEANUP_FINALIZER)) await this.finalize(crd);
  }

  /** Writes the CRD's status as `change` makes it from the stored one; false when nothing changes. */
  private async writeStatus(name: string, change: (crd: CustomResourceDefinition) => void): Promise<boolean> {
    let changed = false;
    try {
      await this.store.update(
        this.def,
        undefined,
        name,
        (live) => {
          const next = structuredClone(live) as CustomResourceDefinition;
          change(next);
          changed = !deepEqual(next.status, (live as CustomResourceDefinition).status);
          return next;
        },
        { strategy: this.def.statusStrategy },
      );
    } catch (e) {
      if (isNotFound(e)) return false;
      throw e;
    }
    return changed;
  }

  private async updateNames(crd: CustomResourceDefinition): Promise<boolean> {
    const namesAccepted = (crd.status?.conditions ?? []).find((c) => c.type === 'NamesAccepted');
    if (namesAccepted && deepEqual(crd.spec.names, crd.status?.acceptedNames)) return false;
    return this.writeStatus(crd.metadata.name!, (live) => {
      const { names, namesAccepted: accepted, established } = computeNames(live, [...this.cache.list()]);
      live.status = { ...(live.status ?? {}), acceptedNames: names };
      setCondition(live, accepted);
      setCondition(live, established);
    });
  }

  private async establish(crd: CustomResourceDefinition): Promise<boolean> {
    if (!conditionTrue(crd, 'NamesAccepted') || conditionTrue(crd, 'Established')) return false;
    return this.writeStatus(crd.metadata.name!, (live) => setCondition(live, { type: 'Established', status: 'True', reason: 'InitialNamesAccepted', message: 'the initial names have been accepted' }));
  }

  /** Deletes every object of the CRD's resource; once none is left, the cleanup finalizer goes (kube's CRDFinalizer). */
  private async finalize(crd: CustomResourceDefinition): Promise<void> {
    const name = crd.metadata.name!;
    const kind = storageKind(crd);
    if (kind && conditionTrue(crd, 'Established')) {
      const { items } = await this.store.list(kind, undefined, {});
      if (items.length) {
        await this.writeStatus(name, (live) => setCondition(live, { type: 'Terminating', status: 'True', reason: 'InstanceDeletionInProgress', message: 'CustomResource deletion is in progress' }));
        for (const o of items) if (!o.metadata.deletionTimestamp) await this.store.delete(kind, o.metadata.namespace, o.metadata.name!).catch((e) => (isNotFound(e) ? undefined : Promise.reject(e)));
        // Objects with finalizers of their own stay until those are done.
        this.queue.addAfter(name, RECHECK_MS);
        return;
      }
      await this.writeStatus(name, (live) => setCondition(live, { type: 'Terminating', status: 'False', reason: 'InstanceDeletionCompleted', message: 'removed all instances' }));
    }
    log.info({ crd: name }, 'custom resources removed; releasing the definition');
    await this.store
      .update(this.def, undefined, name, (live: KubeObject) => {
        const next = structuredClone(live);
        next.metadata.finalizers = (next.metadata.finalizers ?? []).filter((f) => f !== CLEANUP_FINALIZER);
        return next;
      })
      .catch((e) => (isNotFound(e) ? undefined : Promise.reject(e)));
  }
}
