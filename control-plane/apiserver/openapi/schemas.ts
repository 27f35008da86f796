// The catalog: every definition by name, and the kinds found by their group-version-kind. Adding a kind is adding
// its definitions (with `gvk`) to one of the group files and the group file to `groups` below; the API server
// publishes it once registry.ts serves it.
import { apiextensionsDefinitions } from './apiextensions.js';
import { appsDefinitions } from './apps.js';
import { authenticationDefinitions } from './authentication.js';
import { authorizationDefinitions } from './authorization.js';
import { batchDefinitions } from './batch.js';
import { certificatesDefinitions } from './certificates.js';
import { coordinationDefinitions } from './coordination.js';
import { coreDefinitions } from './core.js';
import { podDefinitions } from './core-pod.js';
import { discoveryDefinitions } from './discovery.js';
import { list, obj, ref, typeMeta, refPrefix, type Definition, type GroupVersionKind, type Schema } from './dsl.js';
import { eventsDefinitions } from './events.js';
import { meta, metaDefinitions } from './meta.js';
import { networkingDefinitions } from './networking.js';
import { rbacDefinitions } from './rbac.js';
import { schedulingDefinitions } from './scheduling.js';
import { policyDefinitions } from './policy.js';
import { storageDefinitions } from './storage.js';
import { apiregistrationDefinitions } from './apiregistration.js';
import { autoscalingDefinitions } from './autoscaling.js';

const groups: Definition[][] = [
  metaDefinitions,
  podDefinitions,
  coreDefinitions,
  appsDefinitions,
  batchDefinitions,
  discoveryDefinitions,
  coordinationDefinitions,
  eventsDefinitions,
  rbacDefinitions,
  certificatesDefinitions,
  networkingDefinitions,
  schedulingDefinitions,
  policyDefinitions,
  apiextensionsDefinitions,
  storageDefinitions,
  apiregistrationDefinitions,
  autoscalingDefinitions,
  // Served by the API server's review endpoints (create only), not by the registry: their schemas are here all the same.
  authenticationDefinitions,
  authorizationDefinitions,
];

const gvkKey = (g: GroupVersionKind) => `${g.group}/${g.version}/${g.kind}`;

/** <Kind>List for a kind, as every list endpoint returns. */
export function listOf(name: string, gvk: GroupVersionKind): Definition {
  const kindName = name.slice(name.lastIndexOf('.') + 1);
  const { metadata: _itemMeta, ...head } = typeMeta(meta('ObjectMeta'));
  return obj(`${name}List`, `A list of ${kindName} objects.`, {
    ...head,
    items: list(name, `The ${kindName} objects.`),
    metadata: ref(meta('ListMeta'), 'Standard list metadata.', { default: {} }),
  }, { required: ['items'], gvk: [{ ...gvk, kind: `${gvk.kind}List` }] });
}

function buildCatalog() {
  const definitions = new Map<string, Schema>();
  const kinds = new Map<string, string>();
  const add = (d: Definition) => {
    if (definitions.has(d.name)) throw new Error(`openapi: ${d.name} is defined twice`);
    definitions.set(d.name, d.schema);
  };
  for (const d of groups.flat()) {
    add(d);
    const gvks = (d.schema['x-kubernetes-group-version-kind'] as GroupVersionKind[] | undefined) ?? [];
    for (const g of gvks) {
      kinds.set(gvkKey(g), d.name);
      if (g.kind !== 'Status') add(listOf(d.name, g));
    }
  }
  // The body of every PATCH, whatever its content type.
  add({ name: meta('Patch'), schema: { description: 'The body of a PATCH request; its format follows the request\'s content type.', type: 'object' } });
  for (const [name, schema] of definitions) checkRefs(name, schema, definitions);
  return { definitions, kinds };
}

/** A dangling $ref is a mistake in a group file; fail at start-up rather than serve a broken document. */
function checkRefs(owner: string, schema: unknown, definitions: Map<string, Schema>): void {
  for (const name of refsIn(schema)) if (!definitions.has(name)) throw new Error(`openapi: ${owner} refers to undefined ${name}`);
}

/** Names of the definitions a schema refers to directly. */
export function refsIn(schema: unknown, out: string[] = []): string[] {
  if (Array.isArray(schema)) for (const s of schema) refsIn(s, out);
  else if (schema && typeof schema === 'object') {
    for (const [k, v] of Object.entries(schema)) {
      if (k === '$ref' && typeof v === 'string' && v.startsWith(refPrefix)) out.push(v.slice(refPrefix.length));
      else if (k !== 'enum' && k !== 'default') refsIn(v, out);
    }
  }
  return out;
}

const catalog = buildCatalog();

/** The definition of that name (io.k8s.api.core.v1.Pod), or undefined. */
export function definition(name: string): Schema | undefined {
  return catalog.definitions.get(name);
}

/** Name of the definition of a kind, or undefined when there is none. */
export function definitionNameFor(group: string, version: string, kind: string): string | undefined {
  return catalog.kinds.get(gvkKey({ group, version, kind }));
}

/** Every definition reachable from the named ones, in name order (as kube-openapi sorts them). */
export function closure(roots: string[]): Record<string, Schema> {
  const seen = new Set<string>();
  const pending = [...roots];
  while (pending.length) {
    const name = pending.pop()!;
    if (seen.has(name)) continue;
    seen.add(name);
    const schema = catalog.definitions.get(name);
    if (schema) pending.push(...refsIn(schema));
  }
  const out: Record<string, Schema> = {};
  for (const name of [...seen].sort()) out[name] = catalog.definitions.get(name)!;
  return out;
}

/** The schema of a kind (its top-level definition, with $refs into definition()), or undefined if it has none. */
export function schemaFor(group: string, version: string, kind: string): Schema | undefined {
  const name = definitionNameFor(group, version, kind);
  return name ? definition(name) : undefined;
}
