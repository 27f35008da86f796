// metrics-server's OpenAPI v3 (kube: metrics-server's generated openapi for k8s.io/metrics/pkg/apis/metrics/v1beta1,
// served by its generic API server at /openapi/v3): the index naming the metrics.k8s.io/v1beta1 document by a hash of
// its content, and the document — the read-only paths and the NodeMetrics and PodMetrics schemas, whose
// group-version-kinds `kubectl explain` finds them by. The API server lists the document in its own /openapi/v3 and
// proxies requests for it here. Loaded on the first such request (api.ts): it builds on the API server's schema
// catalog, which metrics-server has no other use for.
import { createHash } from 'node:crypto';
import { list, map, obj, pkg, ref, str, typeMeta, type Definition, type Schema } from '../../control-plane/apiserver/openapi/dsl.js';
import { meta, quantity, time } from '../../control-plane/apiserver/openapi/meta.js';
import { closure, listOf, refsIn } from '../../control-plane/apiserver/openapi/schemas.js';
import { GROUP, VERSION } from './config.js';

const GV_PATH = `apis/${GROUP}/${VERSION}`;
const name = pkg('io.k8s.metrics.pkg.apis.metrics.v1beta1');

const usage = (what: string) => map(quantity, `The resources ${what} used over the window: cpu in cores, memory as the working set in bytes.`);
const sampled = {
  timestamp: time('The end of the window the usage was measured over.'),
  window: str('The length of the window the usage was measured over (a duration, e.g. 15s).'),
};
const gvk = (kind: string) => [{ group: GROUP, version: VERSION, kind }];

const definitions: Definition[] = [
  obj(name('NodeMetrics'), "The resource usage of a node, as metrics-server last scraped it from the node's kubelet.", { ...typeMeta(meta('ObjectMeta')), ...sampled, usage: usage('the node') }, { required: ['timestamp', 'window', 'usage'], gvk: gvk('NodeMetrics') }),
  obj(name('PodMetrics'), "The resource usage of a pod's containers, as metrics-server last scraped it from its node's kubelet.", { ...typeMeta(meta('ObjectMeta')), ...sampled, containers: list(name('ContainerMetrics'), 'The usage of each running container of the pod.') }, { required: ['timestamp', 'window', 'containers'], gvk: gvk('PodMetrics') }),
  obj(name('ContainerMetrics'), 'The resource usage of one container.', { name: str('The name of the container, as in the pod spec.'), usage: usage('the container') }, { required: ['name', 'usage'] }),
];
definitions.push(listOf(name('NodeMetrics'), gvk('NodeMetrics')[0]), listOf(name('PodMetrics'), gvk('PodMetrics')[0]));

const query = (n: string, description: string): Schema => ({ name: n, in: 'query', description, schema: { type: 'string', uniqueItems: true } });
const pathParam = (n: string, description: string): Schema => ({ name: n, in: 'path', description, required: true, schema: { type: 'string', uniqueItems: true } });
const selectors = [query('labelSelector', 'Restrict the list by the labels of the nodes or pods, e.g. app=web.'), query('fieldSelector', 'Restrict the list by name: metadata.name=NAME.')];

/** A GET operation answering one of the kinds. */
function get(kind: string, action: 'get' | 'list', operationId: string, parameters: Schema[] = []): Schema {
  const schema = name(action === 'list' ? `${kind}List` : kind);
  return {
    get: {
      tags: ['metrics_v1beta1'],
      description: action === 'list' ? `list objects of kind ${kind}` : `read the specified ${kind}`,
      operationId,
      parameters,
      responses: { '200': { description: 'OK', content: { 'application/json': { schema: { $ref: `#/components/schemas/${schema}` } } } }, '401': { description: 'Unauthorized' } },
      'x-kubernetes-action': action,
      'x-kubernetes-group-version-kind': gvk(kind)[0],
    },
  };
}

const namespace = pathParam('namespace', 'Namespace of the pods.');
const paths: Record<string, Schema> = {
  [`/${GV_PATH}/nodes`]: get('NodeMetrics', 'list', 'listMetricsV1beta1NodeMetrics', selectors),
  [`/${GV_PATH}/nodes/{name}`]: get('NodeMetrics', 'get', 'readMetricsV1beta1NodeMetrics', [pathParam('name', 'Name of the node.')]),
  [`/${GV_PATH}/pods`]: get('PodMetrics', 'list', 'listMetricsV1beta1PodMetricsForAllNamespaces', selectors),
  [`/${GV_PATH}/namespaces/{namespace}/pods`]: get('PodMetrics', 'list', 'listMetricsV1beta1NamespacedPodMetrics', [namespace, ...selectors]),
  [`/${GV_PATH}/namespaces/{namespace}/pods/{name}`]: get('PodMetrics', 'get', 'readMetricsV1beta1NamespacedPodMetrics', [namespace, pathParam('name', 'Name of the pod.')]),
};

const own = Object.fromEntries(definitions.map((d) => [d.name, d.schema]));
const schemas: Record<string, Schema> = { ...closure(refsIn(own).filter((n) => !Object.hasOwn(own, n))), ...own };

/** The metrics.k8s.io/v1beta1 OpenAPI v3 document. */
export const metricsOpenAPIDocument: Schema = {
  openapi: '3.0.0',
  info: { title: 'metrics-server', version: VERSION },
  paths,
  components: { schemas: Object.fromEntries(Object.keys(schemas).sort().map((n) => [n, schemas[n]])) },
};

const documentJSON = JSON.stringify(metricsOpenAPIDocument);
const hash = createHash('sha512').update(documentJSON).digest('hex').toUpperCase();

/** /openapi/v3: the one group-version this server serves. */
export const metricsOpenAPIIndex = { paths: { [GV_PATH]: { serverRelativeURL: `/openapi/v3/${GV_PATH}?hash=${hash}` } } };

const indexJSON = JSON.stringify(metricsOpenAPIIndex);

/** The answer to GET /openapi/v3[/<group-version>] (`json` is `body` encoded once), or undefined for any other path. */
export function serveOpenAPI(path: string): { body: unknown; json: string; etag?: string } | undefined {
  if (path === '/openapi/v3' || path === '/openapi/v3/') return { body: metricsOpenAPIIndex, json: indexJSON };
  if (path === `/openapi/v3/${GV_PATH}`) return { body: metricsOpenAPIDocument, json: documentJSON, etag: `"${hash}"` };
  return undefined;
}
