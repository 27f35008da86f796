// RequestInfo as kube-apiserver's RequestInfoFactory computes it, case by case from its requestinfo_test.go facts.
import t from 'tap';
import { namespaceScoped, requestInfo } from './requestinfo.js';

const info = (method: string, path: string) => requestInfo(method, new URL(`https://localhost${path}`));

type Row = [method: string, path: string, verb: string, prefix: string, group: string, version: string, namespace: string, resource: string, subresource: string, name: string, parts: string[]];

const resourceRequests: Row[] = [
  ['GET', '/api/v1/namespaces', 'list', 'api', '', 'v1', '', 'namespaces', '', '', ['namespaces']],
  ['GET', '/api/v1/namespaces/other', 'get', 'api', '', 'v1', 'other', 'namespaces', '', 'other', ['namespaces', 'other']],
  ['GET', '/api/v1/namespaces/other/pods', 'list', 'api', '', 'v1', 'other', 'pods', '', '', ['pods']],
  ['GET', '/api/v1/namespaces/other/pods/foo', 'get', 'api', '', 'v1', 'other', 'pods', '', 'foo', ['pods', 'foo']],
  ['HEAD', '/api/v1/namespaces/other/pods/foo', 'get', 'api', '', 'v1', 'other', 'pods', '', 'foo', ['pods', 'foo']],
  ['GET', '/api/v1/pods', 'list', 'api', '', 'v1', '', 'pods', '', '', ['pods']],
  ['HEAD', '/api/v1/pods', 'list', 'api', '', 'v1', '', 'pods', '', '', ['pods']],
  ['GET', '/api/v1/pods?watch=true', 'watch', 'api', '', 'v1', '', 'pods', '', '', ['pods']],
  ['GET', '/api/v1/pods?watch=false', 'list', 'api', '', 'v1', '', 'pods', '', '', ['pods']],
  ['GET', '/api/v1/namespaces/other/pods?watch=1', 'watch', 'api', '', 'v1', 'other', 'pods', '', '', ['pods']],
  ['GET', '/api/v1/namespaces/other/pods?watch=0', 'list', 'api', '', 'v1', 'other', 'pods', '', '', ['pods']],
  // subresources
  ['GET', '/api/v1/namespaces/other/pods/foo/status', 'get', 'api', '', 'v1', 'other', 'pods', 'status', 'foo', ['pods', 'foo', 'status']],
  ['GET', '/api/v1/namespaces/other/pods/foo/proxy/subpath', 'get', 'api', '', 'v1', 'other', 'pods', 'proxy', 'foo', ['pods', 'foo', 'proxy', 'subpath']],
  ['GET', '/api/v1/namespaces/other/pods/foo/log', 'get', 'api', '', 'v1', 'other', 'pods', 'log', 'foo', ['pods', 'foo', 'log']],
  ['POST', '/api/v1/namespaces/other/pods/foo/exec', 'create', 'api', '', 'v1', 'other', 'pods', 'exec', 'foo', ['pods', 'foo', 'exec']],
  ['PUT', '/api/v1/namespaces/other/finalize', 'update', 'api', '', 'v1', 'other', 'namespaces', 'finalize', 'other', ['namespaces', 'other', 'finalize']],
  ['PUT', '/api/v1/namespaces/other/status', 'update', 'api', '', 'v1', 'other', 'namespaces', 'status', 'other', ['namespaces', 'other', 'status']],
  // verbs
  ['PATCH', '/api/v1/namespaces/other/pods/foo', 'patch', 'api', '', 'v1', 'other', 'pods', '', 'foo', ['pods', 'foo']],
  ['DELETE', '/api/v1/namespaces/other/pods/foo', 'delete', 'api', '', 'v1', 'other', 'pods', '', 'foo', ['pods', 'foo']],
  ['POST', '/api/v1/namespaces/other/pods', 'create', 'api', '', 'v1', 'other', 'pods', '', '', ['pods']],
  ['OPTIONS', '/api/v1/namespaces/other/pods', '', 'api', '', 'v1', 'other', 'pods', '', '', ['pods']],
  // deletecollection
  ['DELETE', '/api/v1/nodes', 'deletecollection', 'api', '', 'v1', '', 'nodes', '', '', ['nodes']],
  ['DELETE', '/api/v1/namespaces', 'deletecollection', 'api', '', 'v1', '', 'namespaces', '', '', ['namespaces']],
  ['DELETE', '/api/v1/namespaces/other/pods', 'deletecollection', 'api', '', 'v1', 'other', 'pods', '', '', ['pods']],
  ['DELETE', '/apis/extensions/v1/namespaces/other/pods', 'deletecollection', 'apis', 'extensions', 'v1', 'other', 'pods', '', '', ['pods']],
  // groups and versions
  ['POST', '/apis/extensions/v1/namespaces/other/pods', 'create', 'apis', 'extensions', 'v1', 'other', 'pods', '', '', ['pods']],
  ['POST', '/apis/extensions/v1beta3/namespaces/other/pods', 'create', 'apis', 'extensions', 'v1beta3', 'other', 'pods', '', '', ['pods']],
  ['GET', '/apis/apps/v1/namespaces/other/deployments/web/scale', 'get', 'apis', 'apps', 'v1', 'other', 'deployments', 'scale', 'web', ['deployments', 'web', 'scale']],
  // a name escaped in the path stays one segment
  ['GET', '/api/v1/namespaces/other/configmaps/a%2Fb', 'get', 'api', '', 'v1', 'other', 'configmaps', '', 'a/b', ['configmaps', 'a/b']],
];

t.test('resource requests', async (t) => {
  for (const [method, path, verb, apiPrefix, apiGroup, apiVersion, namespace, resource, subresource, name, parts] of resourceRequests) {
    t.same(info(method, path), { isResourceRequest: true, path: path.split('?')[0], verb, apiPrefix, apiGroup, apiVersion, namespace, resource, subresource, name, parts }, `${method} ${path}`);
  }
});

t.test('non-resource requests keep the lower-case method as their verb', async (t) => {
  const paths = ['/not-api/version/resource', '/apis/extensions/v1beta1', '/apis/extensions/v1beta1/', '/api/version', '/api', '/', '/healthz', '/openapi/v3/apis/apps/v1'];
  for (const p of paths) {
    const i = info('GET', p);
    t.equal(i.isResourceRequest, false, p);
    t.equal(i.verb, 'get', p);
    t.equal(i.path, new URL(`https://localhost${p}`).pathname, p);
  }
  for (const p of ['/api/version/resource', '/apis/group/version/resource/name/subresource', '/api/version/resource/name/subresource', '/apis/batch/v1/job', '/apis/batch/v1/job/foo', '/apis/batch/v1/job/foo/scale'])
    t.equal(info('GET', p).isResourceRequest, true, p);
});

t.test('a list or watch names the object its field selector pins down', async (t) => {
  const cases: [string, string, string][] = [
    ['/apis/group/version/resource', 'list', ''],
    ['/apis/group/version/resource?fieldSelector=metadata.name=name1', 'list', 'name1'],
    ['/apis/group/version/resource?watch=true&fieldSelector=metadata.name=name1', 'watch', 'name1'],
    ['/apis/group/version/resource?fieldSelector=foo=bar', 'list', ''],
    ['/apis/group/version/resource?fieldSelector=metadata.name!=name1', 'list', ''],
    ['/apis/group/version/resource?fieldSelector=metadata.name=name1,foo', 'list', ''],
    ['/apis/group/version/resource?watch=true&fieldSelector=metadata.name=name1,foo', 'watch', ''],
    ['/apis/group/version/resource?watch=false&fieldSelector=metadata.name=name1,foo', 'list', ''],
    ['/apis/group/version/resource?fieldSelector=metadata.name=..', 'list', ''],
  ];
  for (const [path, verb, name] of cases) {
    const i = info('GET', path);
    t.equal(i.verb, verb, path);
    t.equal(i.name, name, path);
    t.same(i.parts, ['resource'], `${path}: the path itself names no object`);
  }
  t.equal(info('DELETE', '/api/v1/namespaces/other/pods?fieldSelector=metadata.name=foo').verb, 'deletecollection', 'a delete of a collection stays one');
});

t.test('a malformed escape in an API path is a 400; other paths are not decoded', async (t) => {
  t.throws(() => info('GET', '/api/v1/namespaces/%ZZ/pods'), { code: 400 });
  t.equal(info('GET', '/healthz/%ZZ').isResourceRequest, false);
});

t.test('namespaceScoped: a namespace as the scope of a resource, not a namespace itself', async (t) => {
  t.equal(namespaceScoped(info('GET', '/api/v1/namespaces/other/pods')), true);
  t.equal(namespaceScoped(info('GET', '/apis/apps/v1/namespaces/other/deployments/web/scale')), true);
  t.equal(namespaceScoped(info('GET', '/api/v1/namespaces/other')), false);
  t.equal(namespaceScoped(info('PUT', '/api/v1/namespaces/other/finalize')), false);
  t.equal(namespaceScoped(info('GET', '/api/v1/namespaces/other/namespaces/other')), true, 'a namespace inside a namespace is a scoped request');
  t.equal(namespaceScoped(info('GET', '/api/v1/pods')), false);
});
