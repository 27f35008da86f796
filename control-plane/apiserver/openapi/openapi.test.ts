// The schemas and documents without a server: unknown-field paths as kube-apiserver reports them, and the document
// facts kubectl relies on (GVKs, fieldValidation, strategic-merge content type, merge keys, resolvable $refs).
import t from 'tap';
import { groupVersions, kinds as registry } from '../registry/kinds.js';
import { definition, openapiDocument, openapiIndex, schemaFor, unknownFields, type Schema } from './index.js';

const pod = (container: Record<string, unknown>, extra: Record<string, unknown> = {}) => ({
  apiVersion: 'v1',
  kind: 'Pod',
  metadata: { name: 'p', labels: { 'app.kubernetes.io/name': 'web', anything: 'goes' }, annotations: { 'x/y': 'z' } },
  spec: { containers: [{ name: 'sidecar', image: 'busybox:1.35' }, container], ...extra },
});

t.test('unknownFields: a valid object has none', async (t) => {
  const valid = pod(
    {
      name: 'web',
      image: 'busybox:1.35',
      imagePullPolicy: 'IfNotPresent',
      command: ['httpd', '-f'],
      env: [{ name: 'A', value: '1' }, { name: 'B', valueFrom: { fieldRef: { fieldPath: 'status.podIP' } } }],
      ports: [{ containerPort: 80, name: 'http', protocol: 'TCP' }],
      resources: { limits: { cpu: '500m', memory: '128Mi', 'example.com/gpu': 1 }, requests: { cpu: 0.1 } },
      readinessProbe: { httpGet: { path: '/', port: 'http' }, periodSeconds: 5 },
      livenessProbe: { tcpSocket: { port: 80 } },
      volumeMounts: [{ name: 'data', mountPath: '/data' }],
      securityContext: { capabilities: { add: ['NET_ADMIN'] } },
    },
    {
      nodeSelector: { 'kubernetes.io/hostname': 'worker1' },
      volumes: [{ name: 'data', emptyDir: {} }, { name: 'cfg', configMap: { name: 'c', items: [{ key: 'k', path: 'p' }] } }],
      tolerations: [{ key: 'node-role.kubernetes.io/control-plane', operator: 'Exists', effect: 'NoSchedule' }],
      affinity: { nodeAffinity: { requiredDuringSchedulingIgnoredDuringExecution: { nodeSelectorTerms: [{ matchExpressions: [{ key: 'a', operator: 'In', values: ['b'] }] }] } } },
    },
  );
  t.same(unknownFields('', 'v1', 'Pod', valid), []);
  t.same(unknownFields('', 'v1', 'ConfigMap', { apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: 'c' }, data: { 'any.key': 'v', other_key: 'w' }, binaryData: { b: 'AAE=' } }), []);
  t.same(unknownFields('', 'v1', 'Secret', { metadata: { name: 's' }, type: 'Opaque', stringData: { password: 'x' } }), []);
});

t.test('unknownFields: nested lists report the item index', async (t) => {
  const bad = pod({ name: 'web', image: 'busybox:1.35', imagePullPolicyy: 'Always', ports: [{ containerPort: 80 }, { containerPort: 81, hostPortt: 8081 }] });
  t.same(unknownFields('', 'v1', 'Pod', bad), ['spec.containers[1].imagePullPolicyy', 'spec.containers[1].ports[1].hostPortt']);

  const deployment = {
    apiVersion: 'apps/v1',
    kind: 'Deployment',
    metadata: { name: 'web' },
    spec: {
      replicas: 2,
      selector: { matchLabels: { app: 'web' }, matchExpressions: [{ key: 'tier', operator: 'Exists', valuez: [] }] },
      strategy: { type: 'RollingUpdate', rollingUpdate: { maxSurge: '25%', maxUnavailable: 0, maxSurprise: 1 } },
      template: { metadata: { labels: { app: 'web' } }, spec: { containers: [{ name: 'c', image: 'i', env: [{ name: 'A', valuee: '1' }] }] } },
    },
  };
  t.same(unknownFields('apps', 'v1', 'Deployment', deployment), [
    'spec.selector.matchExpressions[0].valuez',
    'spec.strategy.rollingUpdate.maxSurprise',
    'spec.template.spec.containers[0].env[0].valuee',
  ]);
});

t.test('unknownFields: maps accept any key but their values are still checked', async (t) => {
  // Quantities (limits) and strings (labels) are leaves: any key, no further fields.
  t.same(unknownFields('', 'v1', 'Node', { metadata: { name: 'n', labels: { a: 'b' } }, status: { capacity: { cpu: '2', 'hugepages-2Mi': '0' }, allocatable: { pods: '110' } } }), []);
  t.same(unknownFields('', 'v1', 'Node', { metadata: { name: 'n' }, status: { nodeInfo: { kubeletVersion: 'v1.32.0', kernel: 'x' } } }), ['status.nodeInfo.kernel']);
});

t.test('unknownFields: int-or-string fields take either form and nothing below', async (t) => {
  const svc = (targetPort: unknown, extra: Record<string, unknown> = {}) => ({
    apiVersion: 'v1',
    kind: 'Service',
    metadata: { name: 's' },
    spec: { selector: { app: 'web' }, ports: [{ port: 80, targetPort, ...extra }] },
  });
  t.same(unknownFields('', 'v1', 'Service', svc(8080)), []);
  t.same(unknownFields('', 'v1', 'Service', svc('http')), []);
  t.same(unknownFields('', 'v1', 'Service', svc('http', { targetPortt: 1 })), ['spec.ports[0].targetPortt']);
});

t.test('unknownFields: metadata, status and top-level fields', async (t) => {
  const obj = {
    apiVersion: 'v1',
    kind: 'ConfigMap',
    metadata: {
      name: 'c',
      labelz: { a: 'b' },
      ownerReferences: [{ apiVersion: 'apps/v1', kind: 'ReplicaSet', name: 'r', uid: 'u', controller: true, extra: 1 }],
      managedFields: [{ manager: 'kubectl', operation: 'Apply', fieldsType: 'FieldsV1', fieldsV1: { 'f:data': { 'f:k': {} } } }],
    },
    data: { k: 'v' },
    spec: {},
  };
  t.same(unknownFields('', 'v1', 'ConfigMap', obj), ['metadata.labelz', 'metadata.ownerReferences[0].extra', 'spec']);
  t.same(unknownFields('', 'v1', 'Pod', { metadata: { name: 'p' }, spec: { containers: [] }, status: { phase: 'Running', podIP: '10.244.1.2', podIPz: [] } }), ['status.podIPz']);
  // Keys that happen to name Object.prototype members are still unknown fields.
  t.same(unknownFields('', 'v1', 'ConfigMap', { metadata: { name: 'c', constructor: 1 }, toString: 2 }), ['metadata.constructor', 'toString']);
});

t.test('unknownFields: nulls and kinds without a schema', async (t) => {
  t.same(unknownFields('', 'v1', 'Pod', { metadata: null, spec: { containers: null, nodeSelector: null } }), []);
  t.same(unknownFields('example.com', 'v1', 'Widget', { anything: { goes: true } }), []);
});

t.test('schemaFor finds a kind by its group-version-kind', async (t) => {
  const dep = schemaFor('apps', 'v1', 'Deployment')!;
  t.same(dep['x-kubernetes-group-version-kind'], [{ group: 'apps', version: 'v1', kind: 'Deployment' }]);
  t.ok((dep.properties as Record<string, Schema>).spec);
  t.equal(schemaFor('apps', 'v1', 'Widget'), undefined);
  t.equal(schemaFor('', 'v1', 'Deployment'), undefined);
});

const gvPath = (group: string, version: string) => (group ? `apis/${group}/${version}` : `api/${version}`);

t.test('the index points at one document per served group-version, named by content hash', async (t) => {
  const index = openapiIndex();
  t.same(Object.keys(index.paths).sort(), groupVersions().map((gv) => gvPath(gv.group, gv.version)).sort());
  for (const [p, { serverRelativeURL }] of Object.entries(index.paths)) t.match(serverRelativeURL, new RegExp(`^/openapi/v3/${p}\\?hash=[0-9A-F]{128}$`));
  t.same(openapiIndex(), index, 'hashes are stable');
  t.equal(openapiDocument('apis/nope/v1'), undefined);
});

t.test('every served kind has paths with its GVK and a schema with its GVK', async (t) => {
  for (const d of registry) {
    const doc = openapiDocument(gvPath(d.group, d.version)) as Schema;
    const paths = doc.paths as Record<string, Record<string, Schema>>;
    const schemas = (doc.components as { schemas: Record<string, Schema> }).schemas;
    const gvk = { group: d.group, version: d.version, kind: d.kind };
    const base = `/${gvPath(d.group, d.version)}${d.namespaced ? '/namespaces/{namespace}' : ''}/${d.plural}`;
    if (d.review) {
      // The review kinds are create-only: a POST on the collection, nothing under a name.
      t.same(Object.keys(paths[base] ?? {}).filter((m) => m !== 'parameters'), ['post'], `${d.kind}: create only`);
      t.notOk(paths[`${base}/{name}`], `${d.kind}: no object paths`);
      continue;
    }
    const item = paths[`${base}/{name}`];
    t.ok(item, `${base}/{name}`);
    t.same(item.patch['x-kubernetes-group-version-kind'], gvk);
    const params = (item.patch.parameters as Schema[]).map((p) => p.name);
    t.ok(['fieldValidation', 'dryRun', 'fieldManager', 'force'].every((p) => params.includes(p)), `${d.kind} PATCH parameters`);
    t.ok((item.patch.requestBody as { content: Record<string, unknown> }).content['application/strategic-merge-patch+json'], `${d.kind} accepts strategic merge patch`);
    t.ok((paths[base].post.parameters as Schema[]).some((p) => p.name === 'fieldValidation'), `${d.kind} POST fieldValidation`);
    if (d.subresources.includes('status')) t.same(paths[`${base}/{name}/status`].patch['x-kubernetes-group-version-kind'], gvk);
    const withGVK = Object.values(schemas).filter((s) => (s['x-kubernetes-group-version-kind'] as unknown[] | undefined)?.some((g) => JSON.stringify(g) === JSON.stringify(gvk)));
    t.equal(withGVK.length, 1, `${d.kind} has exactly one schema`);
  }
});

t.test('every $ref in a document resolves inside it', async (t) => {
  for (const { group, version } of groupVersions()) {
    const doc = openapiDocument(gvPath(group, version)) as Schema;
    const schemas = (doc.components as { schemas: Record<string, Schema> }).schemas;
    const refs = JSON.stringify(doc).match(/"#\/components\/schemas\/[^"]+"/g) ?? [];
    const missing = refs.map((r) => r.slice('"#/components/schemas/'.length, -1)).filter((n) => !schemas[n]);
    t.same(missing, [], gvPath(group, version));
  }
  const apps = (openapiDocument('apis/apps/v1') as { components: { schemas: Record<string, Schema> } }).components.schemas;
  t.ok(apps['io.k8s.api.core.v1.PodSpec'], 'apps/v1 carries the core types its pod templates use');
  t.notOk(apps['io.k8s.api.core.v1.Node'], 'and nothing unreachable');
});

/** The schema of a field of a definition, through the allOf/$ref wrappers. */
const field = (name: string, path: string): Schema => {
  let s = definition(name)!;
  const parts = path.split('.');
  for (const [i, part] of parts.entries()) {
    const f = (s.properties as Record<string, Schema>)[part];
    if (i === parts.length - 1) return f;
    const ref = ((f.allOf as Schema[] | undefined)?.[0] ?? f).$ref as string;
    s = definition(ref.replace('#/components/schemas/', ''))!;
  }
  return s;
};
const patchMeta = (s: Schema) => [s['x-kubernetes-patch-merge-key'], s['x-kubernetes-patch-strategy']];

t.test('strategic merge metadata matches the Kubernetes types', async (t) => {
  const core = (n: string) => `io.k8s.api.core.v1.${n}`;
  t.same(patchMeta(field(core('PodSpec'), 'containers')), ['name', 'merge']);
  t.same(patchMeta(field(core('PodSpec'), 'initContainers')), ['name', 'merge']);
  t.same(patchMeta(field(core('PodSpec'), 'volumes')), ['name', 'merge,retainKeys']);
  t.same(patchMeta(field(core('PodSpec'), 'imagePullSecrets')), ['name', 'merge']);
  t.same(patchMeta(field(core('PodSpec'), 'tolerations')), [undefined, undefined]);
  t.same(patchMeta(field(core('Container'), 'ports')), ['containerPort', 'merge']);
  t.same(field(core('Container'), 'ports')['x-kubernetes-list-map-keys'], ['containerPort', 'protocol']);
  t.same(patchMeta(field(core('Container'), 'env')), ['name', 'merge']);
  t.same(patchMeta(field(core('Container'), 'volumeMounts')), ['mountPath', 'merge']);
  t.same(patchMeta(field(core('Container'), 'args')), [undefined, undefined]);
  t.same(patchMeta(field(core('ServiceSpec'), 'ports')), ['port', 'merge']);
  t.same(field(core('ServiceSpec'), 'ports')['x-kubernetes-list-map-keys'], ['port', 'protocol']);
  t.same(patchMeta(field(core('PodStatus'), 'conditions')), ['type', 'merge']);
  t.same(patchMeta(field(core('NodeStatus'), 'addresses')), ['type', 'merge']);
  t.same(patchMeta(field(core('ServiceAccount'), 'secrets')), ['name', 'merge']);
  t.same(patchMeta(field('io.k8s.apimachinery.pkg.apis.meta.v1.ObjectMeta', 'finalizers')), [undefined, 'merge']);
  t.same(patchMeta(field('io.k8s.apimachinery.pkg.apis.meta.v1.ObjectMeta', 'ownerReferences')), ['uid', 'merge']);
  t.same(patchMeta(field('io.k8s.api.apps.v1.DeploymentSpec', 'strategy')), [undefined, 'retainKeys']);
  t.same(patchMeta(field('io.k8s.api.apps.v1.DeploymentStatus', 'conditions')), ['type', 'merge']);
});

t.test('field shapes follow kube-openapi', async (t) => {
  const core = (n: string) => `io.k8s.api.core.v1.${n}`;
  t.same(field(core('PodTemplateSpec'), 'spec').allOf, [{ $ref: '#/components/schemas/io.k8s.api.core.v1.PodSpec' }], 'described references are wrapped in allOf');
  t.same(definition(core('Container'))!.required, ['name']);
  t.same(definition(core('PodSpec'))!.required, ['containers']);
  t.equal(definition('io.k8s.apimachinery.pkg.util.intstr.IntOrString')!['x-kubernetes-int-or-string'], true);
  t.equal(definition('io.k8s.apimachinery.pkg.util.intstr.IntOrString')!.format, 'int-or-string');
  t.equal(definition('io.k8s.apimachinery.pkg.apis.meta.v1.Time')!.format, 'date-time');
  t.equal(definition('io.k8s.apimachinery.pkg.apis.meta.v1.MicroTime')!.format, 'date-time');
  t.same(field(core('ResourceRequirements'), 'limits').additionalProperties, { $ref: '#/components/schemas/io.k8s.apimachinery.pkg.api.resource.Quantity' });
  t.same(field('io.k8s.apimachinery.pkg.apis.meta.v1.ObjectMeta', 'labels'), { description: field('io.k8s.apimachinery.pkg.apis.meta.v1.ObjectMeta', 'labels').description, type: 'object', additionalProperties: { type: 'string', default: '' } });
  t.same(field(core('ContainerPort'), 'containerPort'), { description: field(core('ContainerPort'), 'containerPort').description, format: 'int32', type: 'integer' });
  for (const f of ['args', 'command', 'env', 'envFrom', 'image', 'imagePullPolicy', 'lifecycle', 'livenessProbe', 'name', 'ports', 'readinessProbe', 'resizePolicy', 'resources', 'restartPolicy', 'securityContext', 'startupProbe', 'stdin', 'stdinOnce', 'terminationMessagePath', 'terminationMessagePolicy', 'tty', 'volumeDevices', 'volumeMounts', 'workingDir']) {
    t.type(field(core('Container'), f)?.description, 'string', `Container.${f} is described`);
  }
});
