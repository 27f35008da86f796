// What admission plugins read (kube: the client-go listers their informers feed): the stored objects of a kind in a
// namespace, straight from storage.
import type { ResourceRef } from '../../../api/resources.js';
import type { Store } from '../../storage/store.js';
import { storePrefix } from '../registry/kinds.js';

type Any = any;

export async function listIn(store: Store, ref: ResourceRef, namespace: string): Promise<Any[]> {
  const page = await store.list(storePrefix(ref, namespace));
  return page.items.map((kv) => JSON.parse(kv.value));
}
