// Subresources with storage of their own (kube: k8s.io/apiserver/pkg/registry/rest/rest.go — the Creater, Updater
// and Connecter a subresource's REST implements): pods/binding, pods/eviction, pods/log, pods/exec, */scale,
// namespaces/finalize, certificatesigningrequests/approval. The handlers decode the request and write the answer;
// connect subresources answer themselves.
import type { IncomingMessage, ServerResponse } from 'node:http';
import { StatusError } from '../../../api/errors.js';
import type { UserInfo } from '../../../api/types.js';
import type { KubeletClientConfig } from './core/kubelet-client.js';
import type { ApiServices } from './services.js';
import type { ResourceDef } from './kinds.js';
import type { GenericStore, ManagedFieldsUpdate, Reads } from './store.js';

export interface SubresourceRequest {
  store: GenericStore;
  /** The reads of the request's scope: the watch cache, when the server has one. */
  reads: Reads;
  def: ResourceDef;
  namespace: string | undefined;
  name: string;
  method: string;
  query: URLSearchParams;
  /** The decoded body; undefined for GET and DELETE, and for connect subresources. */
  body: unknown;
  contentType: string;
  /** Records the request's field manager on the writes made for it (those that are tracked: scale). */
  managedFields: ManagedFieldsUpdate;
  req: IncomingMessage;
  res: ServerResponse;
  /** Credentials for reaching kubelets (pods/log, pods/exec). */
  kubelet?: KubeletClientConfig;
  /** Who asks (for admission of the writes a subresource makes). */
  user?: UserInfo;
  services?: ApiServices;
}

export interface SubresourceResponse {
  code: number;
  object: unknown;
}

export interface Subresource {
  /** Connect-style (log, exec): no request body to decode; the subresource answers on `res` itself. */
  connect?: boolean;
  serve(r: SubresourceRequest): Promise<SubresourceResponse | void>;
}

export type { ApiServices };

/** The answer to a method an endpoint does not serve. */
export const methodNotAllowed = () => new StatusError(405, 'MethodNotAllowed', 'the server does not allow this method on the requested resource');

/** A Status of success, the answer of subresources that act rather than return an object (binding, eviction). */
export const success = (code: number) => ({ kind: 'Status', apiVersion: 'v1', metadata: {}, status: 'Success', code });
