// The kinds an established CustomResourceDefinition serves, one per served version (kube: the crdHandler's crdInfo —
// pkg/apiserver/customresource_handler.go — with pkg/registry/customresource's strategy, validator and table
// convertor, and the published OpenAPI of pkg/controller/openapi/builder): objects pruned to the schema, defaulted
// and validated against it; status and scale subresources when the version has them; printer columns; every version
// stored as the storage version and read back with its apiVersion rewritten (the None conversion).
import type { CustomResourceDefinition, CustomResourceDefinitionVersion, JSONSchemaProps, KubeObject, StatusCause } from '../../../api/types.js';
import { invalidValue } from '../registry/validation.js';
import { meta } from '../openapi/meta.js';
import { refPrefix, type Schema } from '../openapi/dsl.js';
import { columnsPrinter } from '../printers.js';
import { PATCH_TYPES, type ResourceDef, type ScalePaths } from '../registry/kinds.js';
import { conditionTrue } from '../registry/apiextensions/customresourcedefinition.js';
import { statusStrategy, strategy } from '../registry/strategy.js';
import { applyDefaults, prune, validateListTypes, validateValue } from './schema.js';

type Any = any;

/** The PATCH content types custom resources accept: no strategic merge patch, as they carry no patch strategies. */
const CUSTOM_PATCH_TYPES = PATCH_TYPES.filter((t) => t !== 'application/strategic-merge-patch+json');

/** kube's definition name of a custom resource: the group reversed, the version, the kind (com.example.v1.Widget). */
export const definitionName = (group: string, version: string, kind: string) => `${group.split('.').reverse().join('.')}.${version}.${kind}`;

const AGE = { name: 'Age', type: 'date', jsonPath: '.metadata.creationTimestamp', description: 'CreationTimestamp is a timestamp representing the server time when this object was created. It is not guaranteed to be set in happens-before order across separate operations. Clients may not set this value. It is represented in RFC3339 form and is in UTC.\n\nPopulated by the system. Read-only. Null for lists. More info: https://git.k8s.io/community/contributors/devel/sig-architecture/api-conventions.md#metadata' };

const typeMetaProps = {
  apiVersion: { description: 'APIVersion defines the versioned schema of this representation of an object. Servers should convert recognized schemas to the latest internal value, and may reject unrecognized values. More info: https://git.k8s.io/community/contributors/devel/sig-architecture/api-conventions.md#resources', type: 'string' },
  kind: { description: 'Kind is a string value representing the REST resource this object represents. Servers may infer this from the endpoint the client submits requests to. Cannot be updated. In CamelCase. More info: https://git.k8s.io/community/contributors/devel/sig-architecture/api-conventions.md#types-kinds', type: 'string' },
};

/** The definitions the OpenAPI document publishes for one version: the kind (its schema with type and object metadata) and its list. */
function published(group: string, v: CustomResourceDefinitionVersion, kind: string, listKind: string, schema: JSONSchemaProps) {
  const name = definitionName(group, v.name, kind);
  const { metadata: _m, apiVersion: _a, kind: _k, ...own } = schema.properties ?? {};
  const object: Schema = {
    ...structuredClone(schema),
    type: 'object',
    properties: {
      ...typeMetaProps,
      metadata: { allOf: [{ $ref: refPrefix + meta('ObjectMeta') }], description: "Standard object's metadata. More info: https://git.k8s.io/community/contributors/devel/sig-architecture/api-conventions.md#metadata" },
      ...structuredClone(own),
    },
    'x-kubernetes-group-version-kind': [{ group, kind, version: v.name }],
  };
  const list: Schema = {
    description: `${listKind} is a list of ${kind}`,
    type: 'object',
    required: ['items'],
    properties: {
      ...typeMetaProps,
      items: { description: `List of ${kind.toLowerCase()}s. More info: https://git.k8s.io/community/contributors/devel/sig-architecture/api-conventions.md`, type: 'array', items: { $ref: refPrefix + name } },
      metadata: { allOf: [{ $ref: refPrefix + meta('ListMeta') }], description: 'Standard list metadata. More info: https://git.k8s.io/community/contributors/devel/sig-architecture/api-conventions.md#types-kinds' },
    },
    'x-kubernetes-group-version-kind': [{ group, kind: listKind, version: v.name }],
  };
  return { name, schema: object, definitions: { [name]: object, [`${name}List`]: list } };
}

/** Go's %T of a decoded JSON value. */
const goTypeOf = (v: unknown) => (typeof v === 'number' ? 'float64' : typeof v === 'string' ? 'string' : typeof v === 'boolean' ? 'bool' : Array.isArray(v) ? '[]interface {}' : 'map[string]interface {}');

/** Replicas at the scale paths: an integer from 0 to 2^31-1 where set (kube's ValidateScaleSpec and ValidateScaleStatus). */
function scaleErrors(obj: KubeObject, scale: ScalePaths | undefined): StatusCause[] {
  if (!scale) return [];
  const errs: StatusCause[] = [];
  for (const path of [scale.specReplicasPath, scale.statusReplicasPath]) {
    let v: Any = obj;
    for (const f of path.replace(/^\./, '').split('.')) v = v && typeof v === 'object' ? v[f] : undefined;
    if (v === undefined || v === null) continue;
    if (typeof v !== 'number' || !Number.isInteger(v)) errs.push(invalidValue(path, 0, `${path} accessor error: ${typeof v === 'object' ? JSON.stringify(v) : String(v)} is of the type ${goTypeOf(v)}, expected int64`));
    else if (v < 0) errs.push(invalidValue(path, v, 'should be a non-negative integer'));
    else if (v > 2147483647) errs.push(invalidValue(path, v, 'should be less than or equal to 2147483647'));
  }
  return errs;
}

/** The kinds a CRD serves now: one per served version, none while its names are neither accepted nor established. */
export function customResourceKinds(crd: CustomResourceDefinition): ResourceDef[] {
  if (!conditionTrue(crd, 'Established') && !conditionTrue(crd, 'NamesAccepted')) return [];
  return crd.spec.versions.filter((v) => v.served).map((v) => kindFor(crd, v));
}

/** The kind at the CRD's storage version, served or not: what its stored objects are read and deleted as. */
export function storageKind(crd: CustomResourceDefinition): ResourceDef | undefined {
  const v = crd.spec.versions.find((x) => x.storage) ?? crd.spec.versions[0];
  return v && kindFor(crd, v);
}

function kindFor(crd: CustomResourceDefinition, v: CustomResourceDefinitionVersion): ResourceDef {
  const { group, scope } = crd.spec;
  const names = { ...crd.spec.names, ...(crd.status?.acceptedNames?.plural ? crd.status.acceptedNames : {}) };
  const kind = names.kind;
  const listKind = names.listKind ?? `${kind}List`;
  const storageVersion = crd.spec.versions.find((x) => x.storage)?.name ?? v.name;
  const terminating = !!crd.metadata.deletionTimestamp || conditionTrue(crd, 'Terminating');
  const schema = v.schema?.openAPIV3Schema ?? { type: 'object', 'x-kubernetes-preserve-unknown-fields': true };
  const scale = v.subresources?.scale;
  const scalePaths: ScalePaths | undefined = scale ? { specReplicasPath: scale.specReplicasPath, statusReplicasPath: scale.statusReplicasPath, labelSelectorPath: scale.labelSelectorPath } : undefined;
  const statusEnabled = !!v.subresources?.status;
  const main = strategy({
    statusSubresource: statusEnabled,
    // What decoding does to a custom resource in kube-apiserver: unknown fields pruned, then defaults filled.
    defaults: (o) => {
      prune(o, schema);
      applyDefaults(o, schema);
    },
    validate: (o) => [...validateValue(o, schema), ...scaleErrors(o, scalePaths), ...validateListTypes(o, schema)],
  });
  const apiVersion = `${group}/${v.name}`;
  const storageAPIVersion = `${group}/${storageVersion}`;
  const openapi = published(group, v, kind, listKind, schema);
  return {
    group,
    version: v.name,
    plural: names.plural,
    singular: names.singular ?? kind.toLowerCase(),
    kind,
    listKind,
    namespaced: scope === 'Namespaced',
    ...(names.shortNames?.length ? { shortNames: names.shortNames } : {}),
    ...(names.categories?.length ? { categories: names.categories } : {}),
    subresources: [...(statusEnabled ? ['status'] : []), ...(scale ? ['scale'] : [])],
    strategy: main,
    ...(statusEnabled ? { statusStrategy: statusStrategy(main) } : {}),
    storage: {
      group,
      plural: names.plural,
      toStorage: (o) => ({ ...o, apiVersion: storageAPIVersion }),
      fromStorage: (o) => {
        const read = { ...o, apiVersion };
        applyDefaults(read, schema);
        return read;
      },
    },
    openapi: { ...openapi, revision: `${crd.metadata.uid}/${crd.metadata.generation ?? 0}` },
    printer: columnsPrinter(v.additionalPrinterColumns?.length ? v.additionalPrinterColumns : [AGE]),
    ...(scalePaths ? { scale: scalePaths } : {}),
    patchTypes: CUSTOM_PATCH_TYPES,
    unknownFields: (o) => prune(structuredClone(o), schema),
    terminating,
  };
}
