// apiextensions.k8s.io/v1 CustomResourceDefinition: a new resource, its names, versions and their structural schemas.
// JSONSchemaProps is recursive; its JSON-valued keywords (default, enum, example) take any value.
import { bool, int32, int64, list, map, num, obj, pkg, ref, scalar, str, strings, typeMeta, type Definition } from './dsl.js';
import { meta, time } from './meta.js';

export const apiextensions = pkg('io.k8s.apiextensions-apiserver.pkg.apis.apiextensions.v1');

const props = (description: string) => map(apiextensions('JSONSchemaProps'), description);
const schemas = (description: string) => list(apiextensions('JSONSchemaProps'), description, { listType: 'atomic' });

export const apiextensionsDefinitions: Definition[] = [
  obj(apiextensions('CustomResourceDefinition'), 'Defines a new resource served by the API server under /apis/<group>/<version>/.../<plural>. Its name must be <spec.names.plural>.<spec.group>.', {
    ...typeMeta(meta('ObjectMeta')),
    spec: ref(apiextensions('CustomResourceDefinitionSpec'), 'The resource: its group, names, scope and versions.', { default: {} }),
    status: ref(apiextensions('CustomResourceDefinitionStatus'), 'What the server made of the definition: the names it accepted, its conditions and the versions ever stored.', { default: {} }),
  }, { required: ['spec'], gvk: [{ group: 'apiextensions.k8s.io', version: 'v1', kind: 'CustomResourceDefinition' }] }),

  obj(apiextensions('CustomResourceDefinitionSpec'), 'How a custom resource is served.', {
    conversion: ref(apiextensions('CustomResourceConversion'), 'How objects are converted between versions; "None" (the default) only rewrites apiVersion.'),
    group: str('The API group of the resource (/apis/<group>/...); a domain with at least one dot. Must match the second part of the name.'),
    names: ref(apiextensions('CustomResourceDefinitionNames'), 'The resource and kind names.', { default: {} }),
    preserveUnknownFields: bool('Must be false: unknown fields are pruned to the structural schema.'),
    scope: str('Whether objects live in a namespace ("Namespaced") or not ("Cluster").'),
    versions: list(apiextensions('CustomResourceDefinitionVersion'), 'The versions served and the one stored (exactly one has storage: true), each with its schema, subresources and printer columns.', { listType: 'atomic' }),
  }, { required: ['group', 'names', 'scope', 'versions'] }),

  obj(apiextensions('CustomResourceConversion'), 'How objects are converted between the versions of a custom resource.', {
    strategy: str('"None": objects are served at any version with only apiVersion rewritten. Webhook conversion is not supported by this server.'),
    webhook: ref(apiextensions('WebhookConversion'), 'The conversion webhook, for strategy "Webhook".'),
  }, { required: ['strategy'] }),

  obj(apiextensions('WebhookConversion'), 'A conversion webhook.', {
    clientConfig: ref(apiextensions('WebhookClientConfig'), 'How to reach the webhook.'),
    conversionReviewVersions: strings('ConversionReview versions the webhook accepts, in order of preference.', { listType: 'atomic' }),
  }, { required: ['conversionReviewVersions'] }),

  obj(apiextensions('WebhookClientConfig'), 'How to reach a webhook: a URL or a Service.', {
    caBundle: { description: 'PEM CA bundle to verify the webhook\'s serving certificate.', type: 'string', format: 'byte' },
    service: ref(apiextensions('ServiceReference'), 'The Service the webhook runs behind.'),
    url: str('The webhook\'s URL (https).'),
  }),

  obj(apiextensions('ServiceReference'), 'A Service, by namespace and name, and the path and port to call.', {
    name: str('Name of the Service.', { default: '' }),
    namespace: str('Namespace of the Service.', { default: '' }),
    path: str('URL path requests are sent to.'),
    port: int32('Port of the Service; 443 when unset.'),
  }, { required: ['namespace', 'name'] }),

  obj(apiextensions('CustomResourceDefinitionNames'), 'The names of a custom resource.', {
    categories: strings('Groups of resources this one belongs to (`kubectl get all` lists the "all" category).', { listType: 'atomic' }),
    kind: str('The kind of the objects, in CamelCase.', { default: '' }),
    listKind: str('The kind of lists of the objects; <kind>List by default.'),
    plural: str('The resource name in URLs (/apis/<group>/<version>/<plural>); lower case.', { default: '' }),
    shortNames: strings('Short names kubectl accepts for the resource, e.g. "crd" for customresourcedefinitions.', { listType: 'atomic' }),
    singular: str('The singular name, lower case; the kind in lower case by default.'),
  }, { required: ['plural', 'kind'] }),

  obj(apiextensions('CustomResourceDefinitionVersion'), 'A version of a custom resource.', {
    additionalPrinterColumns: list(apiextensions('CustomResourceColumnDefinition'), 'Columns `kubectl get` prints after the name; an Age column when none is given.', { listType: 'atomic' }),
    deprecated: bool('Whether the version is deprecated.'),
    deprecationWarning: str('The warning returned to clients of a deprecated version.'),
    name: str('The version name, e.g. v1 or v1beta1 (/apis/<group>/<name>/...).', { default: '' }),
    schema: ref(apiextensions('CustomResourceValidation'), 'The structural schema objects of this version are validated, pruned and defaulted with.'),
    selectableFields: list(apiextensions('SelectableField'), 'Fields field selectors may name (not supported by this server).', { listType: 'atomic' }),
    served: bool('Whether the version is served.', { default: false }),
    storage: bool('Whether objects are stored at this version; exactly one version stores.', { default: false }),
    subresources: ref(apiextensions('CustomResourceSubresources'), 'The status and scale subresources of this version.'),
  }, { required: ['name', 'served', 'storage'] }),

  obj(apiextensions('SelectableField'), 'A field of a custom resource that field selectors may name.', {
    jsonPath: str('A simple JSON path to the field.', { default: '' }),
  }, { required: ['jsonPath'] }),

  obj(apiextensions('CustomResourceColumnDefinition'), 'A column of the table `kubectl get` prints.', {
    description: str('What the column shows.'),
    format: str('How to format the value: int32, int64, float, double, byte, date, date-time, password.'),
    jsonPath: str('A simple JSON path into each object, whose value fills the column.', { default: '' }),
    name: str('The column header.', { default: '' }),
    priority: int32('0 for columns always shown; higher for those only `-o wide` shows.'),
    type: str('The OpenAPI type of the column: integer, number, string, boolean or date.', { default: '' }),
  }, { required: ['name', 'type', 'jsonPath'] }),

  obj(apiextensions('CustomResourceValidation'), 'The schema objects of a version follow.', {
    openAPIV3Schema: ref(apiextensions('JSONSchemaProps'), 'A structural OpenAPI v3 schema of the whole object.'),
  }),

  obj(apiextensions('CustomResourceSubresources'), 'The subresources of a version.', {
    scale: ref(apiextensions('CustomResourceSubresourceScale'), 'Serve /scale (autoscaling/v1 Scale) from these paths; `kubectl scale` uses it.'),
    status: ref(apiextensions('CustomResourceSubresourceStatus'), 'Serve /status: the main resource then ignores status changes, and /status everything else.'),
  }),

  obj(apiextensions('CustomResourceSubresourceStatus'), 'Enables the status subresource; it has no fields.', {}),

  obj(apiextensions('CustomResourceSubresourceScale'), 'Where the scale subresource finds replicas and the label selector.', {
    labelSelectorPath: str('JSON path (under .status or .spec) to a label selector in string form, reported as Scale status.selector.'),
    specReplicasPath: str('JSON path under .spec to the desired replicas, which Scale spec.replicas reads and writes.', { default: '' }),
    statusReplicasPath: str('JSON path under .status to the observed replicas, reported as Scale status.replicas.', { default: '' }),
  }, { required: ['specReplicasPath', 'statusReplicasPath'] }),

  obj(apiextensions('CustomResourceDefinitionStatus'), 'What the server made of a definition.', {
    acceptedNames: ref(apiextensions('CustomResourceDefinitionNames'), 'The names actually served; they differ from spec.names when another definition holds one.', { default: {} }),
    conditions: list(apiextensions('CustomResourceDefinitionCondition'), 'NamesAccepted, Established (the resource is served) and Terminating.', { listType: 'map', mapKeys: ['type'] }),
    storedVersions: strings('Every version objects were ever stored at.', { listType: 'atomic' }),
  }),

  obj(apiextensions('CustomResourceDefinitionCondition'), 'A condition of a definition.', {
    lastTransitionTime: time('When the condition last changed status.'),
    message: str('A human-readable explanation.'),
    reason: str('A machine-readable reason for the last transition, in CamelCase.'),
    status: str('True, False or Unknown.', { default: '' }),
    type: str('NamesAccepted, Established or Terminating.', { default: '' }),
  }, { required: ['type', 'status'] }),

  obj(apiextensions('JSONSchemaProps'), 'A JSON schema (OpenAPI v3) with the Kubernetes extensions.', {
    $ref: str('Not supported in custom resource schemas.'),
    $schema: str('The JSON schema dialect.'),
    additionalItems: ref(apiextensions('JSONSchemaPropsOrBool'), 'Not supported in custom resource schemas.'),
    additionalProperties: ref(apiextensions('JSONSchemaPropsOrBool'), 'The schema of the values of a map (an object with no properties).'),
    allOf: schemas('Value validations that must all hold.'),
    anyOf: schemas('Value validations of which at least one must hold.'),
    default: ref(apiextensions('JSON'), 'The value an absent field takes (it must validate against this schema and survive pruning).'),
    definitions: props('Not supported in custom resource schemas.'),
    dependencies: map(apiextensions('JSONSchemaPropsOrStringArray'), 'Not supported in custom resource schemas.'),
    description: str('What the field is; kubectl explain shows it.'),
    enum: list(apiextensions('JSON'), 'The values allowed.', { listType: 'atomic' }),
    example: ref(apiextensions('JSON'), 'An example value.'),
    exclusiveMaximum: bool('Whether maximum itself is excluded.'),
    exclusiveMinimum: bool('Whether minimum itself is excluded.'),
    externalDocs: ref(apiextensions('ExternalDocumentation'), 'Further documentation.'),
    format: str('A format the value must have: int32, int64, float, double, byte, date, date-time, uuid, ipv4, ipv6, cidr, mac, email, hostname, uri, duration, password, ...'),
    id: str('Not supported in custom resource schemas.'),
    items: ref(apiextensions('JSONSchemaPropsOrArray'), 'The schema of the items of an array.'),
    maxItems: int64('Most items an array may have.'),
    maxLength: int64('Longest a string may be.'),
    maxProperties: int64('Most keys an object may have.'),
    maximum: num('Greatest value allowed.'),
    minItems: int64('Fewest items an array may have.'),
    minLength: int64('Shortest a string may be.'),
    minProperties: int64('Fewest keys an object may have.'),
    minimum: num('Least value allowed.'),
    multipleOf: num('What the value must be a multiple of.'),
    not: ref(apiextensions('JSONSchemaProps'), 'A value validation that must not hold.'),
    nullable: bool('Whether null is allowed (else a null is dropped, or defaulted).'),
    oneOf: schemas('Value validations of which exactly one must hold.'),
    pattern: str('A regular expression strings must match.'),
    patternProperties: props('Not supported in custom resource schemas.'),
    properties: props('The fields of an object and their schemas.'),
    required: strings('Fields that must be present.', { listType: 'atomic' }),
    title: str('A title.'),
    type: str('object, array, string, integer, number or boolean.'),
    uniqueItems: bool('Not supported in custom resource schemas (use x-kubernetes-list-type: set).'),
    'x-kubernetes-embedded-resource': bool('The object is a whole resource (apiVersion, kind, metadata) embedded in this one.'),
    'x-kubernetes-int-or-string': bool('The value is an integer or a string.'),
    'x-kubernetes-list-map-keys': strings('The keys identifying the items of a map list.', { listType: 'atomic' }),
    'x-kubernetes-list-type': str('atomic (replaced whole), set (unique scalars) or map (items keyed by x-kubernetes-list-map-keys).'),
    'x-kubernetes-map-type': str('granular (merged key by key) or atomic (replaced whole).'),
    'x-kubernetes-preserve-unknown-fields': bool('Keep fields the schema does not specify instead of pruning them.'),
    'x-kubernetes-validations': list(apiextensions('ValidationRule'), 'CEL validation rules; not supported by this server (a definition with them is refused).', { listType: 'map', mapKeys: ['rule'] }),
  }),

  obj(apiextensions('ValidationRule'), 'A CEL validation rule.', {
    fieldPath: str('The field the error is reported on.'),
    message: str('The message when the rule fails.'),
    messageExpression: str('A CEL expression computing the message.'),
    optionalOldSelf: bool('Evaluate the rule on create too, with oldSelf absent.'),
    reason: str('The reason of the error: FieldValueInvalid, FieldValueForbidden, FieldValueRequired or FieldValueDuplicate.'),
    rule: str('The CEL expression.', { default: '' }),
  }, { required: ['rule'] }),

  obj(apiextensions('ExternalDocumentation'), 'A link to further documentation.', {
    description: str('What the link is.'),
    url: str('The URL.'),
  }),

  scalar(apiextensions('JSON'), { description: 'Any JSON value: bool, number, string, list, object or null.' }),
  scalar(apiextensions('JSONSchemaPropsOrArray'), { description: 'A schema, or a list of schemas (not supported in custom resource schemas).' }),
  scalar(apiextensions('JSONSchemaPropsOrBool'), { description: 'A schema, or a boolean: true allows any value, false none.' }),
  scalar(apiextensions('JSONSchemaPropsOrStringArray'), { description: 'A schema, or a list of property names.' }),
];
