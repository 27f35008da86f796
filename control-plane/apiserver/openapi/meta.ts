// apimachinery's shared types: object and list metadata, selectors, times, Status, DeleteOptions, and the two
// special scalars (IntOrString, Quantity) that kube-openapi renders as one-of types.
import { anyObject, bool, int32, int64, list, obj, pkg, ref, scalar, str, strings, strMap, type Definition } from './dsl.js';

export const meta = pkg('io.k8s.apimachinery.pkg.apis.meta.v1');
export const intOrString = 'io.k8s.apimachinery.pkg.util.intstr.IntOrString';
export const quantity = 'io.k8s.apimachinery.pkg.api.resource.Quantity';
export const rawExtension = 'io.k8s.apimachinery.pkg.runtime.RawExtension';

/** A meta/v1 Time field. */
export const time = (description: string) => ref(meta('Time'), description);
export const microTime = (description: string) => ref(meta('MicroTime'), description);
export const selector = (description: string) => ref(meta('LabelSelector'), description);

export const metaDefinitions: Definition[] = [
  scalar(intOrString, {
    description: 'Holds either a 32-bit integer or a string; a port, for example, may be given by number or by name, and a surge by count or by percentage.',
    format: 'int-or-string',
    oneOf: [{ type: 'integer' }, { type: 'string' }],
    'x-kubernetes-int-or-string': true,
  }),
  scalar(quantity, {
    description:
      'A fixed-point amount written as a number with an optional suffix: binary (Ki, Mi, Gi, Ti, Pi, Ei), decimal (m, k, M, G, T, P, E) or an exponent (1e3). Examples: 500m CPU, 128Mi memory, 2 CPUs.',
    oneOf: [{ type: 'string' }, { type: 'number' }],
  }),
  scalar(rawExtension, { description: 'An embedded object of any kind, kept as raw JSON.', type: 'object' }),
  scalar(meta('Time'), { description: 'A point in time, serialized as an RFC 3339 string with second precision.', type: 'string', format: 'date-time' }),
  scalar(meta('MicroTime'), { description: 'A point in time with microsecond precision, serialized as an RFC 3339 string.', type: 'string', format: 'date-time' }),
  scalar(meta('FieldsV1'), { description: 'The set of fields one manager owns, encoded as a trie of field names, list keys and values.', type: 'object' }),

  obj(meta('ObjectMeta'), 'Metadata every persisted object carries: identity, labels and annotations, ownership, and the bookkeeping the server maintains.', {
    annotations: strMap('Arbitrary, unstructured key/value data that tools and controllers attach to an object. Not queryable.'),
    creationTimestamp: time('When the server created this object. Set by the server; read-only. Absent for objects that are not yet created.'),
    deletionGracePeriodSeconds: int64('Seconds the object has left to shut down gracefully once deletion was requested. Set by the server; read-only.'),
    deletionTimestamp: time('When the object will be (or was asked to be) deleted. Set by the server when a graceful delete is requested; the object stays visible until its finalizers are gone. Read-only.'),
    finalizers: strings('Names of pending clean-up steps; the object is only removed from storage once this list is empty. Each entry is owned by the controller that performs it.', { listType: 'set', strategy: 'merge' }),
    generateName: str('A prefix from which the server generates a unique name when name is empty; a random suffix is appended.'),
    generation: int64('Sequence number of a specific generation of the desired state. Set by the server; bumped when spec changes. Read-only.'),
    labels: strMap('Key/value pairs used to organize and select objects; the basis of label selectors on services, controllers and kubectl.'),
    managedFields: list(meta('ManagedFieldsEntry'), 'Which managers own which fields, tracked by the server for server-side apply. Clients normally leave it alone.', { listType: 'atomic' }),
    name: str('Name of the object, unique within its namespace (or cluster-wide for cluster-scoped kinds). Cannot be updated.'),
    namespace: str('The namespace this object lives in. Empty means "default" for namespaced kinds; cluster-scoped kinds have none. Cannot be updated.'),
    ownerReferences: list(meta('OwnerReference'), 'Objects this object depends on. When every owner is gone, the garbage collector deletes this object. At most one entry may be the managing controller.', {
      mapKeys: ['uid'],
      listType: 'map',
      mergeKey: 'uid',
      strategy: 'merge',
    }),
    resourceVersion: str('Opaque version of this object, changed on every write; used for optimistic concurrency and to resume watches. Set by the server.'),
    selfLink: str('Deprecated and no longer set by the server.'),
    uid: str('Unique identifier the server assigns at creation; distinguishes this object from earlier objects of the same name. Read-only.'),
  }),

  obj(meta('OwnerReference'), 'Identifies an owning object; the owner must be in the same namespace as the dependent, or cluster-scoped.', {
    apiVersion: str('API version of the owner.'),
    blockOwnerDeletion: bool('When true and the owner has the foregroundDeletion finalizer, the owner is not removed from storage until this dependent is deleted.'),
    controller: bool('True when this owner is the managing controller of the dependent.'),
    kind: str('Kind of the owner.'),
    name: str('Name of the owner.'),
    uid: str('UID of the owner.'),
  }, { required: ['apiVersion', 'kind', 'name', 'uid'], mapType: 'atomic' }),

  obj(meta('ManagedFieldsEntry'), 'The fields one manager owns, recorded by the server for server-side apply.', {
    apiVersion: str('Version of the resource the field set applies to.'),
    fieldsType: str('Format of the field set; the only value is "FieldsV1".'),
    fieldsV1: ref(meta('FieldsV1'), 'The owned fields, in the FieldsV1 format.'),
    manager: str('Name of the workflow managing these fields.'),
    operation: str('The kind of write that made this entry: "Apply" or "Update".'),
    subresource: str('The subresource the write was made through (e.g. "status"); empty for the main resource.'),
    time: time('When the set of owned fields last changed.'),
  }),

  obj(meta('ListMeta'), 'Metadata of a list response.', {
    continue: str('Token to request the next page of a paged list; empty on the last page.'),
    remainingItemCount: int64('How many items follow this page, when the server can tell.'),
    resourceVersion: str('The store version the list was read at; start a watch from here.'),
    selfLink: str('Deprecated and no longer set by the server.'),
  }),

  obj(meta('LabelSelector'), 'Selects objects by their labels. Conditions are ANDed; an empty selector matches everything and a null one matches nothing.', {
    matchExpressions: list(meta('LabelSelectorRequirement'), 'Set-based requirements, all of which must hold.', { listType: 'atomic' }),
    matchLabels: strMap('Exact label matches; each pair is equivalent to an In requirement with a single value.'),
  }, { mapType: 'atomic' }),

  obj(meta('LabelSelectorRequirement'), 'One set-based condition on a label.', {
    key: str('The label key the condition applies to.'),
    operator: str('How key relates to values: In, NotIn, Exists or DoesNotExist.'),
    values: strings('Values for In and NotIn (must be non-empty); must be empty for Exists and DoesNotExist.', { listType: 'atomic' }),
  }, { required: ['key', 'operator'] }),

  obj(meta('FieldSelectorRequirement'), 'One condition on a field.', {
    key: str('The field the condition applies to.'),
    operator: str('How key relates to values: In, NotIn, Exists or DoesNotExist.'),
    values: strings('Values for In and NotIn (must be non-empty); must be empty for Exists and DoesNotExist.', { listType: 'atomic' }),
  }, { required: ['key', 'operator'] }),

  obj(meta('Condition'), 'One aspect of an object\'s current state, in the standard condition shape.', {
    lastTransitionTime: time('When the status last changed from one value to another.'),
    message: str('Human-readable details about the transition.'),
    observedGeneration: int64('The metadata.generation this condition was computed from.'),
    reason: str('Machine-readable CamelCase reason for the last transition.'),
    status: str('True, False or Unknown.'),
    type: str('The aspect this condition describes, in CamelCase.'),
  }, { required: ['type', 'status', 'lastTransitionTime', 'reason', 'message'] }),

  obj(meta('Status'), 'The result of an operation that does not return an object, and the body of every error response.', {
    apiVersion: str('The versioned schema of this object.'),
    code: int32('HTTP status code of the result.'),
    details: ref(meta('StatusDetails'), 'Extra data about the reason, in a shape that depends on it.'),
    kind: str('Always "Status".'),
    message: str('Human-readable description of the result.'),
    metadata: ref(meta('ListMeta'), 'Standard list metadata.', { default: {} }),
    reason: str('Machine-readable reason for a Failure (NotFound, AlreadyExists, Conflict, Invalid…).'),
    status: str('"Success" or "Failure".'),
  }, { gvk: [{ group: '', version: 'v1', kind: 'Status' }] }),

  obj(meta('StatusDetails'), 'Extra data attached to a Status: which object was involved and, for invalid requests, which fields were wrong.', {
    causes: list(meta('StatusCause'), 'The individual errors behind the failure.', { listType: 'atomic' }),
    group: str('API group of the object involved.'),
    kind: str('Kind of the object involved.'),
    name: str('Name of the object involved.'),
    retryAfterSeconds: int32('Seconds to wait before retrying, when the server suggests it.'),
    uid: str('UID of the object involved.'),
  }),

  obj(meta('StatusCause'), 'One error behind a failed operation, often tied to a field.', {
    field: str('Path of the field at fault, e.g. "spec.containers[0].name".'),
    message: str('Human-readable description of the error.'),
    reason: str('Machine-readable description of the error (FieldValueRequired, FieldValueInvalid…).'),
  }),

  obj(meta('DeleteOptions'), 'Options for a delete request.', {
    apiVersion: str('The versioned schema of this object.'),
    dryRun: strings('When set to "All", the delete is checked but not persisted.', { listType: 'atomic' }),
    gracePeriodSeconds: int64('Seconds to wait before the object is deleted; 0 deletes immediately. Defaults to the kind\'s own grace period.'),
    ignoreStoreReadErrorWithClusterBreakingPotential: bool('Deletes an object whose stored data cannot be read or decoded. Dangerous; needs its own permission.'),
    kind: str('Always "DeleteOptions".'),
    orphanDependents: bool('Deprecated: use propagationPolicy. When true, dependents are orphaned rather than deleted.'),
    preconditions: ref(meta('Preconditions'), 'Conditions the object must meet for the delete to proceed.'),
    propagationPolicy: str('How dependents are handled: Orphan, Background or Foreground.'),
  }),

  obj(meta('Preconditions'), 'Conditions an object must meet before an operation proceeds.', {
    resourceVersion: str('The object\'s resourceVersion must equal this.'),
    uid: str('The object\'s UID must equal this.'),
  }),

  obj(meta('WatchEvent'), 'One event of a watch stream.', {
    object: ref(rawExtension, 'The object as it is after the event (ADDED, MODIFIED), its last state (DELETED), a bookmark, or a Status (ERROR).'),
    type: str('ADDED, MODIFIED, DELETED, BOOKMARK or ERROR.'),
  }, { required: ['type', 'object'] }),
];
