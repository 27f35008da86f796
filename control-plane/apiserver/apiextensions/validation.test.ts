// CustomResourceDefinition validation: the name, group, versions and names rules, structural schemas and their
// defaults, list and map types, scale paths and printer columns, and CEL rules refused — as kube-apiserver words it.
import t from 'tap';
import type { CustomResourceDefinition } from '../../../api/types.js';
import { schemaErrors, validateCRD, validateCRDUpdate } from './validation.js';

type Any = any;
const lines = (causes: { field?: string; message?: string }[]) => causes.map((c) => `${c.field}: ${c.message}`);

function crd(over: Any = {}): CustomResourceDefinition {
  return {
    apiVersion: 'apiextensions.k8s.io/v1',
    kind: 'CustomResourceDefinition',
    metadata: { name: 'widgets.example.com' },
    spec: {
      group: 'example.com',
      scope: 'Namespaced',
      names: { plural: 'widgets', singular: 'widget', kind: 'Widget', listKind: 'WidgetList' },
      versions: [{ name: 'v1', served: true, storage: true, schema: { openAPIV3Schema: { type: 'object', properties: { spec: { type: 'object', properties: { replicas: { type: 'integer' } } } } } } }],
      ...over,
    },
  } as CustomResourceDefinition;
}

t.test('a well-formed definition has no errors', async (t) => {
  t.same(validateCRD(crd()), []);
});

t.test('the name, group, scope, versions and names', async (t) => {
  const bad = crd({ group: 'example', scope: 'Global', names: { plural: 'Widgets', kind: 'Widget', listKind: 'Widget' }, versions: [{ name: 'v1', served: true, storage: false, schema: { openAPIV3Schema: { type: 'object' } } }, { name: 'v1', served: false, storage: false }] });
  t.same(lines(validateCRD(bad)), [
    'metadata.name: Invalid value: "widgets.example.com": must be spec.names.plural+"."+spec.group',
    'spec.group: Invalid value: "example": should be a domain with at least one dot',
    'spec.scope: Unsupported value: "Global": supported values: "Cluster", "Namespaced"',
    'spec.versions[1].schema.openAPIV3Schema: Required value',
    'spec.versions: Invalid value: []apiextensions.CustomResourceDefinitionVersion{apiextensions.CustomResourceDefinitionVersion{Name:"v1", Served:true, Storage:false}, apiextensions.CustomResourceDefinitionVersion{Name:"v1", Served:false, Storage:false}}: must contain unique version names',
    'spec.versions: Invalid value: []apiextensions.CustomResourceDefinitionVersion{apiextensions.CustomResourceDefinitionVersion{Name:"v1", Served:true, Storage:false}, apiextensions.CustomResourceDefinitionVersion{Name:"v1", Served:false, Storage:false}}: must have exactly one version marked as storage version',
    'spec.names.singular: Required value',
    "spec.names.plural: Invalid value: \"Widgets\": a DNS-1035 label must consist of lower case alphanumeric characters or '-', start with an alphabetic character, and end with an alphanumeric character (e.g. 'my-name',  or 'abc-123', regex used for validation is '[a-z]([-a-z0-9]*[a-z0-9])?')",
    'spec.names.listKind: Invalid value: "Widget": kind and listKind may not be the same',
  ]);
  t.same(lines(validateCRD({ ...crd({ group: 'stable.k8s.io' }), metadata: { name: 'widgets.stable.k8s.io' } } as CustomResourceDefinition)), [
    'metadata.annotations[api-approved.kubernetes.io]: Required value: protected groups must have approval annotation "api-approved.kubernetes.io", see https://github.com/kubernetes/enhancements/pull/1111',
  ]);
});

t.test('updates may not change what storage depends on', async (t) => {
  const old = crd();
  old.status = { conditions: [{ type: 'Established', status: 'True' }], storedVersions: ['v1'] };
  const next = crd({ group: 'other.com', scope: 'Cluster', names: { plural: 'widgets', singular: 'widget', kind: 'Gadget', listKind: 'GadgetList' }, versions: [{ name: 'v2', served: true, storage: true, schema: { openAPIV3Schema: { type: 'object' } } }] });
  next.status = old.status;
  t.same(lines(validateCRDUpdate(next, old)), [
    'spec.scope: Invalid value: "Cluster": field is immutable',
    'spec.names.kind: Invalid value: "Gadget": field is immutable',
    'spec.group: Invalid value: "other.com": field is immutable',
    'status.storedVersions[0]: Invalid value: "v1": missing from spec.versions; v1 was previously a storage version, and must remain in spec.versions until a storage migration ensures no data remains persisted in v1 and removes v1 from status.storedVersions',
  ]);
});

t.test('schemas must be structural', async (t) => {
  const p = 'spec.versions[0].schema.openAPIV3Schema';
  t.same(lines(schemaErrors({ type: 'array', items: { type: 'string' } }, p)), [`${p}.type: Invalid value: "array": must be object at the root`]);
  t.same(lines(schemaErrors({ type: 'object', properties: { spec: { properties: { a: { type: 'string' } } }, list: { type: 'array' } } }, p)), [
    `${p}.properties[list].items: Required value: must be specified`,
    `${p}.properties[spec].type: Required value: must not be empty for specified object fields`,
  ]);
  t.same(lines(schemaErrors({ type: 'object', properties: { metadata: { type: 'object', properties: { labels: { type: 'object' } } } } }, p)), [
    `${p}.properties[metadata]: Forbidden: must not specify anything other than name and generateName, but metadata is implicitly specified`,
  ]);
  t.same(lines(schemaErrors({ type: 'object', properties: { a: { type: 'string', anyOf: [{ type: 'string', description: 'x' }, { properties: { b: { type: 'string' } } }] } } }, p)), [
    `${p}.properties[a].anyOf[0].description: Forbidden: must be empty to be structural`,
    `${p}.properties[a].anyOf[0].type: Forbidden: must be empty to be structural`,
    `${p}.properties[a].anyOf[1].properties[b].type: Forbidden: must be empty to be structural`,
    `${p}.properties[a].properties[b]: Required value: because it is defined in ${p}.properties[a].anyOf[1].properties[b]`,
  ]);
  t.same(lines(schemaErrors({ type: 'object', properties: { a: { type: 'integer', default: 'x' }, b: { type: 'object', default: { c: 1 }, properties: {} } } }, p)), [
    `${p}.properties[a].default: Invalid value: "string":  in body must be of type integer: "string"`,
    `${p}.properties[b].default: Invalid value: map[string]interface {}{"c":1}: must not have unknown fields`,
  ]);
});

t.test('list and map types, unsupported keywords, and CEL rules refused', async (t) => {
  const p = 'spec.versions[0].schema.openAPIV3Schema';
  t.same(lines(schemaErrors({ type: 'object', properties: { l: { type: 'array', 'x-kubernetes-list-type': 'map', items: { type: 'object', properties: { k: { type: 'string' } } } }, s: { type: 'string', 'x-kubernetes-list-type': 'set', uniqueItems: true } } }, p)), [
    `${p}.properties[l].x-kubernetes-list-map-keys: Required value: must not be empty if x-kubernetes-list-type is map`,
    `${p}.properties[s].uniqueItems: Forbidden: uniqueItems cannot be set to true since the runtime complexity becomes quadratic`,
    `${p}.properties[s].type: Invalid value: "string": must be array if x-kubernetes-list-type is specified`,
  ]);
  t.same(lines(schemaErrors({ type: 'object', properties: { l: { type: 'array', 'x-kubernetes-list-type': 'map', 'x-kubernetes-list-map-keys': ['k'], items: { type: 'object', properties: { k: { type: 'string' } } } } } }, p)), [
    `${p}.properties[l].items.properties[k].default: Required value: this property is in x-kubernetes-list-map-keys, so it must have a default or be a required property`,
  ]);
  const cel = lines(schemaErrors({ type: 'object', 'x-kubernetes-validations': [{ rule: 'self.spec.a > 0' }], properties: { spec: { type: 'object', properties: { a: { type: 'integer' } } } } }, p));
  t.same(cel, [`${p}.x-kubernetes-validations: Forbidden: CEL validation rules (x-kubernetes-validations) are not supported by this API server; express the constraint with the schema (type, enum, pattern, minimum/maximum, required) instead`]);
  t.same(lines(schemaErrors({ type: 'object', properties: { r: { $ref: '#/x' }, n: { type: 'null' } } } as Any, p)), [`${p}.properties[r].$ref: Forbidden: $ref is not supported`, `${p}.properties[n].type: Forbidden: type cannot be set to null, use nullable as an alternative`]);
});

t.test('scale paths and printer columns', async (t) => {
  const bad = crd({
    versions: [{ name: 'v1', served: true, storage: true, schema: { openAPIV3Schema: { type: 'object' } }, subresources: { scale: { specReplicasPath: '.status.replicas', statusReplicasPath: 'status.replicas' } }, additionalPrinterColumns: [{ name: 'X', type: 'map', jsonPath: '' }] }],
  });
  t.same(lines(validateCRD(bad)), [
    'spec.versions[0].subresources.scale.specReplicasPath: Invalid value: ".status.replicas": should be a json path under .spec',
    'spec.versions[0].subresources.scale.statusReplicasPath: Invalid value: "status.replicas": must be a simple json path starting with .',
    'spec.versions[0].additionalPrinterColumns[0].type: Invalid value: "map": must be one of boolean,date,integer,number,string',
    'spec.versions[0].additionalPrinterColumns[0].JSONPath: Required value',
  ]);
});
