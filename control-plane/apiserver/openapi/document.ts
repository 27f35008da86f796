// The OpenAPI v3 documents the API server publishes, one per group-version (/openapi/v3/apis/apps/v1), and the index
// that points at them with a content hash. kubectl reads them three ways: `explain` finds a kind's schema by the
// GVK on its operations and in components.schemas; the query-param verifier looks for `fieldValidation` on the
// PATCH operation; client-side `apply` computes its strategic merge patch from the schemas when the PATCH operation
// accepts application/strategic-merge-patch+json.
import { createHash } from 'node:crypto';
import { groupVersions, kinds as builtin, PATCH_TYPES, verbsFor, type ResourceDef } from '../registry/kinds.js';
import { refPrefix, type Schema } from './dsl.js';
import { closure, definitionNameFor, refsIn } from './schemas.js';
import { meta } from './meta.js';

export const gvPathOf = (group: string, version: string) => (group ? `apis/${group}/${version}` : `api/${version}`);

const refTo = (name: string) => ({ $ref: refPrefix + name });
const capitalize = (s: string) => s.charAt(0).toUpperCase() + s.slice(1);

/** "Core", "Apps", "Discovery": the group as it appears in kube's operation IDs and tags. */
const groupWord = (group: string) => (group ? group.split('.')[0].split('-').map(capitalize).join('') : 'Core');

function query(name: string, description: string, type: 'string' | 'boolean' | 'integer' = 'string'): Schema {
  return { name, in: 'query', description, schema: { type, uniqueItems: true } };
}
const pathParam = (name: string, description: string): Schema => ({ name, in: 'path', description, required: true, schema: { type: 'string', uniqueItems: true } });

const pretty = query('pretty', 'When "true", the output is indented.');
const dryRun = query('dryRun', 'When set to "All", the request is validated and admitted but nothing is persisted.');
const fieldManager = query('fieldManager', 'Name of the actor making the change, recorded in managedFields. Required for apply patches.');
const fieldValidation = query('fieldValidation', 'How the server treats unknown or duplicate fields in the request body: Ignore (drop them silently), Warn (drop them and return a warning for each; the default), or Strict (fail the request).');
const force = query('force', 'For apply patches: take ownership of fields other managers own instead of failing with a conflict.', 'boolean');
const listParams = [
  query('allowWatchBookmarks', 'Ask a watch for BOOKMARK events.', 'boolean'),
  query('continue', 'Token from a previous page of a paged list.'),
  query('fieldSelector', 'Restrict results by their fields, e.g. spec.nodeName=node1.'),
  query('labelSelector', 'Restrict results by their labels, e.g. app=web,tier!=db.'),
  query('limit', 'Most items to return; more are fetched with continue.', 'integer'),
  query('resourceVersion', 'Which version of the store to read (or to watch from).'),
  query('resourceVersionMatch', 'How resourceVersion applies to a list: Exact or NotOlderThan.'),
  query('sendInitialEvents', 'Start a watch with synthetic ADDED events for the current objects.', 'boolean'),
  query('timeoutSeconds', 'Time limit of the list or watch call.', 'integer'),
  query('watch', 'Stream changes instead of returning a list.', 'boolean'),
];
const deleteParams = [
  dryRun,
  query('gracePeriodSeconds', 'Seconds before the object is deleted; 0 deletes immediately.', 'integer'),
  query('ignoreStoreReadErrorWithClusterBreakingPotential', 'Delete an object whose stored data cannot be read.', 'boolean'),
  query('orphanDependents', 'Deprecated: use propagationPolicy.', 'boolean'),
  query('propagationPolicy', 'How dependents are garbage collected: Orphan, Background or Foreground.'),
];

const json = (name: string | undefined) => (name ? { 'application/json': { schema: refTo(name) } } : { 'application/json': {} });
const responses = (name: string | undefined, codes: string[]) => {
  const out: Record<string, unknown> = {};
  for (const code of codes) out[code] = { description: code === '201' ? 'Created' : code === '202' ? 'Accepted' : 'OK', content: json(name) };
  out['401'] = { description: 'Unauthorized' };
  return out;
};
const bodyOf = (name: string | undefined) => ({ content: { '*/*': name ? { schema: refTo(name) } : {} }, required: true });
/** The PATCH body of a kind: the content types it accepts, by name (kubectl apply uses strategic merge only where offered). */
const patchBody = (types: readonly string[] = PATCH_TYPES) => ({
  content: Object.fromEntries([...PATCH_TYPES].sort().filter((t) => types.includes(t)).map((t) => [t, { schema: refTo(meta('Patch')) }])),
  required: true,
});

/** The paths of one kind: collection and object (with the verbs it serves), and its status and approval subresources. */
function pathsOf(d: ResourceDef): Record<string, Schema> {
  const gvk = { group: d.group, version: d.version, kind: d.kind };
  const schemaName = d.openapi?.name ?? definitionNameFor(d.group, d.version, d.kind);
  const listName = schemaName && `${schemaName}List`;
  const scope = d.namespaced ? 'Namespaced' : '';
  const id = (verb: string, suffix = '') => `${verb}${groupWord(d.group)}${capitalize(d.version)}${scope}${d.kind}${suffix}`;
  const tags = [`${groupWord(d.group).toLowerCase()}_${d.version}`];
  const op = (operationId: string, action: string, extra: Schema): Schema => ({ tags, operationId, ...extra, 'x-kubernetes-action': action, 'x-kubernetes-group-version-kind': gvk });

  const base = `/${gvPathOf(d.group, d.version)}${d.namespaced ? '/namespaces/{namespace}' : ''}/${d.plural}`;
  const namespace = d.namespaced ? [pathParam('namespace', 'Namespace of the objects.')] : [];
  const name = pathParam('name', `Name of the ${d.kind}.`);

  const read = (suffix: string, what: string) => op(id('read', suffix), 'get', { description: `read ${what}`, parameters: [pretty], responses: responses(schemaName, ['200']) });
  const replace = (suffix: string, what: string) =>
    op(id('replace', suffix), 'put', { description: `replace ${what}`, parameters: [pretty, dryRun, fieldManager, fieldValidation], requestBody: bodyOf(schemaName), responses: responses(schemaName, ['200', '201']) });
  const patch = (suffix: string, what: string) =>
    op(id('patch', suffix), 'patch', { description: `partially update ${what}`, parameters: [pretty, dryRun, fieldManager, fieldValidation, force], requestBody: patchBody(d.patchTypes), responses: responses(schemaName, ['200', '201']) });

  // Only the verbs the kind serves: the review kinds, for one, are create-only.
  const verbs = new Set(verbsFor(d));
  const collection: Schema = {};
  if (verbs.has('list')) collection.get = op(id('list'), 'list', { description: `list or watch objects of kind ${d.kind}`, parameters: [pretty, ...listParams], responses: responses(listName, ['200']) });
  if (verbs.has('create')) collection.post = op(id('create'), 'post', { description: `create a ${d.kind}`, parameters: [pretty, dryRun, fieldManager, fieldValidation], requestBody: bodyOf(schemaName), responses: responses(schemaName, ['200', '201', '202']) });
  if (verbs.has('deletecollection')) collection.delete = op(id('deletecollection'), 'deletecollection', { description: `delete collection of ${d.kind}`, parameters: [pretty, ...deleteParams, ...listParams], responses: responses(meta('Status'), ['200']) });
  const item: Schema = {};
  if (verbs.has('get')) item.get = read('', `the specified ${d.kind}`);
  if (verbs.has('update')) item.put = replace('', `the specified ${d.kind}`);
  if (verbs.has('patch')) item.patch = patch('', `the specified ${d.kind}`);
  if (verbs.has('delete')) item.delete = op(id('delete'), 'delete', { description: `delete a ${d.kind}`, parameters: [pretty, ...deleteParams], requestBody: { content: { '*/*': { schema: refTo(meta('DeleteOptions')) } } }, responses: responses(meta('Status'), ['200', '202']) });
  const paths: Record<string, Schema> = {};
  if (Object.keys(collection).length) paths[base] = { ...collection, parameters: namespace };
  if (Object.keys(item).length) paths[`${base}/{name}`] = { ...item, parameters: [name, ...namespace] };
  if (d.subresources.includes('status')) {
    paths[`${base}/{name}/status`] = {
      get: read('Status', `status of the specified ${d.kind}`),
      put: replace('Status', `status of the specified ${d.kind}`),
      patch: patch('Status', `status of the specified ${d.kind}`),
      parameters: [name, ...namespace],
    };
  }
  if (d.subresources.includes('approval')) {
    paths[`${base}/{name}/approval`] = {
      get: read('Approval', `approval of the specified ${d.kind}`),
      put: replace('Approval', `approval of the specified ${d.kind}`),
      parameters: [name, ...namespace],
    };
  }
  return paths;
}

interface Built {
  signature: string;
  document: Schema;
  hash: string;
}
const built = new Map<string, Built>();

/** The document of one group-version, rebuilt only when the served kinds for it change. */
function documentFor(kinds: readonly ResourceDef[], group: string, version: string): Built {
  const defs = kinds.filter((d) => d.group === group && d.version === version);
  const signature = defs.map((d) => `${d.plural}:${d.kind}:${d.namespaced}:${d.subresources.join(',')}:${verbsFor(d).join(',')}:${d.openapi?.revision ?? ''}`).join(';');
  const cached = built.get(`${group}/${version}`);
  if (cached?.signature === signature) return cached;
  const paths: Record<string, Schema> = {};
  for (const d of defs) Object.assign(paths, pathsOf(d));
  // Custom resources bring their own definitions; what they refer to (ObjectMeta, ListMeta) comes from the catalog.
  const own: Record<string, Schema> = Object.assign({}, ...defs.map((d) => d.openapi?.definitions ?? {}));
  const schemas = { ...closure(refsIn([paths, own]).filter((n) => !Object.hasOwn(own, n))), ...own };
  const document: Schema = {
    openapi: '3.0.0',
    info: { title: 'Kubernetes', version: 'v1.32.0' },
    paths,
    components: {
      schemas: Object.fromEntries(Object.keys(schemas).sort().map((n) => [n, schemas[n]])),
      securitySchemes: { BearerToken: { type: 'apiKey', description: 'Bearer token authentication', name: 'authorization', in: 'header' } },
    },
    security: [{ BearerToken: [] }],
  };
  // kube-apiserver names each document by a hash of its content, so clients may cache it for as long as it lasts.
  const hash = createHash('sha512').update(JSON.stringify(document)).digest('hex').toUpperCase();
  const entry = { signature, document, hash };
  built.set(`${group}/${version}`, entry);
  return entry;
}

/** /openapi/v3: where each group-version's document lives. */
export function openapiIndex(kinds: readonly ResourceDef[] = builtin): { paths: Record<string, { serverRelativeURL: string }> } {
  const paths: Record<string, { serverRelativeURL: string }> = {};
  for (const { group, version } of groupVersions(kinds)) {
    const p = gvPathOf(group, version);
    paths[p] = { serverRelativeURL: `/openapi/v3/${p}?hash=${documentFor(kinds, group, version).hash}` };
  }
  return { paths };
}

/** /openapi/v3/<gvPath>, e.g. "api/v1" or "apis/apps/v1"; undefined for a group-version not served. */
export function openapiDocument(gvPath: string, kinds: readonly ResourceDef[] = builtin): Schema | undefined {
  const gv = groupVersions(kinds).find(({ group, version }) => gvPathOf(group, version) === gvPath.replace(/^\/+|\/+$/g, ''));
  return gv && documentFor(kinds, gv.group, gv.version).document;
}
