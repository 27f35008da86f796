// The request labels kube-apiserver reports (verb, scope, resource of a storage key), and the families on /metrics.
import t from 'tap';
import { parseText } from '../../api/prometheus.js';
import { ApiServerMetrics, reportedScope, reportedVerb, requestLabels, storageResource } from './metrics.js';
import { requestInfo } from './requestinfo.js';

const info = (method: string, path: string) => requestInfo(method, new URL(`https://x${path}`));

t.test('verbs as kube-apiserver reports them', async (t) => {
  t.equal(reportedVerb(info('GET', '/api/v1/namespaces/default/pods'), undefined), 'LIST');
  t.equal(reportedVerb(info('GET', '/api/v1/pods?watch=true'), undefined), 'WATCH');
  t.equal(reportedVerb(info('GET', '/api/v1/namespaces/default/pods/web'), undefined), 'GET');
  t.equal(reportedVerb(info('POST', '/api/v1/namespaces/default/pods'), undefined), 'POST');
  t.equal(reportedVerb(info('PUT', '/api/v1/namespaces/default/pods/web'), undefined), 'PUT');
  t.equal(reportedVerb(info('PATCH', '/apis/apps/v1/namespaces/default/deployments/web'), 'application/merge-patch+json'), 'PATCH');
  t.equal(reportedVerb(info('PATCH', '/apis/apps/v1/namespaces/default/deployments/web'), 'application/apply-patch+yaml; charset=utf-8'), 'APPLY');
  t.equal(reportedVerb(info('DELETE', '/api/v1/namespaces/default/pods'), undefined), 'DELETECOLLECTION');
  t.equal(reportedVerb(info('POST', '/api/v1/namespaces/default/pods/web/exec'), undefined), 'CONNECT');
  t.equal(reportedVerb(info('GET', '/api/v1/nodes/n1/proxy/metrics'), undefined), 'CONNECT');
  t.equal(reportedVerb(info('GET', '/metrics'), undefined), 'GET', 'a non-resource request: its method');
});

t.test('scope, labels and storage resources', async (t) => {
  t.equal(reportedScope(info('GET', '/api/v1/namespaces/default/pods/web')), 'resource');
  t.equal(reportedScope(info('POST', '/api/v1/namespaces/default/pods')), 'resource', 'a create names one object');
  t.equal(reportedScope(info('GET', '/api/v1/namespaces/default/pods')), 'namespace');
  t.equal(reportedScope(info('GET', '/api/v1/pods')), 'cluster');
  t.equal(reportedScope(info('GET', '/healthz')), '');
  const url = new URL('https://x/apis/apps/v1/namespaces/default/deployments/web/scale?dryRun=All');
  t.same(requestLabels(requestInfo('PUT', url), { headers: {} }, url), { verb: 'PUT', dry_run: 'All', group: 'apps', version: 'v1', resource: 'deployments', subresource: 'scale', scope: 'resource', component: 'apiserver' });
  t.equal(storageResource('/registry/core/pods/default/web'), 'pods');
  t.equal(storageResource('/registry/apps/deployments/'), 'deployments.apps');
  t.equal(storageResource('/elsewhere'), '');
});

t.test('a request is counted when its response closes, with its code', async (t) => {
  const m = new ApiServerMetrics();
  const url = new URL('https://x/api/v1/namespaces/default/pods/web');
  let close = () => {};
  const res = { statusCode: 404, once: (_e: 'close', fn: () => void) => void (close = fn) };
  m.observeRequest(requestInfo('GET', url), { headers: {} } as never, res, url, false);
  m.setInflight(3, 1);
  let samples = parseText(await m.registry.metrics());
  t.notOk(samples.some((s) => s.name === 'apiserver_request_total'), 'nothing counted while it runs');
  close();
  samples = parseText(await m.registry.metrics());
  t.same(samples.find((s) => s.name === 'apiserver_request_total')?.labels, { verb: 'GET', dry_run: '', group: '', version: 'v1', resource: 'pods', subresource: '', scope: 'resource', component: 'apiserver', code: '404' });
  t.equal(samples.find((s) => s.name === 'apiserver_request_duration_seconds_count')?.value, 1);
  t.equal(samples.find((s) => s.name === 'apiserver_current_inflight_requests' && s.labels.request_kind === 'readOnly')?.value, 3);
  t.ok(samples.some((s) => s.name === 'process_cpu_seconds_total'), 'process metrics');
});

t.test('apiserver_current_inflight_requests is the most in flight in the last second, as kube\'s watermark', async (t) => {
  let now = 10_000;
  const m = new ApiServerMetrics(() => now);
  const readOnly = async () => parseText(await m.registry.metrics()).find((s) => s.name === 'apiserver_current_inflight_requests' && s.labels.request_kind === 'readOnly')?.value;
  t.equal(await readOnly(), 0);
  m.setInflight(5, 0);
  m.setInflight(1, 0);
  t.equal(await readOnly(), 5, 'the peak, not the 1 in flight now');
  now += 1000;
  t.equal(await readOnly(), 5, 'still within the last second');
  now += 1000;
  t.equal(await readOnly(), 1, 'a quiet second later: what is in flight');
  m.setInflight(2, 0);
  now += 5000;
  m.setInflight(0, 0);
  t.equal(await readOnly(), 2, 'after a gap, the seconds between peaked at what was in flight');
  now += 1000;
  t.equal(await readOnly(), 2, 'the second it fell in is the last full one');
  now += 1000;
  t.equal(await readOnly(), 0);
});
