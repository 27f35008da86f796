// CustomResourceDefinitions driven by kubectl 1.32 and @kubernetes/client-node against a kubets server with its
// controllers: a CRD applied and established, its resource served (short names, categories, printer columns,
// explain, scale, status, server-side apply merging a map list by key, several versions with the None conversion,
// cluster scope), kube-apiserver's 422s, name conflicts, CEL rules refused, custom resources collected with their
// namespace and their owner, the CRD's deletion taking its objects with it — and an operator written with
// client-node: an informer on a custom resource reconciling a Deployment and writing the resource's status.
import t from 'tap';
import * as k8s from '@kubernetes/client-node';
import { parse as parseYaml } from 'yaml';
import { kubectlExpecting, startServer, type TestServer } from './server-fixture.js';
import { until } from './until.js';

type Any = any;

let srv: TestServer;
t.before(async () => {
  srv = await startServer();
});
t.teardown(() => srv?.destroy());

const { ok, fails } = kubectlExpecting(() => srv);

const widgetsCRD = `
apiVersion: apiextensions.k8s.io/v1
kind: CustomResourceDefinition
metadata:
  name: widgets.example.com
spec:
  group: example.com
  scope: Namespaced
  names: {plural: widgets, singular: widget, kind: Widget, shortNames: [wd], categories: [all]}
  versions:
  - name: v1beta1
    served: true
    storage: false
    schema:
      openAPIV3Schema:
        type: object
        properties:
          spec: {type: object, x-kubernetes-preserve-unknown-fields: true}
          status: {type: object, x-kubernetes-preserve-unknown-fields: true}
  - name: v1
    served: true
    storage: true
    subresources:
      status: {}
      scale: {specReplicasPath: .spec.replicas, statusReplicasPath: .status.replicas, labelSelectorPath: .status.selector}
    additionalPrinterColumns:
    - {name: Replicas, type: integer, jsonPath: .spec.replicas}
    - {name: Color, type: string, jsonPath: .spec.color}
    - {name: Ready, type: string, jsonPath: '.status.conditions[?(@.type=="Ready")].status'}
    schema:
      openAPIV3Schema:
        type: object
        description: A widget of some color.
        properties:
          spec:
            type: object
            required: [color]
            properties:
              replicas: {type: integer, minimum: 0, default: 1, description: How many widgets to keep.}
              color: {type: string, enum: [red, blue]}
              ports:
                type: array
                x-kubernetes-list-type: map
                x-kubernetes-list-map-keys: [name]
                items:
                  type: object
                  required: [name]
                  properties:
                    name: {type: string}
                    port: {type: integer}
          status:
            type: object
            properties:
              replicas: {type: integer}
              selector: {type: string}
              conditions:
                type: array
                items: {type: object, properties: {type: {type: string}, status: {type: string}}}
`;

const widget = (name: string, spec: string, ns = 'crd') => `apiVersion: example.com/v1\nkind: Widget\nmetadata: {name: ${name}, namespace: ${ns}}\nspec: ${spec}\n`;

t.test('a CRD is established and its resource served: get, short names, categories, columns, explain, describe', async (t) => {
  await ok(['create', 'namespace', 'crd']);
  t.match(await ok(['apply', '-f', '-'], widgetsCRD), 'customresourcedefinition.apiextensions.k8s.io/widgets.example.com created');
  await ok(['wait', '--for=condition=Established', 'crd/widgets.example.com', '--timeout=10s']);
  const crd = JSON.parse(await ok(['get', 'crds', 'widgets.example.com', '-o', 'json']));
  t.match(crd.status, { acceptedNames: { plural: 'widgets', kind: 'Widget', listKind: 'WidgetList', singular: 'widget', shortNames: ['wd'], categories: ['all'] }, storedVersions: ['v1'] });
  t.same(crd.status.conditions.map((c: Any) => `${c.type}=${c.status}:${c.reason}`), ['NamesAccepted=True:NoConflicts', 'Established=True:InitialNamesAccepted']);
  t.match(await ok(['get', 'crd']), /^NAME\s+CREATED AT\nwidgets\.example\.com\s+\d{4}-/);
  t.match(await ok(['api-resources', '--api-group=example.com']), /widgets\s+wd\s+example\.com\/v1\s+true\s+Widget/);

  await ok(['apply', '-f', '-'], widget('w1', '{color: red, replicas: 2}'));
  await ok(['apply', '-f', '-'], widget('w2', '{color: blue}'));
  t.match(await ok(['get', 'widgets', '-n', 'crd']), /^NAME\s+REPLICAS\s+COLOR\s+READY\nw1\s+2\s+red\s*\nw2\s+1\s+blue\s*\n?$/, 'printer columns (a path that finds nothing leaves its cell empty); the default replicas filled');
  t.match(await ok(['get', 'wd', '-n', 'crd', '-o', 'name']), 'widget.example.com/w1\nwidget.example.com/w2');
  t.match(await ok(['get', 'all', '-n', 'crd']), /widget\.example\.com\/w1\s+2\s+red/, 'the "all" category');
  t.equal(await ok(['get', 'widgets', '-n', 'crd', '--field-selector', 'metadata.name=w2', '-o', 'jsonpath={.items[*].metadata.name}']), 'w2');
  const explain = await ok(['explain', 'widgets.spec.replicas']);
  t.match(explain, /GROUP:\s+example\.com\nKIND:\s+Widget\nVERSION:\s+v1\n\nFIELD: replicas <integer>/);
  t.match(explain, /How many widgets to keep\./);
  t.match(await ok(['explain', 'widgets']), /A widget of some color\.[\s\S]*spec\t<Object>/);
  t.match(await ok(['describe', 'widget', 'w1', '-n', 'crd']), /Name:\s+w1\nNamespace:\s+crd\n[\s\S]*Kind:\s+Widget[\s\S]*Spec:\n\s+Color:\s+red\n\s+Replicas:\s+2/);
  t.match(await ok(['explain', 'crd.spec.versions.schema']), /openAPIV3Schema\t<JSONSchemaProps>/);
});

t.test('kube-apiserver\'s errors: schema violations (422 with field paths), unknown fields, pruning', async (t) => {
  const invalid = await fails(['apply', '-f', '-'], widget('bad', '{color: green, replicas: "two", ports: [{name: a}, {name: a}]}'));
  t.match(invalid, 'The Widget "bad" is invalid:');
  t.match(invalid, '* spec.color: Unsupported value: "green": supported values: "red", "blue"');
  t.match(invalid, '* spec.replicas: Invalid value: "string": spec.replicas in body must be of type integer: "string"');
  t.match(invalid, '* spec.ports[1]: Duplicate value: map[string]interface {}{"name":"a"}');
  t.match(await fails(['apply', '-f', '-'], widget('bad', '{replicas: -1}')), /spec\.color: Required value[\s\S]*spec\.replicas: Invalid value: -1: spec\.replicas in body should be greater than or equal to 0/);
  t.match(await fails(['apply', '-f', '-'], widget('bad', '{color: red, shape: round}')), 'strict decoding error: unknown field "spec.shape"');
  await ok(['apply', '--validate=false', '-f', '-'], widget('pruned', '{color: red, shape: round}'));
  const stored = JSON.parse(await ok(['get', 'widget', 'pruned', '-n', 'crd', '-o', 'json']));
  t.same(stored.spec, { color: 'red', replicas: 1 }, 'the unknown field was pruned, the default filled');
  t.match(await fails(['patch', 'widget', 'pruned', '-n', 'crd', '--type=strategic', '-p', '{"spec":{"replicas":2}}']), 'the body of the request was in an unknown format - accepted media types include: application/json-patch+json, application/merge-patch+json, application/apply-patch+yaml');
});

t.test('status and scale subresources; kubectl scale', async (t) => {
  await ok(['patch', 'widget', 'w1', '-n', 'crd', '--subresource=status', '--type=merge', '-p', '{"status":{"replicas":2,"selector":"app=w1","conditions":[{"type":"Ready","status":"True"}]}}']);
  await ok(['patch', 'widget', 'w1', '-n', 'crd', '--type=merge', '-p', '{"status":{"replicas":9}}']);
  t.equal(await ok(['get', 'widget', 'w1', '-n', 'crd', '-o', 'jsonpath={.status.replicas}']), '2', 'the main resource does not write status');
  t.match(await ok(['get', 'wd', 'w1', '-n', 'crd']), /w1\s+2\s+red\s+True/);
  t.match(await ok(['scale', 'widget', 'w1', '-n', 'crd', '--replicas=5']), 'widget.example.com/w1 scaled');
  t.equal(await ok(['get', 'widget', 'w1', '-n', 'crd', '-o', 'jsonpath={.spec.replicas}']), '5');
  const scale = JSON.parse(await ok(['get', '--raw', '/apis/example.com/v1/namespaces/crd/widgets/w1/scale']));
  t.match(scale, { kind: 'Scale', apiVersion: 'autoscaling/v1', metadata: { name: 'w1', namespace: 'crd' }, spec: { replicas: 5 }, status: { replicas: 2, selector: 'app=w1' } });
  t.match(await fails(['scale', 'widget', 'w1', '-n', 'crd', '--replicas=-1']), /replicas|invalid/i);
});

t.test('server-side apply merges a map list by its key; other managers keep their entries', async (t) => {
  await ok(['apply', '--server-side', '--field-manager=a', '-f', '-'], widget('ssa', '{color: red, ports: [{name: http, port: 80}]}'));
  await ok(['apply', '--server-side', '--field-manager=b', '-f', '-'], widget('ssa', '{ports: [{name: metrics, port: 9090}]}'));
  const obj = JSON.parse(await ok(['get', 'widget', 'ssa', '-n', 'crd', '-o', 'json']));
  t.same(obj.spec.ports, [{ name: 'http', port: 80 }, { name: 'metrics', port: 9090 }]);
  const conflict = await fails(['apply', '--server-side', '--field-manager=b', '-f', '-'], widget('ssa', '{color: blue}'));
  t.match(conflict, /conflict with "a"[\s\S]*\.spec\.color/);
});

t.test('several versions: served at each, stored at the storage version (None conversion)', async (t) => {
  await ok(['apply', '-f', '-'], widget('old', '{color: red, replicas: 3}').replace('example.com/v1', 'example.com/v1beta1'));
  const asV1 = JSON.parse(await ok(['get', '--raw', '/apis/example.com/v1/namespaces/crd/widgets/old']));
  t.equal(asV1.apiVersion, 'example.com/v1');
  const asBeta = JSON.parse(await ok(['get', '--raw', '/apis/example.com/v1beta1/namespaces/crd/widgets/w1']));
  t.equal(asBeta.apiVersion, 'example.com/v1beta1');
  t.equal(asBeta.spec.replicas, 5);
  const disco = JSON.parse(await ok(['get', '--raw', '/apis/example.com']));
  t.same(disco.versions.map((v: Any) => v.version), ['v1', 'v1beta1']);
  t.equal(disco.preferredVersion.version, 'v1');
  const index = JSON.parse(await ok(['get', '--raw', '/openapi/v3']));
  t.ok(index.paths['apis/example.com/v1'] && index.paths['apis/example.com/v1beta1'], 'an OpenAPI document per version');
});

t.test('watch sees custom resources change', async (t) => {
  const kc = new k8s.KubeConfig();
  kc.loadFromFile(srv.kubeconfig);
  const events: string[] = [];
  const watch = new k8s.Watch(kc);
  const req = await watch.watch('/apis/example.com/v1/namespaces/crd/widgets', { fieldSelector: 'metadata.name=watched' }, (type, o: Any) => events.push(`${type} ${o.spec?.color}`), () => {});
  t.teardown(() => req.abort());
  await ok(['apply', '-f', '-'], widget('watched', '{color: red}'));
  await ok(['patch', 'widget', 'watched', '-n', 'crd', '--type=merge', '-p', '{"spec":{"color":"blue"}}']);
  await ok(['delete', 'widget', 'watched', '-n', 'crd']);
  await until('watch events', () => events.length >= 3);
  t.same(events, ['ADDED red', 'MODIFIED blue', 'DELETED blue']);
});

t.test('cluster-scoped resources, name conflicts and CEL rules', async (t) => {
  const gadgets = (name: string, plural: string, kind: string, shortNames: string) =>
    `apiVersion: apiextensions.k8s.io/v1\nkind: CustomResourceDefinition\nmetadata: {name: ${name}}\nspec:\n  group: example.com\n  scope: Cluster\n  names: {plural: ${plural}, kind: ${kind}, shortNames: [${shortNames}]}\n  versions:\n  - {name: v1, served: true, storage: true, schema: {openAPIV3Schema: {type: object, properties: {spec: {type: object, x-kubernetes-preserve-unknown-fields: true}}}}}\n`;
  await ok(['apply', '-f', '-'], gadgets('gadgets.example.com', 'gadgets', 'Gadget', 'gd'));
  await ok(['wait', '--for=condition=Established', 'crd/gadgets.example.com', '--timeout=10s']);
  await ok(['apply', '-f', '-'], 'apiVersion: example.com/v1\nkind: Gadget\nmetadata: {name: g1}\nspec: {anything: [1, 2]}\n');
  t.match(await ok(['get', 'gd']), /^NAME\s+AGE\ng1\s+\d+s/);
  t.match(await fails(['get', '--raw', '/apis/example.com/v1/namespaces/crd/gadgets']), /NotFound|not found/);

  await ok(['apply', '-f', '-'], gadgets('gizmos.example.com', 'gizmos', 'Gizmo', 'wd'));
  await until('the name conflict reported', async () => JSON.parse(await ok(['get', 'crd', 'gizmos.example.com', '-o', 'json'])).status?.conditions?.length === 2);
  const gizmos = JSON.parse(await ok(['get', 'crd', 'gizmos.example.com', '-o', 'json']));
  t.match(gizmos.status.conditions, [{ type: 'NamesAccepted', status: 'False', reason: 'ShortNamesConflict', message: '"wd" is already in use' }, { type: 'Established', status: 'False', reason: 'NotAccepted' }]);
  t.match(await fails(['get', 'gizmos']), 'the server doesn\'t have a resource type "gizmos"');
  await ok(['delete', 'crd', 'gizmos.example.com']);

  const cel = await fails(['apply', '-f', '-'], gadgets('rules.example.com', 'rules', 'Rule', 'ru').replace('x-kubernetes-preserve-unknown-fields: true', "x-kubernetes-preserve-unknown-fields: true, x-kubernetes-validations: [{rule: 'self.size() > 0'}]"));
  t.match(cel, 'The CustomResourceDefinition "rules.example.com" is invalid: spec.versions[0].schema.openAPIV3Schema.properties[spec].x-kubernetes-validations: Forbidden: CEL validation rules (x-kubernetes-validations) are not supported by this API server');
  const storage = await fails(['apply', '-f', '-'], gadgets('rules.example.com', 'rules', 'Rule', 'ru').replace('storage: true', 'storage: false'));
  t.match(storage, 'must have exactly one version marked as storage version');
  t.match(await fails(['apply', '-f', '-'], gadgets('wrong.example.com', 'rules', 'Rule', 'ru')), 'metadata.name: Invalid value: "wrong.example.com": must be spec.names.plural+"."+spec.group');
});

t.test('custom resources go with their namespace and with their owner', async (t) => {
  await ok(['create', 'namespace', 'doomed']);
  await ok(['apply', '-f', '-'], widget('inside', '{color: red}', 'doomed'));
  await ok(['delete', 'namespace', 'doomed', '--wait=false']);
  await until('the namespace and its widget gone', async () => (await srv.kubectl(['get', 'namespace', 'doomed'])).exitCode !== 0, 60_000);

  await ok(['create', 'configmap', 'owner', '-n', 'crd']);
  const uid = await ok(['get', 'configmap', 'owner', '-n', 'crd', '-o', 'jsonpath={.metadata.uid}']);
  await ok(['apply', '-f', '-'], `apiVersion: example.com/v1\nkind: Widget\nmetadata:\n  name: owned\n  namespace: crd\n  ownerReferences: [{apiVersion: v1, kind: ConfigMap, name: owner, uid: ${uid}}]\nspec: {color: red}\n`);
  await ok(['delete', 'configmap', 'owner', '-n', 'crd']);
  await until('the owned widget collected', async () => (await srv.kubectl(['get', 'widget', 'owned', '-n', 'crd'])).exitCode !== 0, 60_000);
  t.pass('collected');
});

t.test('an operator with client-node: an informer on a custom resource reconciles a Deployment and writes status', async (t) => {
  const kc = new k8s.KubeConfig();
  kc.loadFromFile(srv.kubeconfig);
  await ok(['create', 'namespace', 'op']);
  await ok(['apply', '-f', '-'], `
apiVersion: apiextensions.k8s.io/v1
kind: CustomResourceDefinition
metadata: {name: webapps.demo.example.com}
spec:
  group: demo.example.com
  scope: Namespaced
  names: {plural: webapps, kind: WebApp}
  versions:
  - name: v1
    served: true
    storage: true
    subresources: {status: {}}
    schema:
      openAPIV3Schema:
        type: object
        properties:
          spec:
            type: object
            required: [image]
            properties:
              image: {type: string}
              replicas: {type: integer, minimum: 0, default: 1}
          status:
            type: object
            properties:
              deployment: {type: string}
              replicas: {type: integer}
`);
  await ok(['wait', '--for=condition=Established', 'crd/webapps.demo.example.com', '--timeout=10s']);
  const custom = kc.makeApiClient(k8s.CustomObjectsApi);
  const apps = kc.makeApiClient(k8s.AppsV1Api);
  const group = { group: 'demo.example.com', version: 'v1', namespace: 'op', plural: 'webapps' };

  /** The reconcile: the WebApp's Deployment with its replicas and image, then the WebApp's status. */
  async function reconcile(app: Any): Promise<void> {
    const name = app.metadata.name;
    const labels = { app: name };
    const desired: k8s.V1Deployment = {
      metadata: { name, namespace: 'op', ownerReferences: [{ apiVersion: 'demo.example.com/v1', kind: 'WebApp', name, uid: app.metadata.uid, controller: true, blockOwnerDeletion: true }] },
      spec: { replicas: app.spec.replicas, selector: { matchLabels: labels }, template: { metadata: { labels }, spec: { containers: [{ name: 'web', image: app.spec.image }] } } },
    };
    const existing = await apps.readNamespacedDeployment({ name, namespace: 'op' }).catch((e) => (e instanceof k8s.ApiException && e.code === 404 ? undefined : Promise.reject(e)));
    if (!existing) await apps.createNamespacedDeployment({ namespace: 'op', body: desired });
    else if (existing.spec?.replicas !== app.spec.replicas || existing.spec?.template.spec?.containers[0].image !== app.spec.image)
      await apps.patchNamespacedDeployment({ name, namespace: 'op', body: { spec: { replicas: app.spec.replicas, template: { spec: { containers: [{ name: 'web', image: app.spec.image }] } } } } }, k8s.setHeaderOptions('Content-Type', k8s.PatchStrategy.StrategicMergePatch));
    if (app.status?.replicas !== app.spec.replicas || app.status?.deployment !== name)
      await custom.patchNamespacedCustomObjectStatus({ ...group, name, body: { status: { deployment: name, replicas: app.spec.replicas } } }, k8s.setHeaderOptions('Content-Type', k8s.PatchStrategy.MergePatch));
  }

  const informer = k8s.makeInformer(kc, '/apis/demo.example.com/v1/namespaces/op/webapps', () => custom.listNamespacedCustomObject(group) as Promise<k8s.KubernetesListObject<k8s.KubernetesObject>>);
  const failures: unknown[] = [];
  // Events only start a reconcile of that object; reconciles never overlap.
  let queue = Promise.resolve();
  const enqueue = (o: Any) => (queue = queue.then(() => reconcile(o)).catch((e) => void failures.push(e)));
  informer.on('add', enqueue);
  informer.on('update', enqueue);
  await informer.start();
  t.teardown(() => informer.stop());

  await custom.createNamespacedCustomObject({ ...group, body: { apiVersion: 'demo.example.com/v1', kind: 'WebApp', metadata: { name: 'shop' }, spec: { image: 'busybox:1.35', replicas: 2 } } });
  const dep = await until('the Deployment', () => apps.readNamespacedDeployment({ name: 'shop', namespace: 'op' }).catch(() => undefined));
  t.equal(dep.spec?.replicas, 2);
  t.equal(dep.metadata?.ownerReferences?.[0].kind, 'WebApp');
  const withStatus = await until('the WebApp status', async () => {
    const o = (await custom.getNamespacedCustomObject({ ...group, name: 'shop' })) as Any;
    return o.status?.replicas === 2 && o;
  });
  t.same(withStatus.status, { deployment: 'shop', replicas: 2 });

  await ok(['patch', 'webapp', 'shop', '-n', 'op', '--type=merge', '-p', '{"spec":{"replicas":4}}']);
  await until('the Deployment follows the edit', async () => (await apps.readNamespacedDeployment({ name: 'shop', namespace: 'op' })).spec?.replicas === 4);
  await until('the status follows', async () => ((await custom.getNamespacedCustomObject({ ...group, name: 'shop' })) as Any).status?.replicas === 4);
  t.same(failures, []);

  await custom.deleteNamespacedCustomObject({ ...group, name: 'shop' });
  await until('the Deployment collected with its WebApp', () => apps.readNamespacedDeployment({ name: 'shop', namespace: 'op' }).then(() => false, () => true), 60_000);
  t.pass('the garbage collector deleted the owned Deployment');
});

t.test('deleting the CRD deletes its objects, then stops serving', async (t) => {
  const before = parseYaml(await ok(['get', 'widgets', '-A', '-o', 'yaml'])).items.length;
  t.ok(before > 0);
  await ok(['delete', 'crd', 'widgets.example.com', '--timeout=30s']);
  // (kubectl says so from discovery, or from the 404 of the list when its discovery cache still names the resource.)
  t.match(await fails(['get', 'widgets', '-n', 'crd']), /the server doesn't have a resource type "widgets"|the server could not find the requested resource/);
  t.match(await fails(['get', '--raw', '/apis/example.com/v1/namespaces/crd/widgets']), /NotFound|not found/);
  // Created again, the resource is empty: nothing of the old objects was left in storage.
  await ok(['apply', '-f', '-'], widgetsCRD);
  await ok(['wait', '--for=condition=Established', 'crd/widgets.example.com', '--timeout=10s']);
  t.equal(parseYaml(await ok(['get', 'widgets', '-A', '-o', 'yaml'])).items.length, 0);
});
