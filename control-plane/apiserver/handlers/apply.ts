// Server-side apply (kube: k8s.io/apiserver/pkg/endpoints/handlers/patch.go, applyPatcher): PATCH with
// application/apply-patch+yaml creates the object (201) when absent, else merges the configuration into it (200)
// through the field manager; conflicts with other managers are a 409 unless force=true.
import { badRequest, invalid, StatusError } from '../../../api/errors.js';
import type { KubeObject } from '../../../api/types.js';
import { decodeBody, readBody, sendJSON } from '../http.js';
import { apiVersionOf } from '../registry/kinds.js';
import { fieldValidation } from './decode.js';
import { isDryRun, requester, strategyOf, type RequestScope } from './scope.js';

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

export async function apply(s: RequestScope): Promise<void> {
  const { def, namespace, subresource, query } = s;
  const name = s.name!;
  const body = decodeBody(await readBody(s.req), s.req.headers['content-type']);
  const checkFields = fieldValidation(def, query, s.res);
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
  checkFields(config);
  const dryRun = isDryRun(s);
  for (let attempt = 0; ; attempt++) {
    const live = await s.store.get(def, namespace, name).catch((e) => {
      if (e instanceof StatusError && e.code === 404 && !subresource) return undefined;
      throw e;
    });
    const wanted = config.metadata.resourceVersion;
    if (wanted && wanted !== live?.metadata.resourceVersion)
      throw new StatusError(409, 'Conflict', `Operation cannot be fulfilled on ${def.group ? `${def.plural}.${def.group}` : def.plural} "${name}": the object has been modified; please apply your changes to the latest version and try again`, { name, group: def.group || undefined, kind: def.plural });
    const applied = s.fieldManager.apply(live, config, manager, force, subresource);
    const obj = applied.object;
    obj.metadata.name = name;
    // What apply computed is stored as it is.
    const managedFields = (_live: KubeObject | undefined, o: KubeObject) => {
      if (applied.managedFields?.length) o.metadata.managedFields = applied.managedFields;
      else delete o.metadata.managedFields;
    };
    try {
      if (!live) return sendJSON(s.res, 201, await s.store.create(def, namespace, obj, { dryRun, managedFields, ...requester(s) }));
      obj.metadata.resourceVersion = live.metadata.resourceVersion;
      return sendJSON(s.res, 200, await s.store.update(def, namespace, name, () => obj, { dryRun, managedFields, strategy: strategyOf(s), ...requester(s) }));
    } catch (e) {
      // Someone wrote in between (or created it first): apply again to what is there now.
      const raced = e instanceof StatusError && ((e.reason === 'Conflict' && !e.details?.causes) || e.reason === 'AlreadyExists');
      if (raced && attempt < 5) continue;
      throw e;
    }
  }
}
