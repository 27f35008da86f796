// The field manager (kube: k8s.io/apimachinery/pkg/util/managedfields/internal/fieldmanager.go, wrapped around
// writes by the handlers): handed the live and the new object of a write and the request's manager, it keeps
// metadata.managedFields — an Update entry on every create, update and patch — and computes server-side apply: the
// merge of an applied configuration into the live object, with conflicts, force and pruning.
import { invalid, StatusError } from '../../../api/errors.js';
import { apiVersionOf, type ResourceRef } from '../../../api/resources.js';
import type { KubeObject } from '../../../api/types.js';
import { formatTime } from '../../../api/time.js';
import { applyConfig, ConflictError, decodeManagedFields, encodeManagedFields, recordUpdate, resetFilter, type ManagedFieldsEntry, type Managers, type TrackingContext } from './managers.js';
import type { Schema } from '../openapi/dsl.js';
import { kindSchema } from './schema.js';
import { configErrors } from './typed.js';

/** The kind a field manager tracks, and the subresources it is served with (a /status endpoint owns the status). */
export type TrackedKind = ResourceRef & { subresources: readonly string[]; openapi?: { schema: Schema } };

export function trackingContext(kind: TrackedKind, subresource: string | undefined): TrackingContext {
  return {
    schema: kind.openapi?.schema ?? kindSchema(kind.group, kind.version, kind.kind),
    apiVersion: apiVersionOf(kind),
    subresource,
    now: formatTime(),
    filter: resetFilter(subresource, kind.subresources.includes('status')),
  };
}

const MAX_MANAGER_LENGTH = 128;

/** kube-apiserver's default manager name: the user agent up to the first "/", printable characters only. */
export function managerFromUserAgent(userAgent: string | undefined): string {
  const product = (userAgent ?? '').split('/')[0];
  return [...product].filter((c) => /\P{C}/u.test(c)).join('').slice(0, MAX_MANAGER_LENGTH);
}

/** The manager a request writes as: its fieldManager parameter, else derived from its user agent. */
export function managerOf(query: URLSearchParams, userAgent: string | undefined): string {
  return query.get('fieldManager') || managerFromUserAgent(userAgent);
}

function setManagedFields(obj: KubeObject, entries: unknown): void {
  if (Array.isArray(entries) && entries.length) obj.metadata.managedFields = entries;
  else delete obj.metadata.managedFields;
}

/** managedFields: [] or [{}] in a request clears the bookkeeping. */
function isReset(entries: unknown): boolean {
  if (!Array.isArray(entries)) return false;
  if (entries.length === 0) return true;
  return entries.length === 1 && entries[0] && typeof entries[0] === 'object' && Object.keys(entries[0]).length === 0;
}

function tryDecode(entries: unknown): Managers | undefined {
  try {
    return decodeManagedFields(entries);
  } catch {
    return undefined;
  }
}

export interface Applied {
  /** The live object with the configuration merged in (fields the applier gave up pruned). */
  object: KubeObject;
  /** The managedFields to store with it. */
  managedFields: ManagedFieldsEntry[] | undefined;
}

export class FieldManager {
  constructor(private readonly kind: TrackedKind) {}

  /**
   * Sets obj.metadata.managedFields for a create (live undefined), update or patch by `manager` through
   * `subresource` (kube's UpdateNoErrors: bookkeeping never fails a write).
   */
  update(live: KubeObject | undefined, obj: KubeObject, manager: string, subresource?: string): void {
    obj.metadata ??= {};
    // The request's own managedFields replace the stored ones (kubectl's client-side to server-side migration
    // rewrites them so); subresources cannot touch them.
    const requested = obj.metadata.managedFields;
    let managers: Managers | undefined;
    if (isReset(requested) && !subresource) managers = new Map();
    else {
      const mine = subresource ? undefined : tryDecode(requested);
      managers = mine?.size ? mine : tryDecode(live?.metadata.managedFields) ?? new Map();
    }
    // An existing object nobody tracks stays untracked until someone applies it.
    if (managers.size === 0 && live) return setManagedFields(obj, undefined);
    const next = structuredClone(obj);
    delete next.metadata.managedFields;
    try {
      setManagedFields(obj, encodeManagedFields(recordUpdate(live, next, managers, manager, trackingContext(this.kind, subresource))));
    } catch {
      // The object keeps what it had; a malformed object is then refused by validation.
      setManagedFields(obj, live?.metadata.managedFields);
    }
  }

  /**
   * Server-side apply of `config` by `manager` to `live` (undefined: the object does not exist yet). Changing a
   * field another manager owns is a 409 unless `force`.
   */
  apply(live: KubeObject | undefined, config: KubeObject, manager: string, force: boolean, subresource?: string): Applied {
    let managers: Managers;
    try {
      managers = decodeManagedFields(live?.metadata.managedFields);
    } catch (e) {
      throw new StatusError(500, 'InternalError', `Internal error occurred: failed to decode managed fields: ${(e as Error).message}`);
    }
    // A configuration the merge cannot type (lists given scalars, repeated keys) is refused before it merges.
    const ctx = trackingContext(this.kind, subresource);
    const errors = configErrors(config, ctx.schema);
    if (errors.length) throw invalid(this.kind.kind, config.metadata?.name ?? live?.metadata.name ?? '', errors, this.kind.group);
    try {
      const result = applyConfig(live ?? ({ metadata: {} } as KubeObject), config, managers, { manager, force }, ctx);
      return { object: result.object, managedFields: encodeManagedFields(result.managers) };
    } catch (e) {
      if (e instanceof ConflictError) throw e.toStatusError();
      throw e;
    }
  }
}

const managers = new WeakMap<TrackedKind, FieldManager>();

/** The field manager of a served kind (kube's installer builds one per resource). */
export function fieldManagerFor(kind: TrackedKind): FieldManager {
  let m = managers.get(kind);
  if (!m) managers.set(kind, (m = new FieldManager(kind)));
  return m;
}
