// What admission plugins read (kube: the client-go listers their informers feed): the objects of a kind in a
// namespace. kube-apiserver's LimitRanger, ResourceQuota and Priority read informers; here they read the watch cache, with a
// consistent read (the cache answers only once it holds every write made before the request, as kube's consistent
// reads from cache wait for the store's current revision), and storage when the cache cannot answer.
import type { ResourceRef } from '../../../api/resources.js';
import type { Store } from '../../storage/store.js';
import { findByPlural, storeKey, storePrefix } from '../registry/kinds.js';
import { decode, type Reads } from '../registry/store.js';
import type { Cacher } from '../registry/watchcache.js';

type Any = any;

/**
 * The objects of a kind in a namespace (undefined: a cluster-scoped kind's), as stored now; read-only (a cache's
 * objects are shared), the array is the caller's.
 */
export type NamespaceLister = (ref: ResourceRef, namespace: string | undefined) => Promise<Any[]>;

/** Lists through `cache` (the watch cache, once the server has made it; none when it is off), else from the store. */
export function namespaceLister(store: Store, cache: () => Reads | undefined = () => undefined): NamespaceLister {
  return async (ref, namespace) => {
    const reads = cache();
    const def = reads && findByPlural(ref.group, ref.version, ref.plural);
    if (def) return [...(await reads.list(def, namespace, {})).items];
    const page = await store.list(storePrefix(ref, namespace));
    return page.items.map((kv) => decode(kv));
  };
}

/** One object as stored now, or undefined when there is none; read-only (a cache's objects are shared). */
export type ObjectGetter = (ref: ResourceRef, namespace: string | undefined, name: string) => Promise<Any | undefined>;

/** Reads through `cache` as the lister does (a consistent read, from memory), else from the store. */
export function objectGetter(store: Store, cache: () => Cacher | undefined = () => undefined): ObjectGetter {
  return async (ref, namespace, name) => {
    const def = findByPlural(ref.group, ref.version, ref.plural);
    const cached = def && (await cache()?.current(def, namespace, name));
    if (cached !== undefined) return cached ?? undefined;
    const kv = await store.get(storeKey(ref, namespace, name));
    return kv && decode(kv);
  };
}
