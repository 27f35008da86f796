// metrics-server's OpenAPI v3: the index the API server lists it by and the document it proxies.
import t from 'tap';
import { metricsOpenAPIDocument, metricsOpenAPIIndex, serveOpenAPI } from './openapi.js';

t.test('the OpenAPI v3 index names the document by its hash; the document has both kinds and no dangling $ref', async (t) => {
  const entry = metricsOpenAPIIndex.paths['apis/metrics.k8s.io/v1beta1'];
  t.match(entry.serverRelativeURL, /^\/openapi\/v3\/apis\/metrics\.k8s\.io\/v1beta1\?hash=[0-9A-F]{128}$/);
  t.equal(serveOpenAPI('/openapi/v3/apis/metrics.k8s.io/v1beta1')?.etag, `"${entry.serverRelativeURL.split('=')[1]}"`);
  t.equal(serveOpenAPI('/openapi/v3/apis/apps/v1'), undefined);
  const schemas = (metricsOpenAPIDocument.components as { schemas: Record<string, Record<string, unknown>> }).schemas;
  const gvks = Object.values(schemas).flatMap((s) => (s['x-kubernetes-group-version-kind'] as { kind: string }[] | undefined) ?? []).map((g) => g.kind);
  t.same(gvks.sort(), ['NodeMetrics', 'NodeMetricsList', 'PodMetrics', 'PodMetricsList']);
  const refs = [...JSON.stringify(metricsOpenAPIDocument).matchAll(/"\$ref":"#\/components\/schemas\/([^"]+)"/g)].map((m) => m[1]);
  t.ok(refs.includes('io.k8s.apimachinery.pkg.apis.meta.v1.ObjectMeta'));
  t.same(refs.filter((r) => !schemas[r]), [], 'every $ref is defined');
});
