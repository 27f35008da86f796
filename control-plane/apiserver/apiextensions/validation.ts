// CustomResourceDefinition validation with kube-apiserver's wording (kube: k8s.io/apiextensions-apiserver/pkg/apis/
// apiextensions/validation/validation.go and pkg/apiserver/schema/validation.go): the name is <plural>.<group>, the
// group a domain, exactly one storage version, names that are DNS labels, and in v1 a structural schema for every
// version — a type everywhere, no value validations that say more than the structure, only name and generateName
// under metadata, well-formed list and map types, defaults that validate and survive pruning. CEL rules
// (x-kubernetes-validations) are refused: this server does not evaluate them.
import type { CustomResourceDefinition, CustomResourceDefinitionVersion, JSONSchemaProps, StatusCause } from '../../../api/types.js';
import { deepEqual } from '../equality.js';
import { dns1035Errors, forbidden, invalidGo, invalidValue, notSupported, objectMetaErrors, required, subdomainErrors, subdomainMessages } from '../registry/validation.js';
import { compilePattern, goSyntax, prune, validateValue } from './schema.js';

type Any = any;

const OPENAPI_TYPES = ['array', 'boolean', 'integer', 'number', 'object', 'string'];
const COLUMN_TYPES = ['boolean', 'date', 'integer', 'number', 'string'];
const COLUMN_FORMATS = ['byte', 'date', 'date-time', 'double', 'float', 'int32', 'int64', 'password'];
const APPROVAL = 'api-approved.kubernetes.io';

const isObj = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null && !Array.isArray(v);
/** A map key in a field path, as kube's field.Path.Key prints it: properties[spec]. */
const key = (path: string, name: string, k: string) => `${path}.${name}[${k}]`;

/** The versions as Go prints the list in its "Invalid value" (the fields that matter here). */
function goVersions(versions: CustomResourceDefinitionVersion[]): string {
  const one = (v: CustomResourceDefinitionVersion) => `apiextensions.CustomResourceDefinitionVersion{Name:${JSON.stringify(v.name ?? '')}, Served:${!!v.served}, Storage:${!!v.storage}}`;
  return `[]apiextensions.CustomResourceDefinitionVersion{${versions.map(one).join(', ')}}`;
}

/** Field errors of a new CustomResourceDefinition (ValidateCustomResourceDefinition). */
export function validateCRD(crd: CustomResourceDefinition): StatusCause[] {
  const errs: StatusCause[] = [];
  const spec = (crd.spec ?? {}) as Any;
  const name = crd.metadata.name ?? '';
  errs.push(...subdomainErrors('metadata.name', name));
  if (name !== `${spec.names?.plural ?? ''}.${spec.group ?? ''}`) errs.push(invalidValue('metadata.name', name, 'must be spec.names.plural+"."+spec.group'));
  errs.push(...objectMetaErrors(crd));
  errs.push(...apiApproval(crd));
  errs.push(...specErrors(spec));
  errs.push(...namesErrors(crd.status?.acceptedNames, 'status.acceptedNames'));
  return errs;
}

/** Field errors of an update (ValidateCustomResourceDefinitionUpdate, ObjectMeta's left to the caller): what shapes storage may not change. */
export function validateCRDUpdate(crd: CustomResourceDefinition, old: CustomResourceDefinition): StatusCause[] {
  const errs: StatusCause[] = [];
  if (crd.metadata.annotations?.[APPROVAL] !== old.metadata.annotations?.[APPROVAL]) errs.push(...apiApproval(crd));
  const spec = (crd.spec ?? {}) as Any;
  errs.push(...specErrors(spec));
  const immutable = (field: string, a: unknown, b: unknown) => {
    if (!deepEqual(a, b)) errs.push(invalidValue(field, a, 'field is immutable'));
  };
  const established = (old.status?.conditions ?? []).some((c) => c.type === 'Established' && c.status === 'True');
  if (established) {
    immutable('spec.scope', spec.scope, old.spec?.scope);
    immutable('spec.names.kind', spec.names?.kind, old.spec?.names?.kind);
  }
  immutable('spec.group', spec.group, old.spec?.group);
  immutable('spec.names.plural', spec.names?.plural, old.spec?.names?.plural);
  errs.push(...namesErrors(crd.status?.acceptedNames, 'status.acceptedNames'));
  errs.push(...storedVersionsErrors(crd));
  return errs;
}

/** Field errors of a status write: the accepted names must be well-formed. */
export function validateCRDStatus(crd: CustomResourceDefinition): StatusCause[] {
  return [...objectMetaErrors(crd), ...namesErrors(crd.status?.acceptedNames, 'status.acceptedNames')];
}

function apiApproval(crd: CustomResourceDefinition): StatusCause[] {
  const group = String((crd.spec as Any)?.group ?? '');
  const isProtected = ['k8s.io', 'kubernetes.io'].some((d) => group === d || group.endsWith(`.${d}`));
  if (!isProtected) return [];
  const field = `metadata.annotations[${APPROVAL}]`;
  const value = crd.metadata.annotations?.[APPROVAL];
  if (value === undefined) return [required(field, `protected groups must have approval annotation "${APPROVAL}", see https://github.com/kubernetes/enhancements/pull/1111`)];
  if (value.startsWith('unapproved') || /^https?:\/\/\S+$/.test(value)) return [];
  return [invalidValue(field, value, `protected groups must have approval annotation "${APPROVAL}" with either a URL or a reason starting with "unapproved", see https://github.com/kubernetes/enhancements/pull/1111`)];
}

function storedVersionsErrors(crd: CustomResourceDefinition): StatusCause[] {
  const stored = crd.status?.storedVersions ?? [];
  const versions = Array.isArray(crd.spec?.versions) ? crd.spec.versions : [];
  const errs: StatusCause[] = [];
  stored.forEach((v, i) => {
    if (!versions.some((x) => x.name === v))
      errs.push(invalidValue(`status.storedVersions[${i}]`, v, `missing from spec.versions; ${v} was previously a storage version, and must remain in spec.versions until a storage migration ensures no data remains persisted in ${v} and removes ${v} from status.storedVersions`));
  });
  return errs;
}

function specErrors(spec: Any): StatusCause[] {
  const errs: StatusCause[] = [];
  const group = spec.group;
  if (!group) errs.push(required('spec.group'));
  else if (typeof group !== 'string' || subdomainMessages(group).length) errs.push(invalidValue('spec.group', group, subdomainMessages(String(group)).join(',')));
  else if (group.split('.').length < 2) errs.push(invalidValue('spec.group', group, 'should be a domain with at least one dot'));
  if (!spec.scope) errs.push(required('spec.scope'));
  else if (!['Cluster', 'Namespaced'].includes(spec.scope)) errs.push(notSupported('spec.scope', spec.scope, ['Cluster', 'Namespaced']));

  const versions: CustomResourceDefinitionVersion[] = Array.isArray(spec.versions) ? spec.versions.filter(isObj) : [];
  const names = new Set<string>();
  let unique = true;
  let storage = 0;
  versions.forEach((v, i) => {
    const path = `spec.versions[${i}]`;
    if (v.storage) storage++;
    if (names.has(v.name)) unique = false;
    names.add(v.name);
    errs.push(...dns1035Errors(`${path}.name`, String(v.name ?? '')));
    errs.push(...versionErrors(v, path));
  });
  if (!unique) errs.push(invalidGo('spec.versions', goVersions(versions), 'must contain unique version names'));
  if (storage !== 1) errs.push(invalidGo('spec.versions', goVersions(versions), 'must have exactly one version marked as storage version'));
  if (spec.preserveUnknownFields === true) errs.push(invalidValue('spec.preserveUnknownFields', true, 'must be false in order to use defaults in the schema'));

  const n = isObj(spec.names) ? (spec.names as Any) : {};
  for (const f of ['plural', 'singular', 'kind', 'listKind']) if (!n[f]) errs.push(required(`spec.names.${f}`));
  errs.push(...namesErrors(n, 'spec.names'));
  const strategy = spec.conversion?.strategy;
  if (strategy !== undefined && strategy !== 'None') {
    if (strategy === 'Webhook') errs.push(forbidden('spec.conversion.strategy', 'conversion webhooks are not supported by this API server; use "None"'));
    else errs.push(notSupported('spec.conversion.strategy', strategy, ['None', 'Webhook']));
  }
  return errs;
}

function namesErrors(n: Any, path: string): StatusCause[] {
  if (!isObj(n)) return [];
  const errs: StatusCause[] = [];
  const label = (field: string, v: unknown, mixedCase = false) => {
    if (!v) return;
    const e = dns1035Errors(`${path}.${field}`, mixedCase ? String(v).toLowerCase() : String(v));
    for (const c of e) errs.push(mixedCase ? invalidValue(`${path}.${field}`, v, `may have mixed case, but should otherwise match: ${c.message!.replace(/^Invalid value: "[^"]*": /, '')}`) : invalidValue(`${path}.${field}`, v, c.message!.replace(/^Invalid value: "[^"]*": /, '')));
  };
  label('plural', n.plural);
  label('singular', n.singular);
  label('kind', n.kind, true);
  label('listKind', n.listKind, true);
  (Array.isArray(n.shortNames) ? n.shortNames : []).forEach((s: unknown, i: number) => label(`shortNames[${i}]`, s));
  if (n.kind && n.kind === n.listKind) errs.push(invalidValue(`${path}.listKind`, n.listKind, 'kind and listKind may not be the same'));
  (Array.isArray(n.categories) ? n.categories : []).forEach((s: unknown, i: number) => label(`categories[${i}]`, s));
  return errs;
}

function versionErrors(v: CustomResourceDefinitionVersion, path: string): StatusCause[] {
  const errs: StatusCause[] = [];
  const schema = (v.schema as Any)?.openAPIV3Schema;
  if (!isObj(schema)) errs.push(required(`${path}.schema.openAPIV3Schema`));
  else errs.push(...schemaErrors(schema as JSONSchemaProps, `${path}.schema.openAPIV3Schema`));
  const scale = (v.subresources as Any)?.scale;
  if (isObj(scale)) errs.push(...scaleErrors(scale as Any, `${path}.subresources`));
  (Array.isArray(v.additionalPrinterColumns) ? v.additionalPrinterColumns : []).forEach((c, i) => errs.push(...columnErrors(c as Any, `${path}.additionalPrinterColumns[${i}]`)));
  return errs;
}

function simpleJSONPath(s: unknown, field: string): StatusCause[] {
  if (typeof s !== 'string' || s === '') return [invalidValue(field, s ?? '', 'must not be empty')];
  if (!s.startsWith('.')) return [invalidValue(field, s, 'must be a simple json path starting with .')];
  return [];
}

function scaleErrors(scale: Any, path: string): StatusCause[] {
  const errs: StatusCause[] = [];
  if (!scale.specReplicasPath) errs.push(required(`${path}.scale.specReplicasPath`));
  else {
    const e = simpleJSONPath(scale.specReplicasPath, `${path}.scale.specReplicasPath`);
    errs.push(...(e.length ? e : String(scale.specReplicasPath).startsWith('.spec.') ? [] : [invalidValue(`${path}.scale.specReplicasPath`, scale.specReplicasPath, 'should be a json path under .spec')]));
  }
  if (!scale.statusReplicasPath) errs.push(required(`${path}.scale.statusReplicasPath`));
  else {
    const e = simpleJSONPath(scale.statusReplicasPath, `${path}.scale.statusReplicasPath`);
    errs.push(...(e.length ? e : String(scale.statusReplicasPath).startsWith('.status.') ? [] : [invalidValue(`${path}.scale.statusReplicasPath`, scale.statusReplicasPath, 'should be a json path under .status')]));
  }
  if (scale.labelSelectorPath !== undefined && scale.labelSelectorPath !== null) {
    const e = simpleJSONPath(scale.labelSelectorPath, `${path}.scale.labelSelectorPath`);
    const s = String(scale.labelSelectorPath);
    errs.push(...(e.length ? e : s.startsWith('.spec.') || s.startsWith('.status.') ? [] : [invalidValue(`${path}.scale.labelSelectorPath`, s, 'should be a json path under either .spec or .status')]));
  }
  return errs;
}

function columnErrors(c: Any, path: string): StatusCause[] {
  const errs: StatusCause[] = [];
  if (!c?.name) errs.push(required(`${path}.name`));
  if (!c?.type) errs.push(required(`${path}.type`, `must be one of ${COLUMN_TYPES.join(',')}`));
  else if (!COLUMN_TYPES.includes(c.type)) errs.push(invalidValue(`${path}.type`, c.type, `must be one of ${COLUMN_TYPES.join(',')}`));
  if (c?.format && !COLUMN_FORMATS.includes(c.format)) errs.push(invalidValue(`${path}.format`, c.format, `must be one of ${COLUMN_FORMATS.join(',')}`));
  if (!c?.jsonPath) errs.push(required(`${path}.JSONPath`));
  else errs.push(...simpleJSONPath(c.jsonPath, `${path}.JSONPath`));
  return errs;
}

// ---- the schema ----

type Level = 'root' | 'item' | 'field';

/** Field errors of a version's openAPIV3Schema: its own rules, then (when those hold) structural and default checks. */
export function schemaErrors(schema: JSONSchemaProps, path: string): StatusCause[] {
  const errs: StatusCause[] = [];
  if (schema.nullable) errs.push(forbidden(`${path}.nullable`, 'nullable cannot be true at the root'));
  errs.push(...openAPIErrors(schema, path, true, false));
  if (errs.length) return errs;
  errs.push(...structuralErrors(schema, path, 'root'));
  if (errs.length) return errs;
  return defaultErrors(schema, path, true);
}

/** What no schema may hold (the v3 standard validator): unsupported keywords, list and map type rules, CEL rules. */
function openAPIErrors(s: JSONSchemaProps, path: string, root: boolean, insideMeta: boolean): StatusCause[] {
  const errs: StatusCause[] = [];
  if (!isObj(s)) return errs;
  if (s.type !== undefined && (typeof s.type !== 'string' || !OPENAPI_TYPES.includes(s.type))) {
    if (s.type === 'null') errs.push(forbidden(`${path}.type`, 'type cannot be set to null, use nullable as an alternative'));
    else errs.push(notSupported(`${path}.type`, s.type, OPENAPI_TYPES));
  }
  for (const k of ['id', 'additionalItems', 'patternProperties', 'definitions', 'dependencies', '$ref']) if (s[k] !== undefined) errs.push(forbidden(`${path}.${k}`, `${k} is not supported`));
  if (Array.isArray(s.items)) errs.push(forbidden(`${path}.items`, 'items must be a schema object and not an array'));
  if (s.uniqueItems === true) errs.push(forbidden(`${path}.uniqueItems`, 'uniqueItems cannot be set to true since the runtime complexity becomes quadratic'));
  if (s['x-kubernetes-embedded-resource'] && insideMeta) errs.push(forbidden(`${path}.x-kubernetes-embedded-resource`, 'must not be used inside of resource meta'));
  if (s.pattern !== undefined && (typeof s.pattern !== 'string' || !compilePattern(s.pattern))) errs.push(invalidValue(`${path}.pattern`, s.pattern, "must be a valid regular expression, but isn't"));
  if (s['x-kubernetes-validations'] !== undefined)
    errs.push(forbidden(`${path}.x-kubernetes-validations`, 'CEL validation rules (x-kubernetes-validations) are not supported by this API server; express the constraint with the schema (type, enum, pattern, minimum/maximum, required) instead'));
  const addl = s.additionalProperties;
  if (addl !== undefined && addl !== true) {
    if (s.properties && Object.keys(s.properties).length) errs.push(forbidden(`${path}.additionalProperties`, 'additionalProperties and properties are mutual exclusive'));
    if (isObj(addl)) errs.push(...openAPIErrors(addl as JSONSchemaProps, `${path}.additionalProperties`, false, insideMeta));
  }
  for (const [name, p] of Object.entries(isObj(s.properties) ? s.properties : {})) {
    const meta = (root || !!s['x-kubernetes-embedded-resource']) && ['metadata', 'kind', 'apiVersion'].includes(name);
    const childPath = key(path, 'properties', name);
    if (root && name === 'metadata' && isObj(p) && (p as JSONSchemaProps).default !== undefined) errs.push(forbidden(`${childPath}.default`, 'must not be set in top-level metadata'));
    errs.push(...openAPIErrors(p, childPath, false, insideMeta || meta));
  }
  if (isObj(s.not)) errs.push(...openAPIErrors(s.not as JSONSchemaProps, `${path}.not`, false, insideMeta));
  for (const k of ['allOf', 'oneOf', 'anyOf'] as const) (Array.isArray(s[k]) ? s[k]! : []).forEach((x, i) => errs.push(...openAPIErrors(x, `${path}.${k}[${i}]`, false, insideMeta)));
  if (isObj(s.items)) errs.push(...openAPIErrors(s.items as JSONSchemaProps, `${path}.items`, false, insideMeta));
  if (s['x-kubernetes-preserve-unknown-fields'] === false) errs.push(invalidValue(`${path}.x-kubernetes-preserve-unknown-fields`, false, 'must be true or undefined'));
  errs.push(...listAndMapTypeErrors(s, path));
  return errs;
}

function listAndMapTypeErrors(s: JSONSchemaProps, path: string): StatusCause[] {
  const errs: StatusCause[] = [];
  const mapType = s['x-kubernetes-map-type'];
  if (mapType !== undefined) {
    if (s.type !== 'object') errs.push(s.type ? invalidValue(`${path}.type`, s.type, 'must be object if x-kubernetes-map-type is specified') : required(`${path}.type`, 'must be object if x-kubernetes-map-type is specified'));
    if (mapType !== 'atomic' && mapType !== 'granular') errs.push(notSupported(`${path}.x-kubernetes-map-type`, mapType, ['atomic', 'granular']));
  }
  const listType = s['x-kubernetes-list-type'];
  const keys = s['x-kubernetes-list-map-keys'];
  if (listType !== undefined) {
    if (s.type !== 'array') errs.push(s.type ? invalidValue(`${path}.type`, s.type, 'must be array if x-kubernetes-list-type is specified') : required(`${path}.type`, 'must be array if x-kubernetes-list-type is specified'));
    if (!['atomic', 'set', 'map'].includes(listType)) errs.push(notSupported(`${path}.x-kubernetes-list-type`, listType, ['atomic', 'set', 'map']));
    const items = isObj(s.items) ? (s.items as JSONSchemaProps) : undefined;
    if (listType === 'set' && items) {
      if (items.type === 'object' && items['x-kubernetes-map-type'] !== 'atomic') errs.push(invalidValue(`${path}.items.x-kubernetes-map-type`, items['x-kubernetes-map-type'] ?? null, 'must be atomic as item of a list with x-kubernetes-list-type=set'));
      if (items.type === 'array' && items['x-kubernetes-list-type'] !== 'atomic') errs.push(invalidValue(`${path}.items.x-kubernetes-list-type`, items['x-kubernetes-list-type'] ?? null, 'must be atomic as item of a list with x-kubernetes-list-type=set'));
    }
    if ((listType === 'set' || listType === 'map') && items?.nullable) errs.push(forbidden(`${path}.items.nullable`, `cannot be nullable when x-kubernetes-list-type is ${listType}`));
  }
  if (Array.isArray(keys) && keys.length && listType !== 'map')
    errs.push(listType === undefined ? required(`${path}.x-kubernetes-list-type`, 'must be map if x-kubernetes-list-map-keys is non-empty') : invalidValue(`${path}.x-kubernetes-list-type`, listType, 'must be map if x-kubernetes-list-map-keys is non-empty'));
  if (listType === 'map') {
    const items = isObj(s.items) ? (s.items as JSONSchemaProps) : undefined;
    if (!Array.isArray(keys) || !keys.length) errs.push(required(`${path}.x-kubernetes-list-map-keys`, 'must not be empty if x-kubernetes-list-type is map'));
    if (!items) errs.push(required(`${path}.items`, 'must have a schema if x-kubernetes-list-type is map'));
    else if (items.type !== 'object') errs.push(invalidValue(`${path}.items.type`, items.type ?? '', "must be object if parent array's x-kubernetes-list-type is map"));
    else if (Array.isArray(keys)) {
      const props = items.properties ?? {};
      if (keys.some((k) => !Object.hasOwn(props, k))) errs.push(invalidGo(`${path}.x-kubernetes-list-map-keys`, `[]string{${keys.map((k) => JSON.stringify(k)).join(', ')}}`, 'entries must all be names of item properties'));
      else if (new Set(keys).size !== keys.length) errs.push(invalidGo(`${path}.x-kubernetes-list-map-keys`, `[]string{${keys.map((k) => JSON.stringify(k)).join(', ')}}`, 'must not contain duplicate entries'));
      for (const k of keys) {
        const p = props[k];
        if (!p) continue;
        const kp = `${path}.items.properties[${k}]`;
        if (!['string', 'integer', 'number', 'boolean'].includes(p.type ?? '') && !p['x-kubernetes-int-or-string']) errs.push(invalidValue(`${kp}.type`, p.type ?? '', "must be a scalar type if parent array's x-kubernetes-list-type is map"));
        if (p.default === undefined && !(items.required ?? []).includes(k)) errs.push(required(`${kp}.default`, 'this property is in x-kubernetes-list-map-keys, so it must have a default or be a required property'));
        if (p.nullable) errs.push(forbidden(`${kp}.nullable`, 'this property is in x-kubernetes-list-map-keys, so it cannot be nullable'));
      }
    }
  }
  return errs;
}

/** The structural invariants (kube's ValidateStructural), sorted as kube sorts them. */
function structuralErrors(s: JSONSchemaProps, path: string, level: Level): StatusCause[] {
  const errs: StatusCause[] = [];
  invariants(s, path, level, errs);
  completeness(s, s, path, path, errs);
  return errs.sort((a, b) => `${a.field}: ${a.message}`.localeCompare(`${b.field}: ${b.message}`));
}

function invariants(s: JSONSchemaProps, path: string, level: Level, errs: StatusCause[]): void {
  if (!isObj(s)) return;
  if (s.type === 'array' && !isObj(s.items)) errs.push(required(`${path}.items`, 'must be specified'));
  if (isObj(s.items)) invariants(s.items as JSONSchemaProps, `${path}.items`, 'item', errs);
  for (const [k, p] of Object.entries(s.properties ?? {})) invariants(p, key(path, 'properties', k), 'field', errs);
  const addl = s.additionalProperties;
  if (addl !== undefined && addl !== null) {
    if (level === 'root') errs.push(forbidden(`${path}.additionalProperties`, 'must not be used at the root'));
    if (isObj(addl)) invariants(addl as JSONSchemaProps, `${path}.additionalProperties`, 'field', errs);
  }
  const intOrString = !!s['x-kubernetes-int-or-string'];
  const preserve = !!s['x-kubernetes-preserve-unknown-fields'];
  const embedded = !!s['x-kubernetes-embedded-resource'];
  if (intOrString && preserve) errs.push(invalidValue(`${path}.x-kubernetes-preserve-unknown-fields`, true, 'must be false if x-kubernetes-int-or-string is true'));
  if (intOrString && embedded) errs.push(invalidValue(`${path}.x-kubernetes-embedded-resource`, true, 'must be false if x-kubernetes-int-or-string is true'));
  const intOrStringPattern = intOrString && isIntOrStringAnyOf(s.anyOf);
  (s.anyOf ?? []).forEach((x, i) => !intOrStringPattern && nested(x, `${path}.anyOf[${i}]`, errs));
  (s.allOf ?? []).forEach((x, i) => nested(x, `${path}.allOf[${i}]`, errs, intOrString && i === 0));
  (s.oneOf ?? []).forEach((x, i) => nested(x, `${path}.oneOf[${i}]`, errs));
  if (isObj(s.not)) nested(s.not as JSONSchemaProps, `${path}.not`, errs);
  const checkMeta = level === 'root' || embedded;
  if (embedded && s.type !== 'object') errs.push(s.type ? invalidValue(`${path}.type`, s.type, 'must be object if x-kubernetes-embedded-resource is true') : required(`${path}.type`, 'must be object if x-kubernetes-embedded-resource is true'));
  else if (!s.type && !intOrString && !preserve) errs.push(required(`${path}.type`, level === 'root' ? 'must not be empty at the root' : level === 'item' ? 'must not be empty for specified array items' : 'must not be empty for specified object fields'));
  if (embedded && addl !== undefined) errs.push(forbidden(`${path}.additionalProperties`, 'must not be used if x-kubernetes-embedded-resource is set'));
  if (level === 'root' && s.type && s.type !== 'object') errs.push(invalidValue(`${path}.type`, s.type, 'must be object at the root'));
  const props = s.properties ?? {};
  for (const f of ['kind', 'apiVersion']) if (checkMeta && isObj(props[f]) && props[f].type !== 'string') errs.push(invalidValue(`${key(path, 'properties', f)}.type`, props[f].type ?? '', 'must be string'));
  if (isObj(props.metadata)) {
    const m = props.metadata;
    const mp = key(path, 'properties', 'metadata');
    if (checkMeta && m.type !== 'object') errs.push(invalidValue(`${mp}.type`, m.type ?? '', 'must be object'));
    if (level === 'root') {
      const { type: _t, default: _d, properties, ...rest } = m;
      const onlyNames = Object.keys(properties ?? {}).every((k) => k === 'name' || k === 'generateName');
      if (!onlyNames || Object.keys(rest).length) errs.push(forbidden(mp, 'must not specify anything other than name and generateName, but metadata is implicitly specified'));
    }
  }
  if (embedded && !preserve && !Object.keys(props).length) errs.push(required(`${path}.properties`, 'must not be empty if x-kubernetes-embedded-resource is true without x-kubernetes-preserve-unknown-fields'));
}

const isIntOrStringAnyOf = (anyOf: JSONSchemaProps[] | undefined) =>
  Array.isArray(anyOf) && anyOf.length === 2 && deepEqual(anyOf[0], { type: 'integer' }) && deepEqual(anyOf[1], { type: 'string' });

/** A value validation inside allOf/anyOf/oneOf/not: it may constrain values, never say anything of structure. */
function nested(v: JSONSchemaProps, path: string, errs: StatusCause[], skipIntOrStringAnyOf = false): void {
  if (!isObj(v)) return;
  if (!(skipIntOrStringAnyOf && isIntOrStringAnyOf(v.anyOf))) (v.anyOf ?? []).forEach((x, i) => nested(x, `${path}.anyOf[${i}]`, errs));
  (v.allOf ?? []).forEach((x, i) => nested(x, `${path}.allOf[${i}]`, errs));
  (v.oneOf ?? []).forEach((x, i) => nested(x, `${path}.oneOf[${i}]`, errs));
  if (isObj(v.not)) nested(v.not as JSONSchemaProps, `${path}.not`, errs);
  if (isObj(v.items)) nested(v.items as JSONSchemaProps, `${path}.items`, errs);
  for (const [k, p] of Object.entries(v.properties ?? {})) nested(p, key(path, 'properties', k), errs);
  if (v.type) errs.push(forbidden(`${path}.type`, 'must be empty to be structural'));
  if (v.additionalProperties !== undefined) errs.push(forbidden(`${path}.additionalProperties`, 'must be undefined to be structural'));
  if (v.default !== undefined) errs.push(forbidden(`${path}.default`, 'must be undefined to be structural'));
  if (v.title) errs.push(forbidden(`${path}.title`, 'must be empty to be structural'));
  if (v.description) errs.push(forbidden(`${path}.description`, 'must be empty to be structural'));
  if (v.nullable) errs.push(forbidden(`${path}.nullable`, 'must be false to be structural'));
  for (const [x, what] of [['x-kubernetes-preserve-unknown-fields', 'must be false'], ['x-kubernetes-embedded-resource', 'must be false'], ['x-kubernetes-int-or-string', 'must be false'], ['x-kubernetes-list-map-keys', 'must be empty'], ['x-kubernetes-list-type', 'must be undefined'], ['x-kubernetes-map-type', 'must be undefined']] as const)
    if (v[x] !== undefined && v[x] !== false) errs.push(forbidden(`${path}.${x}`, `${what} to be structural`));
  if (v.properties && Object.hasOwn(v.properties, 'metadata')) errs.push(forbidden(key(path, 'properties', 'metadata'), 'must not be specified in a nested context'));
}

/** Every field a value validation names must be specified by the structure (kube's validateStructuralCompleteness). */
function completeness(s: JSONSchemaProps | undefined, v: JSONSchemaProps, sPath: string, vPath: string, errs: StatusCause[], top = true): void {
  if (!isObj(v)) return;
  for (const k of ['allOf', 'anyOf', 'oneOf'] as const) (v[k] ?? []).forEach((x, i) => nestedCompleteness(s, x, sPath, `${vPath}.${k}[${i}]`, errs));
  if (isObj(v.not)) nestedCompleteness(s, v.not as JSONSchemaProps, sPath, `${vPath}.not`, errs);
  if (!top || !s) return;
  if (isObj(s.items)) completeness(s.items as JSONSchemaProps, s.items as JSONSchemaProps, `${sPath}.items`, `${vPath}.items`, errs);
  for (const [k, p] of Object.entries(s.properties ?? {})) completeness(p, p, key(sPath, 'properties', k), key(vPath, 'properties', k), errs);
  if (isObj(s.additionalProperties)) completeness(s.additionalProperties as JSONSchemaProps, s.additionalProperties as JSONSchemaProps, `${sPath}.additionalProperties`, `${vPath}.additionalProperties`, errs);
}

function nestedCompleteness(s: JSONSchemaProps | undefined, v: JSONSchemaProps, sPath: string, vPath: string, errs: StatusCause[]): void {
  if (!isObj(v)) return;
  if (!s) {
    errs.push(required(sPath, `because it is defined in ${vPath}`));
    return;
  }
  completeness(s, v, sPath, vPath, errs, false);
  if (isObj(v.items)) nestedCompleteness(isObj(s.items) ? (s.items as JSONSchemaProps) : undefined, v.items as JSONSchemaProps, `${sPath}.items`, `${vPath}.items`, errs);
  for (const [k, p] of Object.entries(v.properties ?? {})) {
    const sp = s.properties?.[k] ?? (isObj(s.additionalProperties) ? (s.additionalProperties as JSONSchemaProps) : undefined);
    if (!sp && !s['x-kubernetes-preserve-unknown-fields']) errs.push(required(key(sPath, 'properties', k), `because it is defined in ${key(vPath, 'properties', k)}`));
    else if (sp) nestedCompleteness(sp, p, key(sPath, 'properties', k), key(vPath, 'properties', k), errs);
  }
}

/** Defaults must validate against their schema and hold nothing pruning would drop (kube's ValidateDefaults). */
function defaultErrors(s: JSONSchemaProps, path: string, root: boolean): StatusCause[] {
  const errs: StatusCause[] = [];
  if (!isObj(s)) return errs;
  if (s.default !== undefined && !root) {
    const value = structuredClone(s.default);
    if (value && typeof value === 'object') {
      const pruned = structuredClone(value);
      prune(pruned, s, !!s['x-kubernetes-embedded-resource']);
      if (!deepEqual(pruned, value)) errs.push(invalidGo(`${path}.default`, goSyntax(s.default), 'must not have unknown fields'));
    }
    errs.push(...validateValue(s.default, s, `${path}.default`, !!s['x-kubernetes-embedded-resource']));
  }
  if (isObj(s.items)) errs.push(...defaultErrors(s.items as JSONSchemaProps, `${path}.items`, false));
  for (const [k, p] of Object.entries(s.properties ?? {})) errs.push(...defaultErrors(p, key(path, 'properties', k), false));
  if (isObj(s.additionalProperties)) errs.push(...defaultErrors(s.additionalProperties as JSONSchemaProps, `${path}.additionalProperties`, false));
  return errs;
}
