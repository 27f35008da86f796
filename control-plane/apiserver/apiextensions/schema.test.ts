// The structural schema applied to custom resources: kube-apiserver's messages for every value validation, pruning
// (and the paths strict field validation reports), defaulting with nulls, and list-type uniqueness.
import t from 'tap';
import type { JSONSchemaProps } from '../../../api/types.js';
import { applyDefaults, goFloat, goSyntax, prune, validateListTypes, validateValue } from './schema.js';

const lines = (causes: { field?: string; message?: string }[]) => causes.map((c) => `${c.field}: ${c.message}`);

const schema: JSONSchemaProps = {
  type: 'object',
  properties: {
    spec: {
      type: 'object',
      required: ['color'],
      properties: {
        replicas: { type: 'integer', minimum: 0, maximum: 10, default: 1 },
        ratio: { type: 'number', exclusiveMinimum: true, minimum: 0, multipleOf: 0.5 },
        color: { type: 'string', enum: ['red', 'blue'] },
        name: { type: 'string', minLength: 2, maxLength: 5, pattern: '^[a-z]+$' },
        when: { type: 'string', format: 'date-time' },
        port: { 'x-kubernetes-int-or-string': true },
        note: { type: 'string', nullable: true },
        tags: { type: 'array', minItems: 1, maxItems: 2, items: { type: 'string' }, 'x-kubernetes-list-type': 'set' },
        ports: { type: 'array', 'x-kubernetes-list-type': 'map', 'x-kubernetes-list-map-keys': ['name', 'protocol'], items: { type: 'object', properties: { name: { type: 'string' }, protocol: { type: 'string', default: 'TCP' }, port: { type: 'integer' } } } },
        labels: { type: 'object', additionalProperties: { type: 'string' }, maxProperties: 1 },
        free: { type: 'object', 'x-kubernetes-preserve-unknown-fields': true, properties: { known: { type: 'object', properties: { a: { type: 'string' } } } } },
        template: { type: 'object', 'x-kubernetes-embedded-resource': true, properties: { spec: { type: 'object', properties: { x: { type: 'string' } } } } },
        options: { type: 'object', default: { mode: 'fast' }, properties: { mode: { type: 'string' } } },
      },
    },
  },
};

t.test('value validations, worded as kube-apiserver words them', async (t) => {
  const bad = {
    apiVersion: 'example.com/v1',
    kind: 'Widget',
    metadata: { name: 'w', anything: 'metadata is ObjectMeta\'s to judge' },
    spec: { replicas: 'three', ratio: 0, name: 'ABCDEFG', when: 'yesterday', port: true, note: null, tags: [], labels: { a: 'x', b: 'y' }, color: 'green' },
  };
  t.same(lines(validateValue(bad, schema)), [
    'spec.replicas: Invalid value: "string": spec.replicas in body must be of type integer: "string"',
    'spec.ratio: Invalid value: 0: spec.ratio in body should be greater than 0',
    'spec.name: Too long: may not be more than 5 bytes',
    "spec.name: Invalid value: \"ABCDEFG\": spec.name in body should match '^[a-z]+$'",
    'spec.when: Invalid value: "yesterday": spec.when in body must be of type date-time: "yesterday"',
    'spec.port: Invalid value: "boolean": spec.port in body must be of type integer,string: "boolean"',
    'spec.tags: Invalid value: 0: spec.tags in body should have at least 1 items',
    'spec.labels: Too many: 2: must have at most 1 items',
    'spec.color: Unsupported value: "green": supported values: "red", "blue"',
  ]);
  t.same(lines(validateValue({ spec: { replicas: 11, ratio: 0.7, name: 'a', tags: ['a', 'b', 'c'], port: 'http' } }, schema)), [
    'spec.color: Required value',
    'spec.replicas: Invalid value: 11: spec.replicas in body should be less than or equal to 10',
    'spec.ratio: Invalid value: 0.7: spec.ratio in body should be a multiple of 0.5',
    'spec.name: Invalid value: "a": spec.name in body should be at least 2 chars long',
    'spec.tags: Too many: 3: must have at most 2 items',
  ]);
  t.same(lines(validateValue({ spec: { replicas: 2.5, color: null } }, schema)), [
    'spec.replicas: Invalid value: "number": spec.replicas in body must be of type integer: "number"',
    'spec.color: Invalid value: "null": spec.color in body must be of type string: "null"',
  ]);
  t.same(validateValue({ spec: { color: 'red', replicas: 3, port: 8080, note: null, when: '2024-01-02T03:04:05Z', free: { anything: [1] } } }, schema), [], 'a valid object');
  t.same(validateValue({ spec: { color: 'red', ratio: 3 } }, schema), [], 'an integer is a number');
});

t.test('pruning drops what the schema does not specify and reports its paths', async (t) => {
  const obj = {
    apiVersion: 'example.com/v1',
    kind: 'Widget',
    metadata: { name: 'w', labels: { a: 'b' } },
    spec: { color: 'red', typo: 1, ports: [{ name: 'a', extra: true }], labels: { any: 'key' }, free: { kept: 1, known: { a: 'x', dropped: 2 } }, template: { apiVersion: 'v1', kind: 'Pod', metadata: { name: 'p' }, spec: { x: 'y', z: 1 } } },
    status: { ready: true },
  };
  t.same(prune(obj, schema), ['spec.typo', 'spec.ports[0].extra', 'spec.free.known.dropped', 'spec.template.spec.z', 'status']);
  t.same(obj, {
    apiVersion: 'example.com/v1',
    kind: 'Widget',
    metadata: { name: 'w', labels: { a: 'b' } },
    spec: { color: 'red', ports: [{ name: 'a' }], labels: { any: 'key' }, free: { kept: 1, known: { a: 'x' } }, template: { apiVersion: 'v1', kind: 'Pod', metadata: { name: 'p' }, spec: { x: 'y' } } },
  });
});

t.test('defaulting fills absent fields and non-nullable nulls; copies, never shares, the default', async (t) => {
  const a = { spec: { color: 'red', replicas: null, note: null, name: null, ports: [{ name: 'http' }] } };
  applyDefaults(a, schema);
  t.same(a.spec, { color: 'red', replicas: 1, note: null, ports: [{ name: 'http', protocol: 'TCP' }], options: { mode: 'fast' } }, 'null replicas defaulted, nullable note kept, name without default dropped');
  const b: { spec: { options?: { mode: string } } } = { spec: {} };
  applyDefaults(b, schema);
  b.spec.options!.mode = 'slow';
  const c: { spec: { options?: { mode: string } } } = { spec: {} };
  applyDefaults(c, schema);
  t.same(c.spec.options, { mode: 'fast' });
  const none = { metadata: { name: 'x' } };
  applyDefaults(none, schema);
  t.same(none, { metadata: { name: 'x' } }, 'no spec, no defaults below it');
});

t.test('set and map lists keep their entries unique', async (t) => {
  const obj = { spec: { tags: ['a', 'b', 'a', 'a'], ports: [{ name: 'http', protocol: 'TCP', port: 80 }, { name: 'http', protocol: 'UDP' }, { name: 'http', protocol: 'TCP', port: 81 }] } };
  t.same(lines(validateListTypes(obj, schema)), [
    'spec.tags[2]: Duplicate value: "a"',
    'spec.ports[2]: Duplicate value: map[string]interface {}{"name":"http", "protocol":"TCP"}',
  ]);
  t.same(validateListTypes({ spec: { tags: ['a', 'b'], ports: [{ name: 'a' }, { name: 'b' }] } }, schema), []);
});

t.test('values printed as Go prints them', async (t) => {
  t.equal(goFloat(1), '1');
  t.equal(goFloat(0.5), '0.5');
  t.equal(goFloat(1e6), '1e+06');
  t.equal(goFloat(123456), '123456');
  t.equal(goFloat(0.00001), '1e-05');
  t.equal(goSyntax({ b: [1, 'x', null], a: true }), 'map[string]interface {}{"a":true, "b":[]interface {}{1, "x", interface {}(nil)}}');
});
