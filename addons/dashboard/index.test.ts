// The Dashboard's pure parts: where the API server is found (kubeconfig's cluster, in-cluster, --apiserver-host), which
// requests count as API requests and what a bearer token is, and the manifests' shape (NodePort 30443, HTTPS probes,
// a system priority class, a service account bound to nothing).
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import type { IncomingMessage } from 'node:http';
import t from 'tap';
import { kubeconfigYaml } from '../../api/pki.js';
import { dashboardManifests, locateApiServer } from './index.js';
import { bearerToken, isApiPath } from './server.js';

t.test('the API server is found from a kubeconfig, in-cluster, or --apiserver-host', async (t) => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'kubets-dashboard-'));
  t.teardown(() => fs.rmSync(dir, { recursive: true, force: true }));
  const kubeconfig = path.join(dir, 'kubeconfig');
  fs.writeFileSync(kubeconfig, kubeconfigYaml({ server: 'https://10.0.0.1:6443', caPem: 'CA-FROM-KUBECONFIG', userName: 'admin', token: 'never-used' }));
  const fromKubeconfig = locateApiServer({ kubeconfig });
  t.equal(fromKubeconfig.server, 'https://10.0.0.1:6443');
  t.equal(String(fromKubeconfig.ca), 'CA-FROM-KUBECONFIG', 'its cluster\'s CA');
  t.equal(locateApiServer({ kubeconfig, apiServerHost: 'https://api.example:443' }).server, 'https://api.example:443');

  fs.writeFileSync(path.join(dir, 'ca.crt'), 'CA-FROM-SA');
  const inCluster = locateApiServer({}, { KUBERNETES_SERVICE_HOST: 'fd00::1', KUBERNETES_SERVICE_PORT: '443' }, dir);
  t.equal(inCluster.server, 'https://[fd00::1]:443');
  t.equal(String(inCluster.ca), 'CA-FROM-SA');
  t.throws(() => locateApiServer({}, {}, dir), /KUBERNETES_SERVICE_HOST and KUBERNETES_SERVICE_PORT must be defined/);
  t.equal(locateApiServer({ apiServerHost: 'https://10.96.0.1:443' }, {}, dir).server, 'https://10.96.0.1:443');
});

t.test('API paths and bearer tokens', async (t) => {
  for (const p of ['/api', '/api/v1/pods', '/apis', '/apis/apps/v1/deployments']) t.ok(isApiPath(p), p);
  for (const p of ['/', '/apix', '/app.js', '/pods/api', '/healthz']) t.notOk(isApiPath(p), p);
  const req = (authorization?: string) => ({ headers: authorization === undefined ? {} : { authorization } }) as IncomingMessage;
  t.equal(bearerToken(req('Bearer abc.def')), 'abc.def');
  t.equal(bearerToken(req('bearer abc')), 'abc', 'the scheme is case-insensitive');
  t.equal(bearerToken(req('Basic YTpi')), undefined);
  t.equal(bearerToken(req('Bearer ')), undefined);
  t.equal(bearerToken(req()), undefined);
});

t.test('the manifests: NodePort 30443 to the HTTPS port, probes, priority, no rights', async (t) => {
  const objects = dashboardManifests({ image: 'kubets.local/kubets:v1' });
  t.same(objects.map((o) => `${o.kind}/${o.metadata.namespace}/${o.metadata.name}`), ['ServiceAccount/kube-system/dashboard', 'Service/kube-system/dashboard', 'Deployment/kube-system/dashboard']);
  const svc = objects[1] as any;
  t.same(svc.spec.ports, [{ name: 'https', port: 443, protocol: 'TCP', targetPort: 'https', nodePort: 30443 }]);
  t.equal(svc.spec.type, 'NodePort');
  const pod = (objects[2] as any).spec.template.spec;
  t.equal(pod.serviceAccountName, 'dashboard');
  t.equal(pod.priorityClassName, 'system-cluster-critical');
  const c = pod.containers[0];
  t.same(c.command, ['kubets', 'dashboard']);
  t.same(c.ports, [{ name: 'https', containerPort: 8443, protocol: 'TCP' }]);
  t.same(c.readinessProbe.httpGet, { path: '/healthz', port: 'https', scheme: 'HTTPS' });
  t.same(c.livenessProbe.httpGet, { path: '/healthz', port: 'https', scheme: 'HTTPS' });
  t.notOk(objects.some((o) => /Role/.test(o.kind ?? '')), 'no role or binding: the dashboard acts only with its users\' tokens');
});
