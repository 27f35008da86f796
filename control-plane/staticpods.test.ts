import { X509Certificate } from 'node:crypto';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import t from 'tap';
import { parse as parseYaml } from 'yaml';
import { loadKubeconfig } from '../api/client.js';
import { writeControlPlane } from './staticpods.js';

const opts = { nodeName: 'master', advertiseAddress: '192.168.56.10', image: 'kubets.local/kubets:v1', etcdImage: 'kubets.local/etcd:3.4.23-0' };

t.test('kubeadm init\'s files: certificates, kubeconfigs and four static pods under the etc dir', async (t) => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'kubets-cp-'));
  t.teardown(() => fs.rmSync(dir, { recursive: true, force: true }));
  const out = await writeControlPlane(dir, opts);
  t.same(out.manifests.map((f) => path.relative(dir, f)), ['manifests/etcd.yaml', 'manifests/kube-apiserver.yaml', 'manifests/kube-controller-manager.yaml', 'manifests/kube-scheduler.yaml']);
  t.same(fs.readdirSync(path.join(dir, 'manifests')).sort(), ['etcd.yaml', 'kube-apiserver.yaml', 'kube-controller-manager.yaml', 'kube-scheduler.yaml'], 'no temporary files left beside them');

  const cert = (f: string) => new X509Certificate(fs.readFileSync(path.join(dir, 'pki', f)));
  const ca = cert('ca.crt');
  const etcdCA = cert('etcd/ca.crt');
  t.not(ca.fingerprint256, etcdCA.fingerprint256, 'etcd has a CA of its own');
  t.ok(cert('etcd/server.crt').verify(etcdCA.publicKey), 'etcd serving certificate signed by etcd\'s CA');
  t.match(cert('etcd/server.crt').subjectAltName, /IP Address:192\.168\.56\.10/);
  t.ok(cert('apiserver-etcd-client.crt').verify(etcdCA.publicKey), 'the API server\'s etcd client certificate too');
  t.equal((fs.statSync(path.join(dir, 'pki', 'etcd', 'server.key')).mode & 0o777), 0o600, 'keys readable by the owner only');

  const user = (f: string) => new X509Certificate(loadKubeconfig(path.join(dir, f)).cert!).subject;
  t.match(user('admin.conf'), /CN=kubernetes-admin/);
  t.match(user('admin.conf'), /O=system:masters/);
  t.match(user('controller-manager.conf'), /CN=system:kube-controller-manager/);
  t.match(user('scheduler.conf'), /CN=system:kube-scheduler/);
  t.match(user('kubelet.conf'), /CN=system:node:master/);
  t.equal(loadKubeconfig(path.join(dir, 'controller-manager.conf')).server, 'https://127.0.0.1:6443', 'components on the master talk over loopback');
  t.equal(loadKubeconfig(path.join(dir, 'admin.conf')).server, 'https://192.168.56.10:6443');

  const pods = out.manifests.map((f) => parseYaml(fs.readFileSync(f, 'utf8')));
  for (const p of pods) {
    t.equal(p.metadata.namespace, 'kube-system');
    t.equal(p.spec.hostNetwork, true, `${p.metadata.name} on the host network`);
    t.equal(p.spec.priorityClassName, 'system-node-critical');
    t.equal(p.spec.priority, 2000001000, 'the class value stated, as kubeadm does');
  }
  const [etcd, apiserver, cm, sched] = pods;
  t.equal(etcd.spec.containers[0].image, opts.etcdImage);
  t.ok(etcd.spec.containers[0].command.includes('--client-cert-auth=true'), 'etcd wants client certificates');
  t.ok(etcd.spec.containers[0].command.includes('--listen-client-urls=https://127.0.0.1:2379,https://192.168.56.10:2379'));
  t.same(apiserver.spec.containers[0].command.slice(0, 2), ['kubets', 'apiserver']);
  t.ok(apiserver.spec.containers[0].command.includes('--datastore=https://127.0.0.1:2379'));
  t.same(apiserver.spec.containers[0].livenessProbe.httpGet, { host: '192.168.56.10', path: '/livez', port: 6443, scheme: 'HTTPS' });
  t.ok(cm.spec.containers[0].command.includes('--kubeconfig=/etc/kubernetes/controller-manager.conf'));
  t.ok(cm.spec.containers[0].command.includes('--leader-elect=true'));
  t.same(sched.spec.containers[0].command, ['kubets', 'scheduler', '--kubeconfig=/etc/kubernetes/scheduler.conf', '--leader-elect=true']);

  // A second run (kubeadm init phases are idempotent here): the same CA and certificates, manifests rewritten.
  const before = fs.readFileSync(path.join(dir, 'pki', 'etcd', 'server.crt'), 'utf8');
  await writeControlPlane(dir, opts);
  t.equal(cert('ca.crt').fingerprint256, ca.fingerprint256, 'the CA is kept');
  t.equal(fs.readFileSync(path.join(dir, 'pki', 'etcd', 'server.crt'), 'utf8'), before, 'certificates are kept');
});
