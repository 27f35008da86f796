// What every resource handler works with (kube: k8s.io/apiserver/pkg/endpoints/handlers/rest.go, RequestScope): the
// request, the kind and object it addresses, the store, and the field manager the handlers wrap around writes.
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { FieldManager } from '../fieldmanager/fieldmanager.js';
import type { UserInfo } from '../filters/chain.js';
import type { Wanted } from '../http.js';
import type { KubeletClientConfig } from '../registry/core/kubelet-client.js';
import type { ApiServices } from '../registry/rest.js';
import type { ResourceDef } from '../registry/kinds.js';
import type { GenericStore, ManagedFieldsUpdate, Reads } from '../registry/store.js';
import type { Strategy } from '../registry/strategy.js';
import type { RequestInfo } from '../requestinfo.js';

export interface RequestScope {
  req: IncomingMessage;
  res: ServerResponse;
  info: RequestInfo;
  user?: UserInfo;
  query: URLSearchParams;
  def: ResourceDef;
  /** The namespace the path scopes the request to. */
  namespace: string | undefined;
  /** The object's name in the path. */
  name: string | undefined;
  subresource: string | undefined;
  store: GenericStore;
  /** Where get, list and watch read: the watch cache in front of the store, or the store. */
  reads: Reads;
  fieldManager: FieldManager;
  /** The field manager name the request writes as. */
  manager: string;
  /** The output the client asked for. */
  want: Wanted;
  kubelet?: KubeletClientConfig;
  services?: ApiServices;
}

export type VerbHandler = (s: RequestScope) => Promise<void>;

export const isDryRun = (s: RequestScope) => s.query.get('dryRun') === 'All';

/** Who writes, and through which endpoint: what admission and strategies may judge by. */
export const requester = (s: RequestScope) => ({ user: s.user, subresource: s.subresource });

/** The request's writes recorded in managedFields under its manager (the handlers' fieldmanager.UpdateNoErrors). */
export const managedFields = (s: RequestScope): ManagedFieldsUpdate => (live, obj) => s.fieldManager.update(live, obj, s.manager, s.subresource);

/** The strategy of the endpoint: the kind's, or its /status one. */
export const strategyOf = (s: RequestScope): Strategy | undefined => (s.subresource === 'status' ? s.def.statusStrategy : s.def.strategy);
