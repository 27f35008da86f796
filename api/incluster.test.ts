import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import t from 'tap';
import { ApiClient } from './client.js';

t.test('in-cluster credentials: the service-account token and CA, the API server from the environment', async (t) => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'kubets-sa-'));
  t.teardown(() => fs.rmSync(dir, { recursive: true, force: true }));
  t.throws(() => ApiClient.inCluster({ dir, env: {} }), /KUBERNETES_SERVICE_HOST and KUBERNETES_SERVICE_PORT must be defined/);
  fs.writeFileSync(path.join(dir, 'token'), 'token-one\n');
  fs.writeFileSync(path.join(dir, 'ca.crt'), 'CA');
  const c = ApiClient.inCluster({ dir, env: { KUBERNETES_SERVICE_HOST: '10.96.0.1', KUBERNETES_SERVICE_PORT: '443' } });
  t.teardown(() => c.close());
  t.equal(c.config.server, 'https://10.96.0.1:443');
  t.equal(c.config.token, 'token-one');
  t.equal(String(c.config.ca), 'CA');
  t.equal(c.config.tokenFile, path.join(dir, 'token'), 'read again as it is rotated');
  const v6 = ApiClient.inCluster({ dir, env: { KUBERNETES_SERVICE_HOST: 'fd00::1', KUBERNETES_SERVICE_PORT: '6443' } });
  t.teardown(() => v6.close());
  t.equal(v6.config.server, 'https://[fd00::1]:6443');
});

t.test('a kubeconfig user with tokenFile (kube-proxy\'s kubeconfig.conf) reads the token, relative to the file', async (t) => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'kubets-kc-'));
  t.teardown(() => fs.rmSync(dir, { recursive: true, force: true }));
  fs.writeFileSync(path.join(dir, 'token'), 'token-two\n');
  fs.writeFileSync(path.join(dir, 'ca.crt'), 'CA');
  const kubeconfig = path.join(dir, 'kubeconfig.conf');
  fs.writeFileSync(kubeconfig, [
    'apiVersion: v1', 'kind: Config',
    'clusters: [{name: default, cluster: {server: "https://192.0.2.1:6443", certificate-authority: ca.crt}}]',
    'users: [{name: default, user: {tokenFile: token}}]',
    'contexts: [{name: default, context: {cluster: default, user: default}}]',
    'current-context: default', '',
  ].join('\n'));
  const c = ApiClient.fromKubeconfig(kubeconfig);
  t.teardown(() => c.close());
  t.equal(c.config.token, 'token-two');
  t.equal(c.config.tokenFile, path.join(dir, 'token'), 'read again as it is rotated');
  fs.writeFileSync(path.join(dir, 'gone.conf'), fs.readFileSync(kubeconfig, 'utf8').replace('tokenFile: token', 'tokenFile: missing'));
  t.throws(() => ApiClient.fromKubeconfig(path.join(dir, 'gone.conf')), /ENOENT.*missing/);
});
