// What a kind adds to the generic store, as kube-apiserver's strategies do (k8s.io/apiserver/pkg/registry/rest:
// RESTCreateStrategy, RESTUpdateStrategy, RESTGracefulDeleteStrategy; each kind's pkg/registry/<group>/<kind>/strategy.go):
// what a client may not set on create, what an endpoint may not change on update, defaulting, validation, the
// fields it answers field selectors on, and the rules of its graceful deletion.
import type { KubeObject, StatusCause } from '../../../api/types.js';
import type { Requester } from './store.js';
import { objectMetaErrors, subdomainErrors } from './validation.js';

type Any = any;

export interface Strategy {
  /** Generation counts spec changes: 1 on create, one more whenever anything outside metadata and status changes. */
  readonly tracksGeneration: boolean;
  /**
   * Clears what a client may not set on create (PrepareForCreate), e.g. the status of a kind with a status endpoint;
   * a kind that records its creator (CertificateSigningRequest) reads who asks from the requester.
   */
  prepareForCreate(obj: KubeObject, requester?: Requester): void;
  /**
   * The object to store for a write of `obj` over `old` through this endpoint (PrepareForUpdate): what it may not
   * change is taken from `old` — the status for the main resource, everything but the status for /status.
   */
  prepareForUpdate(obj: KubeObject, old: KubeObject): KubeObject;
  /** Fills unset fields, on create and on every update (the scheme's defaulting). */
  defaults(obj: KubeObject): void;
  /** Field errors of a new object (Validate), its name included. */
  validate(obj: KubeObject): StatusCause[];
  /** Field errors of an update (ValidateUpdate). */
  validateUpdate(obj: KubeObject, old: KubeObject): StatusCause[];
  /** Field values field selectors may name, besides metadata.name and metadata.namespace (GetAttrs). */
  fields(obj: KubeObject): Record<string, string>;
  /** Seconds a delete lets the object live on (CheckGracefulDelete); 0 deletes at once. */
  gracePeriod(obj: KubeObject, requested: number | undefined): number;
  /**
   * A terminating object that must stay although no metadata finalizer is left: a bound pod until its kubelet has
   * stopped it, a namespace until its spec.finalizers are done.
   */
  awaitsFinalization(obj: KubeObject): boolean;
  /**
   * Marks an object whose deletion is asked for (a namespace turns Terminating; a CRD gains the finalizer that
   * deletes its objects first), given the stored object; what it marks is stored when the object does not go at once.
   */
  prepareForDelete(obj: KubeObject, stored?: KubeObject): void;
}

/** The parts a kind states; the rest is the common behaviour. */
export interface StrategyOptions {
  /** Served with a /status endpoint: the main resource neither sets nor changes status. */
  statusSubresource?: boolean;
  /** Has spec: generation tracks its changes (default true). */
  tracksGeneration?: boolean;
  defaults?(obj: KubeObject): void;
  /** Field errors; old is set on update. */
  validate?(obj: KubeObject, old?: KubeObject): StatusCause[];
  /** Rules for metadata.name (default: a DNS subdomain). */
  validateName?(name: string): StatusCause[];
  fields?(obj: KubeObject): Record<string, string>;
}

/** Removes or restores the status, as a kind with a status endpoint does for writes to the main resource. */
function keepStatus(obj: KubeObject, old: KubeObject | undefined): void {
  const o = obj as Any;
  if ((old as Any)?.status === undefined) delete o.status;
  else o.status = structuredClone((old as Any).status);
}

/** The common strategy, with what a kind states. */
export function strategy(o: StrategyOptions = {}): Strategy {
  const validate = o.validate ?? (() => []);
  const validateName = o.validateName ?? ((name: string) => subdomainErrors('metadata.name', name));
  return {
    tracksGeneration: o.tracksGeneration ?? true,
    prepareForCreate(obj) {
      if (o.statusSubresource) keepStatus(obj, undefined);
    },
    prepareForUpdate(obj, old) {
      const next = structuredClone(obj);
      next.metadata ??= {};
      if (o.statusSubresource) keepStatus(next, old);
      return next;
    },
    defaults: o.defaults ?? (() => {}),
    validate: (obj) => [...validateName(obj.metadata.name ?? ''), ...objectMetaErrors(obj), ...validate(obj)],
    validateUpdate: (obj, old) => [...objectMetaErrors(obj), ...validate(obj, old)],
    fields: o.fields ?? (() => ({})),
    gracePeriod: () => 0,
    awaitsFinalization: () => false,
    prepareForDelete: () => {},
  };
}

/** Writes through /status: only the status changes, everything else stays as stored (the kinds' statusStrategy). */
export function statusStrategy(main: Strategy): Strategy {
  return {
    ...main,
    prepareForUpdate(obj, old) {
      const next = structuredClone(old) as Any;
      next.status = structuredClone((obj as Any).status);
      return next;
    },
  };
}
