// Server-side apply and managedFields for the API server:
//   - recordManagedFields: the hook the generic REST layer calls before every create and update, recording an
//     Update entry for the request's field manager (or storing what apply computed);
//   - serverSideApply: PATCH with application/apply-patch+yaml — create or merge, conflicts, force, pruning;
//   - sameStoredObject: the no-op test for writes (a write that changes nothing keeps its resourceVersion).
import { badRequest, invalid, StatusError } from '../../../api/errors.js';
import type { KubeObject } from '../../../api/types.js';
import { apiVersionOf, type ResourceDef } from '../registry.js';
import type { Rest } from '../rest.js';
import type { RequestInfo } from '../server.js';
import { currentWrite, withWriteContext } from './context.js';
import { applyConfig, ConflictError, decodeManagedFields, encodeManagedFields, recordUpdate, resetFilter, type Managers, type TrackingContext } from './managers.js';
import { kindSchema } from './schema.js';
import { deepEqual } from './typed.js';
import { formatTime } from '../../../api/time.js';

export { requestWriteContext, withWriteContext, managerFromUserAgent } from './context.js';
export { ConflictError } from './managers.js';

type Any = any;

/** Writes through these subresources change no ownership (kube-apiserver writes them to storage directly). */
const untracked = new Set(['binding', 'eviction', 'finalize']);

const nowSeconds = () => formatTime();

export function trackingContext(def: ResourceDef, subresource: string | undefined): TrackingContext {
  return {
    schema: kindSchema(def.group, def.version, def.kind),
    apiVersion: apiVersionOf(def),
    subresource,
    now: nowSeconds(),
    filter: resetFilter(subresource, def.subresources.includes('status')),
  };
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

/**
 * Sets obj.metadata.managedFields for a write of obj over live (undefined on create), for the manager of the
 * request being served. Writes the server makes on its own keep the bookkeeping they had.
 */
export function recordManagedFields(def: ResourceDef, live: KubeObject | undefined, obj: KubeObject): void {
  obj.metadata ??= {};
  const w = currentWrite();
  if (w?.precomputed) return setManagedFields(obj, w.precomputed.managedFields);
  if (!w || (w.subresource && untracked.has(w.subresource))) return setManagedFields(obj, live ? live.metadata.managedFields : obj.metadata.managedFields);
  // The request's own managedFields replace the stored ones (kubectl's client-side to server-side migration
  // rewrites them so); subresources cannot touch them.
  const requested = obj.metadata.managedFields;
  let managers: Managers | undefined;
  if (isReset(requested) && !w.subresource) managers = new Map();
  else {
    const mine = w.subresource ? undefined : tryDecode(requested);
    managers = mine?.size ? mine : tryDecode(live?.metadata.managedFields) ?? new Map();
  }
  // An existing object nobody tracks stays untracked until someone applies it.
  if (managers.size === 0 && live) return setManagedFields(obj, undefined);
  const next = structuredClone(obj);
  delete next.metadata.managedFields;
  try {
    setManagedFields(obj, encodeManagedFields(recordUpdate(live, next, managers, w.manager, trackingContext(def, w.subresource))));
  } catch {
    // Bookkeeping never fails a write (kube-apiserver's UpdateNoErrors): the object keeps what it had; a
    // malformed object is then refused by validation.
    setManagedFields(obj, live?.metadata.managedFields);
  }
}

/** Same stored content, whatever the key order, resourceVersion aside. */
export function sameStoredObject(a: KubeObject, b: KubeObject): boolean {
  const strip = (o: KubeObject) => ({ ...o, metadata: { ...o.metadata, resourceVersion: undefined } });
  return deepEqual(strip(a), strip(b));
}

// ---- PATCH application/apply-patch+yaml ----

function gvkString(apiVersion: unknown, kind: unknown): string {
  const av = typeof apiVersion === 'string' ? apiVersion : '';
  const slash = av.lastIndexOf('/');
  const group = slash >= 0 ? av.slice(0, slash) : '';
  const version = slash >= 0 ? av.slice(slash + 1) : av;
  return `${group}/${version}, Kind=${typeof kind === 'string' ? kind : ''}`;
}

function patchOptionsInvalid(field: string, reason: string, message: string): StatusError {
  return invalid('PatchOptions', '', [{ reason, field, message }], 'meta.k8s.io');
}

export interface ApplyResponse {
  code: number;
  object: KubeObject;
}

/**
 * Server-side apply of `body` to the object the request names: creates it (201) when absent, else merges the
 * configuration into it (200). Conflicts with other managers are a 409 unless `force=true`.
 */
export async function serverSideApply(rest: Rest, info: RequestInfo, body: unknown, dryRun: boolean, checkFields?: (obj: KubeObject) => void): Promise<ApplyResponse> {
  const { def, namespace, name, subresource, query } = info;
  const manager = query.get('fieldManager') ?? '';
  if (!manager) throw patchOptionsInvalid('fieldManager', 'FieldValueRequired', 'Required value: is required for apply patch');
  if (manager.length > 128) throw patchOptionsInvalid('fieldManager', 'FieldValueTooLong', 'Too long: may not be more than 128 bytes');
  const forceParam = query.get('force');
  if (forceParam !== null && forceParam !== 'true' && forceParam !== 'false') throw badRequest(`failed to parse "force": strconv.ParseBool: parsing "${forceParam}": invalid syntax`);
  const force = forceParam === 'true';
  if (!body || typeof body !== 'object' || Array.isArray(body)) throw badRequest('error decoding patch: the applied configuration must be an object');
  const config = body as KubeObject;
  if (config.apiVersion !== apiVersionOf(def) || config.kind !== def.kind) throw badRequest(`invalid object type: ${gvkString(config.apiVersion, config.kind)}`);
  if (config.metadata !== undefined && (typeof config.metadata !== 'object' || config.metadata === null || Array.isArray(config.metadata))) throw badRequest('error decoding patch: metadata must be an object');
  config.metadata ??= {};
  if (config.metadata.managedFields !== undefined && config.metadata.managedFields !== null) throw badRequest('metadata.managedFields must be nil');
  delete config.metadata.managedFields;
  if (config.metadata.name && config.metadata.name !== name) throw badRequest(`the name of the object (${config.metadata.name}) does not match the name on the URL (${name})`);
  checkFields?.(config);
  const w = currentWrite() ?? { manager };
  for (let attempt = 0; ; attempt++) {
    const live = await rest.get(def, namespace, name!).catch((e) => {
      if (e instanceof StatusError && e.code === 404 && !subresource) return undefined;
      throw e;
    });
    const ctx = trackingContext(def, subresource);
    const wanted = config.metadata.resourceVersion;
    if (wanted && wanted !== live?.metadata.resourceVersion)
      throw new StatusError(409, 'Conflict', `Operation cannot be fulfilled on ${def.group ? `${def.plural}.${def.group}` : def.plural} "${name}": the object has been modified; please apply your changes to the latest version and try again`, { name, group: def.group || undefined, kind: def.plural });
    let managers: Managers;
    try {
      managers = decodeManagedFields(live?.metadata.managedFields);
    } catch (e) {
      throw new StatusError(500, 'InternalError', `Internal error occurred: failed to decode managed fields: ${(e as Error).message}`);
    }
    let result;
    try {
      result = applyConfig(live ?? ({ metadata: {} } as KubeObject), config, managers, { manager, force }, ctx);
    } catch (e) {
      if (e instanceof ConflictError) throw e.toStatusError();
      throw e;
    }
    const precomputed = { managedFields: encodeManagedFields(result.managers) };
    const obj = result.object as Any;
    obj.metadata.name = name;
    try {
      if (!live) {
        const created = await withWriteContext({ ...w, precomputed }, () => rest.create(def, namespace, obj, dryRun));
        return { code: 201, object: created };
      }
      obj.metadata.resourceVersion = live.metadata.resourceVersion;
      const updated = await withWriteContext({ ...w, precomputed }, () => rest.update(def, namespace, name!, obj, subresource, dryRun));
      return { code: 200, object: updated };
    } catch (e) {
      // Someone wrote in between (or created it first): apply again to what is there now.
      const raced = e instanceof StatusError && ((e.reason === 'Conflict' && !e.details?.causes) || e.reason === 'AlreadyExists');
      if (raced && attempt < 5) continue;
      throw e;
    }
  }
}
